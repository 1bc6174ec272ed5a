package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// oldOutputView is the output pane's frame as it was drawn before the pane drew only its
// visible window: the whole content through a viewport at the pane's scroll position (y
// from the pane, the sideways x from the test's own model), through viewport.View's lipgloss
// pass, under the header with the hint that viewport gives.
func oldOutputView(o *outputPane, x int) string {
	if o.width <= 0 || o.height <= 0 {
		return ""
	}
	s, _ := o.content()
	vp := viewport.New(max(0, o.width), max(0, o.height-1))
	vp.SetContent(s)
	vp.SetYOffset(o.view.YOffset)
	vp.SetXOffset(x)
	hint := ""
	switch {
	case o.unseen && !vp.AtBottom():
		hint = o.t.NewOutputBelow
	case vp.Height <= 0 || vp.TotalLineCount() <= vp.Height:
	case vp.AtTop():
		hint = o.t.ScrollDown
	case vp.AtBottom():
		hint = o.t.ScrollUpMore
	default:
		hint = o.t.ScrollBoth
	}
	parts := []string{o.header(hint)}
	if o.height > 1 {
		parts = append(parts, fit(vp.View(), o.width, o.height-1))
	}
	return strings.Join(parts, "\n")
}

// widest is the content's widest line in cells, measured as the old pane measured it.
func widest(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, lipgloss.Width(l))
	}
	return w
}

// The output pane keeps its content's lines between frames and draws only the visible
// window; through running and finished commands, notes, prose, peeks, a history past its
// bound, scrolling up and down (keys and wheel), sideways scrolling of wide lines (styled
// headings, wide characters, tabs, an error), resizes, step changes and clear, at three
// terminal sizes in colour and without, each frame must be exactly the old full render,
// and the keys and hints the same.
func TestOutputPaneWindowMatchesFullRender(t *testing.T) {
	for _, colour := range []bool{false, true} {
		for _, size := range []struct{ w, h int }{{80, 24}, {100, 30}, {200, 50}} {
			t.Run(fmt.Sprintf("colour=%v/%dx%d", colour, size.w, size.h), func(t *testing.T) {
				st := DefaultStyles(nil)
				if colour {
					st = DefaultStyles(newColourRenderer())
				}
				checkOutputPaneWindow(t, &st, size.w, size.h, colour)
			})
		}
	}
}

