package tui

import (
	"context"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/lessons"
)

// BenchmarkOpenLesson is a fresh player's first keys in the classroom's terminal (120x29,
// 256 colours): enter on the menu until step 1 shows, then n until step 2 shows. Each
// iteration is a new player, as each student is, sharing the rendered lesson text.
func BenchmarkOpenLesson(b *testing.B) {
	catalog, err := lessons.Catalog("en")
	if err != nil {
		b.Fatal(err)
	}
	md := NewMarkdownCache() // the class's, as every seat of a classroom shares it
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.ANSI256))
		r.SetHasDarkBackground(true)
		c := newFakeCluster()
		a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(),
			Lessons: catalog, Lang: "en", MarkdownStyle: "dark", Renderer: r, Markdown: md})
		rt := newBenchRuntime(b, a)
		rt.send(tea.WindowSizeMsg{Width: 120, Height: 29})
		a.View()
		rt.send(benchKey("enter"))
		rt.until(b, "step 1", func(v string) bool { return strings.Contains(v, "Step 1/") })
		rt.send(benchKey("n"))
		rt.until(b, "step 2", func(v string) bool { return strings.Contains(v, "Step 2/") })
	}
}

// BenchmarkMenuView is the menu's frame in the classroom's terminal (120x29, 256 colours).
func BenchmarkMenuView(b *testing.B) {
	catalog, err := lessons.Catalog("en")
	if err != nil {
		b.Fatal(err)
	}
	r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(termenv.ANSI256))
	r.SetColorProfile(termenv.ANSI256)
	r.SetHasDarkBackground(true)
	c := newFakeCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Evaluate: c.evaluator(),
		Lessons: catalog, Lang: "en", MarkdownStyle: "dark", Renderer: r})
	b.Cleanup(func() { a.Close() })
	a.Update(tea.WindowSizeMsg{Width: 120, Height: 29})
	v := a.View()
	if !strings.Contains(v, "StatefulSet Basics") {
		b.Fatalf("no menu:\n%s", v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.View()
	}
}
