package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// quizState is the end-of-lesson quiz: one question at a time, choices picked with the
// arrows, and after an answer why it is right or wrong.
type quizState struct {
	q   int
	sel int
	// first is the learner's first answer to each question (what counts); shown is the
	// choice whose explanation is on screen.
	first map[int]int
	shown map[int]int
	total int
}

func (v *lessonView) openQuiz() tea.Cmd {
	if len(v.lesson.Quiz) == 0 {
		return nil
	}
	v.quiz = &quizState{first: map[int]int{}, shown: map[int]int{}, total: len(v.lesson.Quiz)}
	if p := v.deps.progress; p != nil {
		for q, a := range p.Lesson(v.lesson.ID).Quiz {
			v.quiz.first[q] = a.Choice
		}
	}
	v.watchP.focused = false
	v.updateKeys()
	return nil
}

func (q *quizState) updateKeys(k *QuizKeyMap, l lessons.Lesson) {
	n := len(l.Quiz[q.q].Choices)
	k.Up.SetEnabled(q.sel > 0)
	k.Down.SetEnabled(q.sel < n-1)
	k.Answer.SetEnabled(n > 0)
	k.Next.SetEnabled(q.q < len(l.Quiz)-1)
	k.Steps.SetEnabled(true)
}

// quizKey handles the quiz's keys; ok is false for any other key.
func (v *lessonView) quizKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	q, k := v.quiz, v.qk
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, k.Up):
		q.sel--
	case key.Matches(msg, k.Down):
		q.sel++
	case key.Matches(msg, k.Answer):
		q.shown[q.q] = q.sel
		if _, ok := q.first[q.q]; !ok {
			q.first[q.q] = q.sel
			cmd = v.recordAnswer(q.q, q.sel)
		}
	case key.Matches(msg, k.Next):
		q.q++
		q.sel = 0
	case key.Matches(msg, k.Steps):
		v.quiz = nil
		v.updateKeys()
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
	ch := v.lesson.Quiz[question].Choices
	correct := choice < len(ch) && ch[choice].Correct
	p.Change(v.lesson.ID, func(l *progress.Lesson) {
		if l.Quiz == nil {
			l.Quiz = map[int]progress.Answer{}
		}
		l.Quiz[question] = progress.Answer{Choice: choice, Correct: correct}
	})
	return v.save()
}

// score counts right first answers.
func (q *quizState) score(l lessons.Lesson) (right, answered int) {
	for i, c := range q.first {
		if i < len(l.Quiz) && c < len(l.Quiz[i].Choices) {
			answered++
			if l.Quiz[i].Choices[c].Correct {
				right++
			}
		}
	}
	return right, answered
}

func (q *quizState) status(t text) string {
	return fmt.Sprintf(t.QuizTitle, q.q+1, max(1, q.total))
}

// view renders the current question in w×h cells.
func (q *quizState) view(v *lessonView, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	l, st, t := v.lesson, v.st, v.t
	qq := l.Quiz[q.q]
	wrap := func(s string, indent int) string {
		return st.NewStyle().Width(max(4, w-indent)).Render(s)
	}
	indent := func(s, prefix string) string {
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
	var b []string
	b = append(b, paneHeader(st, fmt.Sprintf(t.QuizTitle, q.q+1, len(l.Quiz)), "", w, true))
	b = append(b, wrap(qq.Question, 0), "")
	shown, answered := q.shown[q.q]
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
		line := indent(wrap(c.Text, 4), mark)
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
		b = append(b, wrap(verdict+" "+c.Why, 0))
	} else {
		b = append(b, st.Dim.Render(wrap(t.QuizIntro, 0)))
	}
	if right, n := q.score(l); n == len(l.Quiz) {
		b = append(b, "", st.Done.Render(wrap(fmt.Sprintf(t.QuizResult, right, n), 0)))
	}
	return fit(strings.Join(b, "\n"), w, h)
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
		{h.q.Up, h.q.Down, h.q.Answer, h.q.Next, h.q.Steps},
		{h.k.Focus, h.l.View, h.l.ResetLesson, h.l.Lang, h.k.Back},
		{h.l.Pause, h.l.StepOnce, h.l.Slower, h.l.Faster, h.l.TimeReal},
	}
}
