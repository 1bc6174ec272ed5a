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
// fresh simulator in virtual time (fake clock, auto-advance): every runnable command of every
// step through the in-process kubectl, then the step's checks, which must pass. Starting and
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
		for _, st := range l.Steps {
			if err := RunStep(ctx, s, st, io.Discard, io.Discard); err != nil {
				b.Fatal(err)
			}
			if err := s.WaitIdle(ctx); err != nil {
				b.Fatal(err)
			}
			for _, r := range Evaluate(ctx, s, st) {
				if !r.OK {
					b.Fatalf("step %q: %s: %s", st.ID, r.Desc, r.Detail)
				}
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
