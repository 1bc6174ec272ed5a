package tui

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/lessonstate"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// press sends one key to a pane on its own and returns the resulting Cmd.
func press(c Component, k string) tea.Cmd {
	_, cmd := c.Update(keyMsg(k))
	return cmd
}

// helpHas reports whether the pane's help lists an enabled binding for k.
func helpHas(c Component, k string) bool { return handles(c, keyMsg(k)) }

// TestStepPaneAlone: the step pane scrolls its text with its own bindings, offers each only
// where the text goes on, and ignores every other key.
func TestStepPaneAlone(t *testing.T) {
	p := newStepPane(nil, textFor("en"), nil)
	p.st = &Styles{}
	*p.st = DefaultStyles(lipgloss.DefaultRenderer())
	p.md = newMarkdown("notty", lipgloss.DefaultRenderer().ColorProfile())
	var body []string
	for i := 0; i < 40; i++ {
		body = append(body, fmt.Sprintf("Line %d of the step.", i))
	}
	p.body = strings.Join(body, "\n\n")
	p.SetSize(40, 10)
	if helpHas(p, "up") || helpHas(p, "pgup") || !helpHas(p, "down") || !helpHas(p, "pgdown") {
		t.Fatalf("at the top: help %v", keysOf(p))
	}
	press(p, "down")
	if p.view.YOffset != 1 || !helpHas(p, "up") {
		t.Fatalf("down: offset %d, up offered %v", p.view.YOffset, helpHas(p, "up"))
	}
	for _, other := range []string{"n", "enter", "tab", "v", "y", "left"} {
		if helpHas(p, other) {
			t.Errorf("the step pane offers %q", other)
		}
		press(p, other)
	}
	if p.view.YOffset != 1 {
		t.Errorf("another pane's key moved the step text: offset %d", p.view.YOffset)
	}
	for i := 0; i < 100 && helpHas(p, "pgdown"); i++ {
		press(p, "pgdown")
	}
	if !p.view.AtBottom() || helpHas(p, "down") {
		t.Errorf("pgdn to the end: at bottom %v, down offered %v", p.view.AtBottom(), helpHas(p, "down"))
	}
	p.Update(tea.MouseMsg{Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp})
	if p.view.AtBottom() {
		t.Error("the wheel did not scroll the step text")
	}
}

// TestOutputPaneAlone: the output pane scrolls up and down and sideways through its own
// bindings; ← → are offered (and reach it from other panes) only when a line is wider than
// the pane, and only the way it can move.
func TestOutputPaneAlone(t *testing.T) {
	st := DefaultStyles(lipgloss.DefaultRenderer())
	o := newOutputPane(&st, textFor("en"))
	o.SetSize(30, 6)
	if ks := enabledList(keysOf(o)); len(ks) != 0 {
		t.Fatalf("an empty pane offers keys: %v", ks)
	}
	o.note("narrow", "a\nb\nc\nd\ne\nf\ng\nh", "")
	if helpHas(o, "left") || helpHas(o, "right") || matchesAny(keyMsg("right"), o.Reach()...) {
		t.Fatal("sideways offered without a wide line")
	}
	o.note("wide", strings.Repeat("x", 80), "")
	if !helpHas(o, "right") || helpHas(o, "left") || !matchesAny(keyMsg("right"), o.Reach()...) {
		t.Fatalf("wide line: help %v", keysOf(o))
	}
	press(o, "right")
	if o.view.HorizontalScrollPercent() == 0 || !helpHas(o, "left") {
		t.Fatal("→ did not scroll sideways")
	}
	press(o, "left")
	if o.view.HorizontalScrollPercent() != 0 {
		t.Error("← did not scroll back")
	}
	y := o.view.YOffset
	if !helpHas(o, "up") {
		t.Fatalf("following the newest note, up is not offered: %v", keysOf(o))
	}
	press(o, "up")
	if o.view.YOffset != y-1 || !o.pinned {
		t.Errorf("up: offset %d → %d, pinned %v", y, o.view.YOffset, o.pinned)
	}
	press(o, "n")
	if o.view.YOffset != y-1 {
		t.Error("a key of no binding of the pane moved it")
	}
}

