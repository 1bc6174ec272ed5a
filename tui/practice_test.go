package tui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/tui/lessonstate"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// typeInBar opens the command bar, types line key by key and submits it, running what the
// bar starts until it reports back.
func typeInBar(t *testing.T, a *App, line string) {
	t.Helper()
	send(a, keyMsg(":"))
	for _, r := range line {
		send(a, keyMsg(string(r)))
	}
	run(a, send(a, keyMsg("enter")))
	// run stops at a depth; a command printing in many pieces is read on until it ends
	// (the bar's channel closes when it does, so this never waits forever).
	for i := 0; a.cmdbar.running && i < 1000; i++ {
		run(a, a.cmdbar.listen())
	}
	if a.cmdbar.running {
		t.Fatalf("%q still running", line)
	}
	send(a, keyMsg("esc")) // close the bar
}

// practiceApp opens the statefulset-basics test lesson in practice mode, chosen on the menu.
func practiceApp(t *testing.T) (*App, *fakeCluster, *progress.Store) {
	t.Helper()
	c := newFakeCluster()
	store := progress.Memory()
	a := newProgressApp(t, "en", c, store)
	send(a, tea.WindowSizeMsg{Width: 100, Height: 30})
	send(a, keyMsg("m")) // the menu's per-lesson mode switch
	if !store.Lesson("statefulset-basics").Practicing() {
		t.Fatal("m on the menu did not choose practice mode")
	}
	if !strings.Contains(a.View(), "✎ practice") {
		t.Fatalf("the menu does not show the mode:\n%s", a.View())
	}
	openAndRun(t, a, 100, 30)
	if !a.lesson.play.Practice() {
		t.Fatal("the lesson did not open in practice mode")
	}
	return a, c, store
}

// TestPracticeTypedInBar: in practice mode the step's commands are hidden, Enter runs
// nothing, and typing every command in the command bar does the steps, without help; the
// menu then shows the practice score beside the guided one.
func TestPracticeTypedInBar(t *testing.T) {
	a, c, store := practiceApp(t)
	run(a, send(a, keyMsg("n"))) // step 2: create
	v := a.lesson
	if strings.Contains(v.stepP.View(), "apply -f web.yaml") {
		t.Fatalf("practice mode shows the command:\n%s", a.View())
	}
	if !strings.Contains(v.stepP.View(), "$ kubectl …") {
		t.Fatalf("practice mode does not say a command is expected:\n%s", a.View())
	}
	if strings.Contains(a.View(), "Press Enter") || !strings.Contains(a.View(), "Type the command in the command bar") {
		t.Fatalf("the output pane does not say how to practise:\n%s", a.View())
	}
	run(a, send(a, keyMsg("enter")))
	if len(c.ran) != 0 || v.keys.Run.Enabled() {
		t.Fatalf("Enter ran %q in practice mode", c.ran)
	}
	typeInBar(t, a, "kubectl apply -f web.yaml")
	if s := v.play.State(1); !s.Ran[1] || s.Ran[2] {
		t.Fatalf("after apply: %+v", s)
	}
	typeInBar(t, a, "get   statefulset web") // the bar's own shorthand, spaces as typed
	s := v.play.State(1)
	if !s.Ran[2] || !s.Done || s.Hints != 0 {
		t.Fatalf("after typing both commands: %+v", s)
	}
	run(a, send(a, keyMsg("n"))) // step 3: pvc, no checks
	typeInBar(t, a, "kubectl get pvc -l app=nginx")
	if !v.play.State(2).Ran[0] {
		t.Fatal("typed pvc command not counted")
	}
	if got := strings.Join(c.ran, "|"); got != "kubectl apply -f web.yaml|kubectl get   statefulset web|kubectl get pvc -l app=nginx" {
		t.Fatalf("cluster ran %q", got)
	}
	rec := store.Lesson("statefulset-basics")
	for _, id := range []string{"intro", "create", "pvc"} {
		if r := rec.Practice[id]; r == nil || !r.Done || r.WithHelp {
			t.Fatalf("practice record of %s = %+v", id, r)
		}
	}
	if len(rec.Steps) != 0 {
		t.Fatalf("practice play wrote guided records: %v", rec.Steps)
	}
	send(a, keyMsg("esc"))
	send(a, backToMenuMsg{})
	if m := a.View(); !strings.Contains(m, "0/3 steps · ✎ practice 3/3") || strings.Contains(m, "with help") {
		t.Errorf("menu does not show both scores:\n%s", m)
	}
}

