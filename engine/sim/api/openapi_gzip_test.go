package api_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// capturedDoc is a captured document as it is on disk, inflated: what the simulator served
// when it held the documents uncompressed.
func capturedDoc(t *testing.T, gv string) (gz, doc []byte) {
	t.Helper()
	gz, err := os.ReadFile(filepath.Join("openapi", "captured", api.CapturedOpenAPIFile(gv)))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	doc, err = io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return gz, doc
}

// TestOpenAPIServedFromGzipIsByteIdentical: every document (v3 of each served group version,
// and v2) reaches a client that accepts gzip as the embedded gzip bytes with Content-Encoding
// gzip, and any other client inflated; both are byte for byte the captured document, whose
// SHA-512 is the ETag and the hash in the index's link; conditional requests get 304 either
// way, and a range is served from the inflated bytes.
func TestOpenAPIServedFromGzipIsByteIdentical(t *testing.T) {
	e := newEnv(t, store.Options{})
	tr := e.srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableCompression = true // see the wire as it is
	client := &http.Client{Transport: tr}
	get := func(path string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	_, index := get("/openapi/v3")
	var want strings.Builder
	want.WriteString(`{"paths":{`)
	for i, gv := range api.OpenAPIGroupVersions() {
		gz, doc := capturedDoc(t, gv)
		hash := fmt.Sprintf("%X", sha512.Sum512(doc))
		if i > 0 {
			want.WriteString(",")
		}
		fmt.Fprintf(&want, `%q:{"serverRelativeURL":%q}`, gv, "/openapi/v3/"+gv+"?hash="+hash)
		url := "/openapi/v3/" + gv + "?hash=" + hash

		resp, body := get(url, "Accept-Encoding", "gzip")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, gz) {
			t.Errorf("%s with gzip: status %d, Content-Encoding %q, %d bytes; want 200, gzip, the embedded %d bytes",
				gv, resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body), len(gz))
		}
		if resp.Header.Get("Etag") != `"`+hash+`"` {
			t.Errorf("%s: ETag %q, want the document's SHA-512", gv, resp.Header.Get("Etag"))
		}
		resp, body = get(url)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, doc) {
			t.Errorf("%s without gzip: status %d, Content-Encoding %q, %d bytes; want 200, none, the document's %d bytes",
				gv, resp.StatusCode, resp.Header.Get("Content-Encoding"), len(body), len(doc))
		}
		if cl := resp.Header.Get("Content-Length"); cl != fmt.Sprint(len(doc)) {
			t.Errorf("%s without gzip: Content-Length %q, want %d", gv, cl, len(doc))
		}
		for _, enc := range []string{"gzip", "identity"} {
			if r, _ := get(url, "Accept-Encoding", enc, "If-None-Match", `"`+hash+`"`); r.StatusCode != http.StatusNotModified {
				t.Errorf("%s revalidated (Accept-Encoding %s): status %d, want 304", gv, enc, r.StatusCode)
			}
		}
		resp, body = get(url, "Range", "bytes=100-199", "Accept-Encoding", "gzip")
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, doc[100:200]) {
			t.Errorf("%s range 100-199: status %d, %q; want 206, %q", gv, resp.StatusCode, body, doc[100:200])
		}
	}
	want.WriteString(`}}`)
	if string(index) != want.String() {
		t.Errorf("index:\n%s\nwant:\n%s", index, want.String())
	}

	gz, doc := capturedDoc(t, "v2")
	if resp, body := get("/openapi/v2", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" || !bytes.Equal(body, gz) {
		t.Errorf("v2 with gzip: Content-Encoding %q, %d bytes; want the embedded %d", resp.Header.Get("Content-Encoding"), len(body), len(gz))
	}
	if resp, body := get("/openapi/v2"); resp.StatusCode != http.StatusOK || !bytes.Equal(body, doc) {
		t.Errorf("v2 without gzip: status %d, %d bytes; want the document's %d", resp.StatusCode, len(body), len(doc))
	}
	if resp, _ := get("/openapi/v2", "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("v2 with gzip;q=0: Content-Encoding %q, want none", resp.Header.Get("Content-Encoding"))
	}
}

// TestOpenAPIEveryServedGroupVersionIsCaptured: the simulator serves only captured documents
// (a group version without one would be left out of the index, as by a server without it).
func TestOpenAPIEveryServedGroupVersionIsCaptured(t *testing.T) {
	for _, gv := range append(api.OpenAPIGroupVersions(), "v2") {
		if _, err := os.Stat(filepath.Join("openapi", "captured", api.CapturedOpenAPIFile(gv))); err != nil {
			t.Errorf("%s: %v (capture it: conformance/openapi_capture_test.go)", gv, err)
		}
	}
}
