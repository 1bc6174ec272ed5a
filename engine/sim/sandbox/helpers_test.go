package sandbox

import (
	"bytes"
	"context"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type fixture struct {
	t   testing.TB
	st  *store.Store
	clk *testingclock.FakeClock
	sb  *Sandbox
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clk := testingclock.NewFakeClock(t0)
	st := store.New(store.Options{Clock: clk, Seed: 1})
	return &fixture{t: t, st: st, clk: clk, sb: New(st, clk)}
}

func (f *fixture) create(res store.Resource, obj runtime.Object) runtime.Object {
	f.t.Helper()
	out, err := f.st.Create(res, obj)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// pod creates a running pod with one container of image (and the given volumes).
func (f *fixture) pod(name, image string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	f.t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.1.10"},
	}
	for _, m := range mutate {
		m(p)
	}
	out := f.create(podsRes, p).(*corev1.Pod)
	// The store keeps status from create; make sure the copy we hand out has it.
	out.Status = p.Status
	return out
}

type result struct {
	out, err string
	code     int
}

func (f *fixture) run(p *corev1.Pod, c string, argv ...string) result {
	f.t.Helper()
	return f.runIn(p, c, "", argv...)
}

func (f *fixture) runIn(p *corev1.Pod, c, stdin string, argv ...string) result {
	f.t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, err := f.sb.Run(ctx, p, c, argv, container.Streams{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	if err != nil {
		f.t.Fatalf("Run %v: %v", argv, err)
	}
	return result{out: out.String(), err: errb.String(), code: code}
}

func (f *fixture) sh(p *corev1.Pod, script string) result {
	f.t.Helper()
	return f.run(p, "", "sh", "-c", script)
}

// waitFor yields until cond holds (another goroutine reaching a state), failing after 10s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		goruntime.Gosched()
	}
}
