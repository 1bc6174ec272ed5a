package sim

import (
	"fmt"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// TestEndpointSlicesOfManyPods: as the real EndpointSlice controller (default
// --max-endpoints-per-slice 100), a Service over 250 Ready pods has three slices that hold
// every pod once; the Endpoints object still lists all of them (item 30's addresses). When one
// pod is deleted and comes back, only the slice that held it is written, and the other two
// keep their resourceVersion.
func TestEndpointSlicesOfManyPods(t *testing.T) {
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), Seed: 1, Logf: t.Logf, MaxReplicas: 300})
	if err != nil {
		t.Fatal(err)
	}
	sliceR := store.MustLookup("endpointslices")
	set := webSet(250)
	set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	create(t, s, svcR, nginxService())
	create(t, s, stsR, set)
	var names []string
	for i := 0; i < 250; i++ {
		names = append(names, fmt.Sprintf("web-%d", i))
	}
	slices.Sort(names) // the order pods are listed in
	if !s.RunUntil(runningReady(s, names...), 10*time.Minute) {
		t.Fatal("pods not running")
	}
	s.Settle()
	slicesNow := func() map[string]*discoveryv1.EndpointSlice {
		out := map[string]*discoveryv1.EndpointSlice{}
		for _, o := range s.Store().Select(sliceR, store.Query{Namespace: "default"}) {
			es := o.(*discoveryv1.EndpointSlice)
			if es.Labels[discoveryv1.LabelServiceName] == "nginx" {
				out[es.Name] = es
			}
		}
		return out
	}
	holder := func(all map[string]*discoveryv1.EndpointSlice) map[string]string {
		where := map[string]string{}
		for _, es := range all {
			if len(es.Endpoints) > 100 {
				t.Fatalf("slice %s holds %d endpoints", es.Name, len(es.Endpoints))
			}
			for _, ep := range es.Endpoints {
				if ep.TargetRef == nil {
					t.Fatalf("slice %s: endpoint without a target", es.Name)
				}
				if other, dup := where[ep.TargetRef.Name]; dup {
					t.Fatalf("%s is in slices %s and %s", ep.TargetRef.Name, other, es.Name)
				}
				where[ep.TargetRef.Name] = es.Name
			}
		}
		return where
	}
	before := slicesNow()
	where := holder(before)
	if len(before) != 3 || len(where) != 250 {
		t.Fatalf("%d slices holding %d pods, want 3 holding 250", len(before), len(where))
	}
	o, err := s.Store().Get(epR, "default", "nginx")
	if err != nil {
		t.Fatal(err)
	}
	if ep := o.(*corev1.Endpoints); len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 250 {
		t.Fatalf("endpoints subsets %d", len(ep.Subsets))
	}

	home := where["web-7"]
	if _, err := s.Store().Delete(podsR, "default", "web-7", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool {
		o, err := s.Store().Get(podsR, "default", "web-7")
		return err == nil && podReady(o.(*corev1.Pod)) && o.(*corev1.Pod).DeletionTimestamp == nil
	}, 10*time.Minute) {
		t.Fatal("web-7 did not come back Ready")
	}
	s.Settle()
	after := slicesNow()
	if got := holder(after); len(got) != 250 || len(after) != 3 {
		t.Fatalf("after web-7 came back: %d slices holding %d pods", len(after), len(got))
	}
	for name, es := range before {
		now := after[name]
		if now == nil {
			t.Fatalf("slice %s is gone", name)
		}
		if moved := now.ResourceVersion != es.ResourceVersion; moved != (name == home) {
			t.Errorf("slice %s (web-7's: %v) rewritten: %v", name, name == home, moved)
		}
	}
}
