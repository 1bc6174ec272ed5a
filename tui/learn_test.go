package tui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// run plays the runtime for one Cmd: it runs it and feeds back every message it produces
// (batches included), recursively, up to a depth, skipping ticks and long-lived waits.
func run(a *App, cmd tea.Cmd) {
	runDepth(a, cmd, 0)
}

func runDepth(a *App, cmd tea.Cmd, depth int) {
	if cmd == nil || depth > 8 {
		return
	}
	msg := cmd()
	switch m := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, c := range m {
			runDepth(a, c, depth+1)
		}
	case tickMsg, watchRetryMsg, watchStartedMsg, watchBatchMsg, objWatchStartedMsg, objBatchMsg:
		// Ticks and watches are driven by the tests themselves.
	default:
		runDepth(a, send(a, msg), depth+1)
	}
}

func newProgressApp(t *testing.T, lang string, c *fakeCluster, store *progress.Store) *App {
	t.Helper()
	return New(Options{
		Context:       context.Background(),
		Cluster:       c,
		Evaluate:      c.evaluator(),
		Lessons:       testLessons(lang),
		Lang:          lang,
		MarkdownStyle: "notty",
		Progress:      store,
		LessonsFor:    testLessons,
	})
}

// ticklessCmd drops tick Cmds from a Batch: run cannot wait out a tea.Tick.
func openAndRun(t *testing.T, a *App, w, h int) {
	t.Helper()
	send(a, tea.WindowSizeMsg{Width: w, Height: h})
	start := send(a, keyMsg("enter"))
	init := send(a, start())
	run(a, init)
}

// TestProgressSavedAndResumed: finishing steps is saved to the file as it happens; a new
// player shows it in the menu and resumes at the step left, after replaying the earlier
// steps' commands to reach that step's starting state.
func TestProgressSavedAndResumed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	store, warn, err := progress.Open(path)
	if err != nil || warn != "" {
		t.Fatal(err, warn)
	}
	c := newFakeCluster()
	a := newProgressApp(t, "en", c, store)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter"))) // kubectl apply -f web.yaml
	run(a, send(a, keyMsg("enter"))) // kubectl get statefulset web
	if !a.lesson.play.State(1).Done {
		t.Fatal("step 2 not done after its commands")
	}
	run(a, send(a, keyMsg("n")))

	// A fresh player on the saved file.
	store2, warn, err := progress.Open(path)
	if err != nil || warn != "" {
		t.Fatal(err, warn)
	}
	rec := store2.Lesson("statefulset-basics")
	if rec.Step != "pvc" || !rec.Steps["intro"].Done || !rec.Steps["create"].Done || rec.Steps["create"].WithHelp {
		t.Fatalf("saved record = %+v", rec)
	}
	c2 := newFakeCluster()
	b := newProgressApp(t, "en", c2, store2)
	send(b, tea.WindowSizeMsg{Width: 100, Height: 30})
	// Step 3 has no checks: reading it did it.
	if v := b.View(); !strings.Contains(v, "3/3 steps · ✓ complete") {
		t.Fatalf("menu lacks the progress:\n%s", v)
	}
	start := send(b, keyMsg("enter"))
	init := send(b, start())
	if !b.lesson.replaying || b.lesson.keys.Run.Enabled() {
		t.Fatal("resuming at step 3 does not replay the earlier steps first")
	}
	run(b, init)
	if b.lesson.play.Step() != 2 || b.lesson.replaying {
		t.Fatalf("resumed at step %d (replaying %v), want 3", b.lesson.play.Step()+1, b.lesson.replaying)
	}
	c2.mu.Lock()
	ran := strings.Join(c2.ran, "|")
	c2.mu.Unlock()
	if ran != "kubectl apply -f web.yaml|kubectl get statefulset web" {
		t.Errorf("replayed %q", ran)
	}
	if c2.sim.Speed() != 2 || c2.sim.Paused() {
		t.Errorf("replay left speed %g paused %v", c2.sim.Speed(), c2.sim.Paused())
	}
	if !b.lesson.play.State(1).Done || !strings.Contains(b.lesson.statusView(), "step 3/3") {
		t.Errorf("resumed state: %+v status %q", b.lesson.play.State(1), b.lesson.statusView())
	}
}

