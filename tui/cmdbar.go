package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/engine/termsafe"
	"github.com/kubetutor/kubetutor/manifests"
)

// The command bar: ':' opens a kubectl prompt at the bottom of any screen. Commands run
// in-process against the session, off the UI goroutine and cancellable; their output
// streams into a pane above the prompt (so `get -w` keeps updating until Esc or ctrl+c).
// Commands that need a terminal (exec -it, attach, run -it, edit) get the real one through
// tea.Exec and give it back when they end.

// completionSource is what *engine.Session offers for Tab completion from live state, where
// kubectl's own completion (Completer) has nothing to say.
type completionSource interface {
	ResourceNames(ctx context.Context) ([]string, error)
	ObjectNames(ctx context.Context, resource, ns string) ([]string, error)
}

// maxCmdBarLines bounds the output pane's memory; older lines scroll away for good.
const maxCmdBarLines = 2000

type cmdBarOutputMsg struct {
	id int
	s  string
}

type cmdBarDoneMsg struct {
	id  int
	err error
}

type cmdBarCompleteMsg struct {
	input string // the input the candidates were computed for
	word  string // the word being completed
	cands []string
}

type cmdBarTermDoneMsg struct {
	line string
	err  error
}

// cmdBarEditMsg is kubectl edit, on the run's goroutine, asking the built-in editor to open
// text; the saved text goes back on reply.
type cmdBarEditMsg struct {
	id    int
	text  string
	reply chan<- string
}

type cmdBar struct {
	ctx     context.Context
	cluster Cluster
	st      *Styles
	ko      bool

	open  bool
	input textinput.Model

	history []string
	histPos int // len(history) while editing a fresh line
	draft   string

	lines   []string // finished output lines
	partial string   // output after the last newline
	scroll  int      // lines scrolled up from the bottom

	runID   int
	running bool
	runLine string
	cancel  context.CancelFunc
	ch      chan tea.Msg

	cands []string // completion candidates on show
	// ask is the open y/N question (a command that needs the learner's own credentials);
	// the next key answers it.
	ask *question
	// quitArmed: ctrl+c was pressed on an empty line; a second one quits.
	quitArmed bool

	km            CmdBarKeyMap
	width, height int

	// builtinEdit runs kubectl edit with the built-in editor (a classroom: never a program
	// of the host); edit and editReply are the open editor and where its text goes.
	builtinEdit bool
	edit        *Editor
	editReply   chan<- string
	// handoff lends the terminal to a command that needs it (Options.Handoff); nil: Bubble
	// Tea's renderer does.
	handoff TerminalHandoff
	// noTerminal: terminal commands are refused (Options.NoTerminal).
	noTerminal bool
}

func newCmdBar(ctx context.Context, c Cluster, st *Styles, lang string) *cmdBar {
	in := textinput.New()
	in.Prompt = ": "
	in.Placeholder = "kubectl …"
	in.CharLimit = 1000
	ko := strings.HasPrefix(strings.ToLower(lang), "ko")
	return &cmdBar{ctx: ctx, cluster: c, st: st, input: in, ko: ko, km: DefaultCmdBarKeyMap(textFor(langCode(lang)))}
}

// setLang switches the bar's words to another language.
func (b *cmdBar) setLang(lang string) {
	b.ko = lang == "ko"
	b.km = DefaultCmdBarKeyMap(textFor(lang))
}

// withHandoff sets how the terminal is lent to a command (nil: by Bubble Tea alone).
func (b *cmdBar) withHandoff(h TerminalHandoff) *cmdBar {
	b.handoff = h
	return b
}

// withoutTerminal sets whether commands that need the terminal are refused.
func (b *cmdBar) withoutTerminal(on bool) *cmdBar {
	b.noTerminal = on
	return b
}

// withBuiltinEdit sets whether kubectl edit opens the built-in editor.
func (b *cmdBar) withBuiltinEdit(on bool) *cmdBar {
	b.builtinEdit = on
	return b
}

func (b *cmdBar) say(en, ko string) string {
	if b.ko {
		return ko
	}
	return en
}

