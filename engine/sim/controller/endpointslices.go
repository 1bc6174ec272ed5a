package controller

import (
	"errors"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var sliceRes = store.MustLookup("endpointslices")

const (
	sliceManagedBy = "endpointslice-controller.k8s.io"
	// A Service's slices are found by this label, as kubectl describe and kube-proxy find them.
	labelServiceName = discoveryv1.LabelServiceName
)

// EndpointSliceController keeps IPv4 EndpointSlices for every Service with a selector, as the
// real endpointslice controller does: one slice per 100 endpoints (its default
// --max-endpoints-per-slice; endpointslices_parts.go), every pod with an IP is an
// endpoint with ready/serving/terminating conditions (terminating pods stay, not ready), a
// headless Service's StatefulSet pods carry their hostname, and a Service without pods still
// has its placeholder slice. Slices are owned by their Service, so the garbage collector
// removes them with it.
type EndpointSliceController struct {
	env Env
	// built remembers each Service's endpoint per pod uid (loop goroutine only): a pod whose
	// inputs did not change gets the very Endpoint written last time, so a sync allocates only
	// for pods that moved and the comparison with the stored slice short-circuits on shared
	// pointers.
	built map[string]map[types.UID]builtEndpoint
	// views: each Service's endpoints in address order, kept from the changed pods
	// (endpoints_view.go); loop goroutine only.
	views map[string]*sliceView
	delta podDelta
	// writing is the slice this controller is handing to the store right now (Owned: the
	// store keeps that very object), so Observe knows its own write's event and does not
	// queue a sync for it: as the real controller's endpointSliceTracker, which skips the
	// slices it wrote itself. That echo sync found nothing to do, after walking the
	// namespace's slices.
	writeMu sync.Mutex
	writing runtime.Object
}

type builtEndpoint struct {
	ip, node, hostname          string
	ready, serving, terminating bool
	ep                          discoveryv1.Endpoint // shared with stored slices: read-only
}

// NewEndpointSliceController makes the controller.
func NewEndpointSliceController(env Env) *EndpointSliceController {
	return &EndpointSliceController{env: env, built: map[string]map[types.UID]builtEndpoint{},
		views: map[string]*sliceView{}}
}

func (e *EndpointSliceController) Name() string { return "endpointslice" }

// Observe resyncs a namespace on any pod, Service or managed slice change (as the Endpoints
// controller does; a simulator holds few Services), noting which pod changed.
func (e *EndpointSliceController) Observe(ev store.Event) {
	if e.delta.observe(ev, e.env.Queue, e.Name()) {
		return
	}
	if ev.Resource.Name == sliceRes.Name {
		e.writeMu.Lock()
		own := ev.Object != nil && ev.Object == e.writing
		e.writeMu.Unlock()
		if own {
			return
		}
		// A slice written by someone else (or deleted) is put right from the views, which
		// still hold every endpoint: no rebuild needed.
		e.env.Queue.Add(Key{Controller: e.Name(), Namespace: objMeta(ev.Object).GetNamespace()})
	}
}

func (e *EndpointSliceController) Sync(k Key) error {
	return e.delta.syncWith(k.Namespace, e.sync)
}

func (e *EndpointSliceController) sync(ns string, names []string, full bool) error {
	// Services and pods are only read: the store's own objects from its index, no copies.
	svcs := e.env.Store.Select(svcRes, store.Query{Namespace: ns})
	var pods []runtime.Object
	listed := false
	owned := map[string][]*discoveryv1.EndpointSlice{}
	for _, o := range e.env.Store.Select(sliceRes, store.Query{Namespace: ns}) {
		es := o.(*discoveryv1.EndpointSlice) // read-only
		if es.Labels[discoveryv1.LabelManagedBy] == sliceManagedBy {
			owned[es.Labels[labelServiceName]] = append(owned[es.Labels[labelServiceName]], es)
		}
	}
	live := map[string]bool{}
	for _, o := range svcs {
		svc := o.(*corev1.Service)
		if len(svc.Spec.Selector) == 0 || svc.DeletionTimestamp != nil {
			continue
		}
		live[svc.Name] = true
		have := owned[svc.Name]
		delete(owned, svc.Name)
		v := e.views[svc.Namespace+"/"+svc.Name]
		if full || v == nil || v.svc != svc {
			if !listed {
				pods, listed = e.env.Store.Select(podsRes, store.Query{Namespace: ns}), true
			}
			v = nil
		}
		if err := e.syncService(svc, v, names, pods, have); err != nil {
			return err
		}
	}
	// Slices of Services that are gone or lost their selector.
	for key := range e.built {
		if kns, name, _ := strings.Cut(key, "/"); kns == ns && !live[name] {
			delete(e.built, key)
			delete(e.views, key)
		}
	}
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
	if _, err := e.env.Store.Delete(sliceRes, es.Namespace, es.Name, store.DeleteOptions{PreconditionUID: &uid, Owned: true}); err != nil &&
		!apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		return err
	}
	return nil
}

