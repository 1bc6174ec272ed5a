// Package lessonstate is the lesson player's state machine, free of any UI: which step the
// learner is on, which of its commands ran on the cluster as it is now, what the checks said,
// how much help was used, the quiz's answers and the finish. The Bubble Tea lesson screen,
// the line-by-line player (--plain) and the demo all drive one Play, so they agree on what
// "done", "ran" and "first answer" mean.
//
// # Cluster incarnations
//
// A command's ✓ is only true of the cluster it ran on. Every reset or replay (a fresh
// simulator, earlier steps replayed to reach a step's start) begins a new incarnation with
// Incarnate, which forgets every step's run commands, check results and simulate action;
// done marks, help used and quiz answers are the learner's and stay. A command that
// finishes after a reset reports the incarnation it started in (Incarnation at start) to
// CommandRan, which ignores it when that incarnation is gone.
//
// # Step baselines (hook point)
//
// OnStepStart is called whenever a step starts from a known cluster state: when Go enters a
// step, and after Incarnate for the step shown (the caller calls Restart once the cluster
// has reached that step's start). A player that checks "relative to step start" records
// its baseline there. The hook runs synchronously inside Go/Restart: keep it cheap, or hand
// the work to the UI's own job system.
//
// # Practice mode
//
// SetPractice(true) makes the learner type each command (the UI hides them and Enter runs
// nothing): Typed marks the command a typed line matches as run, and the hint ladder becomes
// Reveal's verb, resource, full command (PracticeLevels). A step done after any reveal
// counts as helped, as in guided mode. The UI stores practice records apart from guided ones.
//
// Where it is driven: tui/lesson.go (newLessonView creates the Play; goStep, prepare and
// the cmdDone/checks messages drive it, the demo included) and tui/plain.go (play). Set
// OnStepStart right after lessonstate.New there.
//
// Play is not safe for concurrent use: one goroutine (the UI loop, or the plain player's
// loop) owns it.
package lessonstate

import (
	"strings"

	"github.com/kubetutor/kubetutor/lessons"
)

// StepState is what the learner has done in one step.
type StepState struct {
	// Ran marks the step's commands that ran successfully on the current incarnation.
	Ran []bool
	// Hints is how many hints are revealed; Solution: the solution is shown (asked past the
	// last hint, or s); Solved: s ran it.
	Hints            int
	Solution, Solved bool
	// Done stays true once the checks held (or the step has none), whatever happens later.
	Done bool
	// Checked: Results come from an evaluation on the current incarnation.
	Checked bool
	Results []lessons.CheckResult
	// Simulated: the step's simulate action ran on the current incarnation.
	Simulated bool
}

// Play is one learner's run through one lesson.
type Play struct {
	lesson      lessons.Lesson
	step        int
	steps       []StepState
	incarnation int
	// first is the first answer to each quiz question, the one that counts; shown is the
	// answer whose explanation is on screen.
	first map[int]int
	shown map[int]int
	// practice: commands are typed by the learner, hints reveal them (SetPractice).
	practice bool

	// OnStepStart, when set, is called with the step and the incarnation each time a step
	// starts from a known state (see the package comment).
	OnStepStart func(step, incarnation int)
}

// New starts a play of l at its first step, incarnation 0. Steps built without the catalog
// loader get Cmds from Commands.
func New(l lessons.Lesson) *Play {
	l = Normalize(l)
	p := &Play{lesson: l, steps: make([]StepState, len(l.Steps)), first: map[int]int{}, shown: map[int]int{}}
	for i, s := range l.Steps {
		p.steps[i].Ran = make([]bool, len(s.Cmds))
	}
	return p
}

