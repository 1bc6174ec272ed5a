package sim

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// Differences from a real cluster that the issue-4 audit found in exec.go and attach.go, now
// fixed: each test failed before its fix (the exec start latency, attach reporting success).

// TestExecFidelityExecTTYResizeAfterClose: `kubectl exec -it web-0 -- curl localhost` sometimes
// ends with `E… v3.go:79] "Unhandled Error" err="websocket: close sent"` (1.30+) or
// `E… v3.go:79] write tcp …: write: broken pipe` (1.29, SPDY). kubectl writes the terminal's
// initial size on the resize stream right after the streams open; the simulator runs the
// command in microseconds and closes the connection first. A real container takes longer to
// start than kubectl takes to send the size, so a learner never sees this. A fix in
// exec.go: with tty, wait (bounded, say 1s of real time) for the first resize message before
// running the command, as a real terminal's program starts with its size known.
func TestExecFidelityExecTTYResizeAfterClose(t *testing.T) {
	tu := newTutorial(t)
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(tu.s, "web-0", "web-1"))
	races := 0
	for i := 0; i < 20; i++ {
		p := tu.startPty("exec", "-it", "web-0", "--", "true")
		_ = p.finish()
		if execRace.MatchString(p.output()) {
			races++
		}
	}
	if races > 0 {
		t.Errorf("%d of 20 `kubectl exec -it web-0 -- true` logged a resize write after the stream closed", races)
	}
}

// TestExecFidelityAttachReportsExitCode: in `kubectl run -it … --rm`, a shell whose last command
// failed exits non-zero; the simulator's attach then ends with a failure Status carrying the
// exit code, so kubectl prints "warning: couldn't attach to pod/dns-test, falling back to
// streaming logs: command terminated with exit code 127". A real kubelet's attach ends with
// Success whatever the process's exit code (the runtime's attach does not report it); kubectl
// learns it from the pod's status instead and prints only `pod default/dns-test terminated
// (Error)`. Fix in attach.go runAttach: sess.report(0, nil, nil) after a normal exit.
func TestExecFidelityAttachReportsExitCode(t *testing.T) {
	tu := newTutorial(t)
	tu.reset()
	p := tu.startPty("run", "-i", "--tty", "--image", "busybox:1.28", "dns-test", "--restart=Never", "--rm")
	tu.waitFor("kubectl run to create dns-test", func() bool {
		for _, r := range tu.reqs {
			if strings.HasPrefix(r, "POST /api/v1/namespaces/default/pods") {
				return true
			}
		}
		return false
	})
	tu.drive(func() bool {
		pod := getPod(tu.s, "dns-test")
		return pod != nil && pod.Status.Phase == corev1.PodRunning
	})
	p.expect(`/ # $`)
	p.typeLine("exit 3")
	tu.waitFor("kubectl run --rm to delete dns-test", func() bool {
		for _, r := range tu.reqs {
			if strings.HasPrefix(r, "DELETE /api/v1/namespaces/default/pods/dns-test") {
				return true
			}
		}
		return false
	})
	tu.drive(podGone(tu.s, "dns-test"))
	_ = p.finish()
	out := p.output()
	if strings.Contains(out, "couldn't attach") {
		t.Errorf("kubectl fell back to logs after a normal shell exit:\n%s", out)
	}
	if !strings.Contains(out, "pod default/dns-test terminated (Error)") {
		t.Errorf("kubectl did not report the pod's failure:\n%s", out)
	}
}

// TestExecFidelityExecOutputBeforeStreams: `kubectl exec web-0 -- hostname` (no tty) sometimes
// prints `E… websocket.go:297] Unknown stream id 1, discarding message` and NOT web-0: the
// simulator writes the output before kubectl has registered its stdout stream (client-go
// starts reading the connection while it still creates the streams; a real runtime's exec
// takes tens of milliseconds to start, so real output never arrives that early). Found in
// TestTutorialKubectl with kubectl 1.33. A 50 ms pause before running the command in
// exec.go (a container runtime's exec start-up) made 20 of 20 runs of
// TestExecFidelityExecTTYResizeAfterClose pass in an experiment; it likely fixes this one too.
func TestExecFidelityExecOutputBeforeStreams(t *testing.T) {
	tu := newTutorial(t)
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(tu.s, "web-0", "web-1"))
	bad := 0
	for i := 0; i < 30; i++ {
		c, out, errb := tu.cmd(context.Background(), []string{"exec", "web-0", "--", "hostname"})
		if err := c.Run(); err != nil || out.String() != "web-0\n" || errb.Len() > 0 {
			bad++
			t.Logf("run %d: err %v, stdout %q, stderr %q", i, err, out, errb)
		}
	}
	if bad > 0 {
		t.Errorf("%d of 30 `kubectl exec web-0 -- hostname` lost or garbled output", bad)
	}
}
