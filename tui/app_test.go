package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

func TestMenuEnterStartsLesson(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	if !strings.Contains(a.View(), "StatefulSet Basics") {
		t.Fatalf("menu does not list the lesson:\n%s", a.View())
	}
	if a.menu.keys.Up.Enabled() || a.menu.keys.Down.Enabled() {
		t.Error("up/down enabled with a single lesson")
	}
	openLesson(t, a, 80, 24)
	if got := a.lesson.stepP.title; got != "Step 1/3: What a StatefulSet promises" {
		t.Errorf("title = %q", got)
	}
}

func TestStepNavigation(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	v := a.lesson
	if v.keys.Prev.Enabled() {
		t.Error("prev enabled on the first step")
	}
	send(a, keyMsg("p"))
	if v.play.Step() != 0 {
		t.Fatalf("p on the first step moved to %d", v.play.Step())
	}
	send(a, keyMsg("n"))
	send(a, keyMsg("n"))
	if v.play.Step() != 2 {
		t.Fatalf("step = %d after n n, want 2", v.play.Step())
	}
	if v.keys.Next.Enabled() {
		t.Error("next enabled on the last step")
	}
	send(a, keyMsg("n"))
	if v.play.Step() != 2 {
		t.Fatalf("n on the last step moved to %d", v.play.Step())
	}
	send(a, keyMsg("p"))
	if v.play.Step() != 1 || !strings.Contains(a.View(), "Step 2/3") {
		t.Fatalf("p: step = %d, view:\n%s", v.play.Step(), a.View())
	}
}

func TestHintsRevealOneByOne(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 120, 40)
	if a.lesson.keys.Hint.Enabled() {
		t.Error("hint enabled on a step without hints")
	}
	send(a, keyMsg("n"))
	if strings.Contains(a.View(), "Hint 1/2") {
		t.Fatal("hint shown before h")
	}
	send(a, keyMsg("h"))
	view := a.View()
	if !strings.Contains(view, "Hint 1/2") || strings.Contains(view, "Hint 2/2") {
		t.Fatalf("after one h want only hint 1:\n%s", view)
	}
	send(a, keyMsg("h"))
	if !strings.Contains(a.View(), "Hint 2/2") {
		t.Fatalf("second hint missing:\n%s", a.View())
	}
	// After the last hint, h shows the solution: the step's runnable commands.
	if !a.lesson.keys.Hint.Enabled() {
		t.Fatal("h disabled before the solution was shown")
	}
	if strings.Contains(a.View(), "Solution") {
		t.Fatal("solution shown before asked for")
	}
	send(a, keyMsg("h"))
	if v := a.View(); !strings.Contains(v, "Solution") || !strings.Contains(v, "kubectl apply -f web.yaml") {
		t.Fatalf("solution missing after the last hint:\n%s", v)
	}
	if a.lesson.keys.Hint.Enabled() {
		t.Error("hint still enabled with every hint and the solution shown")
	}
	send(a, keyMsg("h"))
	if got := a.lesson.play.State(1).Hints; got != 2 {
		t.Errorf("hints = %d after a fourth h, want 2", got)
	}
	// Hints belong to their step: they are still shown after leaving and coming back.
	send(a, keyMsg("n"))
	send(a, keyMsg("p"))
	if !strings.Contains(a.View(), "Hint 2/2") {
		t.Error("hints forgotten after moving away and back")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			a := newTestApp("en", newFakeCluster())
			openLesson(t, a, 80, 24)
			ctx := a.lesson.ctx
			cmd := send(a, keyMsg(k))
			if cmd == nil {
				t.Fatal("no Cmd")
			}
			if _, ok := cmd().(tea.QuitMsg); !ok {
				t.Fatalf("%s did not quit", k)
			}
			if ctx.Err() == nil {
				t.Error("lesson context still live after quit")
			}
		})
	}
}

func TestEscBackToMenu(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	ctx := a.lesson.ctx
	cmd := send(a, keyMsg("esc"))
	send(a, cmd())
	if a.lesson != nil {
		t.Fatal("still in the lesson after esc")
	}
	if ctx.Err() == nil {
		t.Error("lesson context not cancelled")
	}
	if !strings.Contains(a.View(), "Pick a lesson") {
		t.Errorf("menu not shown:\n%s", a.View())
	}
}

