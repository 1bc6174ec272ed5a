// Package tui is the terminal player: a lesson menu and a lesson view that shows a step, runs
// its kubectl commands, and watches the cluster react live.
package tui

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/charmbracelet/lipgloss"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/lessonstate"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// Cluster is what the player needs from a cluster session. The launch path hands the player
// one Cluster for both modes (engine.Live: a reset-able simulator or a real cluster), which
// also has every optional ability below; tests use fakes that may leave some out.
type Cluster interface {
	RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error
	WatchTable(ctx context.Context, resource, selector string) (<-chan engine.TableEvent, error)
	Label() string
	Namespace() string
	// Sim is nil on a real cluster.
	Sim() engine.SimControl
	// Now is the cluster's clock, which AGE columns count from between watch events.
	Now() time.Time
	// WriteKubeconfig writes a kubeconfig for the learner's own kubectl.
	WriteKubeconfig(path string) error
}

// The optional abilities of a Cluster. Options fields left nil are filled from them (see
// Options.FromCluster), so a launcher only sets Cluster.

// TerminalRunner runs commands that need the terminal: exec -it, attach -it, run -it, edit.
type TerminalRunner interface {
	RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error
}

// LearnerRunner runs one command line with the learner's own credentials instead of the
// lesson's ServiceAccount (engine.Session.RunKubectlAsLearner). The player offers it, after a
// y, for a command the guard refused with GuardError.OwnCredentials (cordon, drain).
type LearnerRunner interface {
	RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error
}

// ownCredsOffer returns the guard's reason when err refuses a command that c could run with
// the learner's own credentials; ok is false otherwise.
func ownCredsOffer(c Cluster, err error) (reason string, run LearnerRunner, ok bool) {
	var ge *engine.GuardError
	if err == nil || !errors.As(err, &ge) || !ge.OwnCredentials {
		return "", nil, false
	}
	lr, ok := c.(LearnerRunner)
	return ge.Reason, lr, ok
}

// Completer completes the last word of a command line (empty when the line ends in a space)
// through kubectl's own completion (`kubectl __complete`) against the session. It returns
// whole words that replace the last one; nil when kubectl has nothing to offer or wants the
// shell to complete file names, where the bar uses its own candidates.
type Completer interface {
	Complete(ctx context.Context, line string) ([]string, error)
}

// ObjectSource reads and watches full objects, for the picture views and row history.
type ObjectSource interface {
	List(ctx context.Context, resource, selector string) ([]unstructured.Unstructured, error)
	WatchObjects(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error)
}

// Resetter is a cluster that can start over; CanReset is false on a real cluster, whose
// state the player must not throw away.
type Resetter interface {
	CanReset() bool
	Reset(ctx context.Context) error
}

// Revisioner tells whether the cluster changed: Revision moves on every write (the
// simulator's resourceVersion counter); ok is false where that is not known (a real cluster).
type Revisioner interface {
	Revision() (rev uint64, ok bool)
}

// StepRunner runs a step's checks and its simulate field against the cluster.
type StepRunner interface {
	Evaluate(ctx context.Context, st lessons.Step) []lessons.CheckResult
	Simulate(ctx context.Context, st lessons.Step) (string, error)
}

// StepStarter is told when a step starts from a known cluster state (entered, or reached
// again after a reset or replay), so it can record the step's baseline for the checks
// relative to its start (lessons.Baselines). It must not block: the UI loop calls it.
type StepStarter interface {
	StepStarted(st lessons.Step)
}

// watchStepStarts hooks a play's step starts to the cluster, when it wants them.
func watchStepStarts(pl *lessonstate.Play, l lessons.Lesson, c any) {
	if ss, ok := c.(StepStarter); ok {
		pl.OnStepStart = func(i, _ int) {
			if i >= 0 && i < len(l.Steps) {
				ss.StepStarted(l.Steps[i])
			}
		}
	}
}

// Evaluator runs a step's checks against live state (lessons.Evaluate bound to a session).
type Evaluator func(ctx context.Context, step lessons.Step) []lessons.CheckResult

