package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/lessonstate"
)

// paneHeader is a pane's one-line title, an already styled suffix (a ✓), and a rule to the
// pane's edge. The focused pane's title is marked with ▸ as well as colour, so focus shows
// without colour too (NO_COLOR).
func paneHeader(st *Styles, title, suffix string, width int, focused bool) string {
	hs, mark := st.Header, "  "
	if focused {
		hs, mark = st.HeaderFocused, "▸ "
	}
	room := width - lipgloss.Width(mark)
	if suffix != "" {
		room -= lipgloss.Width(suffix) + 1
	}
	title = truncate(title, max(1, room))
	out := hs.Render(mark + title)
	if suffix != "" {
		out += " " + suffix
	}
	if rest := width - lipgloss.Width(out) - 1; rest > 0 {
		out += " " + st.Separator.Render(strings.Repeat("─", rest))
	}
	return fitWidth(out, width)
}

// scrollBy applies a scroll action to a viewport.
func scrollBy(v *viewport.Model, a scrollAction) {
	switch a {
	case scrollUp:
		v.ScrollUp(1)
	case scrollDown:
		v.ScrollDown(1)
	case scrollPageUp:
		v.PageUp()
	case scrollPageDown:
		v.PageDown()
	case scrollWheelUp:
		v.ScrollUp(3)
	case scrollWheelDown:
		v.ScrollDown(3)
	case scrollLeft:
		v.ScrollLeft(sidewaysStep)
	case scrollRight:
		v.ScrollRight(sidewaysStep)
	}
}

// sidewaysStep is how far ← and → move a pane whose lines are wider than it.
const sidewaysStep = 8

type scrollAction int

const (
	scrollUp scrollAction = iota
	scrollDown
	scrollPageUp
	scrollPageDown
	scrollLeft
	scrollRight
	scrollWheelUp
	scrollWheelDown
)

// stepPane shows the current step: its title, its Markdown body (and revealed hints) in a
// scrollable viewport, and its commands with the next one highlighted.
type stepPane struct {
	st *Styles
	t  text
	md *markdown

	title string
	done  bool
	body  string
	hints []string
	shown int // hints revealed
	// solution is the step's runnable commands once the learner asked past the last hint.
	solution []string
	// solutionText is the lesson's own words for the solution, shown with it.
	solutionText string
	// solutionIntro is the play's word on how to introduce it (lessonstate.SolutionIntro).
	solutionIntro lessonstate.SolutionIntro
	cmds          []lessons.Command
	ran           []bool
	next          int // index into cmds of the command Enter runs; -1 when none
	running       bool

	view          viewport.Model
	width, height int
	focused       bool
	present       bool // the projector's large title
	// typing is the part of the next command the demo has typed so far ("" otherwise).
	typing string

	km scrollKeyMap
}

func newStepPane(st *Styles, t text, md *markdown) *stepPane {
	return &stepPane{st: st, t: t, md: md, next: -1, view: viewport.New(0, 0), km: defaultScrollKeyMap(t)}
}

// SetSize implements Component.
func (p *stepPane) SetSize(w, h int) {
	p.width, p.height = w, h
	p.refresh()
}

// setText switches the pane's words to another language.
func (p *stepPane) setText(t text) {
	p.t, p.km = t, defaultScrollKeyMap(t)
}

// Init implements Component.
func (p *stepPane) Init() tea.Cmd { return nil }

// keys is the pane's key map as it stands: scrolling only where the text goes on.
func (p *stepPane) keys() scrollKeyMap { return p.km.at(&p.view) }

// Update implements Component: the step text scrolls with its keys and the wheel.
func (p *stepPane) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if a, ok := p.keys().action(msg); ok {
			scrollBy(&p.view, a)
		}
	case tea.MouseMsg:
		if a, ok := wheelAction(msg); ok {
			scrollBy(&p.view, a)
		}
	}
	return p, nil
}

// ShortHelp implements help.KeyMap: the short line is the lesson's flow; scrolling is in
// the full help.
func (p *stepPane) ShortHelp() []key.Binding { return nil }

// FullHelp implements help.KeyMap.
func (p *stepPane) FullHelp() [][]key.Binding {
	k := p.keys()
	return [][]key.Binding{append(k.list(), k.Wheel)}
}

// minStepText is the fewest lines of step text worth keeping beside a full command list.
const minStepText = 6

// compactCmds reports whether the command list shrinks to the highlighted command: when
// listing them all would leave the text fewer than minStepText lines, or less than half of
// the pane. The others come up one by one as Enter runs them.
func (p *stepPane) compactCmds() bool {
	avail := max(0, p.height-1)
	n := len(p.cmds)
	return n > 1 && avail-n < max(minStepText, avail/2)
}

// cmdHeight is how many lines the command list gets: one line when compact, else all of it,
// but never so much that fewer than three lines of text remain.
// headerHeight is the title's height: one line, or the projector's heading.
func (p *stepPane) headerHeight() int {
	if p.present && p.width > 0 {
		return lipgloss.Height(p.presentHeader())
	}
	return 1
}

func (p *stepPane) cmdHeight() int {
	avail := max(0, p.height-p.headerHeight())
	n := len(p.cmds)
	if p.compactCmds() {
		n = 1
	}
	return clamp(n, 0, max(0, avail-3))
}

