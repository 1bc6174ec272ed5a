package tui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/lessonstate"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// lessonDeps is what the root hands a lesson view.
type lessonDeps struct {
	ctx      context.Context
	st       *Styles
	t        text
	md       *markdown
	cluster  Cluster
	eval     Evaluator
	progress *progress.Store
	list     Lister
	// reset gives the player a fresh simulator (nil: resets are not offered).
	reset func(ctx context.Context) error
	// simulate runs a step's simulate field (Options.Simulate).
	simulate func(ctx context.Context, st lessons.Step) (string, error)
	// resetOnOpen: the cluster holds another lesson's objects, start from a fresh one.
	resetOnOpen bool
	present     bool
	// gate may hold the learner at a step (Options.StepGate).
	gate func(lessonID string, stepIndex int) (bool, string)
	// langSwitch: L can switch the lesson to the other language.
	langSwitch bool
	// demo plays the lesson by itself; demoTick paces it (tests replace it).
	demo     bool
	demoTick func(gen int64) tea.Cmd
	// checkTick replaces the lesson's check tick (tests); nil is the real timer.
	checkTick func(gen int64) tea.Cmd
	objects   ObjectWatcher
	// next is the catalog's next lesson, offered on the finish page; nil after the last.
	next *lessonRef
}

// replayTimeout bounds reaching a step's starting state.
const replayTimeout = 2 * time.Minute

// replaySpeed is the simulator's pace while earlier steps are replayed: virtual time, so a
// pod that takes seconds to start takes milliseconds.
const replaySpeed = 1000

// idler is what a simulator session offers to wait until every controller has settled.
type idler interface {
	WaitIdle(ctx context.Context) error
}

// replayDoneMsg reports that the cluster reached the starting state of step.
type replayDoneMsg struct {
	gen  int64
	step int
	err  error
}

// steppedMsg reports one StepOnce of the simulator.
type steppedMsg struct {
	gen int64
	ran bool
	// what says which action ran, when the simulator can tell.
	what string
}

// progressErrMsg reports that the progress file could not be written.
type progressErrMsg struct{ err error }

// loadProgress restores the learner's record of this lesson: done steps, revealed hints and
// where they were.
func (v *lessonView) loadProgress() {
	if v.deps.progress == nil {
		return
	}
	rec := v.deps.progress.Lesson(v.lesson.ID)
	// The demo plays the commands itself, so it always plays guided.
	v.play.SetPractice(rec.Practicing() && !v.deps.demo)
	recs := rec.Records()
	for i, s := range v.lesson.Steps {
		if r := recs[s.ID]; r != nil {
			v.play.Restore(i, r.Done, r.Hints, r.Solution, r.Solved)
		}
		if s.ID == rec.Step {
			v.play.SetStep(i)
		}
	}
}

// save writes the progress file in a Cmd (file I/O never runs in Update).
func (v *lessonView) save() tea.Cmd {
	p := v.deps.progress
	if p == nil || p.Path() == "" {
		return nil
	}
	return func() tea.Msg {
		if err := p.Save(); err != nil {
			return progressErrMsg{err}
		}
		return nil
	}
}

// recordStep remembers the current step, so the lesson resumes there.
func (v *lessonView) recordStep() tea.Cmd {
	if v.deps.progress == nil || len(v.lesson.Steps) == 0 {
		return nil
	}
	id := v.cur().ID
	v.deps.progress.Change(v.lesson.ID, func(l *progress.Lesson) { l.Step = id })
	return v.save()
}

// recordStepState remembers step i's done mark and the help used on it.
func (v *lessonView) recordStepState(i int) tea.Cmd {
	if v.deps.progress == nil || i < 0 || i >= v.play.Len() {
		return nil
	}
	recordStep(v.deps.progress, v.lesson, i, v.play.State(i), v.play.Practice())
	return v.save()
}

// typed is told of a command the learner ran successfully in the command bar: in practice
// mode, a step command it matches counts as run, and the checks look again.
func (v *lessonView) typed(line string) tea.Cmd {
	if !v.play.Practice() || v.replaying || v.quiz != nil {
		return nil
	}
	if v.play.Typed(line) < 0 {
		return nil
	}
	v.syncStep()
	return tea.Batch(v.evalNow(), v.revealPrediction())
}

