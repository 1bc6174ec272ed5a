package tui

import (
	"github.com/charmbracelet/bubbles/key"
)

// LearnKeyMap holds the lesson view's learning-tool keys: help that grows, language, time
// control and resets. Like LessonKeyMap, bindings that would do nothing now are disabled,
// so ? never offers a dead key.
type LearnKeyMap struct {
	Solve key.Binding
	// SolveBusy is s while a command runs: it says why it waits (issue 13, item 7).
	SolveBusy key.Binding
	Lang      key.Binding
	// Time control and resets work on the simulator only; on a real cluster TimeReal takes
	// their keys and says why.
	Pause, StepOnce, Slower, Faster, TimeReal key.Binding
	ResetStep, ResetLesson                    key.Binding
}

// DefaultLearnKeyMap returns the learning-tool bindings.
func DefaultLearnKeyMap(t text) LearnKeyMap {
	return LearnKeyMap{
		Solve:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", t.KeySolve)),
		SolveBusy:   key.NewBinding(key.WithKeys("s"), key.WithHelp("s", t.KeySolveBusy), key.WithDisabled()),
		Lang:        key.NewBinding(key.WithKeys("L"), key.WithHelp("L", t.KeyLang), key.WithDisabled()),
		Pause:       key.NewBinding(key.WithKeys(" "), key.WithHelp("space", t.KeyPause), key.WithDisabled()),
		StepOnce:    key.NewBinding(key.WithKeys("."), key.WithHelp(".", t.KeyStepOnce), key.WithDisabled()),
		Slower:      key.NewBinding(key.WithKeys("-"), key.WithHelp("-", t.KeySlower), key.WithDisabled()),
		Faster:      key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", t.KeyFaster), key.WithDisabled()),
		TimeReal:    key.NewBinding(key.WithKeys(" ", ".", "-", "+", "=", "r", "R"), key.WithHelp("space . - + r R", t.KeyTimeReal), key.WithDisabled()),
		ResetStep:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", t.KeyResetStep), key.WithDisabled()),
		ResetLesson: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", t.KeyResetLesson), key.WithDisabled()),
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
