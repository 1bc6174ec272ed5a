package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles is every look of the player, built from one renderer so its colour profile (and
// NO_COLOR) applies everywhere. Colours are adaptive: each has a light and a dark variant.
type Styles struct {
	renderer *lipgloss.Renderer

	App lipgloss.Style

	// Menu
	MenuTitle    lipgloss.Style
	MenuItem     lipgloss.Style
	MenuSelected lipgloss.Style
	MenuMeta     lipgloss.Style
	MenuSummary  lipgloss.Style

	// Pane headers: the focused pane's header stands out.
	Header        lipgloss.Style
	HeaderFocused lipgloss.Style
	Separator     lipgloss.Style // the rule between side-by-side panes

	// Step pane
	Done       lipgloss.Style // the ✓ of a finished step
	CmdNext    lipgloss.Style
	CmdRun     lipgloss.Style
	CmdPending lipgloss.Style
	CmdNoRun   lipgloss.Style

	// Watch pane
	TableHeader lipgloss.Style
	WatchLabel  lipgloss.Style
	Dim         lipgloss.Style
	StatusOK    lipgloss.Style // Running, Bound, Active
	StatusWait  lipgloss.Style // Pending, ContainerCreating
	StatusGone  lipgloss.Style // Terminating
	StatusDone  lipgloss.Style // Completed, Succeeded
	StatusBad   lipgloss.Style // Error, CrashLoopBackOff, failures

	// Output pane
	Error lipgloss.Style

	// Status line
	StatusBar     lipgloss.Style
	StatusCluster lipgloss.Style
	StatusCheckOK lipgloss.Style
	StatusPending lipgloss.Style

	Help help.Styles

	// Selected marks the stream row being inspected.
	Selected lipgloss.Style
	// PresentTitle is the step title in the projector layout (--present).
	PresentTitle lipgloss.Style
}

// DefaultStyles builds the player's styles on r, the program's own renderer (nil: the
// default renderer, for tests).
func DefaultStyles(r *lipgloss.Renderer) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	var (
		accent  = lipgloss.AdaptiveColor{Light: "#5A56E0", Dark: "#7D79F6"}
		subtle  = lipgloss.AdaptiveColor{Light: "#8A8A8A", Dark: "#6C6C6C"}
		faint   = lipgloss.AdaptiveColor{Light: "#B8B8B8", Dark: "#4A4A4A"}
		green   = lipgloss.AdaptiveColor{Light: "#1E7F30", Dark: "#56D364"}
		yellow  = lipgloss.AdaptiveColor{Light: "#8A6100", Dark: "#E3B341"}
		magenta = lipgloss.AdaptiveColor{Light: "#A0308F", Dark: "#D67FD0"}
		red     = lipgloss.AdaptiveColor{Light: "#C0262D", Dark: "#F47067"}
		barBg   = lipgloss.AdaptiveColor{Light: "#E4E4E4", Dark: "#262626"}
		barFg   = lipgloss.AdaptiveColor{Light: "#303030", Dark: "#D0D0D0"}
		key     = lipgloss.AdaptiveColor{Light: "#6A6A6A", Dark: "#8A8A8A"}
	)
	for _, c := range []*lipgloss.AdaptiveColor{&accent, &subtle, &faint, &green, &yellow, &magenta, &red, &barBg, &barFg, &key} {
		*c = forProfile(r, *c)
	}
	s := Styles{renderer: r}
	s.App = r.NewStyle()
	s.MenuTitle = r.NewStyle().Bold(true).Foreground(accent)
	s.MenuItem = r.NewStyle().PaddingLeft(2)
	s.MenuSelected = r.NewStyle().Bold(true).Foreground(accent)
	s.MenuMeta = r.NewStyle().Foreground(subtle)
	s.MenuSummary = r.NewStyle().PaddingLeft(4)

	s.Header = r.NewStyle().Foreground(subtle).Bold(true)
	s.HeaderFocused = r.NewStyle().Foreground(accent).Bold(true)
	s.Separator = r.NewStyle().Foreground(faint)

	s.Done = r.NewStyle().Foreground(green).Bold(true)
	s.CmdNext = r.NewStyle().Foreground(accent).Bold(true)
	s.CmdRun = r.NewStyle().Foreground(subtle)
	s.CmdPending = r.NewStyle()
	s.CmdNoRun = r.NewStyle().Foreground(subtle).Italic(true)

	s.TableHeader = r.NewStyle().Bold(true)
	s.WatchLabel = r.NewStyle().Foreground(subtle)
	s.Dim = r.NewStyle().Foreground(subtle)
	s.StatusOK = r.NewStyle().Foreground(green)
	s.StatusWait = r.NewStyle().Foreground(yellow)
	s.StatusGone = r.NewStyle().Foreground(magenta)
	s.StatusDone = r.NewStyle().Foreground(subtle)
	s.StatusBad = r.NewStyle().Foreground(red).Bold(true)

	s.Error = r.NewStyle().Foreground(red)

	s.StatusBar = r.NewStyle().Foreground(barFg).Background(barBg)
	s.StatusCluster = r.NewStyle().Foreground(accent).Background(barBg).Bold(true)
	s.StatusCheckOK = r.NewStyle().Foreground(green).Background(barBg).Bold(true)
	s.StatusPending = r.NewStyle().Foreground(yellow).Background(barBg)

	s.PresentTitle = r.NewStyle().Bold(true)
	s.Selected = r.NewStyle().Reverse(true)

	keyStyle := r.NewStyle().Foreground(key)
	descStyle := r.NewStyle().Foreground(subtle)
	sepStyle := r.NewStyle().Foreground(faint)
	s.Help = help.Styles{
		Ellipsis:       sepStyle,
		ShortKey:       keyStyle,
		ShortDesc:      descStyle,
		ShortSeparator: sepStyle,
		FullKey:        keyStyle,
		FullDesc:       descStyle,
		FullSeparator:  sepStyle,
	}
	return s
}

