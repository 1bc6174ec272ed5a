package tui

import (
	"io"
	"regexp"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// TestStylesColoursConvertedOnce: on 256- and 16-colour terminals the styles hold colour
// numbers (lipgloss would otherwise search the nearest colour on every Render) and draw the
// very escapes the hex colours drew; true colour keeps the hex.
func TestStylesColoursConvertedOnce(t *testing.T) {
	green := lipgloss.AdaptiveColor{Light: "#1E7F30", Dark: "#56D364"}
	number := regexp.MustCompile(`^[0-9]+$`)
	for _, tc := range []struct {
		name    string
		p       termenv.Profile
		numbers bool
	}{{"256", termenv.ANSI256, true}, {"16", termenv.ANSI, true}, {"truecolor", termenv.TrueColor, false}} {
		for _, dark := range []bool{true, false} {
			r := lipgloss.NewRenderer(io.Discard, termenv.WithProfile(tc.p))
			r.SetColorProfile(tc.p)
			r.SetHasDarkBackground(dark)
			s := DefaultStyles(r)
			got := s.StatusOK.Render("Running")
			want := r.NewStyle().Foreground(green).Render("Running")
			if got != want {
				t.Errorf("%s dark=%v: StatusOK drew %q, the hex colour draws %q", tc.name, dark, got, want)
			}
			fg, ok := s.StatusOK.GetForeground().(lipgloss.AdaptiveColor)
			if !ok {
				t.Fatalf("%s: StatusOK's colour is %T, want an AdaptiveColor", tc.name, s.StatusOK.GetForeground())
			}
			if got := number.MatchString(fg.Dark) && number.MatchString(fg.Light); got != tc.numbers {
				t.Errorf("%s: StatusOK's colour is %+v; numbers: %v, want %v", tc.name, fg, got, tc.numbers)
			}
		}
	}
}