// syncService brings svc's slices up to date: from view v updated with the pods named in
// names, or (v nil) from a view built from pods and the stored slices have.
func (e *EndpointSliceController) syncService(svc *corev1.Service, v *sliceView, names []string, pods []runtime.Object, have []*discoveryv1.EndpointSlice) error {
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	headless := svc.Spec.ClusterIP == corev1.ClusterIPNone
	svcKey := svc.Namespace + "/" + svc.Name
	prev := e.built[svcKey]
	if prev == nil || prev[""].ip != string(svc.UID) {
		// New or recreated Service: the "" entry remembers whose cache this is.
		prev = map[types.UID]builtEndpoint{"": {ip: string(svc.UID)}}
		e.built[svcKey] = prev
	}
	slot := func(p *corev1.Pod) *epSlotE {
		in, val := e.endpointOf(svc, sel, headless, prev, p)
		if !in {
			return nil
		}
		return &epSlotE{pod: p, key: val.Addresses[0], val: val}
	}
	if v == nil {
		v = &sliceView{svc: svc}
		v.fill(pods, have, slot)
		e.views[svcKey] = v
	} else {
		v.apply(names, func(name string) *corev1.Pod {
			return e.env.peekPod(svc.Namespace, name)
		}, slot)
	}
	if len(prev) > 2*len(v.byName)+64 {
		// Forget pods that are gone, now and then rather than on every sync.
		for uid, b := range prev {
			if uid == "" || b.ep.TargetRef == nil {
				continue
			}
			if en := v.byName[b.ep.TargetRef.Name]; en == nil || en.sl.pod.UID != uid {
				delete(prev, uid)
			}
		}
	}
	stored := map[string]*discoveryv1.EndpointSlice{}
	for _, es := range have {
		stored[es.Name] = es
	}
	// Parts left empty go, unless one is all the Service has (it keeps an empty slice).
	kept := v.parts[:0]
	keepFirst := allEmpty(v.parts)
	for i, p := range v.parts {
		if len(p.members) == 0 && !(keepFirst && i == 0) {
			if es := stored[p.name]; es != nil {
				if err := e.delete(es); err != nil {
					return err
				}
			}
			continue
		}
		kept = append(kept, p)
	}
	v.parts = kept
	firstPod := v.firstPod(svc)
	var errs []error
	for _, p := range v.parts {
		es := stored[p.name]
		delete(stored, p.name)
		if es == nil {
			p.name, p.written, p.dirty = "", nil, true // never written, or deleted by someone
		} else if runtime.Object(es) != p.written {
			p.dirty = true // written by someone else meanwhile: compare again
		}
		if !p.dirty {
			continue
		}
		out, err := e.write(svc, es, p, firstPod, headless)
		p.settle(out, err)
		if err != nil {
			errs = append(errs, err)
		}
	}
	// Slices of this Service that no part holds.
	for _, es := range stored {
		if err := e.delete(es); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// allEmpty: no part in ps has members.
func allEmpty(ps []*slicePart) bool {
	for _, p := range ps {
		if len(p.members) > 0 {
			return false
		}
	}
	return true
}

// endpointOf is what pod p contributes to svc's slice: whether it is in, and its endpoint
// (the one built last time for the pod's uid when nothing it shows changed).
func (e *EndpointSliceController) endpointOf(svc *corev1.Service, sel labels.Selector, headless bool, prev map[types.UID]builtEndpoint, p *corev1.Pod) (bool, discoveryv1.Endpoint) {
	if !sel.Matches(labels.Set(p.Labels)) || p.Status.PodIP == "" ||
		p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false, discoveryv1.Endpoint{}
	}
	{
		b := builtEndpoint{ip: p.Status.PodIP, node: p.Spec.NodeName, terminating: p.DeletionTimestamp != nil,
			serving: podReady(p) || svc.Spec.PublishNotReadyAddresses}
		b.ready = b.serving && !b.terminating
		if p.Spec.Hostname != "" && p.Spec.Subdomain == svc.Name && headless {
			b.hostname = p.Spec.Hostname
		}
		if old, ok := prev[p.UID]; ok && old.ip == b.ip && old.node == b.node && old.hostname == b.hostname &&
			old.ready == b.ready && old.serving == b.serving && old.terminating == b.terminating {
			return true, old.ep
		}
		b.ep = discoveryv1.Endpoint{
			Addresses:  []string{b.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(b.ready), Serving: ptrTo(b.serving), Terminating: ptrTo(b.terminating)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
			NodeName:   ptrTo(b.node),
		}
		if b.hostname != "" {
			b.ep.Hostname = ptrTo(b.hostname)
		}
		prev[p.UID] = b
		return true, b.ep
	}
}

// write stores one of svc's slices (es, or a new one when nil) with the members' endpoints
// when it changed, and returns the stored slice it leaves (nil when unknown).
func (e *EndpointSliceController) write(svc *corev1.Service, es *discoveryv1.EndpointSlice, p *slicePart, firstPod *corev1.Pod, headless bool) (runtime.Object, error) {
	members := p.members
	var endpoints []discoveryv1.Endpoint
	edited, differs := false, false
	if es != nil && runtime.Object(es) == p.written {
		// The stored slice is the one this part left: edit its list where members moved.
		if drops, adds, ok := p.log.net(); ok {
			endpoints, edited = editSorted(es.Endpoints, drops, adds, anySlot, slotEndpoint, endpointCmp, sameEndpoint, len(members))
			// An edit that surely changed the list needs no walk to find it differs.
			differs = edited && editChanges(drops, adds, anySlot, slotEndpoint, sameEndpoint)
		}
	}
	switch {
	case edited:
	case es != nil && len(members) > 0 && sameAsSlots(es.Endpoints, members):
		endpoints = es.Endpoints // stored: read-only
	default:
		endpoints = make([]discoveryv1.Endpoint, 0, len(members))
		for _, sl := range members {
			endpoints = append(endpoints, sl.val)
		}
	}
	var ports []discoveryv1.EndpointPort
	if len(endpoints) > 0 && es != nil && slicePortsAre(es.Ports, svc, firstPod) {
		ports = es.Ports // stored: read-only
	} else if len(endpoints) > 0 {
		for _, sp := range svc.Spec.Ports {
			ports = append(ports, discoveryv1.EndpointPort{Name: ptrTo(sp.Name), Port: ptrTo(targetPort(sp, firstPod)),
				Protocol: ptrTo(sp.Protocol), AppProtocol: sp.AppProtocol})
		}
	}
	var stored map[string]string
	if es != nil {
		stored = es.Labels
	}
	extra := [][2]string{{labelServiceName, svc.Name}, {discoveryv1.LabelManagedBy, sliceManagedBy}}
	if headless {
		extra = append(extra, [2]string{corev1.IsHeadlessService, ""})
	}
	lbl := ownLabels(stored, svc.Labels, extra...)
	if es == nil {
		es := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{GenerateName: svc.Name + "-", Namespace: svc.Namespace, Labels: lbl,
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: svc.Name, UID: svc.UID,
					Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}}},
			AddressType: discoveryv1.AddressTypeIPv4, Endpoints: endpoints, Ports: ports,
		}
		defer e.handing(es)()
		return e.env.Store.CreateWith(sliceRes, es, store.CreateOptions{Owned: true})
	}
	if !differs && sameEndpoints(es.Endpoints, endpoints) && store.SemanticEqual(es.Ports, ports) &&
		store.SemanticEqual(es.Labels, lbl) {
		return es, nil
	}
	// A new top level over the stored slice's metadata (read-only), with the fields we own.
	cp := *es
	cp.Endpoints, cp.Ports, cp.Labels = endpoints, ports, lbl
	done := e.handing(&cp)
	out, err := e.env.Store.Update(sliceRes, &cp, store.UpdateOptions{Owned: true, Differs: true}) // compared above
	done()
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		return nil, err
	}
	if err != nil {
		return nil, nil
	}
	return out, nil
}

