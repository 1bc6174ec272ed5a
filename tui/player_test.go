package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
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

var goldenSizes = [][2]int{{80, 24}, {100, 30}, {200, 50}}

// TestLeavingAsksWithLiveCluster (item 4): esc on a simulator the learner changed asks
// before leaving; any other key stays; esc with a stream row selected only leaves the row.
func TestLeavingAsksWithLiveCluster(t *testing.T) {
	c := newFakeCluster()
	resets := 0
	a := resetApp(t, c, &resets)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("esc")))
	if a.lesson != nil {
		t.Fatal("esc before any command should leave at once: nothing is lost")
	}
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("esc")))
	if a.lesson == nil || a.lesson.ask == nil || !strings.Contains(a.View(), "Leave the lesson?") {
		t.Fatalf("esc after a command left without asking:\n%s", a.View())
	}
	run(a, send(a, keyMsg("n")))
	if a.lesson == nil || a.lesson.ask != nil || a.lesson.play.Step() != 1 {
		t.Fatal("n to the question did not keep the lesson as it was")
	}
	if !strings.Contains(a.View(), "Kept as it was.") {
		t.Errorf("no word that nothing changed:\n%s", a.View())
	}
	run(a, send(a, keyMsg("esc")))
	confirm(t, a)
	if a.lesson != nil {
		t.Fatal("y did not leave")
	}
}

// TestQuitAsksWithLiveCluster (item 4): q on a simulator the learner changed asks before
// quitting, as esc asks before leaving; any other key stays, y or a second q quits; before
// any command q quits at once.
func TestQuitAsksWithLiveCluster(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		c := newFakeCluster()
		app := func() *App {
			return New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons(lang),
				Lang: lang, MarkdownStyle: "notty", Progress: progress.Memory(), Reset: func(context.Context) error { return nil }})
		}
		a := app()
		openAndRun(t, a, 80, 24)
		if cmd := send(a, keyMsg("q")); !isQuit(cmd) {
			t.Fatalf("%s: q before any command should quit at once: nothing is lost", lang)
		}
		a = app()
		openAndRun(t, a, 80, 24)
		run(a, send(a, keyMsg("n")))
		run(a, send(a, keyMsg("enter")))
		if cmd := send(a, keyMsg("q")); isQuit(cmd) || a.lesson == nil || a.lesson.ask == nil {
			t.Fatalf("%s: q after a command quit without asking:\n%s", lang, a.View())
		}
		if !strings.Contains(a.View(), a.lesson.t.AskQuit[:12]) {
			t.Errorf("%s: the question is not on screen:\n%s", lang, a.View())
		}
		run(a, send(a, keyMsg("n")))
		if a.lesson == nil || a.lesson.ask != nil {
			t.Fatalf("%s: n to the question did not keep the lesson", lang)
		}
		send(a, keyMsg("q"))
		if cmd := send(a, keyMsg("q")); !isQuit(cmd) {
			t.Fatalf("%s: a second q did not quit", lang)
		}
		a = app()
		openAndRun(t, a, 80, 24)
		run(a, send(a, keyMsg("n")))
		run(a, send(a, keyMsg("enter")))
		send(a, keyMsg("ctrl+c"))
		cmd := send(a, keyMsg("y"))
		if cmd == nil || !isQuit(func() tea.Msg { return send(a, cmd())() }) {
			t.Fatalf("%s: y to the question did not quit", lang)
		}
	}
}

// TestQuitKeepsClassroomSeat: a classroom seat outlives the connection, so q there quits at
// once even after commands (nothing is lost; the student comes back to the same cluster).
func TestQuitKeepsClassroomSeat(t *testing.T) {
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: progress.Memory(), Reset: func(context.Context) error { return nil },
		QuitKeepsCluster: true})
	openAndRun(t, a, 80, 24)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	if cmd := send(a, keyMsg("q")); !isQuit(cmd) {
		t.Fatalf("q on a classroom seat asked instead of quitting:\n%s", a.View())
	}
}

