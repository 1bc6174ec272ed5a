package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/lessons"
)

// The full-screen player's prediction prompt: a step's Predict question shows above the
// step's text before its commands run (Enter and s wait for it), a number key answers it,
// and after the step's last command ran the answer is revealed (right or wrong, why) with
// what the prediction's confirm checks saw. The first answer is the one that counts.

// predictState is one step's prediction as the learner answered it.
type predictState struct {
	choice   int
	revealed bool
	// results are the confirm checks' verdicts (nil until evaluated).
	results []lessons.CheckResult
}

// predictShownMsg carries the confirm checks' results for step's prediction.
type predictShownMsg struct {
	gen     int64
	step    int
	results []lessons.CheckResult
}

// predictPane is the step's prediction prompt as a Component: it owns the answers, its key
// map (the number keys of the choices, enabled only while the current step waits for an
// answer) and its text, which the step pane renders above or below the step's own (one
// scrolling text, so View is Markdown). The lesson view tells it the step and whether it may
// ask (sync) before each use.
type predictPane struct {
	t text
	// answers holds each step's answer, the first one (it counts).
	answers map[int]*predictState
	keys    predictKeyMap

	step    int
	s       lessons.Step
	lang    string
	hidden  bool // the demo plays on without predictions
	pending bool // the step's commands wait for an answer
	width   int
}

// predictKeyMap is the prompt's one binding.
type predictKeyMap struct {
	Choose key.Binding
}

func newPredictPane(t text) *predictPane {
	return &predictPane{t: t, keys: predictKeyMap{Choose: key.NewBinding(key.WithDisabled())}}
}

// sync points the prompt at step s (index step) in lang; canAsk: nothing else (the demo, the
// quiz, commands all ran) keeps the step from waiting for a prediction.
func (p *predictPane) sync(t text, step int, s lessons.Step, lang string, hidden, canAsk bool) {
	p.t, p.step, p.s, p.lang, p.hidden = t, step, s, lang, hidden
	_, answered := p.answers[step]
	p.pending = canAsk && !hidden && s.Predict != nil && len(s.Predict.Choices) > 0 && !answered
	if !p.pending {
		p.keys.Choose = key.NewBinding(key.WithDisabled())
		return
	}
	n := len(s.Predict.Choices)
	keys := make([]string, 0, n)
	for i := 1; i <= n && i <= 9; i++ {
		keys = append(keys, strconv.Itoa(i))
	}
	p.keys.Choose = key.NewBinding(key.WithKeys(keys...), key.WithHelp(fmt.Sprintf("1-%d", len(keys)), t.KeyPredict))
}

// reset forgets every answer (the lesson starts again).
func (p *predictPane) reset() { p.answers = nil }

func (p *predictPane) Init() tea.Cmd { return nil }

// SetSize: the prompt is laid out by the step pane it sits in; the width is kept for View.
func (p *predictPane) SetSize(width, _ int) { p.width = width }

func (p *predictPane) ShortHelp() []key.Binding  { return []key.Binding{p.keys.Choose} }
func (p *predictPane) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

// Update answers the waiting prediction with one of its number keys.
func (p *predictPane) Update(msg tea.Msg) (Component, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !p.pending {
		return p, nil
	}
	for i, s := range p.keys.Choose.Keys() {
		if key.Matches(k, key.NewBinding(key.WithKeys(s))) {
			if p.answers == nil {
				p.answers = map[int]*predictState{}
			}
			p.answers[p.step] = &predictState{choice: i}
			p.pending = false
			p.keys.Choose = key.NewBinding(key.WithDisabled())
			return p, nil
		}
	}
	return p, nil
}

// View is the prompt's Markdown (see markdown).
func (p *predictPane) View() string {
	md, _ := p.markdown()
	return md
}

// syncPredict brings the prompt up to date with the view's step and state.
func (v *lessonView) syncPredict() {
	v.predictP.sync(v.t, v.curStep(), v.cur(), v.lesson.Lang, v.demo != nil, v.quiz == nil && v.play.NextCmd() >= 0)
}

