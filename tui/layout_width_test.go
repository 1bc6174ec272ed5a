package tui

import (
	"math/rand"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// cellWidth's byte-by-byte path must measure exactly what lipgloss does, and hand anything
// it does not know to lipgloss.
func TestCellWidthMatchesLipgloss(t *testing.T) {
	fixed := []string{
		"", "web-0   1/1   Running   0   42s", "\x1b[1;32mRunning\x1b[0m", "\x1b[38;2;1;2;3mx\x1b[m y",
		"\x1b[?25l hidden cursor", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "tab\there", "한국어 레플리카",
		"e\u0301", "emoji 🙂", "│ ▶ web-0 ✓ ★ · ×", "▶\ufe0f", "✓\u0301", "⏸ paused", "\u00ad", "é\u0301", "\x1b[", "\x1b[12", "\x1b[1 q", "\x1b[1 1q", "a\x7fb", "\x1bX", "\r\n", "…",
	}
	for _, s := range fixed {
		if got, want := cellWidth(s), lipgloss.Width(s); got != want {
			t.Errorf("cellWidth(%q) = %d, lipgloss.Width = %d", s, got, want)
		}
	}
	alphabet := []string{"a", " ", "9", "~", "\x1b", "[", "]", "m", ";", "3", "?", " ", "!", "\x07", "\t", "é", "한", "…", "\x7f", "\\", "\x1b[0m", "\x1b[1;31m",
		"│", "─", "▶", "✓", "★", "⏸", "·", "×", "\u0301", "\ufe0f", "\u200d", "\u00ad", "\r", "\n", "🙂", "\u2028"}
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 50000; i++ {
		var s string
		for n := r.Intn(12); n > 0; n-- {
			s += alphabet[r.Intn(len(alphabet))]
		}
		if got, want := cellWidth(s), lipgloss.Width(s); got != want {
			t.Fatalf("cellWidth(%q) = %d, lipgloss.Width = %d", s, got, want)
		}
	}
}

func TestFitWidthCutsAndPads(t *testing.T) {
	for _, c := range []struct {
		in   string
		w    int
		want string
	}{
		{"abc", 5, "abc  "},
		{"abcdef", 4, "abc…"},
		{"\x1b[1mab\x1b[0m", 3, "\x1b[1mab\x1b[0m "},
		{"한국어", 4, "한… "},
		{"ab\r", 3, "ab "},
	} {
		got := fitWidth(c.in, c.w)
		if got != c.want || lipgloss.Width(got) != c.w {
			t.Errorf("fitWidth(%q, %d) = %q (width %d), want %q", c.in, c.w, got, lipgloss.Width(got), c.want)
		}
	}
}
