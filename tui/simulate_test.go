package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// A step with a simulate field has the simulator act once when the learner reaches it (the
// node-failure lesson's "cut the node off"), and the output pane says what it did.
func TestSimulateRunsOnceWhenStepEntered(t *testing.T) {
	c := newFakeCluster()
	var calls []string
	ls := testLessons("en")
	ls[0].Steps[1].Simulate = &lessons.Simulate{FailNodeOf: "web-0"}
	a := New(Options{
		Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: ls,
		Lang: "en", MarkdownStyle: "notty", Progress: progress.Memory(),
		Simulate: func(_ context.Context, st lessons.Step) (string, error) {
			calls = append(calls, st.ID)
			return "The simulator cut sim-node-1 off the network.", nil
		},
	})
	openAndRun(t, a, 100, 30)
	if len(calls) != 0 {
		t.Fatalf("simulate ran on step 1: %v", calls)
	}
	run(a, send(a, keyMsg("n")))
	if len(calls) != 1 || calls[0] != ls[0].Steps[1].ID {
		t.Fatalf("calls after entering step 2: %v", calls)
	}
	if v := a.View(); !strings.Contains(v, "cut sim-node-1 off") {
		t.Errorf("output pane does not say what the simulator did:\n%s", v)
	}
	run(a, send(a, keyMsg("p")))
	run(a, send(a, keyMsg("n")))
	if len(calls) != 1 {
		t.Errorf("simulate ran again on re-entry: %v", calls)
	}
}
