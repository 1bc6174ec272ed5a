package tui

import (
	"math/rand"
	"strings"
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

// fitBySplit is fit as it was written before it wrote into one buffer: split, fit each
// line, pad with blank lines, join.
func fitBySplit(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	out := make([]string, h)
	for i := range out {
		if i < len(lines) {
			out[i] = fitWidth(lines[i], w)
		} else {
			out[i] = strings.Repeat(" ", w)
		}
	}
	return strings.Join(out, "\n")
}

// TestFitMatchesSplitAndJoin: fit gives exactly what fitting line by line and joining gave,
// for empty, short, tall, wide, styled, wide-rune, CR-ended and trailing-newline texts, texts
// that already fit (returned as they are) or fit but for one line, and widths past its run
// of spaces.
func TestFitMatchesSplitAndJoin(t *testing.T) {
	texts := []string{"", "\n", "a", "abc\n", "a\nb\nc\nd\ne", "\x1b[1mbold\x1b[0m and more\r\nnext",
		"한국어 텍스트\n✓ done → next", strings.Repeat("x", 150) + "\n\n\nend", "\n\nthird",
		"abc\r\nabc\nabc", "abc\nabc\nabc\nabc", "abc\nabc\nabc\n", "abc\nabcd\nab\nabc", "\x1b[31mabc\x1b[0m\nabc"}
	for _, s := range texts {
		for _, w := range []int{-1, 0, 1, 3, 4, 10, 64, 65, 200} {
			for _, h := range []int{-1, 0, 1, 2, 3, 4, 5, 9} {
				if got, want := fit(s, w, h), fitBySplit(s, w, h); got != want {
					t.Fatalf("fit(%q, %d, %d) =\n%q\nwant\n%q", s, w, h, got, want)
				}
			}
		}
	}
}
