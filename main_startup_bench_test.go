package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The player's own cost, measured on the binary in a pseudo-terminal (no tmux server in the
// way): start → first menu frame, CPU while nothing moves, and resident memory. They measure
// only; nothing here asserts a time. KUBETUTOR_BENCH_BIN names a binary to measure instead of
// the test build (for example one built with the README's install flags).

// ptyPlayer is the binary running on a pty; out collects everything it wrote.
type ptyPlayer struct {
	tb   testing.TB
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	seen chan struct{} // a token after each read
	done chan struct{}
}

func benchBinary(tb testing.TB) string {
	if b := os.Getenv("KUBETUTOR_BENCH_BIN"); b != "" {
		return b
	}
	return kubetutorBinary(tb)
}

// startPTYPlayer starts bin at 80×24 on a new pty with a private HOME, answering the colour
// and cursor queries a real terminal answers (termenv asks both before the first frame).
func startPTYPlayer(tb testing.TB, bin string) *ptyPlayer {
	tb.Helper()
	home, cache := userDirs(tb)
	cmd := exec.Command(bin)
	cmd.Env = os.Environ()
	for k, v := range playerEnv(home, cache, "en_US.UTF-8") {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: 80, Rows: 24})
	if err != nil {
		tb.Fatalf("starting %s on a pty: %v", bin, err)
	}
	p := &ptyPlayer{tb: tb, cmd: cmd, tty: tty, seen: make(chan struct{}, 1), done: make(chan struct{})}
	go p.read()
	tb.Cleanup(p.stop)
	return p
}

func (p *ptyPlayer) read() {
	defer close(p.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := p.tty.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			// Answer as a dark terminal would: OSC 11 (background) and DSR (cursor position).
			if bytes.Contains(chunk, []byte("\x1b]11;?")) {
				_, _ = p.tty.WriteString("\x1b]11;rgb:0000/0000/0000\x1b\\")
			}
			if bytes.Contains(chunk, []byte("\x1b[6n")) {
				_, _ = p.tty.WriteString("\x1b[1;1R")
			}
			p.mu.Lock()
			p.out.Write(chunk)
			p.mu.Unlock()
			select {
			case p.seen <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return
		}
	}
}

// waitOutput waits until everything written so far contains all of texts.
func (p *ptyPlayer) waitOutput(texts ...string) {
	p.tb.Helper()
	deadline := time.After(60 * time.Second)
	for {
		p.mu.Lock()
		s := p.out.String()
		p.mu.Unlock()
		ok := true
		for _, t := range texts {
			ok = ok && strings.Contains(s, t)
		}
		if ok {
			return
		}
		select {
		case <-p.seen:
		case <-p.done:
			p.tb.Fatalf("the player ended before showing %q; it wrote:\n%q", texts, s)
		case <-deadline:
			p.tb.Fatalf("no %q after 60 s; the player wrote:\n%q", texts, s)
		}
	}
}

func (p *ptyPlayer) keys(s string) {
	if _, err := p.tty.WriteString(s); err != nil {
		p.tb.Fatalf("typing %q: %v", s, err)
	}
}

// stop quits with q (answering the leave question) and waits; a player that does not end in
// 10 s is killed.
func (p *ptyPlayer) stop() {
	select {
	case <-p.done:
	default:
		_, _ = p.tty.WriteString("q")
		time.Sleep(50 * time.Millisecond) // only paces the keys; the wait below is the check
		_, _ = p.tty.WriteString("y")
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	_ = p.cmd.Wait()
	_ = p.tty.Close()
}

// procTicks is the process's user+system CPU time in clock ticks (/proc/PID/stat).
func procTicks(tb testing.TB, pid int) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// procSwitches is the context switches (voluntary and not) of all of pid's threads so far:
// each wakeup of an idle process is at least one.
func procSwitches(tb testing.TB, pid int) int64 {
	tb.Helper()
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	tasks, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var n int64
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/" + t.Name() + "/status")
		if err != nil {
			continue // the thread ended
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}

// procMem reads VmRSS, RssAnon and RssFile in kB from /proc/PID/status.
func procMem(tb testing.TB, pid int) (rss, anon, file float64) {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			rss = v
		case "RssAnon:":
			anon = v
		case "RssFile:":
			file = v
		}
	}
	return rss, anon, file
}

