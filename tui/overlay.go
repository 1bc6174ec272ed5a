package tui

import tea "github.com/charmbracelet/bubbletea"

// Overlay is a bar the lesson view draws between its panes and the status line, such as the
// `:` command bar. While Active it receives every key before the view's own bindings, and
// its height is taken from the panes. Install one with lessonView.setOverlay.
type Overlay interface {
	Active() bool
	Update(msg tea.Msg) tea.Cmd
	// View renders the bar in width cells; "" takes no room.
	View(width int) string
}