// TestSolveRunsTheSolutionAndCountsAsHelp: s runs every remaining command of the step and
// the menu says the step was done with help.
func TestSolveRunsTheSolutionAndCountsAsHelp(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	a := newProgressApp(t, "en", c, store)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	if !a.lesson.lk.Solve.Enabled() {
		t.Fatal("s disabled on a step with commands")
	}
	run(a, send(a, keyMsg("s")))
	c.mu.Lock()
	ran := strings.Join(c.ran, "|")
	c.mu.Unlock()
	if ran != "kubectl apply -f web.yaml|kubectl get statefulset web" {
		t.Fatalf("s ran %q", ran)
	}
	v := a.lesson
	if !v.play.State(1).Done || !v.play.State(1).Solved || v.solving || v.lk.Solve.Enabled() {
		t.Fatalf("after s: %+v solving=%v", v.play.State(1), v.solving)
	}
	if !strings.Contains(a.View(), "Solution") {
		t.Error("s does not show the solution it ran")
	}
	rec := store.Lesson("statefulset-basics")
	if r := rec.Steps["create"]; r == nil || !r.Done || !r.WithHelp || !r.Solved {
		t.Fatalf("record = %+v", r)
	}
	send(a, keyMsg("esc"))
	send(a, backToMenuMsg{})
	if m := a.View(); !strings.Contains(m, "2/3 steps (1 with help)") {
		t.Errorf("menu does not say the step needed help:\n%s", m)
	}
}

// TestHelpAfterDoneIsNotCounted: a hint read after the step was done does not turn it into
// a step done with help.
func TestHelpAfterDoneIsNotCounted(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	a := newProgressApp(t, "en", c, store)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("h")))
	if r := store.Lesson("statefulset-basics").Steps["create"]; !r.Done || r.WithHelp || r.Hints != 1 {
		t.Fatalf("record = %+v", r)
	}
}

func quizLessons(lang string) []lessons.Lesson {
	ls := testLessons(lang)
	ls[0].Quiz = []lessons.Question{
		{Question: "When is web-1 created?", Choices: []lessons.Choice{
			{Text: "With web-0.", Why: "That is Parallel."},
			{Text: "After web-0 is Ready.", Correct: true, Why: "OrderedReady waits."},
		}},
		{Question: "How many claims after scaling 5 to 3?", Choices: []lessons.Choice{
			{Text: "3", Why: "Claims are kept."},
			{Text: "5", Correct: true, Why: "They stay for the pods to come back."},
		}},
	}
	return ls
}

// TestQuizChooseAndExplain: after the last step n opens the quiz; arrows choose, Enter
// answers and says why; the first answer is what is recorded.
func TestQuizChooseAndExplain(t *testing.T) {
	c := newFakeCluster()
	store := progress.Memory()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: store})
	openAndRun(t, a, 80, 24)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("n")))
	if !a.lesson.keys.Next.Enabled() {
		t.Fatal("n disabled on the last step of a lesson with a quiz")
	}
	run(a, send(a, keyMsg("n")))
	if a.lesson.quiz == nil || !strings.Contains(a.View(), "When is web-1 created?") {
		t.Fatalf("quiz not shown:\n%s", a.View())
	}
	assertFrame(t, a.View(), 80, 24)
	run(a, send(a, keyMsg("enter"))) // the first choice: wrong
	if v := a.View(); !strings.Contains(v, "Not quite. That is Parallel.") || !strings.Contains(v, "✗ With web-0.") {
		t.Fatalf("wrong answer not explained:\n%s", v)
	}
	run(a, send(a, keyMsg("down")))
	run(a, send(a, keyMsg("enter")))
	if v := a.View(); !strings.Contains(v, "Right. OrderedReady waits.") {
		t.Fatalf("right answer not explained:\n%s", v)
	}
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("down")))
	run(a, send(a, keyMsg("enter")))
	if v := a.View(); !strings.Contains(v, "Quiz: 1 of 2 right.") {
		t.Fatalf("no score after the last answer:\n%s", v)
	}
	rec := store.Lesson("statefulset-basics")
	if rec.Quiz[0] != (progress.Answer{Choice: 0}) || rec.Quiz[1] != (progress.Answer{Choice: 1, Correct: true}) {
		t.Errorf("recorded answers = %+v", rec.Quiz)
	}
	run(a, send(a, keyMsg("p")))
	if a.lesson.quiz != nil || a.lesson.play.Step() != 2 {
		t.Error("p does not go back to the steps")
	}
}

