package tui

import (
	"fmt"
	"math"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/engine/termsafe"
)

// maxOutEntries bounds each step's output history; the oldest entries go first.
const maxOutEntries = 50

// outEntry is one command's output (or one note) in a step's output history.
type outEntry struct {
	id      int
	line    string // the command, shown as the entry's heading; "" for a note
	label   string // a note's heading
	text    string
	errText string
	running bool
	wrap    bool // prose (a note), wrapped to the pane; kubectl output keeps its lines
}

// outputPane keeps every command's output per step, newest last, each under its command as
// a heading; it scrolls, follows new output unless the learner scrolled up (then a mark says
// there is new output below), and can show a transient view (a selected row's object, the
// demo typing) over the history without losing it.
type outputPane struct {
	st *Styles
	t  text

	idle string // what a step without history says; "" is t.NoOutput

	hist   map[int][]*outEntry
	step   int
	nextID int

	// The transient view: label is its title ("" when the history shows).
	label, text, errText string
	wrap                 bool

	// pinned: the learner scrolled away from the newest output, so the view stays where
	// they read and unseen marks output that arrived below meanwhile. Otherwise the view
	// follows: it shows anchor's entry from its heading (a finished command, a note), or
	// the bottom (a running command).
	pinned, unseen bool
	anchor         int

	// view holds the content for its scroll position (and for tests that read its text);
	// View draws the visible window of lines itself, as viewport.View did with a lipgloss
	// pass over that window on every frame.
	view          viewport.Model
	lines         []string // the shown content's lines, rendered once per change
	longest       int      // the widest line's cells
	width, height int
	focused       bool
	wide          bool // some line is wider than the pane: ← → scroll it

	km OutputKeyMap
}

// OutputKeyMap holds the output pane's bindings.
type OutputKeyMap struct {
	scrollKeyMap
	// Sideways scrolls kubectl's lines wider than the pane; it works whichever pane has the
	// focus (Reach). Left and Right tell its two keys apart.
	Sideways, Left, Right key.Binding
}

func defaultOutputKeyMap(t text) OutputKeyMap {
	return OutputKeyMap{
		scrollKeyMap: defaultScrollKeyMap(t),
		Sideways:     key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("← →", t.KeySideways)),
		Left:         key.NewBinding(key.WithKeys("left")),
		Right:        key.NewBinding(key.WithKeys("right")),
	}
}

func newOutputPane(st *Styles, t text) *outputPane {
	return &outputPane{st: st, t: t, view: viewport.New(0, 0), hist: map[int][]*outEntry{}, km: defaultOutputKeyMap(t)}
}

// setText switches the pane's words to another language.
func (o *outputPane) setText(t text) {
	o.t, o.km = t, defaultOutputKeyMap(t)
}

// keys is the pane's key map as it stands: each key only where it moves the view.
func (o *outputPane) keys() OutputKeyMap {
	k := o.km
	k.scrollKeyMap = k.at(&o.view)
	left := o.wide && o.view.HorizontalScrollPercent() > 0
	right := o.wide && o.view.HorizontalScrollPercent() < 1
	k.Left.SetEnabled(left)
	k.Right.SetEnabled(right)
	k.Sideways = oneOrBoth(k.Sideways, left, right, "←", "→")
	return k
}

// Init implements Component.
func (o *outputPane) Init() tea.Cmd { return nil }

// cmdOutputMsg is a command's result for the output pane: entry id (start's) ended with
// output and, when it failed, errText.
type cmdOutputMsg struct {
	id              int
	output, errText string
}

// Update implements Component: a command's result (cmdOutputMsg) fills in its entry;
// scrolling, sideways too, with keys and the wheel.
func (o *outputPane) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case cmdOutputMsg:
		o.finish(msg.id, msg.output, msg.errText)
	case tea.KeyMsg:
		k := o.keys()
		a, ok := k.action(msg)
		switch {
		case ok:
		case key.Matches(msg, k.Left):
			a, ok = scrollLeft, true
		case key.Matches(msg, k.Right):
			a, ok = scrollRight, true
		}
		if ok {
			scrollBy(&o.view, a)
			o.scrolled()
		}
	case tea.MouseMsg:
		if a, ok := wheelAction(msg); ok {
			scrollBy(&o.view, a)
			o.scrolled()
		}
	}
	return o, nil
}