// TestWatchPaneAlone: the watch pane takes its batches, then y selects a row (and tells its
// host), ↑ ↓ move the selection, esc ends it, and v switches the view, all through the
// pane's own bindings.
func TestWatchPaneAlone(t *testing.T) {
	st := DefaultStyles(lipgloss.DefaultRenderer())
	w := newWatchPane(&st, textFor("en"))
	c := newFakeCluster()
	w.objects = func(context.Context, string, string) (<-chan ObjectEvent, error) { return nil, nil }
	w.lister = func(context.Context, string, string) ([]unstructured.Unstructured, error) { return nil, nil }
	w.start(context.Background(), c, lessons.Watch{Resource: "pods"})
	w.SetSize(60, 12)
	if helpHas(w, "y") {
		t.Fatal("y offered before any row")
	}
	w.Update(watchBatchMsg{gen: w.gen, events: []engine.TableEvent{
		podEvent("ADDED", "web-0", "0/1", "Pending", "0s"),
		podEvent("MODIFIED", "web-0", "1/1", "Running", "1s"),
	}})
	selections := 0
	w.onSelect = func() { selections++ }
	if !helpHas(w, "y") || helpHas(w, "esc") {
		t.Fatalf("rows: help %v", keysOf(w))
	}
	press(w, "y")
	if w.selected != 1 || selections != 1 || !helpHas(w, "up") || helpHas(w, "down") || !helpHas(w, "esc") {
		t.Fatalf("y: selected %d, told %d, help %v", w.selected, selections, keysOf(w))
	}
	press(w, "up")
	if w.selected != 0 || selections != 2 {
		t.Fatalf("up: selected %d, told %d", w.selected, selections)
	}
	press(w, "esc")
	if w.selected != -1 || selections != 3 || helpHas(w, "esc") {
		t.Fatalf("esc: selected %d, told %d", w.selected, selections)
	}
	if !matchesAny(keyMsg("v"), w.Reach()...) || !matchesAny(keyMsg("y"), w.Reach()...) {
		t.Error("v and y do not reach the watch from other panes")
	}
	if cmd := press(w, "v"); cmd == nil || w.mode != viewSet {
		t.Errorf("v: mode %v, cmd %v", w.mode, cmd != nil)
	}
}

// fakeQuizHost records what the quiz asked of its lesson view.
type fakeQuizHost struct {
	recorded []string
	closed   int
	next     bool
	opened   int
}

func (h *fakeQuizHost) recordAnswer(q, c int) tea.Cmd {
	h.recorded = append(h.recorded, fmt.Sprintf("%d:%d", q, c))
	return func() tea.Msg { return nil }
}
func (h *fakeQuizHost) closeQuiz()                      { h.closed++ }
func (h *fakeQuizHost) nextLesson() tea.Cmd             { h.opened++; return func() tea.Msg { return nil } }
func (h *fakeQuizHost) hasNext() bool                   { return h.next }
func (h *fakeQuizHost) inlineMD(s string, _ int) string { return s }
func (h *fakeQuizHost) finishText(int) string           { return "score\nmissed\nnext" }

// TestQuizPaneAlone: the quiz moves, answers (first answers are recorded by the state
// machine, not the pane), goes on to the finish page and to the next lesson through its own
// bindings and its host.
func TestQuizPaneAlone(t *testing.T) {
	st := DefaultStyles(lipgloss.DefaultRenderer())
	play := lessonstate.New(lessonstate.Normalize(quizLessons("en")[0]))
	h := &fakeQuizHost{next: true}
	q := newQuizPane(&st, textFor("en"), play, h)
	q.SetSize(60, 20)
	if helpHas(q, "up") || !helpHas(q, "down") || !helpHas(q, "n") || helpHas(q, "x") {
		t.Fatalf("first question: help %v", keysOf(q))
	}
	press(q, "down")
	if cmd := press(q, "enter"); cmd == nil || strings.Join(h.recorded, ",") != "0:1" {
		t.Fatalf("answer: recorded %v", h.recorded)
	}
	press(q, "up")
	if cmd := press(q, "enter"); cmd != nil || len(h.recorded) != 1 {
		t.Errorf("a second answer was recorded: %v", h.recorded)
	}
	if got, ok := play.First(0); !ok || got != 1 {
		t.Errorf("state machine's first answer %d %v", got, ok)
	}
	press(q, "n")
	if q.q != 1 || helpHas(q, "n") {
		t.Fatalf("n: question %d; n offered before the last answer: %v", q.q, helpHas(q, "n"))
	}
	press(q, "enter")
	press(q, "n")
	if !q.finish || !helpHas(q, "enter") {
		t.Fatalf("finish page: %v, help %v", q.finish, keysOf(q))
	}
	press(q, "enter")
	if h.opened != 1 {
		t.Error("enter on the finish page did not open the next lesson")
	}
	press(q, "p")
	press(q, "p")
	if h.closed != 1 {
		t.Errorf("p twice (finish page, then the quiz): closed %d", h.closed)
	}
}

