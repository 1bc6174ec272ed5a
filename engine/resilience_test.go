package engine

import (
	"context"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	testingclock "k8s.io/utils/clock/testing"
)

// faults is a transport that misbehaves like a bad network or a restarting API server:
// failed requests (500), expired watches (410), watch streams cut mid-frame, added latency.
type faults struct {
	mu       sync.Mutex
	rnd      *rand.Rand
	p500     float64 // chance a list or watch request answers 500
	p410     float64 // chance a watch request answers 410 Gone
	cutBytes int     // cut each watch stream after a random number of bytes up to this (0: never)
	latency  time.Duration
	injected map[string]int
}

func (f *faults) roll() float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rnd.Float64()
}

func (f *faults) count(what string) {
	f.mu.Lock()
	f.injected[what]++
	f.mu.Unlock()
}

func (f *faults) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		if f.latency > 0 {
			// Latency is the fault being injected here, not a way to wait for something.
			time.Sleep(time.Duration(f.roll() * float64(f.latency)))
		}
		watching := req.URL.Query().Get("watch") == "true"
		status := 0
		switch r := f.roll(); {
		case r < f.p500:
			status = http.StatusInternalServerError
		case watching && r < f.p500+f.p410:
			status = http.StatusGone
		}
		if status != 0 {
			f.count(strconv.Itoa(status))
			reason := map[int]string{410: "Expired", 500: "InternalError"}[status]
			body := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected fault","reason":"` +
				reason + `","code":` + strconv.Itoa(status) + `}`
			return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
		}
		resp, err := rt.RoundTrip(req)
		if err != nil || !watching || f.cutBytes == 0 {
			return resp, err
		}
		f.mu.Lock()
		n := 1 + f.rnd.Intn(f.cutBytes)
		f.mu.Unlock()
		resp.Body = &limitCut{rc: resp.Body, left: n, f: f}
		return resp, nil
	})
}

// limitCut ends a stream after a number of bytes, in the middle of a frame, as a dropped
// connection does.
type limitCut struct {
	rc   io.ReadCloser
	left int
	f    *faults
}