// forProfile is c with each variant as the colour number r's profile shows it. For a 256- or
// 16-colour terminal (an SSH client sends no COLORTERM, so the classroom's students are one)
// lipgloss converts a hex colour on every Render, a nearest-colour search in HSLuv space that
// was a twentieth of a classroom frame; converted once here, a Render reads a number. True
// colour and no colour keep the hex.
func forProfile(r *lipgloss.Renderer, c lipgloss.AdaptiveColor) lipgloss.AdaptiveColor {
	p := r.ColorProfile()
	if p != termenv.ANSI256 && p != termenv.ANSI {
		return c
	}
	number := func(hex string) string {
		switch v := p.Color(hex).(type) {
		case termenv.ANSI256Color:
			return strconv.Itoa(int(v))
		case termenv.ANSIColor:
			return strconv.Itoa(int(v))
		}
		return hex
	}
	return lipgloss.AdaptiveColor{Light: number(c.Light), Dark: number(c.Dark)}
}

// NewStyle is a style on the program's renderer, for looks built while drawing; never
// lipgloss.NewStyle(), whose default renderer another program in the process may share.
func (s Styles) NewStyle() lipgloss.Style {
	if s.renderer == nil {
		return lipgloss.DefaultRenderer().NewStyle()
	}
	return s.renderer.NewStyle()
}

// Renderer is the renderer the styles were built on.
func (s Styles) Renderer() *lipgloss.Renderer {
	if s.renderer == nil {
		return lipgloss.DefaultRenderer()
	}
	return s.renderer
}

// statusStyle picks the colour of a STATUS cell the way a reader scans `kubectl get -w`:
// green is healthy, yellow is on its way, magenta is going away, red needs attention.
func (s Styles) statusStyle(status string) (lipgloss.Style, bool) {
	switch {
	case status == "Running" || status == "Bound" || status == "Active" || status == "Available":
		return s.StatusOK, true
	case status == "Pending" || status == "ContainerCreating" || status == "PodInitializing" ||
		strings.HasPrefix(status, "Init:") && !isBadStatus(strings.TrimPrefix(status, "Init:")):
		return s.StatusWait, true
	case status == "Terminating":
		return s.StatusGone, true
	case status == "Completed" || status == "Succeeded":
		return s.StatusDone, true
	case isBadStatus(status) || strings.HasPrefix(status, "Init:") || status == "Lost":
		return s.StatusBad, true
	}
	return lipgloss.Style{}, false
}

func isBadStatus(status string) bool {
	switch status {
	case "Error", "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "Failed",
		"OOMKilled", "CreateContainerConfigError", "InvalidImageName", "Unknown", "NotReady":
		return true
	}
	return false
}
