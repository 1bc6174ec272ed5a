package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/viewport"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
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
	}
}

type scrollAction int

const (
	scrollUp scrollAction = iota
	scrollDown
	scrollPageUp
	scrollPageDown
	scrollWheelUp
	scrollWheelDown
)

// stepPane shows the current step: its title, its Markdown body (and revealed hints) in a
// scrollable viewport, and its commands with the next one highlighted.
type stepPane struct {
	st *Styles
	t  text
	md *markdown

	title   string
	done    bool
	body    string
	hints   []string
	shown   int // hints revealed
	cmds    []lessons.Command
	ran     []bool
	next    int // index into cmds of the command Enter runs; -1 when none
	running bool

	view          viewport.Model
	width, height int
	focused       bool
}

func newStepPane(st *Styles, t text, md *markdown) *stepPane {
	return &stepPane{st: st, t: t, md: md, next: -1, view: viewport.New(0, 0)}
}

func (p *stepPane) setSize(w, h int) {
	p.width, p.height = w, h
	p.refresh()
}

// cmdHeight is how many lines the command list gets: all of it when there is room, but
// never so much that fewer than three lines of text remain.
func (p *stepPane) cmdHeight() int {
	avail := max(0, p.height-1)
	return clamp(len(p.cmds), 0, max(0, avail-3))
}

// refresh re-renders the body at the current width. It keeps the scroll position; callers
// that change the step scroll to the top themselves.
func (p *stepPane) refresh() {
	p.view.Width = max(0, p.width)
	p.view.Height = max(0, p.height-1-p.cmdHeight())
	md := p.body
	for i := 0; i < p.shown && i < len(p.hints); i++ {
		md += fmt.Sprintf("\n\n> **%s:** %s", fmt.Sprintf(p.t.Hint, i+1, len(p.hints)), p.hints[i])
	}
	y := p.view.YOffset
	p.view.SetContent(p.md.render(unwrapListItems(md), p.width))
	p.view.SetYOffset(y)
}

func (p *stepPane) cmdLines(h int) []string {
	if h <= 0 {
		return nil
	}
	lines := make([]string, 0, len(p.cmds))
	for i, c := range p.cmds {
		text := "$ " + c.Line
		switch {
		case c.NoRun:
			lines = append(lines, "  "+p.st.CmdNoRun.Render(text+"  "+p.t.ShownInPane))
		case i == p.next && p.running:
			lines = append(lines, p.st.CmdNext.Render("… "+text))
		case i == p.next:
			lines = append(lines, p.st.CmdNext.Render("▶ "+text))
		case i < len(p.ran) && p.ran[i]:
			lines = append(lines, p.st.CmdRun.Render("✓ "+text))
		default:
			lines = append(lines, "  "+p.st.CmdPending.Render(text))
		}
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

func (p *stepPane) View() string {
	if p.width <= 0 || p.height <= 0 {
		return ""
	}
	var suffix []string
	if p.done {
		suffix = append(suffix, p.st.Done.Render("✓"))
	}
	if p.view.TotalLineCount() > p.view.Height && p.view.Height > 0 {
		suffix = append(suffix, p.st.Dim.Render(fmt.Sprintf("%d%%", int(p.view.ScrollPercent()*100))))
	}
	parts := []string{paneHeader(p.st, p.title, strings.Join(suffix, " "), p.width, p.focused)}
	if p.view.Height > 0 {
		parts = append(parts, fit(p.view.View(), p.width, p.view.Height))
	}
	if h := p.cmdHeight(); h > 0 {
		parts = append(parts, fit(strings.Join(p.cmdLines(h), "\n"), p.width, h))
	}
	return strings.Join(parts, "\n")
}

// outputPane shows what the last command printed (stdout and stderr, in order).
type outputPane struct {
	st *Styles
	t  text

	line    string
	text    string
	errText string
	running bool

	view          viewport.Model
	width, height int
	focused       bool
}

func newOutputPane(st *Styles, t text) *outputPane {
	return &outputPane{st: st, t: t, view: viewport.New(0, 0)}
}

func (o *outputPane) setSize(w, h int) {
	o.width, o.height = w, h
	o.view.Width, o.view.Height = max(0, w), max(0, h-1)
	o.refresh(false)
}

func (o *outputPane) start(line string) {
	o.line, o.text, o.errText, o.running = line, "", "", true
	o.refresh(true)
}

func (o *outputPane) finish(output, errText string) {
	o.text, o.errText, o.running = output, errText, false
	o.refresh(true)
}

func (o *outputPane) refresh(top bool) {
	var s string
	switch {
	case o.line == "":
		s = o.st.Dim.Render(o.t.NoOutput)
	case o.running:
		s = o.st.Dim.Render(o.t.Running)
	default:
		s = strings.TrimRight(o.text, "\n")
		if o.errText != "" {
			if s != "" {
				s += "\n"
			}
			s += o.st.Error.Render(o.errText)
		}
	}
	// Wrap long lines (an error message, a long YAML value) instead of cutting them.
	if o.width > 0 {
		s = lipgloss.NewStyle().Width(o.width).Render(s)
	}
	o.view.SetContent(s)
	if top {
		o.view.GotoTop()
	}
}

func (o *outputPane) View() string {
	if o.width <= 0 || o.height <= 0 {
		return ""
	}
	title := o.t.Output
	if o.line != "" {
		title += ": $ " + o.line
	}
	parts := []string{paneHeader(o.st, title, "", o.width, o.focused)}
	if o.height > 1 {
		parts = append(parts, fit(o.view.View(), o.width, o.height-1))
	}
	return strings.Join(parts, "\n")
}
