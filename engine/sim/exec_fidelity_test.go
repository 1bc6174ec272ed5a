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

// TestExecFidelityExecOutputBeforeStreams: `kubectl exec web-0 -- hostname` (no tty) used to
// lose its output now and then (`Unknown stream id 1, discarding message` and no web-0): the
// simulator wrote before kubectl had registered its stdout stream. exec.go now waits a
// runtime's start latency first. Output must never be lost. Under heavy load (-race on 2
// shared cores) kubectl 1.33 can still log that line once in a while after printing the
// output; that is counted and logged, not failed, since the learner sees the right answer.
func TestExecFidelityExecOutputBeforeStreams(t *testing.T) {
	tu := newTutorial(t)
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(tu.s, "web-0", "web-1"))
	lost, noisy := 0, 0
	for i := 0; i < 30; i++ {
		c, out, errb := tu.cmd(context.Background(), []string{"exec", "web-0", "--", "hostname"})
		err := c.Run()
		switch {
		case err != nil || out.String() != "web-0\n":
			lost++
			t.Logf("run %d: err %v, stdout %q, stderr %q", i, err, out, errb)
		case errb.Len() > 0:
			noisy++
			t.Logf("run %d: right output, stderr %q", i, errb)
		}
	}
	if lost > 0 {
		t.Errorf("%d of 30 `kubectl exec web-0 -- hostname` lost their output", lost)
	}
	t.Logf("%d of 30 runs logged a client-side stream message", noisy)
}