// BenchmarkStartToMenuPTY measures wall time from exec of the binary until the menu's first
// frame (the first lesson's title and the "simulator" status) has been written to the pty,
// and the CPU time the process used until then (cpu-ms/op, from 10 ms clock ticks: on a
// busy machine the figure to compare).
func BenchmarkStartToMenuPTY(b *testing.B) {
	bin := benchBinary(b)
	l := basicsLesson(b, "en")
	var ticks int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := startPTYPlayer(b, bin)
		p.waitOutput(l.Title, "simulator")
		b.StopTimer()
		ticks += procTicks(b, p.cmd.Process.Pid)
		p.stop()
		b.StartTimer()
	}
	b.ReportMetric(float64(ticks)*10/float64(b.N), "cpu-ms/op")
}

// BenchmarkIdleMenu starts the player, waits for the menu and 5 s more, then reports the
// process's CPU ticks (1 tick = 10 ms of one core) over 10 s in which nothing moves, and its
// resident memory (MB) at the end: all, anonymous and file-backed (the binary's own pages).
func BenchmarkIdleMenu(b *testing.B) {
	idleBench(b, false)
}

// BenchmarkIdleLesson is BenchmarkIdleMenu in StatefulSet Basics after its first command
// (kubectl apply of web.yaml) ran and the pods are up, with the watch pane showing them.
func BenchmarkIdleLesson(b *testing.B) {
	idleBench(b, true)
}

// BenchmarkIdleLessonAfter20Commands is BenchmarkIdleLesson after 20 more commands typed in
// the command bar (kubectl create configmap cmN): what a learner's process holds some way
// into a lesson rather than after its first command.
func BenchmarkIdleLessonAfter20Commands(b *testing.B) {
	idleBench(b, true, 20)
}

func idleBench(b *testing.B, lesson bool, commands ...int) {
	bin := benchBinary(b)
	l := basicsLesson(b, "en")
	for i := 0; i < b.N; i++ {
		p := startPTYPlayer(b, bin)
		p.waitOutput(l.Title, "simulator")
		if lesson {
			p.keys("\r") // open the first lesson
			p.waitOutput(l.Steps[0].Title)
			p.keys("n") // step 2: apply web.yaml
			p.waitOutput(l.Steps[1].Title)
			p.keys("\r")
			p.waitOutput("web-1")
			for n := range append(commands, 0)[0] {
				p.keys(":")
				p.keys(fmt.Sprintf("kubectl create configmap cm%d --from-literal=a=b\r", n))
				p.waitOutput(fmt.Sprintf("configmap/cm%d created", n))
			}
		}
		// Let start-up work settle, including the one collection that returns start-up's or
		// the last command's garbage 3 s after things go quiet (main_memory.go); the window
		// below is the measurement.
		time.Sleep(5 * time.Second)
		pid := p.cmd.Process.Pid
		t0, w0 := procTicks(b, pid), procSwitches(b, pid)
		time.Sleep(10 * time.Second)
		ticks, wakeups := procTicks(b, pid)-t0, procSwitches(b, pid)-w0
		rss, anon, file := procMem(b, pid)
		b.ReportMetric(float64(ticks), "ticks/10s")
		b.ReportMetric(float64(wakeups), "ctxsw/10s")
		b.ReportMetric(rss/1024, "RSS-MB")
		b.ReportMetric(anon/1024, "anon-MB")
		b.ReportMetric(file/1024, "file-MB")
		if syms := os.Getenv("KUBETUTOR_BENCH_SYMS"); syms != "" {
			residentReport(b, pid, bin, syms, 25) // main_pages_bench_test.go
		}
		p.stop()
	}
}
