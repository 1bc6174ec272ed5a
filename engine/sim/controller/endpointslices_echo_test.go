package controller

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// keyRecorder is a Queue that only records the keys added.
type keyRecorder struct{ keys []Key }

func (q *keyRecorder) Add(k Key)                        { q.keys = append(q.keys, k) }
func (q *keyRecorder) AddAfter(_ time.Duration, k Key)  { q.keys = append(q.keys, k) }
func (q *keyRecorder) After(_ time.Duration, fn func()) {}
func (q *keyRecorder) take() []Key                      { k := q.keys; q.keys = nil; return k }

// webServiceRig is a store on a fake clock holding the Service nginx (selector app=web, port
// web 80) and a controller made by mk that observes the store and queues on a keyRecorder.
func webServiceRig[C interface{ Observe(store.Event) }](t *testing.T, mk func(Env) C) (*store.Store, *keyRecorder, C) {
	t.Helper()
	st := store.New(store.Options{Clock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Seed: 1})
	q := &keyRecorder{}
	c := mk(Env{Store: st, Queue: q})
	st.Subscribe(c.Observe)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}}
	if _, err := st.Create(svcRes, svc); err != nil {
		t.Fatal(err)
	}
	return st, q, c
}

// TestSliceControllerSkipsItsOwnWrites: the EndpointSlice controller's own slice writes queue
// no sync of their own (the real controller's endpointSliceTracker skips the slices it wrote),
// while a slice someone else changes is queued and put right from the pods.
func TestSliceControllerSkipsItsOwnWrites(t *testing.T) {
	st, q, c := webServiceRig(t, NewEndpointSliceController)
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

// TestSliceEditsMatchAFreshController: slices whose lists a sync edits at the places that
// moved hold what a controller building them afresh from the pods holds: after random rounds
// of pods coming, going, turning ready or not ready and terminating over 250 pods (three
// slices), a new controller's first sync finds every slice right and writes nothing; and no
// slice version written earlier changes afterwards (stored objects are shared, read-only).
func TestSliceEditsMatchAFreshController(t *testing.T) {
	st, q, c := webServiceRig(t, NewEndpointSliceController)
	rng := rand.New(rand.NewSource(3))
	seq := 0
	pod := func(name string) *corev1.Pod {
		seq++
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
			Labels: map[string]string{"app": "web"}, UID: types.UID(fmt.Sprint("uid-", seq))},
			Spec:   corev1.PodSpec{NodeName: "sim-node-0", Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: fmt.Sprintf("10.244.%d.%d", rng.Intn(3), 2+rng.Intn(200))}}
		if rng.Intn(4) > 0 {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
		}
		return p
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
	for i := range 250 {
		if _, err := st.Create(podsRes, pod(fmt.Sprintf("web-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	sync()
	type kept struct{ obj, copy *discoveryv1.EndpointSlice }
	var history []kept
	st.Subscribe(func(ev store.Event) {
		if es, ok := ev.Object.(*discoveryv1.EndpointSlice); ok && ev.Type != "DELETED" {
			history = append(history, kept{es, es.DeepCopy()})
		}
	})
	for round := range 60 {
		for range 1 + rng.Intn(5) {
			name := fmt.Sprintf("web-%d", rng.Intn(260))
			o, ok := st.Peek(podsRes, "default", name)
			switch {
			case !ok:
				if _, err := st.Create(podsRes, pod(name)); err != nil {
					t.Fatal(err)
				}
			case rng.Intn(3) == 0:
				if _, err := st.Delete(podsRes, "default", name, store.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			default:
				p := o.(*corev1.Pod).DeepCopy()
				switch rng.Intn(3) {
				case 0:
					p.Status.Conditions = nil // not ready
				case 1:
					p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
				default:
					now := metav1.Now()
					p.DeletionTimestamp = &now // terminating stays in, not ready
				}
				if _, err := st.Update(podsRes, p, store.UpdateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
		}
		sync()
		fresh := NewEndpointSliceController(Env{Store: st, Queue: &keyRecorder{}})
		before := st.Select(sliceRes, store.Query{Namespace: "default"})
		if err := fresh.Sync(Key{Controller: "endpointslice", Namespace: "default"}); err != nil {
			t.Fatal(err)
		}
		after := st.Select(sliceRes, store.Query{Namespace: "default"})
		if len(after) != len(before) {
			t.Fatalf("round %d: a fresh controller changed the slices from %d to %d", round, len(before), len(after))
		}
		for i := range after {
			if after[i] != before[i] {
				es := after[i].(*discoveryv1.EndpointSlice)
				t.Fatalf("round %d: a fresh controller rewrote slice %s: the edited one differed from the pods", round, es.Name)
			}
		}
	}
	if len(history) < 40 {
		t.Fatalf("%d slice writes over 60 rounds; want the rounds to write", len(history))
	}
	for i, h := range history {
		if !equality.Semantic.DeepEqual(h.obj, h.copy) {
			t.Fatalf("slice version %d (%s) changed after later writes", i, h.obj.Name)
		}
	}
}

// TestSlicePortsAre: a slice's stored ports are kept only while they are what the Service's
// ports give; a changed target port, protocol, app protocol or port count is a rewrite.
func TestSlicePortsAre(t *testing.T) {
	svc := &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{
		{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(8080)}}}}
	built := func(svc *corev1.Service) []discoveryv1.EndpointPort {
		var out []discoveryv1.EndpointPort
		for _, sp := range svc.Spec.Ports {
			out = append(out, discoveryv1.EndpointPort{Name: ptrTo(sp.Name), Port: ptrTo(targetPort(sp, nil)),
				Protocol: ptrTo(sp.Protocol), AppProtocol: sp.AppProtocol})
		}
		return out
	}
	stored := built(svc)
	if !slicePortsAre(stored, svc, nil) {
		t.Fatal("ports built from the Service are not recognised")
	}
	for name, change := range map[string]func(*corev1.Service){
		"target port":  func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromInt32(9090) },
		"protocol":     func(s *corev1.Service) { s.Spec.Ports[0].Protocol = corev1.ProtocolUDP },
		"app protocol": func(s *corev1.Service) { s.Spec.Ports[0].AppProtocol = ptrTo("http") },
		"name":         func(s *corev1.Service) { s.Spec.Ports[0].Name = "http" },
		"a second port": func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "metrics", Port: 9100, Protocol: corev1.ProtocolTCP})
		},
	} {
		changed := svc.DeepCopy()
		change(changed)
		if slicePortsAre(stored, changed, nil) {
			t.Errorf("%s changed, yet the stored ports are kept", name)
		}
		if !slicePortsAre(built(changed), changed, nil) {
			t.Errorf("%s changed: the ports built anew are not recognised", name)
		}
	}
}