// TestLangSwitchKeepsStep: L switches the frame and the lesson to Korean on the same step,
// and back.
func TestLangSwitchKeepsStep(t *testing.T) {
	c := newFakeCluster()
	a := newProgressApp(t, "en", c, progress.Memory())
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("h")))
	send(a, keyMsg("L"))
	v := a.View()
	if a.lesson.play.Step() != 1 || !strings.Contains(v, "2/3단계: 서비스와 스테이트풀셋 만들기") || !strings.Contains(v, "힌트 1/2") {
		t.Fatalf("after L:\n%s", v)
	}
	assertFrame(t, v, 100, 30)
	send(a, keyMsg("L"))
	if !strings.Contains(a.View(), "Step 2/3: Create the Service") {
		t.Fatalf("after L L:\n%s", a.View())
	}
	send(a, keyMsg("esc"))
	send(a, backToMenuMsg{})
	send(a, keyMsg("L"))
	if !strings.Contains(a.View(), "스테이트풀셋 기초") {
		t.Errorf("menu not switched:\n%s", a.View())
	}
}

// TestTimeControl: space pauses and resumes, . steps one action while paused, - and +
// change the speed, all shown in the status line; on a real cluster the keys are disabled
// and the help and the output pane say why.
func TestTimeControl(t *testing.T) {
	c := newFakeCluster()
	a := newProgressApp(t, "en", c, progress.Memory())
	openAndRun(t, a, 120, 30)
	v := a.lesson
	if v.lk.StepOnce.Enabled() {
		t.Error(". enabled while running")
	}
	send(a, keyMsg(" "))
	if !c.sim.Paused() || !strings.Contains(v.statusView(), "paused") || !v.lk.StepOnce.Enabled() {
		t.Fatalf("space: paused=%v status %q", c.sim.Paused(), v.statusView())
	}
	c.sim.queued = 1
	run(a, send(a, keyMsg(".")))
	if c.sim.steps != 1 || !strings.Contains(a.View(), "one controller action ran") {
		t.Fatalf(". : steps=%d\n%s", c.sim.steps, a.View())
	}
	run(a, send(a, keyMsg(".")))
	if !strings.Contains(a.View(), "nothing pending") {
		t.Errorf(". with nothing queued:\n%s", a.View())
	}
	send(a, keyMsg("+"))
	if c.sim.Speed() != 4 || !strings.Contains(v.statusView(), "speed 4×") {
		t.Errorf("+: speed %g status %q", c.sim.Speed(), v.statusView())
	}
	send(a, keyMsg("-"))
	send(a, keyMsg("-"))
	if c.sim.Speed() != 1 {
		t.Errorf("- -: speed %g", c.sim.Speed())
	}
	send(a, keyMsg(" "))
	if c.sim.Paused() {
		t.Error("space did not resume")
	}

	r := newFakeCluster()
	r.real = true
	b := newProgressApp(t, "en", r, progress.Memory())
	openAndRun(t, b, 120, 30)
	lk := b.lesson.lk
	if lk.Pause.Enabled() || lk.StepOnce.Enabled() || lk.Faster.Enabled() || !lk.TimeReal.Enabled() {
		t.Fatal("time keys enabled on a real cluster")
	}
	send(b, keyMsg("?"))
	if !strings.Contains(b.View(), "time, resets: simulator only") {
		t.Errorf("help does not say why time keys are missing:\n%s", b.View())
	}
	send(b, keyMsg(" "))
	if !strings.Contains(b.lesson.statusView(), "real time") {
		t.Errorf("space on a real cluster says nothing: %q", b.lesson.statusView())
	}
	send(b, keyMsg("R"))
	if !strings.Contains(strings.Join(strings.Fields(b.lesson.statusView()), " "), "resets (r, R) work only on the simulator") {
		t.Errorf("R on a real cluster does not say why: %q", b.lesson.statusView())
	}
}

func obj(kind, name string, fields map[string]any) unstructured.Unstructured {
	o := map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": name}}
	for k, v := range fields {
		o[k] = v
	}
	return unstructured.Unstructured{Object: o}
}