func checkOutputPaneWindow(t *testing.T, st *Styles, width, height int, colour bool) {
	o := newOutputPane(st, textFor("en"))
	// The pane's share of a lesson screen: most of the width, under half the height.
	pw, ph := width-width/3, height/2
	o.SetSize(pw, ph)

	// x is the sideways position as the learner moved it, kept within the widest line; the
	// old viewport is drawn at it, so a pane that lost or misread its position shows.
	x := 0
	keep := func() {
		s, _ := o.content()
		room := widest(s) - o.view.Width
		x = max(0, min(x, room))
	}
	checks, sideways, scrolledAway := 0, 0, 0
	check := func(when string) {
		t.Helper()
		keep()
		checks++
		if x > 0 {
			sideways++
		}
		if o.pinned {
			scrolledAway++
		}
		s, _ := o.content()
		vp := viewport.New(o.view.Width, o.view.Height)
		vp.SetContent(s)
		vp.SetYOffset(o.view.YOffset)
		vp.SetXOffset(x)
		if got, want := o.view.TotalLineCount(), vp.TotalLineCount(); got != want {
			t.Fatalf("%s: the pane counts %d lines, the content has %d", when, got, want)
		}
		if got, want := o.wide, widest(s) > o.width; got != want {
			t.Fatalf("%s: wide %v, want %v", when, got, want)
		}
		k := o.keys()
		if got, want := k.Left.Enabled(), o.wide && vp.HorizontalScrollPercent() > 0; got != want {
			t.Fatalf("%s: ← enabled %v, want %v", when, got, want)
		}
		if got, want := k.Right.Enabled(), o.wide && vp.HorizontalScrollPercent() < 1; got != want {
			t.Fatalf("%s: → enabled %v, want %v", when, got, want)
		}
		if got, want := o.View(), oldOutputView(o, x); got != want {
			t.Fatalf("%s (pane %dx%d, y %d of %d lines, x %d):\n%s\nwant the full render's\n%s",
				when, o.width, o.height, o.view.YOffset, vp.TotalLineCount(), x, got, want)
		}
	}
	press := func(k tea.KeyType, times int) {
		for i := 0; i < times; i++ {
			o.Update(tea.KeyMsg{Type: k})
			switch k {
			case tea.KeyLeft:
				x -= sidewaysStep
			case tea.KeyRight:
				x += sidewaysStep
			}
			keep()
		}
	}
	wheel := func(b tea.MouseButton, times int) {
		for i := 0; i < times; i++ {
			o.Update(tea.MouseMsg{Action: tea.MouseActionPress, Button: b})
		}
	}

	check("empty")
	o.setIdle("Nothing left to run in this step: press n for the next step, or type a command of your own in the command bar below to look around the cluster.")
	check("idle prose")
	o.focused = true

	id := o.start("kubectl get pods")
	check("running")
	o.Update(cmdOutputMsg{id: id, output: podsRows(3, 0)})
	check("finished")

	long := "kubectl get statefulset web -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.message}{\"\\n\"}{end}' --namespace tutorial-namespace-with-a-long-name"
	id = o.start(long)
	check("a running command wider than the pane")
	o.Update(cmdOutputMsg{id: id, output: wideOutput(), errText: "Error from server (NotFound): statefulsets.apps \"web-missing\" not found, and this error message is long enough to wrap to the pane"})
	check("wide output and an error")
	for i := 0; i < 40; i++ {
		press(tea.KeyRight, 1)
		check(fmt.Sprintf("→ %d", i+1))
	}
	press(tea.KeyLeft, 3)
	check("← back")

	o.note("Events", "LAST SEEN\tTYPE\tREASON\n5s\tNormal\tSuccessfulCreate\n3s\tWarning\tFailedScheduling: 0/1 nodes are available", "")
	check("a note with tabs")
	press(tea.KeyRight, 2)
	check("a note with tabs, sideways")
	o.prose("Hint", strings.Repeat("A StatefulSet gives each pod a stable name and its own volume. ", 6))
	check("prose")

	for i := 0; i < 12; i++ {
		id := o.start(fmt.Sprintf("kubectl get pods -l app=web # %d", i))
		o.Update(cmdOutputMsg{id: id, output: podsRows(2+i%4, i)})
		if i%4 == 0 {
			check(fmt.Sprintf("history %d", i))
		}
	}
	check("a long history")

	press(tea.KeyUp, 3)
	check("up")
	press(tea.KeyPgUp, 2)
	check("page up")
	wheel(tea.MouseButtonWheelUp, 2)
	check("wheel up")
	press(tea.KeyRight, 3)
	check("sideways while scrolled up")
	id = o.start("kubectl scale statefulset web --replicas=5")
	check("a new command while scrolled up")
	o.Update(cmdOutputMsg{id: id, output: "statefulset.apps/web scaled\n" + wideOutput()})
	check("its output while scrolled up: new output below")
	wheel(tea.MouseButtonWheelDown, 2)
	check("wheel down")
	press(tea.KeyPgDown, 3)
	check("page down")
	press(tea.KeyDown, 200)
	check("back at the bottom")

	o.peek("pod web-0", podYAML(), "", false)
	check("a peek")
	press(tea.KeyDown, 4)
	press(tea.KeyRight, 5)
	check("a peek scrolled")
	o.noteText("demo", "kubectl get pods -w # the demo types this", "", true)
	check("the demo's note")
	o.unpeek()
	check("unpeek")

	// Resizes while scrolled up and sideways.
	press(tea.KeyPgUp, 1)
	press(tea.KeyRight, 4)
	for _, s := range [][2]int{{width, height}, {41, 9}, {pw, ph}, {width / 2, 3}, {width / 2, 1}, {200, 50}, {pw, ph}} {
		o.SetSize(s[0], s[1])
		check(fmt.Sprintf("resized to %dx%d", s[0], s[1]))
	}

	// Another step, a command finishing there while this one shows, and back.
	id = o.start("kubectl rollout status statefulset/web")
	o.setStep(1)
	check("another step")
	o.Update(cmdOutputMsg{id: id, output: "partitioned roll out complete: 5 new pods have been updated...\n"})
	check("a command finished on the step not shown")
	o.note("Hint", "kubectl get pvc", "")
	check("a note on the other step")
	o.setStep(0)
	check("back to the first step")

	// A wide output scrolled to its right edge, then narrow content (another step, a peek):
	// the pane keeps x within the narrow lines, so they show from their first column.
	id = o.start("kubectl get pods -o wide")
	o.Update(cmdOutputMsg{id: id, output: wideOutput()})
	press(tea.KeyRight, 40)
	check("wide, scrolled right")
	o.peek("pod web-1", "apiVersion: v1\nkind: Pod\n", "", false)
	check("a narrow peek after wide")
	o.unpeek()
	press(tea.KeyRight, 40)
	check("wide again, scrolled right")
	o.setStep(2)
	id = o.start("kubectl get pods")
	o.Update(cmdOutputMsg{id: id, output: podsRows(2, 0)})
	check("a narrow step after wide")

	o.clear()
	check("cleared")
	o.setIdle("")
	check("idle cleared")

	if colour && !strings.Contains(o.View()+oldOutputView(o, x), "\x1b[") {
		o.note("n", "x", "")
		if !strings.Contains(o.View(), "\x1b[") {
			t.Fatal("the colour run drew no colour: it would not test styled lines")
		}
	}
	if sideways < 10 || scrolledAway < 5 {
		t.Fatalf("%d checks, %d of them scrolled sideways and %d scrolled up: the test no longer moves the pane", checks, sideways, scrolledAway)
	}
}

