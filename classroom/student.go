package classroom

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// noticeMsg is an instructor's message for the student's status line.
type noticeMsg struct{ text string }

// releasedMsg says the instructor opened steps up to upTo in a lesson.
type releasedMsg struct {
	lesson string
	upTo   int
}

// refreshMsg asks an instructor view to read the class again.
type refreshMsg struct{}

// studentModel wraps a student's player: it asks for a language when the client did not
// send one, keeps the last line of the screen for the classroom (the instructor's messages),
// and keeps the last frame for the instructor's read-only view.
type studentModel struct {
	c    *Class
	st   *student
	r    *lipgloss.Renderer
	lang string

	inner  tea.Model // nil while the language is being chosen
	choice int
	w, h   int
	notice string

	bar, barNote lipgloss.Style
}

func newStudentModel(c *Class, st *student, r *lipgloss.Renderer, lang string) *studentModel {
	c.mu.Lock()
	if lang == "" {
		lang = st.lang
	}
	if lang != "" && lang != st.lang {
		st.lang = lang
		c.mu.Unlock()
		st.stats.setLang(lang)
		c.mu.Lock()
	}
	notice := st.notice
	c.mu.Unlock()
	m := &studentModel{c: c, st: st, r: r, lang: lang, notice: notice,
		bar:     r.NewStyle().Foreground(lipgloss.Color("245")),
		barNote: r.NewStyle().Bold(true).Foreground(lipgloss.Color("214")),
	}
	if lang != "" {
		m.inner = m.player()
	}
	return m
}

func (m *studentModel) player() tea.Model {
	style := "dark"
	if m.r.ColorProfile() == termenv.Ascii {
		style = "notty"
	}
	return m.st.seat.Player(m.c.ctx, Terminal{Renderer: m.r, MarkdownStyle: style, Lang: m.lang,
		StepGate: m.c.gate(m.lang)})
}

func (m *studentModel) Init() tea.Cmd {
	if m.inner != nil {
		return m.inner.Init()
	}
	return nil
}

func (m *studentModel) innerSize() tea.WindowSizeMsg {
	h := m.h - 1
	if h < 1 {
		h = 1
	}
	return tea.WindowSizeMsg{Width: m.w, Height: h}
}

func (m *studentModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		if m.inner == nil {
			return m, nil
		}
		var cmd tea.Cmd
		m.inner, cmd = m.inner.Update(m.innerSize())
		return m, cmd
	case noticeMsg:
		m.notice = clean(msg.text)
		return m, nil
	case releasedMsg:
		if m.lang == "ko" {
			m.notice = "강사가 다음 단계를 열었습니다."
		} else {
			m.notice = "Your instructor opened the next step."
		}
		return m, nil
	}
	if m.inner == nil {
		return m.chooseLang(msg)
	}
	var cmd tea.Cmd
	m.inner, cmd = m.inner.Update(msg)
	return m, cmd
}

// chooseLang is the first screen of a student whose client sent no LANG.
func (m *studentModel) chooseLang(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	pick := ""
	switch k.String() {
	case "ctrl+c", "q":
		return m, tea.Quit
	case "up", "k", "down", "j", "tab":
		m.choice = 1 - m.choice
	case "1", "e":
		pick = "en"
	case "2":
		pick = "ko"
	case "enter":
		pick = []string{"en", "ko"}[m.choice]
	}
	if pick == "" {
		return m, nil
	}
	m.lang = pick
	m.c.mu.Lock()
	m.st.lang = pick
	m.c.mu.Unlock()
	m.st.stats.setLang(pick)
	m.inner = m.player()
	init := m.inner.Init()
	var cmd tea.Cmd
	if m.w > 0 {
		m.inner, cmd = m.inner.Update(m.innerSize())
	}
	return m, tea.Batch(init, cmd)
}

func (m *studentModel) View() string {
	var body string
	if m.inner == nil {
		opts := []string{"1  English", "2  한국어"}
		for i := range opts {
			if i == m.choice {
				opts[i] = "▸ " + opts[i]
			} else {
				opts[i] = "  " + opts[i]
			}
		}
		body = "\n  kubetutor classroom — " + m.st.name + "\n\n  Choose your language / 언어를 고르세요:\n\n  " +
			strings.Join(opts, "\n  ") + "\n\n  enter choose · q quit\n"
		lines := strings.Count(body, "\n")
		if pad := m.h - 1 - lines; pad > 0 {
			body += strings.Repeat("\n", pad)
		}
	} else {
		body = m.inner.View()
	}
	bar := m.bar.Render("classroom · " + m.st.name)
	if m.notice != "" {
		bar += m.bar.Render(" · ") + m.barNote.Render("✉ "+m.notice)
	}
	if m.w > 0 {
		bar = ansi.Truncate(bar, m.w, "…")
	}
	// The player fills h-1 lines; the bar is the last one.
	lines := strings.Split(body, "\n")
	if m.h > 1 && len(lines) > m.h-1 {
		lines = lines[:m.h-1]
	}
	frame := strings.Join(lines, "\n") + "\n" + bar
	m.c.setView(m.st, frame)
	return frame
}

// clean keeps an instructor's text to one line of printable characters.
func clean(s string) string {
	s = ansi.Strip(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteRune(' ')
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimSpace(b.String())
	if len([]rune(out)) > 300 {
		out = string([]rune(out)[:300]) + "…"
	}
	return out
}
