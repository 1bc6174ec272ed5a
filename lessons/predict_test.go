package lessons

import (
	"strings"
	"testing"
)

func TestLintPredict(t *testing.T) {
	ok := Check{Desc: "d", Changed: &ChangedCheck{Resource: "pods", Name: "web-4", How: "deleted"}}
	run := []Command{{Line: "kubectl scale sts web --replicas=3"}}
	cases := []struct {
		st   Step
		want string
	}{
		{Step{Cmds: run, Predict: &Predict{Question: "q", Choices: []Choice{{Text: "a", Why: "w"}}, Confirm: []Check{ok}}}, "want 2 to 4 choices"},
		{Step{Cmds: run, Predict: &Predict{Question: "q", Choices: []Choice{{Text: "a", Why: "w"}, {Text: "b", Why: "w"}}, Confirm: []Check{ok}}}, "exactly one correct"},
		{Step{Cmds: run, Predict: &Predict{Question: "q", Choices: []Choice{{Text: "a", Why: "w", Correct: true}, {Text: "b"}}, Confirm: []Check{ok}}}, "choices[1].why"},
		{Step{Cmds: run, Predict: &Predict{Question: "q", Choices: []Choice{{Text: "a", Why: "w", Correct: true}, {Text: "b", Why: "w"}}}}, "predict.confirm"},
		{Step{Predict: &Predict{Question: "q", Choices: []Choice{{Text: "a", Why: "w", Correct: true}, {Text: "b", Why: "w"}}, Confirm: []Check{ok}}}, "something to observe"},
		{Step{Cmds: run, Predict: &Predict{Question: "", Choices: []Choice{{Text: "a", Why: "w", Correct: true}, {Text: "b", Why: "w"}}, Confirm: []Check{{Desc: "d"}}}}, "predict.confirm[0]"},
	}
	for _, tc := range cases {
		var got []string
		for _, m := range lintPredict(tc.st) {
			got = append(got, m.field+": "+m.msg)
		}
		if !strings.Contains(strings.Join(got, "\n"), tc.want) {
			t.Errorf("lintPredict = %q; want %q", got, tc.want)
		}
	}
	good := Step{Cmds: run, Predict: &Predict{Question: "q", Choices: []Choice{{Text: "a", Why: "w", Correct: true}, {Text: "b", Why: "w"}}, Confirm: []Check{ok}}}
	if m := lintPredict(good); len(m) > 0 {
		t.Errorf("lintPredict(good) = %v", m)
	}
	if good.Predict.Correct() != 0 || (*Predict)(nil).Correct() != -1 {
		t.Error("Correct() is wrong")
	}
}

// Every built-in lesson asks at least one prediction, in both languages.
func TestEveryLessonAsksAPrediction(t *testing.T) {
	lib, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range lib.IDs() {
		for _, lang := range lib.Languages(id) {
			l, _ := lib.Get(id, lang)
			n := 0
			for _, st := range l.Steps {
				if st.Predict != nil {
					n++
				}
			}
			if n == 0 {
				t.Errorf("%s/%s: no step asks a prediction", id, lang)
			}
		}
	}
}
