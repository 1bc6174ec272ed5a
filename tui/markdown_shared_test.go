package tui

import (
	"testing"

	"github.com/muesli/termenv"
)

// TestMarkdownCacheShared: a player sharing a MarkdownCache gets another's rendering of the
// same text, style, colour profile and width without rendering it again; any of those
// different renders anew.
func TestMarkdownCacheShared(t *testing.T) {
	c := NewMarkdownCache()
	text := "Run `kubectl get pods` and **watch** the pods.\n\n- one\n- two"
	first := newMarkdown("dark", termenv.ANSI256)
	first.shared = c
	want := first.render(text, 60)

	second := newMarkdown("dark", termenv.ANSI256)
	second.shared = c
	if got := second.render(text, 60); got != want {
		t.Fatalf("shared rendering = %q, want %q", got, want)
	}
	if len(second.byWidth) != 0 {
		t.Fatal("the second player built a glamour renderer for text the cache held")
	}
	alone := newMarkdown("dark", termenv.ANSI256)
	if got := alone.render(text, 60); got != want {
		t.Fatalf("a player rendering alone got %q, the shared one %q", got, want)
	}

	for _, other := range []struct {
		name    string
		style   string
		profile termenv.Profile
		width   int
	}{{"style", "notty", termenv.ANSI256, 60}, {"profile", "dark", termenv.TrueColor, 60}, {"width", "dark", termenv.ANSI256, 30}} {
		m := newMarkdown(other.style, other.profile)
		m.shared = c
		m.render(text, other.width)
		if len(m.byWidth) != 1 {
			t.Errorf("another %s was served from the cache instead of rendered", other.name)
		}
	}
}