// hintsLeft reports whether h has more to show: another hint, or else the solution.
func (v *lessonView) hintsLeft() bool { return v.play.HintsLeft() }

// moreHelp is h: the next hint, and after the last one the solution.
func (v *lessonView) moreHelp() tea.Cmd {
	if !v.play.MoreHelp() {
		return nil
	}
	v.syncStep()
	v.stepP.view.GotoBottom()
	return v.recordStepState(v.curStep())
}

// solve is s: show the solution and run the step's remaining commands one after another.
func (v *lessonView) solve() tea.Cmd {
	if !v.lk.Solve.Enabled() {
		return nil
	}
	v.play.Solve()
	v.solving = true
	save := v.recordStepState(v.curStep())
	return tea.Batch(save, v.runNext())
}

func (v *lessonView) updateLearnKeys() {
	n := len(v.lesson.Steps)
	idle := !v.running && !v.replaying
	inQuiz := v.quiz != nil
	flow := v.demo == nil
	l := &v.lk
	l.Solve.SetEnabled(flow && !inQuiz && idle && v.cluster != nil && n > 0 && v.nextCmd() >= 0 && !v.predictPending())
	l.SolveBusy.SetEnabled(flow && !inQuiz && !idle)
	l.Lang.SetEnabled(v.deps.canSwitchLang() && !v.replaying)
	sim := v.sim != nil && !v.replaying
	// The demo's space pauses the demo, not the simulator.
	l.Pause.SetEnabled(sim && flow)
	l.StepOnce.SetEnabled(sim && v.sim.Paused())
	l.Slower.SetEnabled(sim && v.sim.Speed() > minSpeed)
	l.Faster.SetEnabled(sim && v.sim.Speed() < maxSpeed)
	l.TimeReal.SetEnabled(v.sim == nil && v.cluster != nil && !v.replaying)
	canReset := v.deps.reset != nil && v.sim != nil && idle && n > 0 && flow
	l.ResetStep.SetEnabled(canReset && !inQuiz)
	l.ResetLesson.SetEnabled(canReset)
	if inQuiz {
		for _, b := range []*key.Binding{&v.keys.Run, &v.keys.Stop, &v.keys.Next, &v.keys.Prev, &v.keys.Hint} {
			b.SetEnabled(false)
		}
	}
}

// canSwitchLang is set by the root when another language's catalog is available.
func (d lessonDeps) canSwitchLang() bool { return d.langSwitch }

const (
	minSpeed = 0.125
	maxSpeed = 64
)

// updateSpeed rewrites the status line's speed after a time-control key.
func (v *lessonView) updateSpeed() {
	if v.sim == nil {
		v.speed = ""
		return
	}
	v.speed = fmt.Sprintf("%s %g×", v.t.Speed, v.sim.Speed())
	if v.sim.Paused() {
		v.speed = "⏸ " + v.t.Paused + " · " + v.speed
	}
}

// learnKey handles the learning-tool keys (the layers route only keys of enabled bindings).
func (v *lessonView) learnKey(msg tea.KeyMsg) tea.Cmd {
	l := v.lk
	switch {
	case key.Matches(msg, l.TimeReal):
		v.flash = v.t.RealClusterTime
		return nil
	case key.Matches(msg, l.SolveBusy):
		// s waits for nothing: say why it does nothing now (issue 13, item 7).
		v.flash = v.t.BusySolve
		return nil
	case key.Matches(msg, l.Solve):
		return v.solve()
	case key.Matches(msg, l.Pause):
		if v.sim.Paused() {
			v.sim.Resume()
		} else {
			v.sim.Pause()
		}
	case key.Matches(msg, l.StepOnce):
		sim, gen := v.sim, v.gen
		return func() tea.Msg { return steppedMsg{gen: gen, ran: sim.StepOnce()} }
	case key.Matches(msg, l.Slower):
		v.sim.SetSpeed(max(minSpeed, v.sim.Speed()/2))
	case key.Matches(msg, l.Faster):
		v.sim.SetSpeed(min(maxSpeed, v.sim.Speed()*2))
	case key.Matches(msg, l.ResetStep):
		return v.prepare(v.curStep(), true)
	case key.Matches(msg, l.ResetLesson):
		// It forgets the lesson's progress: ask first (issue 13, item 4).
		v.askQuestion(question{text: v.t.AskResetLesson, yes: v.resetLesson})
		return nil
	}
	v.updateSpeed()
	return nil
}

