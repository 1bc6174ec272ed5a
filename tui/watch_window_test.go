package tui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/viewport"

	"github.com/kubetutor/kubetutor/engine"
)

// fullTable is the watch table as it was drawn before rows were cached: the first k rows
// of the sorted names through rowCells, all formatted anew.
func fullTable(w *watchPane, k int) []string {
	rows := make([][]string, 0, k)
	age := w.ageIndex()
	for _, n := range w.names[:k] {
		rows = append(rows, w.rowCells(n, age))
	}
	return w.formatRows(w.columns, rows)
}

// fullStream is the stream's window as it was drawn before only the window was drawn: the
// whole stream joined into a viewport at the pane's scroll position, through its View.
func fullStream(w *watchPane) string {
	vp := viewport.New(w.view.Width, w.view.Height)
	vp.SetContent(strings.Join(w.streamLines(), "\n"))
	vp.SetYOffset(w.view.YOffset)
	return fit(vp.View(), w.width, w.view.Height)
}

// The watch table keeps each row's cell widths and formatted line between frames, and the
// stream draws only its visible window; through adds, updates, deletes, resyncs, AGE ticks,
// a wider row, changed columns, a tab and an over-wide cell, scrolling and row selection,
// both must show exactly what formatting every row anew and the viewport over the whole
// stream showed, in colour and without.
func TestWatchIncrementalDrawingMatchesFullRender(t *testing.T) {
	for _, colour := range []bool{false, true} {
		st := DefaultStyles(nil)
		if colour {
			st = DefaultStyles(newColourRenderer())
		}
		w := newWatchPane(&st, textFor("en"))
		w.spec.Resource = "pods"
		w.SetSize(90, 30)
		now := fakeEpoch
		w.setNow(now)
		checks := 0
		check := func(when string) {
			t.Helper()
			checks++
			for _, k := range []int{len(w.names), min(len(w.names), 3)} {
				if got, want := w.tableRows(w.names[:k]), fullTable(w, k); !slices.Equal(got, want) {
					t.Fatalf("colour %v, %s, %d rows: cached table\n%q\nwant a full format\n%q", colour, when, k, got, want)
				}
			}
			if got, want := fit(w.visibleStream(), w.width, w.view.Height), fullStream(w); got != want {
				t.Fatalf("colour %v, %s: drawn window (offset %d of %d lines)\n%s\nwant the viewport's\n%s",
					colour, when, w.view.YOffset, len(w.lines), got, want)
			}
		}
		batch := func(evs ...engine.TableEvent) {
			for _, ev := range evs {
				w.apply(ev)
			}
			w.refresh()
		}
		statuses := []string{"Pending", "ContainerCreating", "Running", "Terminating", "CrashLoopBackOff"}
		for i := 0; i < 2*maxStream+50; i++ {
			name := fmt.Sprintf("web-%02d", i%23)
			ev := podEvent("MODIFIED", name, "1/1", statuses[i%len(statuses)], "1s")
			switch {
			case i%11 == 0:
				ev.Type = "ADDED"
				ev.Created = now.Add(-time.Duration(i) * time.Second)
			case i%17 == 0:
				ev.Type = "DELETED"
			}
			switch i {
			case 60:
				ev.Cells[2] = "Waiting\tfor\tvolume" // a tab, as a server's cell may carry
			case 90:
				ev.Cells[2] = strings.Repeat("VeryLongStatus", 8) // wider than the pane
			}
			batch(ev)
			if i%9 == 0 {
				now = now.Add(37 * time.Second)
				w.setNow(now) // AGE moves for the rows with a creationTimestamp
			}
			switch {
			case i == 200:
				scrollBy(&w.view, scrollPageUp) // the reader scrolls up; batches keep arriving
				w.scrolled()
			case i == 400:
				w.view.GotoBottom()
				w.scrolled()
			case i == 700:
				w.toggleInspect() // a selected row redraws the stream in full
			case i == 760:
				w.moveSelection(-5)
			case i == 800:
				w.toggleInspect()
			}
			if i%5 == 0 || (i >= 195 && i <= 205) || (i >= maxStream-2 && i <= maxStream+2) {
				check(fmt.Sprintf("after event %d", i))
			}
		}
		batch(engine.TableEvent{Type: "RESYNC"}, podEvent("ADDED", "web-00", "0/1", "Pending", "0s"))
		check("after a resync")
		wide := engine.TableEvent{Type: "ADDED", Columns: append(slices.Clone(podColumns), "IP"), Name: "web-01",
			Cells: []string{"web-01", "1/1", "Running", "0", "2s", "10.0.0.1"}}
		batch(wide)
		check("after the columns changed")
		w.SetSize(60, 12)
		check("after a resize")
		if colour && !strings.Contains(w.View(), "\x1b[") {
			t.Fatal("the colour run drew no colour: it would not test styled lines")
		}
		if checks < 200 {
			t.Fatalf("only %d checks ran", checks)
		}
	}
}

