package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/lessonstate"
)

// checkInterval is the lesson's tick: it moves the AGE column (which counts in seconds) and
// re-evaluates a step's checks, so a step completes even when the learner acts from their own
// terminal. On a cluster that tells its revision (the simulator) the checks that read only
// cluster objects are re-read only when the revision moved, so an idle lesson costs one
// cheap wakeup a second.
const checkInterval = time.Second

// evalTimeout bounds one evaluation of a step's checks.
const evalTimeout = 10 * time.Second

// wideWidth is the width from which the watch pane sits beside the step instead of below it.
const wideWidth = 100

type focusID int

const (
	focusStep focusID = iota
	focusWatch
	focusOutput
	focusCount
)

// lessonView plays one lesson. It owns every async job it starts (watch, commands, check
// ticks) through ctx, which close cancels.
type lessonView struct {
	st *Styles
	t  text
	// status is the status line as last made and what it was made of (see statusView).
	status struct {
		key  statusKey
		line string
	}
	keys LessonKeyMap
	lk   LearnKeyMap
	deps lessonDeps

	cluster  Cluster
	evaluate Evaluator
	lesson   lessons.Lesson
	label    string
	ns       string
	speed    string // "" on a real cluster
	// kubeconfig is where K writes a kubeconfig for the learner's own kubectl; "" disables K.
	kubeconfig string

	gen    int64
	ctx    context.Context
	cancel context.CancelFunc

	// play is the lesson's state machine (lessonstate): step, commands run on this cluster
	// incarnation, checks, help, quiz answers. The view only draws it and runs its jobs.
	play *lessonstate.Play

	running    bool
	solving    bool // s: run the step's remaining commands one after another
	replaying  bool // reaching a step's starting state: every other job waits
	runCancel  context.CancelFunc
	evaluating bool
	evalAgain  bool
	// lastTickEval is the cluster state the tick last evaluated the checks on (see
	// tickEval); a tick that finds the same one skips the evaluation.
	lastTickEval evalMark

	// predictP is the step's prediction prompt and its answers (predict_view.go).
	predictP *predictPane
	// quiz is non-nil while the end-of-lesson quiz replaces the step pane.
	quiz *quizPane
	// demo is non-nil when the lesson plays by itself; demoRuns counts the commands it had
	// run (demoState.sync).
	demo     *demoState
	demoRuns int
	// bar is the optional overlay (the command bar) above the status line.
	bar Overlay
	// sim is the simulator's time control, nil on a real cluster.
	sim engine.SimControl

	// ask is the open yes/no question above the status line (askPane); flash is a one-off
	// note there ("one controller action ran"), gone at the next key.
	ask   *askPane
	flash string
	// touched: a command ran on this lesson's cluster (lesson or command bar), so leaving
	// it loses something.
	touched bool
	// statusH is the status line's height at the last layout; a change relays the panes.
	statusH int
	// stepNote: . ran an action; the next watch batch says what it changed.
	stepNote bool

	focus  focusID
	stepP  *stepPane
	watchP *watchPane
	outP   *outputPane
	rects  [focusCount]rect

	width, height int
}

func newLessonView(d lessonDeps, l lessons.Lesson) *lessonView {
	ctx, cancel := context.WithCancel(d.ctx)
	st, t, c := d.st, d.t, d.cluster
	v := &lessonView{
		st: st, t: t, keys: DefaultLessonKeyMap(t), lk: DefaultLearnKeyMap(t), deps: d,
		cluster: c, evaluate: d.eval, lesson: lessonstate.Normalize(l),
		gen: nextGen(), ctx: ctx, cancel: cancel,
		stepP: newStepPane(st, t, d.md), watchP: newWatchPane(st, t), outP: newOutputPane(st, t),
		predictP: newPredictPane(t),
	}
	v.watchP.lister = d.list
	v.watchP.onSelect = v.onWatchSelect
	v.watchP.objects = d.objects
	v.stepP.present = d.present
	if c != nil {
		v.label, v.ns = c.Label(), c.Namespace()
		v.sim = c.Sim()
	}
	v.updateSpeed()
	v.play = lessonstate.New(v.lesson)
	watchStepStarts(v.play, v.lesson, c)
	v.loadProgress()
	if d.demo {
		tick := d.demoTick
		if tick == nil {
			tick = defaultDemoTick
		}
		v.demo = &demoState{tick: tick, keys: defaultDemoKeyMap(t), t: t, gen: v.gen}
	}
	return v
}

