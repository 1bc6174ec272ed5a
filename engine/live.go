package engine

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ErrCannotReset is what Reset answers on a real cluster: its state is the learner's, not the
// player's to throw away.
var ErrCannotReset = errors.New("a real cluster cannot be reset by the player; delete what the lesson created instead (the player offers it when you leave)")

// Live is the cluster a player plays on, the same type in both modes: a simulator session
// that Reset replaces with a fresh one, or a real-cluster session. Every call goes to the
// current session; each session has its own kubectl runner.
type Live struct {
	mu  sync.RWMutex
	s   *Session
	sim *SimOptions // nil on a real cluster
	// kubeconfig is the learner's kubeconfig file for their own kubectl; Reset rewrites it
	// when it exists, so that kubectl follows the new simulator.
	kubeconfig string
	logf       func(string, ...any)
}

// NewLiveSim starts a simulator session that Reset can replace. ctx bounds the start only.
func NewLiveSim(ctx context.Context, o SimOptions) (*Live, error) {
	s, err := NewSimSession(ctx, o)
	if err != nil {
		return nil, err
	}
	return &Live{s: s, sim: &o, logf: o.Logf}, nil
}

// NewLiveReal wraps a real-cluster session (NewKubeconfigSession, after the lesson
// namespace was entered). It cannot be reset.
func NewLiveReal(s *Session) *Live { return &Live{s: s} }

// SetLearnerKubeconfig names the kubeconfig the learner's own kubectl uses, which Reset
// rewrites for the fresh simulator.
func (l *Live) SetLearnerKubeconfig(path string) {
	l.mu.Lock()
	l.kubeconfig = path
	l.mu.Unlock()
}

// Session is the current session.
func (l *Live) Session() *Session {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.s
}

func (l *Live) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return l.Session().RunKubectl(ctx, line, in, out, errOut)
}

// RunKubectlAsLearner runs one line with the learner's own credentials (Session.RunKubectlAsLearner).
func (l *Live) RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return l.Session().RunKubectlAsLearner(ctx, line, in, out, errOut)
}

func (l *Live) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return l.Session().RunKubectlTerminal(ctx, line, in, out, errOut)
}

func (l *Live) Complete(ctx context.Context, line string) ([]string, error) {
	return l.Session().Complete(ctx, line)
}

func (l *Live) WatchTable(ctx context.Context, resource, selector string) (<-chan TableEvent, error) {
	return l.Session().WatchTable(ctx, resource, selector)
}

func (l *Live) List(ctx context.Context, resource, selector string) ([]unstructured.Unstructured, error) {
	return l.Session().List(ctx, resource, selector)
}

func (l *Live) WatchObjects(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error) {
	return l.Session().WatchObjects(ctx, resource, selector)
}

func (l *Live) Label() string                      { return l.Session().Label() }
func (l *Live) Namespace() string                  { return l.Session().Namespace() }
func (l *Live) Sim() SimControl                    { return l.Session().Sim() }
func (l *Live) Revision() (uint64, bool)           { return l.Session().Revision() }
func (l *Live) Now() time.Time                     { return l.Session().Now() }
func (l *Live) WriteKubeconfig(path string) error  { return l.Session().WriteKubeconfig(path) }
func (l *Live) WaitIdle(ctx context.Context) error { return l.Session().WaitIdle(ctx) }

// CanReset reports whether Reset can start over: only on the simulator.
func (l *Live) CanReset() bool { return l.sim != nil }

// Reset starts a fresh simulator, swaps it in and stops the old one (which ends whatever
// still ran on it). On a real cluster it returns ErrCannotReset.
func (l *Live) Reset(ctx context.Context) error {
	if l.sim == nil {
		return ErrCannotReset
	}
	fresh, err := NewSimSession(ctx, *l.sim)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old, kc := l.s, l.kubeconfig
	l.s = fresh
	l.mu.Unlock()
	old.Close()
	if kc != "" {
		if _, err := os.Stat(kc); err == nil {
			if err := fresh.WriteKubeconfig(kc); err != nil && l.logf != nil {
				l.logf("rewriting %s after a reset: %v", kc, err)
			}
		}
	}
	if l.logf != nil {
		l.logf("fresh simulator after a reset")
	}
	return nil
}

// Close stops the current session.
func (l *Live) Close() { l.Session().Close() }
