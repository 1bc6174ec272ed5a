package api_test

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkServerSideApply measures one apply of the tutorial's StatefulSet (replicas
// alternating so every apply writes), against a merge patch of the same field, which now
// also records managedFields.
func BenchmarkServerSideApply(b *testing.B) {
	_, srv := benchServer(b, 0)
	url := srv.URL + "/apis/apps/v1/namespaces/default/statefulsets/web"
	send := func(ct, query string, body []byte) {
		req, err := http.NewRequest(http.MethodPatch, url+query, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("PATCH: %s", resp.Status)
		}
	}
	sts := func(replicas int) []byte {
		return []byte(`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web"},"spec":{"serviceName":"nginx","replicas":` + strconv.Itoa(replicas) +
			`,"selector":{"matchLabels":{"app":"nginx"}},"template":{"metadata":{"labels":{"app":"nginx"}},"spec":{"containers":[{"name":"nginx","image":"registry.k8s.io/nginx-slim:0.24","ports":[{"containerPort":80,"name":"web"}]}]}}}}`)
	}
	send("application/apply-patch+yaml", "?fieldManager=bench", sts(1))
	b.Run("Apply", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			send("application/apply-patch+yaml", "?fieldManager=bench", sts(1+i%2))
		}
	})
	b.Run("MergePatch", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			send("application/merge-patch+json", "?fieldManager=other", []byte(`{"spec":{"replicas":`+strconv.Itoa(1+i%2)+`}}`))
		}
	})
}
