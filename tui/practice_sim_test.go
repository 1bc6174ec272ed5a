package tui

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// simCluster is the simulator as the player uses it (main's playerCluster, in small): checks
// against the step's baseline, and a run's output handed to the output checks.
type simCluster struct {
	*engine.Live
	base *lessons.Baselines
}

func (p simCluster) Evaluate(ctx context.Context, st lessons.Step) []lessons.CheckResult {
	return p.base.Evaluate(ctx, p.Session(), st)
}

func (p simCluster) Simulate(ctx context.Context, st lessons.Step) (string, error) {
	return lessons.RunSimulate(ctx, p.Session(), st)
}

func (p simCluster) StepStarted(st lessons.Step) { p.base.Enter(p.Session(), st) }

func (p simCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	line = p.base.Expand(line)
	var seen strings.Builder
	err := p.Live.RunKubectl(ctx, line, in, io.MultiWriter(out, &seen), io.MultiWriter(errOut, &seen))
	p.base.Ran(line, seen.String())
	return err
}

// TestPracticeStatefulSetBasicsOnSim plays the first steps of the built-in statefulset-basics
// lesson on the simulator (fake clock, auto-advanced) in practice mode, typing every command
// in the command bar and never pressing Enter to run: each step is done without help.
func TestPracticeStatefulSetBasicsOnSim(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	live, err := engine.NewLiveSim(ctx, engine.SimOptions{Fake: testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), AutoAdvance: true})
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	l, err := lessons.Get("statefulset-basics", "en")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Steps) < 3 || l.Steps[1].ID != "create" || l.Steps[2].ID != "ordered-creation" {
		t.Fatalf("statefulset-basics does not start intro, create, ordered-creation")
	}
	store := progress.Memory()
	store.Change(l.ID, func(r *progress.Lesson) { r.Mode = progress.ModePractice })
	c := simCluster{live, lessons.NewBaselines(ctx)}
	a := New(Options{Context: ctx, Cluster: c, Lessons: []lessons.Lesson{l}, Lang: "en", MarkdownStyle: "notty", Progress: store})
	openAndRun(t, a, 100, 30)
	v := a.lesson
	if !v.play.Practice() {
		t.Fatal("not in practice mode")
	}
	for step := 1; step <= 2; step++ {
		run(a, send(a, keyMsg("n")))
		if v.curStep() != step {
			t.Fatalf("on step %d, want %d", v.curStep()+1, step+1)
		}
		for _, cmd := range v.cur().Cmds {
			if cmd.NoRun {
				continue
			}
			typeInBar(t, a, cmd.Line)
			if err := live.Session().WaitIdle(ctx); err != nil {
				t.Fatal(err)
			}
		}
		run(a, v.evalNow())
		s := v.play.State(step)
		if !s.Done || s.Hints != 0 || s.Solution || s.Solved {
			t.Fatalf("step %s after typing its commands: %+v\n%s", v.cur().ID, s, a.View())
		}
		for i, cmd := range v.cur().Cmds {
			if !cmd.NoRun && !s.Ran[i] {
				t.Errorf("step %s: typed %q not counted", v.cur().ID, cmd.Line)
			}
		}
	}
	rec := store.Lesson(l.ID)
	for _, id := range []string{"intro", "create", "ordered-creation"} {
		if r := rec.Practice[id]; r == nil || !r.Done || r.WithHelp {
			t.Errorf("practice record of %s = %+v", id, r)
		}
	}
}
