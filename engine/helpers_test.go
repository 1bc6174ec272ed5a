package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	testingclock "k8s.io/utils/clock/testing"
)

// testTimeout bounds every wait in these tests; reaching it is a failure, never a sync point.
const testTimeout = 30 * time.Second

var simEpoch = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func newTestSession(t *testing.T) (*Session, *testingclock.FakeClock) {
	t.Helper()
	fake := testingclock.NewFakeClock(simEpoch)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := NewSimSession(ctx, SimOptions{Fake: fake, AutoAdvance: true, Seed: 7})
	if err != nil {
		t.Fatalf("NewSimSession: %v", err)
	}
	t.Cleanup(s.Close)
	return s, fake
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// kubectl runs one line and returns what it printed.
func kubectl(t *testing.T, s *Session, line string) (string, string, error) {
	t.Helper()
	return kubectlIn(t, s, line, nil)
}

func kubectlIn(t *testing.T, s *Session, line string, in io.Reader) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := s.RunKubectl(testCtx(t), line, in, &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustKubectl runs a line that must succeed with exactly the given stdout.
func mustKubectl(t *testing.T, s *Session, line, wantOut string) {
	t.Helper()
	out, errOut, err := kubectl(t, s, line)
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", line, err, out, errOut)
	}
	if wantOut != "" && out != wantOut {
		t.Fatalf("%s: stdout\n%q\nwant\n%q\nstderr:\n%s", line, out, wantOut, errOut)
	}
}

func waitIdle(t *testing.T, s *Session) {
	t.Helper()
	if err := s.WaitIdle(testCtx(t)); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
}

// tableRows parses kubectl's default table output into rows of fields, header first.
func tableRows(out string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			rows = append(rows, strings.Fields(l))
		}
	}
	return rows
}

// podStates reads `kubectl get pods -l app=nginx` into name → "READY STATUS".
func podStates(t *testing.T, s *Session) map[string]string {
	t.Helper()
	out, errOut, err := kubectl(t, s, "kubectl get pods -l app=nginx")
	if err != nil {
		t.Fatalf("get pods: %v\n%s", err, errOut)
	}
	got := map[string]string{}
	rows := tableRows(out)
	if len(rows) == 0 {
		return got
	}
	if strings.Join(rows[0], " ") != "NAME READY STATUS RESTARTS AGE" {
		t.Fatalf("get pods header %q", rows[0])
	}
	for _, r := range rows[1:] {
		got[r[0]] = r[1] + " " + r[2]
	}
	return got
}

// nextEvent reads one event or fails the test.
func nextEvent(t *testing.T, ch <-chan TableEvent) TableEvent {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return ev
	case <-timer.C:
		t.Fatal("no watch event in time")
	}
	return TableEvent{}
}

// rowLog follows a TableEvent stream: the last row per name, and every event seen.
type rowLog struct {
	t      *testing.T
	rows   map[string]TableEvent
	events []TableEvent
	lastRV map[string]int
}

func newRowLog(t *testing.T) *rowLog {
	return &rowLog{t: t, rows: map[string]TableEvent{}, lastRV: map[string]int{}}
}

// add records ev and fails the test if a row repeats or goes back in time.
func (l *rowLog) add(ev TableEvent) {
	l.t.Helper()
	l.events = append(l.events, ev)
	switch ev.Type {
	case "ERROR":
		l.t.Fatalf("unexpected ERROR event: %v", ev.Err)
	case "RESYNC":
		l.rows = map[string]TableEvent{}
		l.lastRV = map[string]int{}
		return
	}
	if ev.Name == "" {
		return
	}
	if len(ev.Cells) != len(ev.Columns) {
		l.t.Fatalf("%s %s: %d cells for %d columns", ev.Type, ev.Name, len(ev.Cells), len(ev.Columns))
	}
	rv, err := strconv.Atoi(ev.ResourceVersion)
	if err != nil {
		l.t.Fatalf("%s %s: resourceVersion %q", ev.Type, ev.Name, ev.ResourceVersion)
	}
	if prev, ok := l.lastRV[ev.Name]; ok && rv <= prev {
		l.t.Fatalf("%s %s at resourceVersion %d after %d: a row repeated or went back", ev.Type, ev.Name, rv, prev)
	}
	l.lastRV[ev.Name] = rv
	if ev.Type == "DELETED" {
		delete(l.rows, ev.Name)
		return
	}
	l.rows[ev.Name] = ev
}