// slicePortsAre: ports are what write builds from svc's ports (checked in place: building
// them took four allocations a port on every slice write).
func slicePortsAre(ports []discoveryv1.EndpointPort, svc *corev1.Service, firstPod *corev1.Pod) bool {
	if len(ports) != len(svc.Spec.Ports) {
		return false
	}
	for i, sp := range svc.Spec.Ports {
		p := ports[i]
		if p.Name == nil || *p.Name != sp.Name || p.Port == nil || *p.Port != targetPort(sp, firstPod) ||
			p.Protocol == nil || *p.Protocol != sp.Protocol || !sameString(p.AppProtocol, sp.AppProtocol) {
			return false
		}
	}
	return true
}

func anySlot(*epSlotE) bool                          { return true }
func slotEndpoint(sl *epSlotE) *discoveryv1.Endpoint { return &sl.val }

// endpointCmp orders an endpoint against a slot as slotCmp orders slots: by address, then pod
// name.
func endpointCmp(ep discoveryv1.Endpoint, sl *epSlotE) int {
	addr := ""
	if len(ep.Addresses) > 0 {
		addr = ep.Addresses[0]
	}
	if c := strings.Compare(addr, sl.key); c != 0 {
		return c
	}
	name := ""
	if ep.TargetRef != nil {
		name = ep.TargetRef.Name
	}
	return strings.Compare(name, sl.pod.Name)
}