// ShortHelp implements help.KeyMap.
func (o *outputPane) ShortHelp() []key.Binding { return nil }

// FullHelp implements help.KeyMap.
func (o *outputPane) FullHelp() [][]key.Binding {
	k := o.keys()
	return [][]key.Binding{append(k.list(), k.Sideways, k.Wheel)}
}

// Reach implements reacher: ← → scroll the output from any pane.
func (o *outputPane) Reach() []key.Binding { return []key.Binding{o.keys().Sideways} }

// setIdle sets what the empty pane says ("" is NoOutput), so a step with nothing left to run
// does not ask for an Enter that does nothing.
func (o *outputPane) setIdle(s string) {
	if s != o.idle {
		o.idle = s
		o.refresh(false)
	}
}

// SetSize implements Component.
func (o *outputPane) SetSize(w, h int) {
	x := o.xOffset() // where the old width had it
	o.width, o.height = w, h
	o.view.Width, o.view.Height = max(0, w), max(0, h-1)
	o.refreshAt(false, x)
}

// setStep shows step i's history, following its newest output.
func (o *outputPane) setStep(i int) {
	if i != o.step {
		o.step = i
		o.label = ""
		o.pinned, o.unseen, o.anchor = false, false, 0
		if h := o.hist[i]; len(h) > 0 && !h[len(h)-1].running {
			o.anchor = h[len(h)-1].id
		}
		o.refresh(false)
	}
}

func (o *outputPane) add(e *outEntry) int {
	o.nextID++
	e.id = o.nextID
	h := append(o.hist[o.step], e)
	if len(h) > maxOutEntries {
		h = h[len(h)-maxOutEntries:]
	}
	o.hist[o.step] = h
	o.label = "" // a new entry is what the learner wants to see
	if !e.running {
		o.anchor = e.id
	} else {
		o.anchor = 0
	}
	o.refresh(false)
	return e.id
}

// start adds a running command to the current step's history and returns its id.
func (o *outputPane) start(line string) int {
	return o.add(&outEntry{line: line, running: true})
}

// finish fills in the entry of a command that ended, wherever it is (the learner may have
// moved to another step meanwhile), and shows its start: the answer is at the top of its
// output, the rest below the "more" mark.
func (o *outputPane) finish(id int, output, errText string) {
	output, errText = termsafe.String(output), termsafe.String(errText) // command output
	for step, h := range o.hist {
		for _, e := range h {
			if e.id == id {
				e.text, e.errText, e.running = cleanOutput(output), errText, false
				if step == o.step {
					if h := o.hist[step]; h[len(h)-1] == e {
						o.anchor = id // the newest answer is read from its command
					}
					o.refresh(false)
				}
				return
			}
		}
	}
}

// note adds an entry that no command printed (the K key's instructions) under a label.
func (o *outputPane) note(label, text, errText string) {
	o.noteEntry(label, text, errText, false)
}

// prose adds a note that wraps to the pane: sentences from the player rather than lines a
// learner may copy (a command, a path).
func (o *outputPane) prose(label, text string) {
	o.noteEntry(label, text, "", true)
}

func (o *outputPane) noteEntry(label, text, errText string, wrap bool) {
	text, errText = termsafe.String(text), termsafe.String(errText) // object data, Events
	if h := o.hist[o.step]; len(h) > 0 {
		if last := h[len(h)-1]; last.line == "" && last.label == label && last.text == text && last.errText == errText {
			o.label = "" // the same note again: show it, do not repeat it
			o.refresh(false)
			return
		}
	}
	o.add(&outEntry{label: label, text: cleanOutput(text), errText: errText, wrap: wrap})
}

