package controller

import (
	"fmt"
	"math/rand"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// gatherAddrs is what syncService builds without the edit: every slot of the order in turn.
func gatherAddrs(order []*epSlot[readyAddress]) (ready, notReady []corev1.EndpointAddress) {
	for _, sl := range order {
		if sl.val.ready {
			ready = append(ready, sl.val.addr)
		} else {
			notReady = append(notReady, sl.val.addr)
		}
	}
	return ready, notReady
}

func endpointsOf(ready, notReady []corev1.EndpointAddress) *corev1.Endpoints {
	ep := &corev1.Endpoints{}
	if len(ready)+len(notReady) > 0 {
		ep.Subsets = []corev1.EndpointSubset{{Addresses: ready, NotReadyAddresses: notReady}}
	}
	return ep
}

// TestEndpointsEditMatchesGather: the Endpoints lists a sync edits from the last written ones
// (the changed places only) equal the lists gathered from every slot in order, through random
// pods coming, going, turning ready or not ready and sharing an IP (the simulator's per-node
// addresses wrap), and no list written before changes afterwards (stored objects are shared,
// read-only: a watcher replaying an old version must see it as it was).
func TestEndpointsEditMatchesGather(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	v := newEPView[readyAddress](nil)
	v.counts = isReadyAddress
	seq := 0
	newSlot := func(name string) *epSlot[readyAddress] {
		seq++
		ip := fmt.Sprintf("10.244.%d.%d", rng.Intn(3), 2+rng.Intn(40))
		p := &corev1.Pod{}
		p.Name, p.UID = name, types.UID(fmt.Sprint("uid-", seq))
		node := fmt.Sprintf("sim-node-%d", rng.Intn(3))
		return &epSlot[readyAddress]{pod: p, key: ip, val: readyAddress{ready: rng.Intn(3) > 0,
			addr: corev1.EndpointAddress{IP: ip, NodeName: &node, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: name, UID: p.UID}}}}
	}
	for i := 0; i < 120; i++ {
		v.put(newSlot(fmt.Sprintf("web-%d", i)))
	}
	r, nr := gatherAddrs(v.order)
	v.settle(endpointsOf(r, nr), nil)
	type kept struct {
		obj  *corev1.Endpoints
		copy *corev1.Endpoints
	}
	var history []kept
	edited := 0
	for round := 0; round < 400; round++ {
		changes := 1 + rng.Intn(4)
		if round%50 == 49 {
			changes = 3 * maxTracked // too many to track: the sync gathers
		}
		for c := 0; c < changes; c++ {
			name := fmt.Sprintf("web-%d", rng.Intn(160))
			switch {
			case v.byName[name] == nil:
				v.put(newSlot(name))
			case rng.Intn(3) == 0:
				v.remove(name) // the pod left (deleted, terminating, lost its IP)
			default:
				// A new version of the pod: readiness or IP moved (remove, then put, as apply does).
				v.remove(name)
				v.put(newSlot(name))
			}
		}
		if n := countReady(v.order); v.counted != n {
			t.Fatalf("round %d: the view counts %d ready slots, the order holds %d", round, v.counted, n)
		}
		wantR, wantNR := gatherAddrs(v.order)
		gotR, gotNR, ok := editWritten(v, v.order)
		if changes > maxTracked {
			if ok || !v.log.lost {
				t.Fatalf("round %d: %d changes edited (lost %v); want a gather", round, changes, v.log.lost)
			}
			gotR, gotNR = wantR, wantNR
		} else if !ok {
			t.Fatalf("round %d: %d tracked changes not edited", round, changes)
		} else {
			edited++
		}
		if !equality.Semantic.DeepEqual(gotR, wantR) || !equality.Semantic.DeepEqual(gotNR, wantNR) {
			t.Fatalf("round %d: edited lists differ from gathered ones:\n ready %d %v\n want  %d %v\n not ready %d %v\n want      %d %v",
				round, len(gotR), ips(gotR), len(wantR), ips(wantR), len(gotNR), ips(gotNR), len(wantNR), ips(wantNR))
		}
		ep := endpointsOf(gotR, gotNR)
		history = append(history, kept{ep, ep.DeepCopy()})
		v.settle(ep, nil)
	}
	if edited < 300 {
		t.Fatalf("%d of 400 rounds edited; want most", edited)
	}
	for i, h := range history {
		if !equality.Semantic.DeepEqual(h.obj, h.copy) {
			t.Fatalf("written version %d changed after later writes", i)
		}
	}
}

