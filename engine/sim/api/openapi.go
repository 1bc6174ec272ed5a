package api

import (
	"bytes"
	"crypto/sha512"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/openapi/openapitest"
)

// openAPIDocs serves real OpenAPI v3 documents for the group versions we serve. kubectl's
// create/apply validate against them and, because their operations list fieldValidation,
// leave unknown-field checks to the server (fieldValidation=Strict).
type openAPIDocs struct {
	once  sync.Once
	docs  map[string][]byte // "api/v1" -> document
	hash  map[string]string
	index []byte
	// indexHash is the index's ETag.
	indexHash string
	err       error
}

var servedOpenAPIPaths = []string{"api/v1", "apis/apps/v1", "apis/policy/v1", "apis/autoscaling/v1",
	"apis/storage.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/coordination.k8s.io/v1"}

var sharedOpenAPI = &openAPIDocs{}

func loadOpenAPI() *openAPIDocs { return sharedOpenAPI }

func (d *openAPIDocs) load() error {
	d.once.Do(func() {
		paths, err := openapitest.NewEmbeddedFileClient().Paths()
		if err != nil {
			d.err = err
			return
		}
		d.docs = map[string][]byte{}
		d.hash = map[string]string{}
		var b strings.Builder
		b.WriteString(`{"paths":{`)
		listed := 0
		for _, p := range servedOpenAPIPaths {
			doc, ok := capturedOpenAPI(p) // openapi_captured.go
			if !ok {
				doc, ok = extraOpenAPIDocs[p] // openapi_workloads.go
			}
			if !ok {
				if gv, found := paths[p]; found {
					doc, err = gv.Schema("application/json")
				} else if p == "apis/policy/v1" {
					doc, err = policyOpenAPI(d.docs["apis/apps/v1"]) // not embedded: built from apps/v1
				} else {
					continue // not captured yet: not listed, as a server without the group would
				}
				if err != nil {
					d.err = err
					return
				}
			}
			d.docs[p] = doc
			d.hash[p] = fmt.Sprintf("%X", sha512.Sum512(doc))
			if listed > 0 {
				b.WriteString(",")
			}
			listed++
			fmt.Fprintf(&b, `%q:{"serverRelativeURL":%q}`, p, "/openapi/v3/"+p+"?hash="+d.hash[p])
		}
		b.WriteString(`}}`)
		d.index = []byte(b.String())
		d.indexHash = fmt.Sprintf("%X", sha512.Sum512(d.index))
	})
	return d.err
}

func (s *server) serveOpenAPI(w http.ResponseWriter, r *http.Request, path string) {
	if err := s.oapi.load(); err != nil {
		writeError(w, err)
		return
	}
	if path == "/openapi/v2" {
		if doc, ok := capturedOpenAPI("v2"); ok {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(doc)
			return
		}
	}
	if path == "/openapi/v3" {
		// As kube-openapi's handler3: an ETag, and conditional requests answered 304, so a
		// client's HTTP cache (kubectl's disk cache) revalidates the index without reloading it.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache, private")
		w.Header().Set("Etag", `"`+s.oapi.indexHash+`"`)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.oapi.index))
		return
	}
	if rest, ok := strings.CutPrefix(path, "/openapi/v3/"); ok {
		if doc, ok := s.oapi.docs[rest]; ok {
			etag := s.oapi.hash[rest]
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Etag", `"`+etag+`"`)
			w.Header().Add("Vary", "Accept")
			if hash := r.URL.Query().Get("hash"); hash != "" {
				if hash != etag {
					// A stale link: the real apiserver redirects to the current document.
					http.Redirect(w, r, "/openapi/v3/"+rest+"?hash="+etag, http.StatusMovedPermanently)
					return
				}
				// A hashed URL names one document forever. The real apiserver says so with
				// an Expires a year ahead, which lets kubectl's HTTP cache answer later
				// runs from disk without asking. Expires is read against the response's
				// Date header, which net/http writes from the wall clock, so this one
				// header uses the wall clock too, not the simulator's.
				w.Header().Set("Cache-Control", "public, immutable")
				w.Header().Set("Expires", time.Now().AddDate(1, 0, 0).UTC().Format(http.TimeFormat))
			}
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(doc))
			return
		}
	}
	writeNotFoundPath(w, r)
}