// predictPending reports whether the current step's prediction waits for an answer before
// its commands run. The demo plays on without asking.
func (v *lessonView) predictPending() bool {
	v.syncPredict()
	return v.predictP.pending
}

// predictKeys is the prediction's binding: the number keys of its choices, while it waits.
func (v *lessonView) predictKeys() key.Binding {
	v.syncPredict()
	return v.predictP.keys.Choose
}

// predictKey routes a number key to the prompt, then redraws the step with the answer.
func (v *lessonView) predictKey(msg tea.KeyMsg) tea.Cmd {
	v.syncPredict()
	_, cmd := v.predictP.Update(msg)
	v.syncStep()
	return cmd
}

// revealPrediction reveals the current step's answered prediction once its last command ran,
// and evaluates the confirm checks against the step's baseline.
func (v *lessonView) revealPrediction() tea.Cmd {
	s := v.cur()
	ps := v.predictP.answers[v.curStep()]
	if s.Predict == nil || ps == nil || ps.revealed || v.play.NextCmd() >= 0 {
		return nil
	}
	ps.revealed = true
	v.syncStep()
	if v.evaluate == nil || len(s.Predict.Confirm) == 0 {
		return nil
	}
	ctx, gen, step, eval := v.ctx, v.gen, v.curStep(), v.evaluate
	return func() tea.Msg {
		ectx, cancel := context.WithTimeout(ctx, evalTimeout)
		defer cancel()
		res := eval(ectx, s.ConfirmStep())
		if ctx.Err() != nil || len(res) < len(s.Checks) {
			return nil
		}
		return predictShownMsg{gen: gen, step: step, results: res[len(s.Checks):]}
	}
}

func (v *lessonView) onPredictShown(msg predictShownMsg) {
	if msg.gen != v.gen {
		return
	}
	if ps := v.predictP.answers[msg.step]; ps != nil {
		ps.results = msg.results
		if msg.step == v.curStep() {
			v.syncStep()
		}
	}
}

// predictMarkdown is the prediction's part of the step text: the question while it waits,
// the answer until the commands ran, then the verdict; where says whether it goes before
// the step's text (the question: it is what to do now) or after it.
func (v *lessonView) predictMarkdown() (md string, before bool) {
	v.syncPredict()
	return v.predictP.markdown()
}

func (p *predictPane) markdown() (md string, before bool) {
	pr := p.s.Predict
	if pr == nil || len(pr.Choices) == 0 || p.hidden {
		return "", false
	}
	pt := predictTextFor(p.lang)
	ps := p.answers[p.step]
	if ps == nil {
		if !p.pending {
			return "", false
		}
		var b strings.Builder
		b.WriteString("**" + fmt.Sprintf(pt.Ask, strings.TrimSpace(pr.Question)) + "**\n\n")
		for i, c := range pr.Choices {
			fmt.Fprintf(&b, "%d. %s\n", i+1, strings.TrimSpace(c.Text))
		}
		b.WriteString("\n*" + fmt.Sprintf(pt.Key, len(pr.Choices)) + "*")
		return b.String(), true
	}
	chosen := pr.Choices[ps.choice]
	if !ps.revealed {
		return "*" + fmt.Sprintf(pt.Waiting, strings.TrimSpace(chosen.Text)) + "*", false
	}
	var b strings.Builder
	right := pr.Correct()
	switch {
	case ps.choice == right:
		b.WriteString("✓ " + fmt.Sprintf(pt.Right, strings.TrimSpace(chosen.Text), strings.TrimSpace(chosen.Why)))
	case right >= 0:
		b.WriteString("✗ " + fmt.Sprintf(pt.Wrong, strings.TrimSpace(chosen.Text), strings.TrimSpace(pr.Choices[right].Text), strings.TrimSpace(pr.Choices[right].Why)))
	}
	if len(ps.results) > 0 {
		b.WriteString("\n\n" + pt.Showed + "\n\n")
		for _, r := range ps.results {
			if r.OK {
				b.WriteString("- ✓ " + r.Desc + "\n")
			} else {
				b.WriteString("- ○ " + r.Desc + " " + pt.NotYet + "\n")
			}
		}
	}
	return b.String(), false
}
