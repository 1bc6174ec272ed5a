package lessons

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/kubetutor/kubetutor/engine"
)

// Predict is a question a step asks before its commands run ("Which pod is deleted
// first?"), answered with a key; after the commands, the player shows whether the watch
// bore the answer out. Confirm holds the checks (usually relative: observed, changed,
// event) that are true when the correct choice happened; the solver requires them, so a
// prediction's answer is never just the author's word.
//
//	predict:
//	  question: Which pod terminates first?
//	  choices:
//	    - {text: web-0, why: "Ordinals are removed from the highest down."}
//	    - {text: web-4, correct: true, why: "The highest ordinal goes first."}
//	  confirm:
//	    - desc: web-4 was removed
//	      changed: {resource: pods, name: web-4, how: deleted}
type Predict struct {
	Question string   `json:"question"`
	Choices  []Choice `json:"choices"`
	Confirm  []Check  `json:"confirm,omitempty"`
}

// Correct is the index of the correct choice, or -1.
func (p *Predict) Correct() int {
	if p == nil {
		return -1
	}
	for i, c := range p.Choices {
		if c.Correct {
			return i
		}
	}
	return -1
}

// ConfirmStep is the step with its prediction's confirmations after its own checks, the list
// a StepObserver is taken over; evaluate it with the step's observer and read the results
// from len(s.Checks) on for the confirmations (Confirmations).
func (s Step) ConfirmStep() Step {
	c := s
	if s.Predict != nil && len(s.Predict.Confirm) > 0 {
		c.Checks = append(append([]Check(nil), s.Checks...), s.Predict.Confirm...)
	}
	return c
}

// Confirmations evaluates the prediction's confirmations against the step's baseline: did the
// correct answer happen? Empty without a prediction.
func Confirmations(ctx context.Context, s *engine.Session, st Step, o *StepObserver) []CheckResult {
	if st.Predict == nil || len(st.Predict.Confirm) == 0 {
		return nil
	}
	res := EvaluateSince(ctx, s, st.ConfirmStep(), o)
	return res[len(st.Checks):]
}

func lintPredict(st Step) []fieldMsg {
	p := st.Predict
	if p == nil {
		return nil
	}
	var out []fieldMsg
	add := func(field, format string, a ...any) {
		out = append(out, fieldMsg{field, fmt.Sprintf(format, a...)})
	}
	if strings.TrimSpace(p.Question) == "" {
		add("predict.question", "required")
	}
	if len(p.Choices) < 2 || len(p.Choices) > 4 {
		add("predict.choices", "want 2 to 4 choices (keys 1-4), have %d", len(p.Choices))
	}
	correct := 0
	for i, c := range p.Choices {
		if strings.TrimSpace(c.Text) == "" {
			add(fmt.Sprintf("predict.choices[%d].text", i), "required")
		}
		if strings.TrimSpace(c.Why) == "" {
			add(fmt.Sprintf("predict.choices[%d].why", i), "required: say what the watch shows instead")
		}
		if c.Correct {
			correct++
		}
	}
	if correct != 1 {
		add("predict.choices", "want exactly one correct choice, have %d", correct)
	}
	if len(st.RunnableCommands()) == 0 && st.Simulate == nil {
		add("predict", "a prediction needs something to observe: the step has no command to run")
	}
	if len(p.Confirm) == 0 {
		add("predict.confirm", "required: the checks that show the correct choice happened")
	}
	for i, c := range p.Confirm {
		for _, e := range lintCheck(c) {
			add(fmt.Sprintf("predict.confirm[%d].%s", i, e.field), "%s", e.msg)
		}
	}
	return out
}

// comparePredict reports how a translation's prediction differs in shape from the base's.
func comparePredict(b, t *Predict) string {
	if (b == nil) != (t == nil) {
		return "present in only one language"
	}
	if b == nil {
		return ""
	}
	if len(b.Choices) != len(t.Choices) {
		return fmt.Sprintf("%d choices, the base has %d", len(t.Choices), len(b.Choices))
	}
	for i := range b.Choices {
		if b.Choices[i].Correct != t.Choices[i].Correct {
			return fmt.Sprintf("choices[%d].correct differs", i)
		}
	}
	if len(b.Confirm) != len(t.Confirm) {
		return fmt.Sprintf("%d confirm checks, the base has %d", len(t.Confirm), len(b.Confirm))
	}
	for i := range b.Confirm {
		x, y := b.Confirm[i], t.Confirm[i]
		x.Desc, y.Desc = "", ""
		if !reflect.DeepEqual(x, y) {
			return fmt.Sprintf("confirm[%d] differs (only desc may be translated)", i)
		}
	}
	return ""
}

// lintPredictions checks every step's prediction in one file.
func lintPredictions(l Lesson) []error {
	var errs []error
	for _, st := range l.Steps {
		for _, e := range lintPredict(st) {
			errs = append(errs, &LintError{File: l.Source, Step: st.ID, Field: e.field, Msg: e.msg})
		}
	}
	return errs
}
