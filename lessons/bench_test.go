package lessons

import (
	"context"
	"io"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
)

// BenchmarkPlayStatefulSetBasicsEN plays the whole English StatefulSet Basics lesson on a
// fresh simulator in virtual time (fake clock, auto-advance) with Solve: every runnable command
// of every step through the in-process kubectl, then the step's checks, which must pass. Starting and
// closing the simulator are outside the measurement.
func BenchmarkPlayStatefulSetBasicsEN(b *testing.B) {
	l, err := Get("statefulset-basics", "en")
	if err != nil {
		b.Fatal(err)
	}
	commands := 0
	for _, st := range l.Steps {
		commands += len(st.RunnableCommands())
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), playTimeout)
		fake := testingclock.NewFakeClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
		s, err := engine.NewSimSession(ctx, engine.SimOptions{Fake: fake, AutoAdvance: true, Seed: 1})
		if err != nil {
			cancel()
			b.Fatalf("NewSimSession: %v", err)
		}
		b.StartTimer()
		// Solve plays each step as the player does: baseline on entry, commands, settle,
		// then the checks against that baseline.
		reports, err := Solve(ctx, s, l, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range reports {
			if !r.Played() {
				b.Fatalf("step %q did not play: %v %v", r.Step.ID, r.Err, FailedChecks(r.Results))
			}
		}
		b.StopTimer()
		s.Close()
		cancel()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(l.Steps)), "steps")
	b.ReportMetric(float64(commands), "commands")
}
