package sim

import (
	"reflect"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// TestStatusWritesKeepSpecAndMetadata: the kubelet and the StatefulSet controller hand the
// store their status writes as successors of the stored object (UpdateOptions.Successor), which
// the store keeps as they are. So no status write may carry a change of spec or metadata: over
// a set's start, rolling update and scale-down, every pod version differs from the one before
// in status, resourceVersion, deletion fields and the binding's spec.nodeName only, and every
// set version that keeps its generation keeps its spec and metadata.
func TestStatusWritesKeepSpecAndMetadata(t *testing.T) {
	s := newSim(t)
	var mu sync.Mutex
	var bad []string
	pods, sets := 0, 0
	s.Store().Subscribe(func(ev store.Event) {
		if ev.Type != "MODIFIED" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		switch o := ev.Object.(type) {
		case *corev1.Pod:
			old := ev.Old.(*corev1.Pod)
			spec, meta := old.Spec, old.ObjectMeta
			if spec.NodeName == "" {
				spec.NodeName = o.Spec.NodeName // the binding
			}
			meta.ResourceVersion, meta.DeletionTimestamp, meta.DeletionGracePeriodSeconds =
				o.ResourceVersion, o.DeletionTimestamp, o.DeletionGracePeriodSeconds
			pods++
			if !reflect.DeepEqual(spec, o.Spec) || !reflect.DeepEqual(meta, o.ObjectMeta) {
				bad = append(bad, "pod "+o.Name+" at "+o.ResourceVersion)
			}
		case *appsv1.StatefulSet:
			old := ev.Old.(*appsv1.StatefulSet)
			if o.Generation != old.Generation {
				return // a spec write
			}
			meta := old.ObjectMeta
			meta.ResourceVersion = o.ResourceVersion
			sets++
			if !reflect.DeepEqual(old.Spec, o.Spec) || !reflect.DeepEqual(meta, o.ObjectMeta) {
				bad = append(bad, "statefulset "+o.Name+" at "+o.ResourceVersion)
			}
		}
	})
	st := s.Store()
	if _, err := st.Create(svcR, nginxService()); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Create(stsR, webSet(3)); err != nil {
		t.Fatal(err)
	}
	ready := func(n int32, image string) func() bool {
		return func() bool {
			o, ok := st.Peek(stsR, "default", "web")
			if !ok {
				return false
			}
			set := o.(*appsv1.StatefulSet)
			x := set.Status
			return set.Spec.Template.Spec.Containers[0].Image == image && x.ObservedGeneration == set.Generation &&
				x.ReadyReplicas == n && x.UpdatedReplicas == n && x.Replicas == n && x.CurrentRevision == x.UpdateRevision &&
				st.Len(podsR, "default") == int(n)
		}
	}
	update := func(change func(*appsv1.StatefulSet)) {
		o, err := st.Get(stsR, "default", "web")
		if err != nil {
			t.Fatal(err)
		}
		set := o.(*appsv1.StatefulSet)
		change(set)
		if _, err := st.Update(stsR, set, store.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if !s.RunUntil(ready(3, "registry.k8s.io/nginx-slim:0.24"), time.Hour) {
		t.Fatal("web did not become ready")
	}
	update(func(set *appsv1.StatefulSet) {
		set.Spec.Template.Spec.Containers[0].Image = "registry.k8s.io/nginx-slim:0.21"
	})
	if !s.RunUntil(ready(3, "registry.k8s.io/nginx-slim:0.21"), time.Hour) {
		t.Fatal("the rolling update did not finish")
	}
	update(func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
	if !s.RunUntil(ready(1, "registry.k8s.io/nginx-slim:0.21"), time.Hour) {
		t.Fatal("the scale-down did not finish")
	}
	mu.Lock()
	defer mu.Unlock()
	if pods < 20 || sets < 10 {
		t.Fatalf("only %d pod and %d set status versions seen: the test proves little", pods, sets)
	}
	if len(bad) > 0 {
		t.Fatalf("status writes changed spec or metadata: %v", bad)
	}
}
