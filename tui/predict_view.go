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

// predictPending reports whether the current step's prediction waits for an answer before
// its commands run. The demo plays on without asking.
func (v *lessonView) predictPending() bool {
	s := v.cur()
	if v.demo != nil || v.quiz != nil || s.Predict == nil || len(s.Predict.Choices) == 0 || v.play.NextCmd() < 0 {
		return false
	}
	_, answered := v.predicted[v.curStep()]
	return !answered
}

// predictKeys is the prediction's binding: the number keys of its choices, while it waits.
func (v *lessonView) predictKeys() key.Binding {
	if !v.predictPending() {
		return key.NewBinding(key.WithDisabled())
	}
	n := len(v.cur().Predict.Choices)
	keys := make([]string, 0, n)
	for i := 1; i <= n && i <= 9; i++ {
		keys = append(keys, strconv.Itoa(i))
	}
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(fmt.Sprintf("1-%d", len(keys)), v.t.KeyPredict))
}

// predictKey answers the pending prediction with one of its number keys.
func (v *lessonView) predictKey(msg tea.KeyMsg) tea.Cmd {
	k := v.predictKeys()
	for i, s := range k.Keys() {
		if key.Matches(msg, key.NewBinding(key.WithKeys(s))) {
			if v.predicted == nil {
				v.predicted = map[int]*predictState{}
			}
			v.predicted[v.curStep()] = &predictState{choice: i}
			v.syncStep()
			return nil
		}
	}
	return nil
}

// revealPrediction reveals the current step's answered prediction once its last command ran,
// and evaluates the confirm checks against the step's baseline.
func (v *lessonView) revealPrediction() tea.Cmd {
	s := v.cur()
	ps := v.predicted[v.curStep()]
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
	if ps := v.predicted[msg.step]; ps != nil {
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
	s := v.cur()
	pr := s.Predict
	if pr == nil || len(pr.Choices) == 0 || v.demo != nil {
		return "", false
	}
	pt := predictTextFor(v.lesson.Lang)
	ps := v.predicted[v.curStep()]
	if ps == nil {
		if !v.predictPending() {
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
