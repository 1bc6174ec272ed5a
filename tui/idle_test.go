package tui

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
)

// revCluster is a fake cluster that tells its revision, as the simulator does.
type revCluster struct {
	*fakeCluster
	mu  sync.Mutex
	rev uint64
}

func (r *revCluster) Revision() (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rev, true
}

func (r *revCluster) bump() { r.mu.Lock(); r.rev++; r.mu.Unlock() }

// TestIdleTickSkipsChecksWhileNothingChanged: on a cluster that tells its revision, the
// lesson's tick re-reads the step's object checks only when the revision moved; on one that
// does not (a real cluster), on every tick.
func TestIdleTickSkipsChecksWhileNothingChanged(t *testing.T) {
	for _, tc := range []struct {
		name    string
		revised bool
	}{{"simulator", true}, {"real", false}} {
		t.Run(tc.name, func(t *testing.T) {
			fc := newFakeCluster()
			var evals atomic.Int64
			eval := func(ctx context.Context, st lessons.Step) []lessons.CheckResult {
				evals.Add(1)
				return fc.evaluator()(ctx, st)
			}
			rc := &revCluster{fakeCluster: fc, rev: 7}
			var c Cluster = fc
			if tc.revised {
				c = rc
			}
			a := New(Options{Context: context.Background(), Cluster: c, Evaluate: eval,
				Lessons: testLessons("en"), Lang: "en", MarkdownStyle: "notty"})
			defer a.Close()
			openLesson(t, a, 100, 30)
			send(a, keyMsg("n")) // step 2 has an object check
			v := a.lesson
			if len(v.cur().Checks) == 0 {
				t.Fatal("step 2 has no checks")
			}
			// tick runs the tick's evaluation Cmd (if any) and feeds its result back.
			tick := func() {
				t.Helper()
				cmd := v.tickEval()
				if cmd == nil {
					return
				}
				msg := cmd()
				send(a, msg)
			}
			v.evaluating = false // an evaluation started by entering the step is not run here
			tick()
			first := evals.Load()
			if first != 1 {
				t.Fatalf("first tick ran %d evaluations, want 1", first)
			}
			for i := 0; i < 3; i++ {
				tick()
			}
			want := first
			if !tc.revised {
				want += 3
			}
			if got := evals.Load(); got != want {
				t.Fatalf("after 3 idle ticks: %d evaluations, want %d", got, want)
			}
			rc.bump()
			tick()
			if got := evals.Load(); got != want+1 {
				t.Fatalf("after a change: %d evaluations, want %d", got, want+1)
			}
		})
	}
}