func TestResizeKeepsFrameInWindow(t *testing.T) {
	sizes := [][2]int{{20, 6}, {40, 12}, {60, 16}, {80, 24}, {99, 30}, {100, 30}, {120, 40}, {200, 60}}
	for _, lang := range []string{"en", "ko"} {
		c := newFakeCluster()
		a := newTestApp(lang, c)
		assertFrame(t, func() string { send(a, tea.WindowSizeMsg{Width: 80, Height: 24}); return a.View() }(), 80, 24)
		openLesson(t, a, 80, 24)
		send(a, keyMsg("n"))
		w := startWatch(t, a, c)
		send(a, watchBatchMsg{gen: a.lesson.watchP.gen, events: []engine.TableEvent{
			podEvent("ADDED", "web-0", "1/1", "Running", "20s"),
			podEvent("ADDED", "web-1", "0/1", "ContainerCreating", "2s"),
		}})
		_ = w
		for _, help := range []bool{false, true} {
			for _, s := range sizes {
				if a.help.ShowAll != help {
					send(a, keyMsg("?"))
				}
				send(a, tea.WindowSizeMsg{Width: s[0], Height: s[1]})
				assertFrame(t, a.View(), s[0], s[1])
			}
		}
	}
}

func TestHelpToggle(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	short := a.View()
	send(a, keyMsg("?"))
	if !a.help.ShowAll {
		t.Fatal("? did not open the full help")
	}
	full := a.View()
	if full == short || !strings.Contains(full, "pgdn") {
		t.Errorf("full help not shown:\n%s", full)
	}
	assertFrame(t, full, 80, 24)
	send(a, keyMsg("?"))
	if a.help.ShowAll {
		t.Error("? did not close the full help")
	}
}

func TestRunCommandSkipsNoRunAndShowsOutput(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 120, 40)
	send(a, keyMsg("n"))
	v := a.lesson
	if v.nextCmd() != 1 {
		t.Fatalf("next command = %d, want 1 (the watch command is noRun)", v.nextCmd())
	}
	cmd := send(a, keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter returned no Cmd")
	}
	if v.keys.Run.Enabled() || !v.keys.Stop.Enabled() {
		t.Error("run should be disabled and stop enabled while a command runs")
	}
	if !strings.Contains(a.View(), "running…") {
		t.Error("no running indicator")
	}
	msg := cmd()
	done, ok := msg.(cmdDoneMsg)
	if !ok {
		t.Fatalf("command Cmd returned %T", msg)
	}
	send(a, done)
	if got := c.ran; len(got) != 1 || got[0] != "kubectl apply -f web.yaml" {
		t.Fatalf("ran %q", got)
	}
	view := a.View()
	if !strings.Contains(view, "statefulset.apps/web created") {
		t.Errorf("output missing:\n%s", view)
	}
	if v.nextCmd() != 2 || !strings.Contains(view, "▶ $ kubectl get statefulset web") {
		t.Errorf("next command not advanced:\n%s", view)
	}
	if !strings.Contains(view, "✓ $ kubectl apply -f web.yaml") {
		t.Errorf("ran command not marked:\n%s", view)
	}

	// A failing command stays the next one and shows kubectl's message and exit status.
	c.fail["kubectl get statefulset web"] = 1
	send(a, send(a, keyMsg("enter"))())
	view = a.View()
	if !strings.Contains(view, "Error from server (NotFound)") || !strings.Contains(view, "exit status 1") {
		t.Errorf("failure not shown:\n%s", view)
	}
	if v.nextCmd() != 2 {
		t.Errorf("failed command no longer next")
	}
	// Once every runnable command ran, Enter does nothing.
	delete(c.fail, "kubectl get statefulset web")
	send(a, send(a, keyMsg("enter"))())
	if v.keys.Run.Enabled() {
		t.Error("run enabled with no command left")
	}
	if cmd := send(a, keyMsg("enter")); cmd != nil {
		t.Error("enter with nothing to run returned a Cmd")
	}
}

func TestStopCancelsRunningCommand(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 80, 24)
	send(a, keyMsg("n"))
	cmd := send(a, keyMsg("enter"))
	runCtx := a.lesson.runCancel
	if runCtx == nil {
		t.Fatal("no cancel func for the running command")
	}
	send(a, keyMsg("x"))
	// The fake returns at once; what matters is that its result still lands.
	send(a, cmd())
	if a.lesson.running {
		t.Error("still running after the result arrived")
	}
}

