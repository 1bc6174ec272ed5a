package api_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
)

// discardWriter is a ResponseWriter that keeps only the status: the body's bytes are what a
// connection would copy, not the handler's work.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header { return d.h }
func (d *discardWriter) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
func (d *discardWriter) Write(p []byte) (int, error) {
	d.WriteHeader(http.StatusOK)
	return len(p), nil
}

// BenchmarkHandler is the API handler alone (no network, no client): the server's own CPU
// and allocations per request, with a request log like the player's (log.Logger on a file;
// here io.Discard).
func BenchmarkHandler(b *testing.B) {
	st, srv := benchServer(b, 100)
	srv.Close()
	h := api.New(st, api.Options{Token: testToken, Logf: log.New(io.Discard, "", log.LstdFlags).Printf})
	for _, c := range []struct{ name, path, accept string }{
		{"Get", "/api/v1/namespaces/default/pods/web-7", "application/json"},
		{"ListJSON100", "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx", "application/json"},
		{"ListTable100", "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx", tableAccept},
	} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, c.path, nil)
			req.Header.Set("Accept", c.accept)
			req.Header.Set("Authorization", "Bearer "+testToken)
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			for i := 0; i < b.N; i++ {
				clear(w.h)
				w.code = 0
				h.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}
