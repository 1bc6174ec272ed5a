package tui

import (
	"context"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/engine/termsafe"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// App is the root model. It handles quit, help and resize, and routes everything else: keys
// and results to the screen that is showing (the menu or a lesson), sizes to both.
type App struct {
	opts Options
	st   *Styles
	t    text
	keys AppKeyMap
	help help.Model
	md   *markdown

	menu   *menuView
	lesson *lessonView // nil while the menu shows

	width, height int
	helpH         int
	// helpDrawn is the last help drawn, from what helpSig says (helpView).
	helpDrawn, helpSig string

	kubeconfigWritten bool

	cmdbar *cmdBar // ':' — the in-app kubectl prompt (cmdbar.go)
	// opened: a lesson ran on the cluster before, so the next one starts on a fresh one.
	opened bool
	// demoTick paces the demo (tests replace it so nothing waits on a real timer).
	demoTick func(gen int64) tea.Cmd
	// checkTick paces the lesson's check tick (tests replace it so nothing waits on a real
	// timer); nil is the real one.
	checkTick func(gen int64) tea.Cmd
}

// New builds the player.
func New(o Options) *App {
	if o.Context == nil {
		o.Context = context.Background()
	}
	o = o.FromCluster()
	st := o.Styles
	if st == nil {
		s := DefaultStyles(o.renderer())
		st = &s
	}
	if o.Progress == nil {
		o.Progress = progress.Memory()
	}
	checkProgress(&o) // progresscheck.go
	if o.Present {
		ps := presentStyles(*st)
		st = &ps
	}
	o.Lang = langCode(o.Lang)
	t := textFor(o.Lang)
	h := help.New()
	h.Styles = st.Help
	footer := ""
	if o.Cluster != nil {
		footer = o.Cluster.Label() + " · " + t.Namespace + " " + o.Cluster.Namespace()
	}
	profile := o.renderer().ColorProfile()
	if st.renderer != nil {
		profile = st.renderer.ColorProfile()
	}
	md := newMarkdown(o.MarkdownStyle, profile)
	md.shared = o.Markdown
	return &App{
		opts: o, st: st, t: t, keys: appKeys(t, o.Cluster != nil), help: h,
		md:     md,
		menu:   newMenuView(st, t, o.Lessons, footer, o.Progress, o.ProgressWarning, o.LessonsFor != nil),
		cmdbar: newCmdBar(o.Context, o.Cluster, st, o.Lang).withBuiltinEdit(o.BuiltinEditor).withHandoff(o.Handoff).withoutTerminal(o.NoTerminal),
	}
}

// switchLang is L: the player's words and the lessons in the other language, keeping the
// menu's selection and the open lesson's step.
func (a *App) switchLang() {
	lang := "ko"
	if a.opts.Lang == "ko" {
		lang = "en"
	}
	ls := a.opts.LessonsFor(lang)
	if len(ls) == 0 {
		return
	}
	a.opts.Lang, a.opts.Lessons = lang, ls
	a.t = textFor(lang)
	a.keys = appKeys(a.t, a.opts.Cluster != nil)
	if a.cmdbar != nil {
		a.cmdbar.setLang(lang)
	}
	footer := ""
	if a.opts.Cluster != nil {
		footer = a.opts.Cluster.Label() + " · " + a.t.Namespace + " " + a.opts.Cluster.Namespace()
	}
	sel := a.menu.sel
	a.menu = newMenuView(a.st, a.t, ls, footer, a.opts.Progress, a.opts.ProgressWarning, true)
	a.menu.sel = clamp(sel, 0, len(ls)-1)
	a.menu.updateKeys()
	if a.lesson != nil {
		for _, l := range ls {
			if l.ID == a.lesson.lesson.ID {
				a.lesson.setLang(a.t, l)
			}
		}
	}
	a.resize(true)
}

func (a *App) lessonDeps() lessonDeps {
	d := lessonDeps{
		ctx: a.opts.Context, st: a.st, t: a.t, md: a.md,
		cluster: a.opts.Cluster, eval: a.opts.Evaluate, progress: a.opts.Progress,
		list: a.opts.List, reset: a.opts.Reset, simulate: a.opts.Simulate, resetOnOpen: a.opened && a.opts.Reset != nil,
		present: a.opts.Present, langSwitch: a.opts.LessonsFor != nil, objects: a.opts.WatchObjects,
		gate: a.opts.StepGate, checkTick: a.checkTick,
	}
	if a.opts.Demo != "" {
		// A demo plays for an audience: it neither reads nor changes the learner's progress.
		d.progress, d.demo, d.demoTick = nil, true, a.demoTick
	}
	return d
}

// KubeconfigWritten reports whether the K key wrote Options.KubeconfigPath, so main can
// remove it (it points at a simulator that is gone) after the program ends.
func (a *App) KubeconfigWritten() bool { return a.kubeconfigWritten }

// Init implements tea.Model: the menu has nothing to load; a demo opens its lesson.
func (a *App) Init() tea.Cmd {
	for i, l := range a.opts.Lessons {
		if (a.opts.Demo != "" && l.ID == a.opts.Demo) || (a.opts.Open != "" && l.ID == a.opts.Open) {
			return func() tea.Msg { return startLessonMsg{index: i} }
		}
	}
	return nil
}

// Close stops the open lesson's jobs. main calls it after Run returns, for the case where the
// program ended without a quit key (a signal, a killed program).
func (a *App) Close() {
	if a.lesson != nil {
		a.lesson.close()
	}
}

// Update implements tea.Model.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	msg = asText(msg)
	ran := len(a.cmdbar.history)
	typed := a.cmdbar.succeeded(msg)
	if cmd, ok := a.cmdbar.handle(msg); ok {
		if a.lesson != nil && len(a.cmdbar.history) != ran {
			a.lesson.touched = true // the bar ran a command on the lesson's cluster
		}
		if a.lesson != nil && typed != "" {
			// Practice mode: a step command typed in the bar counts as run.
			cmd = tea.Batch(cmd, a.lesson.typed(typed))
		}
		// Opening or closing the bar swaps the help line for the bar's keys.
		a.resize(false)
		return a, cmd
	}
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		a.help.Width = msg.Width
		a.resize(true)
		return a, nil
	case tea.KeyMsg:
		if a.barActive() && !key.Matches(msg, a.keys.Interrupt) {
			// The bar is being typed in: q, ? and L are letters there.
			cmd = a.lesson.Update(msg)
			a.resize(false)
			return a, cmd
		}
		switch {
		case key.Matches(msg, a.keys.Quit):
			if a.lesson != nil && a.lesson.ask == nil && !a.opts.QuitKeepsCluster && a.lesson.losesCluster() {
				a.lesson.askQuit()
				a.resize(false)
				return a, nil
			}
			a.Close()
			return a, tea.Quit
		case key.Matches(msg, a.keys.Help):
			a.help.ShowAll = !a.help.ShowAll
			a.resize(true)
			return a, nil
		case a.langKeyOn(msg):
			a.switchLang()
			return a, nil
		}
	case startLessonMsg:
		if msg.index < 0 || msg.index >= len(a.opts.Lessons) {
			return a, nil
		}
		a.Close()
		d := a.lessonDeps()
		if n := msg.index + 1; n < len(a.opts.Lessons) && a.opts.Demo == "" {
			d.next = &lessonRef{index: n, title: a.opts.Lessons[n].Title}
		}
		a.lesson = newLessonView(d, a.opts.Lessons[msg.index])
		a.opened = true
		a.lesson.kubeconfig = a.opts.KubeconfigPath
		a.lesson.updateKeys()
		a.resize(true)
		return a, a.lesson.Init()
	case kubeconfigMsg:
		// Remembered here, not in the lesson view: the file outlives the lesson.
		if msg.err == nil {
			a.kubeconfigWritten = true
		}
	case quitMsg:
		a.Close()
		return a, tea.Quit
	case backToMenuMsg:
		a.Close()
		a.lesson = nil
		a.resize(true)
		return a, nil
	}
	if a.lesson == nil {
		// Progress saved by a lesson's Cmds can still arrive after the learner left it.
		if _, ok := msg.(progressErrMsg); ok {
			return a, nil
		}
	}

	if a.lesson != nil {
		cmd = a.lesson.Update(msg)
	} else {
		cmd = a.menu.Update(msg)
	}
	// Enabling or disabling a binding can change the full help's height.
	a.resize(false)
	return a, cmd
}

