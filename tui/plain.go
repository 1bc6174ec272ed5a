package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/engine/termsafe"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/lessonstate"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// plainWidth is the width plain mode wraps lesson text to when Options.Width is unset.
const plainWidth = 78

// RunPlain is the line-by-line player (--plain): no screen drawing, no colour, one line of
// input per action, every result printed once and in order, so a screen reader reads it and a
// log keeps it. It plays the same lessons through the same state machine (lessonstate) as
// the full player: Goal and Watch-for lines, the step's watch as `kubectl get -w` lines,
// commands typed by the learner, checks, hints, the quiz and its finish.
func RunPlain(ctx context.Context, o Options, in io.Reader, out io.Writer) error {
	width := 0
	if f, ok := out.(*os.File); ok {
		if w, _, err := term.GetSize(f.Fd()); err == nil {
			width = w
		}
	}
	return runPlain(ctx, o, in, out, width)
}

// runPlain is RunPlain for a terminal width cells wide (0: the default, plainWidth).
func runPlain(ctx context.Context, o Options, in io.Reader, out io.Writer, width int) error {
	o = o.FromCluster()
	if o.Progress == nil {
		o.Progress = progress.Memory()
	}
	checkProgress(&o) // progresscheck.go
	// No escape sequence reaches a screen reader or a log.
	out = termsafe.NewWriter(out, false)
	lang := langCode(o.Lang)
	t := textFor(lang)
	md := newMarkdown("notty", termenv.Ascii)
	sc := bufio.NewScanner(in)
	// A terminal echoes what the learner types; piped input does not, so echo it: each
	// prompt then ends its own line, with its answer, as in a transcript.
	echo := true
	if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		echo = false
	}
	read := func(prompt string) (string, bool) {
		fmt.Fprint(out, prompt)
		if !sc.Scan() {
			fmt.Fprintln(out)
			return "", false
		}
		line := strings.TrimSpace(sc.Text())
		if echo {
			fmt.Fprintln(out, line)
		}
		return line, true
	}
	if width <= 0 {
		width = plainWidth + 2
	}
	p := &plainPlayer{ctx: ctx, o: o, t: t, md: md, out: out, width: max(20, width-2), read: read}
	defer p.watch.stop()
	if o.ProgressWarning != "" {
		fmt.Fprintf(out, "%s: %s\n", t.ProgressNote, o.ProgressWarning)
	}
	next := -1
	for {
		if next < 0 {
			fmt.Fprintf(out, "\n%s\n", t.MenuTitle)
			for i, l := range o.Lessons {
				fmt.Fprintf(out, "%d. %s (%s)\n", i+1, l.Title, p.meta(l))
			}
			line, ok := read(t.PlainPick)
			if !ok || line == "q" {
				return nil
			}
			n, err := strconv.Atoi(line)
			if err != nil || n < 1 || n > len(o.Lessons) {
				fmt.Fprintln(out, t.PlainBad)
				continue
			}
			next = n - 1
		}
		cont, after := p.play(next, read)
		if !cont {
			return nil
		}
		next = after
	}
}

