package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/internal/startgc"
	"github.com/kubetutor/kubetutor/lessons"
)

// BenchmarkClassroom is the classroom's load test: N students (KUBETUTOR_BENCH_STUDENTS,
// default 50) connect over SSH at once, open StatefulSet Basics, go to step 2 and run its
// first command, then move back and forth between steps for a bounded number of keys,
// pausing KUBETUTOR_BENCH_THINK (default 1s, ± 50 %) after each as a reader does; 0 sends
// every key as soon as the last one showed (all students at once, the worst case). It
// reports keystroke → screen latency (a key sent until its effect arrives on the student's
// terminal: the step's title; the command's is kubectl's answer, reported apart as run-*),
// the time from connecting to the menu on the screen (menu-*: logging in and the student's
// simulator starting in its turn, polled every 50 ms), the server's RSS growth per student,
// its CPU time, and the goroutines left once everyone disconnected abruptly and the class
// closed. An instructor's view is open throughout.
//
//	go test -run '^$' -bench BenchmarkClassroom -benchtime 1x .
func BenchmarkClassroom(b *testing.B) {
	n := 50
	if v, err := strconv.Atoi(os.Getenv("KUBETUTOR_BENCH_STUDENTS")); err == nil && v > 0 {
		n = v
	}
	// `kubetutor classroom` runs at the class's collector pace (dispatch restores Go's own for
	// every command but the player, then the classroom sets its own); this test binary's init
	// raised it. Put back afterwards for the other tests of the binary.
	startgc.Restore()
	prevGC, prevLimit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(prevGC); debug.SetMemoryLimit(prevLimit) }()
	debug.SetGCPercent(prevGC)
	classroomGC(n)
	think := time.Second
	if v, err := time.ParseDuration(os.Getenv("KUBETUTOR_BENCH_THINK")); err == nil && v >= 0 {
		think = v
	}
	for i := 0; i < b.N; i++ {
		runClassroomLoad(b, n, think)
	}
}

func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				v, _ := strconv.Atoi(f[1])
				return v
			}
		}
	}
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchClient struct {
	client *gossh.Client
	in     io.WriteCloser
	mu     sync.Mutex
	seen   []byte // what arrived since the last key was sent
	cond   *sync.Cond
}

func (c *benchClient) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.seen = append(c.seen, p...)
	if len(c.seen) > 1<<20 {
		c.seen = c.seen[len(c.seen)-1<<19:] // keep the tail: a marker is on one line
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	return len(p), nil
}

// key sends k and waits until the screen shows want (the key's effect, not just any
// redraw: a watch event or a clock may redraw too); it returns how long that took.
func (c *benchClient) key(k, want string, limit time.Duration) (time.Duration, error) {
	c.mu.Lock()
	c.seen = c.seen[:0]
	c.mu.Unlock()
	start := time.Now()
	if _, err := io.WriteString(c.in, k); err != nil {
		return 0, err
	}
	done := make(chan struct{})
	timer := time.AfterFunc(limit, func() { c.mu.Lock(); close(done); c.cond.Broadcast(); c.mu.Unlock() })
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !bytes.Contains(c.seen, []byte(want)) {
		select {
		case <-done:
			return 0, fmt.Errorf("%q did not show %q within %v", k, want, limit)
		default:
		}
		c.cond.Wait()
	}
	return time.Since(start), nil
}

