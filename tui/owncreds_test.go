package tui

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// ownCredsCluster is a real cluster as the lesson's ServiceAccount sees it: the guard refuses
// cordon with GuardError.OwnCredentials, and RunKubectlAsLearner (tui.LearnerRunner) runs it.
type ownCredsCluster struct {
	*fakeCluster
	mu      sync.Mutex
	learner []string // lines run with the learner's own credentials
}

func newOwnCredsCluster() *ownCredsCluster {
	f := newFakeCluster()
	f.real = true
	f.outputs["kubectl get pods"] = "NAME    READY   STATUS    RESTARTS   AGE\n"
	return &ownCredsCluster{fakeCluster: f}
}

func (c *ownCredsCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	if strings.HasPrefix(line, "kubectl cordon") {
		c.fakeCluster.mu.Lock()
		c.fakeCluster.ran = append(c.fakeCluster.ran, line)
		c.fakeCluster.mu.Unlock()
		return &engine.GuardError{OwnCredentials: true,
			Reason: "kubectl cordon changes cluster-wide objects (nodes, certificates) that the whole cluster shares; the lesson's ServiceAccount may not"}
	}
	return c.fakeCluster.RunKubectl(ctx, line, in, out, errOut)
}

func (c *ownCredsCluster) RunKubectlAsLearner(_ context.Context, line string, _ io.Reader, out, _ io.Writer) error {
	c.mu.Lock()
	c.learner = append(c.learner, line)
	c.mu.Unlock()
	io.WriteString(out, "node/node-1 cordoned\n")
	return nil
}

func (c *ownCredsCluster) learnerRan() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.learner)
}

func (c *ownCredsCluster) ranLines() []string {
	c.fakeCluster.mu.Lock()
	defer c.fakeCluster.mu.Unlock()
	return slices.Clone(c.fakeCluster.ran)
}

var _ LearnerRunner = (*ownCredsCluster)(nil)

func cordonLessons() []lessons.Lesson {
	return []lessons.Lesson{{
		ID: "drain", Lang: "en", Title: "Draining a node", Level: "advanced", Minutes: 10,
		Steps: []lessons.Step{{ID: "cordon", Title: "Cordon the node", Goal: "Stop scheduling on node-1.",
			Commands: []string{"kubectl cordon node-1", "kubectl get pods"}}},
	}}
}

func ownCredsApp(c *ownCredsCluster) *App {
	return New(Options{Context: context.Background(), Cluster: c, Lessons: cordonLessons(),
		Lang: "en", MarkdownStyle: "notty", Progress: progress.Memory()})
}

// TestOwnCredsAskedForStepCommand (issue 12, item 1): a step command the guard refuses for
// the lesson's ServiceAccount is offered as a y/N question; y runs that one command with the
// learner's own credentials and counts it as run.
func TestOwnCredsAskedForStepCommand(t *testing.T) {
	c := newOwnCredsCluster()
	a := ownCredsApp(c)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("enter")))
	if a.lesson.ask == nil || !strings.Contains(a.View(), "with your own credentials") {
		t.Fatalf("no question after the guard refused cordon:\n%s", a.View())
	}
	if got := c.learnerRan(); len(got) != 0 {
		t.Fatalf("ran with the learner's credentials before y: %q", got)
	}
	run(a, send(a, keyMsg("y")))
	if got := c.learnerRan(); !slices.Equal(got, []string{"kubectl cordon node-1"}) {
		t.Fatalf("y ran %q with the learner's credentials, want the cordon line", got)
	}
	if a.lesson.ask != nil || a.lesson.nextCmd() != 1 {
		t.Errorf("after y: question open %v, next command %d (want 1)", a.lesson.ask != nil, a.lesson.nextCmd())
	}
	if !strings.Contains(a.View(), "node/node-1 cordoned") {
		t.Errorf("the learner-run output is not shown:\n%s", a.View())
	}
}

