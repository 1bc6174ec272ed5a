package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// CmdBarKeyMap holds the keys of the command bar. While the bar is open the help line shows
// these instead of the screen's, whose letters are typed into the prompt.
type CmdBarKeyMap struct {
	// Open is ':' on a closed bar (the help shows it as AppKeyMap.Command).
	Open                                  key.Binding
	Run, Complete, History, Scroll, Close key.Binding
	Stop                                  key.Binding
	// HistoryBack/HistoryOn and ScrollUp/ScrollDown tell History's and Scroll's keys apart.
	HistoryBack, HistoryOn, ScrollUp, ScrollDown key.Binding
	// Interrupt is ctrl+c: stop a command, else clear the line, else (pressed twice) quit.
	Interrupt key.Binding
}

// DefaultCmdBarKeyMap returns the command bar's bindings.
func DefaultCmdBarKeyMap(t text) CmdBarKeyMap {
	return CmdBarKeyMap{
		Open:     key.NewBinding(key.WithKeys(":"), key.WithHelp(":", t.KeyCommand)),
		Run:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", t.KeyCmdRun)),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", t.KeyCmdComplete)),
		History:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑↓", t.KeyCmdHistory)),
		Scroll:   key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", t.KeyCmdScroll)),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", t.KeyCmdClose)),
		Stop:     key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc/ctrl+c", t.KeyCmdStop), key.WithDisabled()),

		HistoryBack: key.NewBinding(key.WithKeys("up")),
		HistoryOn:   key.NewBinding(key.WithKeys("down")),
		ScrollUp:    key.NewBinding(key.WithKeys("pgup")),
		ScrollDown:  key.NewBinding(key.WithKeys("pgdown")),
		// Documented by Stop while a command runs; otherwise ctrl+c is what shells make it.
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c")),
	}
}

// keys is the bar's key map as it stands: esc stops a running command, else closes; enter
// runs a typed line; history and scrolling only where there is somewhere to go.
func (b *cmdBar) keys() CmdBarKeyMap {
	k := b.km
	k.Open.SetEnabled(!b.open && b.cluster != nil)
	k.Stop.SetEnabled(b.running)
	k.Close.SetEnabled(!b.running)
	k.Run.SetEnabled(strings.TrimSpace(b.input.Value()) != "")
	back, on := b.histPos > 0, b.histPos < len(b.history)
	k.HistoryBack.SetEnabled(back)
	k.HistoryOn.SetEnabled(on)
	k.History = oneOrBoth(k.History, back, on, "↑", "↓")
	up, down := b.scroll < len(b.lines), b.scroll > 0
	k.ScrollUp.SetEnabled(up)
	k.ScrollDown.SetEnabled(down)
	k.Scroll = oneOrBoth(k.Scroll, up, down, "pgup", "pgdn")
	return k
}

// oneOrBoth narrows a binding of two keys (first, second) to those that work now, so the
// help names only keys that do something.
func oneOrBoth(b key.Binding, first, second bool, firstHelp, secondHelp string) key.Binding {
	keys, desc := b.Keys(), b.Help().Desc
	switch {
	case first && second:
		return b
	case first:
		return key.NewBinding(key.WithKeys(keys[0]), key.WithHelp(firstHelp, desc))
	case second:
		return key.NewBinding(key.WithKeys(keys[1]), key.WithHelp(secondHelp, desc))
	}
	b.SetEnabled(false)
	return b
}

// ShortHelp implements help.KeyMap: the open bar's keys (a closed bar is the screen's ':').
// An active overlay with a key map (the built-in editor) supplies the help instead, as in
// the lesson view (lessonView.overlayHelp): it takes every key.
func (b *cmdBar) ShortHelp() []key.Binding {
	if km := b.overlayHelp(); km != nil {
		return km.ShortHelp()
	}
	k := b.keys()
	return enabledList([]key.Binding{k.Run, k.Complete, k.History, k.Scroll, k.Stop, k.Close})
}

// FullHelp implements help.KeyMap.
func (b *cmdBar) FullHelp() [][]key.Binding {
	if km := b.overlayHelp(); km != nil {
		return km.FullHelp()
	}
	return [][]key.Binding{b.ShortHelp()}
}

// overlayHelp is the active overlay's key map, when it has one.
func (b *cmdBar) overlayHelp() help.KeyMap {
	km, _ := b.activeOverlay().(help.KeyMap)
	return km
}

// Init implements Component.
func (b *cmdBar) Init() tea.Cmd { return nil }

// Update implements Component; the App uses handle, which also says whether the bar took
// the message.
func (b *cmdBar) Update(msg tea.Msg) (Component, tea.Cmd) {
	cmd, _ := b.handle(msg)
	return b, cmd
}

// SetSize implements Component: the bar draws over the bottom of a screen this big.
func (b *cmdBar) SetSize(w, h int) { b.width, b.height = w, h }
