// Package engine is how the player and the lessons reach a cluster: everything goes through
// client-go on a *rest.Config, whether the cluster is the embedded simulator or a real one.
package engine

// CONTRACT STUB — the engine helper replaces the bodies; the exported surface below is what
// tui/ and lessons/ code against. Change it only in agreement with them.

import (
	"context"
	"errors"
	"io"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"
)

// SimOptions configure an embedded simulator session.
type SimOptions struct {
	Clock clock.WithTicker // nil: real clock
	// Fake, when set, is the fake clock the simulator runs on (tests). With AutoAdvance the
	// simulator jumps it to the next due action whenever it has nothing else to do, so a whole
	// lesson plays in milliseconds and in a repeatable order.
	Fake        *testingclock.FakeClock
	AutoAdvance bool
	Speed       float64 // 1 is the real pace; 0 means 1
	Seed        int64
}

// KubeconfigOptions select a real cluster as kubectl does.
type KubeconfigOptions struct {
	Path      string // --kubeconfig; "" uses KUBECONFIG and ~/.kube/config
	Context   string
	Namespace string
}

// SimControl is what only a simulator can do. Nil on a real cluster.
type SimControl interface {
	Pause()
	Resume()
	Paused() bool
	StepOnce() bool // run one pending controller action; false if none
	SetSpeed(float64)
	Speed() float64
}

// TableEvent is one row change of a watched resource, as `kubectl get -w` sees it.
type TableEvent struct {
	// Type is "LIST" for rows of the initial list, then "ADDED", "MODIFIED", "DELETED";
	// "ERROR" when the watch failed (Err set); "RESYNC" when it relisted after a gap.
	Type    string
	Columns []string // column names (priority-0 columns, as kubectl prints without -o wide)
	Name    string
	Cells   []string // same length as Columns
	Err     error
}

// Session is one connection to a cluster.
type Session struct {
	cfg *rest.Config
}

var errStub = errors.New("engine: not implemented yet")

func NewSimSession(ctx context.Context, o SimOptions) (*Session, error) { return nil, errStub }
func NewKubeconfigSession(ctx context.Context, o KubeconfigOptions) (*Session, error) {
	return nil, errStub
}
func (s *Session) RESTConfig() *rest.Config   { return s.cfg }
func (s *Session) Kube() kubernetes.Interface { return nil }
func (s *Session) Dynamic() dynamic.Interface { return nil }
func (s *Session) Namespace() string          { return "default" }
func (s *Session) Label() string              { return "simulator" }
func (s *Session) Sim() SimControl            { return nil }
func (s *Session) Close()                     {}

// RunKubectl runs one kubectl command line ("kubectl get pods -l app=nginx") in-process
// against this session, writing what kubectl prints to out and errOut. Manifests named by
// -f resolve to the embedded manifests/.
func (s *Session) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return errStub
}

// WatchTable lists then watches a resource in the session's namespace as server-side Table
// rows. The channel closes when ctx ends.
func (s *Session) WatchTable(ctx context.Context, resource, selector string) (<-chan TableEvent, error) {
	return nil, errStub
}