func TestChecksMarkDoneAndStayDone(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 120, 40)
	send(a, keyMsg("n"))
	v := a.lesson
	if !strings.Contains(v.statusView(), "checking") {
		t.Errorf("status before the first evaluation: %q", v.statusView())
	}
	fail := []lessons.CheckResult{{Desc: "The StatefulSet web exists", Detail: `statefulsets "web" not found`}}
	send(a, checksMsg{gen: v.gen, step: 1, results: fail})
	if s := v.statusView(); !strings.Contains(s, `○ The StatefulSet web exists: statefulsets "web" not found`) {
		t.Errorf("status = %q", s)
	}
	if v.play.State(1).Done {
		t.Fatal("done with a failing check")
	}
	send(a, checksMsg{gen: v.gen, step: 1, results: []lessons.CheckResult{{Desc: "x", OK: true}}})
	if !v.play.State(1).Done || !strings.Contains(v.statusView(), "✓ done") || !strings.Contains(a.View(), "Service and the StatefulSet ✓") {
		t.Fatalf("not marked done:\n%s", a.View())
	}
	send(a, checksMsg{gen: v.gen, step: 1, results: fail})
	if !v.play.State(1).Done {
		t.Error("a done step became undone")
	}
	// Results of an older visit are dropped.
	send(a, keyMsg("n"))
	send(a, checksMsg{gen: v.gen - 1000, step: 2, results: []lessons.CheckResult{{OK: true}}})
	if v.play.State(2).Checked {
		t.Error("stale checks applied")
	}
}

func TestTickLoopEvaluates(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 24)
	send(a, keyMsg("n"))
	v := a.lesson
	v.evaluating = false
	if cmd := send(a, tickMsg{gen: v.gen}); cmd == nil {
		t.Fatal("tick did not re-arm")
	}
	if !v.evaluating {
		t.Error("tick did not start an evaluation")
	}
	if cmd := send(a, tickMsg{gen: v.gen + 1}); cmd != nil {
		t.Error("a stale tick was re-armed: two tick loops would run")
	}
}

func TestStaleResultsDropped(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 80, 24)
	send(a, keyMsg("n"))
	v := a.lesson
	send(a, cmdDoneMsg{gen: v.gen + 1, step: 1, cmd: 1, output: "stale"})
	if v.play.State(1).Ran[1] || strings.Contains(a.View(), "stale") {
		t.Error("stale command result applied")
	}
	startWatch(t, a, c)
	send(a, watchBatchMsg{gen: v.watchP.gen + 1, events: []engine.TableEvent{podEvent("ADDED", "web-9", "0/1", "Pending", "1s")}})
	if len(v.watchP.rows) != 0 {
		t.Error("stale watch batch applied")
	}
}

func TestWatchTableUpdatesInPlace(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 120, 40)
	w := a.lesson.watchP
	startWatch(t, a, c)
	gen := w.gen
	send(a, watchBatchMsg{gen: gen, events: []engine.TableEvent{{Type: "LIST", Columns: podColumns}}})
	if !strings.Contains(a.View(), "No resources found.") {
		t.Errorf("empty list not shown:\n%s", a.View())
	}
	send(a, watchBatchMsg{gen: gen, events: []engine.TableEvent{
		podEvent("ADDED", "web-0", "0/1", "Pending", "0s"),
		podEvent("MODIFIED", "web-0", "0/1", "ContainerCreating", "0s"),
		podEvent("MODIFIED", "web-0", "1/1", "Running", "2s"),
		podEvent("ADDED", "web-1", "0/1", "Pending", "0s"),
	}})
	if len(w.rows) != 2 || w.rows["web-0"][2] != "Running" {
		t.Fatalf("rows = %v", w.rows)
	}
	if len(w.stream) != 4 {
		t.Fatalf("stream has %d rows, want 4", len(w.stream))
	}
	send(a, watchBatchMsg{gen: gen, events: []engine.TableEvent{podEvent("DELETED", "web-1", "0/1", "Terminating", "5s")}})
	if _, ok := w.rows["web-1"]; ok {
		t.Error("DELETED row still in the table")
	}
	if len(w.stream) != 5 {
		t.Error("DELETED not printed in the stream")
	}
	send(a, watchBatchMsg{gen: gen, events: []engine.TableEvent{{Type: "RESYNC"}, podEvent("LIST", "web-0", "1/1", "Running", "9s")}})
	if len(w.rows) != 1 || w.rows["web-0"][4] != "9s" {
		t.Errorf("after RESYNC rows = %v", w.rows)
	}
	send(a, watchBatchMsg{gen: gen, events: []engine.TableEvent{{Type: "ERROR", Err: context.DeadlineExceeded}}})
	if v := a.View(); !strings.Contains(v, "reconnecting…") || !strings.Contains(v, "deadline exceeded") {
		t.Errorf("watch error not shown as reconnecting:\n%s", v)
	}
	cmd := send(a, watchBatchMsg{gen: gen, ended: true})
	if cmd != nil || !w.ended || !strings.Contains(a.View(), "watch ended") && !strings.Contains(a.View(), "deadline") {
		t.Error("closed stream not reported or re-armed")
	}
}

