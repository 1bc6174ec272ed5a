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

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// checkInterval is how often a step's checks are re-evaluated, so a step completes even when
// the learner acts from their own terminal.
const checkInterval = 500 * time.Millisecond

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

// stepState is what the learner has done in one step; it survives moving between steps.
type stepState struct {
	ran     []bool
	hints   int
	done    bool
	checked bool
	results []lessons.CheckResult
	// solution: the solution was shown (the hint after the last); solved: s ran it.
	solution bool
	solved   bool
	// simulated: the step's simulate action ran (it runs once, when the step is entered).
	simulated bool
}

// lessonView plays one lesson. It owns every async job it starts (watch, commands, check
// ticks) through ctx, which close cancels.
type lessonView struct {
	st   *Styles
	t    text
	keys LessonKeyMap
	lk   LearnKeyMap
	qk   QuizKeyMap
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

	step   int
	states []stepState

	running    bool
	solving    bool // s: run the step's remaining commands one after another
	replaying  bool // reaching a step's starting state: every other job waits
	runCancel  context.CancelFunc
	evaluating bool
	evalAgain  bool

	// quiz is non-nil while the end-of-lesson quiz replaces the step pane.
	quiz *quizState
	// demo is non-nil when the lesson plays by itself.
	demo *demoState
	// bar is the optional overlay (the command bar) above the status line.
	bar Overlay
	// sim is the simulator's time control, nil on a real cluster.
	sim engine.SimControl

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
		st: st, t: t, keys: DefaultLessonKeyMap(t), lk: DefaultLearnKeyMap(t), qk: DefaultQuizKeyMap(t), deps: d,
		cluster: c, evaluate: d.eval, lesson: normalizeLesson(l),
		gen: nextGen(), ctx: ctx, cancel: cancel,
		stepP: newStepPane(st, t, d.md), watchP: newWatchPane(st, t), outP: newOutputPane(st, t),
	}
	v.watchP.lister = d.list
	v.watchP.objects = d.objects
	v.stepP.present = d.present
	if c != nil {
		v.label, v.ns = c.Label(), c.Namespace()
		v.sim = c.Sim()
	}
	v.updateSpeed()
	v.states = make([]stepState, len(v.lesson.Steps))
	for i, s := range v.lesson.Steps {
		v.states[i].ran = make([]bool, len(s.Cmds))
	}
	v.loadProgress()
	if d.demo {
		tick := d.demoTick
		if tick == nil {
			tick = defaultDemoTick
		}
		v.demo = &demoState{tick: tick, keys: defaultDemoKeyMap(t)}
	}
	return v
}

// normalizeLesson fills Cmds from Commands for lessons built without the catalog loader.
func normalizeLesson(l lessons.Lesson) lessons.Lesson {
	steps := make([]lessons.Step, len(l.Steps))
	for i, s := range l.Steps {
		if len(s.Cmds) == 0 && len(s.Commands) > 0 {
			s.Cmds = make([]lessons.Command, len(s.Commands))
			for j, c := range s.Commands {
				s.Cmds[j] = lessons.Command{Line: c}
			}
		}
		steps[i] = s
	}
	l.Steps = steps
	return l
}

