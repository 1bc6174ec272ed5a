package tui

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/lessons"
)

// benchRuntime plays Bubble Tea's part for a benchmark: it runs each Cmd in its own
// goroutine and feeds the messages back to the model on the caller's goroutine, until the
// view satisfies a condition. Only public tea types are used, so it survives changes to the
// player's internal messages.
type benchRuntime struct {
	a    *App
	msgs chan tea.Msg
	done chan struct{}
}

func newBenchRuntime(b *testing.B, a *App) *benchRuntime {
	r := &benchRuntime{a: a, msgs: make(chan tea.Msg, 1024), done: make(chan struct{})}
	b.Cleanup(func() { close(r.done); a.Close() })
	return r
}

func (r *benchRuntime) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if msg == nil {
			return
		}
		select {
		case r.msgs <- msg:
		case <-r.done:
		}
	}()
}

func (r *benchRuntime) send(msg tea.Msg) {
	_, cmd := r.a.Update(msg)
	r.exec(cmd)
}

// until feeds messages to the model until ok holds for the view, or fails after a real-time
// bound (a guard against a hang, not a synchronisation point).
func (r *benchRuntime) until(b *testing.B, what string, ok func(view string) bool) {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for !ok(r.a.View()) {
		select {
		case msg := <-r.msgs:
			switch msg := msg.(type) {
			case tea.BatchMsg:
				for _, c := range msg {
					r.exec(c)
				}
			case tea.QuitMsg:
				b.Fatalf("the player quit while waiting for %s", what)
			default:
				r.send(msg)
			}
		case <-timeout:
			b.Fatalf("timed out waiting for %s; view:\n%s", what, r.a.View())
		}
	}
}

var (
	// web1Running is the last row the fake watch sends.
	web1Running = regexp.MustCompile(`web-1\s+1/1\s+Running`)
	// sgr matches colour escapes, which sit between the cells in colour profiles.
	sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")
)

func benchKey(s string) tea.KeyMsg {
	if s == "enter" {
		return tea.KeyMsg{Type: tea.KeyEnter}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// BenchmarkLessonView is App.View of the real English StatefulSet Basics lesson at step 2,
// after `kubectl apply -f web.yaml` ran (fake cluster): step text, command list, a watch
// table with both pods Running, the event stream, the command's output and the status line.
func BenchmarkLessonView(b *testing.B) {
	catalog, err := lessons.Catalog("en")
	if err != nil {
		b.Fatal(err)
	}
	for _, profile := range []struct {
		name string
		p    termenv.Profile
	}{{"ascii", termenv.Ascii}, {"256", termenv.ANSI256}, {"truecolor", termenv.TrueColor}} {
		for _, size := range []struct{ w, h int }{{80, 24}, {200, 50}} {
			b.Run(profile.name+"/"+fmt.Sprintf("%dx%d", size.w, size.h), func(b *testing.B) {
				prev := lipgloss.ColorProfile()
				lipgloss.SetColorProfile(profile.p)
				defer lipgloss.SetColorProfile(prev)

				c := newFakeCluster()
				c.onRun = func(line string) {
					if line != "kubectl apply -f web.yaml" {
						return
					}
					w := c.lastWatch()
					for _, ev := range []struct{ name, ready, status string }{
						{"web-0", "0/1", "Pending"}, {"web-0", "0/1", "ContainerCreating"}, {"web-0", "1/1", "Running"},
						{"web-1", "0/1", "Pending"}, {"web-1", "0/1", "ContainerCreating"}, {"web-1", "1/1", "Running"},
					} {
						typ := "MODIFIED"
						if ev.status == "Pending" {
							typ = "ADDED"
						}
						w.ch <- podEvent(typ, ev.name, ev.ready, ev.status, "0s")
					}
				}
				a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(),
					Lessons: catalog, Lang: "en", MarkdownStyle: "dark"})
				r := newBenchRuntime(b, a)
				r.send(tea.WindowSizeMsg{Width: size.w, Height: size.h})
				r.send(benchKey("enter"))
				step2 := catalog[0].Steps[1].Title
				r.until(b, "step 1", func(v string) bool { return strings.Contains(v, catalog[0].Steps[0].Title[:20]) })
				r.send(benchKey("n"))
				r.until(b, "step 2 and its watch", func(v string) bool {
					return strings.Contains(v, step2[:20]) && c.lastWatch().ch != nil
				})
				r.send(benchKey("enter"))
				r.until(b, "the output and both pods Running", func(v string) bool {
					return strings.Contains(v, "statefulset.apps/web created") && web1Running.MatchString(sgr.ReplaceAllString(v, ""))
				})
				view := a.View()
				if got := len(strings.Split(view, "\n")); got != size.h {
					b.Fatalf("frame has %d lines, want %d", got, size.h)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					view = a.View()
				}
				b.StopTimer()
				b.SetBytes(int64(len(view)))
			})
		}
	}
}
