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

// kubectlCompleter answers completion as kubectl's __complete does (flags too), and records
// the lines it was asked about.
type kubectlCompleter struct {
	*barCluster
	asked []string
}

func (k *kubectlCompleter) Complete(_ context.Context, line string) ([]string, error) {
	k.asked = append(k.asked, line)
	switch line {
	case "kubectl get pods --wat":
		return []string{"--watch", "--watch-only"}, nil
	case "kubectl get statefulset":
		return []string{"statefulsets.apps"}, nil
	}
	return nil, nil // e.g. after -f: kubectl leaves it to file completion
}

// TestCmdBarAsksKubectlCompletion: the bar completes through the cluster's kubectl completion
// (flags included, which the bar's own list never offered) and falls back to its own list
// where kubectl has nothing (manifests after -f).
func TestCmdBarAsksKubectlCompletion(t *testing.T) {
	c := &kubectlCompleter{barCluster: newBarCluster()}
	b := newTestBar(c)
	b.handle(keyRunes(":"))
	for _, tc := range []struct {
		typed, want string
		cands       []string
	}{
		{"get pods --wat", "get pods --watch", []string{"--watch", "--watch-only"}},
		{"kubectl get statefulset", "kubectl get statefulsets.apps ", nil},
		{"apply -f web", "apply -f web", []string{"web-parallel.yaml", "web.yaml"}},
	} {
		b.input.SetValue(tc.typed)
		b.input.CursorEnd()
		cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyTab})
		drive(t, b, cmd, nil)
		if b.input.Value() != tc.want || strings.Join(b.cands, " ") != strings.Join(tc.cands, " ") {
			t.Errorf("%q<Tab> = %q with %q, want %q with %q", tc.typed, b.input.Value(), b.cands, tc.want, tc.cands)
		}
	}
	if len(c.asked) != 3 || c.asked[0] != "kubectl get pods --wat" {
		t.Errorf("kubectl completion asked %q", c.asked)
	}
}