// paneRects is each pane's size as the pane itself holds it.
func paneSizes(v *lessonView) [focusCount][2]int {
	return [focusCount][2]int{
		{v.stepP.width, v.stepP.height},
		{v.watchP.width, v.watchP.height},
		{v.outP.width, v.outP.height},
	}
}

// TestPaneSizesSumToScreen: at 80×24, 100×30 and 200×50, in both languages and with the full
// help open or not, the panes the lesson view sizes, the status line and the help lines fill
// the window exactly: side by side (with the one-cell separator) they sum to its width,
// stacked to its height.
func TestPaneSizesSumToScreen(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		for _, sz := range goldenSizes {
			for _, full := range []bool{false, true} {
				c := newFakeCluster()
				a := newTestApp(lang, c)
				a.checkTick = func(int64) tea.Cmd { return nil }
				openAndRun(t, a, sz[0], sz[1])
				run(a, send(a, keyMsg("n")))
				if full {
					send(a, keyMsg("?"))
				}
				v := a.lesson
				w, h := sz[0], sz[1]
				helpH := lipgloss.Height(a.helpView())
				statusH := lipgloss.Height(v.statusView())
				if v.width != w || v.height+helpH != h {
					t.Fatalf("%s %v: lesson %dx%d + help %d", lang, sz, v.width, v.height, helpH)
				}
				got := paneSizes(v)
				for f, r := range v.rects {
					if got[f] != [2]int{r.w, r.h} {
						t.Errorf("%s %v: pane %d sized %v, laid out %v", lang, sz, f, got[f], r)
					}
				}
				s, wa, o := got[focusStep], got[focusWatch], got[focusOutput]
				if w >= wideWidth {
					if s[0]+1+wa[0] != w || o[0] != w || s[1] != wa[1] || s[1]+o[1]+statusH != v.height {
						t.Errorf("%s %v full=%v: step %v watch %v output %v status %d do not fill %dx%d",
							lang, sz, full, s, wa, o, statusH, w, v.height)
					}
				} else if s[0] != w || wa[0] != w || o[0] != w || s[1]+wa[1]+o[1]+statusH != v.height {
					t.Errorf("%s %v full=%v: step %v watch %v output %v status %d do not fill %dx%d",
						lang, sz, full, s, wa, o, statusH, w, v.height)
				}
				assertFrame(t, a.View(), w, h)
			}
		}
	}
}

// keyScene is a state of the player whose help the binding tests press through.
type keyScene struct {
	name string
	make func(t *testing.T) *App
	// text: the scene takes any other key as text or as an answer (the bar, a question), so
	// keys outside the help are not expected to do nothing.
	text bool
}

// sceneApp is a player with every optional key's prerequisite: resets, another language,
// a kubeconfig path, picture views and row inspection.
func sceneApp(c *fakeCluster, ls func(string) []lessons.Lesson, demo string) *App {
	objs := make(chan ObjectEvent, 8)
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(), Lessons: ls("en"),
		Lang: "en", MarkdownStyle: "notty", Progress: progress.Memory(), LessonsFor: ls, KubeconfigPath: "/k",
		Demo:  demo,
		Reset: func(context.Context) error { return nil },
		List:  func(context.Context, string, string) ([]unstructured.Unstructured, error) { return nil, nil },
		WatchObjects: func(context.Context, string, string) (<-chan ObjectEvent, error) {
			return objs, nil
		}})
	// The check tick would hold every run for a second; the scenes drive no ticks.
	a.checkTick = func(int64) tea.Cmd { return nil }
	return a
}

