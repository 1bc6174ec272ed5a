package lessons

import "strings"

// Markdown is the step's text as one Markdown document for a player that shows a single
// body: the goal first, then the body, then what to watch for, with headings in the step's
// language. Empty parts are left out.
func (s Step) Markdown() string {
	goal, watch := "Goal", "Watch for"
	if NormalizeLang(s.Lang) == "ko" {
		goal, watch = "목표", "지켜볼 것"
	}
	var parts []string
	if g := strings.TrimSpace(s.Goal); g != "" {
		parts = append(parts, "**"+goal+":** "+g)
	}
	if b := strings.TrimSpace(s.Body); b != "" {
		parts = append(parts, b)
	}
	if w := strings.TrimSpace(s.WatchFor); w != "" {
		parts = append(parts, "**"+watch+":** "+w)
	}
	return strings.Join(parts, "\n\n")
}