// TestPracticeHintMarksHelped: h reveals the verb, then the resource, then the command;
// a step done after any reveal counts as done with help.
func TestPracticeHintMarksHelped(t *testing.T) {
	a, _, store := practiceApp(t)
	run(a, send(a, keyMsg("n")))
	v := a.lesson
	run(a, send(a, keyMsg("h")))
	if p := v.stepP.View(); !strings.Contains(p, "$ kubectl apply …") || strings.Contains(p, "$ kubectl apply -f") {
		t.Fatalf("first hint does not show the verb alone:\n%s", p)
	}
	run(a, send(a, keyMsg("h")))
	run(a, send(a, keyMsg("h")))
	if p := v.stepP.View(); !strings.Contains(p, "$ kubectl apply -f web.yaml") || !strings.Contains(p, "$ kubectl get statefulset web") {
		t.Fatalf("third hint does not show the commands:\n%s", p)
	}
	if v.keys.Hint.Enabled() {
		t.Error("h still offered after the full command")
	}
	typeInBar(t, a, "kubectl apply -f web.yaml")
	typeInBar(t, a, "kubectl get statefulset web")
	r := store.Lesson("statefulset-basics").Practice["create"]
	if r == nil || !r.Done || !r.WithHelp || r.Hints != 3 {
		t.Fatalf("practice record = %+v", r)
	}
	send(a, keyMsg("esc"))
	send(a, backToMenuMsg{})
	if m := a.View(); !strings.Contains(m, "✎ practice 2/3 (1 with help)") {
		t.Errorf("menu does not count the helped step:\n%s", m)
	}
}

func TestReveal(t *testing.T) {
	for _, c := range []struct {
		line  string
		level int
		want  string
	}{
		{"kubectl delete pod web-0", 0, "kubectl …"},
		{"kubectl delete pod web-0", 1, "kubectl delete …"},
		{"kubectl delete pod web-0", 2, "kubectl delete pod …"},
		{"kubectl delete pod web-0", 3, "kubectl delete pod web-0"},
		{"kubectl get pods -w -l app=nginx", 2, "kubectl get pods …"},
		{"kubectl apply -f web.yaml", 2, "kubectl apply -f web.yaml"},
		{"kubectl", 1, "kubectl"},
	} {
		if got := lessonstate.Reveal(c.line, c.level); got != c.want {
			t.Errorf("Reveal(%q, %d) = %q, want %q", c.line, c.level, got, c.want)
		}
	}
}

// TestDemoIgnoresPracticeMode: the demo runs the commands itself, so a lesson the learner
// practises still plays guided in the demo, its commands shown.
func TestDemoIgnoresPracticeMode(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	store.Change("statefulset-basics", func(l *progress.Lesson) { l.Mode = progress.ModePractice })
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Demo: "statefulset-basics", Progress: store})
	a.demoTick = func(int64) tea.Cmd { return nil }
	send(a, tea.WindowSizeMsg{Width: 100, Height: 30})
	run(a, send(a, a.Init()()))
	if a.lesson == nil || a.lesson.play.Practice() {
		t.Fatal("the demo opened in practice mode")
	}
}

// TestResetLessonKeepsPracticeMode: R forgets the practice record but not the learner's
// choice of mode, so the lesson still opens (and records) in practice mode.
func TestResetLessonKeepsPracticeMode(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	store.Change("statefulset-basics", func(l *progress.Lesson) { l.Mode = progress.ModePractice })
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: store, Reset: func(context.Context) error { return nil }})
	openAndRun(t, a, 80, 24)
	run(a, send(a, keyMsg("n")))
	typeInBar(t, a, "kubectl apply -f web.yaml")
	if r := store.Lesson("statefulset-basics").Practice["create"]; r == nil || !r.Done {
		t.Fatalf("setup: practice record %+v", r)
	}
	run(a, send(a, keyMsg("R")))
	confirm(t, a)
	rec := store.Lesson("statefulset-basics")
	if !rec.Practicing() || rec.Practice["create"] != nil || !a.lesson.play.Practice() {
		t.Fatalf("after R: record %+v, practice %v", rec, a.lesson.play.Practice())
	}
}