// TestWatchViews: v cycles the watch pane through the StatefulSet picture, volumes,
// events (the simulator's marked) and status fields.
func TestWatchViews(t *testing.T) {
	set := obj("StatefulSet", "web", map[string]any{
		"spec": map[string]any{"replicas": int64(3), "updateStrategy": map[string]any{"type": "RollingUpdate",
			"rollingUpdate": map[string]any{"partition": int64(2)}},
			"volumeClaimTemplates": []any{map[string]any{"metadata": map[string]any{"name": "www"}}}},
		"status": map[string]any{"readyReplicas": int64(2), "currentRevision": "web-aaa", "updateRevision": "web-bbb"},
	})
	pod := func(name, rev string, ready bool) unstructured.Unstructured {
		st := "False"
		if ready {
			st = "True"
		}
		p := obj("Pod", name, map[string]any{"status": map[string]any{"phase": "Running",
			"conditions": []any{map[string]any{"type": "Ready", "status": st}}}})
		p.SetLabels(map[string]string{"controller-revision-hash": rev})
		return p
	}
	pvc := func(name, phase string) unstructured.Unstructured {
		return obj("PersistentVolumeClaim", name, map[string]any{"status": map[string]any{"phase": phase},
			"spec": map[string]any{"volumeName": "pv-" + name}})
	}
	list := func(ctx context.Context, resource, selector string) ([]unstructured.Unstructured, error) {
		switch resource {
		case "statefulsets":
			return []unstructured.Unstructured{set}, nil
		case "pods":
			return []unstructured.Unstructured{pod("web-0", "web-aaa", true), pod("web-1", "web-aaa", true), pod("web-2", "web-bbb", false)}, nil
		case "persistentvolumeclaims":
			return []unstructured.Unstructured{pvc("www-web-0", "Bound"), pvc("www-web-1", "Bound"), pvc("www-web-2", "Pending")}, nil
		case "persistentvolumes":
			return []unstructured.Unstructured{obj("PersistentVolume", "pv-www-web-0", map[string]any{
				"spec":   map[string]any{"claimRef": map[string]any{"name": "www-web-0"}, "persistentVolumeReclaimPolicy": "Delete"},
				"status": map[string]any{"phase": "Bound"}})}, nil
		}
		return nil, nil
	}
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty", List: list})
	openAndRun(t, a, 200, 50)
	w := a.lesson.watchP

	run(a, send(a, keyMsg("v")))
	view := a.View()
	for _, want := range []string{"Watch: StatefulSet (v)", "web · 2/3 ready · rev bbb · partition 2", "web-0", "web-2",
		"rev aaa", "rev bbb ★", "pvc Bound", "pvc Pending", "▲ partition", "Running ✓"} {
		if !strings.Contains(view, want) {
			t.Errorf("StatefulSet picture lacks %q:\n%s", want, view)
		}
	}
	assertFrame(t, view, 200, 50)

	run(a, send(a, keyMsg("v")))
	view = a.View()
	for _, want := range []string{"Watch: volumes (v)", "www-web-2", "Pending", "pv-www-web-0", "Delete"} {
		if !strings.Contains(view, want) {
			t.Errorf("volumes view lacks %q:\n%s", want, view)
		}
	}

	run(a, send(a, keyMsg("v")))
	if w.spec.Resource != "events" {
		t.Fatalf("events view watches %q", w.spec.Resource)
	}
	evCols := []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
	send(a, watchBatchMsg{gen: w.gen, events: []engine.TableEvent{
		{Type: "ADDED", Name: "e1", Columns: evCols, Cells: []string{"1s", "Normal", "SuccessfulCreate", "statefulset/web", "create Pod web-0"}},
		{Type: "ADDED", Name: "e2", Columns: evCols, Cells: []string{"1s", "Normal", "WhyWaitingForOrdinal", "statefulset/web", "web-1 waits for web-0"}},
	}})
	view = a.View()
	if !strings.Contains(view, "[sim]   1s          Normal   WhyWaitingForOrdinal") {
		t.Errorf("why event not marked:\n%s", view)
	}
	if strings.Contains(view, "[sim]   1s          Normal   SuccessfulCreate") {
		t.Errorf("real event marked as the simulator's:\n%s", view)
	}

	run(a, send(a, keyMsg("v")))
	view = a.View()
	for _, want := range []string{"statefulset/web", "partition", "updateRevision", "web-bbb"} {
		if !strings.Contains(view, want) {
			t.Errorf("status view lacks %q:\n%s", want, view)
		}
	}
	run(a, send(a, keyMsg("v")))
	if w.mode != viewStep || w.spec.Resource != "pods" {
		t.Errorf("v did not come back to the step's watch: %v %q", w.mode, w.spec.Resource)
	}
}