// Options configure the player.
type Options struct {
	// Context bounds every watch, command and check the player starts; cancel it after
	// Program.Run returns.
	Context  context.Context
	Cluster  Cluster
	Evaluate Evaluator
	Lessons  []lessons.Lesson
	Lang     string // "en" or "ko": the player's own words
	// MarkdownStyle is a glamour standard style: "dark" or "light" in the app (chosen once
	// before the program runs), "notty" or "ascii" in tests. Empty means "notty".
	MarkdownStyle string
	// Markdown, when set, shares rendered lesson Markdown with the other players given the
	// same cache (the classroom's students); nil renders for this player alone.
	Markdown *MarkdownCache
	// Renderer is this program's lipgloss renderer: its output's colour profile and
	// background. Each program (each SSH session of a classroom) passes its own, so players
	// in one process with different terminals never share colours. Nil means
	// lipgloss.DefaultRenderer() (tests, single-terminal tools).
	Renderer *lipgloss.Renderer
	// Styles default to DefaultStyles(Renderer).
	Styles *Styles
	// KubeconfigPath is where the K key writes a kubeconfig for the learner's own kubectl
	// in a second terminal. Empty disables the key.
	KubeconfigPath string

	// Progress keeps what the learner has done; nil keeps it in memory only.
	Progress *progress.Store
	// ProgressWarning is shown on the menu (a progress file that was set aside).
	ProgressWarning string
	// LessonsFor returns the catalog in another language, for the L key; nil disables L.
	LessonsFor func(lang string) []lessons.Lesson
	// Reset replaces the cluster with a fresh simulator (Cluster keeps pointing at the
	// current one); nil on a real cluster, where resets are not offered. Filled from a
	// Resetter Cluster.
	Reset func(ctx context.Context) error
	// Simulate does what a step's simulate field asks (cut a node off, reconnect it) and says
	// what it did; nil, or an error, on a real cluster where the learner does it by hand.
	// Filled from a StepRunner Cluster.
	Simulate func(ctx context.Context, st lessons.Step) (string, error)
	// List reads objects for the watch pane's picture views; nil leaves them out. Filled
	// from an ObjectSource Cluster.
	List Lister
	// WatchObjects feeds full object versions, so a selected stream row shows its object at
	// that moment; nil leaves row inspection out. Filled from an ObjectSource Cluster.
	WatchObjects ObjectWatcher
	// Demo, a lesson id, opens that lesson and plays it by itself (kubetutor demo).
	Demo string
	// Open, a lesson id, opens that lesson at once (--lesson on the simulator).
	Open string
	// Present is the projector layout: larger step title, fewer panes, high contrast.
	Present bool
	// StepGate, when set, may refuse moving on to a step (a classroom in lockstep): it gets
	// the lesson id and the index of the step asked for (len(Steps) for the quiz) and says why.
	StepGate func(lessonID string, stepIndex int) (ok bool, why string)
	// BuiltinEditor opens kubectl edit in the player's own editor instead of $EDITOR: in a
	// classroom, where no program of the host may start, and in a player whose learner has
	// set no editor of their own. Without it, edit runs with the terminal (TerminalRunner).
	// apply edit-last-applied always uses the built-in editor.
	BuiltinEditor bool
	// NoTerminal: the program's terminal is a connection (a classroom's SSH session), which
	// it cannot lend a command: kubectl finds a terminal only in this process's own
	// standard streams. exec, attach and run with -i or -t are refused with a way round.
	NoTerminal bool
	// QuitKeepsCluster: the cluster outlives the program (a classroom seat waits for its
	// student's reconnect), so quitting loses nothing and q does not ask.
	QuitKeepsCluster bool
	// Handoff, when set, is the terminal set-up the program runs on (a Screen, with Bubble
	// Tea's renderer off): a command run with the terminal gets it back in its normal modes
	// and hands it back to the player's after.
	Handoff TerminalHandoff
}

// TerminalHandoff lends the player's terminal to a command that needs it (kubectl exec -it,
// edit with the learner's editor): Release gives back the terminal's normal modes, Restore
// takes them again.
type TerminalHandoff interface {
	Release() error
	Restore() error
}

// FromCluster fills the fields left nil from the Cluster's optional abilities. New and
// RunPlain call it; a launcher may too, to see what the player will offer.
func (o Options) FromCluster() Options {
	c := o.Cluster
	if c == nil {
		return o
	}
	if sr, ok := c.(StepRunner); ok {
		if o.Evaluate == nil {
			o.Evaluate = sr.Evaluate
		}
		if o.Simulate == nil {
			o.Simulate = sr.Simulate
		}
	}
	if os, ok := c.(ObjectSource); ok {
		if o.List == nil {
			o.List = os.List
		}
		if o.WatchObjects == nil {
			o.WatchObjects = os.WatchObjects
		}
	}
	if r, ok := c.(Resetter); ok && o.Reset == nil && r.CanReset() {
		o.Reset = r.Reset
	}
	return o
}

// renderer is the program's lipgloss renderer (Options.Renderer, else the default one).
func (o Options) renderer() *lipgloss.Renderer {
	if o.Renderer != nil {
		return o.Renderer
	}
	if o.Styles != nil && o.Styles.renderer != nil {
		return o.Styles.renderer
	}
	return lipgloss.DefaultRenderer()
}
