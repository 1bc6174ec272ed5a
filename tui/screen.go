package tui

import (
	"io"
	"sync"

	"github.com/charmbracelet/x/ansi"
)

// screenOn and screenOff are what Bubble Tea's standard renderer writes for
// tea.WithAltScreen, tea.WithMouseCellMotion and its default bracketed paste (and its hidden
// cursor), and what it writes to undo them.
const (
	screenOn = ansi.SetAltScreenSaveCursorMode + ansi.EraseEntireScreen + ansi.CursorHomePosition +
		ansi.HideCursor + ansi.SetButtonEventMouseMode + ansi.SetSgrExtMouseMode + ansi.SetBracketedPasteMode
	screenOff = ansi.ResetBracketedPasteMode + ansi.ResetButtonEventMouseMode + ansi.ResetSgrExtMouseMode +
		ansi.ShowCursor + ansi.ResetAltScreenSaveCursorMode
)

// RemoteScreen is Screen for a terminal at the other end of a connection (an SSH session
// with a pty): the client's terminal is already raw and its sizes come with the session, so
// only the screen modes are written. With it the program runs without Bubble Tea's standard
// renderer, whose ticker would wake the server once a second for every idle connection.
type RemoteScreen struct {
	mu  sync.Mutex
	out io.Writer
	on  bool
}

// NewRemoteScreen writes the modes on out (the program's output).
func NewRemoteScreen(out io.Writer) *RemoteScreen { return &RemoteScreen{out: out} }

// Enter turns the player's screen modes on; Leave turns them off. Each is safe to repeat.
func (s *RemoteScreen) Enter() error { return s.set(true) }
func (s *RemoteScreen) Leave() error { return s.set(false) }

func (s *RemoteScreen) set(on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on == on {
		return nil
	}
	seq := screenOff
	if on {
		seq = screenOn
	}
	if _, err := io.WriteString(s.out, seq); err != nil {
		return err
	}
	s.on = on
	return nil
}