// TestMenuResetAllAsksFirst: X asks; only y forgets.
func TestMenuResetAllAsksFirst(t *testing.T) {
	store := progress.Memory()
	store.Change("statefulset-basics", func(l *progress.Lesson) { l.Step = "create"; l.StepOf("intro").Done = true })
	a := newProgressApp(t, "en", newFakeCluster(), store)
	send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	if !strings.Contains(a.View(), "1/3 steps · resume at step 2") {
		t.Fatalf("menu:\n%s", a.View())
	}
	send(a, keyMsg("X"))
	if !strings.Contains(a.View(), "Forget all progress") {
		t.Fatalf("no confirmation:\n%s", a.View())
	}
	run(a, send(a, keyMsg("n")))
	if store.Lesson("statefulset-basics").Step == "" {
		t.Fatal("progress forgotten without y")
	}
	send(a, keyMsg("X"))
	run(a, send(a, keyMsg("y")))
	if store.Lesson("statefulset-basics").Step != "" || !strings.Contains(a.View(), "not started") {
		t.Fatalf("y did not forget:\n%s", a.View())
	}
}

// TestProgressWarningShown: a progress file set aside is reported on the menu.
func TestProgressWarningShown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	_ = os.WriteFile(path, []byte("{broken"), 0o600)
	store, warn, err := progress.Open(path)
	if err != nil || warn == "" {
		t.Fatal(err, warn)
	}
	c := newFakeCluster()
	a := New(Options{Cluster: c, Lessons: testLessons("en"), Lang: "en", MarkdownStyle: "notty", Progress: store, ProgressWarning: warn})
	send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	if v := a.View(); !strings.Contains(v, "progress file: progress file is corrupt") {
		t.Errorf("warning not shown:\n%s", v)
	}
	assertFrame(t, a.View(), 80, 24)
}

// TestResetStepReplaysOnFreshCluster: r asks for a fresh simulator and replays the earlier
// steps, then shows the step again with its commands not yet run.
func TestResetStepReplaysOnFreshCluster(t *testing.T) {
	c := newFakeCluster()
	resets := 0
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Reset: func(context.Context) error {
			resets++
			c.mu.Lock()
			c.ran, c.applied = nil, false
			c.mu.Unlock()
			return nil
		}})
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("p"))) // back to step 2
	run(a, send(a, keyMsg("enter")))
	if !a.lesson.play.State(1).Ran[1] || !a.lesson.lk.ResetStep.Enabled() {
		t.Fatal("setup")
	}
	run(a, send(a, keyMsg("r")))
	if resets != 1 || a.lesson.play.Step() != 1 || a.lesson.play.State(1).Ran[1] || a.lesson.replaying {
		t.Fatalf("after r: resets=%d step=%d state=%+v", resets, a.lesson.play.Step(), a.lesson.play.State(1))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ran) != 0 {
		t.Errorf("step 1 has no commands, yet replay ran %v", c.ran)
	}
}

// fakeBar is an overlay that takes keys while active.
type fakeBar struct {
	active bool
	keys   []string
}

func (b *fakeBar) Active() bool { return b.active }
func (b *fakeBar) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		b.keys = append(b.keys, k.String())
	}
	return nil
}
func (b *fakeBar) View(w int) string {
	if !b.active {
		return ""
	}
	return ":" + strings.Join(b.keys, "")
}

// TestOverlayTakesKeys: an active overlay gets every key (q included) and a line of its own.
func TestOverlayTakesKeys(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	bar := &fakeBar{active: true}
	a.lesson.setOverlay(bar)
	send(a, keyMsg("q"))
	send(a, keyMsg("n"))
	if strings.Join(bar.keys, "") != "qn" || a.lesson.play.Step() != 0 {
		t.Fatalf("bar keys %v, step %d", bar.keys, a.lesson.play.Step())
	}
	v := a.View()
	assertFrame(t, v, 80, 24)
	lines := strings.Split(v, "\n")
	if !strings.HasPrefix(lines[len(lines)-3], ":qn") {
		t.Errorf("bar not drawn above the status line:\n%s", v)
	}
}

