// Package termsafe keeps text from lessons, the cluster and commands from driving the
// learner's terminal: it removes every control sequence except SGR (colour and emphasis) —
// OSC (window title, clipboard, hyperlinks), DCS, APC, PM, SOS, CSI other than SGR (cursor
// moves, erasing, modes), other escapes — and every C0/C1 control character except newline
// and tab. Sequences are found with charmbracelet/x/ansi's decoder, the one lipgloss and
// Bubble Tea use, so what is removed is exactly what a terminal would act on.
package termsafe

import (
	"io"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// String returns s with SGR sequences kept and every other control sequence and control
// character removed (\r before \n included); invalid UTF-8 becomes U+FFFD, and bidirectional
// overrides, which reorder what is shown, are dropped.
func String(s string) string { return clean(s, true) }

// Plain is String without SGR either: for --plain, logs and data cells.
func Plain(s string) string { return clean(s, false) }

// Safe reports whether s passes through String unchanged.
func Safe(s string) bool { return String(s) == s }

func clean(s string, keepSGR bool) string {
	i := safePrefix(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		j := i + safePrefix(s[i:])
		b.WriteString(s[i:j])
		if i = j; i == len(s) {
			break
		}
		n, keep, complete := next(s[i:], keepSGR)
		if !complete {
			break // an unterminated sequence swallows the rest, as a terminal would
		}
		b.WriteString(keep)
		i += n
	}
	return b.String()
}

// safePrefix is the length of the leading run of printable ASCII, newlines and tabs, which
// pass as they are.
func safePrefix(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' && c != '\t' || c >= 0x7f {
			return i
		}
	}
	return len(s)
}

// C1 introducers as raw 8-bit bytes (invalid UTF-8, yet some terminals act on them).
func c1Intro(c byte) bool {
	switch c {
	case ansi.CSI, ansi.OSC, ansi.DCS, ansi.APC, ansi.PM, ansi.SOS:
		return true
	}
	return false
}

// next reads one unit from the start of s: a printable character, a control character or a
// whole escape sequence. It returns its length, what to write for it, and false when s ends
// inside a sequence (more input may complete it).
func next(s string, keepSGR bool) (n int, keep string, complete bool) {
	c := s[0]
	switch {
	case c == '\n' || c == '\t' || c >= 0x20 && c < 0x7f:
		return 1, s[:1], true
	case c == ansi.ESC || c1Intro(c):
		// The decoder without a Parser only finds where the sequence ends; SGR is then told
		// by its bytes. (A Parser collecting parameters panics on more than 32 of them in
		// x/ansi before v0.11.10.)
		seq, _, m, state := ansi.DecodeSequence(s, ansi.NormalState, nil)
		if state != ansi.NormalState {
			return len(s), "", false
		}
		if m == 0 {
			m = 1
		}
		if keepSGR && isSGR(seq) {
			return m, seq, true
		}
		return m, "", true
	case c < 0x80:
		return 1, "", true // C0 controls other than \n and \t, and DEL
	}
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size <= 1 {
		if !utf8.FullRuneInString(s) {
			return len(s), "", false // a character cut at the end of a write
		}
		return 1, "\uFFFD", true
	}
	if r >= 0x80 && r <= 0x9f || bidiOverride(r) {
		return size, "", true // C1 controls as characters, and text reordering
	}
	return size, s[:size], true
}

// isSGR reports ESC [ params m with parameters only (digits, ; and :), no private prefix
// and no intermediate byte: Select Graphic Rendition, which only sets colours and emphasis.
func isSGR(seq string) bool {
	if len(seq) < 3 || seq[0] != ansi.ESC || seq[1] != '[' || seq[len(seq)-1] != 'm' {
		return false
	}
	for i := 2; i < len(seq)-1; i++ {
		if c := seq[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}

func bidiOverride(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// maxPending bounds what a Writer holds of a sequence cut between writes; a longer one is
// dropped whole (its introducer never reaches the terminal) and decoding starts afresh.
const maxPending = 64 << 10

// Writer cleans a stream as String (or Plain) cleans a string, holding a sequence or a
// character cut between two writes until the next write completes it. It is safe for
// concurrent use (kubectl's stdout and stderr may share one).
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	keepSGR bool
	pending []byte
}

// NewWriter returns a Writer onto w; keepSGR as String (true) or Plain (false).
func NewWriter(w io.Writer, keepSGR bool) *Writer { return &Writer{w: w, keepSGR: keepSGR} }

// Write cleans p and writes what is complete. It reports len(p) written unless w fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := string(p)
	if len(w.pending) > 0 {
		s = string(w.pending) + s
		w.pending = w.pending[:0]
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		n, keep, complete := next(s[i:], w.keepSGR)
		if !complete {
			if rest := s[i:]; len(rest) <= maxPending {
				w.pending = append(w.pending, rest...)
				break
			}
			i++ // drop the introducer; the rest is read as text
			continue
		}
		b.WriteString(keep)
		i += n
	}
	if b.Len() > 0 {
		if _, err := io.WriteString(w.w, b.String()); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Clean applies f (String or Plain) to every string that ptr reaches and can set: fields of
// structs, elements of slices and arrays, map values, through pointers and interfaces. It
// cleans a decoded document (a lesson, a progress file) in one call, new fields included.
func Clean(ptr any, f func(string) string) {
	walk(reflect.ValueOf(ptr), f, 0)
}

func walk(v reflect.Value, f func(string) string, depth int) {
	if depth > 64 {
		return // decoded documents are trees; a cycle is not followed for ever
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			if v.Kind() == reflect.Interface && v.Elem().Kind() == reflect.String {
				if v.CanSet() {
					v.Set(reflect.ValueOf(f(v.Elem().String())).Convert(v.Elem().Type()))
				}
				return
			}
			walk(v.Elem(), f, depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walk(v.Field(i), f, depth+1)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walk(v.Index(i), f, depth+1)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			val := iter.Value()
			if val.Kind() == reflect.String {
				v.SetMapIndex(iter.Key(), reflect.ValueOf(f(val.String())).Convert(val.Type()))
				continue
			}
			cp := reflect.New(val.Type()).Elem()
			cp.Set(val)
			walk(cp, f, depth+1)
			v.SetMapIndex(iter.Key(), cp)
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(f(v.String()))
		}
	}
}
