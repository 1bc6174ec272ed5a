package controller

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// EndpointsController keeps an Endpoints object for every Service with a selector: Ready pods
// in addresses, the others in notReadyAddresses, with hostname for a headless Service's
// StatefulSet pods (what DNS serves as web-0.nginx).
type EndpointsController struct {
	env Env
	// built remembers each Service's address per pod uid (loop goroutine only), as
	// EndpointSliceController.built does: unchanged pods reuse the address written last time.
	built map[string]map[types.UID]builtAddress
	// views: each Service's selected pods in address order, kept from the changed pods
	// (endpoints_view.go); loop goroutine only.
	views map[string]*epView[readyAddress]
	delta podDelta
}

type readyAddress struct {
	ready bool
	addr  corev1.EndpointAddress
}

type builtAddress struct {
	ip, node, hostname string
	addr               corev1.EndpointAddress // shared with stored Endpoints: read-only
}

// NewEndpointsController makes the controller.
func NewEndpointsController(env Env) *EndpointsController {
	return &EndpointsController{env: env, built: map[string]map[types.UID]builtAddress{},
		views: map[string]*epView[readyAddress]{}}
}

func (e *EndpointsController) Name() string { return "endpoints" }

// Observe resyncs a namespace on a pod or service change, noting which pod changed so the
// sync looks at it alone (the listener may not read the store to find the matching Services).
func (e *EndpointsController) Observe(ev store.Event) {
	e.delta.observe(ev, e.env.Queue, e.Name())
}

// endpointInputsChanged: a pod event can change what the Endpoints and EndpointSlice
// controllers build. They read of a pod only its labels, IP, phase, Ready condition,
// deletionTimestamp, node, hostname, subdomain and container ports, and skip pods without an
// IP; so a pod that has no IP before or after, or whose read fields did not move (most of a
// pod's life: scheduling, containers starting before the IP), needs no resync of the
// namespace.
func endpointInputsChanged(ev store.Event) bool {
	p, _ := ev.Object.(*corev1.Pod)
	if p == nil {
		return true
	}
	old, _ := ev.Old.(*corev1.Pod)
	if ev.Type != watch.Modified || old == nil {
		return p.Status.PodIP != "" // added or deleted
	}
	if p.Status.PodIP == "" && old.Status.PodIP == "" {
		return false
	}
	return p.Status.PodIP != old.Status.PodIP || p.Status.Phase != old.Status.Phase || podReady(p) != podReady(old) ||
		(p.DeletionTimestamp == nil) != (old.DeletionTimestamp == nil) || p.Spec.NodeName != old.Spec.NodeName ||
		p.Spec.Hostname != old.Spec.Hostname || p.Spec.Subdomain != old.Spec.Subdomain ||
		!store.SemanticEqual(p.Labels, old.Labels) || !store.SemanticEqual(p.Spec.Containers, old.Spec.Containers)
}

func (e *EndpointsController) Sync(k Key) error {
	return e.delta.syncWith(k.Namespace, e.sync)
}

