package tui

import (
	"strings"
	"sync"

	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/glamour/ansi"
	"github.com/charmbracelet/glamour/styles"
	xansi "github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// markdown renders lesson Markdown with glamour at a given width. Renderers are cached per
// width and results per (width, text), because Update re-renders on every resize and step
// change and glamour is not free.
type markdown struct {
	style   string
	profile termenv.Profile
	byWidth map[int]*glamour.TermRenderer
	cache   map[mdKey]string
	shared  *MarkdownCache // nil: this player's cache only
}

type mdKey struct {
	width int
	text  string
}

func newMarkdown(style string, profile termenv.Profile) *markdown {
	if style == "" {
		style = "notty"
	}
	return &markdown{style: style, profile: profile, byWidth: map[int]*glamour.TermRenderer{}, cache: map[mdKey]string{}}
}

// render returns the text rendered for width cells; on a glamour error it falls back to the
// raw text, which is still readable.
func (m *markdown) render(text string, width int) string {
	width = max(width, 10)
	k := mdKey{width, text}
	if s, ok := m.cache[k]; ok {
		return s
	}
	sk := sharedMDKey{m.style, m.profile, k}
	if s, ok := m.shared.get(sk); ok {
		m.keep(k, s)
		return s
	}
	r, ok := m.byWidth[width]
	if !ok {
		var err error
		r, err = glamour.NewTermRenderer(
			glamour.WithStyles(lessonStyle(m.style)),
			glamour.WithColorProfile(m.profile),
			glamour.WithWordWrap(width),
		)
		if err != nil {
			return text
		}
		m.byWidth[width] = r
	}
	protected, restore := protectCodeSpans(text)
	out, err := r.Render(protected)
	if err != nil {
		out = text
	} else {
		// Re-wrap list items while code spans still hold their stand-ins, so they stay whole.
		out = restore(reflowOrphans(hangListItems(strings.Trim(out, "\n"), width), width))
	}
	out = strings.Trim(out, "\n")
	if len(m.byWidth) > 4 { // a renderer holds its styles; keep only the width in use
		m.byWidth = map[int]*glamour.TermRenderer{width: r}
	}
	m.keep(k, out)
	if err == nil {
		m.shared.put(sk, out)
	}
	return out
}

func (m *markdown) keep(k mdKey, out string) {
	if len(m.cache) > 256 { // a long session of resizes; start over rather than grow forever
		m.cache = map[mdKey]string{}
	}
	m.cache[k] = out
}

// MarkdownCache is lesson Markdown rendered once for the players that share it (Options.
// Markdown): the classroom's students read the same steps in the same style and mostly at
// the same width, and glamour's rendering was a third of the key that opens a lesson, paid
// by every student. Safe for concurrent use; what it holds is a function of its key alone.
type MarkdownCache struct {
	mu sync.Mutex
	m  map[sharedMDKey]string
}

type sharedMDKey struct {
	style   string
	profile termenv.Profile
	mdKey
}

// maxSharedMarkdown bounds a MarkdownCache: two languages' lessons at a few widths.
const maxSharedMarkdown = 2048

// NewMarkdownCache is an empty cache for players to share.
func NewMarkdownCache() *MarkdownCache { return &MarkdownCache{m: map[sharedMDKey]string{}} }

func (c *MarkdownCache) get(k sharedMDKey) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[k]
	return s, ok
}

func (c *MarkdownCache) put(k sharedMDKey, s string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxSharedMarkdown { // odd widths piling up; start over rather than grow
		c.m = map[sharedMDKey]string{}
	}
	c.m[k] = s
}

// lessonStyle is a glamour standard style with inline code that reads as part of the
// sentence: the standard colour styles pad code with a space on each side on a background,
// which without that background (NO_COLOR, many themes) looks like stray double spaces. Here
// code keeps its colour but loses padding and background; the plain styles mark it with
// backticks instead, as the Markdown source does. Unknown names fall back to notty.
func lessonStyle(name string) ansi.StyleConfig {
	var cfg ansi.StyleConfig
	switch name {
	case "dark":
		cfg = styles.DarkStyleConfig
	case "light":
		cfg = styles.LightStyleConfig
	case "ascii":
		cfg = styles.ASCIIStyleConfig
	default:
		cfg = styles.NoTTYStyleConfig
	}
	code := cfg.Code.StylePrimitive
	code.Prefix, code.Suffix = "", ""
	code.BackgroundColor = nil
	code.BlockPrefix, code.BlockSuffix = "", ""
	if code.Color == nil {
		// Inline code takes Prefix and Suffix, not the Block ones the plain styles set.
		code.Prefix, code.Suffix = "`", "`"
	}
	cfg.Code.StylePrimitive = code
	if name != "dark" && name != "light" {
		// Without colour (NO_COLOR) bold and italics cannot show, and the plain styles print
		// ** and * instead, which a learner reads as stray marks: plain words read better.
		cfg.Strong.BlockPrefix, cfg.Strong.BlockSuffix = "", ""
		cfg.Emph.BlockPrefix, cfg.Emph.BlockSuffix = "", ""
	}
	return cfg
}