// The old viewport kept its sideways position when the content narrowed, so another step's
// narrow output after a wide one scrolled right was cut at the left with ← disabled; the
// pane now keeps the position within its lines.
func TestOutputPaneNarrowAfterWideShowsFromTheLeft(t *testing.T) {
	st := DefaultStyles(nil)
	o := newOutputPane(&st, textFor("en"))
	o.SetSize(60, 12)
	id := o.start("kubectl get pods -o wide")
	o.Update(cmdOutputMsg{id: id, output: wideOutput()})
	for i := 0; i < 10; i++ {
		o.Update(tea.KeyMsg{Type: tea.KeyRight})
	}
	if o.xOffset() == 0 {
		t.Fatal("→ did not scroll the wide output")
	}
	o.setStep(1) // a step whose history is narrow
	id = o.start("kubectl get pods")
	o.Update(cmdOutputMsg{id: id, output: "NAME    READY   STATUS\nweb-0   1/1     Running\n"})
	if o.xOffset() != 0 || o.keys().Left.Enabled() {
		t.Fatalf("x %d, ← enabled %v after a narrow output", o.xOffset(), o.keys().Left.Enabled())
	}
	if v := o.View(); !strings.Contains(v, "\nweb-0   1/1     Running") {
		t.Fatalf("the narrow output is not shown from its first column:\n%s", v)
	}
}

// podsRows is kubectl get pods output with n rows.
func podsRows(n, seed int) string {
	var b strings.Builder
	b.WriteString("NAME    READY   STATUS    RESTARTS   AGE\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "web-%d   1/1     Running   %d          %ds\n", i, (seed+i)%3, 10+seed*7+i)
	}
	return b.String()
}

// wideOutput has lines wider than any pane: wide characters, box drawing, a tab, trailing
// spaces, blank lines.
func wideOutput() string {
	var b strings.Builder
	b.WriteString("NAME    READY   STATUS    IP            NODE          NOMINATED NODE   READINESS GATES   " + strings.Repeat("LABELS ", 30) + "\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&b, "web-%d   1/1     Running   10.244.0.%d   sim-node-%d   <none>           <none>            app=web,日本語=値,🚀=✓,%s\n", i, 10+i, i, strings.Repeat("─", 40+i*30))
	}
	b.WriteString("\n")
	b.WriteString("trailing spaces" + strings.Repeat(" ", 30) + "\n")
	b.WriteString("a\ttab\tin\ta\tline " + strings.Repeat("x", 220) + "\n")
	b.WriteString("last-line-with-hyphens-" + strings.Repeat("ab-", 90))
	return b.String()
}

// podYAML is a selected pod's object, long and with a wide annotation.
func podYAML() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-0\n  annotations:\n")
	fmt.Fprintf(&b, "    kubectl.kubernetes.io/last-applied-configuration: '%s'\n", strings.Repeat(`{"a":"b"},`, 40))
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&b, "  field%d: value %d\n", i, i)
	}
	return b.String()
}