func (l *limitCut) Read(p []byte) (int, error) {
	if l.left <= 0 {
		l.f.count("cut")
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= n
	return n, err
}

func (l *limitCut) Close() error { return l.rc.Close() }

// viewOf makes a second session on the same cluster whose requests go through wrap, with its
// own fake clock for watch backoff (the test steps it when it sees an ERROR).
func viewOf(t *testing.T, s *Session, wrap func(http.RoundTripper) http.RoundTripper, host string) (*Session, *testingclock.FakeClock) {
	t.Helper()
	fc := testingclock.NewFakeClock(simEpoch)
	v := &Session{ns: s.ns, label: s.label, clk: fc, dir: s.dir, kubeconfig: s.kubeconfig, kubeContext: s.kubeContext}
	cfg := rest.CopyConfig(s.cfg)
	if host != "" {
		cfg.Host = host
	}
	if wrap != nil {
		cfg.Wrap(wrap)
	}
	if err := v.setConfig(cfg); err != nil {
		t.Fatal(err)
	}
	if host != "" {
		// The in-process kubectl reads a kubeconfig: give it one for this address.
		v.kubeconfig = filepath.Join(t.TempDir(), "kubeconfig")
		if err := v.WriteKubeconfig(v.kubeconfig); err != nil {
			t.Fatal(err)
		}
		v.kubeContext = kubeconfigName
	}
	return v, fc
}

// stream collects a WatchTable's events, stepping the backoff clock whenever the watch waits
// on it, so the watch retries at once.
type stream struct {
	mu     sync.Mutex
	events []TableEvent
	errs   int
	closed chan struct{}
}

func collect(ch <-chan TableEvent, fc *testingclock.FakeClock) *stream {
	st := &stream{closed: make(chan struct{})}
	go func() {
		defer close(st.closed)
		for ev := range ch {
			st.mu.Lock()
			st.events = append(st.events, ev)
			if ev.Type == "ERROR" {
				st.errs++
			}
			st.mu.Unlock()
		}
	}()
	if fc != nil {
		// Every backoff the watch waits (after an ERROR, or silently after a stream that
		// ended before its first event) passes at once.
		go func() {
			for {
				select {
				case <-st.closed:
					return
				default:
				}
				if fc.HasWaiters() {
					fc.Step(backoffMax)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	return st
}

// changes are the non-LIST row events as "TYPE name rv".
func (st *stream) changes() []string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []string
	for _, ev := range st.events {
		switch ev.Type {
		case "ADDED", "MODIFIED", "DELETED":
			out = append(out, ev.Type+" "+ev.Name+" "+ev.ResourceVersion)
		}
	}
	return out
}

// state replays the stream as a UI would: name -> resourceVersion shown.
func (st *stream) state() map[string]string {
	st.mu.Lock()
	defer st.mu.Unlock()
	rows := map[string]string{}
	for _, ev := range st.events {
		switch ev.Type {
		case "RESYNC":
			rows = map[string]string{}
		case "LIST", "ADDED", "MODIFIED":
			if ev.Name != "" {
				rows[ev.Name] = ev.ResourceVersion
			}
		case "DELETED":
			delete(rows, ev.Name)
		}
	}
	return rows
}

func (st *stream) count(typ string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	n := 0
	for _, ev := range st.events {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// waitFor polls cond (a state check, not a timed wait) until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func serverState(t *testing.T, s *Session) map[string]string {
	t.Helper()
	pods, err := s.Kube().CoreV1().Pods(s.ns).List(testCtx(t), metav1.ListOptions{LabelSelector: "app=nginx"})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, p := range pods.Items {
		m[p.Name] = p.ResourceVersion
	}
	return m
}

func sameState(a, b map[string]string) bool {
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

// workload is a lesson's worth of pod churn.
var workload = []string{
	"kubectl apply -f web.yaml",
	"kubectl scale sts web --replicas=5",
	"kubectl delete pod -l app=nginx",
	`kubectl patch statefulset web --type=json -p='[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry.k8s.io/nginx-slim:0.24"}]'`,
	"kubectl scale sts web --replicas=2",
}

func runWorkload(t *testing.T, s *Session) {
	t.Helper()
	for _, line := range workload {
		if _, errOut, err := kubectl(t, s, line); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, errOut)
		}
		waitIdle(t, s)
	}
}

// TestWatchTableLosesNoRowsUnderFaults plays a workload while one watch goes through a
// transport that fails a fifth of its requests with 500, cuts every watch stream at a random
// byte (mostly mid-frame; a frame with column definitions is a few KB) and adds latency; a second, clean watch is the reference. The faulty watch must show every row
// change of the reference exactly once, in order: zero rows lost, zero repeated.
func TestWatchTableLosesNoRowsUnderFaults(t *testing.T) {
	s, _ := newTestSession(t)
	f := &faults{rnd: rand.New(rand.NewSource(42)), p500: 0.2, cutBytes: 12000, latency: 3 * time.Millisecond, injected: map[string]int{}}
	v, fc := viewOf(t, s, f.wrap, "")
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	refCh, err := s.WatchTable(ctx, "pods", "app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	badCh, err := v.WatchTable(ctx, "pods", "app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	ref, bad := collect(refCh, nil), collect(badCh, fc)
	waitFor(t, "both watches listed", func() bool { return ref.count("LIST") > 0 && bad.count("LIST") > 0 })

	runWorkload(t, s)
	want := serverState(t, s)
	waitFor(t, "the reference watch to catch up", func() bool { return sameState(ref.state(), want) })
	waitFor(t, "the faulty watch to catch up", func() bool { return sameState(bad.state(), want) })

	rc, bc := ref.changes(), bad.changes()
	lost, repeated := rowDiff(rc, bc)
	t.Logf("faults injected: %v; %d rows on the reference, %d on the faulty watch, %d ERROR events; lost %d, repeated %d",
		f.injected, len(rc), len(bc), bad.errs, lost, repeated)
	if f.injected["cut"] == 0 || f.injected["500"] == 0 {
		t.Fatalf("the faults did not happen (%v): the test proves nothing", f.injected)
	}
	if lost != 0 || repeated != 0 {
		t.Fatalf("faulty watch lost %d and repeated %d rows\nreference: %v\nfaulty:    %v", lost, repeated, rc, bc)
	}
	if strings.Join(rc, "|") != strings.Join(bc, "|") {
		t.Fatalf("rows in another order\nreference: %v\nfaulty:    %v", rc, bc)
	}
	if n := bad.count("RESYNC"); n != 0 {
		t.Fatalf("%d RESYNCs without a 410", n)
	}
}

// rowDiff counts reference rows missing from got, and rows of got seen more than once.
func rowDiff(ref, got []string) (lost, repeated int) {
	seen := map[string]int{}
	for _, r := range got {
		seen[r]++
		if seen[r] == 2 {
			repeated++
		}
	}
	for _, r := range ref {
		if seen[r] == 0 {
			lost++
		}
	}
	return lost, repeated
}

// TestWatchTableRelistsCleanlyUnderGone adds 410 Gone to the faults: a relist may skip the
// changes inside the gap (RESYNC says so), but no change is ever shown twice and the rows end
// as the server's.
func TestWatchTableRelistsCleanlyUnderGone(t *testing.T) {
	s, _ := newTestSession(t)
	f := &faults{rnd: rand.New(rand.NewSource(7)), p500: 0.1, p410: 0.2, cutBytes: 40000, injected: map[string]int{}}
	v, fc := viewOf(t, s, f.wrap, "")
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	ch, err := v.WatchTable(ctx, "pods", "app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	bad := collect(ch, fc)
	waitFor(t, "the watch listed", func() bool { return bad.count("LIST") > 0 })
	runWorkload(t, s)
	want := serverState(t, s)
	waitFor(t, "the faulty watch to catch up", func() bool { return sameState(bad.state(), want) })
	_, repeated := rowDiff(nil, bad.changes())
	t.Logf("faults injected: %v; %d RESYNCs; repeated %d", f.injected, bad.count("RESYNC"), repeated)
	if f.injected["410"] == 0 {
		t.Fatal("no 410 was injected: the test proves nothing")
	}
	if bad.count("RESYNC") == 0 {
		t.Fatal("410s but no RESYNC")
	}
	if repeated != 0 {
		t.Fatalf("%d rows repeated: %v", repeated, bad.changes())
	}
}

// tcpProxy forwards a loopback port to the API server and can vanish (refuse connections,
// drop open ones) and come back on the same port, like a cluster that restarts.
type tcpProxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.vanish)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
			go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
		}
	}()
}

func (p *tcpProxy) vanish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) comeBack(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy cannot listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestVanishedClusterReportsAndRecovers: when the cluster goes away the watch keeps reporting
// ERROR events (what the player shows as reconnecting) instead of going quiet, a kubectl
// command fails promptly instead of hanging, the watch stops at once when asked, and when
// the cluster is back the watch shows new changes again.
func TestVanishedClusterReportsAndRecovers(t *testing.T) {
	s, _ := newTestSession(t)
	u, err := url.Parse(s.cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	p := newTCPProxy(t, u.Host)
	v, fc := viewOf(t, s, nil, "https://"+p.addr)
	ctx, cancel := context.WithCancel(testCtx(t))
	ch, err := v.WatchTable(ctx, "pods", "app=nginx")
	if err != nil {
		t.Fatal(err)
	}
	st := collect(ch, fc)
	waitFor(t, "the watch listed", func() bool { return st.count("LIST") > 0 })

	p.vanish()
	waitFor(t, "three ERROR events while the cluster is gone", func() bool { return st.count("ERROR") >= 3 })

	start := time.Now()
	_, _, kerr := kubectl(t, v, "kubectl get pods --request-timeout=5s")
	if kerr == nil {
		t.Fatal("kubectl against a vanished cluster succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("kubectl took %v to fail against a vanished cluster", d)
	}

	p.comeBack(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, s)
	want := serverState(t, s)
	waitFor(t, "the watch to show the cluster again", func() bool { return sameState(st.state(), want) })

	cancel()
	select {
	case <-st.closed:
	case <-time.After(testTimeout):
		t.Fatal("the watch did not stop after its context ended")
	}
}
