package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// TestWatchEndsOnlyOnRealTimeoutOrClient: a watch stays open, as on a real apiserver, until
// its timeoutSeconds pass on the real clock or the client closes it. Neither the simulated
// clock running far past timeoutSeconds (and past the default timeout), nor the history ring
// wrapping around many times, ends the stream; cancelling the client's context does.
// (A flaky `kubectl delete --timeout=1s` comparison was suspected to come from an early
// close here; the cause was client-go's own deadline, see kubectl_waits_test.go.)
func TestWatchEndsOnlyOnRealTimeoutOrClient(t *testing.T) {
	e := newEnv(t, store.Options{HistorySize: 8})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	long := int64(600)
	withTimeout, err := e.cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{TimeoutSeconds: &long})
	if err != nil {
		t.Fatal(err)
	}
	noTimeout, err := e.cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Far past both timeouts on the simulated clock.
	e.clock.Step(3 * time.Hour)
	const n = 40 // five times the history ring
	for i := 0; i < n; i++ {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)}}
		if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.clock.Step(time.Hour)
	}
	for name, w := range map[string]watch.Interface{"timeoutSeconds=600": withTimeout, "no timeoutSeconds": noTimeout} {
		for i := 0; i < n; i++ {
			ev, ok := <-w.ResultChan()
			if !ok {
				t.Fatalf("%s: the watch ended after %d of %d events, with the client still reading", name, i, n)
			}
			if ev.Type != watch.Added {
				t.Fatalf("%s: event %d is %s, want ADDED: %+v", name, i, ev.Type, ev.Object)
			}
			if got, want := ev.Object.(*corev1.ConfigMap).Name, fmt.Sprintf("cm-%d", i); got != want {
				t.Fatalf("%s: event %d is %s, want %s", name, i, got, want)
			}
		}
	}
	cancel()
	for name, w := range map[string]watch.Interface{"timeoutSeconds=600": withTimeout, "no timeoutSeconds": noTimeout} {
		for ev := range w.ResultChan() { // must end: the client closed it
			if ev.Type != watch.Error {
				t.Errorf("%s: unexpected %s after the client closed the watch", name, ev.Type)
			}
		}
	}
}