// The stream's viewport counts lines without holding them: scrolling, following the newest
// row and the "rows below" mark behave as with the whole text in it.
func TestWatchStreamScrollsOverCountedLines(t *testing.T) {
	st := DefaultStyles(nil)
	w := newWatchPane(&st, textFor("en"))
	w.spec.Resource = "pods"
	w.SetSize(80, 20)
	for i := 0; i < 40; i++ {
		w.apply(podEvent("MODIFIED", fmt.Sprintf("web-%d", i%3), "1/1", "Running", fmt.Sprint(i)))
		w.refresh()
	}
	if w.view.TotalLineCount() != 41 || len(w.lines) != 41 || !w.view.AtBottom() {
		t.Fatalf("lines %d, viewport lines %d, at bottom %v; want 41, 41, true", len(w.lines), w.view.TotalLineCount(), w.view.AtBottom())
	}
	last := w.lines[len(w.lines)-1]
	if v := w.View(); !strings.Contains(v, strings.TrimRight(last, " ")) {
		t.Fatalf("following, the newest row %q is not drawn:\n%s", last, v)
	}
	scrollBy(&w.view, scrollPageUp)
	w.scrolled()
	y := w.view.YOffset
	w.apply(podEvent("MODIFIED", "web-0", "1/1", "Running", "new"))
	w.refresh()
	if w.view.YOffset != y || !w.unseen || !strings.Contains(w.View(), w.t.NewRowsBelow) {
		t.Fatalf("scrolled up: offset %d → %d, unseen %v; the reader's place must stay and the mark show", y, w.view.YOffset, w.unseen)
	}
	w.view.GotoBottom()
	w.scrolled()
	if w.unseen || !strings.Contains(w.View(), " new") {
		t.Fatalf("back at the bottom: unseen %v, view:\n%s", w.unseen, w.View())
	}
}

// The Events view (rows re-formatted with their "by" column, long messages wrapped under
// their start in a narrow pane) draws its window exactly as the viewport over the whole
// stream did, scrolled or following.
func TestWatchEventsWindowMatchesFullRender(t *testing.T) {
	st := DefaultStyles(newColourRenderer())
	w := newWatchPane(&st, textFor("en"))
	w.spec.Resource = "events"
	w.mode = viewEvents
	w.SetSize(70, 16)
	cols := []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}
	for i := 0; i < 60; i++ {
		reason, typ := "SuccessfulCreate", "Normal"
		if i%4 == 0 {
			reason = "WhyOrdinal" // a [sim] row
		}
		if i%9 == 0 {
			typ = "Warning"
		}
		msg := fmt.Sprintf("create Pod web-%d in StatefulSet web successful", i)
		if i%3 == 0 {
			msg += strings.Repeat(" because the ordinal before it is Running and Ready", 2)
		}
		w.apply(engine.TableEvent{Type: "ADDED", Columns: cols, Name: fmt.Sprintf("ev-%d", i),
			Cells: []string{fmt.Sprintf("%ds", i), typ, reason, "statefulset/web", msg}})
		w.refresh()
		if i == 30 {
			scrollBy(&w.view, scrollPageUp)
			w.scrolled()
		}
		if got, want := fit(w.visibleStream(), w.width, w.view.Height), fullStream(w); got != want {
			t.Fatalf("event %d: drawn window (offset %d of %d lines)\n%s\nwant the viewport's\n%s", i, w.view.YOffset, len(w.lines), got, want)
		}
	}
	if w.lineRows == nil {
		t.Fatal("no message was wrapped: the test would not cover wrapped lines")
	}
}
