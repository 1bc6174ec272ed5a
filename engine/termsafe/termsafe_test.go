package termsafe

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

var cases = []struct {
	name, in, want string
}{
	{"plain text", "web-0   1/1   Running\n\tok", "web-0   1/1   Running\n\tok"},
	{"unicode", "Grüße · 日本 ✓", "Grüße · 日本 ✓"},
	{"SGR kept", "\x1b[1;31mred\x1b[0m \x1b[38:2::1:2:3mtc\x1b[m", "\x1b[1;31mred\x1b[0m \x1b[38:2::1:2:3mtc\x1b[m"},
	{"OSC 0 icon and title, BEL", "a\x1b]0;pwned\x07b", "ab"},
	{"OSC 2 title, ST", "a\x1b]2;pwned\x1b\\b", "ab"},
	{"OSC 52 clipboard", "a\x1b]52;c;Y3VybCBldmlsfHNo\x07b", "ab"},
	{"OSC 8 hyperlink", "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\", "click"},
	{"DCS", "a\x1bP$q\"p\x1b\\b", "ab"},
	{"DCS tmux passthrough", "a\x1bPtmux;\x1b\x1b]52;c;eA==\x07\x1b\\b", "ab"},
	{"APC", "a\x1b_Gf=100;AAAA\x1b\\b", "ab"},
	{"PM", "a\x1b^private\x1b\\b", "ab"},
	{"SOS", "a\x1bXstring\x1b\\b", "ab"},
	{"CSI clear screen and home", "a\x1b[2J\x1b[Hb", "ab"},
	{"CSI cursor up and erase line", "ok\x1b[1A\x1b[2Kfake", "okfake"},
	{"CSI private mode", "a\x1b[?1049h\x1b[?25lb", "ab"},
	{"CSI with intermediate, not SGR", "a\x1b[0 qb", "ab"},
	{"CSI private SGR-like", "a\x1b[>4;2mb", "ab"},
	{"CSI with 40 parameters", "a\x1b[" + strings.Repeat("1;", 40) + "1mb", "a\x1b[" + strings.Repeat("1;", 40) + "1mb"},
	{"RIS reset", "a\x1bcb", "ab"},
	{"ESC charset", "a\x1b(0qqq\x1b(Bb", "aqqqb"},
	{"lone ESC before newline", "a\x1b\nb", "a\nb"},
	{"C0 controls", "a\x07\x08\x00\x0b\x0c\x7fb", "ab"},
	{"carriage return", "fine\rEVIL\r\nnext", "fineEVIL\nnext"},
	{"C1 as characters", "a\u009b2Jb\u009d0;t\u009cc", "a2Jb0;tc"},
	{"raw 8-bit CSI", "a\x9b2Jb", "ab"},
	{"raw 8-bit OSC", "a\x9d0;title\x07b", "ab"},
	{"invalid UTF-8", "a\xffb\xc3", "a\uFFFDb"},
	{"bidi override", "abc\u202egnp.exe", "abcgnp.exe"},
	{"unterminated OSC swallows the rest", "ok\x1b]2;never ends", "ok"},
	{"CAN cancels", "a\x1b]2;x\x18b", "ab"},
}

func TestString(t *testing.T) {
	for _, c := range cases {
		if got := String(c.in); got != c.want {
			t.Errorf("%s: String(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestPlainDropsSGRToo(t *testing.T) {
	if got := Plain("\x1b[1;31mred\x1b[0m \x1b]2;t\x07ok"); got != "red ok" {
		t.Errorf("Plain = %q", got)
	}
}

// A Writer gives the same text however the stream is cut.
func TestWriterSplitsAnywhere(t *testing.T) {
	for _, c := range cases {
		if strings.Contains(c.name, "unterminated") || strings.Contains(c.name, "invalid UTF-8") {
			continue // a stream's end is not known to a Writer; checked below
		}
		for cut := 0; cut <= len(c.in); cut++ {
			var buf bytes.Buffer
			w := NewWriter(&buf, true)
			_, _ = w.Write([]byte(c.in[:cut]))
			_, _ = w.Write([]byte(c.in[cut:]))
			if buf.String() != c.want {
				t.Errorf("%s cut at %d: %q, want %q", c.name, cut, buf.String(), c.want)
			}
		}
	}
	// A sequence longer than the Writer holds loses its introducer and shows as text.
	var buf bytes.Buffer
	w := NewWriter(&buf, false)
	_, _ = w.Write([]byte("\x1b]2;" + strings.Repeat("x", maxPending+10)))
	if out := buf.String(); strings.ContainsRune(out, 0x1b) || !strings.HasPrefix(out, "]2;xxx") {
		t.Errorf("over-long pending sequence: %.20q", out)
	}
}

func checkSafe(t *testing.T, in, out string, keepSGR bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("%q → invalid UTF-8 %q", in, out)
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if c == 0x1b {
			end := strings.IndexByte(out[i:], 'm')
			if !keepSGR || end < 0 || !isSGR(out[i:i+end+1]) {
				t.Fatalf("%q → %q keeps a non-SGR escape at %d", in, out, i)
			}
			i += end
			continue
		}
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
			t.Fatalf("%q → %q keeps control byte %#x", in, out, c)
		}
	}
	for _, r := range out {
		if r >= 0x80 && r <= 0x9f || bidiOverride(r) {
			t.Fatalf("%q → %q keeps %U", in, out, r)
		}
	}
}

// FuzzString: whatever the input, the output holds no control sequence but SGR, no control
// character but \n and \t, is valid UTF-8, and cleaning again changes nothing.
func FuzzString(f *testing.F) {
	for _, c := range cases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := String(in)
		checkSafe(t, in, out, true)
		if again := String(out); again != out {
			t.Fatalf("not idempotent: %q → %q → %q", in, out, again)
		}
		checkSafe(t, in, Plain(in), false)
		var buf bytes.Buffer
		w := NewWriter(&buf, true)
		half := len(in) / 2
		_, _ = w.Write([]byte(in[:half]))
		_, _ = w.Write([]byte(in[half:]))
		checkSafe(t, in, buf.String(), true)
	})
}

