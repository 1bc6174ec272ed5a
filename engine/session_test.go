package engine

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeTestKubeconfig writes a kubeconfig with contexts "a" (namespace team-a, current) and
// "b" (no namespace) for a TLS server that wants bearer token tok.
func writeTestKubeconfig(t *testing.T, srv *httptest.Server, tok string) string {
	t.Helper()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["c"] = &clientcmdapi.Cluster{Server: srv.URL, CertificateAuthorityData: ca}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: tok}
	cfg.Contexts["a"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u", Namespace: "team-a"}
	cfg.Contexts["b"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	cfg.CurrentContext = "a"
	path := filepath.Join(t.TempDir(), "config")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func versionServer(t *testing.T, tok string) *httptest.Server {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+tok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"major":"1","minor":"37","gitVersion":"v1.37.2"}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestKubeconfigSessionPicksContextAndNamespace(t *testing.T) {
	srv := versionServer(t, "t0k")
	path := writeTestKubeconfig(t, srv, "t0k")
	ctx := testCtx(t)

	for _, tc := range []struct {
		o             KubeconfigOptions
		label, ns     string
		viaKUBECONFIG bool
	}{
		{o: KubeconfigOptions{Path: path}, label: "a", ns: "team-a"},
		{o: KubeconfigOptions{Path: path, Context: "b"}, label: "b", ns: "default"},
		{o: KubeconfigOptions{Path: path, Context: "a", Namespace: "x"}, label: "a", ns: "x"},
		{o: KubeconfigOptions{Context: "b", Namespace: "y"}, label: "b", ns: "y", viaKUBECONFIG: true},
	} {
		if tc.viaKUBECONFIG {
			t.Setenv("KUBECONFIG", path)
		}
		s, err := NewKubeconfigSession(ctx, tc.o)
		if err != nil {
			t.Fatalf("%+v: %v", tc.o, err)
		}
		if s.Label() != tc.label || s.Namespace() != tc.ns {
			t.Errorf("%+v: label %q namespace %q, want %q %q", tc.o, s.Label(), s.Namespace(), tc.label, tc.ns)
		}
		if s.Sim() != nil {
			t.Errorf("%+v: Sim() is not nil on a real cluster", tc.o)
		}
		if err := s.WaitIdle(ctx); err != nil {
			t.Errorf("WaitIdle on a real cluster: %v", err)
		}
		if s.Kube() == nil || s.Dynamic() == nil || s.RESTConfig().Host != srv.URL {
			t.Errorf("%+v: clients not set up", tc.o)
		}
		s.Close()
		s.Close() // twice is fine
		if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
			t.Errorf("session directory %s left behind", s.dir)
		}
	}
}

func TestKubeconfigSessionErrors(t *testing.T) {
	srv := versionServer(t, "t0k")
	path := writeTestKubeconfig(t, srv, "t0k")
	wrongTok := writeTestKubeconfig(t, srv, "nope")
	ctx := testCtx(t)
	for _, tc := range []struct {
		o    KubeconfigOptions
		want string
	}{
		{KubeconfigOptions{Path: path, Context: "nope"}, `no context "nope"`},
		{KubeconfigOptions{Path: filepath.Join(t.TempDir(), "missing")}, "kubeconfig"},
		{KubeconfigOptions{Path: wrongTok}, "cannot reach"},
	} {
		s, err := NewKubeconfigSession(ctx, tc.o)
		if err == nil {
			s.Close()
			t.Errorf("%+v: no error", tc.o)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want it to mention %q", tc.o, err, tc.want)
		}
	}
	srv.Close()
	if _, err := NewKubeconfigSession(ctx, KubeconfigOptions{Path: path}); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("server down: %v", err)
	}
}

