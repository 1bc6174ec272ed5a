package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestKubectlTutorialFlow(t *testing.T) {
	s, _ := newTestSession(t)

	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, s)
	want := map[string]string{"web-0": "1/1 Running", "web-1": "1/1 Running"}
	if got := podStates(t, s); !equalMaps(got, want) {
		t.Fatalf("after apply: pods %v, want %v", got, want)
	}

	mustKubectl(t, s, "kubectl scale sts web --replicas=5", "statefulset.apps/web scaled\n")
	waitIdle(t, s)
	if got := podStates(t, s); len(got) != 5 || got["web-4"] != "1/1 Running" {
		t.Fatalf("after scale to 5: pods %v", got)
	}

	mustKubectl(t, s, `kubectl patch sts web -p '{"spec":{"replicas":3}}'`, "statefulset.apps/web patched\n")
	waitIdle(t, s)
	want = map[string]string{"web-0": "1/1 Running", "web-1": "1/1 Running", "web-2": "1/1 Running"}
	if got := podStates(t, s); !equalMaps(got, want) {
		t.Fatalf("after patch to 3: pods %v, want %v", got, want)
	}

	// The tutorial's JSON patch, with quotes glued to flags as it is written there.
	mustKubectl(t, s, `kubectl patch statefulset web --type='json' -p='[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"gcr.io/google_containers/nginx-slim:0.8"}]'`,
		"statefulset.apps/web patched\n")
	waitIdle(t, s) // the rolling update replaces every pod before web-0 is back
	sts, err := s.Kube().AppsV1().StatefulSets("default").Get(testCtx(t), "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := sts.Spec.Template.Spec.Containers[0].Image; img != "gcr.io/google_containers/nginx-slim:0.8" {
		t.Fatalf("image after json patch = %q", img)
	}

	// A Go template with $ signs inside single quotes reaches kubectl untouched.
	out, errOut, err := kubectl(t, s, `kubectl get po web-0 --template '{{range $i, $c := .spec.containers}}{{$c.image}}{{end}}'`)
	if err != nil || !strings.Contains(out, "nginx-slim:0.8") {
		t.Fatalf("get --template: %v\n%s%s", err, out, errOut)
	}
}

func TestKubectlVersion(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl version", "Client Version: "+kubectlVersion+"\nKustomize Version: v5.8.1\nServer Version: v1.37.2\n")
	if KubectlClientVersion() != kubectlVersion {
		t.Fatalf("KubectlClientVersion() = %q", KubectlClientVersion())
	}
}

func TestKubectlErrorNamesTheFileAsTyped(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl create -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	_, errOut, err := kubectl(t, s, "kubectl create -f web.yaml")
	ke, ok := asKubectlError(err)
	if !ok || ke.Code != 1 {
		t.Fatalf("second create: err = %v, want *KubectlError{Code: 1}", err)
	}
	want := `Error from server (AlreadyExists): error when creating "web.yaml": services "nginx" already exists`
	if !strings.Contains(errOut, want) {
		t.Fatalf("stderr %q\nwant it to contain %q", errOut, want)
	}
	if strings.Contains(errOut, s.dir) {
		t.Fatalf("stderr leaks the session directory: %q", errOut)
	}
}

func TestKubectlManifestByURLIsOffline(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f https://k8s.io/examples/application/mysql/mysql-configmap.yaml", "configmap/mysql created\n")
	mustKubectl(t, s, "kubectl apply --filename=./mysql-services.yaml", "service/mysql created\nservice/mysql-read created\n")
}

func TestKubectlUnknownCommandDoesNotExit(t *testing.T) {
	s, _ := newTestSession(t)
	out, errOut, err := kubectl(t, s, "kubectl frobnicate")
	ke, ok := asKubectlError(err)
	if !ok || ke.Code != 1 {
		t.Fatalf("err = %v, want *KubectlError{Code: 1}", err)
	}
	if out != "" || !strings.Contains(errOut, `error: unknown command "frobnicate" for "kubectl"`) {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	// The fatal handler was restored to ours for the next run, which still works.
	out, errOut, err = kubectl(t, s, "kubectl get pods")
	if err != nil || out != "" || errOut != "No resources found in default namespace.\n" {
		t.Fatalf("get pods after a failed run: %v %q %q", err, out, errOut)
	}
	// A flag error prints kubectl's usage hint, not a crash.
	_, errOut, err = kubectl(t, s, "kubectl get pods --frobnicate")
	if _, ok := asKubectlError(err); !ok || !strings.Contains(errOut, "unknown flag: --frobnicate") {
		t.Fatalf("unknown flag: %v %q", err, errOut)
	}
}

func TestKubectlMalformedStdin(t *testing.T) {
	s, _ := newTestSession(t)
	_, errOut, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader("kind: [unclosed\n\tgarbage: : :\n"))
	if _, ok := asKubectlError(err); !ok {
		t.Fatalf("err = %v, want *KubectlError", err)
	}
	if !strings.HasPrefix(errOut, "error: ") || !strings.Contains(errOut, "STDIN") {
		t.Fatalf("stderr %q, want kubectl's error about STDIN", errOut)
	}
	// No stdin at all: kubectl says there was nothing to apply.
	_, errOut, err = kubectlIn(t, s, "kubectl apply -f -", nil)
	if _, ok := asKubectlError(err); !ok || !strings.Contains(errOut, "no objects passed to apply") {
		t.Fatalf("empty stdin: %v %q", err, errOut)
	}
}

