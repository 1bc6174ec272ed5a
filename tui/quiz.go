package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	xansi "github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// quizState is the end-of-lesson quiz on screen: one question at a time, choices picked with
// the arrows, after an answer why it is right or wrong, and after the last one the finish
// page. What counts (first answers) lives in the lesson's state machine (v.play).
type quizState struct {
	q   int
	sel int
	// finish: the finish page shows (score, missed questions, what next).
	finish bool
	fin    viewport.Model
	total  int
}

func (v *lessonView) openQuiz() tea.Cmd {
	if len(v.lesson.Quiz) == 0 {
		return nil
	}
	v.quiz = &quizState{total: len(v.lesson.Quiz), fin: viewport.New(0, 0)}
	if p := v.deps.progress; p != nil {
		for q, a := range p.Lesson(v.lesson.ID).Quiz {
			v.play.RestoreAnswer(q, a.Choice)
		}
	}
	v.watchP.focused = false
	// Enter answers now: the output pane must not offer it for a command.
	v.outP.setIdle(v.t.QuizIdle)
	v.updateKeys()
	return nil
}

func (q *quizState) updateKeys(k *QuizKeyMap, v *lessonView) {
	l := v.lesson
	if q.finish {
		k.Up.SetEnabled(!q.fin.AtTop())
		k.Down.SetEnabled(!q.fin.AtBottom())
		k.Answer.SetEnabled(false)
		k.Next.SetEnabled(false)
		k.NextLesson.SetEnabled(v.deps.next != nil)
		k.Steps.SetEnabled(true)
		return
	}
	n := len(l.Quiz[q.q].Choices)
	_, answered := v.play.Shown(q.q)
	k.Up.SetEnabled(q.sel > 0)
	k.Down.SetEnabled(q.sel < n-1)
	k.Answer.SetEnabled(n > 0)
	// After the last question n shows the results, once every question has an answer.
	k.Next.SetEnabled(q.q < len(l.Quiz)-1 || (answered && v.play.QuizDone()))
	if q.q == len(l.Quiz)-1 {
		k.Next.SetHelp("n", v.t.KeyResults)
	}
	k.NextLesson.SetEnabled(false)
	k.Steps.SetEnabled(true)
}

// quizKey handles the quiz's keys; ok is false for any other key.
func (v *lessonView) quizKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	q, k := v.quiz, v.qk
	var cmd tea.Cmd
	if q.finish {
		switch {
		case key.Matches(msg, k.Up):
			q.fin.ScrollUp(1)
		case key.Matches(msg, k.Down):
			q.fin.ScrollDown(1)
		case key.Matches(msg, k.NextLesson):
			next := v.deps.next.index
			v.close()
			return func() tea.Msg { return startLessonMsg{index: next} }, true
		case key.Matches(msg, k.Steps):
			q.finish = false // back to the last question
		default:
			return nil, false
		}
		v.updateKeys()
		return nil, true
	}
	switch {
	case key.Matches(msg, k.Up):
		q.sel--
	case key.Matches(msg, k.Down):
		q.sel++
	case key.Matches(msg, k.Answer):
		if v.play.Answer(q.q, q.sel) {
			cmd = v.recordAnswer(q.q, q.sel)
		}
	case key.Matches(msg, k.Next):
		if q.q == len(v.lesson.Quiz)-1 {
			q.finish = true
			q.fin.GotoTop()
			break
		}
		q.q++
		q.sel = 0
	case key.Matches(msg, k.Steps):
		v.quiz = nil
		v.syncStep()
		return nil, true
	default:
		return nil, false
	}
	q.q = clamp(q.q, 0, len(v.lesson.Quiz)-1)
	q.sel = clamp(q.sel, 0, len(v.lesson.Quiz[q.q].Choices)-1)
	v.updateKeys()
	return cmd, true
}

func (v *lessonView) recordAnswer(question, choice int) tea.Cmd {
	p := v.deps.progress
	if p == nil {
		return nil
	}
	correct := v.play.Correct(question, choice)
	p.Change(v.lesson.ID, func(l *progress.Lesson) {
		if l.Quiz == nil {
			l.Quiz = map[int]progress.Answer{}
		}
		l.Quiz[question] = progress.Answer{Choice: choice, Correct: correct}
	})
	return v.save()
}

func (q *quizState) status(t text) string {
	if q.finish {
		return t.FinishTitle
	}
	return fmt.Sprintf(t.QuizTitle, q.q+1, max(1, q.total))
}

// inlineMD renders a short piece of lesson Markdown (a question, a choice, an explanation)
// to w cells without the document margin, so backticks and stars never show raw.
func (v *lessonView) inlineMD(s string, w int) string {
	if v.deps.md == nil {
		return v.st.NewStyle().Width(max(4, w)).Render(s)
	}
	out := v.deps.md.render(s, w+2) // glamour's document margin is 2 cells, more in some styles
	lines := strings.Split(out, "\n")
	cut := -1
	for _, l := range lines {
		p := xansi.Strip(l)
		if strings.TrimSpace(p) == "" {
			continue
		}
		if n := len(p) - len(strings.TrimLeft(p, " ")); cut < 0 || n < cut {
			cut = n
		}
	}
	for i, l := range lines {
		if cut > 0 {
			l = xansi.TruncateLeft(l, cut, "")
		}
		lines[i] = trimBlank(l)
	}
	return strings.Join(lines, "\n")
}

