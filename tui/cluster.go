// Package tui is the terminal player: a lesson menu and a lesson view that shows a step, runs
// its kubectl commands, and watches the cluster react live.
package tui

import (
	"context"
	"io"
	"time"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// Cluster is what the player needs from a cluster session. *engine.Session satisfies it; tests
// use fakes.
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
	// Styles default to DefaultStyles(lipgloss.DefaultRenderer()).
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
	// current one); nil on a real cluster, where resets are not offered.
	Reset func(ctx context.Context) error
	// Simulate does what a step's simulate field asks (cut a node off, reconnect it) and says
	// what it did; nil, or an error, on a real cluster where the learner does it by hand.
	Simulate func(ctx context.Context, st lessons.Step) (string, error)
	// List reads objects for the watch pane's picture views; nil leaves them out.
	List Lister
	// WatchObjects feeds full object versions, so a selected stream row shows its object at
	// that moment; nil leaves row inspection out.
	WatchObjects ObjectWatcher
	// Demo, a lesson id, opens that lesson and plays it by itself (kubetutor demo).
	Demo string
	// Present is the projector layout: larger step title, fewer panes, high contrast.
	Present bool
	// StepGate, when set, may refuse moving on to a step (a classroom in lockstep): it gets
	// the lesson id and the index of the step asked for (len(Steps) for the quiz) and says why.
	StepGate func(lessonID string, stepIndex int) (ok bool, why string)
}