// Init opens the step the learner left off at (after reaching its starting state) and
// starts the check tick loop.
func (v *lessonView) Init() tea.Cmd {
	if v.demo != nil {
		return tea.Batch(v.resume(), v.tick(), v.demo.tick(v.gen))
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
	return tea.Tick(checkInterval, func(t time.Time) tea.Msg { return tickMsg{gen: gen, time: t} })
}

func (v *lessonView) cur() lessons.Step {
	if len(v.lesson.Steps) == 0 {
		return lessons.Step{}
	}
	return v.lesson.Steps[v.step]
}

// goStep shows step i, moves the watch if the step watches something else, and evaluates.
func (v *lessonView) goStep(i int) tea.Cmd {
	if len(v.lesson.Steps) == 0 {
		return nil
	}
	from := v.step
	v.step = clamp(i, 0, len(v.lesson.Steps)-1)
	s := v.cur()
	var record tea.Cmd
	if len(s.Checks) == 0 && !v.states[v.step].done {
		// Nothing to verify: reading the step is doing it.
		v.states[v.step].done = true
		record = v.recordStepState(v.step)
	}
	if v.step > from && !v.running {
		// Each step starts from the state the earlier ones leave; say so before a skipped
		// step's commands fail with a bare NotFound.
		if undone := v.undoneBefore(v.step); len(undone) > 0 {
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
	stt := &v.states[v.step]
	p := v.stepP
	p.title = fmt.Sprintf(v.t.StepTitle, v.step+1, len(v.lesson.Steps), s.Title)
	p.done = stt.done
	p.body = s.Markdown() // goal, text, what to watch for
	p.hints = s.Hints
	p.shown = stt.hints
	p.solution, p.solutionText = nil, ""
	if stt.solution {
		p.solution = append([]string{}, s.RunnableCommands()...)
		p.solutionText = strings.TrimSpace(s.Solution)
	}
	p.cmds = s.Cmds
	p.ran = stt.ran
	p.next = v.nextCmd()
	p.running = v.running
	p.refresh()
	switch {
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
func (v *lessonView) nextCmd() int {
	s := v.cur()
	for i, c := range s.Cmds {
		if !c.NoRun && !v.states[v.step].ran[i] {
			return i
		}
	}
	return -1
}

// updateKeys enables exactly the bindings that do something now.
func (v *lessonView) updateKeys() {
	n := len(v.lesson.Steps)
	idle := !v.running && !v.replaying
	v.keys.Run.SetEnabled(idle && v.cluster != nil && n > 0 && v.nextCmd() >= 0)
	v.keys.Stop.SetEnabled(v.running)
	v.keys.Next.SetEnabled(v.step < n-1 || (n > 0 && len(v.lesson.Quiz) > 0))
	v.keys.Prev.SetEnabled(v.step > 0)
	v.keys.Hint.SetEnabled(n > 0 && v.hintsLeft())
	v.keys.Kubeconfig.SetEnabled(v.kubeconfig != "" && v.cluster != nil)
	v.keys.Sideways.SetEnabled(v.outP.wide)
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
	ctx, gen, step, eval := v.ctx, v.gen, v.step, v.evaluate
	return func() tea.Msg {
		ectx, cancel := context.WithTimeout(ctx, evalTimeout)
		defer cancel()
		res := eval(ectx, s)
		if ctx.Err() != nil {
			return nil
		}
		return checksMsg{gen: gen, step: step, results: res}
	}
}

// runNext runs the highlighted command in a Cmd; its output comes back as cmdDoneMsg.
func (v *lessonView) runNext() tea.Cmd {
	idx := v.nextCmd()
	if idx < 0 || v.running || v.replaying || v.cluster == nil {
		return nil
	}
	line := v.cur().Cmds[idx].Line
	ctx, cancel := context.WithCancel(v.ctx)
	v.running, v.runCancel = true, cancel
	v.outP.start(line)
	v.syncStep()
	c, gen, step := v.cluster, v.gen, v.step
	return func() tea.Msg {
		defer cancel()
		var buf syncBuffer
		err := c.RunKubectl(ctx, line, nil, &buf, &buf)
		return cmdDoneMsg{gen: gen, step: step, cmd: idx, line: line, output: buf.String(), err: err}
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
// (an older gen) are dropped.
func (v *lessonView) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.handleKey(msg)
	case tea.MouseMsg:
		v.handleMouse(msg)
	case tickMsg:
		if msg.gen != v.gen {
			return nil
		}
		if v.cluster != nil {
			v.watchP.setNow(v.cluster.Now())
		}
		return tea.Batch(v.evalNow(), v.tick(), v.watchP.poll())
	case checksMsg:
		if msg.gen != v.gen {
			return nil
		}
		v.evaluating = false
		stt := &v.states[msg.step]
		stt.results, stt.checked = msg.results, true
		var save tea.Cmd
		if lessons.Passed(msg.results) && !stt.done {
			stt.done = true // done stays done, even if the learner moves on and state changes
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
			v.states[msg.step].ran[msg.cmd] = true
		}
		v.outP.finish(msg.output, v.errText(msg.err))
		v.syncStep()
		if v.solving && msg.err == nil && msg.step == v.step && v.nextCmd() >= 0 {
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
	case watchStartedMsg:
		return v.watchP.handleStarted(msg)
	case watchBatchMsg:
		cmd := v.watchP.handleBatch(msg)
		v.updateKeys() // y is offered once the stream has rows
		return cmd
	case watchRetryMsg:
		return v.watchP.handleRetry(msg)
	default:
		return v.updateLearn(msg)
	}
	return nil
}

func (v *lessonView) handleKey(msg tea.KeyMsg) tea.Cmd {
	if v.bar != nil && v.bar.Active() {
		return v.bar.Update(msg)
	}
	if v.demo != nil {
		if cmd, ok := v.demoKey(msg); ok {
			return cmd
		}
	}
	if v.quiz != nil {
		if cmd, ok := v.quizKey(msg); ok {
			return cmd
		}
	}
	if cmd, ok := v.inspectKey(msg); ok {
		return cmd
	}
	if cmd, ok := v.learnKey(msg); ok {
		return cmd
	}
	k := v.keys
	switch {
	case key.Matches(msg, k.Back):
		v.close()
		return func() tea.Msg { return backToMenuMsg{} }
	case key.Matches(msg, k.Run):
		return v.runNext()
	case key.Matches(msg, k.Stop):
		if v.runCancel != nil {
			v.runCancel()
		}
	case key.Matches(msg, k.Next):
		if v.deps.gate != nil {
			if ok, why := v.deps.gate(v.lesson.ID, v.step+1); !ok {
				v.outP.prose(v.t.KeyNext, why)
				return nil
			}
		}
		if v.step == len(v.lesson.Steps)-1 {
			return v.openQuiz()
		}
		return v.goStep(v.step + 1)
	case key.Matches(msg, k.Prev):
		return v.goStep(v.step - 1)
	case key.Matches(msg, k.Kubeconfig):
		return v.writeKubeconfig()
	case key.Matches(msg, k.Hint):
		return v.moreHelp()
	case key.Matches(msg, k.Focus):
		v.setFocus((v.focus + 1) % focusCount)
	case key.Matches(msg, k.Up):
		v.scroll(v.focus, scrollUp)
	case key.Matches(msg, k.Down):
		v.scroll(v.focus, scrollDown)
	case key.Matches(msg, k.PageUp):
		v.scroll(v.focus, scrollPageUp)
	case key.Matches(msg, k.PageDown):
		v.scroll(v.focus, scrollPageDown)
	case key.Matches(msg, k.Sideways):
		a := scrollRight
		if msg.String() == "left" {
			a = scrollLeft
		}
		scrollBy(&v.outP.view, a)
	}
	return nil
}

// handleMouse scrolls the pane under the pointer.
func (v *lessonView) handleMouse(msg tea.MouseMsg) {
	if msg.Action != tea.MouseActionPress {
		return
	}
	if r := v.rects[focusWatch]; msg.Button == tea.MouseButtonLeft && r.contains(msg.X, msg.Y) {
		// A click on a stream row shows that row's object as it was then.
		if v.watchP.selectAt(msg.Y - r.y) {
			v.setFocus(focusWatch)
			v.showInspection()
			v.updateKeys()
		}
		return
	}
	var a scrollAction
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		a = scrollWheelUp
	case tea.MouseButtonWheelDown:
		a = scrollWheelDown
	default:
		return
	}
	for f, r := range v.rects {
		if r.contains(msg.X, msg.Y) {
			v.scroll(focusID(f), a)
			return
		}
	}
}

func (v *lessonView) scroll(f focusID, a scrollAction) {
	switch f {
	case focusStep:
		scrollBy(&v.stepP.view, a)
	case focusWatch:
		scrollBy(&v.watchP.view, a)
	case focusOutput:
		scrollBy(&v.outP.view, a)
	}
}

func (v *lessonView) setFocus(f focusID) {
	v.focus = f
	v.stepP.focused = f == focusStep
	v.watchP.focused = f == focusWatch
	v.outP.focused = f == focusOutput
}

// setSize lays the panes out in w×h cells, the status line included.
func (v *lessonView) setSize(w, h int) {
	v.width, v.height = w, h
	v.setFocus(v.focus)
	bodyH := max(0, h-lipgloss.Height(v.statusView())-v.barHeight())
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
	v.stepP.setSize(v.rects[focusStep].w, v.rects[focusStep].h)
	v.watchP.setSize(v.rects[focusWatch].w, v.rects[focusWatch].h)
	v.outP.setSize(v.rects[focusOutput].w, v.rects[focusOutput].h)
}

// undoneBefore lists (1-based) the steps before i whose checks have not held.
func (v *lessonView) undoneBefore(i int) []string {
	var out []string
	for j := 0; j < i && j < len(v.states); j++ {
		if !v.states[j].done {
			out = append(out, strconv.Itoa(j+1))
		}
	}
	return out
}

// checkState is the status line's verdict on the current step.
func (v *lessonView) checkState() (string, bool) {
	if len(v.lesson.Steps) == 0 {
		return "", false
	}
	stt := v.states[v.step]
	switch {
	case stt.done && v.step == len(v.states)-1 && len(v.undoneBefore(v.step)) == 0:
		return "✓ " + v.t.LessonDone, true
	case stt.done:
		return "✓ " + v.t.Done, true
	case len(v.cur().Checks) == 0:
		return v.t.NoChecks, false
	case !stt.checked:
		return "○ " + v.t.Checking, false
	}
	for _, r := range stt.results {
		if !r.OK {
			s := "○ " + r.Desc
			if r.Detail != "" {
				s += ": " + r.Detail
			}
			return s, false
		}
	}
	return "○ " + v.t.Checking, false
}

func (v *lessonView) statusView() string {
	var check string
	if s, ok := v.checkState(); s != "" {
		if ok {
			check = v.st.StatusCheckOK.Render(s)
		} else {
			check = v.st.StatusPending.Render(s)
		}
	}
	step := ""
	if n := len(v.lesson.Steps); n > 0 {
		step = v.st.StatusBar.Render(fmt.Sprintf(v.t.Step, v.step+1, n))
	}
	ns, speed := "", ""
	if v.quiz != nil {
		step = v.st.StatusBar.Render(v.quiz.status(v.t))
		check = ""
		if right, n := v.quiz.score(v.lesson); n == len(v.lesson.Quiz) {
			check = v.st.StatusCheckOK.Render("✓ " + fmt.Sprintf(v.t.QuizResult, right, n))
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
	var line string
	for _, parts := range candidates {
		var keep []string
		for _, p := range parts {
			if p != "" {
				keep = append(keep, p)
			}
		}
		line = v.st.StatusBar.Render(" ") + strings.Join(keep, v.st.StatusBar.Render(" · "))
		if lipgloss.Width(line) <= v.width {
			break
		}
	}
	line = truncate(line, v.width)
	if pad := v.width - lipgloss.Width(line); pad > 0 {
		line += v.st.StatusBar.Render(strings.Repeat(" ", pad))
	}
	return line
}

// View draws the panes and the status line in exactly width×height cells.
func (v *lessonView) View() string {
	if v.width <= 0 || v.height <= 0 {
		return ""
	}
	left := v.stepP.View()
	if v.quiz != nil {
		r := v.rects[focusStep]
		left = v.quiz.view(v, r.w, r.h)
	}
	var body string
	switch {
	case v.deps.present:
		body = joinNonEmpty(left, v.watchP.View())
	case v.width >= wideWidth:
		r := v.rects[focusStep]
		sepCol := strings.TrimSuffix(strings.Repeat(v.st.Separator.Render("│")+"\n", r.h), "\n")
		top := lipgloss.JoinHorizontal(lipgloss.Top, left, sepCol, v.watchP.View())
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