// until reads events until cond holds on the current rows.
func (l *rowLog) until(ch <-chan TableEvent, cond func(rows map[string]TableEvent) bool) {
	l.t.Helper()
	for !cond(l.rows) {
		ev := nextEvent(l.t, ch)
		l.add(ev)
	}
}

func cell(ev TableEvent, col string) string {
	for i, c := range ev.Columns {
		if c == col {
			return ev.Cells[i]
		}
	}
	return ""
}

// running reports whether every named pod shows 1/1 Running.
func running(names ...string) func(map[string]TableEvent) bool {
	return func(rows map[string]TableEvent) bool {
		for _, n := range names {
			r, ok := rows[n]
			if !ok || cell(r, "READY") != "1/1" || cell(r, "STATUS") != "Running" {
				return false
			}
		}
		return true
	}
}

// cutter wraps a session's transport to cut watch streams and fake watch failures.
type cutter struct {
	mu      sync.Mutex
	bodies  []*cutBody
	watches int
	// next, when non-zero, is the HTTP status the next watch request gets instead of a stream.
	next int
}

func newCutter(s *Session) *cutter {
	c := &cutter{}
	c.install(s)
	return c
}

func (c *cutter) install(s *Session) {
	cfg := rest.CopyConfig(s.cfg)
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if req.URL.Query().Get("watch") != "true" {
				return rt.RoundTrip(req)
			}
			c.mu.Lock()
			c.watches++
			status := c.next
			c.next = 0
			c.mu.Unlock()
			if status != 0 {
				body := `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"injected by test","reason":"` +
					map[int]string{410: "Expired", 500: "InternalError"}[status] + `","code":` + strconv.Itoa(status) + `}`
				return &http.Response{
					StatusCode: status,
					Header:     http.Header{"Content-Type": {"application/json"}},
					Body:       io.NopCloser(strings.NewReader(body)),
					Request:    req,
				}, nil
			}
			resp, err := rt.RoundTrip(req)
			if err != nil {
				return nil, err
			}
			b := &cutBody{rc: resp.Body}
			c.mu.Lock()
			c.bodies = append(c.bodies, b)
			c.mu.Unlock()
			resp.Body = b
			return resp, nil
		})
	})
	if err := s.setConfig(cfg); err != nil {
		panic(err)
	}
}

func (c *cutter) watchCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watches
}

// cut ends every open watch stream as a dropped connection would.
func (c *cutter) cut() {
	c.mu.Lock()
	bodies := c.bodies
	c.bodies = nil
	c.mu.Unlock()
	for _, b := range bodies {
		b.cut()
	}
}

// failNext makes the next watch request answer status.
func (c *cutter) failNext(status int) {
	c.mu.Lock()
	c.next = status
	c.mu.Unlock()
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type cutBody struct {
	rc   io.ReadCloser
	mu   sync.Mutex
	gone bool
}

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	gone := b.gone
	b.mu.Unlock()
	if gone {
		return 0, io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *cutBody) Close() error { return b.rc.Close() }

func (b *cutBody) cut() {
	b.mu.Lock()
	b.gone = true
	b.mu.Unlock()
	_ = b.rc.Close()
}

func asKubectlError(err error) (*KubectlError, bool) {
	var ke *KubectlError
	ok := errors.As(err, &ke)
	return ke, ok
}