// succeeded is the command line that msg reports as finished without error (a run of the
// bar's own, or one lent the terminal), "" for any other message.
func (b *cmdBar) succeeded(msg tea.Msg) string {
	if b == nil || b.cluster == nil {
		return ""
	}
	switch m := msg.(type) {
	case cmdBarDoneMsg:
		if m.id == b.runID && b.running && m.err == nil {
			return b.runLine
		}
	case cmdBarTermDoneMsg:
		if m.err == nil {
			return m.line
		}
	}
	return ""
}

// handle is the App's hook: it reports whether the bar took msg, and what to do next.
func (b *cmdBar) handle(msg tea.Msg) (tea.Cmd, bool) {
	if b == nil || b.cluster == nil {
		return nil, false
	}
	if o := b.activeOverlay(); o != nil {
		switch msg.(type) {
		case tea.KeyMsg, tea.MouseMsg:
			return o.Update(msg), true
		}
	}
	switch msg := msg.(type) {
	case cmdBarOutputMsg:
		if msg.id != b.runID {
			return nil, true
		}
		b.appendOutput(msg.s)
		return b.listen(), true
	case cmdBarEditMsg:
		if msg.id != b.runID {
			return nil, true
		}
		b.edit = NewEditor("kubectl "+strings.TrimPrefix(b.runLine, "kubectl "), msg.text, b.st, b.ko)
		b.editReply = msg.reply
		return tea.Batch(b.edit.Init(), b.listen()), true
	case editorDoneMsg:
		b.closeEditor(msg.text)
		return nil, true
	case cmdBarDoneMsg:
		if msg.id != b.runID {
			return nil, true
		}
		line := b.runLine
		b.finish(msg.err)
		if _, lr, ok := ownCredsOffer(b.cluster, msg.err); ok {
			b.offerOwnCreds(line, lr)
		}
		return nil, true
	case cmdBarCompleteMsg:
		b.applyCompletion(msg)
		return nil, true
	case cmdBarTermDoneMsg:
		b.appendOutput(b.termNote(msg))
		b.open = true
		return tea.Batch(b.input.Focus(), redrawAll), true
	case tea.KeyMsg:
		if !b.open {
			if key.Matches(msg, b.keys().Open) {
				b.open = true
				b.cands = nil
				return b.input.Focus(), true
			}
			if msg.Paste && len(msg.Runes) > 1 && key.Matches(firstKey(msg), b.keys().Open) {
				// ":kubectl get pods" typed in one burst: open the bar with the rest.
				b.open = true
				b.cands = nil
				msg.Runes = msg.Runes[1:]
				focus := b.input.Focus()
				var cmd tea.Cmd
				b.input, cmd = b.input.Update(msg)
				return tea.Batch(focus, cmd), true
			}
			return nil, false
		}
		return b.key(msg)
	case tea.MouseMsg:
		if b.open && msg.Action == tea.MouseActionPress {
			switch msg.Button {
			case tea.MouseButtonWheelUp:
				b.scrollBy(3)
				return nil, true
			case tea.MouseButtonWheelDown:
				b.scrollBy(-3)
				return nil, true
			}
		}
	}
	return nil, false
}

// firstKey is the first rune of typed text as a key press of its own.
func firstKey(msg tea.KeyMsg) tea.KeyMsg {
	if len(msg.Runes) == 0 {
		return msg
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: msg.Runes[:1]}
}

// offerOwnCreds asks whether to run line, which the guard refused for the lesson's
// ServiceAccount (cordon, drain), once with the learner's own credentials.
func (b *cmdBar) offerOwnCreds(line string, lr LearnerRunner) {
	t := textFor(b.say("en", "ko"))
	// The refusal's reason is the line above; the question gets a line of its own so that
	// [y/N] is never cut off.
	b.appendOutput(t.OwnCredsAsk + "\n")
	b.ask = &question{
		text: t.OwnCredsAsk,
		yes: func() tea.Cmd {
			b.lines, b.partial, b.scroll = append(b.lines, "$ "+line), "", 0
			b.trim()
			return b.startAs(line, lr.RunKubectlAsLearner)
		},
		no: func() tea.Cmd {
			b.appendOutput(fmt.Sprintf(t.OwnCredsSkipped, line) + "\n")
			return nil
		},
	}
}

