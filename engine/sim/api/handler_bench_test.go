package api_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
)

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
			for i := 0; i < b.N; i++ {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
		})
	}
}