// wrapBreaks are the characters glamour's wrappers break a line after, besides spaces:
// paragraphs break after '-', list items and quotes after all of them.
const wrapBreaks = "-.,;+|"

// codeStandIns stand in for wrapBreaks inside inline code while glamour wraps, so a name
// such as web-0.nginx moves to the next line whole instead of splitting into "web-" and
// "0.nginx". They are one cell wide in every width table (East Asian or not), so wrapping
// measures the same, and rare enough that lesson text does not contain them.
const codeStandIns = "\u0180\u0181\u0182\u0183\u0184\u0185"

// protectCodeSpans swaps wrapBreaks inside inline code spans (outside fenced blocks) for
// stand-ins and returns the function that swaps them back in rendered output.
func protectCodeSpans(md string) (string, func(string) string) {
	identity := func(s string) string { return s }
	if strings.ContainsAny(md, codeStandIns) {
		return md, identity // cannot tell ours from the author's: leave the text alone
	}
	brk, alt := []rune(wrapBreaks), []rune(codeStandIns)
	swap := func(s string, from, to []rune) string {
		return strings.Map(func(r rune) rune {
			for i, f := range from {
				if r == f {
					return to[i]
				}
			}
			return r
		}, s)
	}
	lines := strings.Split(md, "\n")
	fence, changed := false, false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = !fence
			continue
		}
		if fence || !strings.Contains(l, "`") {
			continue
		}
		var b strings.Builder
		for rest := l; rest != ""; {
			open := strings.IndexByte(rest, '`')
			if open < 0 {
				b.WriteString(rest)
				break
			}
			n := open
			for n < len(rest) && rest[n] == '`' {
				n++
			}
			ticks := rest[open:n]
			end := strings.Index(rest[n:], ticks)
			// A closing run must be exactly as long as the opening one.
			for end >= 0 && n+end+len(ticks) < len(rest) && rest[n+end+len(ticks)] == '`' {
				next := strings.Index(rest[n+end+len(ticks)+1:], ticks)
				if next < 0 {
					end = -1
					break
				}
				end += len(ticks) + 1 + next
			}
			if end < 0 {
				b.WriteString(rest)
				break
			}
			b.WriteString(rest[:n])
			b.WriteString(swap(rest[n:n+end], brk, alt))
			b.WriteString(ticks)
			rest = rest[n+end+len(ticks):]
			changed = true
		}
		lines[i] = b.String()
	}
	if !changed {
		return md, identity
	}
	return strings.Join(lines, "\n"), func(s string) string { return swap(s, alt, brk) }
}

// unwrapListItems joins the hard-wrapped lines of a list item into one line. Glamour reflows
// paragraphs but keeps soft line breaks inside list items, which leaves ragged lines once the
// pane is narrower or wider than the lesson's source.
func unwrapListItems(md string) string {
	lines := strings.Split(md, "\n")
	out := make([]string, 0, len(lines))
	fence, inItem := false, false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			fence, inItem = !fence, false
		case fence:
		case t == "":
			inItem = false
		case isListItem(t):
			inItem = true
		case inItem && !isBlockStart(t) && len(out) > 0:
			out[len(out)-1] = strings.TrimRight(out[len(out)-1], " ") + " " + t
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func isListItem(t string) bool {
	if strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "+ ") {
		return true
	}
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(t) && (t[i] == '.' || t[i] == ')') && t[i+1] == ' '
}

func isBlockStart(t string) bool {
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ">") || strings.HasPrefix(t, "|") ||
		strings.HasPrefix(t, "<") || t == "---" || t == "***"
}

