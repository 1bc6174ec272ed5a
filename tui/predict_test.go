package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
)

// withPrediction adds a prediction to the create step of the test lessons.
func withPrediction(ls []lessons.Lesson, lang string) []lessons.Lesson {
	l := ls[0]
	steps := append([]lessons.Step(nil), l.Steps...)
	q, a, b, wa, wb, conf := "Which pod starts first?", "web-0", "web-0 and web-1 together", "OrderedReady starts the lowest ordinal first.", "That is the Parallel policy.", "web exists"
	if lang == "ko" {
		q, a, b, wa, wb, conf = "어느 파드가 먼저 시작할까?", "web-0", "web-0과 web-1이 동시에", "OrderedReady는 가장 작은 순번부터 시작한다.", "Parallel 정책이라면 그렇다.", "web이 있다"
	}
	steps[1].Predict = &lessons.Predict{Question: q,
		Choices: []lessons.Choice{{Text: b, Why: wb}, {Text: a, Correct: true, Why: wa}},
		Confirm: []lessons.Check{{Desc: conf, JSONPath: &lessons.JSONPathCheck{Resource: "sts", Name: "web", Exists: ptr(true)}}}}
	l.Steps = steps
	return []lessons.Lesson{l}
}

// A step's prediction is asked before its commands run, answered with a key, and revealed
// after the last command with what the watch showed (golden in both languages).
func TestPlainPredictionPrompt(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		for _, answer := range []string{"1", "2"} {
			c := newFakeCluster()
			in := strings.NewReader(strings.Join([]string{"1", "n", "9", answer, "", "", "q"}, "\n") + "\n")
			var out strings.Builder
			err := RunPlain(context.Background(), Options{Cluster: c, Evaluate: c.evaluator(), Lessons: withPrediction(testLessons(lang), lang), Lang: lang}, in, &out)
			if err != nil {
				t.Fatal(err)
			}
			got := out.String()
			pt := predictTextFor(lang)
			start := strings.Index(got, strings.SplitN(pt.Ask, "%", 2)[0])
			end := strings.Index(got, strings.TrimSpace(strings.SplitN(pt.Showed, "%", 2)[0]))
			if start < 0 || end < 0 {
				t.Fatalf("%s: no prediction prompt or reveal in:\n%s", lang, got)
			}
			// From the question to the end of the reveal: the prompt, the refused answer, the
			// commands, the verdict and what the watch showed.
			seg := got[start:]
			if i := strings.Index(seg[end-start:], "\n\n"); i >= 0 {
				seg = seg[:end-start+i]
			}
			c.mu.Lock()
			ran := strings.Join(c.ran, ",")
			c.mu.Unlock()
			if !strings.Contains(ran, "kubectl apply -f web.yaml") {
				t.Errorf("%s: the step's command did not run after the prediction: %s", lang, ran)
			}
			if strings.Index(got, "service/nginx created") < start {
				t.Errorf("%s: a command ran before the prediction was asked", lang)
			}
			golden(t, "plain-predict-"+lang+"-"+answer, seg)
		}
	}
}