// TestEveryScreenFitsEverySize: menu, lesson, every watch view, the quiz and the presenter
// layout stay exactly inside the window from 80×24 to 250×70, in both languages, with the
// full help open or not.
func TestEveryScreenFitsEverySize(t *testing.T) {
	sizes := [][2]int{{80, 24}, {100, 30}, {120, 40}, {200, 50}, {250, 70}}
	for _, lang := range []string{"en", "ko"} {
		for _, present := range []bool{false, true} {
			c := newFakeCluster()
			a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons(lang),
				Lang: lang, MarkdownStyle: "notty", Present: present, LessonsFor: quizLessons,
				List: func(context.Context, string, string) ([]unstructured.Unstructured, error) { return nil, nil }})
			check := func(what string) {
				t.Helper()
				for _, s := range sizes {
					send(a, tea.WindowSizeMsg{Width: s[0], Height: s[1]})
					assertFrame(t, a.View(), s[0], s[1])
					send(a, keyMsg("?"))
					assertFrame(t, a.View(), s[0], s[1])
					send(a, keyMsg("?"))
					if t.Failed() {
						t.Fatalf("%s %s present=%v %v", lang, what, present, s)
					}
				}
			}
			check("menu")
			run(a, send(a, send(a, keyMsg("enter"))()))
			check("lesson")
			run(a, send(a, keyMsg("n")))
			run(a, send(a, keyMsg("h")))
			for i := 0; i < int(viewCount); i++ {
				check("view " + a.lesson.watchP.viewName(a.lesson.watchP.mode))
				run(a, send(a, keyMsg("v")))
			}
			run(a, send(a, keyMsg("n")))
			run(a, send(a, keyMsg("n")))
			run(a, send(a, keyMsg("enter")))
			check("quiz")
		}
	}
}

// TestInspectStreamRow: y selects the newest stream row and shows its object as it was,
// with the lines changed since the previous version marked; ↑ moves to the older row; a
// click on a row selects it too.
func TestInspectStreamRow(t *testing.T) {
	objs := make(chan ObjectEvent, 8)
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty",
		WatchObjects: func(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error) { return objs, nil }})
	openAndRun(t, a, 120, 40)
	v := a.lesson
	startWatch(t, a, c)
	w := v.watchP
	// The object watch opens beside the table watch.
	send(a, objWatchStartedMsg{gen: w.gen, ch: objs})
	pod := func(rv, phase string) *unstructured.Unstructured {
		o := obj("Pod", "web-0", map[string]any{"status": map[string]any{"phase": phase}})
		u := &o
		u.SetResourceVersion(rv)
		return u
	}
	// A listed object comes decoded; a watch event keeps its JSON until it is inspected.
	raw, err := pod("11", "Running").MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	send(a, objBatchMsg{gen: w.gen, events: []ObjectEvent{{Type: "ADDED", Object: pod("10", "Pending")},
		{Type: "MODIFIED", Raw: raw, Name: "web-0", ResourceVersion: "11"}}})
	ev := func(typ, status, rv string) engine.TableEvent {
		e := podEvent(typ, "web-0", "0/1", status, "0s")
		e.ResourceVersion = rv
		return e
	}
	send(a, watchBatchMsg{gen: w.gen, events: []engine.TableEvent{ev("ADDED", "Pending", "10"), ev("MODIFIED", "Running", "11")}})
	if !v.watchP.keys().Inspect.Enabled() {
		t.Fatal("y disabled with rows to inspect")
	}
	send(a, keyMsg("y"))
	out := v.outP.text
	if !strings.Contains(v.outP.label, "pods/web-0 @11") || !strings.Contains(out, "+ ") || !strings.Contains(out, "phase: Running") ||
		!strings.Contains(out, "- ") || !strings.Contains(out, "phase: Pending") {
		t.Fatalf("inspection of the newest row: %q\n%s", v.outP.label, out)
	}
	if !strings.Contains(a.View(), "▶ web-0") {
		t.Errorf("selected row not marked:\n%s", a.View())
	}
	send(a, keyMsg("up"))
	if !strings.Contains(v.outP.label, "@10 · first version seen") || strings.Contains(v.outP.text, "+ ") {
		t.Errorf("older row: %q\n%s", v.outP.label, v.outP.text)
	}
	send(a, keyMsg("y"))
	if w.selected != -1 {
		t.Error("y did not end the selection")
	}
	// A click on the second stream row (below the pane header, table, label and column header).
	r := v.rects[focusWatch]
	tableH, labelH, _ := w.layout()
	send(a, tea.MouseMsg{X: r.x + 2, Y: r.y + 1 + tableH + labelH + 2, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	if w.selected != 1 || !strings.Contains(v.outP.label, "@11") {
		t.Errorf("click selected %d, label %q", w.selected, v.outP.label)
	}
	assertFrame(t, a.View(), 120, 40)
}

// TestShortHelpFitsEveryScreen: the one-line help is never cut at 80 columns, in the menu,
// a lesson, the quiz or the demo, in either language.
func TestShortHelpFitsEveryScreen(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		c := newFakeCluster()
		a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons(lang),
			Lang: lang, MarkdownStyle: "notty", LessonsFor: quizLessons})
		send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
		check := func(what string) {
			t.Helper()
			if h := a.helpView(); strings.Contains(h, "…") {
				t.Errorf("%s %s: short help cut: %q", lang, what, h)
			}
		}
		check("menu")
		run(a, send(a, send(a, keyMsg("enter"))()))
		check("lesson")
		run(a, send(a, keyMsg("n")))
		run(a, send(a, keyMsg("n")))
		run(a, send(a, keyMsg("n")))
		if a.lesson.quiz == nil {
			t.Fatal("no quiz")
		}
		check("quiz")
	}
}