// normalizeLesson fills Cmds from Commands for lessons built without the catalog loader.
func normalizeLesson(l lessons.Lesson) lessons.Lesson { return lessonstate.Normalize(l) }

// curStep is the index of the step shown.
func (v *lessonView) curStep() int { return v.play.Step() }

// Init opens the step the learner left off at (after reaching its starting state) and
// starts the check tick loop.
func (v *lessonView) Init() tea.Cmd {
	if v.demo != nil {
		v.syncDemo()
		return tea.Batch(v.resume(), v.tick(), v.demo.Init())
	}
	return tea.Batch(v.resume(), v.tick())
}

// close cancels every job the view started. Safe to call twice.
func (v *lessonView) close() {
	v.watchP.stop()
	v.cancel()
}

func (v *lessonView) tick() tea.Cmd {
	gen := v.gen
	if v.deps.checkTick != nil {
		return v.deps.checkTick(gen)
	}
	return tea.Tick(checkInterval, func(t time.Time) tea.Msg { return tickMsg{gen: gen, time: t} })
}

func (v *lessonView) cur() lessons.Step { return v.play.Cur() }

// goStep shows step i, moves the watch if the step watches something else, and evaluates.
func (v *lessonView) goStep(i int) tea.Cmd {
	if len(v.lesson.Steps) == 0 {
		return nil
	}
	from := v.curStep()
	var record tea.Cmd
	if v.play.Go(i) {
		// Nothing to verify: reading the step is doing it.
		record = v.recordStepState(v.curStep())
	}
	s := v.cur()
	if v.curStep() > from && !v.running {
		// Each step starts from the state the earlier ones leave; say so before a skipped
		// step's commands fail with a bare NotFound.
		if undone := v.undoneBefore(v.curStep()); len(undone) > 0 {
			v.outP.setStep(v.curStep())
			v.outP.prose(v.t.EarlierSteps, fmt.Sprintf(v.t.EarlierStepsNote, strings.Join(undone, ", ")))
		}
	}
	v.syncStep()
	v.stepP.view.GotoTop()
	return tea.Batch(v.watchP.start(v.ctx, v.cluster, s.Watch), v.evalNow(), record, v.recordStep(), v.simulateStep())
}

// syncStep copies the current step's state into the step pane and the key map.
func (v *lessonView) syncStep() {
	s := v.cur()
	stt := v.play.State(v.curStep())
	p := v.stepP
	p.title = fmt.Sprintf(v.t.StepTitle, v.curStep()+1, len(v.lesson.Steps), s.Title)
	p.done = stt.Done
	p.body = s.Markdown() // goal, text, what to watch for
	if md, before := v.predictMarkdown(); md != "" {
		if before {
			p.body = md + "\n\n" + p.body
		} else {
			p.body += "\n\n" + md
		}
	}
	p.hints = s.Hints
	p.shown = stt.Hints
	p.solution, p.solutionText = nil, ""
	if stt.Solution {
		p.solution = append([]string{}, s.RunnableCommands()...)
		p.solutionText = strings.TrimSpace(s.Solution)
	}
	p.cmds = s.Cmds
	p.ran = stt.Ran
	p.next = v.nextCmd()
	p.solutionIntro = v.play.SolutionIntro()
	if v.play.Practice() {
		// The commands hide behind the practice hints (lessonstate.Reveal); the authored
		// hints often spell the command out, so they wait until it is revealed whole.
		if len(s.RunnableCommands()) > 0 {
			p.body += "\n\n*" + v.t.PracticeNote + "*"
		}
		if stt.Hints < lessonstate.PracticeLevels {
			p.hints, p.shown = nil, 0
		} else {
			p.shown = len(s.Hints)
		}
		p.cmds = make([]lessons.Command, len(s.Cmds))
		for i, c := range s.Cmds {
			if !c.NoRun && (i >= len(stt.Ran) || !stt.Ran[i]) {
				c.Line = lessonstate.Reveal(c.Line, stt.Hints)
			}
			p.cmds[i] = c
		}
	}
	p.running = v.running
	p.refresh()
	v.outP.setStep(v.curStep())
	switch {
	case v.demo != nil:
		v.outP.setIdle(v.t.DemoIdle) // the demo goes on by itself: no "press n"
	case v.predictPending():
		v.outP.setIdle(fmt.Sprintf(predictTextFor(v.lesson.Lang).Key, len(s.Predict.Choices)))
	case p.next >= 0 && v.play.Practice():
		v.outP.setIdle(v.t.PracticeIdle)
	case p.next >= 0:
		v.outP.setIdle("")
	case len(s.RunnableCommands()) > 0:
		v.outP.setIdle(v.t.AllRan)
	default:
		v.outP.setIdle(v.t.NothingToRun)
	}
	v.updateKeys()
}

