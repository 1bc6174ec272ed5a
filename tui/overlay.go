package tui

import tea "github.com/charmbracelet/bubbletea"

// Overlay is a bar the lesson view draws between its panes and the status line, such as a
// built-in editor. While Active it receives every key before any key layer of the view (see
// lessonView.layers), and its height is taken from the panes. Install one with
// lessonView.setOverlay. An overlay that also implements help.KeyMap (ShortHelp, FullHelp)
// supplies the help line while it is active, so its keys are the ones shown.
type Overlay interface {
	Active() bool
	Update(msg tea.Msg) tea.Cmd
	// View renders the bar in width cells; "" takes no room.
	View(width int) string
}
