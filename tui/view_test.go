package tui

import (
	"fmt"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// scenario puts the app in a busy, realistic state: step 2 with one command run, the watch
// showing two pods mid-rollout, a failing check and the first hint revealed.
func scenario(t *testing.T, lang string, w, h int) *App {
	t.Helper()
	c := newFakeCluster()
	a := newTestApp(lang, c)
	openLesson(t, a, w, h)
	send(a, keyMsg("n"))
	startWatch(t, a, c)
	v := a.lesson
	send(a, watchBatchMsg{gen: v.watchP.gen, events: []engine.TableEvent{
		{Type: "LIST", Columns: podColumns},
		podEvent("ADDED", "web-0", "0/1", "Pending", "0s"),
		podEvent("MODIFIED", "web-0", "0/1", "ContainerCreating", "0s"),
		podEvent("MODIFIED", "web-0", "1/1", "Running", "2s"),
		podEvent("ADDED", "web-1", "0/1", "Pending", "0s"),
		podEvent("MODIFIED", "web-1", "0/1", "ContainerCreating", "0s"),
	}})
	send(a, send(a, keyMsg("enter"))())
	desc := "The StatefulSet web exists"
	if lang == "ko" {
		desc = "스테이트풀셋 web이 있습니다"
	}
	send(a, checksMsg{gen: v.gen, step: 1, results: []lessons.CheckResult{{Desc: desc, Detail: "readyReplicas is 1, want 2"}}})
	send(a, keyMsg("h"))
	return a
}

func TestGoldenViews(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			w, h := size[0], size[1]
			t.Run(fmt.Sprintf("lesson-%s-%dx%d", lang, w, h), func(t *testing.T) {
				a := scenario(t, lang, w, h)
				view := a.View()
				assertFrame(t, view, w, h)
				golden(t, fmt.Sprintf("lesson-%s-%dx%d", lang, w, h), view)
			})
			t.Run(fmt.Sprintf("menu-%s-%dx%d", lang, w, h), func(t *testing.T) {
				a := newTestApp(lang, newFakeCluster())
				send(a, tea.WindowSizeMsg{Width: w, Height: h})
				view := a.View()
				assertFrame(t, view, w, h)
				golden(t, fmt.Sprintf("menu-%s-%dx%d", lang, w, h), view)
			})
		}
	}
}
