package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// openAPIDocs serves real OpenAPI v3 documents for the group versions we serve. kubectl's
// create/apply validate against them and, because their operations list fieldValidation,
// leave unknown-field checks to the server (fieldValidation=Strict).
//
// The documents stay in the binary, gzipped as captured (openapi_captured.go): uncompressed
// they are 3.2 MB a process would hold for its whole life after the first apply. Only each
// one's hash (its ETag and the index's links) and length are kept. A client that accepts
// gzip (client-go and kubectl do: Go's transport asks for it and inflates transparently) gets
// the embedded bytes as they are; any other is inflated per request.
type openAPIDocs struct {
	once sync.Once
	docs map[string]openAPIDoc // "api/v1" -> document
	// index is the /openapi/v3 document and indexHash its ETag.
	index     []byte
	indexHash string
	err       error
}

// openAPIDoc is one embedded document: the file holding its gzip form, and the hash and
// length of its uncompressed bytes.
type openAPIDoc struct {
	file string
	hash string
	size int64
}

var servedOpenAPIPaths = []string{"api/v1", "apis/apps/v1", "apis/policy/v1", "apis/autoscaling/v1",
	"apis/storage.k8s.io/v1", "apis/discovery.k8s.io/v1", "apis/coordination.k8s.io/v1"}

var sharedOpenAPI = &openAPIDocs{}

func loadOpenAPI() *openAPIDocs { return sharedOpenAPI }

func (d *openAPIDocs) load() error {
	d.once.Do(func() {
		d.docs = map[string]openAPIDoc{}
		var b strings.Builder
		b.WriteString(`{"paths":{`)
		for i, p := range servedOpenAPIPaths {
			doc, err := capturedOpenAPIInfo(p)
			if err != nil {
				d.err = err
				return
			}
			d.docs[p] = doc
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `%q:{"serverRelativeURL":%q}`, p, "/openapi/v3/"+p+"?hash="+doc.hash)
		}
		b.WriteString(`}}`)
		d.index = []byte(b.String())
		d.indexHash = fmt.Sprintf("%X", sha512.Sum512(d.index))
	})
	return d.err
}

// capturedOpenAPIInfo hashes and measures gv's embedded document, inflating it once. Every
// served group version has one (TestOpenAPIEveryServedGroupVersionIsCaptured).
func capturedOpenAPIInfo(gv string) (openAPIDoc, error) {
	name := capturedOpenAPIPath(gv)
	f, err := capturedOpenAPIFS.Open(name)
	if err != nil {
		return openAPIDoc{}, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return openAPIDoc{}, fmt.Errorf("OpenAPI document of %s: %w", gv, err)
	}
	h := sha512.New()
	n, err := io.Copy(h, zr)
	if err != nil {
		return openAPIDoc{}, fmt.Errorf("OpenAPI document of %s: %w", gv, err)
	}
	return openAPIDoc{file: name, hash: fmt.Sprintf("%X", h.Sum(nil)), size: n}, nil
}

func (s *server) serveOpenAPI(w http.ResponseWriter, r *http.Request, path string) {
	if err := s.oapi.load(); err != nil {
		writeError(w, err)
		return
	}
	if path == "/openapi/v2" {
		if _, err := fs.Stat(capturedOpenAPIFS, capturedOpenAPIPath("v2")); err == nil {
			w.Header().Set("Content-Type", "application/json")
			serveCapturedOpenAPI(w, r, capturedOpenAPIPath("v2"), -1)
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
			etag := doc.hash
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
			serveCapturedOpenAPI(w, r, doc.file, doc.size)
			return
		}
	}
	writeNotFoundPath(w, r)
}

// serveCapturedOpenAPI serves an embedded gzip file: as it is, with Content-Encoding gzip, to
// a client that accepts gzip and asks for no range; inflated otherwise (size is the inflated
// length, or -1 when unknown: then it is measured first). Conditional requests and ranges
// are http.ServeContent's either way.
func serveCapturedOpenAPI(w http.ResponseWriter, r *http.Request, file string, size int64) {
	w.Header().Add("Vary", "Accept-Encoding")
	f, err := capturedOpenAPIFS.Open(file)
	if err != nil {
		writeError(w, err)
		return
	}
	defer f.Close()
	if r.Header.Get("Range") == "" && acceptsGzip(r) {
		if rs, ok := f.(io.ReadSeeker); ok { // embed's files seek: served straight from the binary
			w.Header().Set("Content-Encoding", "gzip")
			http.ServeContent(w, r, "", time.Time{}, rs)
			return
		}
	}
	g := &gunzipSeeker{open: func() (io.ReadCloser, error) { return capturedOpenAPIFS.Open(file) }, size: size}
	defer g.Close()
	http.ServeContent(w, r, "", time.Time{}, g)
}

// acceptsGzip reports whether the request's Accept-Encoding lists gzip with a nonzero q.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			if !ok {
				return true
			}
			f, err := strconv.ParseFloat(q, 64)
			return err == nil && f > 0
		}
	}
	return false
}

// gunzipSeeker is the inflated bytes of a gzip file as an io.ReadSeeker for
// http.ServeContent, which seeks to the end for the length, back to the start, and to a
// range's start: a seek backwards inflates again from the beginning.
type gunzipSeeker struct {
	open func() (io.ReadCloser, error)
	size int64 // -1: not known yet

	f   io.ReadCloser
	zr  *gzip.Reader
	pos int64 // where Read continues
	at  int64 // where zr is
}

func (g *gunzipSeeker) reset() error {
	g.Close()
	f, err := g.open()
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		_ = f.Close()
		return err
	}
	g.f, g.zr, g.at = f, zr, 0
	return nil
}

func (g *gunzipSeeker) Read(p []byte) (int, error) {
	if g.zr == nil || g.at > g.pos {
		if err := g.reset(); err != nil {
			return 0, err
		}
	}
	if g.at < g.pos {
		n, err := io.CopyN(io.Discard, g.zr, g.pos-g.at)
		g.at += n
		if err != nil {
			return 0, err
		}
	}
	n, err := g.zr.Read(p)
	g.at += int64(n)
	g.pos = g.at
	return n, err
}

func (g *gunzipSeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += g.pos
	case io.SeekEnd:
		if g.size < 0 {
			if err := g.reset(); err != nil {
				return 0, err
			}
			n, err := io.Copy(io.Discard, g.zr)
			if err != nil {
				return 0, err
			}
			g.size, g.at = n, n
		}
		offset += g.size
	default:
		return 0, errors.New("gunzipSeeker: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("gunzipSeeker: negative position")
	}
	g.pos = offset
	return offset, nil
}

func (g *gunzipSeeker) Close() {
	if g.f != nil {
		_ = g.f.Close()
	}
	g.f, g.zr = nil, nil
}
