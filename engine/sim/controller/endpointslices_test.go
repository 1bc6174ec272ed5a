package controller

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// TestSameEndpointsAgreesWithSemanticEqual: the hand-written comparison gives SemanticEqual's
// answer for one change of every field it reads, for copies and for shared pointers.
func TestSameEndpointsAgreesWithSemanticEqual(t *testing.T) {
	base := func() discoveryv1.Endpoint {
		return discoveryv1.Endpoint{Addresses: []string{"10.0.0.1"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptrTo(true), Serving: ptrTo(true), Terminating: ptrTo(false)},
			Hostname:   ptrTo("web-0"), NodeName: ptrTo("node-1"),
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: "web-0", UID: "u"}}
	}
	changes := map[string]func(*discoveryv1.Endpoint){
		"same":        func(*discoveryv1.Endpoint) {},
		"address":     func(e *discoveryv1.Endpoint) { e.Addresses = []string{"10.0.0.2"} },
		"two":         func(e *discoveryv1.Endpoint) { e.Addresses = append(e.Addresses, "10.0.0.2") },
		"ready":       func(e *discoveryv1.Endpoint) { e.Conditions.Ready = ptrTo(false) },
		"ready nil":   func(e *discoveryv1.Endpoint) { e.Conditions.Ready = nil },
		"serving":     func(e *discoveryv1.Endpoint) { e.Conditions.Serving = ptrTo(false) },
		"terminating": func(e *discoveryv1.Endpoint) { e.Conditions.Terminating = ptrTo(true) },
		"hostname":    func(e *discoveryv1.Endpoint) { e.Hostname = nil },
		"node":        func(e *discoveryv1.Endpoint) { e.NodeName = ptrTo("node-2") },
		"target":      func(e *discoveryv1.Endpoint) { e.TargetRef.UID = "v" },
		"target nil":  func(e *discoveryv1.Endpoint) { e.TargetRef = nil },
		"zone":        func(e *discoveryv1.Endpoint) { e.Zone = ptrTo("a") },
		"topology":    func(e *discoveryv1.Endpoint) { e.DeprecatedTopology = map[string]string{"a": "b"} },
	}
	for name, change := range changes {
		a := []discoveryv1.Endpoint{base(), base()}
		b := []discoveryv1.Endpoint{base(), base()}
		change(&b[1])
		want := store.SemanticEqual(a, b)
		if got := sameEndpoints(a, b); got != want {
			t.Errorf("%s: sameEndpoints = %v, SemanticEqual = %v", name, got, want)
		}
		if name == "same" && !want {
			t.Fatal("two builds of one endpoint should be equal")
		}
		if got := sameEndpoints(a, a); !got {
			t.Errorf("%s: a slice should equal itself", name)
		}
	}
}

// TestEPViewApplyMatchesFill: over syncs where pods come, go, change IP and leave the
// Service, the view kept from the changed pods alone lists exactly what a view built from all
// the pods lists, in the same order (IP, then name), with every pod once.
func TestEPViewApplyMatchesFill(t *testing.T) {
	// Without a same function every changed pod moves; with one, a pod whose new version
	// keeps its IP keeps its slot.
	testEPViewApply(t, nil)
	testEPViewApply(t, func(a, b *epSlot[int]) bool { return a.key == b.key })
}

func testEPViewApply(t *testing.T, same func(a, b *epSlot[int]) bool) {
	r := rand.New(rand.NewSource(1))
	pods := map[string]*corev1.Pod{} // the "store"
	slot := func(p *corev1.Pod) *epSlot[int] {
		if p.Labels["app"] != "web" || p.Status.PodIP == "" {
			return nil
		}
		return &epSlot[int]{pod: p, key: p.Status.PodIP}
	}
	peek := func(name string) *corev1.Pod { return pods[name] }
	v := newEPView[int](nil)
	for sync := 0; sync < 300; sync++ {
		var changed []string
		moves := r.Intn(4)
		if sync%50 == 0 {
			moves = 40 // many at once, as a first sync sees
		}
		for i := 0; i < moves; i++ {
			name := fmt.Sprintf("web-%d", r.Intn(60))
			switch r.Intn(4) {
			case 0:
				delete(pods, name)
			case 1: // leaves the selector
				pods[name] = &corev1.Pod{ObjectMeta: metaNamed(name, "db"), Status: corev1.PodStatus{PodIP: "10.0.0.1"}}
			default: // a new version, IPs sometimes shared (hostNetwork pods)
				pods[name] = &corev1.Pod{ObjectMeta: metaNamed(name, "web"),
					Status: corev1.PodStatus{PodIP: fmt.Sprintf("10.0.%d.%d", r.Intn(2), r.Intn(20))}}
			}
			changed = append(changed, name)
		}
		slices.Sort(changed)
		v.apply(slices.Compact(changed), peek, slot, same)

		var all []string
		for n := range pods {
			all = append(all, n)
		}
		slices.Sort(all)
		var objs []runtime.Object
		for _, n := range all {
			objs = append(objs, pods[n])
		}
		want := newEPView[int](nil)
		want.fill(objs, slot)
		if len(v.order) != len(want.order) || len(v.byName) != len(v.order) {
			t.Fatalf("sync %d: %d slots (%d by name), want %d", sync, len(v.order), len(v.byName), len(want.order))
		}
		for i := range want.order {
			if v.order[i].pod != want.order[i].pod {
				t.Fatalf("sync %d: slot %d is %s %s, want %s %s", sync, i, v.order[i].pod.Name, v.order[i].key,
					want.order[i].pod.Name, want.order[i].key)
			}
		}
	}
}