// peek shows a transient view (a selected row's object, the demo typing) over the history
// until unpeek, a new entry or another step.
func (o *outputPane) peek(label, text, errText string, wrap bool) {
	text, errText = termsafe.String(text), termsafe.String(errText) // object data, Events
	o.label, o.text, o.errText, o.wrap = label, text, errText, wrap
	o.refresh(false)
	o.view.GotoTop()
}

// noteText is peek (the demo's name for it).
func (o *outputPane) noteText(label, text, errText string, wrap bool) {
	o.peek(label, text, errText, wrap)
}

// unpeek shows the history again.
func (o *outputPane) unpeek() {
	if o.label != "" {
		o.label = ""
		o.refresh(false)
	}
}

// clear forgets every step's history (a fresh cluster: what ran is gone).
func (o *outputPane) clear() {
	o.hist = map[int][]*outEntry{}
	o.label = ""
	o.pinned, o.unseen, o.anchor = false, false, 0
	o.refresh(false)
}

// running reports whether the shown step's newest entry is a running command.
func (o *outputPane) busy() bool {
	h := o.hist[o.step]
	return len(h) > 0 && h[len(h)-1].running
}

// cleanOutput makes terminal line ends plain: kubectl exec with a TTY ends lines with \r\n,
// which would otherwise show as a stray symbol or overwrite the line.
func cleanOutput(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "")
}

// content renders the shown step's history (or the transient view) and the line where each
// entry starts.
func (o *outputPane) content() (string, map[int]int) {
	starts := map[int]int{}
	render := func(text, errText string, wrap bool) string {
		s := strings.TrimRight(text, "\n")
		if wrap && o.width > 0 {
			s = o.st.NewStyle().Width(o.width).Render(s)
		}
		if errText != "" {
			if s != "" {
				s += "\n"
			}
			errStyle := o.st.Error
			if o.width > 0 {
				errStyle = errStyle.Width(o.width)
			}
			s += errStyle.Render(errText)
		}
		return s
	}
	if o.label != "" {
		return render(o.text, o.errText, o.wrap), starts
	}
	// The idle words are prose: wrapped to the pane, never a line to scroll sideways.
	dim := o.st.Dim
	if o.width > 0 {
		dim = dim.Width(o.width)
	}
	h := o.hist[o.step]
	if len(h) == 0 {
		idle := o.t.NoOutput
		if o.idle != "" {
			idle = o.idle
		}
		return dim.Render(idle), starts
	}
	var lines []string
	for i, e := range h {
		if i > 0 {
			lines = append(lines, "")
		}
		starts[e.id] = len(lines)
		if e.line != "" {
			lines = append(lines, o.st.CmdRun.Render("$ "+e.line))
		} else {
			lines = append(lines, o.st.Header.Render("— "+e.label))
		}
		if e.running {
			lines = append(lines, o.st.Dim.Render(o.t.Running))
			continue
		}
		if body := render(e.text, e.errText, e.wrap); body != "" {
			lines = append(lines, strings.Split(body, "\n")...)
		}
	}
	if o.idle != "" && !o.busy() {
		lines = append(lines, "", dim.Render(o.idle))
	}
	return strings.Join(lines, "\n"), starts
}

// refresh re-renders the pane's content, keeping the scroll position; when the pane follows
// it moves to the newest output, else new output sets the "new output below" mark.
func (o *outputPane) refresh(top bool) { o.refreshAt(top, o.xOffset()) }

// refreshAt is refresh keeping the sideways position x within the new lines (the viewport
// never clamps it itself when its content narrows, which left narrow output cut at the
// left with ← disabled).
func (o *outputPane) refreshAt(top bool, x int) {
	before := o.view.TotalLineCount()
	atBottom := o.view.AtBottom()
	s, starts := o.content()
	y := o.view.YOffset
	o.setLines(s)
	o.view.SetXOffset(x)
	switch {
	case top:
		o.view.GotoTop()
	case o.label != "":
		o.view.SetYOffset(y)
	case o.pinned:
		o.view.SetYOffset(y)
		if o.view.TotalLineCount() > before && !atBottom {
			o.unseen = true
		}
	default:
		if at, ok := starts[o.anchor]; ok && o.anchor != 0 {
			o.view.SetYOffset(at)
		} else {
			o.view.GotoBottom()
		}
	}
}