// indentBlock puts prefix before the first line of s and as many spaces before the others.
func indentBlock(s, prefix string) string {
	lines := strings.Split(s, "\n")
	pad := strings.Repeat(" ", lipgloss.Width(prefix))
	for i := range lines {
		if i == 0 {
			lines[i] = prefix + lines[i]
		} else {
			lines[i] = pad + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// view renders the current question, or the finish page, in w×h cells.
func (q *quizState) view(v *lessonView, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if q.finish {
		return q.finishView(v, w, h)
	}
	l, st, t := v.lesson, v.st, v.t
	qq := l.Quiz[q.q]
	var b []string
	b = append(b, paneHeader(st, fmt.Sprintf(t.QuizTitle, q.q+1, len(l.Quiz)), "", w, true))
	b = append(b, v.inlineMD(qq.Question, w), "")
	shown, answered := v.play.Shown(q.q)
	for i, c := range qq.Choices {
		mark := "  "
		if i == q.sel {
			mark = "▶ "
		}
		if answered && i == shown {
			if c.Correct {
				mark = "✓ "
			} else {
				mark = "✗ "
			}
		}
		line := indentBlock(v.inlineMD(c.Text, w-4), mark)
		switch {
		case answered && i == shown && c.Correct:
			line = st.Done.Render(line)
		case answered && i == shown:
			line = st.Error.Render(line)
		case i == q.sel:
			line = st.CmdNext.Render(line)
		}
		b = append(b, line)
	}
	b = append(b, "")
	if answered {
		c := qq.Choices[shown]
		verdict := t.QuizWrong
		if c.Correct {
			verdict = t.QuizRight
		}
		b = append(b, v.inlineMD(verdict+" "+c.Why, w))
		if first, ok := v.play.First(q.q); ok && first != shown {
			b = append(b, st.Dim.Render(v.inlineMD(t.QuizFirstCounts, w)))
		}
		if v.play.QuizDone() && q.q == len(l.Quiz)-1 {
			b = append(b, "", st.CmdNext.Render(v.inlineMD(t.QuizSeeResults, w)))
		}
	} else {
		b = append(b, st.Dim.Render(v.inlineMD(t.QuizIntro, w)))
	}
	return fit(strings.Join(b, "\n"), w, h)
}

// finishText is the finish page's body: the first-try score, the steps, the questions
// missed with their right answers and why, and what the learner can do now.
func (v *lessonView) finishText(w int) string {
	t, st := v.t, v.st
	sum := v.play.Summary()
	var b []string
	b = append(b, st.Done.Render(v.inlineMD(fmt.Sprintf(t.FinishScore, sum.Right, sum.Total), w)))
	b = append(b, st.Dim.Render(v.inlineMD(t.FinishFirstCounts, w)))
	steps := fmt.Sprintf(t.FinishSteps, sum.StepsDone, sum.Steps)
	if sum.Helped > 0 {
		steps += " " + fmt.Sprintf(t.FinishHelped, sum.Helped)
	}
	b = append(b, v.inlineMD(steps, w))
	if len(sum.Missed) > 0 {
		b = append(b, "", st.Header.Render(t.FinishMissed))
		for _, m := range sum.Missed {
			b = append(b, indentBlock(v.inlineMD(m.Question, w-4), fmt.Sprintf("%d. ", m.Index+1)))
			b = append(b, indentBlock(v.inlineMD(m.Chosen, w-6), "   ✗ "))
			b = append(b, st.Done.Render(indentBlock(v.inlineMD(m.Right, w-6), "   ✓ ")))
			if m.Why != "" {
				b = append(b, indentBlock(v.inlineMD(m.Why, w-5), "     "))
			}
		}
	} else if sum.Total > 0 {
		b = append(b, "", st.Done.Render(v.inlineMD(t.FinishAllRight, w)))
	}
	b = append(b, "", st.Header.Render(t.FinishNow))
	item := func(k, what string) {
		b = append(b, indentBlock(v.inlineMD(what, w-10), fmt.Sprintf("  %-7s ", k)))
	}
	if n := v.deps.next; n != nil {
		item("enter", fmt.Sprintf(t.FinishNext, n.title))
	}
	if v.lk.ResetLesson.Enabled() {
		item("R", t.FinishAgain)
	}
	if v.cluster != nil {
		item(":", t.FinishTry)
	}
	item("esc", t.FinishMenu)
	return strings.Join(b, "\n")
}

func (q *quizState) finishView(v *lessonView, w, h int) string {
	q.fin.Width, q.fin.Height = w, max(0, h-1)
	y := q.fin.YOffset
	q.fin.SetContent(v.finishText(w))
	q.fin.SetYOffset(y)
	hint := ""
	switch f := &q.fin; {
	case f.Height <= 0 || f.TotalLineCount() <= f.Height:
	case f.AtTop():
		hint = v.t.ScrollDown
	case f.AtBottom():
		hint = v.t.ScrollUp
	default:
		hint = v.t.ScrollBoth
	}
	if hint != "" {
		hint = v.st.Dim.Render(hint)
	}
	head := paneHeader(v.st, v.t.FinishTitle+": "+v.lesson.Title, hint, w, true)
	return fit(head+"\n"+q.fin.View(), w, h)
}

// quizHelp is the lesson view's help while the quiz shows.
type quizHelp struct {
	q QuizKeyMap
	k LessonKeyMap
	l LearnKeyMap
}

func (h quizHelp) ShortHelp() []key.Binding { return h.q.ShortHelp() }

func (h quizHelp) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{h.q.Up, h.q.Down, h.q.Answer, h.q.Next, h.q.NextLesson, h.q.Steps},
		{h.k.Focus, h.l.View, h.l.ResetLesson, h.l.Lang, h.k.Back},
		{h.l.Pause, h.l.StepOnce, h.l.Slower, h.l.Faster, h.l.TimeReal},
	}
}

// lessonRef names another lesson of the catalog (the finish page's "next lesson").
type lessonRef struct {
	index int
	title string
}