// langKeyOn reports whether msg is L and L is offered on the screen showing: only keys
// whose help is shown work (issue 13, item 10).
func (a *App) langKeyOn(msg tea.KeyMsg) bool {
	if a.opts.LessonsFor == nil || a.barActive() {
		return false
	}
	if a.lesson != nil {
		return a.lesson.ask == nil && key.Matches(msg, a.lesson.lk.Lang)
	}
	return !a.menu.confirming && key.Matches(msg, a.menu.lang)
}

// asText marks input that arrived in one read with more than one rune (a paste without
// bracketed paste, typing over a slow link) as pasted text: bubbletea then spells it
// "[…]", so no key binding matches words such as "delete" or "esc", and the command bar
// inserts it as typed (issue 13, item 6).
func asText(msg tea.Msg) tea.Msg {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes && len(k.Runes) > 1 && !k.Paste {
		k.Paste = true
		return k
	}
	return msg
}

// appKeys is the global key map; : needs a cluster for its commands.
func appKeys(t text, cluster bool) AppKeyMap {
	k := DefaultAppKeyMap(t)
	k.Command.SetEnabled(cluster)
	return k
}

func (a *App) screenKeys() help.KeyMap {
	if a.cmdbar != nil && a.cmdbar.open {
		// The screen's letters go into the prompt now; offering them would mislead.
		return a.cmdbar
	}
	var g withGlobal
	if a.lesson != nil {
		g = withGlobal{screen: a.lesson.helpKeys(), app: a.keys}
	} else {
		g = withGlobal{screen: a.menu.helpKeys(), app: a.keys}
	}
	// : goes in the short help only when ? and q still fit beside it.
	h := a.help
	h.Width = 0
	if a.width > 0 && lipgloss.Width(h.ShortHelpView(g.ShortHelp())) > a.width {
		g.noShortCmd = true
	}
	if a.help.ShowAll && a.width > 0 {
		return fitHelp{KeyMap: g, full: fitColumns(a.help, g.FullHelp(), a.width)}
	}
	return g
}