// TestResetLessonAsks (item 4): R asks before it forgets the lesson's progress.
func TestResetLessonAsks(t *testing.T) {
	c := newFakeCluster()
	resets := 0
	store := progress.Memory()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: quizLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: store, Reset: func(context.Context) error { resets++; return nil }})
	openAndRun(t, a, 80, 24)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	if !store.Lesson("statefulset-basics").Steps["create"].Done {
		t.Fatal("setup: step 2 not done")
	}
	run(a, send(a, keyMsg("R")))
	if resets != 0 || !store.Lesson("statefulset-basics").Steps["create"].Done {
		t.Fatal("R forgot progress without asking")
	}
	assertFrame(t, a.View(), 80, 24)
	if !strings.Contains(strings.Join(strings.Fields(a.View()), " "), "Forget this lesson's progress") {
		t.Fatalf("no question on screen:\n%s", a.View())
	}
	run(a, send(a, keyMsg("x")))
	if resets != 0 || store.Lesson("statefulset-basics").Steps["create"] == nil {
		t.Fatal("another key than y reset the lesson")
	}
	run(a, send(a, keyMsg("R")))
	confirm(t, a)
	if resets != 1 || store.Lesson("statefulset-basics").Steps["create"] != nil || a.lesson.play.Step() != 0 {
		t.Fatalf("y did not reset: resets=%d rec=%+v", resets, store.Lesson("statefulset-basics"))
	}
}

// TestCtrlCInBar (item 4): ctrl+c in the bar clears a typed line; on an empty line the
// first only warns and the second quits.
func TestCtrlCInBar(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	send(a, keyMsg(":"))
	for _, r := range "get pods" {
		send(a, keyMsg(string(r)))
	}
	if cmd := send(a, keyMsg("ctrl+c")); isQuit(cmd) || a.cmdbar.input.Value() != "" || !a.cmdbar.open {
		t.Fatalf("ctrl+c on a typed line: quit=%v value=%q", isQuit(cmd), a.cmdbar.input.Value())
	}
	if cmd := send(a, keyMsg("ctrl+c")); isQuit(cmd) {
		t.Fatal("the first ctrl+c on an empty line quit")
	}
	if !strings.Contains(a.View(), "ctrl+c again") {
		t.Errorf("no warning:\n%s", a.View())
	}
	if cmd := send(a, keyMsg("ctrl+c")); !isQuit(cmd) {
		t.Fatal("the second ctrl+c did not quit")
	}
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// TestBurstIsText (item 6): text that arrives in one read goes into the bar as typed, even
// words that are key names ("delete", "esc"); a burst starting with : opens the bar.
func TestBurstIsText(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	send(a, keyMsg(":kubectl delete pod x"))
	if !a.cmdbar.open || a.cmdbar.input.Value() != "kubectl delete pod x" {
		t.Fatalf("burst %q, open %v", a.cmdbar.input.Value(), a.cmdbar.open)
	}
	send(a, keyMsg(" esc"))
	if !a.cmdbar.open || a.cmdbar.input.Value() != "kubectl delete pod x esc" {
		t.Fatalf("esc typed as text closed the bar or was lost: %q", a.cmdbar.input.Value())
	}
	send(a, keyMsg("esc")) // a real esc key still closes it
	if a.cmdbar.open {
		t.Fatal("the esc key did not close the bar")
	}
	send(a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("esc")})
	if a.lesson == nil {
		t.Fatal("the esc burst outside the bar left the lesson")
	}
}

