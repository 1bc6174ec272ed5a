package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// AppKeyMap holds the keys that work on every screen.
type AppKeyMap struct {
	Help key.Binding
	Quit key.Binding // q and ctrl+c; ctrl+c is never disabled
	// Interrupt is ctrl+c alone: it quits even while the bar takes every other key. The
	// help documents it with Quit.
	Interrupt key.Binding
	// Command opens the kubectl command bar (cmdbar.go); enabled only with a cluster.
	Command key.Binding
}

// DefaultAppKeyMap returns the global bindings.
func DefaultAppKeyMap(t text) AppKeyMap {
	return AppKeyMap{
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", t.KeyHelp)),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", t.KeyQuit)),
		Interrupt: key.NewBinding(key.WithKeys("ctrl+c")),
		Command: key.NewBinding(key.WithKeys(":"), key.WithHelp(":", t.KeyCommand),
			key.WithDisabled()),
	}
}

// MenuKeyMap holds the lesson menu's bindings.
type MenuKeyMap struct {
	Up, Down, Start key.Binding
}

// DefaultMenuKeyMap returns the menu bindings.
func DefaultMenuKeyMap(t text) MenuKeyMap {
	return MenuKeyMap{
		Up:    key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", t.KeyUp)),
		Down:  key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", t.KeyDown)),
		Start: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", t.KeyStart)),
	}
}

// ShortHelp implements help.KeyMap.
func (k MenuKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down, k.Start} }

// FullHelp implements help.KeyMap.
func (k MenuKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// LessonKeyMap holds the lesson view's own keys: the step's flow, focus and leaving. They
// work whichever pane has the focus; the panes' keys are in their own key maps (StepPane's,
// WatchKeyMap, OutputKeyMap). The view disables the ones that would do nothing right now,
// so the help line never offers a dead key.
type LessonKeyMap struct {
	Run, Stop, Next, Prev, Hint key.Binding
	Focus                       key.Binding
	Back                        key.Binding
	Kubeconfig                  key.Binding
}

// DefaultLessonKeyMap returns the lesson view bindings.
func DefaultLessonKeyMap(t text) LessonKeyMap {
	return LessonKeyMap{
		Run:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", t.KeyRun)),
		Stop:  key.NewBinding(key.WithKeys("x"), key.WithHelp("x", t.KeyStop)),
		Next:  key.NewBinding(key.WithKeys("n"), key.WithHelp("n", t.KeyNext)),
		Prev:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", t.KeyPrev)),
		Hint:  key.NewBinding(key.WithKeys("h"), key.WithHelp("h", t.KeyHint)),
		Focus: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", t.KeyFocus)),
		Back:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", t.KeyBack)),
		// Enabled by the lesson view only when a kubeconfig path is configured.
		Kubeconfig: key.NewBinding(key.WithKeys("K"), key.WithHelp("K", t.KeyKubeconfig), key.WithDisabled()),
	}
}

// withGlobal appends the global keys to a screen's help.
type withGlobal struct {
	screen help.KeyMap
	app    AppKeyMap
	// noShortCmd leaves : out of the short help when the line would not fit the window
	// with it (the full help always has it).
	noShortCmd bool
}

func (w withGlobal) ShortHelp() []key.Binding {
	keys := append([]key.Binding(nil), w.screen.ShortHelp()...)
	if !w.noShortCmd {
		keys = append(keys, w.app.Command)
	}
	return enabledList(append(keys, w.app.Help, w.app.Quit))
}

// FullHelp adds the global keys to the screen's last column rather than a column of their
// own, which would not fit beside the lesson's columns at 80 cells.
func (w withGlobal) FullHelp() [][]key.Binding {
	groups := append([][]key.Binding(nil), w.screen.FullHelp()...)
	if len(groups) == 0 {
		return enabledOnly([][]key.Binding{{w.app.Command, w.app.Help, w.app.Quit}})
	}
	last := len(groups) - 1
	groups[last] = append(append([]key.Binding(nil), groups[last]...), w.app.Command, w.app.Help, w.app.Quit)
	return enabledOnly(groups)
}
