package tui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// plainWidth is the width plain mode wraps lesson text to.
const plainWidth = 78

// RunPlain is the line-by-line player (--plain): no screen drawing, no colour, one line of
// input per action, every result printed once and in order, so a screen reader reads it and a
// log keeps it. It uses the same lessons, commands, checks and progress as the full player.
func RunPlain(ctx context.Context, o Options, in io.Reader, out io.Writer) error {
	o = o.FromCluster()
	if o.Progress == nil {
		o.Progress = progress.Memory()
	}
	lang := langCode(o.Lang)
	t := textFor(lang)
	md := newMarkdown("notty", termenv.Ascii)
	sc := bufio.NewScanner(in)
	read := func(prompt string) (string, bool) {
		fmt.Fprint(out, prompt)
		if !sc.Scan() {
			fmt.Fprintln(out)
			return "", false
		}
		return strings.TrimSpace(sc.Text()), true
	}
	p := &plainPlayer{ctx: ctx, o: o, t: t, md: md, out: out}
	if o.ProgressWarning != "" {
		fmt.Fprintf(out, "%s: %s\n", t.ProgressNote, o.ProgressWarning)
	}
	for {
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
		if !p.play(o.Lessons[n-1], read) {
			return nil
		}
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
	ctx context.Context
	o   Options
	t   text
	md  *markdown
	out io.Writer
}

func (p *plainPlayer) meta(l lessons.Lesson) string {
	level := l.Level
	if s, ok := p.t.Levels[level]; ok {
		level = s
	}
	m := &menuView{t: p.t, prog: p.o.Progress}
	return fmt.Sprintf("%s, "+p.t.Minutes, level, l.Minutes) + strings.ReplaceAll(m.progressText(l, true), " · ", ", ")
}

// play runs one lesson; false means the input ended or the learner quit.
func (p *plainPlayer) play(l lessons.Lesson, read func(string) (string, bool)) bool {
	l = normalizeLesson(l)
	if len(l.Steps) == 0 {
		return true
	}
	rec := p.o.Progress.Lesson(l.ID)
	step := 0
	for i, s := range l.Steps {
		if s.ID == rec.Step {
			step = i
		}
	}
	hints := map[int]int{}
	solution := map[int]bool{}
	ran := map[int]int{} // step → runnable commands run so far
	show := true
	for {
		s := l.Steps[step]
		cmds := s.RunnableCommands()
		if show {
			p.o.Progress.Change(l.ID, func(r *progress.Lesson) {
				r.Step = s.ID
				if len(s.Checks) == 0 {
					r.StepOf(s.ID).Done = true // nothing to verify: reading the step is doing it
				}
			})
			p.save()
			fmt.Fprintf(p.out, "\n"+p.t.StepTitle+"\n\n", step+1, len(l.Steps), s.Title)
			fmt.Fprintln(p.out, plainText(p.md.render(unwrapListItems(s.Body), plainWidth)))
			for _, c := range s.Cmds {
				suffix := ""
				if c.NoRun {
					suffix = "  " + p.t.PlainNoRun
				}
				fmt.Fprintf(p.out, "  $ %s%s\n", c.Line, suffix)
			}
			show = false
		}
		if ran[step] < len(cmds) {
			fmt.Fprintf(p.out, p.t.PlainNext+"\n", cmds[ran[step]])
		}
		line, ok := read(p.t.PlainPrompt)
		if !ok {
			return false
		}
		switch line {
		case "q":
			return false
		case "m":
			return true
		case "n":
			if step < len(l.Steps)-1 {
				step++
				show = true
			} else if len(l.Quiz) > 0 {
				if !p.quiz(l, read) {
					return false
				}
			}
		case "p":
			if step > 0 {
				step--
				show = true
			}
		case "h":
			if hints[step] < len(s.Hints) {
				hints[step]++
				fmt.Fprintf(p.out, p.t.Hint+": %s\n", hints[step], len(s.Hints), s.Hints[hints[step]-1])
			} else {
				solution[step] = true
				fmt.Fprintf(p.out, "%s: %s\n  %s\n", p.t.Solution, p.t.SolutionIntro, strings.Join(cmds, "\n  "))
			}
			p.recordHelp(l, step, hints[step], solution[step], false)
		case "c":
			p.check(l, step, hints[step], solution[step], false)
		case "", "s":
			solve := line == "s"
			if solve {
				solution[step] = true
				p.recordHelp(l, step, hints[step], true, true)
			}
			for ran[step] < len(cmds) {
				c := cmds[ran[step]]
				fmt.Fprintf(p.out, "$ %s\n", c)
				var buf syncBuffer
				err := p.o.Cluster.RunKubectl(p.ctx, c, nil, &buf, &buf)
				fmt.Fprint(p.out, buf.String())
				if err != nil {
					fmt.Fprintln(p.out, err.Error())
					break
				}
				ran[step]++
				if !solve {
					break
				}
			}
			p.check(l, step, hints[step], solution[step], solve)
		default:
			fmt.Fprintln(p.out, p.t.PlainBad)
		}
	}
}

func (p *plainPlayer) save() {
	if err := p.o.Progress.Save(); err != nil {
		fmt.Fprintf(p.out, "%s: %v\n", p.t.ProgressNote, err)
	}
}

func (p *plainPlayer) recordHelp(l lessons.Lesson, step, hints int, solution, solved bool) {
	id := l.Steps[step].ID
	p.o.Progress.Change(l.ID, func(r *progress.Lesson) {
		st := r.StepOf(id)
		st.Hints = max(st.Hints, hints)
		st.Solution = st.Solution || solution
		st.Solved = st.Solved || solved
	})
	p.save()
}

// check evaluates the step's checks once and prints each result.
func (p *plainPlayer) check(l lessons.Lesson, step, hints int, solution, solved bool) {
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
		line := mark + " " + r.Desc
		if r.Detail != "" {
			line += ": " + r.Detail
		}
		fmt.Fprintln(p.out, line)
	}
	if lessons.Passed(res) {
		fmt.Fprintln(p.out, "✓ "+p.t.Done)
		id := s.ID
		p.o.Progress.Change(l.ID, func(r *progress.Lesson) {
			st := r.StepOf(id)
			if !st.Done {
				st.Done = true
				st.WithHelp = st.Hints > 0 || st.Solution || st.Solved || hints > 0 || solution || solved
			}
		})
		p.save()
	}
}