func TestKubectlRefusesWhatIsNotKubectl(t *testing.T) {
	s, _ := newTestSession(t)
	for _, line := range []string{"", "   ", "ls -l", "kubectl get pods | grep web", "kubectl edit sts web", "kubectl proxy --port=0", "kubectl -n default proxy", "kubectl --context=x -v 2 edit sts web", `kubectl get po "web-0`} {
		_, _, err := kubectl(t, s, line)
		if err == nil {
			t.Errorf("%q: no error", line)
			continue
		}
		if _, ok := asKubectlError(err); ok {
			t.Errorf("%q: %v is a kubectl exit, want a refusal before kubectl runs", line, err)
		}
	}
	// Nothing refused above holds on to kubectl (kubectl proxy would, for good).
	mustKubectl(t, s, "kubectl get ns default -o name", "namespace/default\n")
}

func TestKubectlWatchEndsWithContext(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	waitIdle(t, s)

	ctx, cancel := context.WithCancel(testCtx(t))
	out := &signalWriter{want: "web-1", first: make(chan struct{})}
	errOut := &signalWriter{first: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- s.RunKubectl(ctx, "kubectl get pods -w -l app=nginx", nil, out, errOut) }()
	// Once the rows are printed the watch runs until cancelled.
	select {
	case <-out.first:
	case err := <-done:
		t.Fatalf("get -w ended by itself: %v\n%s%s", err, out.String(), errOut.String())
	case <-time.After(testTimeout):
		t.Fatal("get -w printed no rows in time")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunKubectl after cancel = %v, want context.Canceled", err)
	}
	if e := errOut.String(); e != "" {
		t.Fatalf("stderr after cancel: %q", e)
	}
	if !strings.Contains(out.String(), "web-0") || !strings.Contains(out.String(), "Running") {
		t.Fatalf("stdout %q", out.String())
	}
	// The watch really ended (it was not left behind) and the next run starts at once.
	if running, abandoned := s.KubectlRuns(); running != 0 || abandoned != 0 {
		t.Fatalf("after the stopped watch: %d runs, %d abandoned", running, abandoned)
	}
	mustKubectl(t, s, "kubectl get sts web -o name", "statefulset.apps/web\n")
}

// Runs of one session go on at the same time, each with its own exit status.
func TestKubectlConcurrentRunsInOneSession(t *testing.T) {
	s, _ := newTestSession(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := kubectl(t, s, "kubectl frobnicate")
			if _, ok := asKubectlError(err); !ok {
				errs <- err
			}
			if _, _, err := kubectl(t, s, "kubectl get pods"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// signalWriter closes first once what was written contains want.
type signalWriter struct {
	mu    sync.Mutex
	b     strings.Builder
	want  string
	first chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.b.Write(p)
	seen := strings.Contains(w.b.String(), w.want)
	w.mu.Unlock()
	if seen {
		w.once.Do(func() { close(w.first) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// kubectl cp reports its failure from a goroutine of its own; that must end the run with an
// exit status, not crash the program (the fatal handler used to panic there, unrecovered).
func TestKubectlFatalOnKubectlsOwnGoroutine(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, s)
	// The simulator serves exec now, so the failure is a container that does not exist.
	// kubectl cp is refused before it runs (it copies files of this computer), so kubectl's
	// own run is called directly, as RunKubectl would after its checks.
	var errBuf bytes.Buffer
	err := s.execKubectl(testCtx(t), []string{"cp", "-c", "nosuch", "web-0:/etc/hosts", t.TempDir() + "/hosts"}, strings.NewReader(""), io.Discard, &errBuf)
	errOut := errBuf.String()
	ke, ok := asKubectlError(err)
	// The sandbox has no tar, so cp fails inside the exec (127) or in kubectl (1).
	if !ok || ke.Code == 0 {
		t.Fatalf("kubectl cp: err = %v, want a non-zero exit status\n%s", err, errOut)
	}
	// The next run still works.
	mustKubectl(t, s, "kubectl get sts web -o name", "statefulset.apps/web\n")
}

func TestFirstWordSkipsGlobalFlagValues(t *testing.T) {
	for in, want := range map[string]string{
		"get pods":                         "get",
		"-n default proxy":                 "proxy",
		"--namespace=default edit sts web": "edit",
		"-v 5 --context c get pods":        "get",
		"--insecure-skip-tls-verify get":   "get",
		"":                                 "",
	} {
		if got := firstWord(strings.Fields(in)); got != want {
			t.Errorf("firstWord(%q) = %q, want %q", in, got, want)
		}
	}
}