// resetLesson is R once confirmed: forget the lesson's progress and start it again on a
// fresh simulator.
func (v *lessonView) resetLesson() tea.Cmd {
	v.play.ResetAll()
	v.quiz = nil
	v.predictP.reset()
	v.touched = false
	var clear tea.Cmd
	if p := v.deps.progress; p != nil {
		id := v.lesson.ID
		// The learner's choice of mode is not progress: it stays.
		p.Change(id, func(l *progress.Lesson) { *l = progress.Lesson{Mode: l.Mode} })
		clear = v.save()
	}
	return tea.Batch(clear, v.prepare(0, true))
}

// updateLearn handles the results of the learning-tool jobs.
func (v *lessonView) updateLearn(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case steppedMsg:
		if msg.gen != v.gen {
			return nil
		}
		if msg.ran {
			v.flash = v.t.Stepped
			if msg.what != "" {
				v.flash += ": " + msg.what
			}
			v.stepNote = true
		} else {
			v.flash = v.t.NothingPending
		}
		return v.evalNow()
	case replayDoneMsg:
		if msg.gen != v.gen {
			return nil
		}
		v.replaying = false
		if v.cluster != nil {
			v.sim = v.cluster.Sim()
		}
		v.updateSpeed()
		// What ran before belongs to a cluster that is gone.
		v.outP.clear()
		if msg.err != nil {
			v.outP.note(v.t.EarlierSteps, "", msg.err.Error())
		}
		v.watchP.gen = 0 // the cluster may be new: open the watch again
		return v.goStep(msg.step)
	case progressErrMsg:
		v.flash = v.t.ProgressNote + ": " + msg.err.Error()
	case viewDataMsg, objWatchStartedMsg, objBatchMsg:
		_, cmd := v.watchP.Update(msg)
		v.updateKeys() // y is offered once rows can show their objects
		return cmd
	case demoTickMsg, demoTypedMsg, demoRunMsg, demoGoMsg:
		cmd, _ := v.demoMsg(msg)
		return cmd
	}
	return nil
}

// resume opens the step the learner left off at, first reaching its starting state.
func (v *lessonView) resume() tea.Cmd {
	return v.prepare(v.curStep(), v.deps.resetOnOpen)
}

// prepare reaches the starting state of step target and then shows it. On the simulator,
// with reset it starts from a fresh simulator, then replays the earlier steps' commands on
// virtual time (the simplest honest way to undo a step: rebuild what led up to it). On a
// real cluster nothing is replayed: its state is whatever the learner left.
func (v *lessonView) prepare(target int, reset bool) tea.Cmd {
	if len(v.lesson.Steps) == 0 {
		return nil
	}
	target = clamp(target, 0, len(v.lesson.Steps)-1)
	if v.sim == nil || (target == 0 && !reset) {
		return v.goStep(target)
	}
	if reset && v.deps.reset == nil && target == 0 {
		return v.goStep(target)
	}
	// A fresh simulator, or earlier steps replayed onto this one: a new incarnation, on
	// which no command of any step has run yet (issue 13, item 2).
	v.play.Incarnate()
	v.replaying = true
	v.play.SetStep(target)
	v.watchP.stop()
	v.outP.peek(v.t.EarlierSteps, fmt.Sprintf(v.t.Preparing, target+1), "", true)
	v.syncStep()
	var acts []replayAction
	for _, s := range v.lesson.Steps[:target] {
		if s.Simulate != nil && v.deps.simulate != nil {
			s, sim := s, v.deps.simulate
			acts = append(acts, replayAction{name: "simulate " + s.ID, do: func(ctx context.Context) error {
				_, err := sim(ctx, s)
				return err
			}})
		}
		for _, line := range s.RunnableCommands() {
			acts = append(acts, replayAction{line: line})
		}
	}
	c, gen, ctx := v.cluster, v.gen, v.ctx
	var doReset func(context.Context) error
	if reset {
		doReset = v.deps.reset
	}
	return func() tea.Msg {
		rctx, cancel := context.WithTimeout(ctx, replayTimeout)
		defer cancel()
		err := replay(rctx, c, doReset, acts)
		if ctx.Err() != nil {
			return nil
		}
		return replayDoneMsg{gen: gen, step: target, err: err}
	}
}