func BenchmarkStringFrame(b *testing.B) {
	row := "\x1b[1m\x1b[38;5;62mweb-0\x1b[0m   1/1   Running   0   \x1b[2m12s\x1b[0m   10.244.1.3   sim-node-1 · ✓\n"
	frame := strings.Repeat(row, 50)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		_ = String(frame)
	}
}

func TestCleanWalksDocuments(t *testing.T) {
	type inner struct {
		Text  string
		Words []string
		hide  string
	}
	doc := struct {
		Title string
		Ptr   *inner
		Items []inner
		Map   map[string]string
		Deep  map[string]*inner
		Any   any
		N     int
	}{
		Title: "a\x1b]2;t\x07b",
		Ptr:   &inner{Text: "\x1b[2J", Words: []string{"x\x07", "y"}, hide: "\x07"},
		Items: []inner{{Text: "\x9b1m"}},
		Map:   map[string]string{"k": "v\x1b]52;c;AA==\x07"},
		Deep:  map[string]*inner{"d": {Text: "\r"}},
		Any:   "q\x1bc",
		N:     3,
	}
	Clean(&doc, Plain)
	if doc.Title != "ab" || doc.Ptr.Text != "" || doc.Ptr.Words[0] != "x" || doc.Items[0].Text != "" ||
		doc.Map["k"] != "v" || doc.Deep["d"].Text != "" || doc.Any != "q" || doc.N != 3 {
		t.Errorf("cleaned: %+v %+v %+v", doc, *doc.Ptr, *doc.Deep["d"])
	}
	if doc.Ptr.hide != "\x07" {
		t.Errorf("unexported fields are left alone")
	}
}
