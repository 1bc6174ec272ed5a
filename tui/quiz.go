package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	xansi "github.com/charmbracelet/x/ansi"

	"github.com/kubetutor/kubetutor/tui/lessonstate"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// quizPane is the end-of-lesson quiz, in the step pane's place: one question at a time,
// choices picked with the arrows, after an answer why it is right or wrong, and after the
// last one the finish page. What counts (first answers) lives in the lesson's state machine
// (play); the pane keeps only what it shows.
type quizPane struct {
	st   *Styles
	t    text
	play *lessonstate.Play
	host quizHost
	km   QuizKeyMap

	q   int
	sel int
	// finish: the finish page shows (score, missed questions, what next).
	finish bool
	fin    viewport.Model
	total  int

	width, height int
}

// quizHost is what the quiz asks of the lesson view that holds it.
type quizHost interface {
	// recordAnswer saves an answer the state machine took as first.
	recordAnswer(question, choice int) tea.Cmd
	// closeQuiz goes back to the steps.
	closeQuiz()
	// nextLesson opens the catalog's next lesson; hasNext says whether there is one.
	nextLesson() tea.Cmd
	hasNext() bool
	inlineMD(s string, w int) string
	finishText(w int) string
}

func newQuizPane(st *Styles, t text, play *lessonstate.Play, host quizHost) *quizPane {
	return &quizPane{st: st, t: t, play: play, host: host, km: DefaultQuizKeyMap(t),
		total: len(play.Lesson().Quiz), fin: viewport.New(0, 0)}
}

func (v *lessonView) openQuiz() tea.Cmd {
	if len(v.lesson.Quiz) == 0 {
		return nil
	}
	v.quiz = newQuizPane(v.st, v.t, v.play, v)
	v.quiz.SetSize(v.rects[focusStep].w, v.rects[focusStep].h)
	if p := v.deps.progress; p != nil {
		for q, a := range p.Lesson(v.lesson.ID).Quiz {
			v.play.RestoreAnswer(q, a.Choice)
		}
	}
	// The quiz is what the learner works in now: it takes the focus (its ▸ and ↑ ↓),
	// whichever pane had it.
	v.setFocus(focusStep)
	// Enter answers now: the output pane must not offer it for a command.
	v.outP.setIdle(v.t.QuizIdle)
	v.updateKeys()
	return nil
}

// closeQuiz implements quizHost: p goes back to the steps.
func (v *lessonView) closeQuiz() {
	v.quiz = nil
	v.syncStep()
}

func (v *lessonView) hasNext() bool { return v.deps.next != nil }

// nextLesson implements quizHost.
func (v *lessonView) nextLesson() tea.Cmd {
	if v.deps.next == nil {
		return nil
	}
	next := v.deps.next.index
	v.close()
	return func() tea.Msg { return startLessonMsg{index: next} }
}

// setText switches the quiz's words to another language.
func (q *quizPane) setText(t text) {
	q.t, q.km = t, DefaultQuizKeyMap(t)
}

// keys is the quiz's key map as it stands.
func (q *quizPane) keys() QuizKeyMap {
	k := q.km
	quiz := q.play.Lesson().Quiz
	if q.finish {
		k.Up.SetEnabled(!q.fin.AtTop())
		k.Down.SetEnabled(!q.fin.AtBottom())
		k.Answer.SetEnabled(false)
		k.Next.SetEnabled(false)
		k.NextLesson.SetEnabled(q.host.hasNext())
		k.Steps.SetEnabled(true)
		return k
	}
	n := len(quiz[q.q].Choices)
	_, answered := q.play.Shown(q.q)
	k.Up.SetEnabled(q.sel > 0)
	k.Down.SetEnabled(q.sel < n-1)
	k.Answer.SetEnabled(n > 0)
	// After the last question n shows the results, once every question has an answer.
	k.Next.SetEnabled(q.q < len(quiz)-1 || (answered && q.play.QuizDone()))
	if q.q == len(quiz)-1 {
		k.Next.SetHelp("n", q.t.KeyResults)
	}
	k.NextLesson.SetEnabled(false)
	k.Steps.SetEnabled(true)
	return k
}

