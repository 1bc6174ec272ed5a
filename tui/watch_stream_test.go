package tui

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/engine"
)

// newColourRenderer renders true colour whatever the test's terminal is, without touching
// lipgloss's process-wide default renderer.
func newColourRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	return r
}

// The watch pane keeps its stream's formatted lines and its sorted row names between
// batches instead of rebuilding them per batch and per frame; what it shows must be exactly
// what a full rebuild shows, through a flood that widens columns, sheds rows past
// maxStream (including the widest), deletes rows, resyncs and changes columns.
func TestWatchStreamIncrementalMatchesFullFormat(t *testing.T) {
	for _, colour := range []bool{false, true} {
		st := DefaultStyles(nil)
		if colour {
			st = DefaultStyles(newColourRenderer())
		}
		w := newWatchPane(&st, textFor("en"))
		w.SetSize(150, 40)
		check := func(when string) {
			t.Helper()
			want := strings.Join(w.formatRows(w.columns, w.stream), "\n")
			if got := w.plainStreamText(); got != want {
				t.Fatalf("colour %v, %s: incremental stream differs from a full format\n got %q\nwant %q", colour, when, got, want)
			}
			names := make([]string, 0, len(w.rows))
			for n := range w.rows {
				names = append(names, n)
			}
			sort.Strings(names)
			if !slices.Equal(names, w.names) {
				t.Fatalf("colour %v, %s: sorted names %v, want %v", colour, when, w.names, names)
			}
		}
		statuses := []string{"Pending", "ContainerCreating", "Running", "Terminating", "CrashLoopBackOff"}
		for i := 0; i < 3*maxStream; i++ {
			name := fmt.Sprintf("web-%d", i%37)
			ev := podEvent("MODIFIED", name, "1/1", statuses[i%len(statuses)], "1s")
			switch {
			case i%11 == 0:
				ev.Type = "ADDED"
			case i%13 == 0:
				ev.Type = "DELETED"
			}
			if i == 40 {
				ev.Cells[0] = "a-very-long-pod-name-that-widens-the-first-column-0123456789" // shed later
				ev.Name = ev.Cells[0]
			}
			w.apply(ev)
			if i%7 == 0 || i == 40+maxStream || i == 41+maxStream {
				check(fmt.Sprintf("after event %d", i))
			}
		}
		w.apply(engine.TableEvent{Type: "RESYNC"})
		w.apply(podEvent("ADDED", "web-0", "0/1", "Pending", "0s"))
		check("after a resync")
		wide := engine.TableEvent{Type: "ADDED", Columns: append(slices.Clone(podColumns), "IP"), Name: "web-1",
			Cells: []string{"web-1", "1/1", "Running", "0", "2s", "10.0.0.1"}}
		w.apply(wide)
		check("after the columns changed")
		if colour && !strings.Contains(w.plainStreamText(), "\x1b[") {
			t.Fatal("the colour run rendered no colour: it would not test styled lines")
		}
	}
}