// TestColonInOpenBar: ':' typed again in an open, empty bar (alone or starting a paste) is
// the bar's own key, not the start of the command line.
func TestColonInOpenBar(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	send(a, keyMsg(":"))
	send(a, keyMsg(":"))
	if !a.cmdbar.open || a.cmdbar.input.Value() != "" {
		t.Fatalf("a second ':' became text: %q", a.cmdbar.input.Value())
	}
	send(a, keyMsg(":get pods"))
	if a.cmdbar.input.Value() != "get pods" {
		t.Fatalf("a pasted ':get pods' in the open bar: %q", a.cmdbar.input.Value())
	}
	send(a, keyMsg(" -o jsonpath={.a:b}"))
	if a.cmdbar.input.Value() != "get pods -o jsonpath={.a:b}" {
		t.Fatalf("a ':' inside the line was lost: %q", a.cmdbar.input.Value())
	}
}

// TestSolveWhileRunningSays (item 7): s while a command runs says why nothing happens; the
// short help offers s.
func TestSolveWhileRunningSays(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		a := newTestApp(lang, newFakeCluster())
		openLesson(t, a, 80, 24)
		send(a, keyMsg("n"))
		if short := lastLine(ansiPlain(a.View())); !strings.Contains(short, "s ") {
			t.Errorf("%s: short help lacks s: %q", lang, short)
		}
		send(a, keyMsg("enter")) // starts the command; its Cmd is not run yet
		if !a.lesson.running {
			t.Fatal("setup: not running")
		}
		send(a, keyMsg("s"))
		if !strings.Contains(a.lesson.statusView(), a.lesson.t.BusySolve[:12]) {
			t.Errorf("%s: s while running says nothing: %q", lang, a.lesson.statusView())
		}
		assertFrame(t, a.View(), 80, 24)
	}
}

// historyApp runs both commands of step 2, so its output history has two entries.
func historyApp(t *testing.T, lang string, w, h int) *App {
	t.Helper()
	c := newFakeCluster()
	c.outputs["kubectl get statefulset web"] = "NAME   READY   AGE\nweb    2/2     10s\n"
	a := newTestApp(lang, c)
	openAndRun(t, a, w, h)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("enter")))
	return a
}

// TestOutputHistory (item 5): every command's output stays under its command; a note (K)
// while a command runs gets its own entry and the command's output its own heading.
func TestOutputHistory(t *testing.T) {
	a := historyApp(t, "en", 100, 30)
	out := outText(a.lesson.outP)
	for _, want := range []string{"$ kubectl apply -f web.yaml", "statefulset.apps/web created", "$ kubectl get statefulset web", "web    2/2"} {
		if !strings.Contains(out, want) {
			t.Errorf("history lacks %q:\n%s", want, out)
		}
	}
	// A note while a command runs: the command keeps its own entry.
	v := a.lesson
	v.kubeconfig = "/tmp/kc"
	run(a, send(a, keyMsg("n")))
	runCmd := send(a, keyMsg("enter"))
	if !v.running {
		t.Fatal("setup: no command running")
	}
	run(a, send(a, keyMsg("K")))
	content := outText(v.outP)
	if !strings.Contains(content, "— kubeconfig for your own kubectl") || !strings.Contains(content, "$ kubectl get pvc -l app=nginx\nrunning…") {
		t.Fatalf("note replaced the running command:\n%s", content)
	}
	run(a, runCmd)
	content = outText(v.outP)
	if strings.Contains(content, "running…") || !strings.Contains(content, "$ kubectl get pvc -l app=nginx\n\n— kubeconfig") {
		t.Errorf("the command's output is not under its own heading:\n%s", content)
	}
}

// TestOutputFollowsAndMarksNew (item 5): the pane follows new output; scrolled up, new
// output sets a "new output below" mark; at 80×24 a long answer says there is more.
func TestOutputFollowsAndMarksNew(t *testing.T) {
	c := newFakeCluster()
	long := ""
	for i := 0; i < 30; i++ {
		long += fmt.Sprintf("line %02d\n", i)
	}
	c.outputs["kubectl apply -f web.yaml"] = long
	a := newTestApp("en", c)
	openAndRun(t, a, 80, 24)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	o := a.lesson.outP
	if !strings.Contains(ansiPlain(o.View()), "$ kubectl apply -f web.yaml") || !strings.Contains(ansiPlain(o.View()), "↓ more") {
		t.Fatalf("a long answer is not shown from its command with a more mark:\n%s", o.View())
	}
	o.view.GotoTop()
	o.scrolled()
	run(a, send(a, keyMsg("enter")))
	if !strings.Contains(ansiPlain(o.View()), "new output below") {
		t.Errorf("no new-output mark while scrolled up:\n%s", o.View())
	}
	o.view.GotoBottom()
	o.scrolled()
	if strings.Contains(ansiPlain(o.View()), "new output below") {
		t.Error("mark stays at the bottom")
	}
}

