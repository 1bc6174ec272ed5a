package controller

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// keyRecorder is a Queue that only records the keys added.
type keyRecorder struct{ keys []Key }

func (q *keyRecorder) Add(k Key)                        { q.keys = append(q.keys, k) }
func (q *keyRecorder) AddAfter(_ time.Duration, k Key)  { q.keys = append(q.keys, k) }
func (q *keyRecorder) After(_ time.Duration, fn func()) {}
func (q *keyRecorder) take() []Key                      { k := q.keys; q.keys = nil; return k }

// TestSliceControllerSkipsItsOwnWrites: the EndpointSlice controller's own slice writes queue
// no sync of their own (the real controller's endpointSliceTracker skips the slices it wrote),
// while a slice someone else changes is queued and put right from the pods.
func TestSliceControllerSkipsItsOwnWrites(t *testing.T) {
	st := store.New(store.Options{Clock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Seed: 1})
	q := &keyRecorder{}
	c := NewEndpointSliceController(Env{Store: st, Queue: q})
	st.Subscribe(c.Observe)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}}
	if _, err := st.Create(svcRes, svc); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("web-%d", i), Namespace: "default",
			Labels: map[string]string{"app": "web"}, UID: types.UID(fmt.Sprint("uid-", i))},
			Spec:   corev1.PodSpec{NodeName: "sim-node-0", Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.244.0.%d", i+2)}}
		if _, err := st.Create(podsRes, p); err != nil {
			t.Fatal(err)
		}
	}
	sync := func() {
		for _, k := range q.take() {
			if err := c.Sync(k); err != nil {
				t.Fatal(err)
			}
		}
	}
	sync() // the first sync creates the slice
	if keys := q.take(); len(keys) != 0 {
		t.Fatalf("the controller's own slice write queued %v; want nothing", keys)
	}
	list := st.Select(sliceRes, store.Query{Namespace: "default"})
	if len(list) != 1 || len(list[0].(*discoveryv1.EndpointSlice).Endpoints) != 3 {
		t.Fatalf("%d slices; want one of 3 endpoints", len(list))
	}
	// Someone else drops an endpoint: that write is queued, and the sync restores it.
	es := list[0].(*discoveryv1.EndpointSlice).DeepCopy()
	es.Endpoints = es.Endpoints[:2]
	if _, err := st.Update(sliceRes, es, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	keys := q.take()
	if len(keys) != 1 {
		t.Fatalf("another writer's slice change queued %v; want one sync", keys)
	}
	q.keys = keys
	sync()
	if keys := q.take(); len(keys) != 0 {
		t.Fatalf("the controller's repair queued %v; want nothing", keys)
	}
	o, _ := st.Peek(sliceRes, "default", es.Name)
	if n := len(o.(*discoveryv1.EndpointSlice).Endpoints); n != 3 {
		t.Fatalf("after the repair the slice has %d endpoints; want 3", n)
	}
}
