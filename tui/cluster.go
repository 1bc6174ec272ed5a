// Package tui is the terminal player: a lesson menu and a lesson view that shows a step, runs
// its kubectl commands, and watches the cluster react live.
package tui

import (
	"context"
	"io"
	"time"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
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
}
