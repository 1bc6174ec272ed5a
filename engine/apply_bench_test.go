package engine

import (
	"bytes"
	"context"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// BenchmarkRunKubectlApply is `kubectl apply -f web.yaml` again on a session that has it
// (the classroom's step command: kubectl's tree, discovery, the OpenAPI check of
// fieldValidation, the patch).
func BenchmarkRunKubectlApply(b *testing.B) {
	fake := testingclock.NewFakeClock(simEpoch)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := NewSimSession(ctx, SimOptions{Fake: fake, AutoAdvance: true, Seed: 7})
	if err != nil {
		b.Fatalf("NewSimSession: %v", err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for i := 0; i < b.N; i++ {
		out.Reset()
		errOut.Reset()
		if err := s.RunKubectl(ctx, "kubectl apply -f web.yaml", nil, &out, &errOut); err != nil {
			b.Fatalf("apply: %v\n%s%s", err, out.String(), errOut.String())
		}
	}
	// The process's CPU per apply (kubectl and the simulator both), GC included.
	b.ReportMetric(float64(processCPU()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}