func ips(list []corev1.EndpointAddress) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.IP+"/"+a.TargetRef.Name)
	}
	return out
}

// TestEndpointsNoWriteWhenPutBack: a pod that turns not ready and ready again between two
// syncs leaves the Endpoints as they were, and the sync writes nothing (as the real
// controller, which compares before it writes): no new resourceVersion for watchers. The
// change tracking must not turn the pod's two moves into a write.
func TestEndpointsNoWriteWhenPutBack(t *testing.T) {
	st, q, c := webServiceRig(t, NewEndpointsController)
	ready := []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	for i := range 3 {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "default",
			Labels: map[string]string{"app": "web"}, UID: types.UID(fmt.Sprint("uid-", i))},
			Spec:   corev1.PodSpec{NodeName: "sim-node-0", Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.244.0.%d", i+2), Conditions: ready}}
		if _, err := st.Create(podsRes, p); err != nil {
			t.Fatal(err)
		}
	}
	sync := func() {
		for keys := q.take(); len(keys) > 0; keys = q.take() {
			for _, k := range keys {
				if err := c.Sync(k); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	sync()
	rv := func() string {
		o, ok := st.Peek(epRes, "default", "nginx")
		if !ok {
			t.Fatal("no Endpoints")
		}
		return o.(*corev1.Endpoints).ResourceVersion
	}
	before := rv()
	flip := func(conds []corev1.PodCondition) {
		o, _ := st.Peek(podsRes, "default", "web-1")
		p := o.(*corev1.Pod).DeepCopy()
		p.Status.Conditions = conds
		if _, err := st.Update(podsRes, p, store.UpdateOptions{Status: true}); err != nil {
			t.Fatal(err)
		}
	}
	flip(nil)
	flip(ready)
	sync()
	if after := rv(); after != before {
		t.Fatalf("Endpoints written (resourceVersion %s → %s) though they ended as they were", before, after)
	}
	flip(nil) // and a real change is still written
	sync()
	o, _ := st.Peek(epRes, "default", "nginx")
	if ep := o.(*corev1.Endpoints); len(ep.Subsets) != 1 || len(ep.Subsets[0].NotReadyAddresses) != 1 || len(ep.Subsets[0].Addresses) != 2 {
		t.Fatalf("after web-1 turned not ready: %+v", ep.Subsets)
	}
}

// TestOwnLabels: the labels an Endpoints or EndpointSlice write carries are the Service's with
// the controller's own set over them; the stored map is shared when it already holds exactly
// that, and any difference (a value, a key too many or too few, a Service label the
// controller's own overrides) gives a new map with the right content.
func TestOwnLabels(t *testing.T) {
	extra := [][2]string{{"managed-by", "ctrl"}, {"headless", ""}}
	want := map[string]string{"app": "web", "managed-by": "ctrl", "headless": ""}
	cases := []struct {
		name        string
		stored, svc map[string]string
		shared      bool
		want        map[string]string
	}{
		{"equal", map[string]string{"app": "web", "managed-by": "ctrl", "headless": ""}, map[string]string{"app": "web"}, true, want},
		{"value differs", map[string]string{"app": "db", "managed-by": "ctrl", "headless": ""}, map[string]string{"app": "web"}, false, want},
		{"extra differs", map[string]string{"app": "web", "managed-by": "other", "headless": ""}, map[string]string{"app": "web"}, false, want},
		{"key too many", map[string]string{"app": "web", "managed-by": "ctrl", "headless": "", "x": "y"}, map[string]string{"app": "web"}, false, want},
		{"key missing", map[string]string{"app": "web", "managed-by": "ctrl"}, map[string]string{"app": "web"}, false, want},
		{"no stored", nil, map[string]string{"app": "web"}, false, want},
		{"service sets an own key", map[string]string{"app": "web", "managed-by": "ctrl", "headless": ""},
			map[string]string{"app": "web", "managed-by": "user"}, true, want},
		{"service sets an own key, stored kept it", map[string]string{"app": "web", "managed-by": "user", "headless": ""},
			map[string]string{"app": "web", "managed-by": "user"}, false, want},
	}
	for _, c := range cases {
		got := ownLabels(c.stored, c.svc, extra...)
		if !equality.Semantic.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if shared := c.stored != nil && len(got) > 0 && fmt.Sprintf("%p", got) == fmt.Sprintf("%p", c.stored); shared != c.shared {
			t.Errorf("%s: stored map shared %v, want %v", c.name, shared, c.shared)
		}
	}
}

// TestEditChangesNeverClaimsAChangeWrongly: when editChanges says an edit surely changes a
// list, the edited list differs from the old one, through random drops and adds, among them
// pods put back with the very value they had (a new slot, the same address): then it must
// leave the comparison to the caller.
func TestEditChangesNeverClaimsAChangeWrongly(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	mk := func(name string, ip int, ready bool) *epSlot[readyAddress] {
		p := &corev1.Pod{}
		p.Name, p.UID = name, types.UID("uid-"+name)
		addr := fmt.Sprintf("10.244.0.%d", ip)
		node := "sim-node-0"
		return &epSlot[readyAddress]{pod: p, key: addr, val: readyAddress{ready: ready,
			addr: corev1.EndpointAddress{IP: addr, NodeName: &node, TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: name, UID: p.UID}}}}
	}
	isReady := func(sl *epSlot[readyAddress]) bool { return sl.val.ready }
	claimed, unchanged := 0, 0
	for round := 0; round < 2000; round++ {
		v := newEPView[readyAddress](nil)
		for i := range 20 {
			v.put(mk(fmt.Sprintf("web-%d", i), 2+i, rng.Intn(2) == 0))
		}
		old, _ := gatherAddrs(v.order)
		v.log.reset()
		for c := 0; c < 1+rng.Intn(3); c++ {
			name := fmt.Sprintf("web-%d", rng.Intn(25))
			prev := v.byName[name]
			v.remove(name)
			switch k := rng.Intn(3); {
			case k == 0 && prev != nil:
				// The same value in a new slot, as apply builds for a new pod version.
				v.put(&epSlot[readyAddress]{pod: prev.pod, key: prev.key, val: prev.val})
			case k == 1:
				v.put(mk(name, 2+rng.Intn(40), rng.Intn(2) == 0))
			}
		}
		drops, adds, ok := v.log.net()
		if !ok {
			t.Fatal("log lost")
		}
		want, _ := gatherAddrs(v.order)
		got, edited := editSorted(old, drops, adds, isReady, slotAddr, addrCmp, sameAddr, len(want))
		if !edited {
			continue // e.g. the same slot value put back out of order; the caller gathers
		}
		if !equality.Semantic.DeepEqual(got, want) {
			t.Fatalf("round %d: edit differs from gather", round)
		}
		same := equality.Semantic.DeepEqual(got, old)
		if editChanges(drops, adds, isReady, slotAddr, sameAddr) {
			claimed++
			if same {
				t.Fatalf("round %d: editChanges claims a change, the lists are equal", round)
			}
		} else if same {
			unchanged++
		}
	}
	if claimed < 500 || unchanged < 20 {
		t.Fatalf("%d rounds claimed a change, %d were unchanged: want many of both", claimed, unchanged)
	}
}

// countReady counts the ready slots by walking them: what epView.counted must always equal.
func countReady(sorted []*epSlot[readyAddress]) int {
	n := 0
	for _, sl := range sorted {
		if sl.val.ready {
			n++
		}
	}
	return n
}
