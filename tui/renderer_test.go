package tui

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestTwoPlayersOwnRenderers: two players in one process, each with its own renderer (a
// true-colour terminal and a plain one, as two SSH students might have), draw at the same
// time; each draws in its own terminal's colours, whatever the process default says.
func TestTwoPlayersOwnRenderers(t *testing.T) {
	colour := lipgloss.NewRenderer(io.Discard)
	colour.SetColorProfile(termenv.TrueColor)
	colour.SetHasDarkBackground(true)
	plain := lipgloss.NewRenderer(io.Discard)
	plain.SetColorProfile(termenv.Ascii)

	newApp := func(r *lipgloss.Renderer) *App {
		a := New(Options{Context: context.Background(), Cluster: newFakeCluster(), Lessons: testLessons("en"),
			Lang: "en", MarkdownStyle: "notty", Renderer: r})
		a.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
		return a
	}
	a, b := newApp(colour), newApp(plain)
	views := make([]string, 2)
	var wg sync.WaitGroup
	for i, app := range []*App{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			views[i] = app.View()
		}()
	}
	wg.Wait()
	if !strings.Contains(views[0], "\x1b[") || !strings.Contains(views[0], "38;2;") {
		t.Errorf("the true-colour player drew no true colour:\n%q", views[0])
	}
	if strings.Contains(views[1], "\x1b[") {
		t.Errorf("the plain player drew escape sequences:\n%q", views[1])
	}
	if a.st.Renderer() != colour || b.st.Renderer() != plain {
		t.Error("styles are not built on the program's renderer")
	}
}
