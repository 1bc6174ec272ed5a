package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// presentStyles turns the styles into the projector's: high contrast (no faint greys, bold
// headers, full black or white text) so a room can read them from the back.
func presentStyles(s Styles) Styles {
	r := s.renderer
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	fg := lipgloss.AdaptiveColor{Light: "#000000", Dark: "#FFFFFF"}
	accent := lipgloss.AdaptiveColor{Light: "#1A0DAB", Dark: "#FFD700"}
	s.Dim = r.NewStyle().Foreground(fg)
	s.WatchLabel = r.NewStyle().Foreground(fg)
	s.Header = r.NewStyle().Foreground(fg).Bold(true)
	s.HeaderFocused = r.NewStyle().Foreground(accent).Bold(true)
	s.Separator = r.NewStyle().Foreground(fg)
	s.CmdRun = r.NewStyle().Foreground(fg)
	s.CmdNext = r.NewStyle().Foreground(accent).Bold(true).Underline(true)
	s.MenuMeta = r.NewStyle().Foreground(fg)
	s.Help.ShortDesc = r.NewStyle().Foreground(fg)
	s.Help.FullDesc = r.NewStyle().Foreground(fg)
	s.Help.ShortKey = r.NewStyle().Foreground(accent).Bold(true)
	s.Help.FullKey = r.NewStyle().Foreground(accent).Bold(true)
	s.PresentTitle = r.NewStyle().Foreground(accent).Bold(true).
		Border(lipgloss.ThickBorder(), false, false, true, false).BorderForeground(accent)
	return s
}

// presentHeader is the step's title on a projector: bold and underlined by a thick rule,
// taking three lines so it reads as a heading.
func (p *stepPane) presentHeader() string {
	title := p.title
	if p.done {
		title += "  ✓"
	}
	t := p.st.NewStyle().Width(max(1, p.width)).Render(" " + title)
	lines := strings.Split(t, "\n")
	if len(lines) > 2 {
		lines = lines[:2]
	}
	return p.st.PresentTitle.Width(max(1, p.width)).Render(strings.Join(lines, "\n"))
}
