package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	corev1 "k8s.io/api/core/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// TestFiftySessionsRunKubectlAtOnce: 50 simulator sessions in one process run kubectl at
// the same time (there is no process-wide kubectl slot), and each run's output, errors, exit
// codes and `-f -` input stay with its own session.
func TestFiftySessionsRunKubectlAtOnce(t *testing.T) {
	const n = 50
	sessions := make([]*Session, n)
	for i := range sessions {
		sessions[i], _ = newTestSession(t)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n*8)
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs <- sessionRound(t, s, i, n)
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// sessionRound runs a few commands on session i and checks that they saw only session i.
func sessionRound(t *testing.T, s *Session, i, n int) error {
	// Bounded by the test binary's own deadline (-timeout), not a guess: 50 sessions under
	// -race on 2 shared cores are slow; reaching it is a failure.
	deadline, ok := t.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(-15*time.Second))
	defer cancel()
	run := func(line string, in io.Reader) (string, string, error) {
		var out, errOut bytes.Buffer
		err := s.RunKubectl(ctx, line, in, &out, &errOut)
		return out.String(), errOut.String(), err
	}
	own := fmt.Sprintf("cm-%d", i)
	if out, e, err := run("kubectl create configmap "+own+" --from-literal=k=v", nil); err != nil || out != "configmap/"+own+" created\n" {
		return fmt.Errorf("session %d: create: %v %q %q", i, err, out, e)
	}
	manifest := fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stdin-%d\n", i)
	if out, e, err := run("kubectl create -f -", strings.NewReader(manifest)); err != nil || out != fmt.Sprintf("configmap/stdin-%d created\n", i) {
		return fmt.Errorf("session %d: create -f -: %v %q %q", i, err, out, e)
	}
	out, e, err := run("kubectl get configmaps -o name", nil)
	if err != nil {
		return fmt.Errorf("session %d: get: %v %q", i, err, e)
	}
	for j := 0; j < n; j++ {
		has := strings.Contains(out, fmt.Sprintf("configmap/cm-%d\n", j)) || strings.Contains(out, fmt.Sprintf("configmap/stdin-%d\n", j))
		if has != (j == i) {
			return fmt.Errorf("session %d sees session %d's objects: %t\n%s", i, j, has, out)
		}
	}
	// Completion (kubectl's __complete) lists this session's objects only.
	cands, err := s.Complete(ctx, "kubectl get configmaps ")
	if err != nil || !slices.Contains(cands, own) || !slices.Contains(cands, fmt.Sprintf("stdin-%d", i)) || len(cands) > 3 {
		return fmt.Errorf("session %d: completion %q, %v", i, cands, err)
	}
	// A failing run's message and exit code reach this run only (kubectl's fatal handler is
	// a process global).
	out, e, err = run(fmt.Sprintf("kubectl get configmap nosuch-%d", i), nil)
	var ke *KubectlError
	if !errors.As(err, &ke) || ke.Code != 1 || out != "" ||
		e != fmt.Sprintf("Error from server (NotFound): configmaps \"nosuch-%d\" not found\n", i) {
		return fmt.Errorf("session %d: failing get: %v %q %q", i, err, out, e)
	}
	if _, e, err := run("kubectl get pods", nil); err != nil || e != "No resources found in default namespace.\n" {
		return fmt.Errorf("session %d: get pods: %v %q", i, err, e)
	}
	return nil
}

// tickRunner's "tick" command prints "tick 1", then "tick 2" once more is closed, then waits
// for its context: a container command that prints only now and then.
type tickRunner struct{ more chan struct{} }

func (r tickRunner) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	if len(argv) == 0 || argv[0] != "tick" {
		return 0, nil
	}
	fmt.Fprintln(s.Stdout, "tick 1")
	select {
	case <-r.more:
		fmt.Fprintln(s.Stdout, "tick 2")
	case <-ctx.Done():
		return 137, nil
	}
	<-ctx.Done()
	return 137, nil
}

// watchedRequest closes seen on the first kubectl request that matches.
func watchedRequest(s *Session, match func(*http.Request) bool) <-chan struct{} {
	seen := make(chan struct{})
	var once sync.Once
	hook := func(r *http.Request) {
		if match(r) {
			once.Do(func() { close(seen) })
		}
	}
	s.requestHook.Store(&hook)
	return seen
}

func isWatch(resource string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return r.URL.Query().Get("watch") == "true" && strings.Contains(r.URL.Path, "/"+resource)
	}
}

