package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// viewModel shows whatever its last string message said.
type viewModel struct{ view string }

func (m *viewModel) Init() tea.Cmd { return nil }
func (m *viewModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if s, ok := msg.(string); ok {
		m.view = s
	}
	return m, nil
}
func (m *viewModel) View() string { return m.view }

// step sends msg as Bubble Tea does (Update, then View) and returns what was written to the
// terminal and the command Update returned.
func step(r *Redrawer, out *bytes.Buffer, msg tea.Msg) (string, tea.Cmd) {
	out.Reset()
	_, cmd := r.Update(msg)
	r.View()
	return out.String(), cmd
}

func TestRedrawerDrawsChangesOnly(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1000, 0)
	r := NewRedrawer(&viewModel{view: "a\nb\nc"}, &out)
	r.now = func() time.Time { return now }

	w, _ := step(r, &out, tea.WindowSizeMsg{Width: 10, Height: 5})
	if want := "\x1b[1;1Ha\x1b[K\x1b[2;1Hb\x1b[K\x1b[3;1Hc\x1b[K\x1b[4;1H\x1b[J"; w != want {
		t.Fatalf("first frame wrote %q, want %q", w, want)
	}
	now = now.Add(time.Second)
	if w, cmd := step(r, &out, tea.KeyMsg{}); w != "" || cmd != nil {
		t.Fatalf("an unchanged frame wrote %q (cmd %v): nothing may be written or scheduled", w, cmd != nil)
	}
	// Only the changed line is written, at its row.
	w, _ = step(r, &out, "a\nB\nc")
	if want := "\x1b[2;1HB\x1b[K"; w != want {
		t.Fatalf("one changed line wrote %q, want %q", w, want)
	}
}

// TestRedrawerDrawsAllWhenTheTerminalComesBack: after the terminal was lent to another
// program (redrawAllMsg), the same frame is written whole, every line.
func TestRedrawerDrawsAllWhenTheTerminalComesBack(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1000, 0)
	r := NewRedrawer(&viewModel{view: "a\nb"}, &out)
	r.now = func() time.Time { return now }
	step(r, &out, tea.WindowSizeMsg{Width: 10, Height: 3})
	now = now.Add(time.Second)
	w, _ := step(r, &out, redrawAllMsg{})
	if want := "\x1b[1;1Ha\x1b[K\x1b[2;1Hb\x1b[K\x1b[3;1H\x1b[J"; w != want {
		t.Fatalf("after the terminal came back wrote %q, want %q", w, want)
	}
}

func TestRedrawerCoalescesBursts(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1000, 0)
	r := NewRedrawer(&viewModel{view: "0"}, &out)
	r.now = func() time.Time { return now }
	step(r, &out, tea.WindowSizeMsg{Width: 10, Height: 5})

	// Within redrawEvery of the last frame: nothing is written, one tick is scheduled.
	now = now.Add(time.Millisecond)
	w, cmd := step(r, &out, "1")
	if w != "" || cmd == nil {
		t.Fatalf("a change right after a frame wrote %q, scheduled %v; want nothing written and a tick", w, cmd != nil)
	}
	if w, cmd := step(r, &out, "2"); w != "" || cmd != nil {
		t.Fatalf("a second change in the burst wrote %q, scheduled %v; want neither (one tick is pending)", w, cmd != nil)
	}
	// The tick draws the burst's last frame.
	now = now.Add(redrawEvery)
	if w, _ := step(r, &out, redrawMsg{}); w != "\x1b[1;1H2\x1b[K" {
		t.Fatalf("the tick wrote %q, want the last frame (2)", w)
	}
	if _, ok := r.Inner().(*viewModel); !ok {
		t.Fatal("Inner is not the wrapped model")
	}
}

func TestRedrawerResizeRedrawsAllAndCuts(t *testing.T) {
	var out bytes.Buffer
	now := time.Unix(1000, 0)
	r := NewRedrawer(&viewModel{view: "top\nwide line here\nend"}, &out)
	r.now = func() time.Time { return now }
	step(r, &out, tea.WindowSizeMsg{Width: 40, Height: 10})
	now = now.Add(time.Second)
	// Back from another program (or a resize): every line again, cut to the width, the top
	// dropped when the frame is taller than the terminal, and no clearing below a full screen.
	w, _ := step(r, &out, tea.WindowSizeMsg{Width: 4, Height: 2})
	if want := "\x1b[1;1Hwide\x1b[2;1Hend\x1b[K"; w != want {
		t.Fatalf("after a resize wrote %q, want %q", w, want)
	}
	// A shorter frame clears what the longer one left below it.
	now = now.Add(time.Second)
	step(r, &out, tea.WindowSizeMsg{Width: 10, Height: 5})
	now = now.Add(time.Second)
	w, _ = step(r, &out, "x")
	if want := "\x1b[1;1Hx\x1b[K\x1b[2;1H\x1b[J"; w != want {
		t.Fatalf("a shorter frame wrote %q, want %q", w, want)
	}
	// No size yet (before Bubble Tea's first WindowSizeMsg): nothing drawn.
	r2 := NewRedrawer(&viewModel{view: "a"}, &out)
	if w, _ := step(r2, &out, "b"); w != "" {
		t.Fatalf("without a size wrote %q", w)
	}
}

// countingModel shows its last key, or its last string message, and counts its views.
type countingModel struct {
	view  string
	views int
}

func (m *countingModel) Init() tea.Cmd { return nil }
func (m *countingModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case string:
		m.view = msg
	case tea.KeyMsg:
		m.view = "key " + msg.String()
	case pacedTestMsg:
		m.view = "paced " + string(msg)
	}
	return m, nil
}

// pacedTestMsg stands for a watch pane's batch: its source bounds how often it comes.
type pacedTestMsg string

func (pacedTestMsg) selfPaced()       {}
func (m *countingModel) View() string { m.views++; return m.view }

// TestRedrawerDrawsAtOnce: right after a frame, other changes wait for the tick without
// their frame being built, but a key's frame, or a watch batch's (paced by its pane), is
// written at once with what came before it, and the pending tick then writes nothing. Held
// for the tick too, a burst's watch events waited for their batch and then for the tick.
func TestRedrawerDrawsAtOnce(t *testing.T) {
	var _ selfPaced = watchBatchMsg{} // the watch pane's batches are the self-paced messages
	for _, tc := range []struct {
		name string
		msg  tea.Msg
		want string
	}{
		{"key", tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")}, "\x1b[1;1Hkey n\x1b[K"},
		{"watch batch", pacedTestMsg("2"), "\x1b[1;1Hpaced 2\x1b[K"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			now := time.Unix(1000, 0)
			m := &countingModel{view: "0"}
			r := NewRedrawer(m, &out)
			r.now = func() time.Time { return now }
			step(r, &out, tea.WindowSizeMsg{Width: 20, Height: 1})

			now = now.Add(time.Millisecond)
			views := m.views
			for _, ev := range []string{"1", "2", "3"} {
				if w, _ := step(r, &out, ev); w != "" {
					t.Fatalf("event %s right after a frame wrote %q; want it held for the tick", ev, w)
				}
			}
			if m.views != views {
				t.Fatalf("held events built %d views; want none before the tick", m.views-views)
			}
			now = now.Add(time.Millisecond)
			if w, _ := step(r, &out, tc.msg); w != tc.want {
				t.Fatalf("right after a frame wrote %q, want %q at once", w, tc.want)
			}
			now = now.Add(redrawEvery)
			if w, _ := step(r, &out, redrawMsg{}); w != "" {
				t.Fatalf("the tick after that frame wrote %q, want nothing", w)
			}
		})
	}
}