// TestStatusKeepsKeyWordAndCleansCR (item 5): a long verdict wraps instead of losing its
// last word, and exec output's \r\n never shows raw.
func TestStatusKeepsKeyWordAndCleansCR(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	send(a, keyMsg("n"))
	v := a.lesson
	detail := "curl web-0.nginx printed \"web-0\\r\\n\" and the check wants it to say that it does not"
	send(a, checksMsg{gen: v.gen, step: 1, results: []lessons.CheckResult{{Desc: "The StatefulSet web exists", Detail: strings.ReplaceAll(detail, `\r\n`, "\r\n")}}})
	view := a.View()
	assertFrame(t, view, 80, 24)
	flat := strings.Join(strings.Fields(ansiPlain(view)), " ")
	if !strings.Contains(flat, "it does not") {
		t.Errorf("the verdict's last word is cut:\n%s", view)
	}
	if strings.Contains(view, "\r") || strings.Contains(view, `\r\n`) {
		t.Errorf("raw \\r\\n in the view:\n%q", view)
	}
	if got := cleanOutput("a\r\nb\rc"); got != "a\nbc" {
		t.Errorf("cleanOutput = %q", got)
	}
}

// TestStatusDropsCodeTicks: a check's Markdown code span ("run `kubectl get sts web` and
// read its output") shows in the one-style status line without its backticks.
func TestStatusDropsCodeTicks(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		a := newTestApp(lang, newFakeCluster())
		openLesson(t, a, 80, 24)
		send(a, keyMsg("n"))
		v := a.lesson
		send(a, checksMsg{gen: v.gen, step: 1, results: []lessons.CheckResult{{Desc: "`web` is ready", Detail: "run `kubectl get statefulset web` and read its output"}}})
		status := ansiPlain(v.statusView())
		if strings.Contains(status, "`") || !strings.Contains(strings.Join(strings.Fields(status), " "), "web is ready: run kubectl get statefulset web") {
			t.Errorf("%s: status line %q", lang, status)
		}
	}
}

// TestGoldenOutputHistory: the output history at every golden size, both languages.
func TestGoldenOutputHistory(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		for _, sz := range goldenSizes {
			name := fmt.Sprintf("history-%s-%dx%d", lang, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				a := historyApp(t, lang, sz[0], sz[1])
				view := a.View()
				assertFrame(t, view, sz[0], sz[1])
				golden(t, name, view)
			})
		}
	}
}

func outText(o *outputPane) string {
	s, _ := o.content()
	return ansiPlain(s)
}

// finishLessons is quizLessons with Markdown in the quiz and a second lesson after it.
func finishLessons(lang string) []lessons.Lesson {
	ls := quizLessons(lang)
	ls[0].Quiz[0].Question = "When is `web-1` created under **OrderedReady**?"
	ls[0].Quiz[0].Choices[1].Why = "`OrderedReady` waits for `web-0` to be Running and Ready."
	second := testLessons(lang)[0]
	second.ID, second.Title = "scaling", "Scaling a StatefulSet"
	if lang == "ko" {
		second.Title = "스테이트풀셋 스케일링"
	}
	return append(ls, second)
}