// TestStopWhileWaiting stops each kind of command that waits while it waits (a delete held
// by a finalizer or a terminating pod, rollout status, scale --timeout, replace --force,
// wait, get -w, exec, attach, logs -f, run -i) and asserts that the stopped run really
// ended: the session counts no run still going and none abandoned, no goroutine of the run
// is left (kubectl's wait loops, reflectors, streams), and the next command starts at once
// and succeeds.
func TestStopWhileWaiting(t *testing.T) {
	paused := func(t *testing.T, s *Session) { s.Sim().Pause() } // nothing the command waits for happens
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *Session)
		line  string
		// waiting is the request that shows kubectl has reached its wait; nil: output.
		waiting func(*http.Request) bool
		printed string // with waiting nil: the output that shows it
		stdin   string // what -f - reads
	}{
		{name: "delete pvc held by its pod", line: "kubectl delete pvc www-web-0", waiting: isWatch("persistentvolumeclaims")},
		{name: "delete pod while it terminates", setup: paused, line: "kubectl delete pod web-1 --wait", waiting: isWatch("pods")},
		{name: "rollout status", setup: func(t *testing.T, s *Session) {
			s.Sim().Pause() // the controller never brings the third pod
			mustKubectl(t, s, "kubectl scale sts web --replicas=3", "statefulset.apps/web scaled\n")
		}, line: "kubectl rollout status -w sts/web", waiting: isWatch("statefulsets")},
		{name: "scale --timeout", setup: paused, line: "kubectl scale sts web --replicas=4 --timeout=1h", waiting: func(r *http.Request) bool {
			return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/scale")
		}},
		{name: "replace --force --grace-period=0", setup: paused, line: "kubectl replace --force --grace-period=0 -f -",
			stdin: podWeb1, waiting: isWatch("pods")},
		{name: "replace --force", setup: paused, line: "kubectl replace --force -f -", stdin: podWeb1,
			waiting: func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/pods/web-1")
			}},
		{name: "wait", line: "kubectl wait --for=delete pod/web-0 --timeout=1h", waiting: isWatch("pods")},
		{name: "get -w", line: "kubectl get pods -w", waiting: isWatch("pods")},
		{name: "events -w", line: "kubectl events -w", waiting: isWatch("events")},
		{name: "exec", line: "kubectl exec web-0 -- tick", printed: "tick 1"},
		{name: "attach", line: "kubectl attach web-0", waiting: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/attach") }},
		{name: "logs -f", line: "kubectl logs -f web-0", waiting: func(r *http.Request) bool {
			return strings.HasSuffix(r.URL.Path, "/log") && r.URL.Query().Get("follow") == "true"
		}},
		{name: "run --rm -i", line: "kubectl run t --rm -i --restart=Never --image=busybox -- tick", waiting: func(r *http.Request) bool {
			return strings.HasSuffix(r.URL.Path, "/attach")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			more := make(chan struct{})
			ctx0, cancel0 := context.WithTimeout(context.Background(), testTimeout)
			defer cancel0()
			s, err := NewSimSession(ctx0, SimOptions{Fake: testingclock.NewFakeClock(simEpoch), AutoAdvance: true, Seed: 7,
				Runner: tickRunner{more: more}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			mustKubectl(t, s, "kubectl apply -f web.yaml", "")
			waitIdle(t, s)
			if tc.setup != nil {
				tc.setup(t, s)
			}
			// Every goroutine now running (the simulator's, the connection's) may stay.
			baseline := goleak.IgnoreCurrent()
			var seen <-chan struct{}
			if tc.waiting != nil {
				seen = watchedRequest(s, tc.waiting)
			}
			out := &signalWriter{want: tc.printed, first: make(chan struct{})}
			if tc.waiting == nil {
				seen = out.first
			}
			ctx, cancel := context.WithCancel(testCtx(t))
			done := make(chan error, 1)
			var in io.Reader
			if tc.stdin != "" {
				in = strings.NewReader(tc.stdin)
			}
			go func() { done <- s.RunKubectl(ctx, tc.line, in, out, out) }()
			select {
			case <-seen:
			case err := <-done:
				t.Fatalf("%s ended by itself: %v\n%s", tc.line, err, out.String())
			case <-time.After(testTimeout):
				t.Fatalf("%s never reached its wait\n%s", tc.line, out.String())
			}
			cancel()
			_ = more // the container would print again only if told: the stop alone must end exec
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("stopped %s returned %v", tc.line, err)
			}
			if running, abandoned := s.KubectlRuns(); running != 0 || abandoned != 0 {
				t.Fatalf("stopped %s did not end: %d running, %d abandoned", tc.line, running, abandoned)
			}
			if sim := s.Sim(); sim != nil && sim.Paused() {
				sim.Resume()
			}
			// The next command starts at once and succeeds.
			got, errOut, err := kubectl(t, s, "kubectl get pods -o name")
			if err != nil || !strings.Contains(got, "pod/web-0\n") {
				t.Fatalf("next command after stopping %s: %v %q %q", tc.line, err, got, errOut)
			}
			// goleak retries with a bounded backoff until the goroutines are gone. The longest
			// tail is client-go's: a WebSocket stream's (exec, attach) ping goroutine ends at
			// its next ping, at most 5 s of real time after the stop, so the bound is 10 s.
			if err := goroutinesBackTo(baseline, 10*time.Second); err != nil {
				t.Fatalf("goroutines left after stopping %s:\n%v", tc.line, err)
			}
		})
	}
}

