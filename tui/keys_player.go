package tui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// LearnKeyMap holds the lesson view's learning-tool keys: help that grows, language, time
// control, watch views and resets. Like LessonKeyMap, bindings that would do nothing now are
// disabled, so ? never offers a dead key.
type LearnKeyMap struct {
	Solve key.Binding
	Lang  key.Binding
	View  key.Binding
	// Time control and resets work on the simulator only; TimeReal documents why on a real
	// cluster.
	Pause, StepOnce, Slower, Faster, TimeReal key.Binding
	ResetStep, ResetLesson                    key.Binding
	// Inspect selects a row of the watch stream to show its object at that moment.
	Inspect key.Binding
}

// DefaultLearnKeyMap returns the learning-tool bindings.
func DefaultLearnKeyMap(t text) LearnKeyMap {
	return LearnKeyMap{
		Solve:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", t.KeySolve)),
		Lang:        key.NewBinding(key.WithKeys("L"), key.WithHelp("L", t.KeyLang), key.WithDisabled()),
		View:        key.NewBinding(key.WithKeys("v"), key.WithHelp("v", t.KeyView)),
		Pause:       key.NewBinding(key.WithKeys(" "), key.WithHelp("space", t.KeyPause), key.WithDisabled()),
		StepOnce:    key.NewBinding(key.WithKeys("."), key.WithHelp(".", t.KeyStepOnce), key.WithDisabled()),
		Slower:      key.NewBinding(key.WithKeys("-"), key.WithHelp("-", t.KeySlower), key.WithDisabled()),
		Faster:      key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", t.KeyFaster), key.WithDisabled()),
		TimeReal:    key.NewBinding(key.WithKeys("time-keys-doc"), key.WithHelp("space . - + r R", t.KeyTimeReal), key.WithDisabled()),
		ResetStep:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", t.KeyResetStep), key.WithDisabled()),
		ResetLesson: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", t.KeyResetLesson), key.WithDisabled()),
		Inspect:     key.NewBinding(key.WithKeys("y"), key.WithHelp("y", t.KeyInspect), key.WithDisabled()),
	}
}

// QuizKeyMap holds the quiz's bindings.
type QuizKeyMap struct {
	Up, Down, Answer, Next, Steps key.Binding
	// NextLesson opens the catalog's next lesson from the finish page.
	NextLesson key.Binding
}

// DefaultQuizKeyMap returns the quiz bindings.
func DefaultQuizKeyMap(t text) QuizKeyMap {
	return QuizKeyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", t.KeyUp)),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", t.KeyDown)),
		Answer: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", t.KeyAnswer)),
		Next:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", t.KeyNextQuestion)),
		Steps:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", t.KeySteps)),
		NextLesson: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", t.KeyNextLesson),
			key.WithDisabled()),
	}
}

// ShortHelp implements help.KeyMap; the arrows are in the full help and the quiz's own text,
// so the line fits 80 columns in Korean too.
func (k QuizKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Answer, k.Next, k.NextLesson, k.Steps}
}

// FullHelp implements help.KeyMap.
func (k QuizKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Answer, k.Next, k.NextLesson, k.Steps}}
}

// lessonHelp is the lesson view's whole key help: the step's flow and moving around from
// LessonKeyMap, the learning-tool keys beside them.
type lessonHelp struct {
	k LessonKeyMap
	l LearnKeyMap
}

func (h lessonHelp) ShortHelp() []key.Binding {
	// s is here (issue 13, item 7); p gave way for it and is in the full help.
	return []key.Binding{h.k.Run, h.k.Stop, h.l.Solve, h.k.Next, h.k.Hint}
}

func (h lessonHelp) FullHelp() [][]key.Binding {
	k, l := h.k, h.l
	return [][]key.Binding{
		{k.Run, k.Stop, k.Hint, l.Solve, k.Next, k.Prev, l.ResetStep, l.ResetLesson},
		{k.Focus, k.Up, k.Down, k.PageUp, k.PageDown, k.Sideways, l.View, l.Inspect, k.Wheel},
		{l.Pause, l.StepOnce, l.Slower, l.Faster, l.TimeReal, l.Lang, k.Kubeconfig, k.Back},
	}
}

// menuHelp adds the menu's language and reset keys to MenuKeyMap's.
type menuHelp struct {
	k        MenuKeyMap
	lang     key.Binding
	resetAll key.Binding
	mode     key.Binding
}

func (h menuHelp) ShortHelp() []key.Binding {
	return append(h.k.ShortHelp(), h.mode, h.lang)
}

func (h menuHelp) FullHelp() [][]key.Binding {
	return [][]key.Binding{append(h.k.ShortHelp(), h.lang, h.mode, h.resetAll)}
}

var _ help.KeyMap = lessonHelp{}

// demoHelp is the help while a lesson plays by itself.
type demoHelp struct {
	d DemoKeyMap
	k LessonKeyMap
	l LearnKeyMap
}

func (h demoHelp) ShortHelp() []key.Binding { return []key.Binding{h.d.Pause, h.d.Skip} }

func (h demoHelp) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{h.d.Pause, h.d.Skip, h.l.View, h.l.Inspect, h.k.Focus},
		{h.l.StepOnce, h.l.Slower, h.l.Faster, h.l.Lang, h.k.Back},
	}
}
