package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// TestOpenAPIHashedDocumentsCacheLikeTheApiserver: as kube-openapi's handler3, a document
// asked for under its own hash is immutable with an Expires a year ahead (kubectl's HTTP
// cache then answers from disk), a stale hash is redirected to the current one, and a
// conditional request with the ETag gets 304 without the body.
func TestOpenAPIHashedDocumentsCacheLikeTheApiserver(t *testing.T) {
	e := newEnv(t, store.Options{})
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	get := func(path string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}

	var index struct {
		Paths map[string]struct{ ServerRelativeURL string }
	}
	root := get("/openapi/v3", nil)
	if err := json.NewDecoder(root.Body).Decode(&index); err != nil {
		t.Fatal(err)
	}
	if root.Header.Get("Etag") == "" {
		t.Fatal("/openapi/v3 without an ETag")
	}
	if r := get("/openapi/v3", map[string]string{"If-None-Match": root.Header.Get("Etag")}); r.StatusCode != http.StatusNotModified {
		t.Fatalf("/openapi/v3 revalidated: status %d, want 304", r.StatusCode)
	}
	url := index.Paths["apis/apps/v1"].ServerRelativeURL
	if !strings.Contains(url, "?hash=") {
		t.Fatalf("apps/v1 listed at %q, without a hash", url)
	}

	doc := get(url, nil)
	if doc.StatusCode != http.StatusOK || doc.Header.Get("Cache-Control") != "public, immutable" {
		t.Fatalf("hashed document: status %d, Cache-Control %q", doc.StatusCode, doc.Header.Get("Cache-Control"))
	}
	expires, err := time.Parse(time.RFC1123, doc.Header.Get("Expires"))
	if err != nil {
		t.Fatalf("Expires %q: %v", doc.Header.Get("Expires"), err)
	}
	date, err := time.Parse(time.RFC1123, doc.Header.Get("Date"))
	if err != nil {
		t.Fatalf("Date %q: %v", doc.Header.Get("Date"), err)
	}
	if life := expires.Sub(date); life < 364*24*time.Hour {
		t.Fatalf("hashed document fresh for %v, want a year", life)
	}
	if r := get(url, map[string]string{"If-None-Match": doc.Header.Get("Etag")}); r.StatusCode != http.StatusNotModified {
		t.Fatalf("hashed document revalidated: status %d, want 304", r.StatusCode)
	}

	stale := get("/openapi/v3/apis/apps/v1?hash=0123", nil)
	if stale.StatusCode != http.StatusMovedPermanently || stale.Header.Get("Location") != url {
		t.Fatalf("stale hash: status %d, Location %q, want 301 to %q", stale.StatusCode, stale.Header.Get("Location"), url)
	}
	if plain := get("/openapi/v3/apis/apps/v1", nil); plain.StatusCode != http.StatusOK || plain.Header.Get("Expires") != "" {
		t.Fatalf("unhashed document: status %d, Expires %q; want 200 without Expires", plain.StatusCode, plain.Header.Get("Expires"))
	}
}