// nextCmd is the first runnable command of the step not yet run successfully.
func (v *lessonView) nextCmd() int { return v.play.NextCmd() }

// updateKeys enables exactly the bindings that do something now. The panes work out their
// own keys from what they show (Component); these are the lesson view's.
func (v *lessonView) updateKeys() {
	n := len(v.lesson.Steps)
	idle := !v.running && !v.replaying
	// The demo plays the steps itself: only its own keys, looking around and leaving work.
	flow := v.demo == nil
	// In practice mode the learner types the commands: Enter runs nothing.
	v.keys.Run.SetEnabled(flow && idle && v.cluster != nil && n > 0 && v.nextCmd() >= 0 && !v.play.Practice() &&
		!v.predictPending())
	v.keys.Stop.SetEnabled(flow && v.running)
	v.keys.Next.SetEnabled(flow && (v.curStep() < n-1 || (n > 0 && len(v.lesson.Quiz) > 0)))
	v.keys.Prev.SetEnabled(flow && v.curStep() > 0)
	v.keys.Hint.SetEnabled(flow && n > 0 && v.hintsLeft())
	v.keys.Kubeconfig.SetEnabled(v.kubeconfig != "" && v.cluster != nil)
	v.updateLearnKeys()
}

// writeKubeconfig writes the kubeconfig in a Cmd (file I/O) and reports as kubeconfigMsg.
func (v *lessonView) writeKubeconfig() tea.Cmd {
	if v.kubeconfig == "" || v.cluster == nil {
		return nil
	}
	c, gen, path := v.cluster, v.gen, v.kubeconfig
	return func() tea.Msg {
		return kubeconfigMsg{gen: gen, path: path, err: c.WriteKubeconfig(path)}
	}
}

// evalNow starts one evaluation of the current step's checks unless one is in flight, in
// which case another runs when it returns.
func (v *lessonView) evalNow() tea.Cmd {
	s := v.cur()
	if v.evaluate == nil || len(s.Checks) == 0 {
		return nil
	}
	if v.evaluating {
		v.evalAgain = true
		return nil
	}
	v.evaluating = true
	ctx, gen, step, eval, inc := v.ctx, v.gen, v.curStep(), v.evaluate, v.play.Incarnation()
	return func() tea.Msg {
		ectx, cancel := context.WithTimeout(ctx, evalTimeout)
		defer cancel()
		res := eval(ectx, s)
		if ctx.Err() != nil {
			return nil
		}
		return checksMsg{gen: gen, step: step, inc: inc, results: res}
	}
}

// evalMark is a cluster state a step's checks were evaluated on.
type evalMark struct {
	ok   bool
	rev  uint64
	inc  int
	step int
}

// tickEval is the tick's evaluation: skipped when the cluster's revision has not moved since
// the last one and every check of the step reads only cluster objects (an exec check reads a
// container, an output check the learner's commands, an observed check a background watch
// that may lag the revision).
func (v *lessonView) tickEval() tea.Cmd {
	r, ok := v.cluster.(Revisioner)
	if !ok || !objectChecksOnly(v.cur()) {
		return v.evalNow()
	}
	rev, known := r.Revision()
	if !known {
		return v.evalNow()
	}
	m := evalMark{ok: true, rev: rev, inc: v.play.Incarnation(), step: v.curStep()}
	if m == v.lastTickEval {
		return nil
	}
	v.lastTickEval = m
	return v.evalNow()
}

