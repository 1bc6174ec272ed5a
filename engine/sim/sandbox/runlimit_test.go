package sandbox

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// TestMaxRunStopsABusyCommand: a command that never ends on its own (a busy loop) is stopped
// at the cap with exit 137 and a message naming the cap; without a cap it would run until
// the caller's 10 s deadline.
func TestMaxRunStopsABusyCommand(t *testing.T) {
	f := newFixture(t)
	p := f.pod("busy", "busybox")
	f.sb.SetMaxRun(50 * time.Millisecond)
	r := f.sh(p, "while true; do :; done")
	if r.code != 137 || !strings.Contains(r.err, "command terminated: it ran longer than 50ms") {
		t.Fatalf("code %d, stderr %q", r.code, r.err)
	}
	// A short command is untouched.
	if r := f.sh(p, "echo hi"); r.code != 0 || r.out != "hi\n" {
		t.Fatalf("echo: %+v", r)
	}
}

// TestMaxRunInAnInteractiveShellStopsOneCommand: in `exec -it … sh` the cap applies to each
// typed command, and the shell goes on.
func TestMaxRunInAnInteractiveShellStopsOneCommand(t *testing.T) {
	f := newFixture(t)
	p := f.pod("busy", "busybox")
	f.sb.SetMaxRun(50 * time.Millisecond)
	inR, inW := io.Pipe()
	out := syncBuf{mu: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan int, 1)
	go func() {
		code, _ := f.sb.Run(ctx, p, "", []string{"sh"}, container.Streams{Stdin: inR, Stdout: &out, Stderr: &out, TTY: true})
		done <- code
	}()
	io.WriteString(inW, "while true; do :; done\n")
	defer func() { t.Logf("output: %q", out.String()) }()
	waitFor(t, func() bool { return strings.Contains(out.String(), "command terminated: it ran longer than 50ms") })
	io.WriteString(inW, "echo still here\n")
	waitFor(t, func() bool { return strings.Contains(out.String(), "still here\r\n") })
	io.WriteString(inW, "exit 3\n")
	if code := <-done; code != 3 {
		t.Fatalf("the shell exited %d after the stopped command, want 3 (exit 3)", code)
	}
}

type syncBuf struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (s *syncBuf) lock() {
	if s.mu == nil {
		panic("syncBuf used before init")
	}
	s.mu <- struct{}{}
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.lock()
	defer func() { <-s.mu }()
	return s.buf.Write(p)
}
func (s *syncBuf) String() string { s.lock(); defer func() { <-s.mu }(); return s.buf.String() }