// finishApp answers the quiz (the first question wrong first) and opens the finish page.
func finishApp(t *testing.T, lang, style string, w, h int) *App {
	t.Helper()
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: finishLessons(lang),
		Lang: lang, MarkdownStyle: style, Progress: progress.Memory(), Reset: func(context.Context) error { return nil }})
	openAndRun(t, a, w, h)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("n"))) // the quiz
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("down")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("down")))
	run(a, send(a, keyMsg("enter")))
	run(a, send(a, keyMsg("n"))) // results
	return a
}

// TestFinishPage (item 8): after the last answer, a summary with the first-try score, the
// missed question's right answer and why, what counts, and the next lesson on Enter;
// Markdown in quiz text is rendered, never shown raw.
func TestFinishPage(t *testing.T) {
	a := finishApp(t, "en", "dark", 100, 30)
	if a.lesson.quiz == nil || !a.lesson.quiz.finish {
		t.Fatalf("no finish page:\n%s", a.View())
	}
	// The page scrolls: read all of it.
	flat := strings.Join(strings.Fields(ansiPlain(a.lesson.finishText(60))), " ")
	if !strings.Contains(ansiPlain(a.View()), "↓ more") {
		t.Errorf("the finish page does not say it continues below:\n%s", a.View())
	}
	for _, want := range []string{
		"Quiz: 1 of 2 right on the first try.",
		"Only first answers count",
		"1. When is web-1 created under OrderedReady?",
		"✗ With web-0.", "✓ After web-0 is Ready.",
		"OrderedReady waits for web-0 to be Running and Ready.",
		"enter next lesson: Scaling a StatefulSet",
		"esc back to the lessons",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("finish lacks %q:\n%s", want, a.View())
		}
	}
	if !strings.Contains(a.View(), "Lesson complete: StatefulSet Basics") {
		t.Errorf("finish title:\n%s", a.View())
	}
	if strings.Contains(flat, "`") || strings.Contains(flat, "**") {
		t.Errorf("raw Markdown on the finish page:\n%s", a.View())
	}
	cmd := send(a, keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter on the finish page does nothing")
	}
	msg, ok := cmd().(startLessonMsg)
	if !ok || msg.index != 1 {
		t.Fatalf("enter gave %T %+v, want the next lesson", msg, msg)
	}
	run(a, send(a, msg))
	if a.lesson == nil || a.lesson.lesson.ID != "scaling" {
		t.Fatal("the next lesson did not open")
	}
}

// TestQuizMarkdownAndFirstAnswer (item 8): quiz text is rendered Markdown and the quiz says
// that only first answers count.
func TestQuizMarkdownAndFirstAnswer(t *testing.T) {
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: finishLessons("en"),
		Lang: "en", MarkdownStyle: "dark"})
	openAndRun(t, a, 80, 24)
	for _, k := range []string{"n", "n", "n"} {
		run(a, send(a, keyMsg(k)))
	}
	v := ansiPlain(a.View())
	if strings.Contains(v, "`") || strings.Contains(v, "**") || !strings.Contains(v, "When is web-1 created") {
		t.Errorf("quiz question not rendered:\n%s", v)
	}
	if !strings.Contains(strings.Join(strings.Fields(v), " "), "Only your first answer counts.") {
		t.Errorf("the quiz does not say that only first answers count:\n%s", v)
	}
}

// TestGoldenFinish: the finish page at every golden size, both languages.
func TestGoldenFinish(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		for _, sz := range goldenSizes {
			name := fmt.Sprintf("finish-%s-%dx%d", lang, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				a := finishApp(t, lang, "notty", sz[0], sz[1])
				view := a.View()
				assertFrame(t, view, sz[0], sz[1])
				golden(t, name, view)
			})
		}
	}
}