func objectChecksOnly(s lessons.Step) bool {
	for _, c := range s.Checks {
		if c.Exec != nil || c.Output != nil || c.Observed != nil {
			return false
		}
	}
	return true
}

// runNext runs the highlighted command in a Cmd; its output comes back as cmdDoneMsg.
func (v *lessonView) runNext() tea.Cmd {
	return v.runCmd(v.nextCmd(), nil)
}

// runCmd runs the current step's command idx: through the session, or with the learner's
// own credentials when lr is set (the learner said y to it, lesson_ask.go).
func (v *lessonView) runCmd(idx int, lr LearnerRunner) tea.Cmd {
	if idx < 0 || idx >= len(v.cur().Cmds) || v.running || v.replaying || v.cluster == nil {
		return nil
	}
	line := v.cur().Cmds[idx].Line
	ctx, cancel := context.WithCancel(v.ctx)
	v.running, v.runCancel, v.touched = true, cancel, true
	v.syncStep()
	out := v.outP.start(line)
	c, gen, step, inc := v.cluster, v.gen, v.curStep(), v.play.Incarnation()
	run := c.RunKubectl
	if lr != nil {
		run = lr.RunKubectlAsLearner
	}
	return func() tea.Msg {
		defer cancel()
		var buf syncBuffer
		err := run(ctx, line, nil, &buf, &buf)
		return cmdDoneMsg{gen: gen, step: step, inc: inc, cmd: idx, out: out, line: line, output: buf.String(), err: err}
	}
}

// syncBuffer lets stdout and stderr share one buffer so the output keeps kubectl's order.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (v *lessonView) errText(err error) string {
	var ke *engine.KubectlError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ke):
		return fmt.Sprintf(v.t.ExitStatus, ke.Code)
	case errors.Is(err, context.Canceled):
		return v.t.Stopped
	}
	return err.Error()
}

// Update handles the view's keys and the results of its own jobs; results of another visit
// (an older gen) are dropped. The status line may grow (a question, a long verdict): the
// panes then make room.
func (v *lessonView) Update(msg tea.Msg) tea.Cmd {
	cmd := v.update(msg)
	if _, ok := msg.(cmdDoneMsg); ok {
		// The step's last command ran: reveal its prediction.
		cmd = tea.Batch(cmd, v.revealPrediction())
	}
	if v.width > 0 && v.height > 0 && lipgloss.Height(v.statusView()) != v.statusH {
		v.setSize(v.width, v.height)
	}
	return cmd
}

