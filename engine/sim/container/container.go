// Package container is the contract between the simulator's kubelet and API server (which ask
// for commands to run inside a pod's containers: init containers, exec probes, kubectl exec and
// attach) and the sandbox that runs them. It holds no behaviour of its own beyond Nop.
package container

import (
	"context"
	"errors"
	"io"

	corev1 "k8s.io/api/core/v1"
)

// Streams are a command's standard streams. A nil reader or writer means the stream is not
// attached. Resize, when not nil, delivers terminal size changes while TTY is set.
type Streams struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	TTY    bool
	Resize <-chan Size
}

// Size is a terminal size in cells.
type Size struct{ Width, Height uint16 }

// Runner runs argv inside the named container of pod, as `kubectl exec` or the kubelet would.
// It returns the command's exit code; err is for failures to run at all (no such container,
// container not running), which the caller reports like a real kubelet would.
// Run must return when ctx is cancelled.
type Runner interface {
	Run(ctx context.Context, pod *corev1.Pod, container string, argv []string, s Streams) (exitCode int, err error)
}

// ErrNotFound is returned (wrapped) when the container does not exist in the pod.
var ErrNotFound = errors.New("container not found")

// Nop runs nothing and reports success: the runner the simulator uses when no sandbox is
// configured, so probes pass and init containers complete.
type Nop struct{}

// Run implements Runner.
func (Nop) Run(context.Context, *corev1.Pod, string, []string, Streams) (int, error) { return 0, nil }

// Steady implements StableResults: Nop's answer never changes.
func (Nop) Steady() bool { return true }

// StableResults is offered by Runners whose commands' results change only through commands
// run in them (exec, attach, init containers) and writes to the cluster's objects, not from
// outside the simulator. The kubelet then need not re-run a passing probe while neither
// happens and nobody watches the pod (controller/probes.go). Runners without it (a real
// container runtime, a test's scripted runner) have their probes run every period.
type StableResults interface {
	Steady() bool
}

type onLoopKey struct{}

// OnLoop marks ctx as a call made synchronously on the simulator's control loop (init
// containers, exec probes): simulated time cannot pass during it, since the loop is what
// advances a fake clock, so a Runner must not wait on the simulator's clock (sleep returns
// at once). The kubelet accounts for the container's duration itself.
func OnLoop(ctx context.Context) context.Context { return context.WithValue(ctx, onLoopKey{}, true) }

// IsOnLoop says whether ctx was marked by OnLoop.
func IsOnLoop(ctx context.Context) bool { v, _ := ctx.Value(onLoopKey{}).(bool); return v }

// Prober is offered by Runners that know what listens in a pod's containers, so the kubelet's
// httpGet and tcpSocket probes reach the simulated server as a real kubelet reaches the
// container. Without it (or when known is false: an image the runner cannot vouch for) those
// probes pass.
type Prober interface {
	// ProbeHTTP sends GET path to port. refused: nothing listens there; else status is the
	// server's answer.
	ProbeHTTP(pod *corev1.Pod, port int, path string) (status int, refused, known bool)
	// ProbeTCP says whether something listens on port.
	ProbeTCP(pod *corev1.Pod, port int) (listening, known bool)
}
