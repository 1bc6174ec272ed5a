package engine

import (
	"context"
	"testing"

	testingclock "k8s.io/utils/clock/testing"
)

// BenchmarkCheckCommand is the cost the guard adds to each kubectl run: kubectl's parse of
// the line (on a pooled command tree), the local checks, and on a real cluster in a lesson
// namespace the resolution of its resources through discovery (cached after the first).
func BenchmarkCheckCommand(b *testing.B) {
	const line = "kubectl scale sts web --replicas=5 -n lesson"
	b.Run("simulator", func(b *testing.B) {
		s := &Session{ns: "default"}
		for i := 0; i < b.N; i++ {
			if err := s.CheckCommand(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("lesson-namespace", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		s, err := NewSimSession(ctx, SimOptions{Fake: testingclock.NewFakeClock(simEpoch), AutoAdvance: true, Seed: 7})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		s.ns, s.real.ns = "lesson", "lesson"
		if err := s.CheckCommand(line); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := s.CheckCommand(line); err != nil {
				b.Fatal(err)
			}
		}
	})
}
