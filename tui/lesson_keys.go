package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// keyLayer is one rung of the lesson view's key routing: a key goes to the first layer with
// an enabled binding that matches it. The same layers build the help, so the help lists a
// binding only when pressing it reaches the code that handles it.
type keyLayer struct {
	keys []key.Binding
	// all: the layer takes every key (an open question: any key but y is "no").
	all    bool
	handle func(tea.KeyMsg) tea.Cmd
	// col is the help column the layer's bindings go in.
	col helpCol
}

type helpCol int

const (
	colModal helpCol = iota // the prediction, the demo, the quiz
	colPanes                // the focused pane, keys that reach other panes, focus
	colFlow                 // the step's flow
	colTools                // time, resets, language, leaving
	colCount
)

// layers lists the key layers from the first served to the last: overlays (a question, the
// prediction, the demo), the quiz, the focused pane, the keys other panes take from any
// focus (Reach), then the lesson view's own keys. (The command bar and any other Overlay
// come before all of these: see handleKey.)
func (v *lessonView) layers() []keyLayer {
	if v.ask != nil {
		return []keyLayer{{keys: keysOf(v.ask), all: true, handle: v.askKey, col: colModal}}
	}
	var ls []keyLayer
	if k := v.predictKeys(); k.Enabled() {
		ls = append(ls, keyLayer{keys: []key.Binding{k}, handle: v.predictKey, col: colModal})
	}
	if v.demo != nil {
		ls = append(ls, keyLayer{keys: keysOf(v.demoKeys()), handle: v.demoKey, col: colModal})
	}
	if v.quiz != nil {
		// The quiz is what the learner answers: its keys work from any focus.
		ls = append(ls, v.paneLayer(focusStep, colModal, nil))
	}
	if v.quiz == nil || v.focus != focusStep {
		ls = append(ls, v.paneLayer(v.focus, colPanes, nil))
	}
	for f := focusStep; f < focusCount; f++ {
		if f == v.focus {
			continue
		}
		if r, ok := v.pane(f).(reacher); ok {
			ls = append(ls, v.paneLayer(f, colPanes, r.Reach()))
		}
	}
	k, l := v.keys, v.lk
	ls = append(ls,
		keyLayer{keys: []key.Binding{k.Focus}, handle: v.globalKey, col: colPanes},
		keyLayer{keys: []key.Binding{k.Run, k.Stop, k.Hint, l.Solve, l.SolveBusy, k.Next, k.Prev, l.ResetStep, l.ResetLesson},
			handle: v.globalKey, col: colFlow},
		keyLayer{keys: []key.Binding{l.Pause, l.StepOnce, l.Slower, l.Faster, l.TimeReal, l.Lang, k.Kubeconfig, k.Back},
			handle: v.globalKey, col: colTools},
	)
	return ls
}

// paneLayer routes keys to the pane at f: those of keys, or (nil) every binding the pane
// lists.
func (v *lessonView) paneLayer(f focusID, col helpCol, keys []key.Binding) keyLayer {
	p := v.pane(f)
	if keys == nil {
		keys = keysOf(p)
	}
	return keyLayer{keys: keys, col: col, handle: func(msg tea.KeyMsg) tea.Cmd {
		_, cmd := p.Update(msg)
		return cmd
	}}
}

// globalKey handles the lesson view's own keys.
func (v *lessonView) globalKey(msg tea.KeyMsg) tea.Cmd {
	k := v.keys
	switch {
	case key.Matches(msg, k.Back):
		return v.leaveOrAsk()
	case key.Matches(msg, k.Run):
		return v.runNext()
	case key.Matches(msg, k.Stop):
		if v.runCancel != nil {
			v.runCancel()
			v.flash = v.t.Stopping // the command's own "(stopped)" follows when it has ended
		}
		return nil
	case key.Matches(msg, k.Next):
		if v.deps.gate != nil {
			if ok, why := v.deps.gate(v.lesson.ID, v.curStep()+1); !ok {
				v.outP.prose(v.t.KeyNext, why)
				return nil
			}
		}
		if v.curStep() == len(v.lesson.Steps)-1 {
			return v.openQuiz()
		}
		return v.goStep(v.curStep() + 1)
	case key.Matches(msg, k.Prev):
		return v.goStep(v.curStep() - 1)
	case key.Matches(msg, k.Kubeconfig):
		return v.writeKubeconfig()
	case key.Matches(msg, k.Hint):
		return v.moreHelp()
	case key.Matches(msg, k.Focus):
		v.setFocus((v.focus + 1) % focusCount)
		return nil
	}
	return v.learnKey(msg)
}

// lessonHelp is the lesson view's key help, built from the key layers.
type lessonHelp struct{ v *lessonView }

// helpKeys is the key map the help line shows for the view's current state.
func (v *lessonView) helpKeys() help.KeyMap { return lessonHelp{v} }

// ShortHelp keeps to the keys of the step's flow (and of an overlay) so that ? and q still
// fit on an 80-column line; the full help has the rest.
func (h lessonHelp) ShortHelp() []key.Binding {
	v := h.v
	var keys []key.Binding
	if o := v.overlayHelp(); o != nil {
		return o.ShortHelp()
	}
	switch {
	case v.ask != nil:
		keys = v.ask.ShortHelp()
	case v.quiz != nil:
		keys = v.quiz.ShortHelp()
	case v.demo != nil:
		keys = v.demoKeys().ShortHelp()
	default:
		// s is here (issue 13, item 7); p gave way for it and is in the full help.
		k, l := v.keys, v.lk
		keys = append([]key.Binding{v.predictKeys()}, k.Run, k.Stop, l.Solve, l.SolveBusy, k.Next, k.Hint)
		keys = append(keys, v.pane(v.focus).ShortHelp()...)
	}
	return enabledList(keys)
}

// FullHelp lists every key that works now, once, in columns: an overlay's, the panes', the
// step's flow, then the tools. A binding whose keys an earlier layer takes is left out.
func (h lessonHelp) FullHelp() [][]key.Binding {
	if o := h.v.overlayHelp(); o != nil {
		return o.FullHelp()
	}
	cols := make([][]key.Binding, colCount)
	claimed := map[string]bool{}
	for _, l := range h.v.layers() {
		var took []string
		for _, b := range l.keys {
			if !b.Enabled() {
				continue
			}
			free := false
			for _, k := range b.Keys() {
				if !claimed[k] {
					free = true
				}
			}
			if free {
				cols[l.col] = append(cols[l.col], b)
				took = append(took, b.Keys()...)
			}
		}
		for _, k := range took {
			claimed[k] = true
		}
		if l.all {
			break
		}
	}
	return enabledOnly(cols)
}

// overlayHelp is the active overlay's key map, when it has one: it takes every key, so its
// keys are the only ones to show.
func (v *lessonView) overlayHelp() help.KeyMap {
	if v.bar == nil || !v.bar.Active() {
		return nil
	}
	km, _ := v.bar.(help.KeyMap)
	return km
}
