package engine

import (
	"crypto/sha512"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"weak"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi/openapitest"
)

// deployManifest is a Deployment whose container env list kubectl apply merges by name
// (strategic merge patch metadata from the OpenAPI v3 document).
func deployManifest(name, value string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
spec:
  replicas: 1
  selector:
    matchLabels: {app: %s}
  template:
    metadata:
      labels: {app: %s}
    spec:
      containers:
      - name: c
        image: nginx
        env:
        - name: A
          value: %q
`, name, name, name, value)
}

// applyPatchApply applies a Deployment, patches its env out of band and applies again with
// a new value, and returns what the second apply printed and the env it left.
func applyPatchApply(t *testing.T, s *Session, value string) (string, error) {
	if _, e, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(deployManifest("web", "one"))); err != nil {
		return "", fmt.Errorf("first apply: %v\n%s", err, e)
	}
	patch := `{"spec":{"template":{"spec":{"containers":[{"name":"c","env":[{"name":"B","value":"kept"}]}]}}}}`
	if _, e, err := kubectl(t, s, "kubectl patch deployment web -p '"+patch+"'"); err != nil {
		return "", fmt.Errorf("patch: %v\n%s", err, e)
	}
	out, e, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(deployManifest("web", value)))
	if err != nil {
		return "", fmt.Errorf("second apply: %v\n%s", err, e)
	}
	env, e, err := kubectl(t, s, `kubectl get deployment web -o 'jsonpath={range .spec.template.spec.containers[0].env[*]}{.name}={.value};{end}'`)
	if err != nil {
		return "", fmt.Errorf("get: %v\n%s", err, e)
	}
	return out + env, nil
}

// TestConcurrentApplySharesOpenAPI: two sessions apply, patch out of band and apply again
// at the same time (run with -race), reading the shared documents. Each ends with its own
// value, and with exactly what kubectl's own apply (no sharing) gives on a third session:
// the entry added by `kubectl patch` survives only when the patch was built from the
// document's merge keys (env merges by name).
func TestConcurrentApplySharesOpenAPI(t *testing.T) {
	a, _ := newTestSession(t)
	b, _ := newTestSession(t)
	own, _ := newTestSession(t)
	own.kubectlOwnRuns.Store(true)
	want, err := applyPatchApply(t, own, "two")
	if err != nil {
		t.Fatalf("kubectl's own apply: %v", err)
	}
	if !strings.Contains(want, "deployment.apps/web configured\n") || !strings.Contains(want, "A=two;") || !strings.Contains(want, "B=kept;") {
		t.Fatalf("kubectl's own apply left %q", want)
	}
	var wg sync.WaitGroup
	got := make([]string, 2)
	errs := make([]error, 2)
	for i, s := range []*Session{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = applyPatchApply(t, s, "two")
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Errorf("session %d: %v", i, errs[i])
		} else if got[i] != want {
			t.Errorf("session %d: %q, kubectl's own apply: %q", i, got[i], want)
		}
	}
	// Both sessions' simulators publish apps/v1 under one hash: one shared parse.
	openAPIDocs.mu.Lock()
	var keys []string
	for k, e := range openAPIDocs.docs {
		if strings.HasPrefix(k, "apis/apps/v1?hash=") && e.doc != nil {
			keys = append(keys, k)
		}
	}
	openAPIDocs.mu.Unlock()
	if len(keys) != 1 {
		t.Fatalf("shared apps/v1 documents: %q, want exactly one", keys)
	}
	// And the verifier's answer for Deployments under it: the server validates fields.
	openAPIDocs.mu.Lock()
	verdict, found := openAPIDocs.verdicts[verdictKey{doc: keys[0], gvk: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, param: "fieldValidation"}]
	openAPIDocs.mu.Unlock()
	if !found || verdict != nil {
		t.Fatalf("shared fieldValidation verdict for Deployments: found %v, %v; want found, supported", found, verdict)
	}
}

// TestApplyUnknownFieldStillServerValidated: with the shared verdict, an unknown field is
// still refused the way a real apiserver refuses it (kubectl sends fieldValidation=Strict).
func TestApplyUnknownFieldStillServerValidated(t *testing.T) {
	s, _ := newTestSession(t)
	for i := 0; i < 2; i++ { // the second run answers from the shared verdict
		bad := strings.Replace(deployManifest("bad", "x"), "  replicas: 1\n", "  replicas: 1\n  replicaz: 2\n", 1)
		out, errOut, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(bad))
		if err == nil {
			t.Fatalf("run %d: apply of an unknown field succeeded: %s", i, out)
		}
		if !strings.Contains(errOut, `strict decoding error: unknown field "spec.replicaz"`) {
			t.Fatalf("run %d: stderr %q, want the server's strict decoding error", i, errOut)
		}
	}
}

// fakeOpenAPIClient lists one document under a hash that may or may not be its own.
type fakeOpenAPIClient struct {
	path, hash string
	doc        []byte
	fetches    int
	mu         sync.Mutex
}

func (c *fakeOpenAPIClient) Paths() (map[string]openapi.GroupVersion, error) {
	return map[string]openapi.GroupVersion{c.path: &fakeGV{c: c}}, nil
}

type fakeGV struct{ c *fakeOpenAPIClient }

func (g *fakeGV) Schema(string) ([]byte, error) {
	g.c.mu.Lock()
	g.c.fetches++
	g.c.mu.Unlock()
	return g.c.doc, nil
}

func (g *fakeGV) ServerRelativeURL() string { return "/openapi/v3/" + g.c.path + "?hash=" + g.c.hash }

func embeddedAppsDoc(t *testing.T) []byte {
	t.Helper()
	paths, err := openapitest.NewEmbeddedFileClient().Paths()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := paths["apis/apps/v1"].Schema("application/json")
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSharedRootChecksTheHash: a document is shared only under its own SHA-512; a server
// listing it under another hash gets a private parse each time and plants nothing.
func TestSharedRootChecksTheHash(t *testing.T) {
	doc := embeddedAppsDoc(t)
	gv := schema.GroupVersion{Group: "apps", Version: "v1"}
	own := fmt.Sprintf("%X", sha512.Sum512(doc))
	liar := &fakeOpenAPIClient{path: "apis/apps/v1", hash: strings.Repeat("AB", 64), doc: doc}
	for i := 0; i < 2; i++ {
		d, err := newSharedRoot(liar).GVSpec(gv)
		if err != nil || d == nil || d.Paths == nil {
			t.Fatalf("GVSpec with a wrong hash: %v", err)
		}
	}
	openAPIDocs.mu.Lock()
	_, planted := openAPIDocs.docs["apis/apps/v1?hash="+liar.hash]
	openAPIDocs.mu.Unlock()
	if planted {
		t.Fatal("a document was shared under a hash that is not its own")
	}

	honest1 := &fakeOpenAPIClient{path: "apis/apps/v1", hash: own, doc: doc}
	honest2 := &fakeOpenAPIClient{path: "apis/apps/v1", hash: own, doc: doc}
	d1, err1 := newSharedRoot(honest1).GVSpec(gv)
	d2, err2 := newSharedRoot(honest2).GVSpec(gv)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if d1 != d2 {
		t.Fatal("two clients of one hashed document got two parses")
	}
	if honest1.fetches+honest2.fetches > 1 {
		t.Fatalf("the document was fetched %d times, want at most once", honest1.fetches+honest2.fetches)
	}
}

// TestKubectlRunLeavesNothingReachable: once `kubectl apply` has ended, nothing of the run
// stays reachable: not its flags, their discovery client, nor the OpenAPI documents that
// client cached (kubectl's completion factory held the last tree's flags; 2.3 MB after an
// apply while the player sat idle). The fieldValidation verdicts stay shared, and a second
// apply gives the same result as the first.
func TestKubectlRunLeavesNothingReachable(t *testing.T) {
	s, _ := newTestSession(t)
	var mu sync.Mutex
	var runs []weak.Pointer[genericclioptions.ConfigFlags]
	testRunFlags = func(f *genericclioptions.ConfigFlags) {
		mu.Lock()
		runs = append(runs, weak.Make(f))
		mu.Unlock()
	}
	t.Cleanup(func() { testRunFlags = nil })
	for i, want := range []string{"deployment.apps/web created", "deployment.apps/web configured"} {
		out, e, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(deployManifest("web", fmt.Sprint(i))))
		if err != nil || !strings.Contains(out, want) {
			t.Fatalf("apply %d: %v %q %q, want %q", i, err, out, e, want)
		}
	}
	openAPIDocs.mu.Lock()
	verdicts := len(openAPIDocs.verdicts)
	openAPIDocs.mu.Unlock()
	if verdicts == 0 {
		t.Error("no shared fieldValidation verdict kept after apply")
	}
	runtime.GC()
	runtime.GC()
	mu.Lock()
	defer mu.Unlock()
	if len(runs) != 2 {
		t.Fatalf("%d runs seen, want 2", len(runs))
	}
	for i, w := range runs {
		if w.Value() != nil {
			t.Errorf("run %d's flags (and the discovery client and documents they hold) are still reachable", i)
		}
	}
}
