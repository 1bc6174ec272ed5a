package tui

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// fit makes s exactly w cells wide and h lines tall: long lines are cut (ANSI-aware, wide
// runes counted as two cells), short ones padded, missing lines added, extra lines dropped.
// Every pane goes through it, so no frame can grow past the window.
func fit(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	out := make([]string, h)
	for i := range out {
		var l string
		if i < len(lines) {
			l = fitWidth(lines[i], w)
		} else {
			l = strings.Repeat(" ", w)
		}
		out[i] = l
	}
	return strings.Join(out, "\n")
}

// fitWidth cuts or pads one line to exactly w cells.
func fitWidth(line string, w int) string {
	line = truncate(strings.TrimRight(line, "\r"), w)
	if pad := w - lipgloss.Width(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return line
}

// truncate cuts a single line to w cells with an ellipsis.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// rect is where a pane sits on screen, for routing mouse wheel events.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return max(lo, min(hi, v))
}