// replay optionally resets the cluster, then runs lines one after another on virtual time,
// letting the simulator settle after each, and restores its speed and pause state.
// replayAction is one thing replay does: a kubectl line, or a simulator action (do).
type replayAction struct {
	line string
	name string
	do   func(context.Context) error
}

func replay(ctx context.Context, c Cluster, reset func(context.Context) error, acts []replayAction) error {
	var speed float64
	paused := false
	if sim := c.Sim(); sim != nil {
		speed, paused = sim.Speed(), sim.Paused()
	}
	if reset != nil {
		if err := reset(ctx); err != nil {
			return fmt.Errorf("fresh simulator: %w", err)
		}
	}
	sim := c.Sim()
	if sim != nil {
		sim.SetSpeed(replaySpeed)
		sim.Resume()
		defer func() {
			if speed > 0 {
				sim.SetSpeed(speed)
			}
			if paused {
				sim.Pause()
			}
		}()
	}
	idle, _ := c.(idler)
	for _, a := range acts {
		line := a.line
		if a.do != nil {
			line = a.name
			if err := a.do(ctx); err != nil {
				return fmt.Errorf("%s: %w", line, err)
			}
		} else {
			var out strings.Builder
			if err := c.RunKubectl(ctx, line, nil, io.Discard, &out); err != nil {
				return fmt.Errorf("%s: %v %s", line, err, strings.TrimSpace(out.String()))
			}
		}
		if idle != nil {
			if err := idle.WaitIdle(ctx); err != nil {
				return fmt.Errorf("after %s: %w", line, err)
			}
		}
	}
	return nil
}

// setLang switches the view to the same lesson in another language, keeping the step and
// what the learner did.
func (v *lessonView) setLang(t text, l lessons.Lesson) {
	if !v.play.SetLesson(l) {
		return // not the same lesson shape: keep what is shown
	}
	v.t, v.deps.t = t, t
	v.lesson = v.play.Lesson()
	v.keys, v.lk = DefaultLessonKeyMap(t), DefaultLearnKeyMap(t)
	v.stepP.setText(t)
	v.watchP.setText(t)
	v.outP.setText(t)
	if v.quiz != nil {
		v.quiz.setText(t)
	}
	v.updateSpeed()
	v.syncStep()
	v.outP.refresh(false)
	v.watchP.refresh()
	if v.watchP.selected >= 0 {
		// The selected row's object is shown under words of the old language: redo them,
		// keeping the place the learner scrolled to.
		y := v.outP.view.YOffset
		v.showInspection()
		v.outP.view.SetYOffset(y)
	}
	v.setSize(v.width, v.height)
}

// setOverlay installs the bar drawn above the status line (the command bar).
func (v *lessonView) setOverlay(o Overlay) {
	v.bar = o
	v.setSize(v.width, v.height)
}

func (v *lessonView) barView() string {
	if v.bar == nil || v.width <= 0 {
		return ""
	}
	return v.bar.View(v.width)
}

func (v *lessonView) barHeight() int {
	b := v.barView()
	if b == "" {
		return 0
	}
	return lipgloss.Height(b)
}

// presentLayout is the projector layout: the step above the watch, no output pane.
func (v *lessonView) presentLayout(w, bodyH int) {
	stepH := bodyH * 2 / 5
	v.rects[focusStep] = rect{0, 0, w, stepH}
	v.rects[focusWatch] = rect{0, stepH, w, bodyH - stepH}
	v.rects[focusOutput] = rect{}
	v.sizePanes()
}

// recordStep writes step i's done mark and the help used on it into the store (the full
// player and --plain share it).
func recordStep(p *progress.Store, l lessons.Lesson, i int, stt lessonstate.StepState, practice bool) {
	id := l.Steps[i].ID
	p.Change(l.ID, func(l *progress.Lesson) {
		r := l.StepIn(id, practice)
		if stt.Done && !r.Done {
			r.Done = true
			r.WithHelp = stt.Hints > 0 || stt.Solution || stt.Solved
		}
		r.Hints = max(r.Hints, stt.Hints)
		r.Solution = r.Solution || stt.Solution
		r.Solved = r.Solved || stt.Solved
	})
}