func (e *EndpointsController) sync(ns string, names []string, full bool) error {
	// Read-only views from the store's indexes: nothing here is written back.
	svcs := e.env.Store.Select(svcRes, store.Query{Namespace: ns})
	var pods []runtime.Object
	listed := false
	live := map[string]bool{}
	for _, o := range svcs {
		svc := o.(*corev1.Service)
		if len(svc.Spec.Selector) == 0 {
			continue // endpoints of selector-less services are managed by hand
		}
		live[svc.Name] = true
		v := e.views[svc.Namespace+"/"+svc.Name]
		if full || v == nil || v.svc != svc {
			if !listed {
				pods, listed = e.env.Store.Select(podsRes, store.Query{Namespace: ns}), true
			}
			v = nil
		}
		if err := e.syncService(svc, v, names, pods); err != nil {
			return err
		}
	}
	for key := range e.built {
		if kns, name, _ := strings.Cut(key, "/"); kns == ns && !live[name] {
			delete(e.built, key)
			delete(e.views, key)
		}
	}
	// Delete the endpoints of services that are gone (only the ones we manage).
	eps := e.env.Store.Select(epRes, store.Query{Namespace: ns})
	for _, o := range eps {
		ep := o.(*corev1.Endpoints)
		if !live[ep.Name] && ep.Labels["endpoints.kubernetes.io/managed-by"] == "endpoint-controller" {
			if _, err := e.env.Store.Delete(epRes, ep.Namespace, ep.Name, store.DeleteOptions{Owned: true}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// syncService brings svc's Endpoints up to date: from view v updated with the pods named in
// names, or (v nil) from a view built from pods.
func (e *EndpointsController) syncService(svc *corev1.Service, v *epView[readyAddress], names []string, pods []runtime.Object) error {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var ready, notReady []corev1.EndpointAddress
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	svcKey := svc.Namespace + "/" + svc.Name
	prev := e.built[svcKey]
	if prev == nil || prev[""].ip != string(svc.UID) {
		// New or recreated Service: the "" entry remembers whose cache this is.
		prev = map[types.UID]builtAddress{"": {ip: string(svc.UID)}}
		e.built[svcKey] = prev
	}
	slot := func(p *corev1.Pod) *epSlot[readyAddress] {
		in, val := addressOf(svc, sel, prev, p)
		if !in {
			return nil
		}
		return &epSlot[readyAddress]{pod: p, key: val.addr.IP, val: val}
	}
	if v == nil {
		v = newEPView[readyAddress](svc)
		v.counts = isReadyAddress
		v.fill(pods, slot)
		e.views[svcKey] = v
	} else {
		v.apply(names, func(name string) *corev1.Pod {
			return e.env.peekPod(svc.Namespace, name)
		}, slot, func(a, b *epSlot[readyAddress]) bool {
			return a.val.ready == b.val.ready && sameAddr(&a.val.addr, &b.val.addr)
		})
	}
	// known: the stored object is the one this view left last time, so whether it needs a
	// write is known without comparing a thousand addresses.
	cur, ok := e.env.Store.Peek(epRes, svc.Namespace, svc.Name)
	var ep *corev1.Endpoints // the stored object (read-only); nil when there is none
	if ok {
		ep = cur.(*corev1.Endpoints)
	}
	known := false
	if ok && v.written != nil && cur == v.written {
		if !v.changed {
			return nil // nothing it shows moved
		}
		known = true
	}
	sorted := v.order
	firstPod := v.firstPod(svc)
	// Both lists sorted by IP: one sorted pass split in two. When they are what the stored
	// Endpoints hold, those lists are reused instead of built to be compared and dropped.
	var old *corev1.EndpointSubset
	reuse, edited := false, false
	if known {
		// The stored lists are the order before the tracked changes: edit them (copying the
		// runs between the few changed places) instead of gathering every slot again.
		ready, notReady, edited = editWritten(v, sorted)
	} else {
		old, reuse = storedAddresses(ep, sorted)
	}
	if reuse {
		ready, notReady = old.Addresses, old.NotReadyAddresses
	} else if !edited {
		nReady := v.counted
		if nReady > 0 {
			ready = make([]corev1.EndpointAddress, 0, nReady)
		}
		if len(sorted) > nReady {
			notReady = make([]corev1.EndpointAddress, 0, len(sorted)-nReady)
		}
		for _, sl := range sorted {
			if sl.val.ready {
				ready = append(ready, sl.val.addr)
			} else {
				notReady = append(notReady, sl.val.addr)
			}
		}
	}
	if n := len(ready) + len(notReady); len(prev) > 2*n+64 {
		// Forget pods that are gone, now and then rather than on every sync.
		keep := map[types.UID]bool{"": true}
		for _, list := range [][]corev1.EndpointAddress{ready, notReady} {
			for _, a := range list {
				keep[a.TargetRef.UID] = true
			}
		}
		for uid := range prev {
			if !keep[uid] {
				delete(prev, uid)
			}
		}
	}
	var subsets []corev1.EndpointSubset
	if len(ready)+len(notReady) > 0 {
		var ports []corev1.EndpointPort
		if ep != nil && len(ep.Subsets) == 1 && endpointPortsAre(ep.Subsets[0].Ports, svc, firstPod) {
			ports = ep.Subsets[0].Ports
		} else {
			for _, sp := range svc.Spec.Ports {
				ports = append(ports, corev1.EndpointPort{Name: sp.Name, Port: targetPort(sp, firstPod), Protocol: sp.Protocol})
			}
		}
		subsets = []corev1.EndpointSubset{{Addresses: ready, NotReadyAddresses: notReady, Ports: ports}}
	}
	var stored map[string]string
	if ep != nil {
		stored = ep.Labels
	}
	extra := [][2]string{{"endpoints.kubernetes.io/managed-by", "endpoint-controller"}}
	if headless {
		extra = append(extra, [2]string{corev1.IsHeadlessService, ""})
	}
	lbl := ownLabels(stored, svc.Labels, extra...)
	if ep == nil {
		created := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace, Labels: lbl}, Subsets: subsets}
		out, err := e.env.Store.CreateWith(epRes, created, store.CreateOptions{Owned: true})
		v.settle(out, err)
		return err
	}
	if !known && sameSubsets(ep.Subsets, subsets) && store.SemanticEqual(ep.Labels, lbl) {
		v.settle(ep, nil)
		return nil // status written only when it changes
	}
	// A new top level over the stored object's metadata (read-only), with the fields we own.
	cp := *ep
	cp.Subsets, cp.Labels = subsets, lbl
	out, err := e.env.Store.Update(epRes, &cp, store.UpdateOptions{Owned: true, Differs: true}) // compared above
	v.settle(out, err)
	return err
}

// editWritten builds the ready and not-ready lists of v's order from the lists of v.written
// (the stored object this view left) and the slots dropped and added since; ok false when
// those changes are not known. The result equals gathering the slots in order.
func editWritten(v *epView[readyAddress], sorted []*epSlot[readyAddress]) (ready, notReady []corev1.EndpointAddress, ok bool) {
	drops, adds, ok := v.log.net()
	if !ok {
		return nil, nil, false
	}
	ep, _ := v.written.(*corev1.Endpoints)
	if ep == nil || len(ep.Subsets) > 1 {
		return nil, nil, false
	}
	var oldReady, oldNotReady []corev1.EndpointAddress
	if len(ep.Subsets) == 1 {
		oldReady, oldNotReady = ep.Subsets[0].Addresses, ep.Subsets[0].NotReadyAddresses
	}
	nReady := v.counted
	isReady := func(sl *epSlot[readyAddress]) bool { return sl.val.ready }
	notReadyOnly := func(sl *epSlot[readyAddress]) bool { return !sl.val.ready }
	ready, ok = editSorted(oldReady, drops, adds, isReady, slotAddr, addrCmp, sameAddr, nReady)
	if !ok {
		return nil, nil, false
	}
	notReady, ok = editSorted(oldNotReady, drops, adds, notReadyOnly, slotAddr, addrCmp, sameAddr, len(sorted)-nReady)
	return ready, notReady, ok
}

func isReadyAddress(a readyAddress) bool { return a.ready }

func slotAddr(sl *epSlot[readyAddress]) *corev1.EndpointAddress { return &sl.val.addr }

// addrCmp orders an address against a slot as slotCmp orders slots: by IP, then pod name.
func addrCmp(a corev1.EndpointAddress, sl *epSlot[readyAddress]) int {
	if c := strings.Compare(a.IP, sl.key); c != 0 {
		return c
	}
	name := ""
	if a.TargetRef != nil {
		name = a.TargetRef.Name
	}
	return strings.Compare(name, sl.pod.Name)
}

// storedAddresses returns the stored Endpoints' (ep, nil when none) one subset when its
// addresses are exactly the sorted slots' (read-only).
func storedAddresses(ep *corev1.Endpoints, sorted []*epSlot[readyAddress]) (*corev1.EndpointSubset, bool) {
	if ep == nil || len(sorted) == 0 || len(ep.Subsets) != 1 {
		return nil, false
	}
	sub := &ep.Subsets[0]
	if len(sub.Addresses)+len(sub.NotReadyAddresses) != len(sorted) {
		return nil, false
	}
	i, j := 0, 0
	for _, sl := range sorted {
		var a *corev1.EndpointAddress
		if sl.val.ready {
			if i == len(sub.Addresses) {
				return nil, false
			}
			a = &sub.Addresses[i]
			i++
		} else {
			if j == len(sub.NotReadyAddresses) {
				return nil, false
			}
			a = &sub.NotReadyAddresses[j]
			j++
		}
		if !sameAddr(a, &sl.val.addr) {
			return nil, false
		}
	}
	return sub, true
}

// addressOf is what pod p contributes to svc's Endpoints: whether it is in, and its address
// (the one built last time for the pod's uid when nothing it shows changed).
func addressOf(svc *corev1.Service, sel labels.Selector, prev map[types.UID]builtAddress, p *corev1.Pod) (bool, readyAddress) {
	if !sel.Matches(labels.Set(p.Labels)) || p.Status.PodIP == "" || p.DeletionTimestamp != nil ||
		p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false, readyAddress{}
	}
	b := builtAddress{ip: p.Status.PodIP, node: p.Spec.NodeName}
	if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name {
		b.hostname = p.Spec.Hostname
	}
	if old, ok := prev[p.UID]; ok && old.ip == b.ip && old.node == b.node && old.hostname == b.hostname {
		b = old
	} else {
		b.addr = corev1.EndpointAddress{IP: b.ip, NodeName: ptrTo(b.node), Hostname: b.hostname,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID}}
		prev[p.UID] = b
	}
	return true, readyAddress{ready: podReady(p) || svc.Spec.PublishNotReadyAddresses, addr: b.addr}
}

