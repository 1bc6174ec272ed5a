package controller

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

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

// TestPodSlotsSortedKeepsOrder: over syncs where pods come, go and change, the incrementally
// kept order is the full sort of the slots that are in.
func TestPodSlotsSortedKeepsOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	ps := &podSlots[int]{slots: map[*corev1.Pod]*podSlot[int]{}}
	var live []*podSlot[int]
	for sync := uint64(1); sync <= 300; sync++ {
		// Drop a few, add a few (sometimes many at once, as a first sync does).
		for i := 0; i < r.Intn(3) && len(live) > 0; i++ {
			j := r.Intn(len(live))
			live = append(live[:j], live[j+1:]...)
		}
		add := r.Intn(3)
		if sync%50 == 1 {
			add = 40
		}
		for i := 0; i < add; i++ {
			live = append(live, &podSlot[int]{in: true, key: fmt.Sprintf("10.0.%d.%d", r.Intn(4), r.Intn(256))})
		}
		for _, sl := range live {
			sl.used = sync
		}
		got := ps.sorted(live, sync)
		want := slices.Clone(live)
		slices.SortStableFunc(want, func(a, b *podSlot[int]) int { return strings.Compare(a.key, b.key) })
		if len(got) != len(want) {
			t.Fatalf("sync %d: %d slots, want %d", sync, len(got), len(want))
		}
		for i := range got {
			if got[i].key != want[i].key {
				t.Fatalf("sync %d: slot %d is %s, want %s", sync, i, got[i].key, want[i].key)
			}
		}
		seen := map[*podSlot[int]]bool{}
		for _, sl := range got {
			if seen[sl] {
				t.Fatalf("sync %d: a slot appears twice", sync)
			}
			seen[sl] = true
		}
	}
}