// stepTwo opens the lesson at step 2 with rows in the watch and output in the pane.
func stepTwo(t *testing.T, c *fakeCluster, w, h int) *App {
	a := sceneApp(c, quizLessons, "")
	openAndRun(t, a, w, h)
	run(a, send(a, keyMsg("n")))
	startWatch(t, a, c)
	wp := a.lesson.watchP
	var evs []engine.TableEvent
	for i := 0; i < 12; i++ {
		evs = append(evs, podEvent("MODIFIED", "web-0", "0/1", fmt.Sprintf("S%02d", i), "0s"))
	}
	send(a, watchBatchMsg{gen: wp.gen, events: evs})
	return a
}

func keyScenes() []keyScene {
	wide := func(c *fakeCluster) {
		c.outputs["kubectl apply -f web.yaml"] = strings.Repeat("NAME   STATUS   VOLUME   CAPACITY   ACCESS MODES   ", 4) + "\n" +
			strings.Repeat("line\n", 30)
	}
	return []keyScene{
		{name: "step focused", make: func(t *testing.T) *App { return stepTwo(t, newFakeCluster(), 80, 24) }},
		{name: "watch focused", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 80, 24)
			send(a, keyMsg("tab"))
			return a
		}},
		{name: "row selected", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 120, 40)
			send(a, keyMsg("y"))
			return a
		}},
		{name: "row selected, 80x24", make: func(t *testing.T) *App {
			c := newFakeCluster()
			wide(c)
			a := stepTwo(t, c, 80, 24)
			run(a, send(a, keyMsg("enter")))
			send(a, keyMsg("y"))
			return a
		}},
		{name: "korean, 80x24", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 80, 24)
			send(a, keyMsg("L"))
			send(a, keyMsg("y"))
			if a.opts.Lang != "ko" || a.lesson.watchP.selected < 0 {
				t.Fatalf("L, y: language %s, row %d", a.opts.Lang, a.lesson.watchP.selected)
			}
			return a
		}},
		{name: "output focused, wide", make: func(t *testing.T) *App {
			c := newFakeCluster()
			wide(c)
			a := stepTwo(t, c, 80, 24)
			run(a, send(a, keyMsg("enter")))
			send(a, keyMsg("tab"))
			send(a, keyMsg("tab"))
			return a
		}},
		{name: "running", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 100, 30)
			send(a, keyMsg("enter")) // the command's Cmd is never run: it stays running
			return a
		}},
		{name: "paused", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 100, 30)
			send(a, keyMsg(" "))
			return a
		}},
		{name: "question", text: true, make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 100, 30)
			send(a, keyMsg("R"))
			return a
		}},
		{name: "quiz", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 100, 30)
			run(a, send(a, keyMsg("n")))
			run(a, send(a, keyMsg("n")))
			return a
		}},
		{name: "finish", make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 100, 30)
			run(a, send(a, keyMsg("n")))
			run(a, send(a, keyMsg("n")))
			for i := 0; i < 2; i++ {
				run(a, send(a, keyMsg("enter")))
				run(a, send(a, keyMsg("n")))
			}
			return a
		}},
		{name: "prediction", make: func(t *testing.T) *App {
			c := newFakeCluster()
			a := sceneApp(c, func(l string) []lessons.Lesson { return withPrediction(testLessons(l), l) }, "")
			openAndRun(t, a, 80, 24)
			run(a, send(a, keyMsg("n")))
			return a
		}},
		{name: "real cluster", make: func(t *testing.T) *App {
			c := newFakeCluster()
			c.real = true
			a := sceneApp(c, quizLessons, "")
			openAndRun(t, a, 100, 30)
			run(a, send(a, keyMsg("n")))
			return a
		}},
		{name: "demo", make: func(t *testing.T) *App {
			c := newFakeCluster()
			a := sceneApp(c, testLessons, "statefulset-basics")
			a.demoTick = func(int64) tea.Cmd { return nil }
			send(a, tea.WindowSizeMsg{Width: 100, Height: 30})
			run(a, send(a, a.Init()()))
			run(a, send(a, keyMsg("right")))
			return a
		}},
		{name: "command bar", text: true, make: func(t *testing.T) *App {
			a := stepTwo(t, newFakeCluster(), 100, 30)
			send(a, keyMsg(":"))
			for _, r := range "get pods" {
				send(a, keyMsg(string(r)))
			}
			run(a, send(a, keyMsg("enter")))
			for _, r := range "get" {
				send(a, keyMsg(string(r)))
			}
			return a
		}},
	}
}