// plainRun plays the plain player on the fake cluster with in as the learner's lines.
func plainRun(t *testing.T, lang string, width int, lines ...string) string {
	t.Helper()
	c := newFakeCluster()
	c.outputs["kubectl get pods"] = "NAME    READY   STATUS    RESTARTS   AGE\nweb-0   1/1     Running   0          5s\n"
	c.onRun = func(line string) {
		if line != "kubectl apply -f web.yaml" {
			return
		}
		w := c.lastWatch()
		for _, ev := range []engine.TableEvent{
			podEvent("ADDED", "web-0", "0/1", "Pending", "0s"),
			podEvent("MODIFIED", "web-0", "1/1", "Running", "2s"),
		} {
			w.ch <- ev
		}
	}
	ls := finishLessons(lang)
	ls[0].Steps[1].Goal = "Create the StatefulSet web."
	ls[0].Steps[1].WatchFor = "Pods appear one at a time."
	if lang == "ko" {
		ls[0].Steps[1].Goal = "스테이트풀셋 web을 만듭니다."
		ls[0].Steps[1].WatchFor = "파드가 하나씩 나타납니다."
	}
	for i := range ls[0].Steps {
		ls[0].Steps[i].Lang = lang
	}
	var out strings.Builder
	in := strings.NewReader(strings.Join(lines, "\n") + "\n")
	if err := runPlain(context.Background(), Options{Cluster: c, Evaluate: c.evaluator(), Lessons: ls, Lang: lang}, in, &out, width); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var plainScript = []string{"1", "n", "x", "kubectl get pods", "", "w", "h", "c", "", "", "n", "p", "n", "n", "1", "2", "2", "q"}

// TestPlainFullContent (item 9): Goal and Watch-for lines, the watch as kubectl get -w
// lines, a typed kubectl command, feedback for every key, one prompt per line.
func TestPlainFullContent(t *testing.T) {
	got := plainRun(t, "en", 80, plainScript...)
	for _, want := range []string{
		"Goal: Create the StatefulSet web.",
		"Watch for: Pods appear one at a time.",
		"Watch: kubectl get pods -w -l app=nginx",
		"$ kubectl get pods\nNAME    READY   STATUS    RESTARTS   AGE\nweb-0   1/1     Running   0          5s",
		"  NAME    READY   STATUS    RESTARTS   AGE\n  web-0   0/1     Pending   0          0s\n  web-0   1/1     Running   0          2s",
		"No new watch lines.",
		"Not understood.",
		"Hint 1/2:",
		"This step's commands have run.",
		"Quiz: 1 of 2 right on the first try.",
		"Next lesson: Scaling a StatefulSet",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("plain output lacks %q", want)
		}
	}
	answers := map[string]bool{}
	for _, l := range plainScript {
		answers[l] = true
	}
	prompts := 0
	for _, l := range strings.Split(got, "\n") {
		if i := strings.LastIndex(l, "] > "); i >= 0 {
			prompts++
			if !answers[l[i+4:]] {
				t.Errorf("a prompt runs into other output: %q", l)
			}
		}
	}
	if prompts < 13 {
		t.Errorf("%d prompts for %d answers", prompts, len(plainScript))
	}
	if t.Failed() {
		t.Log(got)
	}
}

// TestGoldenPlain: the plain transcript at every golden width, both languages.
func TestGoldenPlain(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		for _, sz := range goldenSizes {
			name := fmt.Sprintf("plain-%s-%dx%d", lang, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				golden(t, name, plainRun(t, lang, sz[0], plainScript...))
			})
		}
	}
}

// TestListContinuationHangs (item 10): a wrapped list item continues under its text, not
// under its bullet.
func TestListContinuationHangs(t *testing.T) {
	m := newMarkdown("notty", 0)
	out := m.render(unwrapListItems("Every pod gets:\n\n- an ordinal and a name built from it (web-0, web-1) that stays the same for as long as the set lives;\n- its own storage."), 50)
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.Contains(l, "• an ordinal") {
			if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "    ") || strings.HasPrefix(lines[i+1], "     ") {
				t.Errorf("continuation not under the item's text:\n%s", out)
			}
			return
		}
	}
	t.Fatalf("no list item:\n%s", out)
}