// hangListItems indents the continuation lines of a rendered list item under the item's
// text rather than under its bullet, re-wrapping them to the narrower room (issue 13, item
// 10). Glamour wraps a long item's text back to the bullet's column.
func hangListItems(out string, width int) string {
	lines := strings.Split(out, "\n")
	res := make([]string, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		plain := xansi.Strip(l)
		indent := len(plain) - len(strings.TrimLeft(plain, " "))
		mark := bulletWidth(plain[indent:])
		if mark == 0 {
			res = append(res, l)
			continue
		}
		res = append(res, l)
		// The item's continuation: the following lines at the bullet's own indentation
		// that are not another item or a blank line.
		var cont []string
		j := i + 1
		for ; j < len(lines); j++ {
			p := xansi.Strip(lines[j])
			in := len(p) - len(strings.TrimLeft(p, " "))
			if strings.TrimSpace(p) == "" || in != indent || bulletWidth(p[in:]) > 0 {
				break
			}
			cont = append(cont, trimBlank(lines[j]))
		}
		if len(cont) == 0 {
			continue
		}
		pad := strings.Repeat(" ", indent+mark)
		room := max(10, width-indent-mark)
		for _, w := range strings.Split(xansi.Wordwrap(strings.Join(cont, " "), room, ""), "\n") {
			res = append(res, pad+strings.TrimRight(w, " "))
		}
		i = j - 1
	}
	return strings.Join(res, "\n")
}

// trimBlank drops the blanks glamour pads a line with on both sides, styling kept.
func trimBlank(l string) string {
	vis := xansi.Strip(l)
	right := strings.TrimRight(vis, " ")
	l = xansi.Truncate(l, xansi.StringWidth(right), "")
	if lead := len(right) - len(strings.TrimLeft(right, " ")); lead > 0 {
		l = xansi.TruncateLeft(l, lead, "")
	}
	return l
}

// bulletWidth is the width of a rendered list marker at the start of s ("• ", "1. "), or 0.
func bulletWidth(s string) int {
	if strings.HasPrefix(s, "• ") {
		return 2
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(s) && s[i] == '.' && s[i+1] == ' ' {
		return i + 2
	}
	return 0
}

// reflowOrphans re-wraps a rendered paragraph that glamour left with a lone word on a line
// of its own although it fitted on the line before (it happens after bold or code spans,
// which glamour wraps as separate pieces; issue 13, item 10). Only plain paragraphs at the
// document's margin are touched: list items, quotes, code and tables keep their lines.
func reflowOrphans(out string, width int) string {
	lines := strings.Split(out, "\n")
	margin := -1
	for _, l := range lines {
		p := xansi.Strip(l)
		if strings.TrimSpace(p) == "" {
			continue
		}
		if n := len(p) - len(strings.TrimLeft(p, " ")); margin < 0 || n < margin {
			margin = n
		}
	}
	plainLine := func(l string) bool {
		p := xansi.Strip(l)
		t := strings.TrimSpace(p)
		if t == "" || len(p)-len(strings.TrimLeft(p, " ")) != margin || bulletWidth(t) > 0 {
			return false
		}
		return !strings.ContainsAny(t[:1], "|│#─>") && !strings.ContainsAny(t, "│─")
	}
	res := make([]string, 0, len(lines))
	for i := 0; i < len(lines); {
		if !plainLine(lines[i]) {
			res = append(res, lines[i])
			i++
			continue
		}
		j := i
		for j < len(lines) && plainLine(lines[j]) {
			j++
		}
		para := lines[i:j]
		orphan := false
		for k := 1; k < len(para)-1; k++ {
			words := strings.Fields(xansi.Strip(para[k]))
			prev := strings.TrimRight(xansi.Strip(para[k-1]), " ")
			if len(words) == 1 && xansi.StringWidth(prev)+1+xansi.StringWidth(words[0]) <= width {
				orphan = true
				break
			}
		}
		if !orphan {
			res = append(res, para...)
			i = j
			continue
		}
		parts := make([]string, len(para))
		for k, l := range para {
			parts[k] = trimBlank(l)
		}
		pad := strings.Repeat(" ", margin)
		for _, w := range strings.Split(xansi.Wordwrap(strings.Join(parts, " "), max(10, width-margin), ""), "\n") {
			res = append(res, pad+strings.TrimRight(w, " "))
		}
		i = j
	}
	return strings.Join(res, "\n")
}