func (v *lessonView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.handleKey(msg)
	case tea.MouseMsg:
		v.handleMouse(msg)
	case tickMsg:
		if msg.gen != v.gen {
			return nil
		}
		_, poll := v.watchP.Update(msg)
		return tea.Batch(v.tickEval(), v.tick(), poll)
	case checksMsg:
		if msg.gen != v.gen {
			return nil
		}
		v.evaluating = false
		var save tea.Cmd
		// Results from a cluster that a reset replaced say nothing about this one.
		if msg.inc == v.play.Incarnation() && v.play.SetResults(msg.step, msg.results) {
			save = v.recordStepState(msg.step)
		}
		v.syncStep()
		if save != nil {
			if v.evalAgain {
				v.evalAgain = false
				return tea.Batch(save, v.evalNow())
			}
			return save
		}
		if v.evalAgain {
			v.evalAgain = false
			return v.evalNow()
		}
	case simulateMsg:
		return v.onSimulate(msg)
	case predictShownMsg:
		v.onPredictShown(msg)
	case cmdDoneMsg:
		if msg.gen != v.gen {
			return nil
		}
		v.running = false
		if v.runCancel != nil {
			v.runCancel()
			v.runCancel = nil
		}
		if msg.err == nil {
			v.play.CommandRan(msg.step, msg.cmd, msg.inc)
		}
		v.outP.Update(cmdOutputMsg{id: msg.out, output: msg.output, errText: v.errText(msg.err)})
		if cmd, asked := v.offerOwnCreds(msg); asked {
			return cmd
		}
		v.syncStep()
		if v.solving && msg.err == nil && msg.step == v.curStep() && v.nextCmd() >= 0 {
			return tea.Batch(v.evalNow(), v.runNext())
		}
		v.solving = false
		v.syncStep()
		return v.evalNow()
	case kubeconfigMsg:
		if msg.gen != v.gen {
			return nil
		}
		if msg.err != nil {
			v.outP.note(v.t.Kubeconfig, "", msg.err.Error())
		} else {
			v.outP.note(v.t.Kubeconfig, fmt.Sprintf(v.t.KubeconfigHow, engine.KubeconfigExport(msg.path)), "")
		}
	case watchStartedMsg, watchRetryMsg:
		_, cmd := v.watchP.Update(msg)
		return cmd
	case watchBatchMsg:
		if v.stepNote && msg.gen == v.watchP.gen {
			// After ., say what the action changed, as the watch saw it.
			v.stepNote = false
			if what := describeEvents(msg.events, v.watchP.statusIndex()); what != "" && v.flash != "" {
				v.flash += ": " + what
			}
		}
		_, cmd := v.watchP.Update(msg)
		v.updateKeys() // s, enter may depend on what the watch saw
		return cmd
	default:
		return v.updateLearn(msg)
	}
	return nil
}

func (v *lessonView) handleKey(msg tea.KeyMsg) tea.Cmd {
	if v.bar != nil && v.bar.Active() {
		return v.bar.Update(msg)
	}
	v.flash = ""
	for _, l := range v.layers() {
		if l.all || matchesAny(msg, l.keys...) {
			cmd := l.handle(msg)
			v.updateKeys()
			return cmd
		}
	}
	return nil
}

// handleMouse hands a press to the pane under the pointer, in the pane's own coordinates:
// the wheel scrolls it, a click on a stream row selects the row.
func (v *lessonView) handleMouse(msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	for f, r := range v.rects {
		if r.contains(msg.X, msg.Y) {
			local := msg
			local.X, local.Y = msg.X-r.x, msg.Y-r.y
			v.pane(focusID(f)).Update(local)
			v.updateKeys()
			return
		}
	}
}

func (v *lessonView) setFocus(f focusID) {
	v.focus = f
	v.stepP.focused = f == focusStep
	v.watchP.focused = f == focusWatch
	v.outP.focused = f == focusOutput
}

// pane is the component at a focus position: the step pane, or the quiz in its place.
func (v *lessonView) pane(f focusID) Component {
	switch f {
	case focusWatch:
		return v.watchP
	case focusOutput:
		return v.outP
	}
	if v.quiz != nil {
		return v.quiz
	}
	return v.stepP
}

// setSize lays the panes out in w×h cells, the status line included.
func (v *lessonView) setSize(w, h int) {
	v.width, v.height = w, h
	v.setFocus(v.focus)
	v.statusH = lipgloss.Height(v.statusView())
	bodyH := max(0, h-v.statusH-v.barHeight())
	if v.deps.present {
		v.presentLayout(w, bodyH)
		return
	}
	if w >= wideWidth {
		outH := clamp(bodyH/4, min(3, bodyH), 12)
		topH := bodyH - outH
		// The watch gets the larger share: text rewraps, kubectl tables do not.
		lw := w * 9 / 20
		rw := w - lw - 1
		v.rects[focusStep] = rect{0, 0, lw, topH}
		v.rects[focusWatch] = rect{lw + 1, 0, rw, topH}
		v.rects[focusOutput] = rect{0, topH, w, outH}
	} else {
		stepH := bodyH * 9 / 20
		rest := bodyH - stepH
		watchH := rest * 2 / 3
		v.rects[focusStep] = rect{0, 0, w, stepH}
		v.rects[focusWatch] = rect{0, stepH, w, watchH}
		v.rects[focusOutput] = rect{0, stepH + watchH, w, rest - watchH}
	}
	v.sizePanes()
}