// quiz asks every question once; false means the input ended.
func (p *plainPlayer) quiz(l lessons.Lesson, read func(string) (string, bool)) bool {
	right := 0
	for qi, q := range l.Quiz {
		fmt.Fprintf(p.out, "\n"+p.t.QuizTitle+": %s\n", qi+1, len(l.Quiz), q.Question)
		for i, c := range q.Choices {
			fmt.Fprintf(p.out, "  %d. %s\n", i+1, c.Text)
		}
		for {
			line, ok := read("> ")
			if !ok {
				return false
			}
			n, err := strconv.Atoi(line)
			if err != nil || n < 1 || n > len(q.Choices) {
				fmt.Fprintln(p.out, p.t.PlainBad)
				continue
			}
			c := q.Choices[n-1]
			verdict := p.t.QuizWrong
			if c.Correct {
				verdict = p.t.QuizRight
				right++
			}
			fmt.Fprintf(p.out, "%s %s\n", verdict, c.Why)
			p.o.Progress.Change(l.ID, func(r *progress.Lesson) {
				if r.Quiz == nil {
					r.Quiz = map[int]progress.Answer{}
				}
				if _, ok := r.Quiz[qi]; !ok {
					r.Quiz[qi] = progress.Answer{Choice: n - 1, Correct: c.Correct}
				}
			})
			p.save()
			break
		}
	}
	fmt.Fprintf(p.out, p.t.QuizResult+"\n", right, len(l.Quiz))
	return true
}
