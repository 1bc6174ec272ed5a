package tui

import (
	"strings"

	"github.com/charmbracelet/glamour"
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
	r, ok := m.byWidth[width]
	if !ok {
		var err error
		r, err = glamour.NewTermRenderer(
			glamour.WithStandardStyle(m.style),
			glamour.WithColorProfile(m.profile),
			glamour.WithWordWrap(width),
		)
		if err != nil {
			return text
		}
		m.byWidth[width] = r
	}
	out, err := r.Render(text)
	if err != nil {
		out = text
	}
	out = strings.Trim(out, "\n")
	if len(m.cache) > 256 { // a long session of resizes; start over rather than grow forever
		m.cache = map[mdKey]string{}
	}
	m.cache[k] = out
	return out
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