// setLines makes s the pane's content and lines.
func (o *outputPane) setLines(s string) {
	o.view.SetContent(s)
	o.lines = strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") // as SetContent splits it
	o.longest = 0
	for _, l := range o.lines {
		o.longest = max(o.longest, cellWidth(l))
	}
	o.wide = o.longest > o.width
}

// xOffset is the viewport's sideways position, which it does not export: refreshAt keeps
// it within the lines, so its scroll percentage gives it back exactly.
func (o *outputPane) xOffset() int {
	room := o.longest - o.view.Width
	if room <= 0 {
		return 0
	}
	return int(math.Round(o.view.HorizontalScrollPercent() * float64(room)))
}

// visibleBody is the viewport's window on the lines as viewport.View drew it: each line
// cut to the pane's width from the sideways position, and padded by fit rather than by a
// lipgloss pass. A window with a tab goes through that pass (it expands tabs after the
// cut and wraps what they widen), so it comes out the same.
func (o *outputPane) visibleBody() string {
	w, h := o.view.Width, o.view.Height
	top := max(0, o.view.YOffset)
	bottom := clamp(o.view.YOffset+h, top, len(o.lines))
	if top >= bottom || w <= 0 {
		return ""
	}
	window := o.lines[top:bottom]
	x := o.xOffset()
	cut := x > 0 || o.longest > w
	tabs := false
	var b strings.Builder
	for i, l := range window {
		if strings.IndexByte(l, '\t') >= 0 {
			tabs = true
			break
		}
		if cut {
			l = ansi.Cut(l, x, x+w)
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	if !tabs {
		return b.String()
	}
	cutLines := window
	if cut {
		cutLines = make([]string, len(window))
		for i, l := range window {
			cutLines[i] = ansi.Cut(l, x, x+w)
		}
	}
	return lipgloss.NewStyle().Width(w).Height(h).MaxHeight(h).MaxWidth(w).Render(strings.Join(cutLines, "\n"))
}

// scrolled is called after the learner scrolled: away from where the pane put them it
// stays put; back at the bottom it follows again.
func (o *outputPane) scrolled() {
	if o.label != "" {
		return
	}
	o.pinned = !o.view.AtBottom()
	if !o.pinned {
		o.unseen = false
		o.anchor = 0
	}
}

// hint is the header's word on what is out of view.
func (o *outputPane) hint() string {
	v := &o.view
	switch {
	case o.unseen && !v.AtBottom():
		return o.t.NewOutputBelow
	case v.Height <= 0 || v.TotalLineCount() <= v.Height:
		return ""
	case v.AtTop():
		return o.t.ScrollDown
	case v.AtBottom():
		return o.t.ScrollUpMore
	}
	return o.t.ScrollBoth
}

// header is the pane's title line, with hint (the scroll hint) at its right.
func (o *outputPane) header(hint string) string {
	title := o.t.Output
	if o.label != "" {
		title += ": " + o.label
	} else if n := len(o.hist[o.step]); n > 1 {
		title += " " + fmt.Sprintf(o.t.OutputCount, n)
	}
	suffix := ""
	if hint != "" {
		suffix = o.st.Dim.Render(hint)
		if o.unseen {
			suffix = o.st.CmdNext.Render(hint)
		}
	}
	return paneHeader(o.st, title, suffix, o.width, o.focused)
}

func (o *outputPane) View() string {
	if o.width <= 0 || o.height <= 0 {
		return ""
	}
	parts := []string{o.header(o.hint())}
	if o.height > 1 {
		parts = append(parts, fit(o.visibleBody(), o.width, o.height-1))
	}
	return strings.Join(parts, "\n")
}
