package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// TestGoldenPredictionPrompt: in the full-screen player a step's prediction shows before its
// commands run, Enter and s wait for the answer, a number key answers, and after the
// step's last command the answer is revealed with its explanation and what the confirm
// checks saw (golden of the prompt at 80×24, English and Korean).
func TestGoldenPredictionPrompt(t *testing.T) {
	for _, tc := range []struct {
		lang, key string
		right     bool
	}{{"en", "2", true}, {"ko", "1", false}} {
		t.Run(tc.lang, func(t *testing.T) {
			c := newFakeCluster()
			a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(),
				Lessons: withPrediction(testLessons(tc.lang), tc.lang), Lang: tc.lang, MarkdownStyle: "notty",
				Progress: progress.Memory()})
			openAndRun(t, a, 80, 24)
			run(a, send(a, keyMsg("n")))
			v := a.lesson
			pt := predictTextFor(tc.lang)
			view := a.View()
			assertFrame(t, view, 80, 24)
			golden(t, fmt.Sprintf("predict-prompt-%s-80x24", tc.lang), view)
			q := v.cur().Predict
			if !strings.Contains(view, strings.SplitN(pt.Ask, "%", 2)[0]) {
				t.Fatalf("no prediction question on screen:\n%s", view)
			}
			run(a, send(a, keyMsg("enter")))
			run(a, send(a, keyMsg("s")))
			run(a, send(a, keyMsg("9"))) // not a choice: still waiting
			if len(c.ran) != 0 || v.keys.Run.Enabled() || !v.predictPending() {
				t.Fatalf("commands ran before the prediction was answered: %q", c.ran)
			}
			run(a, send(a, keyMsg(tc.key)))
			if v.predictPending() || !v.keys.Run.Enabled() {
				t.Fatal("the number key did not answer the prediction")
			}
			chosen := q.Choices[int(tc.key[0]-'1')].Text
			if !strings.Contains(v.stepP.body, fmt.Sprintf(pt.Waiting, chosen)) {
				t.Fatalf("answer not shown before the commands ran:\n%s", v.stepP.body)
			}
			run(a, send(a, keyMsg("enter")))
			if strings.Contains(v.stepP.body, "✓ ") || strings.Contains(v.stepP.body, "✗ ") {
				t.Fatalf("revealed before the step's last command:\n%s", v.stepP.body)
			}
			run(a, send(a, keyMsg("enter")))
			right := q.Choices[q.Correct()]
			want := "✓ " + fmt.Sprintf(pt.Right, chosen, right.Why)
			if !tc.right {
				want = "✗ " + fmt.Sprintf(pt.Wrong, chosen, right.Text, right.Why)
			}
			if !strings.Contains(v.stepP.body, want) {
				t.Fatalf("verdict missing, want %q in:\n%s", want, v.stepP.body)
			}
			if !strings.Contains(v.stepP.body, pt.Showed) || !strings.Contains(v.stepP.body, "✓ "+q.Confirm[0].Desc) {
				t.Fatalf("confirm checks not shown:\n%s", v.stepP.body)
			}
		})
	}
}