func TestWatchOpenErrorRetries(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 120, 40)
	w := a.lesson.watchP
	if cmd := send(a, watchStartedMsg{gen: w.gen, err: errors.New("discovery not ready")}); cmd == nil {
		t.Fatal("no retry scheduled after a failed open")
	}
	if !strings.Contains(a.View(), "discovery not ready") {
		t.Errorf("open error not shown:\n%s", a.View())
	}
	if cmd := send(a, watchRetryMsg{gen: w.gen + 1}); cmd != nil {
		t.Error("stale retry reopened the watch")
	}
	cmd := send(a, watchRetryMsg{gen: w.gen})
	if cmd == nil {
		t.Fatal("retry did not reopen")
	}
	send(a, cmd())
	if w.ch == nil || len(c.watches) != 1 {
		t.Fatalf("watch not open after retry (%d opens)", len(c.watches))
	}
	// The fake's LIST marker clears the error once the watch delivers.
	send(a, w.rearm()())
	if w.lastErr != "" || !strings.Contains(a.View(), "No resources found.") {
		t.Errorf("after retry:\n%s", a.View())
	}
}

// Under a burst the next batch waits for the pace: what arrives before notBefore goes out
// with the first event; a closed watch or a cancelled pane ends the wait at once.
func TestWaitWatchPacedGathers(t *testing.T) {
	ch := make(chan engine.TableEvent) // unbuffered: each send is taken by the waiting batch
	got := make(chan tea.Msg, 1)
	go func() { got <- waitWatchPaced(context.Background(), 7, ch, time.Now().Add(time.Hour))() }()
	ch <- podEvent("ADDED", "web-0", "0/1", "Pending", "0s")
	ch <- podEvent("ADDED", "web-1", "0/1", "Pending", "0s")
	close(ch)
	b, ok := (<-got).(watchBatchMsg)
	if !ok || len(b.events) != 2 || !b.ended || b.gen != 7 {
		t.Fatalf("got %#v, want both events in one batch, ended", b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch2 := make(chan engine.TableEvent)
	go func() { got <- waitWatchPaced(ctx, 7, ch2, time.Now().Add(time.Hour))() }()
	ch2 <- podEvent("ADDED", "web-0", "0/1", "Pending", "0s")
	cancel()
	if msg := <-got; msg != nil {
		t.Fatalf("a cancelled wait returned %#v", msg)
	}
}

func TestWaitWatchCoalesces(t *testing.T) {
	ch := make(chan engine.TableEvent, 8)
	for i := 0; i < 3; i++ {
		ch <- podEvent("ADDED", "web-"+string(rune('0'+i)), "0/1", "Pending", "0s")
	}
	msg := waitWatch(context.Background(), 7, ch)()
	b, ok := msg.(watchBatchMsg)
	if !ok || len(b.events) != 3 || b.gen != 7 || b.ended {
		t.Fatalf("got %#v, want one batch of 3", msg)
	}
	ch <- podEvent("ADDED", "web-3", "0/1", "Pending", "0s")
	close(ch)
	b = waitWatch(context.Background(), 7, ch)().(watchBatchMsg)
	if len(b.events) != 1 || !b.ended {
		t.Fatalf("got %#v, want the last event and ended", b)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if msg := waitWatch(ctx, 7, make(chan engine.TableEvent))(); msg != nil {
		t.Fatalf("cancelled wait returned %#v", msg)
	}
}

func TestWatchRestartsOnlyWhenSpecChanges(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 80, 24)
	w := a.lesson.watchP
	gen, ctx := w.gen, w.ctx
	send(a, keyMsg("n")) // same watch: pods app=nginx
	if w.gen != gen || ctx.Err() != nil {
		t.Fatal("watch restarted for an unchanged spec")
	}
	send(a, keyMsg("n")) // pvc
	if w.gen == gen || ctx.Err() == nil || w.spec.Resource != "pvc" {
		t.Fatal("watch not moved to the new resource")
	}
	if !strings.Contains(a.View(), "Watch: pvc -l app=nginx") {
		t.Errorf("watch header:\n%s", a.View())
	}
}

func TestFocusAndScroll(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 14)
	v := a.lesson
	if v.focus != focusStep {
		t.Fatal("step pane not focused first")
	}
	if v.stepP.view.TotalLineCount() <= v.stepP.view.Height {
		t.Fatalf("test needs an overflowing step body (%d lines in %d)", v.stepP.view.TotalLineCount(), v.stepP.view.Height)
	}
	send(a, keyMsg("down"))
	if v.stepP.view.YOffset != 1 {
		t.Errorf("down: YOffset = %d", v.stepP.view.YOffset)
	}
	send(a, keyMsg("up"))
	if v.stepP.view.YOffset != 0 {
		t.Errorf("up: YOffset = %d", v.stepP.view.YOffset)
	}
	send(a, keyMsg("tab"))
	if v.focus != focusWatch || !strings.Contains(a.View(), "▸ Watch") {
		t.Errorf("tab: focus = %d", v.focus)
	}
	send(a, keyMsg("tab"))
	send(a, keyMsg("tab"))
	if v.focus != focusStep {
		t.Errorf("tab cycle: focus = %d", v.focus)
	}
	// The wheel scrolls the pane under the pointer, whatever has focus.
	r := v.rects[focusStep]
	send(a, tea.MouseMsg{X: r.x + 1, Y: r.y + 2, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if v.stepP.view.YOffset == 0 {
		t.Error("wheel did not scroll the step pane")
	}
}

func TestStatusLine(t *testing.T) {
	a := newTestApp("ko", newFakeCluster())
	openLesson(t, a, 120, 40)
	s := a.lesson.statusView()
	for _, want := range []string{"simulator", "네임스페이스 default", "속도 2×", "1/3단계", "✓ 완료"} {
		if !strings.Contains(s, want) {
			t.Errorf("status %q lacks %q", s, want)
		}
	}
}

func TestStatusStyles(t *testing.T) {
	st := DefaultStyles(nil)
	cases := map[string]string{
		"Running": "ok", "Bound": "ok", "Pending": "wait", "ContainerCreating": "wait", "Init:0/1": "wait",
		"Terminating": "gone", "Completed": "done", "Error": "bad", "CrashLoopBackOff": "bad",
		"Init:CrashLoopBackOff": "bad", "1/1": "",
	}
	for status, want := range cases {
		s, ok := st.statusStyle(status)
		got := ""
		if ok {
			switch s.GetForeground() {
			case st.StatusOK.GetForeground():
				got = "ok"
			case st.StatusWait.GetForeground():
				got = "wait"
			case st.StatusGone.GetForeground():
				got = "gone"
			case st.StatusDone.GetForeground():
				got = "done"
			case st.StatusBad.GetForeground():
				got = "bad"
			}
		}
		if got != want {
			t.Errorf("%s: %q, want %q", status, got, want)
		}
	}
}

func TestFitMeasuresWideRunes(t *testing.T) {
	got := fit("스테이트풀셋 파드\nab", 9, 3)
	lines := strings.Split(got, "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	if lines[0] != "스테이트…" {
		t.Errorf("line 0 = %q", lines[0])
	}
	if lines[1] != "ab       " || lines[2] != "         " {
		t.Errorf("padding: %q", lines[1:])
	}
}

func TestUnwrapListItems(t *testing.T) {
	in := "Para\nsoft\n\n- an **ordinal**\n  (`web-0`) stays;\n- two\n\n```\n- a\n  b\n```\n"
	want := "Para\nsoft\n\n- an **ordinal** (`web-0`) stays;\n- two\n\n```\n- a\n  b\n```\n"
	if got := unwrapListItems(in); got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// A kubectl table wider than the output pane keeps its shape: no wrapping, and ← → scroll it.
func TestWideOutputScrollsSideways(t *testing.T) {
	c := newFakeCluster()
	wideRow := "www-web-0   Bound    pvc-0c30b42e-2d3f-48d8-aede-5e7727776386   1Gi   RWO   standard   <unset>   53s"
	c.outputs["kubectl apply -f web.yaml"] = "NAME        STATUS   VOLUME                                     CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE\n" + wideRow + "\n"
	a := newTestApp("en", c)
	openLesson(t, a, 80, 30)
	send(a, keyMsg("n"))
	v := a.lesson
	if v.outP.keys().Sideways.Enabled() {
		t.Fatal("sideways scrolling offered before any wide output")
	}
	send(a, send(a, keyMsg("enter"))())
	if !v.outP.keys().Sideways.Enabled() {
		t.Fatal("wide output should enable ← →")
	}
	view := a.View()
	if !strings.Contains(view, "www-web-0   Bound") || strings.Contains(view, "\n53s") {
		t.Fatalf("the table was wrapped instead of cut:\n%s", view)
	}
	send(a, tea.KeyMsg{Type: tea.KeyRight})
	if v.outP.view.HorizontalScrollPercent() == 0 || strings.Contains(a.View(), "www-web-0   Bound") {
		t.Fatalf("→ did not scroll the output:\n%s", a.View())
	}
	send(a, tea.KeyMsg{Type: tea.KeyLeft})
	if v.outP.view.HorizontalScrollPercent() != 0 || !strings.Contains(a.View(), "www-web-0   Bound") {
		t.Fatalf("← did not scroll back:\n%s", a.View())
	}
}

// Skipping ahead of an unfinished step says why the next commands may fail; finishing every
// step says the lesson is complete.
func TestSkipAheadNoteAndLessonComplete(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		a := newTestApp(lang, newFakeCluster())
		openLesson(t, a, 120, 40)
		v := a.lesson
		send(a, keyMsg("n")) // step 2: step 1 has no checks, so it is done
		if strings.Contains(a.View(), v.t.EarlierSteps) {
			t.Fatalf("%s: note shown though no earlier step is undone:\n%s", lang, a.View())
		}
		send(a, keyMsg("n")) // step 3, skipping step 2's checks
		want := fmt.Sprintf(v.t.EarlierStepsNote, "2")
		if !strings.Contains(strings.Join(strings.Fields(a.View()), " "), strings.Join(strings.Fields(want), " ")[:30]) {
			t.Fatalf("%s: no note about step 2:\n%s", lang, a.View())
		}
		if strings.Contains(v.statusView(), lessonDonePrefix(v.t.LessonDone)) {
			t.Fatalf("%s: lesson complete with step 2 undone: %q", lang, v.statusView())
		}
		send(a, keyMsg("p"))
		send(a, checksMsg{gen: v.gen, step: 1, results: []lessons.CheckResult{{Desc: "x", OK: true}}})
		send(a, keyMsg("n"))
		if !strings.Contains(v.statusView(), lessonDonePrefix(v.t.LessonDone)) {
			t.Fatalf("%s: every step done but no lesson-complete status: %q", lang, v.statusView())
		}
	}
}

// lessonDonePrefix is the words before the colon, enough to recognise the message.
func lessonDonePrefix(s string) string {
	before, _, _ := strings.Cut(s, ":")
	return before
}

// TestStatusLineCacheFollowsItsInputs: the status line, kept between messages, is the line
// made afresh after each change of what it shows (width, namespace, speed, pause, flash,
// step, check, language) and stays the same string while nothing changes.
func TestStatusLineCacheFollowsItsInputs(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 120, 40)
	v := a.lesson
	fresh := func() string { return v.makeStatusView(v.checkState()) }
	check := func(what string) {
		t.Helper()
		if got, want := v.statusView(), fresh(); got != want {
			t.Errorf("%s: status %q, want %q", what, got, want)
		}
	}
	first := v.statusView()
	if again := v.statusView(); again != first || again != fresh() {
		t.Fatalf("unchanged status %q then %q, want %q", first, again, fresh())
	}
	v.width = 60
	check("narrower")
	v.ns = "other-namespace"
	check("namespace")
	v.speed = "speed 8×"
	check("speed")
	v.width = 32 // narrow enough that a paused simulator takes the cluster name's place
	check("narrowest")
	v.sim.Pause()
	check("paused")
	v.sim.Resume()
	check("resumed")
	v.flash = "copied"
	check("flash")
	v.flash = ""
	v.goStep(1)
	check("next step")
	v.play.SetResults(1, nil)
	check("check results")
	v.t = texts["ko"]
	check("language")
	v.width = 120
	check("wider")
}