// sizePanes gives each pane its rectangle.
func (v *lessonView) sizePanes() {
	v.stepP.SetSize(v.rects[focusStep].w, v.rects[focusStep].h)
	if v.quiz != nil {
		v.quiz.SetSize(v.rects[focusStep].w, v.rects[focusStep].h)
	}
	v.watchP.SetSize(v.rects[focusWatch].w, v.rects[focusWatch].h)
	v.outP.SetSize(v.rects[focusOutput].w, v.rects[focusOutput].h)
}

// undoneBefore lists (1-based) the steps before i whose checks have not held.
func (v *lessonView) undoneBefore(i int) []string {
	var out []string
	for _, j := range v.play.UndoneBefore(i) {
		out = append(out, strconv.Itoa(j+1))
	}
	return out
}

// checkState is the status line's verdict on the current step.
func (v *lessonView) checkState() (string, bool) {
	if len(v.lesson.Steps) == 0 {
		return "", false
	}
	stt := v.play.State(v.curStep())
	if stt.Done && stt.Checked {
		// Done stays done, but say when what the step achieved no longer holds.
		if f := lessons.NowFailing(v.cur(), stt.Results); len(f) > 0 {
			s := "✓ " + v.t.Done + " · " + v.t.NowFailing + ": " + statusText(f[0].Desc)
			if f[0].Detail != "" {
				s += ": " + statusText(f[0].Detail)
			}
			return s, false
		}
	}
	switch {
	case stt.Done && v.curStep() == v.play.Len()-1 && v.play.StepsDone():
		return "✓ " + v.t.LessonDone, true
	case stt.Done:
		return "✓ " + v.t.Done, true
	case len(v.cur().Checks) == 0:
		return v.t.NoChecks, false
	case !stt.Checked:
		return "○ " + v.t.Checking, false
	}
	for _, r := range stt.Results {
		if !r.OK {
			s := "○ " + statusText(r.Desc)
			if r.Detail != "" {
				s += ": " + statusText(r.Detail)
			}
			return s, false
		}
	}
	return "○ " + v.t.Checking, false
}

// statusText is a check's words for the one-style status line: on one line, and without
// the backticks of Markdown code spans ("run `kubectl get sts` …"), which it cannot render.
func statusText(s string) string {
	return oneLine(strings.ReplaceAll(s, "`", ""))
}

// statusKey is everything the status line is made of when no question, demo or quiz adds
// to it. Every message re-measures the line (it may grow) and every frame draws it: rendered
// through lipgloss each time, it was a tenth of the player's CPU under a burst of watch
// events, which change none of this.
type statusKey struct {
	st                       *Styles
	width, step, steps       int
	check                    string
	checkOK, paused          bool
	label, ns, speed, flash  string
	stepFmt, nsWord, pausedW string
}

func (v *lessonView) statusView() string {
	checkText, checkOK := v.checkState()
	if v.ask != nil || v.demo != nil || v.quiz != nil {
		return v.makeStatusView(checkText, checkOK)
	}
	k := statusKey{st: v.st, width: v.width, step: v.curStep(), steps: len(v.lesson.Steps),
		check: checkText, checkOK: checkOK, paused: v.sim != nil && v.sim.Paused(),
		label: v.label, ns: v.ns, speed: v.speed, flash: v.flash,
		stepFmt: v.t.Step, nsWord: v.t.Namespace, pausedW: v.t.Paused}
	if v.status.line == "" || k != v.status.key {
		v.status.key, v.status.line = k, v.makeStatusView(checkText, checkOK)
	}
	return v.status.line
}