func (b *cmdBar) key(msg tea.KeyMsg) (tea.Cmd, bool) {
	if q := b.ask; q != nil {
		b.ask = nil
		if key.Matches(msg, defaultConfirmKeyMap(textFor(b.say("en", "ko"))).Yes) {
			return q.yes(), true
		}
		return q.no(), true
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 0 && key.Matches(firstKey(msg), b.km.Open) && b.input.Value() == "" {
		// ':' is what opens the bar; typed again at the start of an empty line it means the
		// same, not text that kubectl would reject as an unknown command.
		msg.Runes = msg.Runes[1:]
		if len(msg.Runes) == 0 {
			return nil, true
		}
	}
	armed := b.quitArmed
	b.quitArmed = false
	k := b.keys()
	switch {
	case key.Matches(msg, k.Interrupt):
		switch {
		case b.running:
			b.stop()
		case b.input.Value() != "":
			// As shells do: ctrl+c drops the line being typed, nothing else.
			b.input.SetValue("")
			b.histPos, b.draft, b.cands = len(b.history), "", nil
		case armed:
			return nil, false // the second ctrl+c on an empty line: the App quits
		default:
			b.quitArmed = true
			b.appendOutput(b.say("(press ctrl+c again to quit kubetutor, esc to close the bar)\n",
				"(kubetutor를 끝내려면 ctrl+c를 한 번 더, 창을 닫으려면 esc를 누르세요)\n"))
		}
		return nil, true
	case key.Matches(msg, k.Stop):
		b.stop()
		return nil, true
	case key.Matches(msg, k.Close):
		b.open = false
		b.cands = nil
		b.input.Blur()
		// The next : starts a fresh line, as in vim or less; the line is in history if run.
		b.input.SetValue("")
		b.histPos, b.draft = len(b.history), ""
		return nil, true
	case key.Matches(msg, k.Run):
		return b.submit(), true
	case key.Matches(msg, k.HistoryBack):
		b.historyMove(-1)
		return nil, true
	case key.Matches(msg, k.HistoryOn):
		b.historyMove(1)
		return nil, true
	case key.Matches(msg, k.ScrollUp):
		b.scrollBy(5)
		return nil, true
	case key.Matches(msg, k.ScrollDown):
		b.scrollBy(-5)
		return nil, true
	case key.Matches(msg, k.Complete):
		return b.complete(), true
	}
	b.cands = nil
	var cmd tea.Cmd
	b.input, cmd = b.input.Update(msg)
	return cmd, true
}

// submit runs the typed line: in the pane, or with the terminal when it needs one.
func (b *cmdBar) submit() tea.Cmd {
	line := strings.TrimSpace(b.input.Value())
	b.cands = nil
	if line == "" {
		return nil
	}
	if len(b.history) == 0 || b.history[len(b.history)-1] != line {
		b.history = append(b.history, line)
	}
	b.histPos, b.draft = len(b.history), ""
	b.input.SetValue("")
	full := line
	if f := strings.Fields(line); len(f) > 0 && f[0] != "kubectl" {
		full = "kubectl " + line
	}
	b.stop()
	b.lines, b.partial, b.scroll = append(b.lines, "$ "+full), "", 0
	b.trim()
	// apply edit-last-applied has no terminal path (kubectl would start $EDITOR from a run
	// without the terminal), so it always gets the built-in editor.
	if engine.IsEditLine(full) && (b.builtinEdit || !engine.NeedsTerminal(full)) {
		return b.startEdit(full)
	}
	if engine.NeedsTerminal(full) {
		if b.noTerminal {
			b.appendOutput(b.say("A classroom session has no terminal to lend to exec/attach/run -it.\nRun one command without -i and -t, e.g.: kubectl exec web-0 -- hostname\n",
				"교실 세션에서는 exec/attach/run -it에 터미널을 빌려줄 수 없습니다.\n-i와 -t 없이 명령 하나를 실행하세요. 예: kubectl exec web-0 -- hostname\n"))
			return nil
		}
		tr, ok := b.cluster.(TerminalRunner)
		if !ok {
			b.appendOutput(b.say("This command needs a terminal, which this session cannot lend it; run it in your own terminal.\n",
				"이 명령은 터미널이 필요합니다. 자신의 터미널에서 실행하세요.\n"))
			return nil
		}
		b.open = false
		b.input.Blur()
		return tea.Exec(&kubectlTerminal{ctx: b.ctx, run: tr, line: full, handoff: b.handoff},
			func(err error) tea.Msg { return cmdBarTermDoneMsg{line: full, err: err} })
	}
	return b.start(full)
}

// start runs line on its own goroutine; output comes back as messages, one at a time, so a
// never-ending watch streams without holding the UI.
func (b *cmdBar) start(line string) tea.Cmd {
	return b.startAs(line, b.cluster.RunKubectl)
}

// startAs is start with the given runner (the session's, or the learner's own credentials).
func (b *cmdBar) startAs(line string, run func(context.Context, string, io.Reader, io.Writer, io.Writer) error) tea.Cmd {
	return b.startWith(line, func(ctx context.Context, _ chan<- tea.Msg, _ int, w io.Writer) error {
		return run(ctx, line, nil, w, w)
	})
}

// startEdit runs an edit line with the built-in editor: kubectl's edit flow asks for it
// through the run's channel, as output comes, and waits for the saved text.
func (b *cmdBar) startEdit(line string) tea.Cmd {
	return b.startWith(line, func(ctx context.Context, ch chan<- tea.Msg, id int, w io.Writer) error {
		ed := func(ctx context.Context, text []byte, _ string) ([]byte, error) {
			reply := make(chan string, 1)
			select {
			case ch <- cmdBarEditMsg{id: id, text: string(text), reply: reply}:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			select {
			case t := <-reply:
				return []byte(t), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return b.cluster.RunKubectl(engine.WithEditor(ctx, ed), line, nil, w, w)
	})
}

// activeOverlay is what takes the bar's keys while it is active: the built-in editor of a
// running edit; nil otherwise.
func (b *cmdBar) activeOverlay() Overlay {
	if b.edit.Active() {
		return b.edit
	}
	return nil
}

// closeEditor hands the editor's text to the waiting edit and closes it.
func (b *cmdBar) closeEditor(text string) {
	if b.editReply != nil {
		b.editReply <- text // buffered for its one answer
	}
	b.edit, b.editReply = nil, nil
}

// startWith runs body on its own goroutine with the run's context, channel, id and writer.
func (b *cmdBar) startWith(line string, body func(ctx context.Context, ch chan<- tea.Msg, id int, w io.Writer) error) tea.Cmd {
	b.runID++
	id := b.runID
	ctx, cancel := context.WithCancel(b.ctx)
	ch := make(chan tea.Msg, 64)
	b.running, b.runLine, b.cancel, b.ch = true, line, cancel, ch
	w := termsafe.NewWriter(&chanWriter{ctx: ctx, ch: ch, id: id}, true) // no escapes from the cluster
	go func() {
		defer close(ch)
		err := body(ctx, ch, id, w)
		select {
		case ch <- cmdBarDoneMsg{id: id, err: err}:
		case <-ctx.Done():
		}
	}()
	return b.listen()
}

func (b *cmdBar) listen() tea.Cmd {
	ch := b.ch
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		m, ok := <-ch
		if !ok {
			return nil
		}
		return m
	}
}

// stop cancels the running command; what it printed stays.
func (b *cmdBar) stop() {
	if !b.running {
		return
	}
	b.cancel()
	// The edit's context ended: it no longer waits for the editor.
	b.edit, b.editReply = nil, nil
	b.runID++ // whatever the old run still sends is stale
	b.running, b.ch = false, nil
	b.flushPartial()
	b.lines = append(b.lines, b.say("(stopped)", "(중지됨)"))
	b.trim()
}

func (b *cmdBar) finish(err error) {
	b.running, b.ch = false, nil
	b.edit, b.editReply = nil, nil
	b.cancel()
	b.flushPartial()
	var ke *engine.KubectlError
	switch {
	case err == nil:
	case errors.As(err, &ke):
		b.lines = append(b.lines, fmt.Sprintf(b.say("(exit status %d)", "(종료 코드 %d)"), ke.Code))
	case errors.Is(err, context.Canceled):
	default:
		b.lines = append(b.lines, "error: "+err.Error())
	}
	b.trim()
}

func (b *cmdBar) termNote(m cmdBarTermDoneMsg) string {
	var ke *engine.KubectlError
	switch {
	case m.err == nil:
		return b.say("(back from the terminal)\n", "(터미널에서 돌아옴)\n")
	case errors.As(m.err, &ke):
		return fmt.Sprintf(b.say("(exit status %d)\n", "(종료 코드 %d)\n"), ke.Code)
	default:
		return "error: " + m.err.Error() + "\n"
	}
}

func (b *cmdBar) appendOutput(s string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	parts := strings.Split(b.partial+s, "\n")
	b.partial = parts[len(parts)-1]
	for _, l := range parts[:len(parts)-1] {
		b.lines = append(b.lines, strings.ReplaceAll(l, "\t", "    "))
		if b.scroll > 0 {
			b.scroll++ // keep what the learner scrolled to in place
		}
	}
	b.trim()
}

func (b *cmdBar) flushPartial() {
	if b.partial != "" {
		b.lines = append(b.lines, b.partial)
		b.partial = ""
	}
}

func (b *cmdBar) trim() {
	if over := len(b.lines) - maxCmdBarLines; over > 0 {
		b.lines = append([]string(nil), b.lines[over:]...)
	}
}

func (b *cmdBar) scrollBy(n int) {
	b.scroll = max(0, min(b.scroll+n, len(b.lines)))
}

func (b *cmdBar) historyMove(d int) {
	if len(b.history) == 0 {
		return
	}
	if b.histPos == len(b.history) {
		b.draft = b.input.Value()
	}
	b.histPos = max(0, min(b.histPos+d, len(b.history)))
	if b.histPos == len(b.history) {
		b.input.SetValue(b.draft)
	} else {
		b.input.SetValue(b.history[b.histPos])
	}
	b.input.CursorEnd()
	b.cands = nil
}

// --- completion ----------------------------------------------------------------------------

// kubectlVerbs are the subcommands offered first, the tutorial's most used ones.
var kubectlVerbs = []string{"annotate", "api-resources", "apply", "attach", "cluster-info", "cp", "create",
	"delete", "describe", "diff", "edit", "events", "exec", "explain", "expose", "get", "label", "logs",
	"patch", "port-forward", "replace", "rollout", "run", "scale", "set", "top", "version", "wait"}

var rolloutVerbs = []string{"history", "pause", "restart", "resume", "status", "undo"}

// podVerbs take a pod name first.
var podVerbs = map[string]bool{"exec": true, "logs": true, "attach": true, "port-forward": true, "cp": true}

// kindVerbs take a resource type, then names.
var kindVerbs = map[string]bool{"get": true, "describe": true, "delete": true, "edit": true, "label": true,
	"annotate": true, "patch": true, "scale": true, "wait": true, "explain": true, "events": false}

// complete works out what the last word can become, asking the cluster off the UI goroutine.
func (b *cmdBar) complete() tea.Cmd {
	input := b.input.Value()
	words := strings.Fields(input)
	word := ""
	if len(words) > 0 && !strings.HasSuffix(input, " ") {
		word, words = words[len(words)-1], words[:len(words)-1]
	}
	if len(words) > 0 && words[0] == "kubectl" {
		words = words[1:]
	}
	ctx, src := b.ctx, b.cluster
	return func() tea.Msg {
		// kubectl's own completion first (kinds, names, flags and their values, as a shell
		// completes them); the bar's own list where it has nothing (manifests after -f).
		if c, ok := src.(Completer); ok {
			line := input
			if f := strings.Fields(line); len(f) == 0 || f[0] != "kubectl" {
				line = "kubectl " + line
			}
			if cands, err := c.Complete(ctx, line); err == nil && len(cands) > 0 {
				return cmdBarCompleteMsg{input: input, word: word, cands: cands}
			}
		}
		return cmdBarCompleteMsg{input: input, word: word, cands: candidates(ctx, src, words, word)}
	}
}

// candidates lists the completions of word after the (kubectl-less) words before it.
func candidates(ctx context.Context, c Cluster, before []string, word string) []string {
	src, _ := c.(completionSource)
	var positional []string
	ns := ""
	for i := 0; i < len(before); i++ {
		w := before[i]
		switch {
		case w == "-n" || w == "--namespace":
			if i+1 < len(before) {
				ns = before[i+1]
			}
			i++
		case strings.HasPrefix(w, "--namespace="):
			ns = strings.TrimPrefix(w, "--namespace=")
		case (w == "-f" || w == "--filename" || w == "-c" || w == "--container" || w == "-l" || w == "--selector" || w == "-o" || w == "--output") && i+1 < len(before):
			i++
		case strings.HasPrefix(w, "-"):
		default:
			positional = append(positional, w)
		}
	}
	prev := ""
	if len(before) > 0 {
		prev = before[len(before)-1]
	}
	var pool []string
	names := func(resource string) []string {
		if src == nil {
			return nil
		}
		n, err := src.ObjectNames(ctx, resource, ns)
		if err != nil {
			return nil
		}
		return n
	}
	switch {
	case prev == "-f" || prev == "--filename":
		pool = manifests.Names()
	case prev == "-n" || prev == "--namespace":
		pool = names("namespaces")
	case strings.HasPrefix(word, "-"):
		return nil
	case len(positional) == 0:
		pool = kubectlVerbs
	default:
		verb, args := positional[0], positional[1:]
		if verb == "rollout" {
			if len(args) == 0 {
				pool = rolloutVerbs
				break
			}
			args = args[1:]
			verb = "get" // then a kind and names, like get
		}
		switch {
		case podVerbs[verb] && len(args) == 0:
			pool = names("pods")
		case kindVerbs[verb] || verb == "get":
			if i := strings.Index(word, "/"); i > 0 {
				kind := word[:i]
				for _, n := range names(kind) {
					pool = append(pool, kind+"/"+n)
				}
			} else if len(args) == 0 {
				if src != nil {
					pool, _ = src.ResourceNames(ctx)
				}
			} else if !strings.Contains(args[0], "/") {
				pool = names(strings.Split(args[0], ",")[0])
			}
		}
	}
	var out []string
	for _, p := range pool {
		if strings.HasPrefix(p, word) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

func (b *cmdBar) applyCompletion(m cmdBarCompleteMsg) {
	if !b.open || b.input.Value() != m.input {
		return // the learner typed on meanwhile
	}
	b.cands = nil
	switch len(m.cands) {
	case 0:
		return
	case 1:
		b.input.SetValue(strings.TrimSuffix(m.input, m.word) + m.cands[0] + " ")
	default:
		common := m.cands[0]
		for _, c := range m.cands[1:] {
			for !strings.HasPrefix(c, common) {
				common = common[:len(common)-1]
			}
		}
		b.input.SetValue(strings.TrimSuffix(m.input, m.word) + common)
		b.cands = m.cands
	}
	b.input.CursorEnd()
}

// --- view ----------------------------------------------------------------------------------

// overlay draws the bar over the bottom of screen (already h lines of w cells).
func (b *cmdBar) overlay(screen string, w, h int) string {
	if b == nil || !b.open || w <= 0 || h <= 0 {
		return screen
	}
	if b.edit.Active() {
		// The editor takes the whole screen while open.
		b.edit.SetSize(w, h)
		return b.edit.View(w)
	}
	b.SetSize(w, h)
	bar := strings.Split(b.View(), "\n")
	lines := strings.Split(fit(screen, w, h), "\n")
	lines = append(lines[:h-len(bar)], bar...)
	return strings.Join(lines, "\n")
}

// View implements Component: the open bar's lines (its output, candidates and prompt), at
// most the screen's height; "" while closed.
func (b *cmdBar) View() string {
	w, h := b.width, b.height
	if !b.open || w <= 0 || h <= 0 {
		return ""
	}
	var bar []string
	// The keys are on the help line below (cmdBarHelp, from CmdBarKeyMap).
	head := "kubectl"
	if b.running {
		head = b.say("running: ", "실행 중: ") + b.runLine
	}
	bar = append(bar, b.st.Header.Render(head))
	out := b.lines
	if b.partial != "" {
		out = append(out[:len(out):len(out)], b.partial)
	}
	out = wrapErrorLines(out, w)
	rows := 0
	if len(out) > 0 {
		rows = min(len(out), max(3, h/2-2))
	}
	extra := 0
	if len(b.cands) > 0 {
		extra = 1
	}
	rows = max(0, min(rows, h-2-extra))
	end := max(0, len(out)-min(b.scroll, max(0, len(out)-rows)))
	start := max(0, end-rows)
	for _, l := range out[start:end] {
		if strings.HasPrefix(l, "$ ") {
			l = b.st.CmdRun.Render(l)
		}
		bar = append(bar, l)
	}
	if extra > 0 {
		bar = append(bar, b.st.Dim.Render(strings.Join(b.cands, "  ")))
	}
	b.input.Width = max(1, w-4)
	bar = append(bar, b.input.View())
	if len(bar) > h {
		bar = bar[len(bar)-h:]
	}
	return fit(strings.Join(bar, "\n"), w, len(bar))
}

// --- plumbing ------------------------------------------------------------------------------

// chanWriter turns a run's output into messages; once the run is cancelled it drops them,
// so a run nobody listens to any more never blocks.
type chanWriter struct {
	ctx context.Context
	ch  chan<- tea.Msg
	id  int
}

func (w *chanWriter) Write(p []byte) (int, error) {
	select {
	case w.ch <- cmdBarOutputMsg{id: w.id, s: string(p)}:
	case <-w.ctx.Done():
	}
	return len(p), nil
}

// kubectlTerminal is the tea.ExecCommand of a command that needs the terminal: it runs the
// in-process kubectl with the terminal Bubble Tea has just released.
type kubectlTerminal struct {
	ctx  context.Context
	run  TerminalRunner
	line string
	in   io.Reader
	out  io.Writer
	// handoff gives the terminal its normal modes for the command and takes them back after.
	handoff TerminalHandoff
}

func (k *kubectlTerminal) SetStdin(r io.Reader)  { k.in = r }
func (k *kubectlTerminal) SetStdout(w io.Writer) { k.out = w }

// SetStderr is ignored: Bubble Tea offers os.Stderr, which the player points at its log
// file; kubectl's messages belong on the terminal, beside its output.
func (k *kubectlTerminal) SetStderr(io.Writer) {}

func (k *kubectlTerminal) Run() error {
	out := k.out
	if out == nil {
		out = io.Discard
	}
	if k.handoff != nil {
		if err := k.handoff.Release(); err != nil {
			return err
		}
		defer func() { _ = k.handoff.Restore() }()
	}
	fmt.Fprintf(out, "$ %s\n", k.line)
	in, done := ownTerminal(k.in)
	defer done()
	return k.run.RunKubectlTerminal(k.ctx, k.line, in, out, out)
}

// wrapErrorLines wraps kubectl's error messages, which are prose, to w cells so that the end
// of the message is not cut off; tables keep their shape (one line per row).
func wrapErrorLines(lines []string, w int) []string {
	var out []string
	for i, l := range lines {
		low := strings.ToLower(l)
		if w < 10 || ansi.StringWidth(l) <= w || !(strings.HasPrefix(low, "error") || strings.HasPrefix(low, "warning")) {
			if out != nil {
				out = append(out, l)
			}
			continue
		}
		if out == nil {
			out = append([]string(nil), lines[:i]...)
		}
		out = append(out, strings.Split(ansi.Wrap(l, w, " "), "\n")...)
	}
	if out == nil {
		return lines
	}
	return out
}
