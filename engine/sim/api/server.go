// Package api serves the simulated cluster over the real Kubernetes REST API: discovery,
// OpenAPI, CRUD with watch, patch, the status and scale subresources and server-side tables,
// on top of engine/sim/store.
package api

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/clock"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Options configure the handler.
type Options struct {
	// Token, when set, is the bearer token every request must carry.
	Token string
	// Version is the gitVersion /version reports; default "v1.37.2".
	Version string
	// Clock drives AGE columns; default the real clock.
	Clock clock.PassiveClock
	// Logf receives one line per request, when it ends; nil discards them. The kubectl tests
	// watch it to see what kubectl asked (a LIST before a watch, say).
	Logf func(format string, args ...any)
	// MaxWatches caps concurrent watch streams; 0 means DefaultMaxWatches. Beyond it a watch
	// gets 429 Too Many Requests, as a real apiserver's in-flight limit answers.
	MaxWatches int
	// Runner runs exec and attach commands; nil: container.Nop.
	Runner container.Runner
	// Logs supplies container output for logs and attach; nil: DefaultLogs.
	Logs LogSource
	// MaxMutatingInFlight caps concurrent writes (POST, PUT, PATCH, DELETE other than exec and
	// attach), each of which may hold a 3 MiB body and its decoded copies; 0 means
	// DefaultMaxMutatingInFlight. Beyond it a write gets 429 with Retry-After, which client-go
	// retries, as the apiserver's max-mutating-requests-inflight answers.
	MaxMutatingInFlight int
	// Context, when done, ends streaming sessions (exec, attach, logs -f), which outlive
	// http.Server.Close once hijacked; nil: never.
	Context context.Context
}

// DefaultMaxWatches is the default cap on concurrent watches (the player needs a handful).
const DefaultMaxWatches = 256

// DefaultMaxMutatingInFlight bounds the memory concurrent writes can hold.
const DefaultMaxMutatingInFlight = 16

// DefaultVersion is what /version reports unless Options.Version says otherwise.
const DefaultVersion = "v1.37.2"

type server struct {
	st    *store.Store
	o     Options
	clock clock.PassiveClock
	oapi  *openAPIDocs
	enc   *encCache // JSON of stored objects, once per resourceVersion

	objLocks [objectLocks]sync.Mutex // patches of one object take turns (lockObject)

	watches atomic.Int64  // watch streams open now
	writes  chan struct{} // a slot per mutating request in flight
	runner  container.Runner
	logs    LogSource
	ctx     context.Context
}

// New returns the API handler. It does not install Hooks() on the store; the caller wires
// them (store.Options.Hooks or Store.SetHooks) so that writes from controllers are defaulted too.
func New(st *store.Store, o Options) http.Handler {
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.MaxWatches <= 0 {
		o.MaxWatches = DefaultMaxWatches
	}
	if o.MaxMutatingInFlight <= 0 {
		o.MaxMutatingInFlight = DefaultMaxMutatingInFlight
	}
	limitJSONPatchCopies()
	s := &server{st: st, o: o, clock: o.Clock, oapi: loadOpenAPI(), enc: newEncCache(defaultEncCacheBytes), runner: o.Runner, logs: o.Logs, ctx: o.Context,
		writes: make(chan struct{}, o.MaxMutatingInFlight)}
	if s.runner == nil {
		s.runner = container.Nop{}
	}
	if s.logs == nil {
		s.logs = DefaultLogs{}
	}
	if s.ctx == nil {
		s.ctx = context.Background()
	}
	return http.HandlerFunc(s.serve)
}

func (s *server) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}

// statusRecorder remembers the status code for the request log and passes Flush through
// so watches stream.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Hijack lets exec and attach upgrade the connection (SPDY, WebSocket).
func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("connection cannot be upgraded")
	}
	if r.code == 0 {
		r.code = http.StatusSwitchingProtocols
	}
	return h.Hijack()
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.RequestURI(), p, debug.Stack())
			if rec.code == 0 {
				writeError(rec, apierrors.NewInternalError(fmt.Errorf("%v", p)))
			}
		}
		if s.o.Logf != nil {
			s.logf("%s %s %d %s", r.Method, r.URL.RequestURI(), rec.code, time.Since(start).Round(time.Microsecond))
		}
	}()
	if !s.authorized(r) {
		writeJSON(rec, http.StatusUnauthorized, &metav1.Status{
			TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
			Status:   metav1.StatusFailure, Message: "Unauthorized", Reason: metav1.StatusReasonUnauthorized, Code: http.StatusUnauthorized})
		return
	}
	if mutating(r) {
		select {
		case s.writes <- struct{}{}:
			defer func() { <-s.writes }()
		default:
			rec.Header().Set("Retry-After", "1")
			writeError(rec, apierrors.NewTooManyRequests("Too many requests, please try again later.", 1))
			return
		}
	}
	s.route(rec, r)
}