// plainText drops what a screen reader would read out as noise: emphasis and code marks,
// trailing blanks.
func plainText(s string) string {
	s = strings.NewReplacer("**", "", "`", "").Replace(s)
	lines := strings.Split(strings.TrimRight(s, "\n "), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

type plainPlayer struct {
	ctx   context.Context
	o     Options
	t     text
	md    *markdown
	out   io.Writer
	width int
	watch plainWatch
	// read asks one line (runPlain's read); nil answers nothing.
	read func(prompt string) (string, bool)
}

// errSkipped is run's answer for a command the learner chose not to run with their own
// credentials: the step goes on with its next command.
var errSkipped = errors.New("skipped")

func (p *plainPlayer) meta(l lessons.Lesson) string {
	level := l.Level
	if s, ok := p.t.Levels[level]; ok {
		level = s
	}
	m := &menuView{t: p.t, prog: p.o.Progress}
	return fmt.Sprintf("%s, "+p.t.Minutes, level, l.Minutes) + strings.ReplaceAll(m.progressText(l, true), " · ", ", ")
}

func (p *plainPlayer) say(format string, a ...any) {
	fmt.Fprintf(p.out, format+"\n", a...)
}

// play runs lesson i. cont is false when the input ended or the learner quit; next is the
// lesson to open now (-1: the menu).
func (p *plainPlayer) play(i int, read func(string) (string, bool)) (cont bool, next int) {
	l := lessonstate.Normalize(p.o.Lessons[i])
	if len(l.Steps) == 0 {
		return true, -1
	}
	pl := lessonstate.New(l)
	watchStepStarts(pl, l, p.o.Cluster)
	rec := p.o.Progress.Lesson(l.ID)
	for j, s := range l.Steps {
		if r := rec.Steps[s.ID]; r != nil {
			pl.Restore(j, r.Done, r.Hints, r.Solution, r.Solved)
		}
		if s.ID == rec.Step {
			pl.SetStep(j)
		}
	}
	show := true
	predicted := map[int]int{} // step → the learner's prediction, until it is revealed
	defer p.watch.stop()
	for {
		s := pl.Cur()
		step := pl.Step()
		cmds := s.Cmds
		if show {
			if pl.Go(step) {
				p.record(l, pl, step)
			}
			p.o.Progress.Change(l.ID, func(r *progress.Lesson) { r.Step = s.ID })
			p.save()
			p.say("\n"+p.t.StepTitle+"\n", step+1, len(l.Steps), s.Title)
			p.say("%s", plainText(p.md.render(unwrapListItems(s.Markdown()), p.width)))
			for _, c := range cmds {
				suffix := ""
				if c.NoRun {
					suffix = "  " + p.t.PlainNoRun
				}
				p.say("  $ %s%s", c.Line, suffix)
			}
			p.watch.start(p, s.Watch)
			show = false
			if _, asked := predicted[step]; s.Predict != nil && !asked && pl.NextCmd() >= 0 {
				n := p.askPrediction(s.Predict, read)
				if n < 0 {
					return false, -1
				}
				predicted[step] = n
			}
		}
		p.watch.flush(p)
		if n := pl.NextCmd(); n >= 0 {
			p.say(p.t.PlainNext, cmds[n].Line)
		}
		line, ok := read(p.t.PlainPrompt)
		if !ok {
			return false, -1
		}
		switch {
		case line == "q":
			return false, -1
		case line == "m":
			p.say("%s", p.t.PlainToMenu)
			return true, -1
		case line == "n":
			if step < len(l.Steps)-1 {
				pl.SetStep(step + 1)
				show = true
			} else if len(l.Quiz) > 0 {
				return p.quiz(i, pl, read)
			} else {
				p.say("%s", p.t.PlainLastStep)
			}
		case line == "p":
			if step > 0 {
				pl.SetStep(step - 1)
				show = true
			} else {
				p.say("%s", p.t.PlainFirstStep)
			}
		case line == "h":
			if !pl.MoreHelp() {
				p.say("%s", p.t.PlainNoMoreHelp)
				break
			}
			st := pl.State(step)
			p.showHelp(pl, s, st)
			p.record(l, pl, step)
		case line == "c":
			if len(s.Checks) == 0 {
				p.say("%s", p.t.NoChecks)
				break
			}
			p.check(l, pl, step)
		case line == "w":
			if !p.watch.flush(p) {
				p.say("%s", p.t.PlainNoWatchNews)
			}
		case line == "" || line == "s":
			solve := line == "s"
			if pl.NextCmd() < 0 {
				p.say("%s", p.t.AllRan)
				break
			}
			if solve {
				pl.Solve()
				p.record(l, pl, step)
			}
			inc := pl.Incarnation()
			for {
				n := pl.NextCmd()
				if n < 0 {
					break
				}
				if err := p.run(cmds[n].Line); err != nil && !errors.Is(err, errSkipped) {
					break
				}
				pl.CommandRan(step, n, inc)
				if !solve {
					break
				}
			}
			p.check(l, pl, step)
			if n, ok := predicted[step]; ok && n >= 0 && pl.NextCmd() < 0 {
				p.revealPrediction(p.ctx, s, n)
				predicted[step] = -1 // revealed once
			}
		case strings.HasPrefix(line, ":") || strings.HasPrefix(line, "kubectl "):
			cmd := strings.TrimSpace(strings.TrimPrefix(line, ":"))
			if cmd == "" {
				p.say("%s", p.t.PlainBad)
				break
			}
			if !strings.HasPrefix(cmd, "kubectl ") {
				cmd = "kubectl " + cmd
			}
			if engine.NeedsTerminal(cmd) {
				p.say("%s", p.t.PlainNeedsTerminal)
				break
			}
			_ = p.run(cmd)
			if len(s.Checks) > 0 {
				p.check(l, pl, step)
			}
		default:
			p.say("%s", p.t.PlainBad)
		}
	}
}

// showHelp prints the help h just revealed: the newest hint, or the solution.
func (p *plainPlayer) showHelp(pl *lessonstate.Play, s lessons.Step, st lessonstate.StepState) {
	if st.Solution {
		text := p.t.SolutionIntro
		if pl.SolutionIntro() == lessonstate.SolutionAllRan {
			text = p.t.SolutionRan // s would do nothing: do not offer it
		}
		if sol := strings.TrimSpace(s.Solution); sol != "" {
			text = plainText(sol) + " " + text
		}
		p.say("%s: %s\n  %s", p.t.Solution, text, strings.Join(s.RunnableCommands(), "\n  "))
		return
	}
	p.say(p.t.Hint+": %s", st.Hints, len(s.Hints), plainText(s.Hints[st.Hints-1]))
}

// run runs one kubectl line, printing it and its output, then the watch lines it caused.
func (p *plainPlayer) run(line string) error {
	p.say("$ %s", line)
	if p.o.Cluster == nil {
		p.say("%s", p.t.PlainNoCluster)
		return fmt.Errorf("no cluster")
	}
	var buf syncBuffer
	err := p.o.Cluster.RunKubectl(p.ctx, line, nil, &buf, &buf)
	fmt.Fprint(p.out, cleanOutput(buf.String()))
	if err != nil {
		p.say("%s", plainErr(p.t, err))
	}
	if _, lr, ok := ownCredsOffer(p.o.Cluster, err); ok {
		// The lesson's ServiceAccount may not (cordon, drain): ask, for this one command.
		var answer string
		if p.read != nil {
			answer, _ = p.read(fmt.Sprintf(p.t.OwnCredsWhy, line) + " " + p.t.OwnCredsAsk + " ")
		}
		if answer != "y" && answer != "Y" {
			p.say("%s", fmt.Sprintf(p.t.OwnCredsSkipped, line))
			return errSkipped
		}
		p.say("$ %s", line)
		var own syncBuffer
		err = lr.RunKubectlAsLearner(p.ctx, line, nil, &own, &own)
		fmt.Fprint(p.out, cleanOutput(own.String()))
		if err != nil {
			p.say("%s", plainErr(p.t, err))
		}
	}
	if sim, ok := p.o.Cluster.(idler); ok {
		_ = sim.WaitIdle(p.ctx)
	}
	p.watch.flush(p)
	return err
}

func plainErr(t text, err error) string {
	v := &lessonView{t: t}
	return "(" + v.errText(err) + ")"
}

func (p *plainPlayer) save() {
	if err := p.o.Progress.Save(); err != nil {
		p.say("%s: %v", p.t.ProgressNote, err)
	}
}

func (p *plainPlayer) record(l lessons.Lesson, pl *lessonstate.Play, step int) {
	recordStep(p.o.Progress, l, step, pl.State(step), false) // --plain plays guided
	p.save()
}

// check evaluates the step's checks once and prints each result.
func (p *plainPlayer) check(l lessons.Lesson, pl *lessonstate.Play, step int) {
	s := l.Steps[step]
	if p.o.Evaluate == nil || len(s.Checks) == 0 {
		return
	}
	if sim, ok := p.o.Cluster.(idler); ok {
		_ = sim.WaitIdle(p.ctx)
	}
	res := p.o.Evaluate(p.ctx, s)
	for _, r := range res {
		mark := "✓"
		if !r.OK {
			mark = "○"
		}
		line := mark + " " + oneLine(r.Desc)
		if r.Detail != "" {
			line += ": " + oneLine(r.Detail)
		}
		p.say("%s", line)
	}
	if pl.SetResults(step, res) {
		p.say("✓ %s", p.t.Done)
		p.record(l, pl, step)
	}
}

// quiz asks every question; the first answer counts. Then the finish: the score, what was
// missed and why, and the next lesson.
func (p *plainPlayer) quiz(i int, pl *lessonstate.Play, read func(string) (string, bool)) (bool, int) {
	l := pl.Lesson()
	p.say("\n%s", p.t.QuizIntroPlain)
	for qi, q := range l.Quiz {
		p.say("\n"+p.t.QuizTitle+": %s", qi+1, len(l.Quiz), plainText(q.Question))
		for ci, c := range q.Choices {
			p.say("  %d. %s", ci+1, plainText(c.Text))
		}
		for {
			line, ok := read("> ")
			if !ok {
				return false, -1
			}
			n, err := strconv.Atoi(line)
			if err != nil || n < 1 || n > len(q.Choices) {
				p.say(p.t.PlainChoose, len(q.Choices))
				continue
			}
			c := q.Choices[n-1]
			verdict := p.t.QuizWrong
			if c.Correct {
				verdict = p.t.QuizRight
			}
			p.say("%s %s", verdict, plainText(c.Why))
			if pl.Answer(qi, n-1) {
				correct := c.Correct
				p.o.Progress.Change(l.ID, func(r *progress.Lesson) {
					if r.Quiz == nil {
						r.Quiz = map[int]progress.Answer{}
					}
					r.Quiz[qi] = progress.Answer{Choice: n - 1, Correct: correct}
				})
				p.save()
			}
			break
		}
	}
	sum := pl.Summary()
	p.say("\n%s: %s", p.t.FinishTitle, l.Title)
	p.say(p.t.FinishScore, sum.Right, sum.Total)
	p.say("%s", p.t.FinishFirstCounts)
	steps := fmt.Sprintf(p.t.FinishSteps, sum.StepsDone, sum.Steps)
	if sum.Helped > 0 {
		steps += " " + fmt.Sprintf(p.t.FinishHelped, sum.Helped)
	}
	p.say("%s", steps)
	if len(sum.Missed) > 0 {
		p.say("%s:", p.t.FinishMissed)
		for _, m := range sum.Missed {
			p.say("  %d. %s", m.Index+1, plainText(m.Question))
			p.say("     ✗ %s", plainText(m.Chosen))
			p.say("     ✓ %s", plainText(m.Right))
			if m.Why != "" {
				p.say("       %s", plainText(m.Why))
			}
		}
	} else if sum.Total > 0 {
		p.say("%s", p.t.FinishAllRight)
	}
	if i+1 < len(p.o.Lessons) {
		p.say(p.t.PlainNextLesson, p.o.Lessons[i+1].Title)
		line, ok := read(p.t.PlainAfterPrompt)
		if !ok || line == "q" {
			return false, -1
		}
		if line == "" {
			return true, i + 1
		}
		return true, -1
	}
	return true, -1
}

// plainWatch prints the step's watch as `kubectl get -w` does: a header, then one line per
// event. Events are read without blocking at fixed points (after a command, before a
// prompt, on w), so lines never cut into what the learner types.
type plainWatch struct {
	spec   lessons.Watch
	cancel context.CancelFunc
	ch     <-chan engine.TableEvent
	header bool
	widths []int
	ended  bool
}

func (w *plainWatch) stop() {
	if w.cancel != nil {
		w.cancel()
	}
	*w = plainWatch{}
}

func (w *plainWatch) start(p *plainPlayer, spec lessons.Watch) {
	if spec == w.spec && w.ch != nil {
		return
	}
	w.stop()
	if spec.Resource == "" || p.o.Cluster == nil {
		return
	}
	ctx, cancel := context.WithCancel(p.ctx)
	ch, err := p.o.Cluster.WatchTable(ctx, spec.Resource, spec.Selector)
	if err != nil {
		cancel()
		p.say("%s: %v", p.t.Watch, err)
		return
	}
	w.spec, w.cancel, w.ch = spec, cancel, ch
	sel := ""
	if spec.Selector != "" {
		sel = " -l " + spec.Selector
	}
	p.say("%s: kubectl get %s -w%s", p.t.Watch, spec.Resource, sel)
}

// flush prints the events that arrived since the last flush; false when there were none.
func (w *plainWatch) flush(p *plainPlayer) bool {
	if w.ch == nil {
		return false
	}
	printed := false
	for {
		select {
		case ev, ok := <-w.ch:
			if !ok {
				w.ch = nil
				p.say("%s", p.t.WatchEnded)
				return true
			}
			if line, ok := w.format(ev); ok {
				p.say("%s", line)
				printed = true
			}
		default:
			return printed
		}
	}
}

// format turns one event into a line; the header comes first, once.
func (w *plainWatch) format(ev engine.TableEvent) (string, bool) {
	switch ev.Type {
	case "ERROR":
		if ev.Err != nil {
			return "  (" + ev.Err.Error() + ")", true
		}
		return "", false
	case "RESYNC":
		return "", false
	}
	if ev.Name == "" || len(ev.Cells) == 0 {
		return "", false // the end of the initial list
	}
	var b strings.Builder
	if !w.header && len(ev.Columns) > 0 {
		w.widths = make([]int, len(ev.Columns))
		for i, c := range ev.Columns {
			w.widths[i] = max(len(c)+3, 8)
			if i < len(ev.Cells) {
				w.widths[i] = max(w.widths[i], len(ev.Cells[i])+3)
			}
		}
		b.WriteString("  " + w.row(ev.Columns) + "\n")
		w.header = true
	}
	// Columns widen as wider cells come (ContainerCreating), so later rows line up.
	for i := range w.widths {
		if i < len(ev.Cells) {
			w.widths[i] = max(w.widths[i], len(ev.Cells[i])+3)
		}
	}
	b.WriteString("  " + w.row(ev.Cells))
	return b.String(), true
}

func (w *plainWatch) row(cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		if i == len(cells)-1 || i >= len(w.widths) {
			b.WriteString(c)
			continue
		}
		b.WriteString(c)
		b.WriteString(strings.Repeat(" ", max(1, w.widths[i]-len(c))))
	}
	return strings.TrimRight(b.String(), " ")
}