func metaNamed(name, app string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": app}}
}

// TestSliceViewParts: over random pod changes, every selected pod is in exactly one slice, no
// slice holds more than maxEndpointsPerSlice, each is sorted by (IP, name), a pod keeps its
// slice while it stays selected, and a rebuild from the stored slices keeps every endpoint
// where it was.
func TestSliceViewParts(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	pods := map[string]*corev1.Pod{}
	slot := func(p *corev1.Pod) *epSlotE {
		if p.Labels["app"] != "web" || p.Status.PodIP == "" {
			return nil
		}
		return &epSlotE{pod: p, key: p.Status.PodIP, val: discoveryv1.Endpoint{Addresses: []string{p.Status.PodIP},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: p.Name}}}
	}
	peek := func(name string) *corev1.Pod { return pods[name] }
	v := &sliceView{}
	v.fill(nil, nil, slot)
	where := map[string]*slicePart{}
	for sync := 0; sync < 200; sync++ {
		var changed []string
		moves := 1 + r.Intn(5)
		if sync%40 == 0 {
			moves = 150
		}
		for i := 0; i < moves; i++ {
			name := fmt.Sprintf("web-%d", r.Intn(400))
			switch r.Intn(5) {
			case 0:
				delete(pods, name)
			case 1:
				pods[name] = &corev1.Pod{ObjectMeta: metaNamed(name, "db"), Status: corev1.PodStatus{PodIP: "10.0.0.1"}}
			default:
				pods[name] = &corev1.Pod{ObjectMeta: metaNamed(name, "web"),
					Status: corev1.PodStatus{PodIP: fmt.Sprintf("10.1.%d.%d", r.Intn(3), r.Intn(250))}}
			}
			changed = append(changed, name)
		}
		slices.Sort(changed)
		v.apply(slices.Compact(changed), peek, slot)
		seen := map[string]bool{}
		for _, p := range v.parts {
			if len(p.members) > maxEndpointsPerSlice {
				t.Fatalf("sync %d: a slice holds %d endpoints", sync, len(p.members))
			}
			if !slices.IsSortedFunc(p.members, slotCmp[discoveryv1.Endpoint]) {
				t.Fatalf("sync %d: a slice is not sorted", sync)
			}
			for _, sl := range p.members {
				if seen[sl.pod.Name] {
					t.Fatalf("sync %d: %s is in two slices", sync, sl.pod.Name)
				}
				seen[sl.pod.Name] = true
				if v.byName[sl.pod.Name] == nil || v.byName[sl.pod.Name].part != p || v.byName[sl.pod.Name].sl != sl {
					t.Fatalf("sync %d: %s is not indexed where it is", sync, sl.pod.Name)
				}
				if old := where[sl.pod.Name]; old != nil && old != p && !slices.Contains(changed, sl.pod.Name) {
					t.Fatalf("sync %d: unchanged %s moved to another slice", sync, sl.pod.Name)
				}
				where[sl.pod.Name] = p
			}
		}
		for name, p := range pods {
			if (slot(p) != nil) != seen[name] {
				t.Fatalf("sync %d: %s selected %v, in a slice %v", sync, name, slot(p) != nil, seen[name])
			}
		}
		if len(seen) != len(v.byName) {
			t.Fatalf("sync %d: %d indexed, %d in slices", sync, len(v.byName), len(seen))
		}
		for name := range where {
			if !seen[name] {
				delete(where, name)
			}
		}
	}
	// A rebuild from stored slices keeps each endpoint in its slice.
	var have []*discoveryv1.EndpointSlice
	var objs []runtime.Object
	names := []string{}
	for n := range pods {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		objs = append(objs, pods[n])
	}
	for i, p := range v.parts {
		es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%c", 'a'+i)}}
		for _, sl := range p.members {
			es.Endpoints = append(es.Endpoints, sl.val)
		}
		have = append(have, es)
	}
	if len(v.byName) <= maxEndpointsPerSlice {
		t.Fatalf("the test should end with more than one slice's worth of pods, has %d", len(v.byName))
	}
	w := &sliceView{}
	w.fill(objs, have, slot)
	for i, p := range v.parts {
		for _, sl := range p.members {
			if got := w.byName[sl.pod.Name]; got == nil || got.part.name != have[i].Name {
				t.Fatalf("after a rebuild %s left slice %s", sl.pod.Name, have[i].Name)
			}
		}
	}
}