func runClassroomLoad(b *testing.B, n int, think time.Duration) {
	dir := b.TempDir()
	type kp struct {
		s    gossh.Signer
		line string
	}
	keys := make([]kp, n)
	var all strings.Builder
	for i := range keys {
		s, line := classKey(b)
		keys[i] = kp{s, line}
		all.WriteString(line)
	}
	teacher, tline := classKey(b)
	os.WriteFile(filepath.Join(dir, "students"), []byte(all.String()), 0o600)
	os.WriteFile(filepath.Join(dir, "instructors"), []byte(tline), 0o600)
	lib, err := lessons.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	goroutines := runtime.NumGoroutine()
	runtime.GC()
	rss0, cpu0 := rssKB(), cpuTime()
	class, err := classroom.New(classroom.Options{
		StudentsFile: filepath.Join(dir, "students"), InstructorsFile: filepath.Join(dir, "instructors"),
		StateDir: filepath.Join(dir, "state"), MaxStudents: n,
		Seats: simSeats(lib.Catalog, func(logf func(string, ...any)) engine.SimOptions { return engine.SimOptions{Speed: 10, Logf: logf} }, log.New(io.Discard, "", 0)), Lessons: lib.Catalog,
	})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- class.Serve(ln, filepath.Join(dir, "host_key")) }()

	// An instructor watches the whole time: their view refreshes every second and has every
	// student's step checked on the student's cluster every 3 s.
	tc, err := gossh.Dial("tcp", ln.Addr().String(), &gossh.ClientConfig{User: "teacher",
		Auth: []gossh.AuthMethod{gossh.PublicKeys(teacher)}, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	ts, err := tc.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	ts.Stdout, ts.Stderr = io.Discard, io.Discard
	if err := ts.RequestPty("xterm-256color", 40, 160, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := ts.Shell(); err != nil {
		b.Fatal(err)
	}

	var mu sync.Mutex
	var lat, runs, menus []time.Duration
	var errs []error
	type slowKey struct {
		d        time.Duration
		student  int
		key      int
		sentFrom time.Duration // since the first student connected
	}
	var slow []slowKey
	t0 := time.Now()
	var wg sync.WaitGroup
	clients := make([]*benchClient, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			fail := func(err error) { mu.Lock(); errs = append(errs, err); mu.Unlock() }
			connecting := time.Now()
			client, err := gossh.Dial("tcp", ln.Addr().String(), &gossh.ClientConfig{User: fmt.Sprintf("s%02d", i),
				Auth: []gossh.AuthMethod{gossh.PublicKeys(keys[i].s)}, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: time.Minute})
			if err != nil {
				fail(err)
				return
			}
			sess, err := client.NewSession()
			if err != nil {
				fail(err)
				return
			}
			_ = sess.Setenv("LANG", "en_US.UTF-8")
			c := &benchClient{client: client}
			c.cond = sync.NewCond(&c.mu)
			clients[i] = c
			sess.Stdout, sess.Stderr = c, c
			c.in, _ = sess.StdinPipe()
			if err := sess.RequestPty("xterm-256color", 30, 120, gossh.TerminalModes{}); err != nil {
				fail(err)
				return
			}
			if err := sess.Shell(); err != nil {
				fail(err)
				return
			}
			// Wait for the menu: the seat's simulator starts first.
			deadline := time.Now().Add(2 * time.Minute)
			for {
				s, _ := class.Screen(fmt.Sprintf("s%02d", i))
				if strings.Contains(s, "StatefulSet Basics") {
					mu.Lock()
					menus = append(menus, time.Since(connecting))
					mu.Unlock()
					break
				}
				if time.Now().After(deadline) {
					fail(fmt.Errorf("s%02d: no menu", i))
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
			// Each key is timed until its effect is on the student's screen: enter opens the
			// lesson at step 1, n and p move between steps 1 and 2. On step 2 enter runs its
			// command (kubectl apply -f web.yaml), timed until kubectl's answer shows, apart
			// from the keys.
			for j, k := range []string{"\r", "n", "run", "p", "n", "p", "n", "p", "n", "p"} {
				want := "Step 1/"
				switch k {
				case "n":
					want = "Step 2/"
				case "run":
					k, want = "\r", "statefulset.apps/web created"
				}
				d, err := c.key(k, want, 30*time.Second)
				if err != nil {
					fail(fmt.Errorf("s%02d key %d: %w", i, j, err))
					return
				}
				mu.Lock()
				if want == "statefulset.apps/web created" {
					runs = append(runs, d)
				} else {
					lat = append(lat, d)
					slow = append(slow, slowKey{d, i, j, time.Since(t0) - d})
				}
				mu.Unlock()
				if think > 0 {
					// A person reads before the next key: think ± 50 %, so keys do not
					// come in lockstep across students.
					time.Sleep(think/2 + time.Duration(rand.Int63n(int64(think))))
				}
			}
		}(i)
	}
	wg.Wait()
	runtime.GC()
	rss1, cpu1 := rssKB(), cpuTime()
	// Everyone leaves abruptly.
	tc.Close()
	for _, c := range clients {
		if c != nil {
			c.client.Close()
		}
	}
	class.Close()
	<-served
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	left := runtime.NumGoroutine() - goroutines
	// Which keys were slowest, and when: where the p99 comes from.
	sort.Slice(slow, func(i, j int) bool { return slow[i].d > slow[j].d })
	for _, k := range slow[:min(5, len(slow))] {
		b.Logf("slow key: %v, s%02d's key %d, sent %.2fs into the run", k.d.Round(100*time.Microsecond), k.student, k.key, k.sentFrom.Seconds())
	}
	if len(errs) > 0 {
		b.Logf("%d errors, first: %v", len(errs), errs[0])
	}
	pct := func(lat []time.Duration, p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(lat, 0.5), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(runs, 0.5), "run-p50-ms")
	b.ReportMetric(pct(runs, 0.99), "run-p99-ms")
	b.ReportMetric(pct(menus, 0.5), "menu-p50-ms")
	b.ReportMetric(pct(menus, 0.99), "menu-p99-ms")
	b.ReportMetric(float64(len(errs)), "errors")
	b.ReportMetric(float64(rss1-rss0)/1024/float64(n), "MB-RSS/student")
	b.ReportMetric((cpu1 - cpu0).Seconds(), "cpu-s")
	b.ReportMetric(float64(left), "goroutines-left")
	b.ReportMetric(float64(len(lat)), "keys")
}