// fitHelp is a key map whose full help is laid out to fit the window (fitColumns).
type fitHelp struct {
	help.KeyMap
	full [][]key.Binding
}

func (f fitHelp) FullHelp() [][]key.Binding { return f.full }

// fitColumns keeps the full help's columns when they fit width; else it pours the bindings,
// in order, into taller columns until they do. bubbles' help would instead cut the columns
// that do not fit at "…", hiding keys that work (? and q among them).
func fitColumns(h help.Model, groups [][]key.Binding, width int) [][]key.Binding {
	h.Width = 0
	if lipgloss.Width(h.FullHelpView(groups)) <= width {
		return groups
	}
	var all []key.Binding
	tallest := 0
	for _, g := range groups {
		g = enabledList(g)
		all = append(all, g...)
		tallest = max(tallest, len(g))
	}
	for rows := tallest + 1; rows < len(all); rows++ {
		var cols [][]key.Binding
		for i := 0; i < len(all); i += rows {
			cols = append(cols, all[i:min(i+rows, len(all))])
		}
		if lipgloss.Width(h.FullHelpView(cols)) <= width {
			return cols
		}
	}
	return [][]key.Binding{all}
}

// barActive reports whether the lesson's overlay bar takes the keys.
func (a *App) barActive() bool {
	return a.lesson != nil && a.lesson.bar != nil && a.lesson.bar.Active()
}

// helpView is the help line(s). The keys on offer rarely change between frames, and drawing
// them (a style and a width per key, twice: once to see whether : fits) was a tenth of a
// frame; the last drawing is kept with what it was drawn from: the window's width, the full
// help open or not, and the keys shown.
func (a *App) helpView() string {
	sig := a.helpSignature()
	if a.helpDrawn != "" && sig == a.helpSig {
		return a.helpDrawn
	}
	v := a.help.View(a.screenKeys())
	a.helpSig, a.helpDrawn = sig, v
	return v
}

// helpSignature is what the help's drawing depends on (screenKeys' inputs).
func (a *App) helpSignature() string {
	var km help.KeyMap
	switch {
	case a.cmdbar != nil && a.cmdbar.open:
		km = a.cmdbar
	case a.lesson != nil:
		km = withGlobal{screen: a.lesson.helpKeys(), app: a.keys}
	default:
		km = withGlobal{screen: a.menu.helpKeys(), app: a.keys}
	}
	var b strings.Builder
	b.WriteString(strconv.Itoa(a.width) + " " + strconv.Itoa(a.help.Width) + " " + strconv.FormatBool(a.help.ShowAll) + "\x00")
	add := func(ks []key.Binding) {
		for _, k := range ks {
			if k.Enabled() {
				h := k.Help()
				b.WriteString(h.Key + "\x01" + h.Desc + "\x02")
			}
		}
		b.WriteByte(0)
	}
	add(km.ShortHelp())
	if a.help.ShowAll {
		for _, g := range km.FullHelp() {
			add(g)
		}
	}
	return b.String()
}

// resize gives the screens the window minus the help lines; without force it does so only
// when the help's height changed.
func (a *App) resize(force bool) {
	if a.width <= 0 || a.height <= 0 {
		return // no WindowSizeMsg yet: nothing to size
	}
	h := lipgloss.Height(a.helpView())
	if !force && h == a.helpH {
		return
	}
	a.helpH = h
	screenH := max(0, a.height-h)
	a.menu.setSize(a.width, screenH)
	if a.lesson != nil {
		a.lesson.setSize(a.width, screenH)
	}
}

// View implements tea.Model. The frame is always exactly the window's size, so Bubble Tea
// never scrolls the top off.
func (a *App) View() string {
	if a.width <= 0 || a.height <= 0 {
		return ""
	}
	var screen string
	if a.lesson != nil {
		screen = a.lesson.View()
	} else {
		screen = a.menu.View()
	}
	hv := a.helpView()
	screenH := max(0, a.height-lipgloss.Height(hv))
	if screenH == 0 {
		return termsafe.String(fit(hv, a.width, a.height))
	}
	screen = a.cmdbar.overlay(fit(screen, a.width, screenH), a.width, screenH)
	// Whatever slipped past the entry points, only SGR reaches the terminal.
	return termsafe.String(fit(fit(screen, a.width, screenH)+"\n"+hv, a.width, a.height))
}