// podWeb1 is a manifest for web-1, for replace --force: the paused simulator's kubelet
// never finishes the old pod's deletion, so replace waits for it.
const podWeb1 = `apiVersion: v1
kind: Pod
metadata:
  name: web-1
spec:
  containers:
  - name: nginx
    image: registry.k8s.io/nginx-slim:0.24
`

// goroutinesBackTo waits, at most bound, until no goroutine is left beyond baseline and
// idle connections (each goleak.Find itself retries for about half a second).
func goroutinesBackTo(baseline goleak.Option, bound time.Duration) error {
	deadline := time.Now().Add(bound)
	for {
		err := goleak.Find(append(idleConnections(), baseline)...)
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
}

// idleConnections are the goroutines of HTTP connections kept open for reuse (client and
// server side), which a later run may use; a goroutine serving or reading a request still
// counts as a leak.
func idleConnections() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("net/http.(*http2ClientConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*http2serverConn).serve"),
		goleak.IgnoreAnyFunction("net/http.(*conn).readRequest"),
		goleak.IgnoreAnyFunction("net/http.(*http2serverConn).readFrames"),
	}
}

// BenchmarkKubectlGetPods50Sessions: `kubectl get pods` latency while 50 simulator sessions in
// one process run it at the same time (each session holds the web StatefulSet's two pods).
// Reports p50 and p99 of one run, in milliseconds, and the process's CPU per run.
func BenchmarkKubectlGetPods50Sessions(b *testing.B) {
	const n = 50
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	sessions := make([]*Session, n)
	for i := range sessions {
		s, err := NewSimSession(ctx, SimOptions{Fake: testingclock.NewFakeClock(simEpoch), AutoAdvance: true, Seed: 7})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		var out, errOut bytes.Buffer
		if err := s.RunKubectl(ctx, "kubectl apply -f web.yaml", nil, &out, &errOut); err != nil {
			b.Fatalf("apply: %v %s", err, errOut.String())
		}
		if err := s.WaitIdle(ctx); err != nil {
			b.Fatal(err)
		}
		sessions[i] = s
	}
	per := max(1, b.N/n)
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	var failed sync.Once
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var out, errOut bytes.Buffer
			for k := 0; k < per; k++ {
				out.Reset()
				errOut.Reset()
				t0 := time.Now()
				err := s.RunKubectl(ctx, "kubectl get pods", nil, &out, &errOut)
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil || !strings.Contains(out.String(), "web-1") {
					failed.Do(func() { b.Errorf("get pods: %v %q %q", err, out.String(), errOut.String()) })
					return
				}
			}
		}()
	}
	cpu0 := processCPU()
	b.ResetTimer()
	close(start)
	wg.Wait()
	b.StopTimer()
	cpu := processCPU() - cpu0
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) == 0 {
		return
	}
	q := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(len(all)), "runs")
	// The process's CPU per run (kubectl and the simulator's API server both): what the
	// latency would come to on idle cores, whatever else shares the machine.
	b.ReportMetric(float64(cpu)/float64(time.Millisecond)/float64(len(all)), "cpu-ms/run")
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestStopDrainEndsAtItsNextRetry: a drain that a PodDisruptionBudget holds retries its
// eviction every 5 s of real time (kubectl's drain.Helper, whose context kubectl never sets).
// Stopped, it is abandoned after 2 s and blocks nothing; at its next retry its request
// fails and it ends, leaving no goroutine.
func TestStopDrainEndsAtItsNextRetry(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "")
	waitIdle(t, s)
	mustKubectl(t, s, "kubectl create pdb web --selector=app=nginx --min-available=2", "")
	waitIdle(t, s)
	node, errOut, err := kubectl(t, s, "kubectl get pod web-0 -o jsonpath={.spec.nodeName}")
	if err != nil || node == "" {
		t.Fatalf("node of web-0: %v %q", err, errOut)
	}
	baseline := goleak.IgnoreCurrent()
	seen := watchedRequest(s, func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/eviction") })
	out := &signalWriter{want: "will retry after", first: make(chan struct{})}
	ctx, cancel := context.WithCancel(testCtx(t))
	done := make(chan error, 1)
	go func() {
		done <- s.RunKubectl(ctx, "kubectl drain "+node+" --ignore-daemonsets --delete-emptydir-data", nil, out, out)
	}()
	for _, ch := range []<-chan struct{}{seen, out.first} {
		select {
		case <-ch:
		case err := <-done:
			t.Fatalf("drain ended by itself: %v\n%s", err, out.String())
		case <-time.After(testTimeout):
			t.Fatalf("drain never retried an eviction\n%s", out.String())
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped drain returned %v", err)
	}
	mustKubectl(t, s, "kubectl get pdb web -o name", "poddisruptionbudget.policy/web\n")
	waitFor(t, "the stopped drain to end at its next retry", func() bool {
		running, abandoned := s.KubectlRuns()
		return running == 0 && abandoned == 0
	})
	if err := goroutinesBackTo(baseline, 10*time.Second); err != nil {
		t.Fatalf("goroutines left after the stopped drain:\n%v", err)
	}
}