// refresh re-renders the body at the current width. It keeps the scroll position; callers
// that change the step scroll to the top themselves.
func (p *stepPane) refresh() {
	p.view.Width = max(0, p.width)
	p.view.Height = max(0, p.height-p.headerHeight()-p.cmdHeight())
	md := p.body
	for i := 0; i < p.shown && i < len(p.hints); i++ {
		md += fmt.Sprintf("\n\n> **%s:** %s", fmt.Sprintf(p.t.Hint, i+1, len(p.hints)), p.hints[i])
	}
	if p.solution != nil { // non-nil once the solution is shown
		md += fmt.Sprintf("\n\n**%s:** ", p.t.Solution)
		if p.solutionText != "" {
			md += p.solutionText
		}
		if len(p.solution) > 0 {
			intro := p.t.SolutionIntro
			if p.solutionIntro == lessonstate.SolutionAllRan {
				intro = p.t.SolutionRan // nothing left for s to run
			}
			md += fmt.Sprintf(" %s\n\n```\n%s\n```", intro, strings.Join(p.solution, "\n"))
		}
	}
	y := p.view.YOffset
	p.view.SetContent(p.md.render(unwrapListItems(md), p.width))
	p.view.SetYOffset(y)
}

// cmdLine renders command i with its mark: ▶ runs next, … is running, ✓ ran.
func (p *stepPane) cmdLine(i int) string {
	c := p.cmds[i]
	text := "$ " + c.Line
	switch {
	case c.NoRun:
		return "  " + p.st.CmdNoRun.Render(text+"  "+p.t.ShownInPane)
	case i == p.next && p.running:
		return p.st.CmdNext.Render("… " + text)
	case i == p.next && p.typing != "":
		return p.st.CmdNext.Render("▶ $ " + p.typing + "▌")
	case i == p.next:
		return p.st.CmdNext.Render("▶ " + text)
	case i < len(p.ran) && p.ran[i]:
		return p.st.CmdRun.Render("✓ " + text)
	}
	return "  " + p.st.CmdPending.Render(text)
}

// compactLine is the one-line command list: the command Enter runs (the last one once all
// ran) and how many others there are, the count kept visible when the line is cut.
func (p *stepPane) compactLine() string {
	i := p.next
	if i < 0 {
		i = len(p.cmds) - 1
		for i > 0 && p.cmds[i].NoRun {
			i--
		}
	}
	// The count is of the commands still to run besides the one shown, not of all of them
	// (issue 13, item 10).
	left := 0
	for j, c := range p.cmds {
		if j != i && !c.NoRun && (j >= len(p.ran) || !p.ran[j]) {
			left++
		}
	}
	if left == 0 {
		return truncate(p.cmdLine(i), p.width)
	}
	more := p.st.Dim.Render(fmt.Sprintf("  ("+p.t.MoreCmds+")", left))
	room := p.width - lipgloss.Width(more)
	if room < 8 {
		return p.cmdLine(i)
	}
	return truncate(p.cmdLine(i), room) + more
}

func (p *stepPane) cmdLines(h int) []string {
	if h <= 0 {
		return nil
	}
	if p.compactCmds() {
		return []string{p.compactLine()}
	}
	lines := make([]string, 0, len(p.cmds))
	for i := range p.cmds {
		lines = append(lines, p.cmdLine(i))
	}
	if len(lines) <= h {
		return lines
	}
	// Show a window that keeps the next command in view.
	start := 0
	if p.next >= 0 {
		start = clamp(p.next-h/2, 0, len(lines)-h)
	}
	return lines[start : start+h]
}

// scrollHint says where the text continues, and only when it overflows: a percentage
// beside the ✓ read like progress.
func (p *stepPane) scrollHint() string {
	v := &p.view
	switch {
	case v.Height <= 0 || v.TotalLineCount() <= v.Height:
		return ""
	case v.AtTop():
		return p.t.ScrollDown
	case v.AtBottom():
		return p.t.ScrollUp
	}
	return p.t.ScrollBoth
}

// headerSuffix is the ✓ of a finished step and the scroll hint, in words when the title
// still fits beside them, else as bare symbols: the title matters more.
func (p *stepPane) headerSuffix() string {
	done, hint := "", p.scrollHint()
	if p.done {
		done = "✓ " + p.t.Done
	}
	short := func(s string) string { f, _, _ := strings.Cut(s, " "); return f }
	var out string
	for _, try := range [][2]string{{done, hint}, {short(done), hint}, {short(done), short(hint)}} {
		var parts []string
		if try[0] != "" {
			parts = append(parts, p.st.Done.Render(try[0]))
		}
		if try[1] != "" {
			parts = append(parts, p.st.Dim.Render(try[1]))
		}
		out = strings.Join(parts, " ")
		// The header is the focus mark (2 cells), the title, a space and the suffix.
		if 2+lipgloss.Width(p.title)+1+lipgloss.Width(out) <= p.width {
			break
		}
	}
	return out
}

func (p *stepPane) View() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	header := paneHeader(p.st, p.title, p.headerSuffix(), p.width, p.focused)
	if p.present {
		header = p.presentHeader()
	}
	parts := []string{header}
	if p.view.Height > 0 {
		parts = append(parts, fit(p.view.View(), p.width, p.view.Height))
	}
	if h := p.cmdHeight(); h > 0 {
		parts = append(parts, fit(strings.Join(p.cmdLines(h), "\n"), p.width, h))
	}
	return strings.Join(parts, "\n")
}