// mutating reports a write that reads a body; exec and attach (POST for SPDY) are streams.
func mutating(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		p := strings.TrimSuffix(r.URL.Path, "/")
		return !strings.HasSuffix(p, "/exec") && !strings.HasSuffix(p, "/attach") && !strings.HasSuffix(p, "/portforward")
	}
	return false
}

// publicPaths answer without credentials, as a real apiserver's anonymous access and the
// system:public-info-viewer role allow (kubectl's version dispatcher asks /version first).
var publicPaths = map[string]bool{"/version": true, "/version/": true, "/healthz": true, "/livez": true, "/readyz": true}

func (s *server) authorized(r *http.Request) bool {
	if s.o.Token == "" || (r.Method == http.MethodGet && publicPaths[r.URL.Path]) {
		return true
	}
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(h[len(prefix):])), []byte(s.o.Token)) == 1
}

func (s *server) route(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch p {
	case "/version":
		s.serveVersion(w, r)
		return
	case "/healthz", "/readyz", "/livez":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write([]byte("ok"))
		return
	case "/api":
		s.serveAPIVersions(w, r)
		return
	case "/apis":
		s.serveAPIGroupList(w, r)
		return
	case "", "/":
		writeJSON(w, http.StatusOK, map[string]any{"paths": []string{"/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/apis/policy", "/apis/policy/v1", "/healthz", "/livez", "/openapi/v3", "/readyz", "/version"}})
		return
	}
	if strings.HasPrefix(p, "/openapi/") {
		s.serveOpenAPI(w, r, p)
		return
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	var group, version string
	var rest []string
	switch {
	case segs[0] == "api" && len(segs) >= 2:
		group, version, rest = "", segs[1], segs[2:]
	case segs[0] == "apis" && len(segs) == 2:
		s.serveAPIGroup(w, r, segs[1])
		return
	case segs[0] == "apis" && len(segs) >= 3:
		group, version, rest = segs[1], segs[2], segs[3:]
	default:
		writeNotFoundPath(w, r)
		return
	}
	if len(rest) == 0 {
		s.serveResourceList(w, r, group, version)
		return
	}
	req, err := parseResourcePath(group, version, rest)
	if err != nil {
		writeNotFoundPath(w, r)
		return
	}
	s.serveResource(w, r, req)
}

func writeNotFoundPath(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusNotFound, &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Message: "the server could not find the requested resource",
		Reason: metav1.StatusReasonNotFound, Details: &metav1.StatusDetails{}, Code: http.StatusNotFound})
}

// resourceRequest is a parsed resource path.
type resourceRequest struct {
	res         store.Resource
	namespace   string
	name        string
	subresource string
	watchPath   bool // …/watch/… form
}

// parseResourcePath understands [watch/][namespaces/NS/]RESOURCE[/NAME[/SUB]] after the
// group-version prefix.
func parseResourcePath(group, version string, segs []string) (resourceRequest, error) {
	var req resourceRequest
	if len(segs) > 0 && segs[0] == "watch" {
		req.watchPath = true
		segs = segs[1:]
	}
	if len(segs) >= 3 && segs[0] == "namespaces" && segs[2] != "status" && segs[2] != "finalize" {
		req.namespace = segs[1]
		segs = segs[2:]
	}
	if len(segs) == 0 || len(segs) > 3 {
		return req, fmt.Errorf("bad path")
	}
	res, ok := store.Lookup(group, segs[0])
	if !ok || res.Version != version {
		return req, fmt.Errorf("unknown resource")
	}
	req.res = res
	if len(segs) > 1 {
		req.name = segs[1]
	}
	if len(segs) > 2 {
		req.subresource = segs[2]
	}
	if res.Namespaced && req.name != "" && req.namespace == "" {
		return req, fmt.Errorf("namespaced resource without namespace")
	}
	if !res.Namespaced && req.namespace != "" {
		return req, fmt.Errorf("cluster-scoped resource with namespace")
	}
	return req, nil
}
