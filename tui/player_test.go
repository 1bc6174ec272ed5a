package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// resetApp is a player on a fake simulator whose Reset empties it, counting resets.
func resetApp(t *testing.T, c *fakeCluster, resets *int) *App {
	t.Helper()
	return New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: progress.Memory(), Reset: func(context.Context) error {
			*resets++
			c.mu.Lock()
			c.ran, c.applied = nil, false
			c.mu.Unlock()
			return nil
		}})
}

// TestResetClearsEveryStepsRuns (issue 13, item 2): run step 2's commands, go back to step 1
// and press r: on the fresh simulator step 2 shows none of its commands as run, Enter runs
// its first one again, and s runs all of them.
func TestResetClearsEveryStepsRuns(t *testing.T) {
	c := newFakeCluster()
	resets := 0
	a := resetApp(t, c, &resets)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("enter")))
	if st := a.lesson.play.State(1); !st.Ran[1] || !st.Ran[2] {
		t.Fatalf("setup: step 2 state %+v", st)
	}
	run(a, send(a, keyMsg("p")))
	run(a, send(a, keyMsg("r")))
	if resets != 1 || a.lesson.replaying {
		t.Fatalf("r did not reset: resets=%d replaying=%v", resets, a.lesson.replaying)
	}
	run(a, send(a, keyMsg("n")))
	st := a.lesson.play.State(1)
	if st.Ran[1] || st.Ran[2] {
		t.Fatalf("step 2 still shows its commands as run on the fresh simulator: %+v", st)
	}
	if v := a.View(); strings.Contains(v, "✓ $ kubectl apply") || !strings.Contains(v, "▶ $ kubectl apply -f web.yaml") {
		t.Errorf("step 2 view after reset:\n%s", v)
	}
	c.mu.Lock()
	c.ran = nil
	c.mu.Unlock()
	run(a, send(a, keyMsg("s")))
	c.mu.Lock()
	ran := strings.Join(c.ran, " | ")
	c.mu.Unlock()
	if ran != "kubectl apply -f web.yaml | kubectl get statefulset web" {
		t.Errorf("s ran %q, want the whole step", ran)
	}
}

// confirm answers y to a question the player asks, failing when none is asked.
func confirm(t *testing.T, a *App) {
	t.Helper()
	if a.lesson == nil || a.lesson.ask == nil {
		t.Fatalf("no question asked:\n%s", a.View())
	}
	run(a, send(a, keyMsg("y")))
}
