package engine

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/hostiletest"
)

// requestLog records the requests kubectl sends.
type requestLog struct {
	mu   sync.Mutex
	reqs []string
}

type recordingRT struct {
	log  *requestLog
	next http.RoundTripper
}

func (r *recordingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	r.log.mu.Lock()
	r.log.reqs = append(r.log.reqs, req.Method+" "+req.URL.EscapedPath())
	r.log.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *requestLog) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

var (
	// Discovery and the server's own description, read by every kubectl run.
	discoveryPath = regexp.MustCompile(`^/(api(/v1)?|apis(/[a-z0-9.-]+(/[a-z0-9]+)?)?|version|openapi/v[23](/apis?(/[a-z0-9.-]+){0,2})?)/?$`)
	// A namespace's own object (read), the cluster-wide objects lessons may read.
	clusterReadPath = regexp.MustCompile(`^/(api/v1/(nodes|persistentvolumes|namespaces)|apis/storage\.k8s\.io/v1/storageclasses|apis/metrics\.k8s\.io/v1beta1/nodes)(/[a-z0-9.-]+)?(/status)?$`)
	// Reviews about the caller's own access, which store nothing.
	selfReviewPath = regexp.MustCompile(`^/apis/(authorization|authentication)\.k8s\.io/v1/self[a-z]+reviews$`)
	namespacedPath = regexp.MustCompile(`^/(?:api/v1|apis/[a-z0-9.-]+/[a-z0-9]+)/namespaces/([a-z0-9-]+)/`)
)

// touchesOnly reports whether one request stays inside namespace ns (or only reads what a
// lesson may read anywhere).
func touchesOnly(req, ns string) bool {
	method, path, _ := strings.Cut(req, " ")
	if m := namespacedPath.FindStringSubmatch(path); m != nil {
		return m[1] == ns
	}
	if method == http.MethodGet && (discoveryPath.MatchString(path) || clusterReadPath.MatchString(path)) {
		return true
	}
	return method == http.MethodPost && selfReviewPath.MatchString(path)
}

// FuzzGuard holds the guard against kubectl itself: whenever the guard lets a line run in a
// lesson namespace on a real cluster, every request kubectl then sends stays inside that
// namespace (or only reads nodes, PersistentVolumes, StorageClasses, namespaces and
// discovery). The seeds are the hostile corpus and lesson commands.
func FuzzGuard(f *testing.F) {
	const ns = "lesson"
	for _, line := range hostiletest.Corpus(map[string]string{"LESSON_NS": ns, "OTHER_NS": "team-a", "NODE": "sim-node-1",
		"HOME_KUBECONFIG": "/nonexistent/config", "EVIL_FILE": "/nonexistent/evil.yaml", "EVIL_DIR": "/nonexistent"}) {
		f.Add(strings.TrimPrefix(line, "kubectl "))
	}
	for _, line := range []string{
		"apply -f web.yaml", "get pods -l app=nginx", "scale sts web --replicas=3", "delete pod web-0",
		"get pvc -l app=nginx", "describe sts web", "get nodes", "get ns lesson -o yaml", "logs web-0",
		"exec web-0 -- hostname", "get --raw /api/v1/namespaces/lesson/pods", "rollout history sts/web",
		`patch sts web -p '{"spec":{"replicas":2}}'`, "label pod web-0 a=b", "get all", "delete sts web --cascade=orphan",
		"create configmap c --from-literal=a=b", "get events", "auth can-i create pods", "api-resources",
	} {
		f.Add(line)
	}

	fake := testingclock.NewFakeClock(simEpoch)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	s, err := NewSimSession(ctx, SimOptions{Fake: fake, AutoAdvance: true, Seed: 7})
	cancel()
	if err != nil {
		f.Fatalf("NewSimSession: %v", err)
	}
	f.Cleanup(s.Close)
	s.ns, s.real.ns = ns, ns
	log := &requestLog{}
	s.cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &recordingRT{log: log, next: rt} })

	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 512 || strings.ContainsAny(line, "\x00\n") {
			return
		}
		full := "kubectl " + line
		if err := s.CheckCommand(full); err != nil {
			return // refused
		}
		args, _ := SplitCommandLine(full)
		if w := firstWord(args[1:]); w == "edit" || w == "proxy" {
			return // RunKubectl refuses these itself
		}
		log.take()
		// Lines that wait (watches, rollout status) end with the context; what matters is
		// what they sent until then.
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = s.RunKubectl(rctx, full, strings.NewReader(""), nil, nil)
		for _, req := range log.take() {
			if !touchesOnly(req, ns) {
				t.Errorf("the guard allowed %q, and kubectl sent %s", full, req)
			}
		}
	})
}

func TestTouchesOnly(t *testing.T) {
	for req, want := range map[string]bool{
		"GET /api/v1/namespaces/lesson/pods":                          true,
		"DELETE /apis/apps/v1/namespaces/lesson/statefulsets/web":     true,
		"GET /api/v1/namespaces/other/pods":                           false,
		"DELETE /api/v1/namespaces/lesson":                            false,
		"GET /api/v1/namespaces/lesson":                               true,
		"PATCH /api/v1/nodes/n1":                                      false,
		"GET /api/v1/nodes":                                           true,
		"GET /apis/apps/v1":                                           true,
		"POST /api/v1/namespaces":                                     false,
		"GET /api/v1/pods":                                            false,
		"POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews": true,
	} {
		if got := touchesOnly(req, "lesson"); got != want {
			t.Errorf("touchesOnly(%q) = %v, want %v", req, got, want)
		}
	}
}