func (v *lessonView) makeStatusView(checkText string, checkOK bool) string {
	var check string
	if s, ok := checkText, checkOK; s != "" {
		if ok {
			check = v.st.StatusCheckOK.Render(s)
		} else {
			check = v.st.StatusPending.Render(s)
		}
	}
	step := ""
	if n := len(v.lesson.Steps); n > 0 {
		step = v.st.StatusBar.Render(fmt.Sprintf(v.t.Step, v.curStep()+1, n))
	}
	ns, speed := "", ""
	if v.quiz != nil {
		step = v.st.StatusBar.Render(v.quiz.status(v.t))
		check, checkText = "", ""
		if right, n := v.play.Score(); n == len(v.lesson.Quiz) {
			checkText, checkOK = "✓ "+fmt.Sprintf(v.t.QuizResult, right, n), true
			check = v.st.StatusCheckOK.Render(checkText)
		}
	}
	if v.ns != "" {
		ns = v.st.StatusBar.Render(v.t.Namespace + " " + v.ns)
	}
	if v.speed != "" {
		speed = v.st.StatusBar.Render(v.speed)
	}
	if d := v.demoStatus(); d != "" {
		// Beside the step, which is never dropped on a narrow terminal.
		step = v.st.StatusPending.Render(d) + v.st.StatusBar.Render(" · ") + step
	}
	label := v.st.StatusCluster.Render(v.label)
	// On a narrow terminal the check's verdict matters most: drop the namespace, then the
	// speed, then the cluster name before cutting it.
	// A paused simulator stays in sight, though: while it is paused checks cannot pass.
	candidates := [][]string{
		{label, ns, speed, step, check},
		{label, speed, step, check},
		{label, step, check},
		{step, check},
	}
	if v.sim != nil && v.sim.Paused() {
		paused := v.st.StatusPending.Render("⏸ " + v.t.Paused)
		candidates[2] = []string{speed, step, check}
		candidates[3] = []string{paused, step, check}
	}
	join := func(parts []string) string {
		var keep []string
		for _, p := range parts {
			if p != "" {
				keep = append(keep, p)
			}
		}
		return v.st.StatusBar.Render(" ") + strings.Join(keep, v.st.StatusBar.Render(" · "))
	}
	var line string
	fits := false
	for _, parts := range candidates {
		if line = join(parts); lipgloss.Width(line) <= v.width {
			fits = true
			break
		}
	}
	var above []string
	if !fits && checkText != "" {
		// The verdict does not fit beside the rest: it gets lines of its own, wrapped, so
		// its last word ("not") is never the one cut off.
		style := v.st.StatusPending
		if checkOK {
			style = v.st.StatusCheckOK
		}
		above = wrapStatus(style, " "+checkText, v.width, 3)
		last := candidates[len(candidates)-1]
		line = join(last[:len(last)-1])
	}
	line = truncate(line, v.width)
	if pad := v.width - lipgloss.Width(line); pad > 0 {
		line += v.st.StatusBar.Render(strings.Repeat(" ", pad))
	}
	switch {
	case v.ask != nil:
		v.ask.SetSize(v.width, 0)
		above = append(v.ask.lines(), above...)
	case v.flash != "":
		above = append(wrapStatus(v.st.StatusPending, " "+oneLine(v.flash), v.width, 2), above...)
	}
	return strings.Join(append(above, line), "\n")
}

// View draws the panes and the status line in exactly width×height cells.
func (v *lessonView) View() string {
	if v.width <= 0 || v.height <= 0 {
		return ""
	}
	left := v.pane(focusStep).View()
	var body string
	switch {
	case v.deps.present:
		body = joinNonEmpty(left, v.watchP.View())
	case v.width >= wideWidth:
		r := v.rects[focusStep]
		sepCol := strings.TrimSuffix(strings.Repeat(v.st.Separator.Render("│")+"\n", r.h), "\n")
		top := joinColumns(r.h, left, r.w, sepCol, 1, v.watchP.View(), v.rects[focusWatch].w)
		body = joinNonEmpty(top, v.outP.View())
	default:
		body = joinNonEmpty(left, v.watchP.View(), v.outP.View())
	}
	status := v.statusView()
	bar := v.barView()
	bodyH := max(0, v.height-lipgloss.Height(status)-v.barHeight())
	if bodyH == 0 {
		return fit(status, v.width, v.height)
	}
	if bar != "" {
		status = fit(bar, v.width, v.barHeight()) + "\n" + status
	}
	return fit(fit(body, v.width, bodyH)+"\n"+status, v.width, v.height)
}

func joinNonEmpty(parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, "\n")
}
