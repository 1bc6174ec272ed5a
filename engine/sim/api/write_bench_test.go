package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/api"
)

// BenchmarkHandlerWrite is a pod status write through the API handler alone (no network, no
// client), as the kubelet and the watch-burst benchmark send it: a PUT of the whole Pod to
// /status and a strategic-merge PATCH of one condition. Each iteration flips Ready so the
// store really writes. Reports the server's CPU and allocations per request.
func BenchmarkHandlerWrite(b *testing.B) {
	st, srv := benchServer(b, 100)
	srv.Close()
	h := api.New(st, api.Options{Token: testToken, Logf: log.New(io.Discard, "", log.LstdFlags).Printf})
	const path = "/api/v1/namespaces/default/pods/web-7/status"
	live := getPod(b, h, "/api/v1/namespaces/default/pods/web-7")
	live.ResourceVersion = "" // pods allow unconditional updates
	var puts [2][]byte
	for i, s := range []corev1.ConditionStatus{corev1.ConditionFalse, corev1.ConditionTrue} {
		p := live.DeepCopy()
		p.Status.Conditions[0].Status = s
		p.Status.ContainerStatuses[0].Ready = s == corev1.ConditionTrue
		var err error
		if puts[i], err = json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
	patches := [2][]byte{
		[]byte(`{"status":{"conditions":[{"type":"Ready","status":"False"}]}}`),
		[]byte(`{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`),
	}
	for _, c := range []struct {
		name, method, ct string
		bodies           [2][]byte
	}{
		{"StatusPUT", http.MethodPut, "application/json", puts},
		{"StatusPATCH", http.MethodPatch, "application/strategic-merge-patch+json", patches},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			cpu0 := processCPU(b)
			for i := 0; i < b.N; i++ {
				req := httptest.NewRequest(c.method, path, bytes.NewReader(c.bodies[i&1]))
				req.Header.Set("Content-Type", c.ct)
				req.Header.Set("Authorization", "Bearer "+testToken)
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
			// The process's CPU (GC workers included), which wall time per op hides on a
			// shared machine.
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func getPod(b *testing.B, h http.Handler, path string) *corev1.Pod {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	var p corev1.Pod
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		b.Fatal(err)
	}
	return &p
}