// fingerprint is what a key press may change: the frame, and the state behind it that a
// frame may not show yet (a selection, a scroll, a cancelled command).
func fingerprint(a *App) string {
	s := a.View() + fmt.Sprint(a.help.ShowAll, a.cmdbar.open, a.cmdbar.input.Value(), a.cmdbar.histPos, a.cmdbar.scroll)
	if v := a.lesson; v != nil {
		s += fmt.Sprint(v.focus, v.flash, v.ask != nil, v.play.Step(), v.running, v.watchP.selected, v.watchP.mode,
			v.stepP.view.YOffset, v.watchP.view.YOffset, v.outP.view.YOffset, v.outP.view.HorizontalScrollPercent(),
			v.sim != nil && v.sim.Paused())
		if v.sim != nil {
			s += fmt.Sprint(v.sim.Speed())
		}
		if v.quiz != nil {
			s += fmt.Sprint(v.quiz.q, v.quiz.sel, v.quiz.finish, v.quiz.fin.YOffset)
		}
		if v.demo != nil {
			s += fmt.Sprint(v.demo.paused)
		}
	}
	return s
}

// pressKey sends k as the terminal would: a key, or for the help's wheel entry a wheel
// turn over the focused pane, down and, when that moved nothing, up (one of them moves it;
// both would cancel out).
func pressKey(a *App, k string) tea.Cmd {
	if k != wheelKey {
		return send(a, keyMsg(k))
	}
	v := a.lesson
	r := v.rects[v.focus]
	before := fingerprint(a)
	if cmd := send(a, tea.MouseMsg{X: r.x + 1, Y: r.y + 1, Action: tea.MouseActionPress, Button: tea.MouseButtonWheelDown}); cmd != nil || fingerprint(a) != before {
		return cmd
	}
	return send(a, tea.MouseMsg{X: r.x + 1, Y: r.y + 1, Action: tea.MouseActionPress, Button: tea.MouseButtonWheelUp})
}

// TestEveryHelpKeyWorks: in every state of the lesson screen (each pane focused, a row
// selected, a command running, paused, a question, the quiz, the finish page, a prediction,
// a real cluster, the demo, the command bar), every binding the help lists is enabled, and
// each of its keys, pressed on a fresh player in that state, does something (changes the
// state or the frame, or returns a Cmd). The short help lists nothing the full help lacks.
// And a key the help does not list does nothing, except where keys are text or answers.
func TestEveryHelpKeyWorks(t *testing.T) {
	others := []string{"enter", "esc", "tab", "up", "down", "left", "right", "pgup", "pgdown", " "}
	for _, r := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-+=:?/" {
		others = append(others, string(r))
	}
	for _, sc := range keyScenes() {
		t.Run(sc.name, func(t *testing.T) {
			a := sc.make(t)
			km := a.screenKeys()
			listed := map[string]bool{}
			full := map[string]bool{}
			for _, g := range km.FullHelp() {
				for _, b := range g {
					if !b.Enabled() {
						t.Errorf("help lists the disabled %q", b.Help().Key)
					}
					full[b.Help().Key+" "+b.Help().Desc] = true
					for _, k := range b.Keys() {
						listed[k] = true
					}
				}
			}
			// The full help, open, shows every one of them within the window (bubbles cuts
			// the columns that do not fit).
			a.help.ShowAll = true
			shown := ansiPlain(a.helpView())
			for _, l := range strings.Split(shown, "\n") {
				if lipgloss.Width(l) > a.width {
					t.Errorf("full help line wider than %d: %q", a.width, l)
				}
			}
			for _, g := range km.FullHelp() {
				for _, b := range g {
					if !strings.Contains(shown, b.Help().Desc) {
						t.Errorf("the full help at %d columns does not show %q:\n%s", a.width, b.Help().Desc, shown)
					}
				}
			}
			a.help.ShowAll = false
			for _, b := range km.ShortHelp() {
				if !full[b.Help().Key+" "+b.Help().Desc] {
					t.Errorf("the short help's %q %q is not in the full help", b.Help().Key, b.Help().Desc)
				}
			}
			for k := range listed {
				if k == "ctrl+c" {
					continue // quits: q stands for it
				}
				b := sc.make(t)
				before := fingerprint(b)
				if cmd := pressKey(b, k); cmd == nil && fingerprint(b) == before {
					t.Errorf("%q is in the help but does nothing:\n%s", k, b.View())
				}
			}
			if sc.text {
				return
			}
			for _, k := range others {
				if listed[k] {
					continue
				}
				b := sc.make(t)
				before := fingerprint(b)
				if cmd := pressKey(b, k); cmd != nil || fingerprint(b) != before {
					t.Errorf("%q works but the help does not list it", k)
				}
			}
		})
	}
}

// TestNoKeyStringsOutsideKeyMaps: the player's code matches keys only through key.Binding:
// no comparison of a key's String() (or of its runes as a string) with a literal, no switch
// over String(), and no comparison of a key's Type with a tea.Key constant, in any non-test
// file. tea.KeyRunes is the one allowed: it tells typed text from keys and names no key.
func TestNoKeyStringsOutsideKeyMaps(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	scanned := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		scanned++
		for _, bad := range keyStringUses(fset, file) {
			t.Error(bad)
		}
	}
	if scanned < 20 {
		t.Fatalf("scanned %d files: run from the tui folder", scanned)
	}
}

// TestKeyStringScanFindsEach: the scan above flags each way of matching a key by its
// spelling, and not the ways through bindings.
func TestKeyStringScanFindsEach(t *testing.T) {
	src := `package p
func f(msg tea.KeyMsg, b key.Binding) {
	if msg.String() == "q" {}
	if "esc" != msg.String() {}
	switch msg.String() { case "enter": }
	switch s := msg.String(); s { case "x": }
	switch { case msg.String() == "y": }
	if string(msg.Runes) == "n" {}
	if msg.Type == tea.KeyEnter {}
	if key.Matches(msg, b) {}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 {}
}`
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := keyStringUses(fset, file)
	var lines []int
	for _, g := range got {
		var l int
		fmt.Sscanf(strings.TrimPrefix(g, "p.go:"), "%d", &l)
		lines = append(lines, l)
	}
	if want := []int{3, 4, 5, 6, 7, 8, 9}; fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("flagged lines %v, want %v:\n%s", lines, want, strings.Join(got, "\n"))
	}
}

// keyStringUses lists the places in file that match a key by its spelling.
func keyStringUses(fset *token.FileSet, file *ast.File) []string {
	isStringCall := func(e ast.Expr) bool {
		c, ok := e.(*ast.CallExpr)
		if !ok {
			return false
		}
		if s, ok := c.Fun.(*ast.SelectorExpr); ok && len(c.Args) == 0 {
			return s.Sel.Name == "String"
		}
		// string(msg.Runes)
		if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "string" && len(c.Args) == 1 {
			s, ok := c.Args[0].(*ast.SelectorExpr)
			return ok && s.Sel.Name == "Runes"
		}
		return false
	}
	isLit := func(e ast.Expr) bool {
		l, ok := e.(*ast.BasicLit)
		return ok && (l.Kind == token.STRING || l.Kind == token.CHAR)
	}
	isTeaKey := func(e ast.Expr) bool {
		s, ok := e.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		x, ok := s.X.(*ast.Ident)
		return ok && x.Name == "tea" && strings.HasPrefix(s.Sel.Name, "Key") && s.Sel.Name != "KeyRunes"
	}
	var out []string
	ast.Inspect(file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			if n.Op != token.EQL && n.Op != token.NEQ {
				return true
			}
			if (isStringCall(n.X) && isLit(n.Y)) || (isStringCall(n.Y) && isLit(n.X)) {
				out = append(out, fmt.Sprintf("%s: a key's spelling compared with a literal", fset.Position(n.Pos())))
			}
			if isTeaKey(n.X) || isTeaKey(n.Y) {
				out = append(out, fmt.Sprintf("%s: a key type compared with a tea.Key constant", fset.Position(n.Pos())))
			}
		case *ast.SwitchStmt:
			tagged := n.Tag != nil && isStringCall(n.Tag)
			// switch s := msg.String(); s { … }
			if a, ok := n.Init.(*ast.AssignStmt); ok && len(a.Rhs) == 1 && isStringCall(a.Rhs[0]) {
				tagged = true
			}
			if tagged {
				out = append(out, fmt.Sprintf("%s: a switch over a key's String()", fset.Position(n.Pos())))
			}
		}
		return true
	})
	return out
}

// TestSolutionSaysWhenAllRan: the solution offers s while commands are left to run; once
// every command ran, it no longer tells the learner to press a key that does nothing.
func TestSolutionSaysWhenAllRan(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		tx := textFor(lang)
		a := newTestApp(lang, newFakeCluster())
		a.checkTick = func(int64) tea.Cmd { return nil }
		openAndRun(t, a, 200, 60)
		run(a, send(a, keyMsg("n")))
		v := a.lesson
		stepText := func() string {
			v.stepP.view.GotoBottom()
			return strings.Join(strings.Fields(ansiPlain(v.stepP.View())), " ")
		}
		for i := 0; i < 5 && v.keys.Hint.Enabled(); i++ {
			run(a, send(a, keyMsg("h")))
		}
		intro := strings.Join(strings.Fields(tx.SolutionIntro), " ")
		ran := strings.Join(strings.Fields(tx.SolutionRan), " ")
		if got := stepText(); !strings.Contains(got, intro) || strings.Contains(got, ran) {
			t.Fatalf("%s: solution before running:\n%s", lang, got)
		}
		run(a, send(a, keyMsg("s")))
		if v.nextCmd() >= 0 {
			t.Fatalf("%s: s left command %d to run", lang, v.nextCmd())
		}
		if got := stepText(); strings.Contains(got, intro) || !strings.Contains(got, ran) {
			t.Errorf("%s: solution after every command ran:\n%s", lang, got)
		}
	}
}

// TestLangSwitchRedoesInspection: L while a row is selected redoes the row's view in the
// output pane in the new language (seen in tmux: its title stayed Korean).
func TestLangSwitchRedoesInspection(t *testing.T) {
	a := stepTwo(t, newFakeCluster(), 100, 30)
	send(a, keyMsg("y"))
	v := a.lesson
	en, ko := textFor("en"), textFor("ko")
	if v.watchP.selected < 0 || !strings.Contains(ansiPlain(v.outP.text), en.NotRecorded) {
		t.Fatalf("y: selected %d, output %q", v.watchP.selected, v.outP.text)
	}
	send(a, keyMsg("L"))
	if v := a.lesson; !strings.Contains(ansiPlain(v.outP.text), ko.NotRecorded) || v.outP.label == "" {
		t.Errorf("after L: label %q, output %q", v.outP.label, v.outP.text)
	}
}

// TestQuizTakesFocus: the quiz opens focused even when another pane had the focus, so one
// pane is marked ▸ and ↑ ↓ move the quiz's choice (seen in tmux: ▸ on the quiz and the
// watch, ↑ scrolling the watch and ↓ moving the choice).
func TestQuizTakesFocus(t *testing.T) {
	a := stepTwo(t, newFakeCluster(), 100, 30)
	send(a, keyMsg("tab"))
	if a.lesson.focus != focusWatch {
		t.Fatalf("tab: focus %d", a.lesson.focus)
	}
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("n")))
	v := a.lesson
	if v.quiz == nil {
		t.Fatal("no quiz after the last step")
	}
	if v.focus != focusStep || strings.Count(ansiPlain(a.View()), "▸") != 1 {
		t.Fatalf("quiz open: focus %d, view:\n%s", v.focus, a.View())
	}
	send(a, keyMsg("down"))
	send(a, keyMsg("up"))
	if v.quiz.sel != 0 {
		t.Errorf("↓ ↑: choice %d", v.quiz.sel)
	}
	send(a, keyMsg("down"))
	if v.quiz.sel != 1 {
		t.Errorf("↓: choice %d", v.quiz.sel)
	}
}
