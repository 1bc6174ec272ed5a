package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// TestDemoPlaysByItself: kubetutor demo opens the lesson, types each command, runs it,
// waits for the step's checks, pauses, and goes on; space pauses and → skips. Ticks are
// fed by the test, so nothing waits on a timer.
func TestDemoPlaysByItself(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Demo: "statefulset-basics", Progress: store})
	a.demoTick = func(int64) tea.Cmd { return nil }
	send(a, tea.WindowSizeMsg{Width: 100, Height: 30})
	start := a.Init()
	if start == nil {
		t.Fatal("demo does not open its lesson")
	}
	run(a, send(a, start()))
	v := a.lesson
	if v == nil || v.demo == nil {
		t.Fatal("no demo running")
	}
	tick := func(n int) {
		for i := 0; i < n; i++ {
			run(a, send(a, demoTickMsg{gen: v.gen}))
		}
	}
	// Step 1 has no commands and no checks: after its pause the demo moves on.
	tick(demoStepTicks + 2)
	if v.play.Step() != 1 {
		t.Fatalf("demo on step %d, want 2", v.play.Step()+1)
	}
	tick(5)
	typed := v.outP.label
	if !strings.HasPrefix(typed, "$ kub") || !strings.HasSuffix(typed, "▌") {
		t.Fatalf("command not being typed:\n%s", a.View())
	}
	send(a, keyMsg(" "))
	tick(50)
	if v.outP.label != typed || !strings.Contains(v.statusView(), "demo paused") {
		t.Fatalf("space did not pause the demo:\n%s", a.View())
	}
	send(a, keyMsg(" "))
	tick(len("kubectl apply -f web.yaml") + 2)
	c.mu.Lock()
	ran := strings.Join(c.ran, "|")
	c.mu.Unlock()
	if ran != "kubectl apply -f web.yaml" {
		t.Fatalf("demo ran %q", ran)
	}
	tick(demoReadTicks + len("kubectl get statefulset web") + 4)
	if !v.play.State(1).Ran[2] {
		t.Fatal("second command not run")
	}
	tick(demoReadTicks + demoStepTicks + 4)
	if v.play.Step() != 2 {
		t.Fatalf("demo did not go on after the checks held: step %d", v.play.Step()+1)
	}
	run(a, send(a, keyMsg("left"))) // the demo asks the view for the step (demoGoMsg)
	if v.play.Step() != 1 {
		t.Errorf("← did not go back: step %d", v.play.Step()+1)
	}
	if len(store.Lesson("statefulset-basics").Steps) != 0 {
		t.Error("the demo changed the learner's progress")
	}
	send(a, keyMsg("?"))
	if h := a.helpView(); !strings.Contains(h, "space") || !strings.Contains(h, "← →") {
		t.Errorf("demo keys missing from help:\n%s", h)
	}
}

// TestPresentLayout: --present drops the output pane and gives the step a heading.
func TestPresentLayout(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {200, 50}} {
		c := newFakeCluster()
		a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
			Lang: "en", MarkdownStyle: "notty", Present: true})
		openAndRun(t, a, size[0], size[1])
		v := a.View()
		assertFrame(t, v, size[0], size[1])
		if strings.Contains(v, "Output") {
			t.Errorf("%v: output pane shown in the presenter layout:\n%s", size, v)
		}
		lines := strings.Split(v, "\n")
		if !strings.Contains(lines[0], "Step 1/3: What a StatefulSet promises") || !strings.Contains(lines[1], "━━━") {
			t.Errorf("%v: no heading:\n%s", size, v)
		}
	}
}

// TestPlainMode: the line-by-line player lists lessons with progress, shows a step as plain
// text, runs commands, reports checks, shows hints then the solution, and saves progress.
func TestPlainMode(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	ls := quizLessons("en")
	in := strings.NewReader(strings.Join([]string{"7", "1", "n", "h", "h", "h", "", "", "n", "n", "2", "1", "q"}, "\n") + "\n")
	var out strings.Builder
	err := RunPlain(context.Background(), Options{Cluster: c, Evaluate: c.evaluator(), Lessons: ls, Lang: "en", Progress: store}, in, &out)
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"1. StatefulSet Basics (beginner, 35 min, not started)",
		"Not understood.",
		"Step 1/3: What a StatefulSet promises",
		"Step 2/3: Create the Service and the StatefulSet",
		"  $ kubectl get pods -w -l app=nginx  (shown, not run here",
		"The manifest web.yaml holds a headless Service nginx",
		"Next command: kubectl apply -f web.yaml",
		"Hint 1/2: The manifests are built in",
		"Solution: Run these commands",
		"$ kubectl apply -f web.yaml\nservice/nginx created",
		"✓ The StatefulSet web exists",
		"✓ done",
		"Quiz 1/2: When is web-1 created?",
		"Right. OrderedReady waits.",
		"Not quite. Claims are kept.",
		"Quiz: 1 of 2 right on the first try.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plain output lacks %q", want)
		}
	}
	if strings.Contains(got, "\x1b[") {
		t.Error("plain output has escape sequences")
	}
	r := store.Lesson("statefulset-basics")
	if s := r.Steps["intro"]; s == nil || !s.Done {
		t.Errorf("step without checks not done: %+v", s)
	}
	if s := r.Steps["create"]; s == nil || !s.Done || !s.WithHelp || r.Quiz[0].Correct != true {
		t.Errorf("progress = %+v %+v", s, r.Quiz)
	}
	if t.Failed() {
		t.Log(got)
	}
}

var _ = lessons.Lesson{}
