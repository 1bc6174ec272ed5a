package api_test

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// chainedCopyPatch is the amplification attack of issue 12: each copy nests the whole
// annotations map inside itself, doubling it, so n copies ask for 2^n times the seed.
func chainedCopyPatch(n int) string {
	ops := []string{`{"op":"add","path":"/metadata/annotations","value":{"a":"` + strings.Repeat("x", 64) + `"}}`}
	for i := 0; i < n; i++ {
		ops = append(ops, fmt.Sprintf(`{"op":"copy","from":"/metadata/annotations","path":"/metadata/annotations/c%d"}`, i))
	}
	return "[" + strings.Join(ops, ",") + "]"
}

// The ~2 KB chained-copy patch is refused by json-patch's accumulated copy limit (3 MiB, the
// apiserver's) with 422 (the allocation bound shows it was the limit that stopped it), the object is untouched, and the whole request allocates far less
// than 64 MB. Before the limit it drove the process to gigabytes.
func TestJSONPatchChainedCopyIsBounded(t *testing.T) {
	e := newEnv(t, store.Options{})
	if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	patch := chainedCopyPatch(24)
	if len(patch) < 1500 || len(patch) > 2500 {
		t.Fatalf("patch is %d bytes, want about 2 KB", len(patch))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	body := doRaw(t, e, http.MethodPatch, "/api/v1/namespaces/default/configmaps/c", "application/json-patch+json", patch, http.StatusUnprocessableEntity)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	// The apiserver wraps json-patch's error in a generic 422 (NewGenericServerResponse), so
	// the learner sees the same words as on a real cluster.
	if !strings.Contains(string(body), `"message":"the server rejected our request due to an error in our request","reason":"Invalid"`) {
		t.Errorf("refusal: %s", body)
	}
	// TotalAlloc only grows, so its growth bounds the heap the request could have held.
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("refused in %v; allocated %.1f MB during the request; heap in use after %.1f MB",
		took, float64(alloc)/(1<<20), float64(after.HeapInuse)/(1<<20))
	if alloc > 64<<20 {
		t.Errorf("the refused patch allocated %d bytes, want under 64 MB", alloc)
	}
	if after.HeapInuse > 64<<20 {
		t.Errorf("heap in use %d bytes after the request, want under 64 MB", after.HeapInuse)
	}
	cm, err := e.cs.CoreV1().ConfigMaps("default").Get(ctx, "c", metav1.GetOptions{})
	if err != nil || len(cm.Annotations) != 0 {
		t.Errorf("object changed by a refused patch: %v %v", err, cm.Annotations)
	}
	// A few copies under the limit still apply (the limit is on size, not on copy as such).
	doRaw(t, e, http.MethodPatch, "/api/v1/namespaces/default/configmaps/c", "application/json-patch+json",
		`[{"op":"add","path":"/data","value":{"a":"1"}},{"op":"copy","from":"/data/a","path":"/data/b"}]`, http.StatusOK)
}

// More than 10000 operations is 413 with the apiserver's text.
func TestJSONPatchOperationCap(t *testing.T) {
	e := newEnv(t, store.Options{})
	if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	op := `{"op":"test","path":"/metadata/name","value":"c"}`
	many := "[" + strings.TrimSuffix(strings.Repeat(op+",", 10001), ",") + "]"
	body := doRaw(t, e, http.MethodPatch, "/api/v1/namespaces/default/configmaps/c", "application/json-patch+json", many, http.StatusRequestEntityTooLarge)
	if !strings.Contains(string(body), "The allowed maximum operations in a JSON patch is 10000, got 10001") {
		t.Errorf("refusal: %s", body)
	}
	exact := "[" + strings.TrimSuffix(strings.Repeat(op+",", 10000), ",") + "]"
	doRaw(t, e, http.MethodPatch, "/api/v1/namespaces/default/configmaps/c", "application/json-patch+json", exact, http.StatusOK)
}

// Annotations over 256 KiB in total are Invalid with the apiserver's field error, on create
// and on a patch that grows them.
func TestAnnotationsSizeLimit(t *testing.T) {
	e := newEnv(t, store.Options{})
	cms := e.cs.CoreV1().ConfigMaps("default")
	big := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "big", Annotations: map[string]string{"a": strings.Repeat("x", 256<<10)}}}
	_, err := cms.Create(ctx, big, metav1.CreateOptions{})
	want := `ConfigMap "big" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// Exactly at the limit is accepted: key and value lengths count.
	big.Annotations = map[string]string{"a": strings.Repeat("x", 256<<10-1)}
	if _, err := cms.Create(ctx, big, metav1.CreateOptions{}); err != nil {
		t.Fatalf("annotations of exactly 256 KiB: %v", err)
	}
	body := doRaw(t, e, http.MethodPatch, "/api/v1/namespaces/default/configmaps/big", "application/merge-patch+json",
		`{"metadata":{"annotations":{"b":"y"}}}`, http.StatusUnprocessableEntity)
	if !strings.Contains(string(body), "metadata.annotations: Too long: may not be more than 262144 bytes") {
		t.Errorf("patch over the limit: %s", body)
	}
	// Keys are checked as qualified names, case-insensitively.
	_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "k", Annotations: map[string]string{"bad key": "v"}}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `metadata.annotations: Invalid value: "bad key": name part must consist of alphanumeric characters`) {
		t.Errorf("bad annotation key: %v", err)
	}
}

func continueToken(v string, rv int64, start string) string {
	b, _ := json.Marshal(map[string]any{"v": v, "rv": rv, "start": start})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Bad list parameters get the apiserver's errors, in its order: the parameter codec,
// ValidateListOptions, then storage's continue and resourceVersion checks.
func TestListParameterErrors(t *testing.T) {
	e := newEnv(t, store.Options{})
	good := continueToken("meta.k8s.io/v1", 5, "default/web-0")
	for _, c := range []struct {
		query string
		code  int
		want  string
	}{
		{"limit=abc", 400, `strconv.ParseInt: parsing \"abc\": invalid syntax`},
		{"resourceVersion=abc", 400, `invalid resource version: resourceVersion: Invalid value: \"abc\": strconv.ParseUint: parsing \"abc\": invalid syntax`},
		{"resourceVersion=-1", 400, `invalid resource version: resourceVersion: Invalid value: \"-1\"`},
		{"resourceVersionMatch=Exact", 422, `ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided`},
		{"resourceVersion=1&resourceVersionMatch=Sometimes", 422, `resourceVersionMatch: Unsupported value: \"Sometimes\": supported values: \"Exact\", \"NotOlderThan\", \"\"`},
		{"sendInitialEvents=true", 422, `sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list`},
		{"continue=%21%21", 400, `invalid continue token: continue key is not valid: illegal base64 data at input byte 0`},
		{"continue=" + continueToken("v9", 5, "a"), 400, `invalid continue token: continue key is not valid: server does not recognize this encoded version v9`},
		{"continue=" + continueToken("meta.k8s.io/v1", 0, "a"), 400, `invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`},
		{"continue=" + continueToken("meta.k8s.io/v1", 5, "../../secrets"), 400, `invalid continue token: continue key is not valid: ../../secrets`},
		{"continue=" + good + "&resourceVersion=5", 400, `specifying resource version is not allowed when using continue`},
		{"continue=" + good, 200, `"kind":"PodList"`}, // served: the page after default/web-0
		{"limit=5", 200, `"kind":"PodList"`},
		{"limit=-3&resourceVersion=0", 200, `"kind":"PodList"`},
		{"resourceVersion=1&resourceVersionMatch=NotOlderThan", 200, `"kind":"PodList"`},
	} {
		body := doRaw(t, e, http.MethodGet, "/api/v1/namespaces/default/pods?"+c.query, "", "", c.code)
		if !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %s\nwant it to contain %s", c.query, body, c.want)
		}
	}
}

