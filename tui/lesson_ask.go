package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/engine"
)

// question is a yes/no question the lesson view asks before an action that loses work
// (leaving a live simulator, forgetting the lesson's progress): y does it, any other key
// keeps everything as it is.
type question struct {
	text string
	yes  func() tea.Cmd
	// no, when set, is what any other key does instead of keeping everything as it is.
	no func() tea.Cmd
}

// askPane is the open yes/no question as a Component: it owns its keys (ConfirmKeyMap) and
// its lines above the status line. y (Yes) does it; any other key is "no" (the question is
// an overlay: it takes every key while open), which keeps everything as it is unless the
// question says otherwise. Once answered it is done; the lesson view drops it.
type askPane struct {
	q     question
	keys  ConfirmKeyMap
	st    *Styles
	width int
	// kept is what "no" does when the question has no no of its own (the lesson view's
	// "kept" note).
	kept func() tea.Cmd
	done bool
}

// askQuestion opens q in the lesson view.
func (v *lessonView) askQuestion(q question) {
	v.ask = &askPane{q: q, keys: defaultConfirmKeyMap(v.t), st: v.st, width: v.width,
		kept: func() tea.Cmd { v.flash = v.t.Kept; return nil }}
}

func (p *askPane) Init() tea.Cmd { return nil }

// SetSize takes the status area's width; the question wraps to at most three lines.
func (p *askPane) SetSize(width, _ int) { p.width = width }

// ShortHelp and FullHelp: y and "any other key".
func (p *askPane) ShortHelp() []key.Binding  { return p.keys.ShortHelp() }
func (p *askPane) FullHelp() [][]key.Binding { return p.keys.FullHelp() }

// Update answers the question with a key press; any other message leaves it open.
func (p *askPane) Update(msg tea.Msg) (Component, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || p.done {
		return p, nil
	}
	p.done = true
	switch {
	case key.Matches(k, p.keys.Yes):
		return p, p.q.yes()
	case p.q.no != nil:
		return p, p.q.no()
	case p.kept != nil:
		return p, p.kept()
	}
	return p, nil
}

// View is the question, wrapped to the width.
func (p *askPane) View() string {
	return strings.Join(p.lines(), "\n")
}

func (p *askPane) lines() []string {
	return wrapStatus(p.st.StatusBad, " "+p.q.text, p.width, 3)
}

// askKey routes a key to the open question. The view lets go of the question before its
// answer runs, so an answer may open the next one.
func (v *lessonView) askKey(msg tea.KeyMsg) tea.Cmd {
	a := v.ask
	if a == nil {
		return nil
	}
	v.ask = nil
	_, cmd := a.Update(msg)
	return cmd
}

// leave closes the view and goes back to the lesson menu.
func (v *lessonView) leave() tea.Cmd {
	v.close()
	return func() tea.Msg { return backToMenuMsg{} }
}

// leaveOrAsk is esc: leaving a simulator the learner changed loses it (the next lesson
// starts on a fresh one), so that asks first; progress is saved either way.
func (v *lessonView) leaveOrAsk() tea.Cmd {
	if v.losesCluster() {
		v.askQuestion(question{text: v.t.AskLeave, yes: v.leave})
		return nil
	}
	return v.leave()
}

// losesCluster reports whether closing the view now loses a simulator the learner changed
// (or a command still running on it); a real cluster keeps its objects.
func (v *lessonView) losesCluster() bool {
	return v.deps.reset != nil && v.sim != nil && (v.touched || v.running)
}

// quitMsg is a yes to the quit question: the App closes the lesson and quits.
type quitMsg struct{}

// askQuit is q (or ctrl+c) in a lesson whose simulator the learner changed: quitting loses
// it, as leaving does, so it asks first; the same key again quits, as a shell's second
// ctrl+c does.
func (v *lessonView) askQuit() {
	v.askQuestion(question{text: v.t.AskQuit, yes: func() tea.Cmd { return func() tea.Msg { return quitMsg{} } }})
}

// offerOwnCreds turns a step command the guard refused for the lesson's ServiceAccount
// (cordon, drain on a real cluster) into a question: y runs that one command with the
// learner's own credentials, any other key skips it with the reason, and s goes on with the
// step's next command either way. asked is false for any other result.
func (v *lessonView) offerOwnCreds(msg cmdDoneMsg) (cmd tea.Cmd, asked bool) {
	_, lr, ok := ownCredsOffer(v.cluster, msg.err)
	if !ok || msg.step != v.curStep() || msg.inc != v.play.Incarnation() {
		return nil, false
	}
	idx, step, inc, line := msg.cmd, msg.step, msg.inc, msg.line
	v.askQuestion(question{
		text: fmt.Sprintf(v.t.OwnCredsWhy, line) + " " + v.t.OwnCredsAsk,
		yes:  func() tea.Cmd { return v.runCmd(idx, lr) },
		no: func() tea.Cmd {
			v.play.CommandRan(step, idx, inc) // skipped: the next Enter runs the next command
			v.outP.prose(v.t.Skipped, fmt.Sprintf(v.t.OwnCredsSkipped, line))
			v.syncStep()
			if v.solving && v.nextCmd() >= 0 {
				return v.runNext()
			}
			v.solving = false
			v.syncStep()
			return v.evalNow()
		},
	})
	v.syncStep()
	return nil, true
}

// oneLine makes a check's detail fit a status line: kubectl and exec output end lines with
// \r\n, which would otherwise print raw or break the line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(cleanOutput(s)), " ")
}

// wrapStatus wraps s to w cells in style, at most max lines, so the key word of a verdict
// ("it does not…") is never cut off at the end of one line.
func wrapStatus(st lipgloss.Style, s string, w, maxLines int) []string {
	if w <= 0 {
		return nil
	}
	lines := strings.Split(ansi.Wrap(s, w, ""), "\n")
	if len(lines) > maxLines {
		lines = lines[:maxLines]
		lines[maxLines-1] = truncate(strings.TrimRight(lines[maxLines-1], " ")+" …", w)
	}
	for i, l := range lines {
		l = strings.TrimRight(l, " ")
		if pad := w - lipgloss.Width(l); pad > 0 {
			l += strings.Repeat(" ", pad)
		}
		lines[i] = st.Render(l)
	}
	return lines
}

// describeEvents says in a few words what a batch of watch events changed ("web-1
// ContainerCreating, web-1 Running"), for the note after one controller action.
func describeEvents(evs []engine.TableEvent, status int) string {
	var parts []string
	for _, ev := range evs {
		if ev.Name == "" || (ev.Type != "ADDED" && ev.Type != "MODIFIED" && ev.Type != "DELETED") {
			continue
		}
		p := ev.Name
		for i, c := range ev.Columns {
			if c == "STATUS" {
				status = i
			}
		}
		switch {
		case ev.Type == "DELETED":
			p += " deleted"
		case status >= 0 && status < len(ev.Cells):
			p += " " + ev.Cells[status]
		default:
			p += " " + strings.ToLower(ev.Type)
		}
		parts = append(parts, p)
	}
	if len(parts) > 4 {
		parts = append(parts[:4], "…")
	}
	return strings.Join(parts, ", ")
}
