package lessonstate

import (
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
)

func testLesson() lessons.Lesson {
	return lessons.Lesson{ID: "l", Steps: []lessons.Step{
		{ID: "a", Commands: []string{"kubectl get pods"}},
		{ID: "b", Cmds: []lessons.Command{{Line: "kubectl get pods -w", NoRun: true}, {Line: "kubectl apply -f web.yaml"}, {Line: "kubectl get sts"}},
			Checks: []lessons.Check{{Desc: "web exists"}}, Hints: []string{"h1"}},
	}, Quiz: []lessons.Question{
		{Question: "q1", Choices: []lessons.Choice{{Text: "no", Why: "w-no"}, {Text: "yes", Correct: true, Why: "w-yes"}}},
		{Question: "q2", Choices: []lessons.Choice{{Text: "yes", Correct: true, Why: "w2"}, {Text: "no"}}},
	}}
}

// TestIncarnateForgetsEveryStepsRuns: a reset or replay clears the run marks of every step,
// not only the one shown (issue 13, item 2), and a run from before it counts for nothing.
func TestIncarnateForgetsEveryStepsRuns(t *testing.T) {
	p := New(testLesson())
	p.Go(1)
	inc := p.Incarnation()
	if !p.CommandRan(1, 1, inc) || p.NextCmd() != 2 || p.Left() != 1 {
		t.Fatalf("after one run: next %d left %d", p.NextCmd(), p.Left())
	}
	p.SetResults(1, []lessons.CheckResult{{Desc: "web exists", OK: true}})
	p.Go(0)
	p.CommandRan(0, 0, inc)
	p.Incarnate()
	for i := 0; i < p.Len(); i++ {
		for j, r := range p.State(i).Ran {
			if r {
				t.Errorf("step %d command %d still marked run after Incarnate", i, j)
			}
		}
		if p.State(i).Checked {
			t.Errorf("step %d keeps check results of the old cluster", i)
		}
	}
	if !p.State(1).Done {
		t.Error("a done step lost its done mark")
	}
	if p.CommandRan(1, 2, inc) {
		t.Error("a run from the old incarnation counted")
	}
	p.Go(1)
	if p.NextCmd() != 1 || p.Left() != 2 {
		t.Errorf("step 2 after reset: next %d left %d, want 1 and 2", p.NextCmd(), p.Left())
	}
}

// TestStepStartHook: entering a step and restarting it after a replay both call the hook
// with the current incarnation.
func TestStepStartHook(t *testing.T) {
	p := New(testLesson())
	type call struct{ step, inc int }
	var calls []call
	p.OnStepStart = func(s, i int) { calls = append(calls, call{s, i}) }
	if !p.Go(0) {
		t.Error("a step without checks is not done on entry")
	}
	p.Incarnate()
	p.SetStep(1)
	if len(calls) != 1 {
		t.Fatalf("SetStep called the hook: %v", calls)
	}
	p.Go(1)
	if len(calls) != 2 || calls[1] != (call{1, 1}) {
		t.Errorf("calls = %v, want [{0 0} {1 1}]", calls)
	}
}

// TestQuizFirstAnswerCounts: only the first answer scores; later ones change the shown
// explanation; the summary lists the missed question with its right answer.
func TestQuizFirstAnswerCounts(t *testing.T) {
	p := New(testLesson())
	if !p.Answer(0, 0) || p.Answer(0, 1) {
		t.Fatal("first/second answer not told apart")
	}
	if c, _ := p.Shown(0); c != 1 {
		t.Errorf("shown = %d, want the latest answer 1", c)
	}
	if p.QuizDone() || p.Finished() {
		t.Error("finished with a question unanswered")
	}
	p.Answer(1, 0)
	right, n := p.Score()
	if right != 1 || n != 2 || !p.Finished() {
		t.Fatalf("score %d/%d finished %v", right, n, p.Finished())
	}
	sum := p.Summary()
	if len(sum.Missed) != 1 || sum.Missed[0].Index != 0 || sum.Missed[0].Chosen != "no" || sum.Missed[0].Right != "yes" || sum.Missed[0].Why != "w-yes" {
		t.Errorf("missed = %+v", sum.Missed)
	}
	p.ResetAll()
	if _, n := p.Score(); n != 0 {
		t.Error("ResetAll kept quiz answers")
	}
	if p.Answer(5, 0) || p.Answer(0, 9) {
		t.Error("out-of-range answers accepted")
	}
}

// TestHelpGrowsThenSolution: hints one by one, then the solution, then nothing.
func TestHelpGrowsThenSolution(t *testing.T) {
	p := New(testLesson())
	p.Go(1)
	if !p.MoreHelp() || p.State(1).Hints != 1 {
		t.Fatal("first hint")
	}
	if !p.MoreHelp() || !p.State(1).Solution {
		t.Fatal("solution after the last hint")
	}
	if p.MoreHelp() || p.HintsLeft() {
		t.Error("help beyond the solution")
	}
}

// Practice mode: a typed line marks the matching command run (spacing and a leading kubectl
// aside, the watch-only command never), help is the three-level ladder, and a step done
// after a reveal counts as helped.
func TestPracticeTypedAndLadder(t *testing.T) {
	p := New(testLesson())
	p.SetPractice(true)
	p.Go(1)
	if got := p.Typed("kubectl get pods -w"); got != -1 {
		t.Errorf("the shown-only command counted: %d", got)
	}
	if got := p.Typed("  apply   -f web.yaml "); got != 1 {
		t.Errorf("typed apply matched %d, want 1", got)
	}
	if got := p.Typed("kubectl apply -f web.yaml"); got != -1 {
		t.Errorf("a command already run counted again: %d", got)
	}
	if got := p.Typed("kubectl get sts web"); got != -1 {
		t.Errorf("another command counted: %d", got)
	}
	for i := 0; i < PracticeLevels; i++ {
		if !p.MoreHelp() {
			t.Fatalf("hint %d refused", i+1)
		}
	}
	if p.HintsLeft() || p.MoreHelp() {
		t.Error("help beyond the full command")
	}
	p.SetResults(1, []lessons.CheckResult{{OK: true}})
	if s := p.Summary(); s.Helped != 1 {
		t.Errorf("helped = %d, want 1", s.Helped)
	}
	// Back to guided: the ladder is the step's own hints again.
	p.SetPractice(false)
	if st := p.State(1); st.Hints != 1 {
		t.Errorf("hints clamped to %d, want 1", st.Hints)
	}
}

// TestSolutionIntroFollowsRuns: the solution offers s while a runnable command is left, says
// they all ran once none is, and offers s again after a reset forgets the runs.
func TestSolutionIntroFollowsRuns(t *testing.T) {
	p := New(testLesson())
	p.Go(1)
	if got := p.SolutionIntro(); got != SolutionRunsForYou {
		t.Fatalf("nothing ran: intro %d, want SolutionRunsForYou", got)
	}
	inc := p.Incarnation()
	p.CommandRan(1, 1, inc)
	if got := p.SolutionIntro(); got != SolutionRunsForYou {
		t.Fatalf("one of two ran: intro %d, want SolutionRunsForYou", got)
	}
	p.CommandRan(1, 2, inc) // the NoRun watch command never counts as left
	if got := p.SolutionIntro(); got != SolutionAllRan {
		t.Fatalf("all ran: intro %d, want SolutionAllRan", got)
	}
	p.Incarnate()
	if got := p.SolutionIntro(); got != SolutionRunsForYou {
		t.Errorf("after a reset: intro %d, want SolutionRunsForYou", got)
	}
}
