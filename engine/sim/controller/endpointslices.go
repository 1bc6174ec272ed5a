package controller

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var sliceRes = store.MustLookup("endpointslices")

const (
	sliceManagedBy = "endpointslice-controller.k8s.io"
	// A Service's slices are found by this label, as kubectl describe and kube-proxy find them.
	labelServiceName = discoveryv1.LabelServiceName
)

// EndpointSliceController keeps one IPv4 EndpointSlice per Service with a selector, as the
// real endpointslice controller does for a cluster this size: every pod with an IP is an
// endpoint with ready/serving/terminating conditions (terminating pods stay, not ready), a
// headless Service's StatefulSet pods carry their hostname, and a Service without pods still
// has its placeholder slice. Slices are owned by their Service, so the garbage collector
// removes them with it.
type EndpointSliceController struct {
	env Env
}

// NewEndpointSliceController makes the controller.
func NewEndpointSliceController(env Env) *EndpointSliceController {
	return &EndpointSliceController{env: env}
}

func (e *EndpointSliceController) Name() string { return "endpointslice" }

// Observe resyncs a namespace on any pod, Service or managed slice change (as the Endpoints
// controller does; a simulator holds few Services).
func (e *EndpointSliceController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case podsRes.Name, svcRes.Name, sliceRes.Name:
		e.env.Queue.Add(Key{Controller: e.Name(), Namespace: objMeta(ev.Object).GetNamespace()})
	}
}

func (e *EndpointSliceController) Sync(k Key) error {
	// Services and pods are only read: the store's own objects from its index, no copies.
	svcs := e.env.Store.Select(svcRes, store.Query{Namespace: k.Namespace})
	pods := e.env.Store.Select(podsRes, store.Query{Namespace: k.Namespace})
	slices, _ := e.env.Store.List(sliceRes, k.Namespace, labels.SelectorFromSet(labels.Set{discoveryv1.LabelManagedBy: sliceManagedBy}), nil)
	owned := map[string][]*discoveryv1.EndpointSlice{}
	for _, o := range slices {
		es := o.(*discoveryv1.EndpointSlice)
		owned[es.Labels[labelServiceName]] = append(owned[es.Labels[labelServiceName]], es)
	}
	for _, o := range svcs {
		svc := o.(*corev1.Service)
		if len(svc.Spec.Selector) == 0 || svc.DeletionTimestamp != nil {
			continue
		}
		have := owned[svc.Name]
		delete(owned, svc.Name)
		if err := e.syncService(svc, pods, have); err != nil {
			return err
		}
	}
	// Slices of Services that are gone or lost their selector.
	for _, list := range owned {
		for _, es := range list {
			if err := e.delete(es); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *EndpointSliceController) delete(es *discoveryv1.EndpointSlice) error {
	uid := es.UID
	if _, err := e.env.Store.Delete(sliceRes, es.Namespace, es.Name, store.DeleteOptions{PreconditionUID: &uid}); err != nil &&
		!apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	return nil
}

func (e *EndpointSliceController) syncService(svc *corev1.Service, pods []runtime.Object, have []*discoveryv1.EndpointSlice) error {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	var endpoints []discoveryv1.Endpoint
	var firstPod *corev1.Pod
	for _, o := range pods {
		p := o.(*corev1.Pod)
		if !sel.Matches(labels.Set(p.Labels)) || p.Status.PodIP == "" ||
			p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if firstPod == nil {
			firstPod = p
		}
		terminating := p.DeletionTimestamp != nil
		serving := podReady(p) || svc.Spec.PublishNotReadyAddresses
		ready := serving && !terminating
		ep := discoveryv1.Endpoint{
			Addresses:  []string{p.Status.PodIP},
			Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(ready), Serving: ptrTo(serving), Terminating: ptrTo(terminating)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
			NodeName:   ptrTo(p.Spec.NodeName),
		}
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && headless {
			ep.Hostname = ptrTo(p.Spec.Hostname)
		}
		endpoints = append(endpoints, ep)
	}
	sort.Slice(endpoints, func(i, j int) bool { return endpoints[i].Addresses[0] < endpoints[j].Addresses[0] })
	var ports []discoveryv1.EndpointPort
	if len(endpoints) > 0 {
		for _, sp := range svc.Spec.Ports {
			ports = append(ports, discoveryv1.EndpointPort{Name: ptrTo(sp.Name), Port: ptrTo(targetPort(sp, firstPod)),
				Protocol: ptrTo(sp.Protocol), AppProtocol: sp.AppProtocol})
		}
	}
	if endpoints == nil {
		endpoints = []discoveryv1.Endpoint{}
	}
	lbl := map[string]string{}
	for k, v := range svc.Labels {
		lbl[k] = v
	}
	lbl[labelServiceName] = svc.Name
	lbl[discoveryv1.LabelManagedBy] = sliceManagedBy
	if headless {
		lbl[corev1.IsHeadlessService] = ""
	}
	if len(have) == 0 {
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{GenerateName: svc.Name + "-", Namespace: svc.Namespace, Labels: lbl,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
					Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: endpoints, Ports: ports,
		}
		_, err := e.env.Store.Create(sliceRes, es)
		return err
	}
	sort.Slice(have, func(i, j int) bool { return have[i].Name < have[j].Name })
	for _, extra := range have[1:] {
		if err := e.delete(extra); err != nil {
			return err
		}
	}
	es := have[0]
	if equality.Semantic.DeepEqual(es.Endpoints, endpoints) && equality.Semantic.DeepEqual(es.Ports, ports) &&
		equality.Semantic.DeepEqual(es.Labels, lbl) {
		return nil
	}
	es = es.DeepCopy()
	es.Endpoints, es.Ports, es.Labels = endpoints, ports, lbl
	if _, err := e.env.Store.Update(sliceRes, es, store.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
