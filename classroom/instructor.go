package classroom

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

type instructorKeys struct {
	Up, Down, Message, MessageAll, Hint, Lockstep, Release, Screen, Back, Help, Quit key.Binding
}

func (k instructorKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Message, k.MessageAll, k.Hint, k.Release, k.Screen, k.Help, k.Quit}
}

func (k instructorKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Screen, k.Back}, {k.Message, k.MessageAll, k.Hint}, {k.Lockstep, k.Release}, {k.Help, k.Quit}}
}

func newInstructorKeys() instructorKeys {
	return instructorKeys{
		Up:         key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Message:    key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "message student")),
		MessageAll: key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "message all")),
		Hint:       key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "push hint")),
		Lockstep:   key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "lockstep on/off")),
		Release:    key.NewBinding(key.WithKeys("+", "r"), key.WithHelp("+", "release next step")),
		Screen:     key.NewBinding(key.WithKeys("v", "enter"), key.WithHelp("v", "view screen")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

type instructorMode int

const (
	modeList instructorMode = iota
	modeCompose
	modeScreen
)

// instructorModel is the class at a glance: every student's lesson, step, time on it, help
// used and whether the step's checks hold, stuck students first.
type instructorModel struct {
	c    *Class
	r    *lipgloss.Renderer
	lang string
	keys instructorKeys
	help help.Model

	rows   []StudentStatus
	sel    string // selected student's name (rows reorder as they update)
	mode   instructorMode
	toAll  bool
	input  textinput.Model
	viewOf string
	flash  string
	w, h   int

	head, stuck, dim, ok, bad, selRow lipgloss.Style
}

func newInstructorModel(c *Class, r *lipgloss.Renderer, lang string) *instructorModel {
	in := textinput.New()
	in.CharLimit = 300
	in.Prompt = "> "
	m := &instructorModel{c: c, r: r, lang: lang, keys: newInstructorKeys(), help: help.New(), input: in,
		head:   r.NewStyle().Bold(true),
		stuck:  r.NewStyle().Foreground(lipgloss.Color("203")).Bold(true),
		dim:    r.NewStyle().Foreground(lipgloss.Color("245")),
		ok:     r.NewStyle().Foreground(lipgloss.Color("42")),
		bad:    r.NewStyle().Foreground(lipgloss.Color("203")),
		selRow: r.NewStyle().Reverse(true),
	}
	m.rows = c.Status()
	return m
}

func (m *instructorModel) Init() tea.Cmd { return nil }

func (m *instructorModel) selected() (StudentStatus, int, bool) {
	for i, r := range m.rows {
		if r.Name == m.sel {
			return r, i, true
		}
	}
	if len(m.rows) > 0 {
		m.sel = m.rows[0].Name
		return m.rows[0], 0, true
	}
	return StudentStatus{}, -1, false
}

func (m *instructorModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.help.Width = msg.Width
		m.input.Width = msg.Width - 4
		return m, nil
	case refreshMsg:
		m.rows = m.c.Status()
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m *instructorModel) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.mode == modeCompose {
		switch k.String() {
		case "esc":
			m.mode = modeList
			m.flash = "message not sent"
			return m, nil
		case "enter":
			text := m.input.Value()
			to := m.sel
			if m.toAll {
				to = ""
			}
			n := m.c.Message(to, text)
			m.mode = modeList
			m.flash = "message sent to " + students(n)
			return m, nil
		}
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(k)
		return m, cmd
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(k, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
	case m.mode == modeScreen && key.Matches(k, m.keys.Back):
		m.mode = modeList
	case m.mode == modeScreen:
		// Read-only: every other key is ignored while watching a student.
	case key.Matches(k, m.keys.Up), key.Matches(k, m.keys.Down):
		_, i, ok := m.selected()
		if !ok {
			break
		}
		if key.Matches(k, m.keys.Up) && i > 0 {
			i--
		} else if key.Matches(k, m.keys.Down) && i < len(m.rows)-1 {
			i++
		}
		m.sel = m.rows[i].Name
	case key.Matches(k, m.keys.Message), key.Matches(k, m.keys.MessageAll):
		m.toAll = key.Matches(k, m.keys.MessageAll)
		if _, _, ok := m.selected(); !ok && !m.toAll {
			m.flash = "no student selected"
			break
		}
		m.mode = modeCompose
		m.input.SetValue("")
		m.input.Focus()
		return m, textinput.Blink
	case key.Matches(k, m.keys.Hint):
		s, _, ok := m.selected()
		if !ok {
			break
		}
		if hint, err := m.c.PushHint(s.Name); err != nil {
			m.flash = err.Error()
		} else {
			m.flash = "hint sent to " + s.Name + ": " + hint
		}
	case key.Matches(k, m.keys.Lockstep):
		on, _ := m.c.Lockstep()
		m.c.SetLockstep(!on)
		if on {
			m.flash = "lockstep off: students move at their own pace"
		} else {
			m.flash = "lockstep on: students cannot go past the released step"
		}
	case key.Matches(k, m.keys.Release):
		s, _, ok := m.selected()
		if !ok || s.Lesson == "" {
			m.flash = "select a student in the lesson to release"
			break
		}
		if on, _ := m.c.Lockstep(); !on {
			m.flash = "lockstep is off (l turns it on)"
			break
		}
		n := m.c.Release(s.Lesson)
		m.flash = fmt.Sprintf("%s: steps up to %d released", s.LessonTitle, n+1)
	case key.Matches(k, m.keys.Screen):
		if s, _, ok := m.selected(); ok {
			m.mode = modeScreen
			m.viewOf = s.Name
		}
	}
	return m, nil
}

func (m *instructorModel) View() string {
	if m.w == 0 {
		return ""
	}
	if m.mode == modeScreen {
		return m.screenView()
	}
	var b strings.Builder
	on, rel := m.c.Lockstep()
	title := "kubetutor classroom · " + students(len(m.rows))
	if on {
		var parts []string
		for l, n := range rel {
			parts = append(parts, fmt.Sprintf("%s ≤ step %d", l, n+1))
		}
		title += " · lockstep: " + strings.Join(parts, ", ")
		if len(parts) == 0 {
			title += " · lockstep on"
		}
	}
	b.WriteString(m.head.Render(ansi.Truncate(title, m.w, "…")) + "\n\n")
	header := fmt.Sprintf("  %s %s %s %7s %5s %4s %6s  %s", fit("STUDENT", 14), fit("LESSON", 22), fit("STEP", 26), "ON STEP", "HINTS", "SOL", "CHECKS", "STATE")
	b.WriteString(m.dim.Render(ansi.Truncate(header, m.w, "")) + "\n")
	if len(m.rows) == 0 {
		b.WriteString(m.dim.Render("  nobody has joined yet: students connect with ssh -p PORT NAME@HOST") + "\n")
	}
	_, selIdx, _ := m.selected()
	listH := m.h - 6
	if listH < 1 {
		listH = 1
	}
	start := 0
	if selIdx >= listH {
		start = selIdx - listH + 1
	}
	for i := start; i < len(m.rows) && i < start+listH; i++ {
		b.WriteString(m.row(m.rows[i], i == selIdx) + "\n")
	}
	b.WriteString("\n")
	if m.mode == modeCompose {
		to := "to " + m.sel
		if m.toAll {
			to = "to everyone"
		}
		b.WriteString("Message " + to + " (enter sends, esc cancels)\n" + m.input.View() + "\n")
	} else if m.flash != "" {
		b.WriteString(ansi.Truncate(m.flash, m.w, "…") + "\n")
	}
	b.WriteString(m.help.View(m.keys))
	return b.String()
}

func (m *instructorModel) row(s StudentStatus, selected bool) string {
	lesson := s.LessonTitle
	if lesson == "" {
		lesson = "(menu)"
	}
	step := "—"
	if s.StepIndex >= 0 {
		step = fmt.Sprintf("%d/%d %s", s.StepIndex+1, s.Steps, s.StepTitle)
	}
	checks := "…"
	switch s.Holds {
	case "yes":
		checks = "✓"
	case "no":
		checks = "✗"
	}
	state := "online"
	if !s.Connected {
		state = "away " + s.Idle.Truncate(time.Minute).String()
	} else if s.IsStuck() {
		state = "STUCK"
	}
	line := fmt.Sprintf("  %s %s %s %7s %5d %4d %6s  %s",
		fit(s.Name, 14), fit(lesson, 22), fit(step, 26), dur(s.OnStep), s.Hints, s.Solutions, checks, state)
	line = ansi.Truncate(line, m.w, "…")
	switch {
	case selected:
		return m.selRow.Render(line)
	case s.IsStuck():
		return m.stuck.Render(line)
	case !s.Connected:
		return m.dim.Render(line)
	}
	return line
}

func (m *instructorModel) screenView() string {
	frame, ok := m.c.Screen(m.viewOf)
	head := m.head.Render(ansi.Truncate("Watching "+m.viewOf+" (read-only) · esc back", m.w, "…"))
	if !ok {
		return head + "\n\n" + m.dim.Render(m.viewOf+" has no seat any more.")
	}
	lines := strings.Split(frame, "\n")
	if max := m.h - 1; max > 0 && len(lines) > max {
		lines = lines[:max]
	}
	for i := range lines {
		lines[i] = ansi.Truncate(lines[i], m.w, "")
	}
	return head + "\n" + strings.Join(lines, "\n")
}

func fit(s string, n int) string {
	if ansi.StringWidth(s) <= n {
		return s + strings.Repeat(" ", n-ansi.StringWidth(s))
	}
	return ansi.Truncate(s, n, "…")
}

func dur(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	if d < time.Hour {
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

// students counts students in words: "1 student", "2 students".
func students(n int) string {
	if n == 1 {
		return "1 student"
	}
	return fmt.Sprintf("%d students", n)
}