// YAML aliases that expand exponentially are refused by the decoder, not expanded.
func TestYAMLAliasBombRefused(t *testing.T) {
	e := newEnv(t, store.Options{})
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na0: &a0 [\"xxxxxxxxxxxxxxxx\",\"xxxxxxxxxxxxxxxx\"]\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d,*a%d,*a%d,*a%d]\n", i, i, i-1, i-1, i-1, i-1)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	body := doRaw(t, e, http.MethodPost, "/api/v1/namespaces/default/configmaps", "application/yaml", b.String(), http.StatusBadRequest)
	runtime.ReadMemStats(&after)
	if !strings.Contains(string(body), "excessive aliasing") {
		t.Errorf("alias bomb: %s", body)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("the refused YAML allocated %d bytes, want under 64 MB", alloc)
	}
}

// gateReader is a request body that says when the handler first reads it (the handler
// holds its write slot by then) and gives its bytes only once released.
type gateReader struct {
	started, release chan struct{}
	once             sync.Once
	data             io.Reader
}

func (g *gateReader) Read(p []byte) (int, error) {
	g.once.Do(func() { close(g.started); <-g.release })
	return g.data.Read(p)
}

// Concurrent writes beyond the cap get 429 with Retry-After (client-go retries it); a slow
// body holds its slot until it ends; reads are not capped.
func TestMutatingInFlightCap(t *testing.T) {
	st := store.New(store.Options{Hooks: api.Hooks()})
	h := api.New(st, api.Options{MaxMutatingInFlight: 1})
	post := func(body io.Reader) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/namespaces/default/configmaps", body)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	gate := &gateReader{started: make(chan struct{}), release: make(chan struct{}),
		data: strings.NewReader(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"one"}}`)}
	first := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { h.ServeHTTP(first, post(gate)); close(done) }()
	<-gate.started

	second := httptest.NewRecorder()
	h.ServeHTTP(second, post(strings.NewReader(`{"metadata":{"name":"two"}}`)))
	if second.Code != http.StatusTooManyRequests || second.Header().Get("Retry-After") != "1" ||
		!strings.Contains(second.Body.String(), "Too many requests, please try again later.") {
		t.Errorf("second write: %d %q %s", second.Code, second.Header().Get("Retry-After"), second.Body.String())
	}
	read := httptest.NewRecorder()
	h.ServeHTTP(read, httptest.NewRequest(http.MethodGet, "/api/v1/namespaces/default/configmaps", nil))
	if read.Code != http.StatusOK {
		t.Errorf("a read while the write slot is taken: %d", read.Code)
	}
	close(gate.release)
	<-done
	if first.Code != http.StatusCreated {
		t.Fatalf("first write: %d %s", first.Code, first.Body.String())
	}
	again := httptest.NewRecorder()
	h.ServeHTTP(again, post(strings.NewReader(`{"metadata":{"name":"two"}}`)))
	if again.Code != http.StatusCreated {
		t.Errorf("write after the slot was freed: %d %s", again.Code, again.Body.String())
	}
}

// The connection cap holds a client beyond it in the listen queue, and the idle timeout
// frees a slot: the third connection is served only once an idle one is closed.
func TestConnLimits(t *testing.T) {
	st := store.New(store.Options{Hooks: api.Hooks()})
	srv := httptest.NewUnstartedServer(api.New(st, api.Options{}))
	ln := api.ConnLimits{MaxConns: 2, IdleTimeout: 200 * time.Millisecond, ReadHeaderTimeout: 5 * time.Second}.Apply(srv.Config, srv.Listener)
	srv.Listener = ln
	var mu sync.Mutex
	open, most := 0, 0
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open++
			most = max(most, open)
		case http.StateClosed, http.StateHijacked:
			open--
		}
	}
	srv.Start()
	defer srv.Close()
	get := func(c net.Conn) error {
		if _, err := fmt.Fprintf(c, "GET /version HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	var idle []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := get(c); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	third, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	// The deadline only turns a hang into a failure; nothing waits on it when all is well.
	_ = third.SetDeadline(time.Now().Add(30 * time.Second))
	if err := get(third); err != nil {
		t.Fatalf("third connection never served: %v", err)
	}
	// It was served because the server closed an idle connection, never a third at once.
	mu.Lock()
	defer mu.Unlock()
	if most != 2 {
		t.Errorf("%d connections were open at once, want the cap of 2", most)
	}
}

// BenchmarkJSONPatchChainedCopy measures the refusal of the amplification patch: time and
// bytes allocated per request, end to end over HTTP.
func BenchmarkJSONPatchChainedCopy(b *testing.B) {
	st, srv := benchServer(b, 0)
	if _, err := st.Create(store.MustLookup("configmaps"), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"}}); err != nil {
		b.Fatal(err)
	}
	patch := chainedCopyPatch(24)
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/api/v1/namespaces/default/configmaps/c", strings.NewReader(patch))
		req.Header.Set("Content-Type", "application/json-patch+json")
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnprocessableEntity {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
