package lessons

import (
	"context"
	"sync"

	"github.com/kubetutor/kubetutor/engine"
)

// Baselines keeps the observer of the step a player is on. The player calls Enter when a step
// is entered, replayed or the cluster reset, feeds it every command it runs (Ran), and
// evaluates through it; a step evaluated without Enter gets its baseline then, which for a
// player that evaluates on entering is the same moment. Safe for concurrent use.
type Baselines struct {
	ctx context.Context // bounds the observers' watches (an evaluation's context is short)

	// enter serialises taking baselines: a player's step-start hook (Enter, in the background)
	// and an evaluation that finds no baseline (Observer) never take two at once.
	enter sync.Mutex

	mu   sync.Mutex
	key  baselineKey
	sess *engine.Session
	cur  *StepObserver
}

type baselineKey struct{ lang, id, title string }

func keyOf(st Step) baselineKey { return baselineKey{st.Lang, st.ID, st.Title} }

// NewBaselines returns an empty set; ctx bounds every watch its observers start.
func NewBaselines(ctx context.Context) *Baselines { return &Baselines{ctx: ctx} }

// Enter records a new baseline for the step on the session, replacing any earlier one.
func (b *Baselines) Enter(s *engine.Session, st Step) *StepObserver {
	b.enter.Lock()
	defer b.enter.Unlock()
	return b.enterLocked(s, st)
}

func (b *Baselines) enterLocked(s *engine.Session, st Step) *StepObserver {
	o := Baseline(b.ctx, s, st)
	b.mu.Lock()
	old := b.cur
	b.key, b.sess, b.cur = keyOf(st), s, o
	b.mu.Unlock()
	old.Close()
	return o
}

// Observer is the step's observer on the session, taking the baseline now if there is none
// for this step and session.
func (b *Baselines) Observer(s *engine.Session, st Step) *StepObserver {
	b.enter.Lock()
	defer b.enter.Unlock()
	b.mu.Lock()
	o := b.cur
	same := o != nil && b.key == keyOf(st) && b.sess == s
	b.mu.Unlock()
	if same {
		return o
	}
	return b.enterLocked(s, st)
}

// Evaluate runs the step's checks against its baseline.
func (b *Baselines) Evaluate(ctx context.Context, s *engine.Session, st Step) []CheckResult {
	return EvaluateSince(ctx, s, st, b.Observer(s, st))
}

// Ran feeds a command the learner ran, and its output, to the current step's observer.
func (b *Baselines) Ran(line, output string) {
	b.mu.Lock()
	o := b.cur
	b.mu.Unlock()
	o.Ran(line, output)
}

// Close stops the current observer.
func (b *Baselines) Close() {
	b.mu.Lock()
	o := b.cur
	b.cur = nil
	b.mu.Unlock()
	o.Close()
}

// Expand fills a command line's placeholders ({node-of:POD}) from the current step's
// baseline; a line without placeholders, or with no step entered, comes back as it is.
func (b *Baselines) Expand(line string) string {
	b.mu.Lock()
	o := b.cur
	b.mu.Unlock()
	if o == nil {
		return line
	}
	if out, err := o.Expand(line); err == nil {
		return out
	}
	return line
}
