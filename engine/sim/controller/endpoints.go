package controller

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// EndpointsController keeps an Endpoints object for every Service with a selector: Ready pods
// in addresses, the others in notReadyAddresses, with hostname for a headless Service's
// StatefulSet pods (what DNS serves as web-0.nginx).
type EndpointsController struct {
	env Env
}

// NewEndpointsController makes the controller.
func NewEndpointsController(env Env) *EndpointsController { return &EndpointsController{env: env} }

func (e *EndpointsController) Name() string { return "endpoints" }

// Observe resyncs a whole namespace on any pod or service change: a simulator holds few
// services, and the listener may not read the store to find the matching ones.
func (e *EndpointsController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case podsRes.Name, svcRes.Name:
		e.env.Queue.Add(Key{Controller: e.Name(), Namespace: objMeta(ev.Object).GetNamespace()})
	}
}

func (e *EndpointsController) Sync(k Key) error {
	// Read-only views from the store's indexes: nothing here is written back.
	svcs := e.env.Store.Select(svcRes, store.Query{Namespace: k.Namespace})
	pods := e.env.Store.Select(podsRes, store.Query{Namespace: k.Namespace})
	live := map[string]bool{}
	for _, o := range svcs {
		svc := o.(*corev1.Service)
		if len(svc.Spec.Selector) == 0 {
			continue // endpoints of selector-less services are managed by hand
		}
		live[svc.Name] = true
		if err := e.syncService(svc, pods); err != nil {
			return err
		}
	}
	// Delete the endpoints of services that are gone (only the ones we manage).
	eps := e.env.Store.Select(epRes, store.Query{Namespace: k.Namespace})
	for _, o := range eps {
		ep := o.(*corev1.Endpoints)
		if !live[ep.Name] && ep.Labels["endpoints.kubernetes.io/managed-by"] == "endpoint-controller" {
			if _, err := e.env.Store.Delete(epRes, ep.Namespace, ep.Name, store.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

func (e *EndpointsController) syncService(svc *corev1.Service, pods []runtime.Object) error {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var ready, notReady []corev1.EndpointAddress
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	var firstPod *corev1.Pod
	for _, o := range pods {
		p := o.(*corev1.Pod)
		if !sel.Matches(labels.Set(p.Labels)) || p.Status.PodIP == "" || p.DeletionTimestamp != nil ||
			p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if firstPod == nil {
			firstPod = p
		}
		addr := corev1.EndpointAddress{IP: p.Status.PodIP, NodeName: ptrTo(p.Spec.NodeName),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
			addr.Hostname = p.Spec.Hostname
		}
		if podReady(p) || svc.Spec.PublishNotReadyAddresses {
			ready = append(ready, addr)
		} else {
			notReady = append(notReady, addr)
		}
	}
	byIP := func(a []corev1.EndpointAddress) {
		sort.Slice(a, func(i, j int) bool { return a[i].IP < a[j].IP })
	}
	byIP(ready)
	byIP(notReady)
	var subsets []corev1.EndpointSubset
	if len(ready)+len(notReady) > 0 {
		var ports []corev1.EndpointPort
		for _, sp := range svc.Spec.Ports {
			ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: targetPort(sp, firstPod), Protocol: sp.Protocol})
		}
		subsets = []corev1.EndpointSubset{{Addresses: ready, NotReadyAddresses: notReady, Ports: ports}}
	}
	lbl := map[string]string{}
	for k, v := range svc.Labels {
		lbl[k] = v
	}
	lbl["endpoints.kubernetes.io/managed-by"] = "endpoint-controller"
	if headless {
		lbl[corev1.IsHeadlessService] = ""
	}
	cur, ok := e.env.Store.Peek(epRes, svc.Namespace, svc.Name)
	if !ok {
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: lbl}, Subsets: subsets}
		_, err := e.env.Store.Create(epRes, ep)
		return err
	}
	ep := cur.(*corev1.Endpoints)
	if sameSubsets(ep.Subsets, subsets) && equality.Semantic.DeepEqual(ep.Labels, lbl) {
		return nil // status written only when it changes
	}
	ep = ep.DeepCopy()
	ep.Subsets, ep.Labels = subsets, lbl
	_, err := e.env.Store.Update(epRes, ep, store.UpdateOptions{})
	return err
}

// sameSubsets compares what syncService builds field by field: a reflective DeepEqual over a
// thousand addresses cost more than building them.
func sameSubsets(a, b []corev1.EndpointSubset) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameAddrs(a[i].Addresses, b[i].Addresses) || !sameAddrs(a[i].NotReadyAddresses, b[i].NotReadyAddresses) ||
			!equality.Semantic.DeepEqual(a[i].Ports, b[i].Ports) {
			return false
		}
	}
	return true
}

func sameAddrs(a, b []corev1.EndpointAddress) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.IP != y.IP || x.Hostname != y.Hostname || (x.NodeName == nil) != (y.NodeName == nil) ||
			(x.NodeName != nil && *x.NodeName != *y.NodeName) || (x.TargetRef == nil) != (y.TargetRef == nil) ||
			(x.TargetRef != nil && *x.TargetRef != *y.TargetRef) {
			return false
		}
	}
	return true
}

func targetPort(sp corev1.ServicePort, p *corev1.Pod) int32 {
	switch {
	case sp.TargetPort.Type == intstr.String && p != nil:
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == sp.TargetPort.StrVal {
					return cp.ContainerPort
				}
			}
		}
		return sp.Port
	case sp.TargetPort.Type == intstr.Int && sp.TargetPort.IntVal != 0:
		return sp.TargetPort.IntVal
	}
	return sp.Port
}

// podReady: phase Running and condition Ready True.
func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