// TestEventsViewWrapsSimMessages (item 10): a [sim] explanation is wrapped in the events
// view, never cut, even in a wide pane.
func TestEventsViewWrapsSimMessages(t *testing.T) {
	st := DefaultStyles(nil)
	w := newWatchPane(&st, textFor("en"))
	w.mode = viewEvents
	w.columns = []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
	long := "The StatefulSet controller waits for web-0 to be Running and Ready before it creates web-1, because podManagementPolicy is OrderedReady; that is why web-1 is not here yet."
	w.apply(engine.TableEvent{Type: "ADDED", Name: "e1", Columns: w.columns, Cells: []string{"1s", "Normal", whyReasonPrefix + "Waiting", "statefulset/web", long}})
	w.SetSize(110, 20)
	text := ansiPlain(w.streamText())
	for _, l := range strings.Split(text, "\n") {
		if lipgloss.Width(l) > 110 {
			t.Errorf("line wider than the pane: %q", l)
		}
	}
	if !strings.Contains(strings.Join(strings.Fields(text), " "), "that is why web-1 is not here yet.") {
		t.Errorf("message cut:\n%s", text)
	}
	if w.lineRow(1) != 0 || w.lineRow(2) != 0 || w.rowLine(0) != 1 {
		t.Errorf("line/row map: %v", w.lineRows)
	}
}

// TestNoOrphanAfterBold (item 10): a word never sits alone on a line after bold text when
// it fitted on the line before.
func TestNoOrphanAfterBold(t *testing.T) {
	for _, style := range []string{"notty", "dark"} {
		m := newMarkdown(style, 0)
		out := ansiPlain(m.render("**Goal:** Create the StatefulSet from web-parallel.yaml and see both pods start together.", 78))
		for _, l := range strings.Split(out, "\n") {
			if strings.TrimSpace(l) == "start" {
				t.Errorf("%s: orphaned word:\n%s", style, out)
			}
		}
		if !strings.Contains(strings.Join(strings.Fields(out), " "), "Goal: Create the StatefulSet from web-parallel.yaml and see both pods start together.") {
			t.Errorf("%s: text changed:\n%s", style, out)
		}
	}
}

// TestEscWithRowSelectedStays (item 4): esc while a stream row is selected leaves the row,
// never the lesson.
func TestEscWithRowSelectedStays(t *testing.T) {
	objs := make(chan ObjectEvent, 8)
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty",
		WatchObjects: func(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error) { return objs, nil }})
	openAndRun(t, a, 120, 40)
	startWatch(t, a, c)
	w := a.lesson.watchP
	send(a, watchBatchMsg{gen: w.gen, events: []engine.TableEvent{podEvent("ADDED", "web-0", "0/1", "Pending", "0s")}})
	send(a, keyMsg("y"))
	if w.selected < 0 {
		t.Fatal("setup: y selected no row")
	}
	send(a, keyMsg("esc"))
	if a.lesson == nil {
		t.Fatal("esc with a row selected left the lesson")
	}
	if w.selected >= 0 || a.lesson.outP.label != "" {
		t.Errorf("esc did not leave the row: selected %d, peek %q", w.selected, a.lesson.outP.label)
	}
}

// TestWatchNewRowsMark (item 10): scrolled up in the stream, new rows set a mark; at the
// bottom it goes.
func TestWatchNewRowsMark(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openAndRun(t, a, 80, 24)
	startWatch(t, a, c)
	v := a.lesson
	w := v.watchP
	var evs []engine.TableEvent
	for i := 0; i < 20; i++ {
		evs = append(evs, podEvent("MODIFIED", "web-0", "0/1", fmt.Sprintf("S%02d", i), "0s"))
	}
	send(a, watchBatchMsg{gen: w.gen, events: evs})
	v.setFocus(focusWatch)
	send(a, keyMsg("pgup"))
	send(a, watchBatchMsg{gen: w.gen, events: []engine.TableEvent{podEvent("MODIFIED", "web-0", "1/1", "Running", "1s")}})
	if !strings.Contains(ansiPlain(w.View()), "new rows below") {
		t.Fatalf("no mark while scrolled up:\n%s", w.View())
	}
	for i := 0; i < 10; i++ {
		send(a, keyMsg("pgdown"))
	}
	if strings.Contains(ansiPlain(w.View()), "new rows below") {
		t.Errorf("mark stays at the bottom:\n%s", w.View())
	}
}