// Init implements Component.
func (q *quizPane) Init() tea.Cmd { return nil }

// SetSize implements Component.
func (q *quizPane) SetSize(w, h int) {
	q.width, q.height = w, h
	q.refreshFinish()
}

// ShortHelp implements help.KeyMap.
func (q *quizPane) ShortHelp() []key.Binding { return q.keys().ShortHelp() }

// FullHelp implements help.KeyMap.
func (q *quizPane) FullHelp() [][]key.Binding { return q.keys().FullHelp() }

// Update implements Component: the quiz's keys.
func (q *quizPane) Update(msg tea.Msg) (Component, tea.Cmd) {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return q, nil
	}
	k := q.keys()
	quiz := q.play.Lesson().Quiz
	if q.finish {
		switch {
		case key.Matches(km, k.Up):
			q.fin.ScrollUp(1)
		case key.Matches(km, k.Down):
			q.fin.ScrollDown(1)
		case key.Matches(km, k.NextLesson):
			return q, q.host.nextLesson()
		case key.Matches(km, k.Steps):
			q.finish = false // back to the last question
		}
		return q, nil
	}
	var cmd tea.Cmd
	switch {
	case key.Matches(km, k.Up):
		q.sel--
	case key.Matches(km, k.Down):
		q.sel++
	case key.Matches(km, k.Answer):
		if q.play.Answer(q.q, q.sel) {
			cmd = q.host.recordAnswer(q.q, q.sel)
		}
	case key.Matches(km, k.Next):
		if q.q == len(quiz)-1 {
			q.finish = true
			q.refreshFinish()
			q.fin.GotoTop()
			break
		}
		q.q++
		q.sel = 0
	case key.Matches(km, k.Steps):
		q.host.closeQuiz()
		return q, nil
	}
	q.q = clamp(q.q, 0, len(quiz)-1)
	q.sel = clamp(q.sel, 0, len(quiz[q.q].Choices)-1)
	return q, cmd
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

func (q *quizPane) status(t text) string {
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

// View renders the current question, or the finish page, in its size.
func (q *quizPane) View() string {
	w, h := q.width, q.height
	if w <= 0 || h <= 0 {
		return ""
	}
	if q.finish {
		return q.finishView(w, h)
	}
	l, st, t, v := q.play.Lesson(), q.st, q.t, q.host
	qq := l.Quiz[q.q]
	var b []string
	b = append(b, paneHeader(st, fmt.Sprintf(t.QuizTitle, q.q+1, len(l.Quiz)), "", w, true))
	b = append(b, v.inlineMD(qq.Question, w), "")
	shown, answered := q.play.Shown(q.q)
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
		if first, ok := q.play.First(q.q); ok && first != shown {
			b = append(b, st.Dim.Render(v.inlineMD(t.QuizFirstCounts, w)))
		}
		if q.play.QuizDone() && q.q == len(l.Quiz)-1 {
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

// refreshFinish lays out the finish page at the pane's width (its scroll keys depend on it).
func (q *quizPane) refreshFinish() {
	if !q.finish || q.width <= 0 {
		return
	}
	q.fin.Width, q.fin.Height = q.width, max(0, q.height-1)
	y := q.fin.YOffset
	q.fin.SetContent(q.host.finishText(q.width))
	q.fin.SetYOffset(y)
}

func (q *quizPane) finishView(w, h int) string {
	q.refreshFinish()
	hint := ""
	switch f := &q.fin; {
	case f.Height <= 0 || f.TotalLineCount() <= f.Height:
	case f.AtTop():
		hint = q.t.ScrollDown
	case f.AtBottom():
		hint = q.t.ScrollUp
	default:
		hint = q.t.ScrollBoth
	}
	if hint != "" {
		hint = q.st.Dim.Render(hint)
	}
	head := paneHeader(q.st, q.t.FinishTitle+": "+q.play.Lesson().Title, hint, w, true)
	return fit(head+"\n"+q.fin.View(), w, h)
}

// lessonRef names another lesson of the catalog (the finish page's "next lesson").
type lessonRef struct {
	index int
	title string
}
