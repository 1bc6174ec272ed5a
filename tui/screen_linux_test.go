//go:build linux

package tui

import (
	"context"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// raw reports whether the terminal at f reads bytes as they come, without echo.
func raw(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&(unix.ICANON|unix.ECHO) == 0
}

// TestScreenSetsUpAndGivesBackTheTerminal: on a pseudo-terminal, Enter puts the input in raw
// mode and writes the player's modes (alternate screen, mouse, bracketed paste, hidden
// cursor); Release gives the terminal back in its normal mode with the modes undone and
// Restore takes it again (a command that borrows the terminal); Leave ends as it began.
func TestScreenSetsUpAndGivesBackTheTerminal(t *testing.T) {
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer ptm.Close()
	defer tty.Close()
	out := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptm.Read(buf)
			if n > 0 {
				out <- string(buf[:n])
			}
			if err != nil {
				close(out)
				return
			}
		}
	}()
	written := func(want string) {
		t.Helper()
		var got strings.Builder
		deadline := time.After(10 * time.Second) // a failure detector: the write is synchronous
		for !strings.Contains(got.String(), want) {
			select {
			case s := <-out:
				got.WriteString(s)
			case <-deadline:
				t.Fatalf("the terminal got %q, want %q in it", got.String(), want)
			}
		}
	}

	if OpenScreen(tty, nil) != nil {
		t.Fatal("a Screen without an output terminal")
	}
	s := OpenScreen(tty, tty)
	if s == nil {
		t.Fatal("no Screen on a pseudo-terminal")
	}
	if raw(t, tty) {
		t.Fatal("the new pseudo-terminal is already raw")
	}
	if err := s.Enter(); err != nil {
		t.Fatal(err)
	}
	written(screenOn)
	if !raw(t, tty) {
		t.Error("not raw after Enter")
	}
	for _, seq := range []string{"\x1b[?1049h", "\x1b[?1002h", "\x1b[?1006h", "\x1b[?2004h", "\x1b[?25l"} {
		if !strings.Contains(screenOn, seq) {
			t.Errorf("entering does not write %q", seq)
		}
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	written(screenOff)
	if raw(t, tty) {
		t.Error("still raw while lent to a command")
	}
	for _, seq := range []string{"\x1b[?1049l", "\x1b[?1002l", "\x1b[?1006l", "\x1b[?2004l", "\x1b[?25h"} {
		if !strings.Contains(screenOff, seq) {
			t.Errorf("leaving does not write %q", seq)
		}
	}
	if err := s.Restore(); err != nil {
		t.Fatal(err)
	}
	written(screenOn)
	if !raw(t, tty) {
		t.Error("not raw after the command")
	}
	if err := s.Leave(); err != nil {
		t.Fatal(err)
	}
	written(screenOff)
	if raw(t, tty) {
		t.Error("still raw after Leave")
	}
	if err := s.Leave(); err != nil {
		t.Errorf("a second Leave: %v", err)
	}
}

// TestScreenSendsTheSizeAndEachResize: WatchSize sends the window's size at once and again
// after a SIGWINCH, and stops with its context.
func TestScreenSendsTheSizeAndEachResize(t *testing.T) {
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	defer ptm.Close()
	defer tty.Close()
	if err := pty.Setsize(ptm, &pty.Winsize{Cols: 120, Rows: 40}); err != nil {
		t.Fatal(err)
	}
	s := OpenScreen(tty, tty)
	ctx, cancel := context.WithCancel(context.Background())
	sizes := make(chan tea.Msg, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchSize(ctx, func(m tea.Msg) { sizes <- m })
	}()
	next := func() tea.WindowSizeMsg {
		t.Helper()
		select {
		case m := <-sizes:
			return m.(tea.WindowSizeMsg)
		case <-time.After(10 * time.Second): // a failure detector
			t.Fatal("no size sent")
		}
		return tea.WindowSizeMsg{}
	}
	if got := next(); got.Width != 120 || got.Height != 40 {
		t.Fatalf("first size %v, want 120×40", got)
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Cols: 90, Rows: 30}); err != nil {
		t.Fatal(err)
	}
	// The terminal signals its foreground process, which this test is not: signal it here
	// (WatchSize listens before it sends the first size).
	if err := syscall.Kill(os.Getpid(), syscall.SIGWINCH); err != nil {
		t.Fatal(err)
	}
	if got := next(); got.Width != 90 || got.Height != 30 {
		t.Errorf("after the resize %v, want 90×30", got)
	}
	cancel()
	<-done
}

// TestTerminalCommandBorrowsTheScreen: a command run with the terminal (kubectl exec -it)
// gets it released before it starts and restored after it ends, also when it fails.
func TestTerminalCommandBorrowsTheScreen(t *testing.T) {
	for _, fail := range []bool{false, true} {
		var log []string
		h := &recordHandoff{log: &log}
		run := terminalRunnerFunc(func(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
			log = append(log, "run "+line)
			if fail {
				return io.ErrUnexpectedEOF
			}
			return nil
		})
		k := &kubectlTerminal{ctx: context.Background(), run: run, line: "kubectl exec -it web-0 -- sh", handoff: h}
		k.SetStdout(io.Discard)
		err := k.Run()
		if fail != (err != nil) {
			t.Errorf("fail=%v: err %v", fail, err)
		}
		if got := strings.Join(log, ", "); got != "release, run kubectl exec -it web-0 -- sh, restore" {
			t.Errorf("fail=%v: %s", fail, got)
		}
	}
}

type recordHandoff struct{ log *[]string }

func (h *recordHandoff) Release() error { *h.log = append(*h.log, "release"); return nil }
func (h *recordHandoff) Restore() error { *h.log = append(*h.log, "restore"); return nil }

type terminalRunnerFunc func(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error

func (f terminalRunnerFunc) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return f(ctx, line, in, out, errOut)
}