// TestStepOnceSaysWhatChanged (item 10): after . the status line says what the action
// changed, as the watch saw it.
func TestStepOnceSaysWhatChanged(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openAndRun(t, a, 100, 30)
	startWatch(t, a, c)
	v := a.lesson
	v.sim.Pause()
	v.updateKeys()
	c.sim.queued = 1
	run(a, send(a, keyMsg(".")))
	send(a, watchBatchMsg{gen: v.watchP.gen, events: []engine.TableEvent{podEvent("MODIFIED", "web-1", "0/1", "ContainerCreating", "0s")}})
	if s := strings.Join(strings.Fields(ansiPlain(v.statusView())), " "); !strings.Contains(s, "one controller action ran: web-1 ContainerCreating") {
		t.Errorf("status after . = %q", s)
	}
}

// TestLangKeyOnlyWhenOffered (item 10): L does nothing while its help entry is hidden
// (during a replay).
func TestLangKeyOnlyWhenOffered(t *testing.T) {
	c := newFakeCluster()
	a := newProgressApp(t, "en", c, progress.Memory())
	openAndRun(t, a, 80, 24)
	a.lesson.replaying = true
	a.lesson.updateKeys()
	if a.lesson.lk.Lang.Enabled() {
		t.Fatal("setup: L offered during a replay")
	}
	send(a, keyMsg("L"))
	if a.opts.Lang != "en" {
		t.Error("L switched the language while its help entry was hidden")
	}
	a.lesson.replaying = false
	a.lesson.updateKeys()
	send(a, keyMsg("L"))
	if a.opts.Lang != "ko" {
		t.Error("L does not switch when offered")
	}
}

// TestDemoNeverSaysPressN (item 10): the demo's output pane does not ask for keys the
// demo presses itself.
func TestDemoNeverSaysPressN(t *testing.T) {
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"),
		Lang: "en", MarkdownStyle: "notty", Demo: "statefulset-basics"})
	a.demoTick = func(int64) tea.Cmd { return nil }
	send(a, tea.WindowSizeMsg{Width: 100, Height: 30})
	run(a, send(a, a.Init()()))
	if v := a.View(); strings.Contains(v, "press n") || !strings.Contains(strings.Join(strings.Fields(v), " "), "The demo runs the commands itself") {
		t.Errorf("demo step 1:\n%s", v)
	}
}

// TestPlainSolutionSaysWhenAllRan: --plain introduces the solution as the full-screen player
// does (TestSolutionSaysWhenAllRan), both asking lessonstate: it offers s while commands are
// left and, once every command ran, no longer tells the learner to press a key that does
// nothing.
func TestPlainSolutionSaysWhenAllRan(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		tx := textFor(lang)
		help := []string{"h", "h", "h", "h"}
		before := plainRun(t, lang, 200, append(append([]string{"1", "n"}, help...), "q")...)
		if !strings.Contains(before, tx.SolutionIntro) || strings.Contains(before, tx.SolutionRan) {
			t.Errorf("%s: solution before running:\n%s", lang, before)
		}
		after := plainRun(t, lang, 200, append(append([]string{"1", "n", "", "", "", ""}, help...), "q")...)
		if !strings.Contains(after, tx.AllRan) {
			t.Fatalf("%s: the step's commands never all ran:\n%s", lang, after)
		}
		if strings.Contains(after, tx.SolutionIntro) || !strings.Contains(after, tx.SolutionRan) {
			t.Errorf("%s: solution after every command ran:\n%s", lang, after)
		}
	}
}
