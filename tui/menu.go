package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
)

// menuView lists the catalog; Enter asks the root to start the selected lesson.
type menuView struct {
	st      *Styles
	t       text
	keys    MenuKeyMap
	lessons []lessons.Lesson
	footer  string // cluster label and namespace

	sel, top      int
	width, height int
}

func newMenuView(st *Styles, t text, ls []lessons.Lesson, footer string) *menuView {
	m := &menuView{st: st, t: t, keys: DefaultMenuKeyMap(t), lessons: ls, footer: footer}
	m.updateKeys()
	return m
}

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
	head = m.st.MenuTitle.Render(m.t.MenuTitle) + "\n" + m.st.Dim.Render(m.t.MenuHint) + "\n"
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
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	switch {
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
	meta := m.st.MenuMeta.Render(fmt.Sprintf("%s · "+m.t.Minutes, level, l.Minutes))
	title := m.st.MenuItem.Render(l.Title)
	if i == m.sel {
		title = m.st.MenuSelected.Render("▶ " + l.Title)
	}
	head := title + "  " + meta
	sw := max(1, m.width-lipgloss.Width(m.st.MenuSummary.Render("")))
	summary := m.st.MenuSummary.Render(lipgloss.NewStyle().Width(sw).Render(strings.TrimSpace(l.Summary)))
	// Long summaries are cut to three lines; the lesson itself says the rest.
	lines := strings.Split(summary, "\n")
	if len(lines) > 3 {
		lines = lines[:3]
		lines[2] = strings.TrimRight(lines[2], " ") + "…"
	}
	return head + "\n" + strings.Join(lines, "\n") + "\n"
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