// sameSubsets compares what syncService builds field by field: a reflective DeepEqual over a
// thousand addresses cost more than building them.
func sameSubsets(a, b []corev1.EndpointSubset) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameAddrs(a[i].Addresses, b[i].Addresses) || !sameAddrs(a[i].NotReadyAddresses, b[i].NotReadyAddresses) ||
			!store.SemanticEqual(a[i].Ports, b[i].Ports) {
			return false
		}
	}
	return true
}

func sameAddrs(a, b []corev1.EndpointAddress) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true // the same stored list
	}
	for i := range a {
		if !sameAddr(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

func sameAddr(x, y *corev1.EndpointAddress) bool {
	return x.IP == y.IP && x.Hostname == y.Hostname && (x.NodeName == nil) == (y.NodeName == nil) &&
		(x.NodeName == nil || *x.NodeName == *y.NodeName) && (x.TargetRef == nil) == (y.TargetRef == nil) &&
		(x.TargetRef == nil || *x.TargetRef == *y.TargetRef)
}

// endpointPortsAre: ports are what syncService builds from svc's ports.
func endpointPortsAre(ports []corev1.EndpointPort, svc *corev1.Service, firstPod *corev1.Pod) bool {
	if len(ports) != len(svc.Spec.Ports) {
		return false
	}
	for i, sp := range svc.Spec.Ports {
		if ports[i] != (corev1.EndpointPort{Name: sp.Name, Port: targetPort(sp, firstPod), Protocol: sp.Protocol}) {
			return false
		}
	}
	return true
}

// ownLabels is the Service's labels with extra set over them: stored itself when it holds
// exactly that (stored objects are read-only, so a write may share the map), else a new map.
// Every Endpoints and EndpointSlice write built a new map that equalled the stored one.
func ownLabels(stored, svc map[string]string, extra ...[2]string) map[string]string {
	n := len(svc)
	for _, kv := range extra {
		if _, ok := svc[kv[0]]; !ok {
			n++
		}
	}
	same := stored != nil && len(stored) == n
	for _, kv := range extra {
		if !same {
			break
		}
		v, ok := stored[kv[0]]
		same = ok && v == kv[1]
	}
	for k, v := range svc {
		if !same {
			break
		}
		if slices.ContainsFunc(extra, func(kv [2]string) bool { return kv[0] == k }) {
			continue // set over by extra, checked above
		}
		sv, ok := stored[k]
		same = ok && sv == v
	}
	if same {
		return stored
	}
	lbl := make(map[string]string, n)
	for k, v := range svc {
		lbl[k] = v
	}
	for _, kv := range extra {
		lbl[kv[0]] = kv[1]
	}
	return lbl
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
