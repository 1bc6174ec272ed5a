package controller

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// The recorder remembers the aggregation keys of the latest maxEventKeys events, as
// client-go's correlator does: a repeat of a recent event raises its count, while the keys of
// thousands of older pods are let go instead of kept for the session.
func TestRecorderKeepsLatestKeys(t *testing.T) {
	st := store.New(store.Options{Clock: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Seed: 1})
	r := NewRecorder(st)
	pod := func(i int) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p-%d", i), Namespace: "default", UID: types.UID(fmt.Sprint("uid-", i))}}
	}
	for i := range maxEventKeys + 100 {
		r.Eventf(pod(i), "kubelet", "node-1", corev1.EventTypeNormal, "Pulled", "pulled")
	}
	if n := r.seen.Len(); n != maxEventKeys {
		t.Errorf("%d keys kept, want %d", n, maxEventKeys)
	}
	last := maxEventKeys + 99
	r.Eventf(pod(last), "kubelet", "node-1", corev1.EventTypeNormal, "Pulled", "pulled")
	r.Eventf(pod(0), "kubelet", "node-1", corev1.EventTypeNormal, "Pulled", "pulled")
	objects := map[string]int{}
	for _, o := range st.Select(eventRes, store.Query{Namespace: "default"}) {
		ev := o.(*corev1.Event)
		objects[ev.InvolvedObject.Name]++
		if ev.InvolvedObject.Name == fmt.Sprintf("p-%d", last) && ev.Count != 2 {
			t.Errorf("the latest pod's repeat made count %d, want 2 (one event)", ev.Count)
		}
	}
	if objects["p-0"] != 2 || objects[fmt.Sprintf("p-%d", last)] != 1 {
		t.Errorf("p-0 has %d Event objects, want 2 (its key was forgotten); the latest pod %d, want 1", objects["p-0"], objects[fmt.Sprintf("p-%d", last)])
	}
}
