package lessons

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
)

// ExecCheck runs a command in a pod's container, as `kubectl exec POD -c CONTAINER -- COMMAND`
// would, and compares what it prints on stdout: the way to check data that lives inside a
// container (a page nginx serves, a row in a database). It passes only when the command exits
// 0 and its output matches exactly one of Equals (after trimming surrounding white space) or
// Contains.
//
//	exec: {pod: web-0, command: [curl, -s, localhost], equals: web-0}
type ExecCheck struct {
	Pod       string   `json:"pod"`
	Container string   `json:"container,omitempty"` // "" is the pod's first container
	Command   []string `json:"command"`
	Equals    *string  `json:"equals,omitempty"`
	Contains  *string  `json:"contains,omitempty"`
}

// execTimeout bounds one exec check, so a command that never ends cannot stall the checks.
const execTimeout = 10 * time.Second

// execFunc runs argv in a container and returns its stdout and stderr.
type execFunc func(ctx context.Context, ns, pod, container string, argv []string) (stdout, stderr string, err error)

// restExec runs commands through the exec subresource with client-go's remotecommand, over
// WebSocket and falling back to SPDY as kubectl does, so it works on the simulator and on a
// real cluster alike.
func restExec(cfg *rest.Config, kube kubernetes.Interface) execFunc {
	return func(ctx context.Context, ns, pod, container string, argv []string) (string, string, error) {
		req := kube.CoreV1().RESTClient().Post().Resource("pods").Namespace(ns).Name(pod).SubResource("exec").
			VersionedParams(&corev1.PodExecOptions{Container: container, Command: argv, Stdout: true, Stderr: true},
				scheme.ParameterCodec)
		ws, err := remotecommand.NewWebSocketExecutor(cfg, "GET", req.URL().String())
		if err != nil {
			return "", "", err
		}
		spdy, err := remotecommand.NewSPDYExecutor(cfg, "POST", req.URL())
		if err != nil {
			return "", "", err
		}
		ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
			return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
		})
		if err != nil {
			return "", "", err
		}
		ctx, cancel := context.WithTimeout(ctx, execTimeout)
		defer cancel()
		var out, errOut bytes.Buffer
		err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errOut})
		return out.String(), errOut.String(), err
	}
}

func evalExec(ctx context.Context, run execFunc, ns string, e *ExecCheck, m messages) (bool, string, error) {
	if run == nil {
		return false, "", fmt.Errorf("exec checks need a cluster session")
	}
	what := "pods/" + e.Pod
	if e.Container != "" {
		what += " -c " + e.Container
	}
	cmd := strings.Join(e.Command, " ")
	out, errOut, err := run(ctx, ns, e.Pod, e.Container, e.Command)
	if err != nil {
		why := strings.TrimSpace(errOut)
		if why == "" {
			why = err.Error()
		}
		return false, m.execFailed(what, cmd, why), nil
	}
	switch {
	case e.Equals != nil:
		if strings.TrimSpace(out) != *e.Equals {
			return false, m.execOutput(what, cmd, fmt.Sprintf("%q", *e.Equals), m.show(strings.TrimSpace(out))), nil
		}
	case e.Contains != nil:
		if !strings.Contains(out, *e.Contains) {
			return false, m.execContains(what, cmd, fmt.Sprintf("%q", *e.Contains), m.show(strings.TrimSpace(out))), nil
		}
	default:
		return false, "", fmt.Errorf("exec check on %s has no comparison", what)
	}
	return true, "", nil
}

func lintExec(e *ExecCheck) []fieldMsg {
	var out []fieldMsg
	if !idPattern.MatchString(e.Pod) {
		out = append(out, fieldMsg{"exec.pod", fmt.Sprintf("required: a pod name, have %q", e.Pod)})
	}
	if e.Container != "" && !idPattern.MatchString(e.Container) {
		out = append(out, fieldMsg{"exec.container", fmt.Sprintf("%q is not a container name", e.Container)})
	}
	if len(e.Command) == 0 || strings.TrimSpace(e.Command[0]) == "" {
		out = append(out, fieldMsg{"exec.command", "required: the program and its arguments, e.g. [curl, -s, localhost]"})
	}
	if (e.Equals == nil) == (e.Contains == nil) {
		out = append(out, fieldMsg{"exec", "want exactly one of equals, contains"})
	}
	return out
}
