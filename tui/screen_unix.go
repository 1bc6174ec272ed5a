//go:build unix

package tui

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/term"
)

// Screen is the terminal set up for the full-screen player by the player itself, so that
// its program can run without Bubble Tea's standard renderer (tea.WithoutRenderer), whose
// flush ticker wakes the process at least once a second for the program's whole life: with
// the Redrawer drawing every frame, that ticker had nothing left to do, yet it was the only
// thing that woke an idle player at the menu. Screen does what the standard renderer did
// besides drawing: raw input, the alternate screen, a hidden cursor, mouse cell motion and
// bracketed paste on entry; the window's size at start and on every SIGWINCH; the terminal
// given back as it was on exit and while a command borrows it (kubectl exec -it, edit).
type Screen struct {
	in, out *os.File

	mu    sync.Mutex
	saved *term.State // the input's mode before Enter; nil while not entered
}

// OpenScreen is a Screen on in and out, or nil when either is not a terminal (Bubble Tea's
// renderer then sets up what there is).
func OpenScreen(in, out *os.File) *Screen {
	if in == nil || out == nil || !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return nil
	}
	return &Screen{in: in, out: out}
}

// Enter puts the input in raw mode and the output in the player's screen modes.
func (s *Screen) Enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved != nil {
		return nil
	}
	st, err := term.MakeRaw(s.in.Fd())
	if err != nil {
		return err
	}
	s.saved = st
	_, err = s.out.WriteString(screenOn)
	return err
}

// Leave gives the terminal back as Enter found it. Safe to call when not entered.
func (s *Screen) Leave() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved == nil {
		return nil
	}
	_, werr := s.out.WriteString(screenOff)
	err := term.Restore(s.in.Fd(), s.saved)
	s.saved = nil
	if err != nil {
		return err
	}
	return werr
}

// Release and Restore lend the terminal to a command (TerminalHandoff).
func (s *Screen) Release() error { return s.Leave() }
func (s *Screen) Restore() error { return s.Enter() }

// WatchSize sends the window's size now and after every resize until ctx ends. It waits
// on the signal alone: nothing runs between resizes.
func (s *Screen) WatchSize(ctx context.Context, send func(tea.Msg)) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	defer signal.Stop(ch)
	for {
		if w, h, err := term.GetSize(s.out.Fd()); err == nil {
			send(tea.WindowSizeMsg{Width: w, Height: h})
		}
		select {
		case <-ctx.Done():
			return
		case <-ch:
		}
	}
}