// TestOwnCredsNoSkips: any other key skips the command with the explanation and runs nothing
// with the learner's credentials; under s the step goes on with its next command.
func TestOwnCredsNoSkips(t *testing.T) {
	c := newOwnCredsCluster()
	a := ownCredsApp(c)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("s")))
	if a.lesson.ask == nil {
		t.Fatalf("s: no question after the guard refused cordon:\n%s", a.View())
	}
	run(a, send(a, keyMsg("n")))
	if got := c.learnerRan(); len(got) != 0 {
		t.Fatalf("n ran %q with the learner's credentials", got)
	}
	if out, _ := a.lesson.outP.content(); !strings.Contains(out, "Skipped `kubectl cordon node-1`") {
		t.Errorf("no explanation of the skip in the output pane:\n%s", out)
	}
	if got := c.ranLines(); !slices.Equal(got, []string{"kubectl cordon node-1", "kubectl get pods"}) {
		t.Errorf("s after the skip ran %q, want cordon refused then get pods", got)
	}
	if a.lesson.nextCmd() != -1 {
		t.Errorf("after s and a skip, next command %d, want none", a.lesson.nextCmd())
	}
}

// TestOwnCredsCommandBar: the same question in the command bar; y runs the line as the
// learner, n runs nothing more and says why.
func TestOwnCredsCommandBar(t *testing.T) {
	for _, answer := range []string{"y", "n"} {
		t.Run(answer, func(t *testing.T) {
			c := newOwnCredsCluster()
			b := newTestBar(c)
			b.handle(keyRunes(":"))
			typeInto(b, "cordon node-1")
			cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyEnter})
			drive(t, b, cmd, nil)
			out := strings.Join(b.lines, "\n")
			if b.ask == nil || !strings.Contains(out, "Run it with your own credentials, this once? [y/N]") {
				t.Fatalf("no question in the bar:\n%s", out)
			}
			cmd, _ = b.handle(keyRunes(answer))
			drive(t, b, cmd, nil)
			out = strings.Join(b.lines, "\n")
			got := c.learnerRan()
			if answer == "y" {
				if !slices.Equal(got, []string{"kubectl cordon node-1"}) || !strings.Contains(out, "node/node-1 cordoned") {
					t.Errorf("y: learner ran %q; bar:\n%s", got, out)
				}
				return
			}
			if len(got) != 0 || !strings.Contains(out, "Skipped `kubectl cordon node-1`") {
				t.Errorf("n: learner ran %q; bar:\n%s", got, out)
			}
			if b.ask != nil || b.input.Value() != "" {
				t.Errorf("n: the answer leaked into the bar (ask %v, input %q)", b.ask != nil, b.input.Value())
			}
		})
	}
}

// TestOwnCredsPlain: --plain asks the same question on its own line.
func TestOwnCredsPlain(t *testing.T) {
	for _, answer := range []string{"y", "n"} {
		t.Run(answer, func(t *testing.T) {
			c := newOwnCredsCluster()
			var out bytes.Buffer
			in := strings.NewReader("1\n\n" + answer + "\n\nq\n")
			err := runPlain(context.Background(), Options{Cluster: c, Lessons: cordonLessons(), Lang: "en",
				MarkdownStyle: "notty", Progress: progress.Memory()}, in, &out, 80)
			if err != nil {
				t.Fatal(err)
			}
			got := out.String()
			if !strings.Contains(got, "Run it with your own credentials, this once? [y/N] "+answer) {
				t.Fatalf("no question in the transcript:\n%s", got)
			}
			learner := c.learnerRan()
			if answer == "y" {
				if !slices.Equal(learner, []string{"kubectl cordon node-1"}) || !strings.Contains(got, "node/node-1 cordoned") {
					t.Errorf("y: learner ran %q:\n%s", learner, got)
				}
			} else if len(learner) != 0 || !strings.Contains(got, "Skipped `kubectl cordon node-1`") {
				t.Errorf("n: learner ran %q:\n%s", learner, got)
			}
			// Either way the next Enter runs the step's next command.
			if ran := c.ranLines(); !slices.Contains(ran, "kubectl get pods") {
				t.Errorf("the next Enter did not move on to get pods: ran %q\n%s", ran, got)
			}
		})
	}
}