// TestInspectRowsCarryingObjects: when the table watch's rows bring their objects, the rows
// show the versions they printed, and the object watch (a second stream of the same
// objects) ends: its context is cancelled and its late batches are ignored.
func TestInspectRowsCarryingObjects(t *testing.T) {
	objs := make(chan ObjectEvent, 8)
	var objCtx context.Context
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty",
		WatchObjects: func(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error) {
			objCtx = ctx
			return objs, nil
		}})
	openAndRun(t, a, 120, 40)
	v := a.lesson
	startWatch(t, a, c)
	w := v.watchP
	if cmd := w.openObjects(); cmd != nil {
		cmd() // opens the object watch, as start's batch does
	}
	if objCtx == nil {
		t.Fatal("the object watch did not open")
	}
	ev := func(typ, status, rv string) engine.TableEvent {
		e := podEvent(typ, "web-0", "0/1", status, "0s")
		e.ResourceVersion = rv
		o := obj("Pod", "web-0", map[string]any{"status": map[string]any{"phase": status}})
		o.SetResourceVersion(rv)
		raw, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		e.Object = raw
		return e
	}
	send(a, watchBatchMsg{gen: w.gen, events: []engine.TableEvent{ev("LIST", "Pending", "10"), ev("MODIFIED", "Running", "11")}})
	if objCtx.Err() == nil {
		t.Error("the object watch still runs while the rows carry their objects")
	}
	// A batch the object watch had already sent changes nothing.
	send(a, objBatchMsg{gen: w.gen, events: []ObjectEvent{{Type: "MODIFIED", Raw: []byte(`{"kind":"Pod","metadata":{"name":"web-0","resourceVersion":"12"}}`), Name: "web-0", ResourceVersion: "12"}}})
	if vs := w.versions["web-0"]; len(vs) != 2 || vs[0].ResourceVersion != "10" || vs[1].ResourceVersion != "11" {
		t.Fatalf("versions %+v, want the rows' 10 and 11", vs)
	}
	if !w.keys().Inspect.Enabled() {
		t.Fatal("y disabled with rows to inspect")
	}
	send(a, keyMsg("y"))
	if out := v.outP.text; !strings.Contains(v.outP.label, "pods/web-0 @11") || !strings.Contains(out, "phase: Running") || !strings.Contains(out, "phase: Pending") {
		t.Fatalf("inspection of the newest row: %q\n%s", v.outP.label, out)
	}
}