// handing notes es as the slice being written until the returned func runs.
func (e *EndpointSliceController) handing(es runtime.Object) func() {
	e.writeMu.Lock()
	e.writing = es
	e.writeMu.Unlock()
	return func() {
		e.writeMu.Lock()
		e.writing = nil
		e.writeMu.Unlock()
	}
}

// sameEndpoints is SemanticEqual for the endpoints syncService builds, field by field: even
// without allocations, reflection over a thousand endpoints cost more than building them.
// Entries with fields we never set go to SemanticEqual.
func sameEndpoints(a, b []discoveryv1.Endpoint) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) > 0 && &a[0] == &b[0] {
		return true // the same stored list
	}
	for i := range a {
		if !sameEndpoint(&a[i], &b[i]) {
			return false
		}
	}
	return true
}

// sameAsSlots: a lists exactly the slots' endpoints, in order.
func sameAsSlots(a []discoveryv1.Endpoint, slots []*epSlotE) bool {
	if len(a) != len(slots) {
		return false
	}
	for i, sl := range slots {
		if !sameEndpoint(&a[i], &sl.val) {
			return false
		}
	}
	return true
}

func sameEndpoint(x, y *discoveryv1.Endpoint) bool {
	if x.Zone != nil || y.Zone != nil || x.Hints != nil || y.Hints != nil || len(x.DeprecatedTopology) > 0 ||
		len(y.DeprecatedTopology) > 0 || len(x.Addresses) != 1 || len(y.Addresses) != 1 {
		return store.SemanticEqual(*x, *y)
	}
	return x.Addresses[0] == y.Addresses[0] && sameBool(x.Conditions.Ready, y.Conditions.Ready) &&
		sameBool(x.Conditions.Serving, y.Conditions.Serving) && sameBool(x.Conditions.Terminating, y.Conditions.Terminating) &&
		sameString(x.Hostname, y.Hostname) && sameString(x.NodeName, y.NodeName) &&
		(x.TargetRef == nil) == (y.TargetRef == nil) && (x.TargetRef == nil || *x.TargetRef == *y.TargetRef)
}

func sameBool(a, b *bool) bool     { return a == b || (a != nil && b != nil && *a == *b) }
func sameString(a, b *string) bool { return a == b || (a != nil && b != nil && *a == *b) }
