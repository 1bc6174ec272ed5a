package tui

import "github.com/charmbracelet/bubbles/key"

// CmdBarKeyMap holds the keys of the open command bar. While the bar is open the help line
// shows these instead of the screen's, whose letters are typed into the prompt.
type CmdBarKeyMap struct {
	Run, Complete, History, Scroll, Close, Stop key.Binding
	// Interrupt is ctrl+c: stop a command, else clear the line, else (pressed twice) quit.
	Interrupt key.Binding
}

// DefaultCmdBarKeyMap returns the command bar's bindings (cmdBar.key matches the same keys).
func DefaultCmdBarKeyMap(t text) CmdBarKeyMap {
	return CmdBarKeyMap{
		Run:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", t.KeyCmdRun)),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", t.KeyCmdComplete)),
		History:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", t.KeyCmdHistory)),
		Scroll:   key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", t.KeyCmdScroll)),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", t.KeyCmdClose)),
		Stop:     key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc/ctrl+c", t.KeyCmdStop), key.WithDisabled()),
		// Documented by Stop while a command runs; otherwise ctrl+c is what shells make it.
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c")),
	}
}

// cmdBarHelp is the help while the bar is open: esc stops a running command, else closes.
type cmdBarHelp struct {
	k       CmdBarKeyMap
	running bool
}

func (h cmdBarHelp) keys() CmdBarKeyMap {
	k := h.k
	k.Stop.SetEnabled(h.running)
	k.Close.SetEnabled(!h.running)
	return k
}

func (h cmdBarHelp) ShortHelp() []key.Binding {
	k := h.keys()
	return []key.Binding{k.Run, k.Complete, k.History, k.Scroll, k.Stop, k.Close}
}

func (h cmdBarHelp) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }
