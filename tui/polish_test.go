package tui

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// headerLine is the first line of the step pane.
func headerLine(a *App) string {
	return strings.SplitN(a.lesson.stepP.View(), "\n", 2)[0]
}

// TestStepHeaderScrollHintAndDone: the header says where the text continues only when it
// overflows, never as a percentage, and marks a finished step "✓ done" ("✓ 완료").
func TestStepHeaderScrollHintAndDone(t *testing.T) {
	a := newTestApp("en", newFakeCluster())
	openLesson(t, a, 80, 14)
	p := a.lesson.stepP
	if p.view.TotalLineCount() <= p.view.Height {
		t.Fatalf("test needs an overflowing step body (%d lines in %d)", p.view.TotalLineCount(), p.view.Height)
	}
	h := headerLine(a)
	if !strings.Contains(h, "✓ done") || !strings.Contains(h, "↓ more") || strings.Contains(h, "%") {
		t.Errorf("header at the top = %q, want ✓ done and ↓ more, no percentage", h)
	}
	send(a, keyMsg("down"))
	if h := headerLine(a); !strings.Contains(h, "↑↓ more") {
		t.Errorf("header mid-text = %q, want ↑↓ more", h)
	}
	p.view.GotoBottom()
	if h := headerLine(a); !strings.Contains(h, "↑ more") || strings.Contains(h, "↓") {
		t.Errorf("header at the end = %q, want ↑ more only (item 10: not top at the bottom)", h)
	}

	// A body that fits shows no scroll hint at all.
	send(a, tea.WindowSizeMsg{Width: 120, Height: 40})
	if h := headerLine(a); strings.ContainsAny(h, "↑↓%") {
		t.Errorf("header of a fitting body = %q, want no scroll hint", h)
	}

	// Korean words, and bare symbols once the words would cut the title.
	k := newTestApp("ko", newFakeCluster())
	openLesson(t, k, 80, 14)
	if h := headerLine(k); !strings.Contains(h, "✓ 완료") || !strings.Contains(h, "↓ 더 있음") {
		t.Errorf("ko header = %q", h)
	}
	send(k, tea.WindowSizeMsg{Width: 44, Height: 14})
	if h := headerLine(k); !strings.Contains(h, "스테이트풀셋이 약속하는 것 ✓ ↓") {
		t.Errorf("narrow ko header = %q, want the whole title and bare ✓ ↓", h)
	}
}

// TestWatchAgeTicks: the table's AGE counts up from the object's creationTimestamp on the
// cluster's clock at every tick; stream lines keep the AGE they were printed with.
func TestWatchAgeTicks(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 120, 40)
	v := a.lesson
	w := v.watchP
	startWatch(t, a, c)
	web0 := podEvent("ADDED", "web-0", "1/1", "Running", "2s")
	web0.Created = fakeEpoch.Add(-2 * time.Second)
	legacy := podEvent("ADDED", "web-1", "0/1", "Pending", "5s") // no Created: keep the cell
	send(a, watchBatchMsg{gen: w.gen, events: []engine.TableEvent{web0, legacy}})

	row := func(name string) string {
		for _, l := range w.tableLines(10) {
			if strings.HasPrefix(l, name+" ") {
				return l
			}
		}
		return ""
	}
	if r := row("web-0"); !strings.HasSuffix(r, " 2s") {
		t.Fatalf("web-0 row at first = %q", r)
	}
	c.advance(90 * time.Second)
	send(a, tickMsg{gen: v.gen})
	if r := row("web-0"); !strings.HasSuffix(r, " 92s") {
		t.Errorf("web-0 row after 90s = %q, want AGE 92s", r)
	}
	if r := row("web-1"); !strings.HasSuffix(r, " 5s") {
		t.Errorf("web-1 (no creationTimestamp) row = %q, want the server's 5s", r)
	}
	c.advance(10 * time.Minute)
	send(a, tickMsg{gen: v.gen})
	if r := row("web-0"); !strings.HasSuffix(r, " 11m") {
		t.Errorf("web-0 row after 11m32s = %q, want AGE 11m", r)
	}
	if s := w.streamText(); strings.Contains(s, "11m") || !strings.Contains(s, "2s") {
		t.Errorf("stream lines changed their AGE:\n%s", s)
	}
	// A tick from a lesson visit that is gone does not move the clock.
	c.advance(time.Hour)
	send(a, tickMsg{gen: v.gen - 1000})
	if r := row("web-0"); !strings.HasSuffix(r, " 11m") {
		t.Errorf("stale tick moved AGE: %q", r)
	}
	// A clock behind the timestamp (skew on a real cluster) keeps the server's cell.
	w.setNow(fakeEpoch.Add(-time.Hour))
	if r := row("web-0"); !strings.HasSuffix(r, " 2s") {
		t.Errorf("web-0 row with a clock behind creation = %q, want the server's 2s", r)
	}
}

// TestWatchAgeOnlyInAgeColumn: a table without an AGE column is left alone.
func TestWatchAgeOnlyInAgeColumn(t *testing.T) {
	w := newWatchPane(func() *Styles { s := DefaultStyles(lipgloss.DefaultRenderer()); return &s }(), textFor("en"))
	w.spec = lessons.Watch{Resource: "sts"}
	cols := []string{"NAME", "READY", "CREATED"}
	w.apply(engine.TableEvent{Type: "LIST", Columns: cols, Name: "web", Cells: []string{"web", "2/2", "2s"}, Created: fakeEpoch})
	w.setNow(fakeEpoch.Add(time.Hour))
	lines := w.tableLines(5)
	if len(lines) != 2 || !strings.HasSuffix(lines[1], "2s") {
		t.Errorf("table = %q", lines)
	}
}

// TestInlineCodeStyle: inline code has no padding spaces; it keeps a colour in the colour
// styles and gets backticks in the plain ones.
func TestInlineCodeStyle(t *testing.T) {
	for _, name := range []string{"dark", "light"} {
		code := lessonStyle(name).Code.StylePrimitive
		if code.Prefix != "" || code.Suffix != "" || code.BackgroundColor != nil || code.Color == nil {
			t.Errorf("%s: inline code style = %+v, want a colour and no padding or background", name, code)
		}
	}
	for _, name := range []string{"notty", "ascii", ""} {
		if code := lessonStyle(name).Code.StylePrimitive; code.Prefix != "`" || code.Suffix != "`" {
			t.Errorf("%q: inline code prefix/suffix = %q/%q, want backticks", name, code.Prefix, code.Suffix)
		}
	}
	src := "Apply `web.yaml` now."
	dark := newMarkdown("dark", termenv.ANSI256).render(src, 60)
	plain := ansiStrip(dark)
	if !strings.Contains(plain, "Apply web.yaml now.") {
		t.Errorf("dark render = %q, want the name without padding", plain)
	}
	if dark == plain {
		t.Error("dark render has no colour for inline code")
	}
	if got := newMarkdown("notty", termenv.Ascii).render(src, 60); !strings.Contains(got, "Apply `web.yaml` now.") {
		t.Errorf("notty render = %q, want backticks", got)
	}
}

func ansiStrip(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && !(s[i] >= 0x40 && s[i] <= 0x7e && s[i] != '[') {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// TestInlineCodeNeverSplits: a name in inline code moves to the next line whole, at every
// width, in paragraphs, list items and quotes alike; hyphens outside code still wrap.
func TestInlineCodeNeverSplits(t *testing.T) {
	src := "Every pod gets a DNS name such as `web-0.nginx` and `web-1.nginx.default.svc`; see `a,b;c+d|e`.\n\n" +
		"- a name built from it (`web-0`, `web-1`, …) that stays the same, such as `web-0.nginx`\n\n" +
		"> **Hint:** run `kubectl get pods -l app=nginx` and look at `web-0.nginx`.\n\n" +
		"```\nx=a-b.c\n```\n"
	for _, style := range []string{"notty", "dark"} {
		m := newMarkdown(style, termenv.ANSI256)
		for w := 24; w <= 90; w++ {
			out := ansiStrip(m.render(src, w))
			for _, name := range []string{"web-0.nginx", "web-1.nginx.default.svc", "a,b;c+d|e", "web-0", "web-1"} {
				if n := strings.Count(src, name); strings.Count(out, name) < n {
					t.Fatalf("%s at %d: %q split across lines:\n%s", style, w, name, out)
				}
			}
			if strings.ContainsAny(out, codeStandIns) {
				t.Fatalf("%s at %d: stand-ins left in the output:\n%s", style, w, out)
			}
			if !strings.Contains(out, "x=a-b.c") || strings.Contains(out, "a\u0180b") {
				t.Fatalf("%s at %d: fenced code changed:\n%s", style, w, out)
			}
		}
	}
}

func TestProtectCodeSpans(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a `b-c` d-e", "a `b\u0180c` d-e"},
		{"``x`-y`` z-", "``x`\u0180y`` z-"},
		{"open `a-b", "open `a-b"},
		{"```\n`a-b`\n```", "```\n`a-b`\n```"},
		{"`a.b`\n\n`c,d`", "`a\u0181b`\n\n`c\u0182d`"},
	} {
		got, restore := protectCodeSpans(tc.in)
		if got != tc.want {
			t.Errorf("protectCodeSpans(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := restore(got); back != tc.in {
			t.Errorf("restore(%q) = %q, want %q", got, back, tc.in)
		}
	}
	// Text that already holds a stand-in is left alone, not corrupted on the way back.
	in := "`a-b` \u0180"
	if got, restore := protectCodeSpans(in); got != in || restore(in) != in {
		t.Errorf("text with a stand-in was changed: %q", got)
	}
}

// TestCompactCommandsAtSmallHeight: at 80×24 the command list shrinks to the highlighted
// command and a count, so the text gets the room; at larger sizes every command shows.
func TestCompactCommandsAtSmallHeight(t *testing.T) {
	c := newFakeCluster()
	a := newTestApp("en", c)
	openLesson(t, a, 80, 24)
	send(a, keyMsg("n"))
	p := a.lesson.stepP
	if got := p.cmdHeight(); got != 1 {
		t.Fatalf("command lines at 80x24 = %d, want 1", got)
	}
	if p.view.Height < minStepText {
		t.Errorf("step text has %d lines at 80x24, want at least %d", p.view.Height, minStepText)
	}
	view := a.View()
	// The count is of the commands left to run besides the one shown (issue 13, item 10).
	if !strings.Contains(view, "▶ $ kubectl apply -f web.yaml  (+1 more)") || strings.Contains(view, "get statefulset web") {
		t.Errorf("compact command line missing:\n%s", view)
	}
	assertFrame(t, view, 80, 24)
	// A narrow pane cuts the command, not the count.
	send(a, tea.WindowSizeMsg{Width: 30, Height: 24})
	if view := a.View(); !strings.Contains(view, "…  (+1 more)") {
		t.Errorf("narrow compact line:\n%s", view)
	}
	send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	// Running it moves the highlight on; nothing else is left.
	send(a, send(a, keyMsg("enter"))())
	if view := a.View(); !strings.Contains(view, "▶ $ kubectl get statefulset web") || strings.Contains(view, "more)") {
		t.Errorf("after running, compact line =\n%s", view)
	}
	// All ran: the last command stays, marked done.
	send(a, send(a, keyMsg("enter"))())
	if view := a.View(); !strings.Contains(view, "✓ $ kubectl get statefulset web") {
		t.Errorf("after all ran, compact line =\n%s", view)
	}
	for _, size := range [][2]int{{120, 40}, {200, 50}} {
		send(a, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		view := a.View()
		for _, want := range []string{"get pods -w -l app=nginx", "✓ $ kubectl apply -f web.yaml", "✓ $ kubectl get statefulset web"} {
			if !strings.Contains(view, want) {
				t.Errorf("%dx%d: %q not listed:\n%s", size[0], size[1], want, view)
			}
		}
		if strings.Contains(view, "more)") {
			t.Errorf("%dx%d: compact list at a large size", size[0], size[1])
		}
	}
}

func newKubeconfigApp(c *fakeCluster, path string) *App {
	return New(Options{
		Cluster: c, Evaluate: c.evaluator(), Lessons: testLessons("en"), Lang: "en",
		MarkdownStyle: "notty", KubeconfigPath: path,
	})
}

// TestKubeconfigKey: K writes the kubeconfig (in a Cmd) and shows the export line; without
// a configured path the key does nothing and the help does not offer it.
func TestKubeconfigKey(t *testing.T) {
	c := newFakeCluster()
	a := newKubeconfigApp(c, "/home/learner/.cache/kubetutor/kubeconfig")
	openLesson(t, a, 80, 24)
	send(a, keyMsg("?"))
	if !strings.Contains(a.View(), "kubeconfig for your own kubectl") {
		t.Errorf("K missing from the full help:\n%s", a.View())
	}
	send(a, keyMsg("?")) // close the full help: the output pane gets its lines back
	cmd := send(a, keyMsg("K"))
	if cmd == nil {
		t.Fatal("K returned no Cmd")
	}
	if len(c.kubeconfigs) != 0 {
		t.Fatal("kubeconfig written in Update, not in the Cmd")
	}
	send(a, cmd())
	if len(c.kubeconfigs) != 1 || c.kubeconfigs[0] != "/home/learner/.cache/kubetutor/kubeconfig" {
		t.Fatalf("written = %v", c.kubeconfigs)
	}
	out := a.lesson.outP.view.View()
	if !strings.Contains(out, engine.KubeconfigExport("/home/learner/.cache/kubetutor/kubeconfig")) {
		t.Errorf("output pane lacks the export line:\n%s", out)
	}
	if !strings.Contains(a.View(), "— kubeconfig for your own kubectl") {
		t.Errorf("output title:\n%s", a.View())
	}
	if !a.KubeconfigWritten() {
		t.Error("App does not report the written kubeconfig")
	}
	assertFrame(t, a.View(), 80, 24)

	// A failure is shown, and nothing is reported written.
	c2 := newFakeCluster()
	c2.kubeconfigErr = errors.New("engine: kubeconfig directory: permission denied")
	b := newKubeconfigApp(c2, "/nope/kubeconfig")
	openLesson(t, b, 80, 24)
	send(b, send(b, keyMsg("K"))())
	if !strings.Contains(b.lesson.outP.view.View(), "permission denied") || b.KubeconfigWritten() {
		t.Errorf("error not shown:\n%s", b.View())
	}

	// No path: disabled and absent from the help.
	n := newKubeconfigApp(newFakeCluster(), "")
	openLesson(t, n, 80, 24)
	send(n, keyMsg("?"))
	if strings.Contains(n.View(), "kubeconfig") {
		t.Errorf("K offered without a path:\n%s", n.View())
	}
	if cmd := send(n, keyMsg("K")); cmd != nil {
		t.Error("K did something without a path")
	}
}

// bindings lists every key.Binding field of a key map struct, by field name.
func bindings(km any) map[string]key.Binding {
	out := map[string]key.Binding{}
	v := reflect.ValueOf(km)
	for i := 0; i < v.NumField(); i++ {
		if b, ok := v.Field(i).Interface().(key.Binding); ok {
			out[v.Type().Field(i).Name] = b
		}
	}
	return out
}

// TestFullHelpListsEveryKey: ? shows every usable key of the current view, global keys
// included, without being cut at 80 columns; keys that do nothing now are left out.
func TestFullHelpListsEveryKey(t *testing.T) {
	c := newFakeCluster()
	a := newKubeconfigApp(c, "/tmp/kubeconfig")
	send(a, tea.WindowSizeMsg{Width: 80, Height: 24})
	send(a, keyMsg("?"))
	check := func(where string, km any) {
		t.Helper()
		h := a.helpView()
		if strings.Contains(h, "…") {
			t.Errorf("%s: full help is cut at 80 columns:\n%s", where, h)
		}
		for name, b := range bindings(km) {
			if !b.Enabled() {
				if strings.Contains(h, b.Help().Desc) {
					t.Errorf("%s: disabled %s offered in help", where, name)
				}
				continue
			}
			if !strings.Contains(h, b.Help().Key+" ") || !strings.Contains(h, b.Help().Desc) {
				t.Errorf("%s: %s (%s %s) missing from the full help:\n%s", where, name, b.Help().Key, b.Help().Desc, h)
			}
		}
		for name, b := range bindings(a.keys) {
			if !strings.Contains(h, b.Help().Key+" ") {
				t.Errorf("%s: global %s missing from the full help", where, name)
			}
		}
		assertFrame(t, a.View(), 80, 24)
	}
	check("menu", a.menu.keys)
	send(a, send(a, keyMsg("enter"))())
	check("lesson step 1", a.lesson.keys)
	send(a, keyMsg("n"))
	check("lesson step 2", a.lesson.keys)
	check("lesson step 2 learning keys", a.lesson.lk)
	// With a command running, stop is offered and run is not.
	_ = send(a, keyMsg("enter"))
	if !a.lesson.keys.Stop.Enabled() || a.lesson.keys.Run.Enabled() {
		t.Fatal("stop/run bindings do not follow the running command")
	}
	check("lesson running", a.lesson.keys)
	for _, lang := range []string{"ko"} {
		k := New(Options{Cluster: c, Lessons: testLessons(lang), Lang: lang, MarkdownStyle: "notty", KubeconfigPath: "/k"})
		openLesson(t, k, 80, 24)
		send(k, keyMsg("?"))
		if h := k.helpView(); strings.Contains(h, "…") {
			t.Errorf("%s full help is cut at 80 columns:\n%s", lang, h)
		}
	}
}

// TestResizeMidLessonFromLargeToSmall: going from 200×50 to 80×24 with the full help open
// keeps every frame inside the window and the compact command list in place.
func TestResizeMidLessonFromLargeToSmall(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		c := newFakeCluster()
		a := newTestApp(lang, c)
		openLesson(t, a, 200, 50)
		send(a, keyMsg("n"))
		startWatch(t, a, c)
		send(a, watchBatchMsg{gen: a.lesson.watchP.gen, events: []engine.TableEvent{
			podEvent("ADDED", "web-0", "1/1", "Running", "20s"),
			podEvent("ADDED", "web-1", "0/1", "ContainerCreating", "2s"),
		}})
		assertFrame(t, a.View(), 200, 50)
		for _, help := range []bool{false, true} {
			if a.help.ShowAll != help {
				send(a, keyMsg("?"))
			}
			for _, s := range [][2]int{{200, 50}, {80, 24}, {200, 50}, {80, 24}} {
				send(a, tea.WindowSizeMsg{Width: s[0], Height: s[1]})
				view := a.View()
				assertFrame(t, view, s[0], s[1])
				if !strings.Contains(view, "web-0") {
					t.Errorf("%s %dx%d help=%v: watch rows lost:\n%s", lang, s[0], s[1], help, view)
				}
			}
			if !strings.Contains(a.View(), fmt.Sprintf("▶ $ kubectl apply -f web.yaml  ("+a.t.MoreCmds+")", 1)) {
				t.Errorf("%s help=%v: compact command line missing at 80x24:\n%s", lang, help, a.View())
			}
		}
	}
}
