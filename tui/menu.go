package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// menuView lists the catalog; Enter asks the root to start the selected lesson.
type menuView struct {
	st      *Styles
	t       text
	keys    MenuKeyMap
	lessons []lessons.Lesson
	footer  string // cluster label and namespace

	prog     *progress.Store
	warning  string // a progress file that was set aside
	notice   string // what the last action did (reset)
	lang     key.Binding
	resetAll key.Binding
	// mode switches the selected lesson between guided and practice.
	mode key.Binding
	// confirming: X asked to forget all progress; y confirms, any other key keeps it.
	confirming bool

	sel, top      int
	width, height int

	// summaries are the lessons' summaries as drawn, by text and width: wrapping them was most
	// of the menu's frame, redrawn for every key and event while the menu shows.
	summaries map[summaryKey]string
}

type summaryKey struct {
	text  string
	width int
}

func newMenuView(st *Styles, t text, ls []lessons.Lesson, footer string, prog *progress.Store, warning string, canLang bool) *menuView {
	if prog == nil {
		prog = progress.Memory()
	}
	m := &menuView{st: st, t: t, keys: DefaultMenuKeyMap(t), lessons: ls, footer: footer, prog: prog, warning: warning}
	m.lang = key.NewBinding(key.WithKeys("L"), key.WithHelp("L", t.KeyLang), key.WithDisabled())
	m.lang.SetEnabled(canLang)
	m.resetAll = key.NewBinding(key.WithKeys("X"), key.WithHelp("X", t.KeyResetAll))
	m.mode = key.NewBinding(key.WithKeys("m"), key.WithHelp("m", t.KeyMode))
	m.updateKeys()
	return m
}

func (m *menuView) helpKeys() help.KeyMap {
	if m.confirming {
		return defaultConfirmKeyMap(m.t)
	}
	return menuHelp{k: m.keys, lang: m.lang, resetAll: m.resetAll, mode: m.mode}
}

// ConfirmKeyMap holds the keys of a yes/no question (a reset, leaving a live cluster): y
// does it; n, like any other key, keeps everything as it is.
type ConfirmKeyMap struct {
	Yes, No key.Binding
}

func defaultConfirmKeyMap(t text) ConfirmKeyMap {
	return ConfirmKeyMap{
		Yes: key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", t.KeyYes)),
		No:  key.NewBinding(key.WithKeys("n", "N"), key.WithHelp("n", t.KeyNo)),
	}
}

// ShortHelp implements help.KeyMap.
func (c ConfirmKeyMap) ShortHelp() []key.Binding { return []key.Binding{c.Yes, c.No} }

// FullHelp implements help.KeyMap.
func (c ConfirmKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{c.ShortHelp()} }

// resetAllMsg reports that every lesson's progress was forgotten.
type resetAllMsg struct{ err error }

func (m *menuView) updateKeys() {
	m.keys.Up.SetEnabled(m.sel > 0)
	m.keys.Down.SetEnabled(m.sel < len(m.lessons)-1)
	m.keys.Start.SetEnabled(len(m.lessons) > 0)
}

func (m *menuView) setSize(w, h int) {
	m.width, m.height = w, h
	m.scrollToSelection()
}

func (m *menuView) header() (head, foot string) {
	hint := m.st.Dim.Render(m.t.MenuHint)
	switch {
	case m.confirming:
		hint = m.st.StatusBad.Render(m.t.ConfirmResetAll)
	case m.notice != "":
		hint = m.st.Done.Render(m.notice)
	}
	head = m.st.MenuTitle.Render(m.t.MenuTitle) + "\n" + m.st.NewStyle().Width(max(1, m.width)).Render(hint) + "\n"
	if m.warning != "" {
		head += m.st.Error.Render(m.st.NewStyle().Width(max(1, m.width)).Render(m.t.ProgressNote+": "+m.warning)) + "\n"
	}
	return head, m.st.Dim.Render(m.footer)
}

// listHeight is how many lines the lesson list gets.
func (m *menuView) listHeight() int {
	head, foot := m.header()
	return m.height - lipgloss.Height(head) - lipgloss.Height(foot)
}

// scrollToSelection moves the list's top so the selected lesson is whole on screen.
func (m *menuView) scrollToSelection() {
	if len(m.lessons) == 0 || m.width <= 0 {
		return
	}
	avail := m.listHeight()
	if m.sel < m.top {
		m.top = m.sel
	}
	for m.top < m.sel && m.blockHeights(m.top, m.sel+1) > avail {
		m.top++
	}
}

func (m *menuView) blockHeights(from, to int) int {
	t := 0
	for i := from; i < to; i++ {
		t += lipgloss.Height(m.item(i))
	}
	return t
}

