package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/kubetutor/kubetutor/engine"
)

// TestFlowRunStepUntilDone plays a step as a learner would: open the lesson, go to the step,
// run its command, see the output, the pods in the watch pane and the step marked done.
func TestFlowRunStepUntilDone(t *testing.T) {
	c := newFakeCluster()
	c.onRun = func(line string) {
		if line != "kubectl apply -f web.yaml" {
			return
		}
		w := c.lastWatch()
		for _, ev := range []engine.TableEvent{
			podEvent("ADDED", "web-0", "0/1", "Pending", "0s"),
			podEvent("MODIFIED", "web-0", "0/1", "ContainerCreating", "0s"),
			podEvent("MODIFIED", "web-0", "1/1", "Running", "2s"),
		} {
			select {
			case w.ch <- ev:
			case <-w.ctx.Done():
				return
			}
		}
	}
	a := newTestApp("en", c)
	tm := teatest.NewTestModel(t, a, teatest.WithInitialTermSize(100, 30))
	t.Cleanup(func() { _ = tm.Quit() })

	waitFor := func(what ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, s := range what {
				if !bytes.Contains(b, []byte(s)) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}

	waitFor("StatefulSet Basics", "beginner")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor("Step 1/3: What a StatefulSet promises")
	tm.Type("n")
	waitFor("Step 2/3", "No resources found.", "apply -f web.yaml")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor("statefulset.apps/web created", "Running", "✓ done")
	tm.Type("q")

	fm := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))
	app, ok := fm.(*App)
	if !ok {
		t.Fatalf("final model is %T", fm)
	}
	v := app.lesson
	if v == nil || v.play.Step() != 1 {
		t.Fatalf("not on step 2 at the end")
	}
	if !v.play.State(1).Done || !v.play.State(1).Ran[1] {
		t.Errorf("step state = %+v", v.play.State(1))
	}
	if got := v.watchP.rows["web-0"]; len(got) < 3 || got[2] != "Running" {
		t.Errorf("web-0 row = %v", got)
	}
	if v.ctx.Err() == nil {
		t.Error("lesson jobs still running after quit")
	}
	golden(t, "flow-final-100x30", app.View())
}