// TestKubeconfigSessionAgainstSimulator plays the tutorial's first steps through a kubeconfig
// session, as on a real cluster: the simulator sits behind a TLS proxy with its own token.
func TestKubeconfigSessionAgainstSimulator(t *testing.T) {
	sim, _ := newTestSession(t)
	target, err := url.Parse(sim.cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(sim.cfg.CAData) {
		t.Fatal("the simulator's rest.Config carries no CA")
	}
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	proxy.FlushInterval = -1                    // stream watches
	proxy.ErrorLog = log.New(io.Discard, "", 0) // cancelled watches are expected here
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer outer" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.Header.Set("Authorization", "Bearer "+sim.cfg.BearerToken)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	path := writeTestKubeconfig(t, srv, "outer")

	s, err := NewKubeconfigSession(testCtx(t), KubeconfigOptions{Path: path, Context: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, sim)
	want := map[string]string{"web-0": "1/1 Running", "web-1": "1/1 Running"}
	if got := podStates(t, s); !equalMaps(got, want) {
		t.Fatalf("pods %v, want %v", got, want)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	ch, err := s.WatchTable(ctx, "sts", "")
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, ch); ev.Type != "LIST" || ev.Name != "web" || cell(ev, "READY") != "2/2" {
		t.Fatalf("sts row %+v", ev)
	}
	// kubectl's own -n overrides the session's namespace for that run only.
	_, errOut, _ := kubectl(t, s, "kubectl get pods -n kube-system")
	if !strings.Contains(errOut, "No resources found in kube-system namespace.") {
		t.Fatalf("get -n kube-system: %q", errOut)
	}
	if got := podStates(t, s); !equalMaps(got, want) {
		t.Fatalf("namespace leaked between runs: %v", got)
	}
}

func TestWriteKubeconfig(t *testing.T) {
	s, _ := newTestSession(t)
	path := filepath.Join(t.TempDir(), "sub", "kubeconfig")
	if err := s.WriteKubeconfig(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := cfg.Contexts[cfg.CurrentContext]
	if ctx == nil || ctx.Namespace != "default" {
		t.Fatalf("context %+v", ctx)
	}
	if cfg.Clusters[ctx.Cluster].Server != s.cfg.Host || cfg.AuthInfos[ctx.AuthInfo].Token != s.cfg.BearerToken {
		t.Fatalf("kubeconfig does not reach the session: %+v", cfg)
	}
	if err := s.WriteKubeconfig(""); err == nil {
		t.Error("empty path accepted")
	}
}

func TestKubeconfigExport(t *testing.T) {
	for path, want := range map[string]string{
		"/tmp/kubetutor/kubeconfig": "export KUBECONFIG=/tmp/kubetutor/kubeconfig",
		"/tmp/my dir/config":        "export KUBECONFIG='/tmp/my dir/config'",
		"/tmp/it's":                 `export KUBECONFIG='/tmp/it'\''s'`,
		"":                          "export KUBECONFIG=''",
	} {
		if got := KubeconfigExport(path); got != want {
			t.Errorf("KubeconfigExport(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestResolveManifestArgs(t *testing.T) {
	s := &Session{dir: "/S"}
	for _, tc := range []struct{ in, want string }{
		{"apply -f web.yaml", "apply -f /S/manifests/web.yaml"},
		{"apply -f ./web.yaml", "apply -f /S/manifests/web.yaml"},
		{"apply --filename=web-parallel.yaml", "apply --filename=/S/manifests/web-parallel.yaml"},
		{"apply -f=web.yaml", "apply -f=/S/manifests/web.yaml"},
		{"apply -fweb.yaml", "apply -f/S/manifests/web.yaml"},
		{"apply -f web.yaml,mysql-services.yaml", "apply -f /S/manifests/web.yaml,/S/manifests/mysql-services.yaml"},
		{"apply -f https://k8s.io/examples/application/mysql/mysql-statefulset.yaml", "apply -f /S/manifests/mysql-statefulset.yaml"},
		{"apply -f other/web.yaml", "apply -f other/web.yaml"},
		{"apply -f mine.yaml", "apply -f mine.yaml"},
		{"logs -f web-0", "logs -f web-0"},
		{"exec web-0 -- cat -f web.yaml", "exec web-0 -- cat -f web.yaml"},
	} {
		got, _ := s.resolveManifestArgs(strings.Fields(tc.in), "")
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, strings.Join(got, " "), tc.want)
		}
	}
}

func TestRunWriterReplacesPathsPerLine(t *testing.T) {
	var b strings.Builder
	w := newRunWriter(&b, map[string]string{"/S/manifests/web.yaml": "web.yaml"})
	_, _ = w.Write([]byte(`error when creating "/S/mani`))
	_, _ = w.Write([]byte("fests/web.yaml\": boom\nnext "))
	w.flush()
	if b.String() != "error when creating \"web.yaml\": boom\nnext " {
		t.Fatalf("got %q", b.String())
	}
	w.stop()
	// A stopped run's writer refuses output, so kubectl's copy loops end.
	if _, err := w.Write([]byte("dropped\n")); !errors.Is(err, errRunStopped) {
		t.Fatalf("write after stop: %v, want errRunStopped", err)
	}
	if strings.Contains(b.String(), "dropped") {
		t.Fatal("stopped writer wrote")
	}
}

// TestRealKubectlThroughWrittenKubeconfig is the "second terminal": the installed kubectl,
// given the kubeconfig the session writes, sees the session's cluster.
func TestRealKubectlThroughWrittenKubeconfig(t *testing.T) {
	bin, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatal("this test judges the simulator with the real kubectl: install kubectl (expected at /usr/bin/kubectl)")
	}
	s, _ := newTestSession(t)
	if !strings.HasPrefix(s.cfg.Host, "https://") {
		t.Fatalf("the simulator must serve https so a kubeconfig can carry its token, got %s", s.cfg.Host)
	}
	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	waitIdle(t, s)
	dir := t.TempDir()
	path := filepath.Join(dir, "kubeconfig")
	if err := s.WriteKubeconfig(path); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(testCtx(t), bin, "get", "sts", "web", "-o", "name")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+path, "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "statefulset.apps/web\n" {
		t.Fatalf("kubectl get sts web: %v\n%s", err, out)
	}
}

// TestNowFollowsTheClusterClock: a simulator session's Now is the simulator's clock (here a
// fake one, far from the wall clock), so ages computed from it match the simulator's
// creationTimestamps; a real-cluster session uses the local clock.
func TestNowFollowsTheClusterClock(t *testing.T) {
	s, fake := newTestSession(t)
	// AutoAdvance may move the fake clock between two reads, never backwards.
	if got := s.Now(); got.Before(simEpoch) || got.After(fake.Now()) {
		t.Fatalf("Now() = %v, want the fake clock's time (from %v)", got, simEpoch)
	}
	fake.Step(90 * time.Second)
	if got := s.Now(); got.Before(simEpoch.Add(90 * time.Second)) {
		t.Fatalf("Now() = %v after stepping the fake clock 90s from %v", got, simEpoch)
	}
	real := &Session{}
	before := time.Now()
	if got := real.Now(); got.Before(before) || time.Since(got) > time.Minute {
		t.Fatalf("real-cluster Now() = %v, want about %v", got, before)
	}
}
