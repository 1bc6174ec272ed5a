package tui

import (
	"io"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// Redrawer draws a full-screen model on the terminal when its view changes, and only then.
//
// Bubble Tea v1's standard renderer draws on a ticker (60 times a second by default, at
// least once a second) for the program's whole life, so a player where nothing moves still
// wakes; it has no option to wait for a change, and a lower frame rate delays every key and
// event by up to a frame. The player's program therefore runs without it where it can
// (tea.WithoutRenderer, with Screen setting up the terminal: raw input, the alternate
// screen, the mouse, bracketed paste, the size, lending the terminal to `kubectl exec -it`),
// else with it at 1 frame a second, and this wrapper writes each changed frame
// at once from the program's own loop, at most once per redrawEvery: a burst of events is
// drawn as it comes, its last frame when the burst ends (the frames in between are not even
// built), and an idle player never wakes. The person's own keys and clicks are drawn at once,
// whenever the last frame was: a keystroke never waits behind a watch's redraws. So is a
// message whose source paces itself (selfPaced: a watch pane's batches, at most one per
// watchPace): held for the tick as well, a watch event waited for its batch and then for
// the tick, up to 8 + 16.7 ms, and a burst's events reached the screen 15 ms late on median
// (BenchmarkWatchBurst through the Redrawer).
//
// Where the standard renderer runs, its once-a-second pass finds the terminal already
// showing its frame and, while frames change, rewrites the changed lines with what is
// already there. Resizes (which
// Bubble Tea also sends when it gets the terminal back from `kubectl exec -it`) redraw
// everything. Frames are drawn like the standard renderer draws them in the alternate
// screen: from the top, each line cut to the width and cleared to its end, extra lines at
// the top dropped.
type Redrawer struct {
	inner tea.Model
	out   io.Writer
	now   func() time.Time

	width, height int
	frame         string   // the inner model's latest view
	shown         string   // the frame on the terminal
	lines         []string // shown, as the lines drawn; nil: draw every line next time
	last          time.Time
	pending       bool // a redrawMsg is on its way
	drawNext      bool // View draws the frame
}

// redrawEvery bounds how often frames are written: once per 60 Hz display frame.
const redrawEvery = time.Second / 60

// selfPaced is a message whose source already bounds how often it comes: the Redrawer draws
// its frame at once.
type selfPaced interface{ selfPaced() }

// redrawMsg is the tick that draws the last frame of a burst.
type redrawMsg struct{}

// redrawAllMsg says the terminal's content is unknown: it was lent to another program
// (kubectl exec -it), and Bubble Tea sends no size on its return where it cannot read the
// terminal's size (over SSH in the classroom). The next frame is drawn whole.
type redrawAllMsg struct{}

func redrawAll() tea.Msg { return redrawAllMsg{} }

// NewRedrawer wraps m, drawing its frames on out (the program's output, in the alternate
// screen). Run it with tea.WithoutRenderer() on a Screen, or else with tea.WithFPS(1) and
// tea.WithAltScreen().
func NewRedrawer(m tea.Model, out io.Writer) *Redrawer {
	return &Redrawer{inner: m, out: out, now: time.Now}
}

func (r *Redrawer) Init() tea.Cmd { return r.inner.Init() }

func (r *Redrawer) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	atOnce := false
	switch msg := msg.(type) {
	case redrawMsg:
		r.pending = false
	case redrawAllMsg:
		r.lines, r.shown = nil, ""
	case tea.WindowSizeMsg:
		r.width, r.height = msg.Width, msg.Height
		r.lines = nil // resized, or the terminal is back from another program: draw it all
		r.shown = ""
		r.inner, cmd = r.inner.Update(msg)
	case tea.KeyMsg, tea.MouseMsg, selfPaced:
		atOnce = true
		r.inner, cmd = r.inner.Update(msg)
	default:
		r.inner, cmd = r.inner.Update(msg)
	}
	if r.width <= 0 {
		r.frame = r.inner.View()
		return r, cmd
	}
	// The person's own keys are drawn at once: what they typed is what they wait for; so are
	// self-paced messages (watch batches). Other changes (clocks, object versions, output)
	// within redrawEvery of the last frame wait for the tick,
	// and their frames are not even built until then: a burst of events costs one view.
	if wait := redrawEvery - r.now().Sub(r.last); wait > 0 && !atOnce {
		if !r.pending {
			r.pending = true
			cmd = tea.Batch(cmd, tea.Tick(wait, func(time.Time) tea.Msg { return redrawMsg{} }))
		}
		return r, cmd
	}
	r.frame = r.inner.View()
	if r.frame == r.shown {
		return r, cmd
	}
	// Drawn from View, which Bubble Tea calls right after Update returns: the renderer gets
	// the same frame straight after, so its next pass has nothing older to put back.
	r.drawNext = true
	return r, cmd
}

func (r *Redrawer) View() string {
	if r.frame == "" {
		r.frame = r.inner.View() // Bubble Tea asks for a view before the first Update
	}
	if r.drawNext {
		r.drawNext = false
		r.draw()
	}
	return r.frame
}

// Inner is the wrapped model.
func (r *Redrawer) Inner() tea.Model { return r.inner }

func (r *Redrawer) draw() {
	lines := strings.Split(r.frame, "\n")
	if r.height > 0 && len(lines) > r.height {
		lines = lines[len(lines)-r.height:]
	}
	var b strings.Builder
	for i, l := range lines {
		if r.lines != nil && i < len(r.lines) && r.lines[i] == l {
			continue
		}
		b.WriteString("\x1b[" + strconv.Itoa(i+1) + ";1H")
		// Measured once, cut only when too wide: the player's lines are already the width,
		// and two grapheme passes over every line drawn were a tenth of a classroom frame.
		w := cellWidth(l)
		if w > r.width {
			l = ansi.Truncate(l, r.width, "")
			w = cellWidth(l) // a wide rune at the edge leaves a cell to clear
		}
		b.WriteString(l)
		if w < r.width {
			b.WriteString(ansi.EraseLineRight)
		}
	}
	if len(lines) < r.height && (r.lines == nil || len(lines) < len(r.lines)) {
		b.WriteString("\x1b[" + strconv.Itoa(len(lines)+1) + ";1H" + ansi.EraseScreenBelow)
	}
	if b.Len() > 0 {
		_, _ = io.WriteString(r.out, b.String())
	}
	r.lines, r.shown, r.last = lines, r.frame, r.now()
}