func (m *menuView) Update(msg tea.Msg) tea.Cmd {
	if r, ok := msg.(resetAllMsg); ok {
		m.notice = m.t.ResetDone
		if r.err != nil {
			m.notice = r.err.Error()
		}
		return nil
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	m.notice = ""
	if m.confirming {
		m.confirming = false
		if key.Matches(km, defaultConfirmKeyMap(m.t).Yes) {
			p := m.prog
			return func() tea.Msg { return resetAllMsg{err: p.ResetAll()} }
		}
		return nil
	}
	switch {
	case key.Matches(km, m.resetAll):
		m.confirming = true
		return nil
	case key.Matches(km, m.mode) && len(m.lessons) > 0:
		m.prog.Change(m.lessons[m.sel].ID, func(l *progress.Lesson) {
			if l.Practicing() {
				l.Mode = progress.ModeGuided
			} else {
				l.Mode = progress.ModePractice
			}
		})
		p := m.prog
		return func() tea.Msg {
			if err := p.Save(); err != nil {
				return progressErrMsg{err}
			}
			return nil
		}
	case key.Matches(km, m.keys.Up):
		m.sel--
	case key.Matches(km, m.keys.Down):
		m.sel++
	case key.Matches(km, m.keys.Start):
		i := m.sel
		return func() tea.Msg { return startLessonMsg{index: i} }
	}
	m.sel = clamp(m.sel, 0, len(m.lessons)-1)
	m.scrollToSelection()
	m.updateKeys()
	return nil
}

// item renders one lesson: title with level and length, then its summary wrapped below.
func (m *menuView) item(i int) string {
	l := m.lessons[i]
	level := l.Level
	if s, ok := m.t.Levels[level]; ok {
		level = s
	}
	meta := m.st.MenuMeta.Render(fmt.Sprintf("%s · "+m.t.Minutes+" · %s", level, l.Minutes, strings.ToUpper(l.Lang)) + m.progressText(l, i == m.sel))
	title := m.st.MenuItem.Render(l.Title)
	if i == m.sel {
		title = m.st.MenuSelected.Render("▶ " + l.Title)
	}
	head := title + "  " + meta
	return head + "\n" + m.summary(l.Summary) + "\n"
}

// summary is a lesson's summary wrapped to the menu's width, at most three lines.
func (m *menuView) summary(text string) string {
	k := summaryKey{text, m.width}
	if s, ok := m.summaries[k]; ok {
		return s
	}
	sw := max(1, m.width-lipgloss.Width(m.st.MenuSummary.Render("")))
	summary := m.st.MenuSummary.Render(m.st.NewStyle().Width(sw).Render(strings.TrimSpace(text)))
	// Long summaries are cut to three lines; the lesson itself says the rest.
	lines := strings.Split(summary, "\n")
	if len(lines) > 3 {
		lines = lines[:3]
		lines[2] = strings.TrimRight(lines[2], " ") + "…"
	}
	if m.summaries == nil || len(m.summaries) > 4*len(m.lessons)+16 { // resizes and language switches
		m.summaries = map[summaryKey]string{}
	}
	s := strings.Join(lines, "\n")
	m.summaries[k] = s
	return s
}

// progressText is the learner's progress in a lesson: steps done (and how many with help),
// the quiz score, and where Enter resumes.
func (m *menuView) progressText(l lessons.Lesson, selected bool) string {
	rec := m.prog.Lesson(l.ID)
	ids := make([]string, len(l.Steps))
	resume := 0
	for i, s := range l.Steps {
		ids[i] = s.ID
		if s.ID == rec.Step {
			resume = i
		}
	}
	sum := rec.Summarize(ids)
	psum := rec.PracticeSummary(ids)
	// Both scores: the guided one, then the practice one (commands typed, not run with
	// Enter); ✎ marks the mode the lesson opens in when it is practice.
	practice := ""
	switch {
	case psum.Done > 0:
		practice = fmt.Sprintf(m.t.PracticeScore, psum.Done, psum.Total)
		if psum.Helped > 0 {
			practice += " (" + fmt.Sprintf(m.t.ProgressHelped, psum.Helped) + ")"
		}
		if rec.Practicing() {
			practice = "✎ " + practice
		}
	case rec.Practicing():
		practice = m.t.PracticeLabel
	}
	if practice != "" {
		practice = " · " + practice
	}
	if !sum.Started && psum.Done == 0 {
		return practice + " · " + m.t.NotStarted
	}
	out := " · " + fmt.Sprintf(m.t.ProgressSteps, sum.Done, sum.Total)
	if sum.Helped > 0 {
		out += " (" + fmt.Sprintf(m.t.ProgressHelped, sum.Helped) + ")"
	}
	out += practice
	if sum.QuizDone > 0 {
		out += " · " + fmt.Sprintf(m.t.QuizScore, sum.QuizRight, len(l.Quiz))
	}
	if sum.Done == sum.Total && sum.Total > 0 {
		out += " · ✓ " + m.t.Complete
	} else if selected && resume > 0 {
		out += " · " + fmt.Sprintf(m.t.ResumeAt, resume+1)
	}
	return out
}

func (m *menuView) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	head, foot := m.header()
	avail := m.listHeight()
	var body []string
	if len(m.lessons) == 0 {
		body = []string{m.t.NoLessons}
	}
	used := 0
	for i := m.top; i < len(m.lessons); i++ {
		it := m.item(i)
		h := lipgloss.Height(it)
		if used+h > avail && i > m.top {
			break
		}
		body = append(body, it)
		used += h
	}
	content := fit(head+"\n"+strings.Join(body, "\n"), m.width, max(0, avail+lipgloss.Height(head)))
	return fit(content+"\n"+foot, m.width, m.height)
}