// Normalize fills Cmds from Commands for lessons built without the catalog loader.
func Normalize(l lessons.Lesson) lessons.Lesson {
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

// Lesson is the lesson being played.
func (p *Play) Lesson() lessons.Lesson { return p.lesson }

// Len is the number of steps.
func (p *Play) Len() int { return len(p.steps) }

// Step is the index of the current step.
func (p *Play) Step() int { return p.step }

// Cur is the current step (the zero Step for a lesson without steps).
func (p *Play) Cur() lessons.Step {
	if len(p.lesson.Steps) == 0 {
		return lessons.Step{}
	}
	return p.lesson.Steps[p.step]
}

// State is a copy of step i's state (the zero state when i is out of range).
func (p *Play) State(i int) StepState {
	if i < 0 || i >= len(p.steps) {
		return StepState{}
	}
	s := p.steps[i]
	s.Ran = append([]bool(nil), s.Ran...)
	return s
}

// Incarnation numbers the cluster the current Ran marks belong to.
func (p *Play) Incarnation() int { return p.incarnation }

// SetLesson swaps in the same lesson in another language, keeping what the learner did;
// false (and nothing changed) when its steps do not line up.
func (p *Play) SetLesson(l lessons.Lesson) bool {
	l = Normalize(l)
	if len(l.Steps) != len(p.lesson.Steps) {
		return false
	}
	p.lesson = l
	for i, s := range l.Steps {
		if len(p.steps[i].Ran) != len(s.Cmds) {
			ran := make([]bool, len(s.Cmds))
			copy(ran, p.steps[i].Ran)
			p.steps[i].Ran = ran
		}
		// Check descriptions are worded in the lesson's language: evaluate again.
		p.steps[i].Checked, p.steps[i].Results = false, nil
	}
	return true
}

// Go makes step i current (clamped), marks a step without checks done (reading it is doing
// it), and reports whether that mark is new, so the caller saves it.
func (p *Play) Go(i int) (newlyDone bool) {
	if len(p.steps) == 0 {
		return false
	}
	p.step = clamp(i, 0, len(p.steps)-1)
	if len(p.Cur().Checks) == 0 && !p.steps[p.step].Done {
		p.steps[p.step].Done = true
		newlyDone = true
	}
	p.Restart()
	return newlyDone
}

// SetStep moves to step i without entering it (no done mark, no hook): a replay shows the
// step it is preparing before the cluster has reached its start.
func (p *Play) SetStep(i int) {
	if len(p.steps) > 0 {
		p.step = clamp(i, 0, len(p.steps)-1)
	}
}

// Restart says the current step starts now, from a known cluster state: OnStepStart runs.
func (p *Play) Restart() {
	if p.OnStepStart != nil && len(p.steps) > 0 {
		p.OnStepStart(p.step, p.incarnation)
	}
}

// Incarnate begins a new cluster incarnation (a reset or a replay): every step's run
// commands, check results and simulate mark are forgotten; done marks and help stay.
func (p *Play) Incarnate() int {
	p.incarnation++
	for i, s := range p.lesson.Steps {
		p.steps[i].Ran = make([]bool, len(s.Cmds))
		p.steps[i].Checked, p.steps[i].Results = false, nil
		p.steps[i].Simulated = false
	}
	return p.incarnation
}

// ResetAll forgets everything the learner did in the lesson (R), quiz included, and begins
// a new incarnation.
func (p *Play) ResetAll() {
	for i := range p.steps {
		p.steps[i] = StepState{}
	}
	p.first, p.shown = map[int]int{}, map[int]int{}
	p.Incarnate()
}

// Restore sets step i's record from saved progress.
func (p *Play) Restore(i int, done bool, hints int, solution, solved bool) {
	if i < 0 || i >= len(p.steps) {
		return
	}
	s := &p.steps[i]
	s.Done, s.Solution, s.Solved = done, solution, solved
	s.Hints = clamp(hints, 0, p.maxHints(i))
}

// NextCmd is the first runnable command of the current step not yet run on this
// incarnation; -1 when none is left.
func (p *Play) NextCmd() int {
	if len(p.steps) == 0 {
		return -1
	}
	for i, c := range p.Cur().Cmds {
		if !c.NoRun && !p.steps[p.step].Ran[i] {
			return i
		}
	}
	return -1
}

// Left counts the current step's runnable commands not yet run.
func (p *Play) Left() int {
	n := 0
	if len(p.steps) == 0 {
		return 0
	}
	for i, c := range p.Cur().Cmds {
		if !c.NoRun && !p.steps[p.step].Ran[i] {
			n++
		}
	}
	return n
}

// CommandRan records that command cmd of step ran successfully on incarnation inc; a run
// from an incarnation that is gone counts for nothing (false).
func (p *Play) CommandRan(step, cmd, inc int) bool {
	if inc != p.incarnation || step < 0 || step >= len(p.steps) || cmd < 0 || cmd >= len(p.steps[step].Ran) {
		return false
	}
	p.steps[step].Ran[cmd] = true
	return true
}

// MarkSimulated records that the current step's simulate action ran; false when it already
// had on this incarnation, or the step needs none (done, or no simulate field).
func (p *Play) MarkSimulated() bool {
	s := &p.steps[p.step]
	if p.Cur().Simulate == nil || s.Done || s.Simulated {
		return false
	}
	s.Simulated = true
	return true
}

// SetResults records one evaluation of step's checks and reports whether the step became
// done by it.
func (p *Play) SetResults(step int, res []lessons.CheckResult) (newlyDone bool) {
	if step < 0 || step >= len(p.steps) {
		return false
	}
	s := &p.steps[step]
	s.Results, s.Checked = res, true
	if lessons.Passed(res) && !s.Done {
		s.Done = true // done stays done, even if the learner moves on and state changes
		return true
	}
	return false
}

// HintsLeft reports whether more help remains on the current step: a hint, else the solution.
func (p *Play) HintsLeft() bool {
	if len(p.steps) == 0 {
		return false
	}
	s, c := p.steps[p.step], p.Cur()
	if p.practice {
		return s.Hints < p.maxHints(p.step)
	}
	return s.Hints < len(c.Hints) || (!s.Solution && len(c.RunnableCommands()) > 0)
}

// MoreHelp reveals the next hint, or after the last one the solution; false when nothing
// is left.
func (p *Play) MoreHelp() bool {
	if !p.HintsLeft() {
		return false
	}
	s := &p.steps[p.step]
	if p.practice {
		s.Hints++
		return true
	}
	if s.Hints < len(p.Cur().Hints) {
		s.Hints++
	} else {
		s.Solution = true
	}
	return true
}

// SolutionIntro is how a shown solution is introduced; every front end (the full-screen
// player, --plain, the demo) asks the play, so they never disagree.
type SolutionIntro int

const (
	// SolutionRunsForYou: runnable commands are left, s runs them.
	SolutionRunsForYou SolutionIntro = iota
	// SolutionAllRan: every runnable command ran on this incarnation; s would do nothing,
	// so the learner is not told to press it.
	SolutionAllRan
)

// SolutionIntro says how to introduce the current step's solution now.
func (p *Play) SolutionIntro() SolutionIntro {
	if p.NextCmd() < 0 {
		return SolutionAllRan
	}
	return SolutionRunsForYou
}

// Solve marks the current step's solution as shown and run for the learner (s).
func (p *Play) Solve() {
	if len(p.steps) > 0 {
		p.steps[p.step].Solution, p.steps[p.step].Solved = true, true
	}
}

// UndoneBefore lists (0-based) the steps before i that are not done.
func (p *Play) UndoneBefore(i int) []int {
	var out []int
	for j := 0; j < i && j < len(p.steps); j++ {
		if !p.steps[j].Done {
			out = append(out, j)
		}
	}
	return out
}

// StepsDone reports whether every step is done.
func (p *Play) StepsDone() bool {
	return len(p.steps) > 0 && len(p.UndoneBefore(len(p.steps))) == 0
}

// --- quiz ----------------------------------------------------------------------------------

// Answer records choice for question q and reports whether it was the first answer, the
// one that counts; later answers only change which explanation shows.
func (p *Play) Answer(q, choice int) (first bool) {
	if q < 0 || q >= len(p.lesson.Quiz) || choice < 0 || choice >= len(p.lesson.Quiz[q].Choices) {
		return false
	}
	p.shown[q] = choice
	if _, ok := p.first[q]; ok {
		return false
	}
	p.first[q] = choice
	return true
}

// RestoreAnswer sets question q's first answer from saved progress.
func (p *Play) RestoreAnswer(q, choice int) {
	if q >= 0 && q < len(p.lesson.Quiz) && choice >= 0 && choice < len(p.lesson.Quiz[q].Choices) {
		p.first[q] = choice
	}
}

// Shown is the answer whose explanation question q shows, if any.
func (p *Play) Shown(q int) (int, bool) {
	c, ok := p.shown[q]
	return c, ok
}

// First is question q's first answer, if any.
func (p *Play) First(q int) (int, bool) {
	c, ok := p.first[q]
	return c, ok
}

// Correct reports whether choice is a right answer to question q.
func (p *Play) Correct(q, choice int) bool {
	return q >= 0 && q < len(p.lesson.Quiz) && choice >= 0 && choice < len(p.lesson.Quiz[q].Choices) &&
		p.lesson.Quiz[q].Choices[choice].Correct
}

// Score counts the right first answers and the questions answered.
func (p *Play) Score() (right, answered int) {
	for q, c := range p.first {
		if q < len(p.lesson.Quiz) {
			answered++
			if p.Correct(q, c) {
				right++
			}
		}
	}
	return right, answered
}

// QuizDone reports whether every question has an answer.
func (p *Play) QuizDone() bool {
	_, n := p.Score()
	return len(p.lesson.Quiz) > 0 && n == len(p.lesson.Quiz)
}

// Finished reports whether the lesson is over: the quiz is answered, or there is none and
// every step is done.
func (p *Play) Finished() bool {
	if len(p.lesson.Quiz) > 0 {
		return p.QuizDone()
	}
	return p.StepsDone()
}

// Missed is one question whose first answer was wrong, with what the finish shows of it.
type Missed struct {
	Index    int
	Question string
	Chosen   string
	// Right is the (first) right choice and its explanation.
	Right, Why string
}

// Summary is the finish: the first-try score and what was missed.
type Summary struct {
	Right, Total int
	Missed       []Missed
	// StepsDone counts done steps; Helped those done with a hint or the solution.
	StepsDone, Steps, Helped int
}

// Summary sums up the play for the finish screen.
func (p *Play) Summary() Summary {
	right, _ := p.Score()
	sum := Summary{Right: right, Total: len(p.lesson.Quiz), Steps: len(p.steps)}
	for _, s := range p.steps {
		if s.Done {
			sum.StepsDone++
			if s.Hints > 0 || s.Solution || s.Solved {
				sum.Helped++
			}
		}
	}
	for q, qq := range p.lesson.Quiz {
		c, ok := p.first[q]
		if !ok || p.Correct(q, c) {
			continue
		}
		m := Missed{Index: q, Question: qq.Question, Chosen: qq.Choices[c].Text}
		for _, ch := range qq.Choices {
			if ch.Correct {
				m.Right, m.Why = ch.Text, ch.Why
				break
			}
		}
		sum.Missed = append(sum.Missed, m)
	}
	return sum
}

func clamp(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// --- practice mode -------------------------------------------------------------------------

// PracticeLevels is how many hints a practice step has: the verb, then the resource, then
// the full command.
const PracticeLevels = 3

// SetPractice switches the play between guided (Enter runs the shown command) and practice
// (the commands are hidden behind the hints and the learner types them). Help already
// revealed is clamped to the mode's ladder.
func (p *Play) SetPractice(on bool) {
	p.practice = on
	for i := range p.steps {
		p.steps[i].Hints = clamp(p.steps[i].Hints, 0, p.maxHints(i))
	}
}

// Practice reports whether the play is in practice mode.
func (p *Play) Practice() bool { return p.practice }

// maxHints is the length of step i's hint ladder in the current mode.
func (p *Play) maxHints(i int) int {
	if p.practice {
		if len(p.lesson.Steps[i].RunnableCommands()) == 0 {
			return 0
		}
		return PracticeLevels
	}
	return len(p.lesson.Steps[i].Hints)
}

// Typed records that the learner typed line (in the command bar) and it ran successfully:
// the current step's first command not yet run that reads the same (words compared, a
// leading "kubectl" optional) is marked run. It returns that command's index, or -1.
func (p *Play) Typed(line string) int {
	if len(p.steps) == 0 {
		return -1
	}
	want := commandWords(line)
	if want == "" {
		return -1
	}
	for i, c := range p.Cur().Cmds {
		if !c.NoRun && !p.steps[p.step].Ran[i] && commandWords(c.Line) == want {
			p.steps[p.step].Ran[i] = true
			return i
		}
	}
	return -1
}

// commandWords is a command line's words joined by single spaces, without a leading kubectl.
func commandWords(line string) string {
	f := strings.Fields(line)
	if len(f) > 0 && f[0] == "kubectl" {
		f = f[1:]
	}
	return strings.Join(f, " ")
}

// Reveal is what a practice step shows of command line at help level: level 0 only that
// a kubectl command is expected, 1 its verb, 2 the verb and the resource (the words up to
// the first that is not a flag), 3 and more the whole line. A line that is not a kubectl
// command is shown whole from level 1.
func Reveal(line string, level int) string {
	f := strings.Fields(line)
	if level >= PracticeLevels || len(f) == 0 {
		return line
	}
	if f[0] != "kubectl" {
		if level == 0 {
			return "…"
		}
		return line
	}
	show := 1
	if level >= 1 && len(f) > 1 {
		show = 2
	}
	if level >= 2 {
		for show < len(f) {
			w := f[show]
			show++
			if !strings.HasPrefix(w, "-") {
				break
			}
		}
	}
	if show >= len(f) {
		return strings.Join(f, " ")
	}
	return strings.Join(f[:show], " ") + " …"
}
