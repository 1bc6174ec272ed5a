package tui

import (
	"strings"
	"sync"
	"unicode/utf8"

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
	// The lesson screen fits its whole frame three times and each pane once: a text that
	// already fits comes back as it is (its lines past h cut off), and any other is written
	// into one buffer from its first line that does not fit (the split, per-line and joined
	// copies were a third of what a burst of watch events allocated).
	var b strings.Builder
	building := false
	rest, more := s, true
	for i := 0; i < h; i++ {
		if !more { // s has run out of lines: blank ones
			if !building {
				b.Grow(len(s) + (h-i)*(w+1))
				b.WriteString(s)
				building = true
			}
			b.WriteByte('\n')
			writeSpaces(&b, w)
			continue
		}
		at := len(s) - len(rest) // where line i starts
		var line string
		line, rest, more = strings.Cut(rest, "\n")
		if building {
			b.WriteByte('\n')
		} else {
			if cellWidth(line) == w && !strings.HasSuffix(line, "\r") {
				continue
			}
			// Room for the rest of s and every line left padded to full width: one allocation.
			b.Grow(len(s) + (h-i)*(w+1))
			b.WriteString(s[:at]) // the lines before, which fit, and their newlines
			building = true
		}
		writeFitWidth(&b, line, w)
	}
	switch {
	case building:
		return b.String()
	case more:
		return s[:len(s)-len(rest)-1]
	}
	return s
}

// fitWidth cuts or pads one line to exactly w cells.
func fitWidth(line string, w int) string {
	var b strings.Builder
	writeFitWidth(&b, line, w)
	return b.String()
}

// writeFitWidth writes line cut or padded to exactly w cells.
func writeFitWidth(b *strings.Builder, line string, w int) {
	line = strings.TrimRight(line, "\r")
	lw := cellWidth(line)
	if lw > w {
		line = ansi.Truncate(line, w, "…")
		lw = cellWidth(line)
	}
	b.WriteString(line)
	writeSpaces(b, w-lw)
}

const spaces = "                                                                "

// writeSpaces writes n spaces (none when n <= 0).
func writeSpaces(b *strings.Builder, n int) {
	for n > 0 {
		k := min(n, len(spaces))
		b.WriteString(spaces[:k])
		n -= k
	}
}

// truncate cuts a single line to w cells with an ellipsis.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if cellWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// cellWidth is lipgloss.Width of one line. Most of a frame's lines are printable ASCII, SGR
// colours and a few symbols (box drawing, arrows, ✓, …), measured here rune by rune; anything
// else (other escapes, control bytes, other runes, a symbol followed by anything that could
// join it into a grapheme cluster) goes to lipgloss's grapheme-aware count. Every frame
// measures each of its lines several times (fit at each level), and the grapheme scan was
// half of a frame's time under a burst of watch events.
func cellWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= 0x20 && c < 0x7f:
			n++
			i++
		case c == 0x1b && i+1 < len(s) && s[i+1] == '[':
			// CSI: parameter bytes, intermediate bytes, one final byte; no width.
			j := i + 2
			for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f {
				j++
			}
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
				j++
			}
			if j >= len(s) || s[j] < 0x40 || s[j] > 0x7e {
				return lipgloss.Width(s)
			}
			i = j + 1
		case c >= 0x80:
			r, size := utf8.DecodeRuneInString(s[i:])
			if !narrowSymbol(r) {
				return lipgloss.Width(s)
			}
			// What follows must start a new cluster: ASCII (but not CR, which joins LF),
			// an escape, or another such symbol.
			if j := i + size; j < len(s) && s[j] >= 0x80 {
				if r2, _ := utf8.DecodeRuneInString(s[j:]); !narrowSymbol(r2) {
					return lipgloss.Width(s)
				}
			}
			n++
			i += size
		default:
			return lipgloss.Width(s)
		}
	}
	return n
}

// symbolRanges hold the symbols the player draws (·, ×, …, arrows, ⏸, box drawing, ▶, ★,
// ✓): none of them extends, prepends or joins a grapheme cluster, so each is a cluster of
// its own; narrowSymbol asks lipgloss once which of them take one cell.
var symbolRanges = [][2]rune{{0xa0, 0xff}, {0x2010, 0x2027}, {0x2190, 0x21ff}, {0x2300, 0x23ff}, {0x2500, 0x27bf}}

var (
	narrowOnce  sync.Once
	narrowTable [0x2800]bool // immutable once built
)

func narrowSymbol(r rune) bool {
	if r >= rune(len(narrowTable)) {
		return false
	}
	narrowOnce.Do(func() {
		for _, rg := range symbolRanges {
			for x := rg[0]; x <= rg[1]; x++ {
				narrowTable[x] = lipgloss.Width(string(x)) == 1
			}
		}
	})
	return narrowTable[r]
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

// joinColumns sets three blocks side by side, h lines of exactly w1, w2 and w3 cells (each
// line cut or padded by fitWidth): what lipgloss.JoinHorizontal gives for blocks already of
// those widths, without measuring every line by grapheme clusters again.
func joinColumns(h int, a string, w1 int, b string, w2 int, c string, w3 int) string {
	ca, cb, cc := strings.Split(a, "\n"), strings.Split(b, "\n"), strings.Split(c, "\n")
	line := func(ls []string, i, w int) string {
		if i < len(ls) {
			return fitWidth(ls[i], w)
		}
		return strings.Repeat(" ", max(0, w))
	}
	n := max(h, len(ca), len(cb), len(cc))
	out := make([]string, n)
	for i := range out {
		out[i] = line(ca, i, w1) + line(cb, i, w2) + line(cc, i, w3)
	}
	return strings.Join(out, "\n")
}
