// Package lessons holds the lesson catalog (embedded YAML, one folder per lesson with en.yaml
// and ko.yaml), its schema and validation, and the checks that decide when a step is done.
package lessons

// CONTRACT STUB — the lessons helper fleshes this out; tui/ codes against these names.

import (
	"context"
	"errors"

	"github.com/kubetutor/kubetutor/engine"
)

type Lesson struct {
	ID      string     `json:"id"`
	Lang    string     `json:"lang"`
	Title   string     `json:"title"`
	Summary string     `json:"summary"`
	Level   string     `json:"level"`
	Minutes int        `json:"minutes"`
	Steps   []Step     `json:"steps"`
	Quiz    []Question `json:"quiz,omitempty"`
}

type Step struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Body     string   `json:"body"`     // Markdown
	Commands []string `json:"commands"` // kubectl command lines
	Watch    Watch    `json:"watch"`
	Checks   []Check  `json:"checks"`
	Hints    []string `json:"hints"`
}

// Watch is what the watch pane shows during a step.
type Watch struct {
	Resource string `json:"resource"` // "pods", "pvc", "statefulsets", …
	Selector string `json:"selector"` // label selector, e.g. "app=nginx"
}

type Check struct{}

type Question struct{}

// CheckResult is the outcome of one check against live state.
type CheckResult struct {
	Desc   string
	OK     bool
	Detail string
}

// Catalog returns every lesson in the given language ("en" or "ko").
func Catalog(lang string) ([]Lesson, error) { return nil, errors.New("lessons: not implemented") }

// Evaluate runs a step's checks against the session's live state.
func Evaluate(ctx context.Context, s *engine.Session, st Step) []CheckResult { return nil }
