package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// BenchmarkNewSimSession is the player's startup on the real clock, as main does it: the
// simulator, its TLS listener, the clients, the session's files, up to the first API call
// that succeeds. Close is outside the measurement.
func BenchmarkNewSimSession(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		s, err := NewSimSession(ctx, SimOptions{})
		if err != nil {
			cancel()
			b.Fatalf("NewSimSession: %v", err)
		}
		if _, err := s.Kube().CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
			cancel()
			b.Fatalf("first call: %v", err)
		}
		b.StopTimer()
		s.Close()
		cancel()
		b.StartTimer()
	}
}

// BenchmarkRunKubectlGetPods is one `kubectl get pods` run in-process against a session that
// holds the web StatefulSet's two running pods (discovery already cached by earlier runs).
func BenchmarkRunKubectlGetPods(b *testing.B) {
	fake := testingclock.NewFakeClock(simEpoch)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := NewSimSession(ctx, SimOptions{Fake: fake, AutoAdvance: true, Seed: 7})
	if err != nil {
		b.Fatalf("NewSimSession: %v", err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	if err := s.RunKubectl(ctx, "kubectl apply -f web.yaml", nil, &out, &errOut); err != nil {
		b.Fatalf("apply: %v\n%s%s", err, out.String(), errOut.String())
	}
	if err := s.WaitIdle(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out.Reset()
		errOut.Reset()
		if err := s.RunKubectl(ctx, "kubectl get pods", nil, &out, &errOut); err != nil {
			b.Fatalf("get pods: %v\n%s", err, errOut.String())
		}
		if !strings.Contains(out.String(), "web-1") || !strings.Contains(out.String(), "Running") {
			b.Fatalf("get pods printed:\n%s", out.String())
		}
	}
}
