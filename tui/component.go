package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
)

// Component is one part of a screen (after soft-serve's pkg/ui/common.Component): a Bubble
// Tea model that returns itself from Update, takes its size from its parent, and says which
// keys it handles through its KeyMap. A component matches keys only through the bindings it
// lists in FullHelp, and lists only bindings that do something now (disabled otherwise), so
// the help built from it never offers a dead key and never hides a live one.
//
// The lesson view is a composition of components: the step (or, at the end, the quiz), the
// watch and the output panes, with layers that take the keys first while active: the
// yes/no question (askPane), the prediction prompt (predictPane), the demo (demoState), the
// command bar and an editor. It routes only focus and its own global keys; a key reaches a
// component only when one of its enabled bindings matches it. Components talk back through
// messages (the demo's demoRunMsg, a command's cmdOutputMsg to the output pane).
type Component interface {
	help.KeyMap
	Init() tea.Cmd
	Update(msg tea.Msg) (Component, tea.Cmd)
	View() string
	SetSize(width, height int)
}

// reacher is a pane with bindings that work while another pane has the focus (the watch's v
// and y, the output's ← →); the lesson view lists them in its help beside the focused pane's.
type reacher interface {
	Reach() []key.Binding
}

// bindings flattens a key map's full help.
func keysOf(km help.KeyMap) []key.Binding {
	var out []key.Binding
	for _, g := range km.FullHelp() {
		out = append(out, g...)
	}
	return out
}

// matchesAny reports whether msg is a key that one of bs (enabled) matches.
func matchesAny(msg tea.Msg, bs ...key.Binding) bool {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return false
	}
	for _, b := range bs {
		if key.Matches(k, b) {
			return true
		}
	}
	return false
}

// handles reports whether the component has an enabled binding for msg: only then does a
// parent route a key to it.
func handles(c help.KeyMap, msg tea.Msg) bool {
	return matchesAny(msg, keysOf(c)...)
}

// enabledOnly drops the disabled bindings and the columns left empty, so the help lists only
// what works (bubbles' help hides them too; the lists are what tests read).
func enabledOnly(groups [][]key.Binding) [][]key.Binding {
	var out [][]key.Binding
	for _, g := range groups {
		var keep []key.Binding
		for _, b := range g {
			if b.Enabled() {
				keep = append(keep, b)
			}
		}
		if len(keep) > 0 {
			out = append(out, keep)
		}
	}
	return out
}

// enabledList drops the disabled bindings of one help line.
func enabledList(bs []key.Binding) []key.Binding {
	var out []key.Binding
	for _, b := range bs {
		if b.Enabled() {
			out = append(out, b)
		}
	}
	return out
}

// The lesson screen's parts are Components.
var (
	_ Component = (*stepPane)(nil)
	_ Component = (*watchPane)(nil)
	_ Component = (*outputPane)(nil)
	_ Component = (*quizPane)(nil)
	_ Component = (*cmdBar)(nil)
	_ Component = (*askPane)(nil)
	_ Component = (*predictPane)(nil)
	_ Component = (*demoState)(nil)
	_ reacher   = (*watchPane)(nil)
	_ reacher   = (*outputPane)(nil)
)

// scrollKeyMap is the scrolling every pane with a viewport has; each key is enabled only
// when the pane can move that way.
type scrollKeyMap struct {
	Up, Down, PageUp, PageDown key.Binding
	// Wheel documents the mouse wheel (a MouseMsg, never a key press).
	Wheel key.Binding
}

func defaultScrollKeyMap(t text) scrollKeyMap {
	return scrollKeyMap{
		Up:       key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", t.KeyUp)),
		Down:     key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", t.KeyDown)),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", t.KeyPage+" ↑")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", t.KeyPage+" ↓")),
		Wheel:    key.NewBinding(key.WithKeys(wheelKey), key.WithHelp("wheel", t.KeyScroll)),
	}
}

// wheelKey is the Wheel binding's key: no key press is spelled so, it only documents the
// wheel in the help.
const wheelKey = "wheel"

// at enables the scroll keys that would move v.
func (k scrollKeyMap) at(v *viewport.Model) scrollKeyMap {
	room := v.Height > 0 && v.TotalLineCount() > v.Height
	up, down := room && !v.AtTop(), room && !v.AtBottom()
	k.Up.SetEnabled(up)
	k.PageUp.SetEnabled(up)
	k.Down.SetEnabled(down)
	k.PageDown.SetEnabled(down)
	k.Wheel.SetEnabled(up || down)
	return k
}

func (k scrollKeyMap) list() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown}
}

// action is the scroll a key asks for; ok is false for any other key.
func (k scrollKeyMap) action(msg tea.KeyMsg) (scrollAction, bool) {
	switch {
	case key.Matches(msg, k.Up):
		return scrollUp, true
	case key.Matches(msg, k.Down):
		return scrollDown, true
	case key.Matches(msg, k.PageUp):
		return scrollPageUp, true
	case key.Matches(msg, k.PageDown):
		return scrollPageDown, true
	}
	return 0, false
}

// wheelAction is the scroll a mouse wheel event asks for.
func wheelAction(msg tea.MouseMsg) (scrollAction, bool) {
	if msg.Action != tea.MouseActionPress {
		return 0, false
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		return scrollWheelUp, true
	case tea.MouseButtonWheelDown:
		return scrollWheelDown, true
	}
	return 0, false
}
