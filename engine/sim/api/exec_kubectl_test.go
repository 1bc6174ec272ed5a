package api_test

import (
	"bufio"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// TestKubectlExecLogs drives the real kubectl binary: it must find the streams it expects
// (WebSocket first, SPDY as fallback), exit with the command's code, and print the server's
// errors as a real cluster's.
func TestKubectlExecLogs(t *testing.T) {
	k := newKubectlEnvOpts(t, api.Options{Runner: fakeRunner{}})
	runningPod(t, k.st, webPod("web-0"))
	two := webPod("mysql-0")
	two.Spec.Containers = append(two.Spec.Containers, corev1.Container{Name: "xtrabackup", Image: "xtrabackup"})
	two.Spec.InitContainers = []corev1.Container{{Name: "init-mysql", Image: "mysql"}}
	runningPod(t, k.st, two)

	if out := k.mustRun(t, "exec", "web-0", "--", "hostname"); out != "web-0\n" {
		t.Fatalf("exec hostname: %q", out)
	}
	out, errOut, err := k.run(t, "exec", "web-0", "--", "fail", "4")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 4 || !strings.Contains(errOut, "failing with 4") ||
		!strings.Contains(errOut, "command terminated with exit code 4") {
		t.Fatalf("exec fail 4: %v, stdout %q, stderr %q", err, out, errOut)
	}
	if out := k.mustRun(t, "exec", "-i", "web-0", "--", "cat"); out != "" {
		t.Fatalf("exec -i cat with empty stdin: %q", out)
	}
	c := k.cmd(t.Context(), "exec", "-i", "web-0", "--", "cat")
	c.Stdin = strings.NewReader("piped\n")
	if b, err := c.Output(); err != nil || string(b) != "piped\n" {
		t.Fatalf("exec -i cat: %q %v", b, err)
	}
	out, errOut, err = k.run(t, "exec", "web-0", "-c", "x", "--", "hostname")
	if err == nil || !strings.Contains(errOut, "container x is not valid for pod web-0") {
		t.Fatalf("exec -c x: %v, stdout %q, stderr %q", err, out, errOut)
	}
	t.Logf("exec -c x: %s", errOut)
	out, errOut, err = k.run(t, "exec", "mysql-0", "--", "whoami")
	if err != nil || out != "mysql-0/nginx\n" {
		t.Fatalf("exec mysql-0: %v %q %q", err, out, errOut)
	}
	t.Logf("exec mysql-0 stderr: %q", errOut)

	if out := k.mustRun(t, "logs", "web-0", "--tail", "1"); !strings.HasSuffix(out, "[notice] 1#1: start worker process 29\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("logs --tail 1: %q", out)
	}
	out, errOut, err = k.run(t, "logs", "web-0", "--previous")
	if err == nil || !strings.Contains(errOut, `Error from server (BadRequest): previous terminated container "nginx" in pod "web-0" not found`) {
		t.Fatalf("logs --previous: %v %q %q", err, out, errOut)
	}
	out, errOut, err = k.run(t, "logs", "web-0", "-c", "x")
	if err == nil || !strings.Contains(errOut, "container x is not valid for pod web-0") {
		t.Fatalf("logs -c x: %v %q %q", err, out, errOut)
	}
	t.Logf("logs -c x: %s", errOut)

	// logs -f follows until the pod goes away, then kubectl ends.
	c = k.cmd(t.Context(), "logs", "-f", "web-0")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(stdout)
	for range 6 {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("logs -f: %v", err)
		}
	}
	zero := int64(0)
	if _, err := k.st.Delete(podsRes, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Fatalf("logs -f after the pod went: %q", rest)
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("logs -f ended with %v", err)
	}
}

// TestKubectlVersionsExec runs exec with older and newer kubectl builds: 1.29 speaks only
// SPDY, 1.30 and later try WebSocket first.
func TestKubectlVersionsExec(t *testing.T) {
	k := newKubectlEnvOpts(t, api.Options{Runner: fakeRunner{}})
	runningPod(t, k.st, webPod("web-0"))
	creating := webPod("web-1")
	creating.Namespace, creating.Spec.NodeName = "default", "sim-node-1"
	if _, err := k.st.Create(podsRes, creating); err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, v := range []string{"1.29", "1.30", "1.33"} {
		bin := "/usr/lib/google-cloud-sdk/bin/kubectl." + v
		if _, err := exec.LookPath(bin); err != nil {
			continue
		}
		ran++
		run := func(stdin string, args ...string) (string, string, int) {
			c := k.cmd(t.Context(), args...)
			c.Path, c.Args[0] = bin, bin
			c.Stdin = strings.NewReader(stdin)
			var out, errb strings.Builder
			c.Stdout, c.Stderr = &out, &errb
			err := c.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("kubectl %s: %v", v, err)
			}
			return out.String(), errb.String(), code
		}
		if out, errOut, code := run("", "exec", "web-0", "--", "hostname"); out != "web-0\n" || code != 0 {
			t.Errorf("kubectl %s exec hostname: %q %q %d", v, out, errOut, code)
		}
		if _, errOut, code := run("", "exec", "web-0", "--", "fail", "5"); code != 5 || !strings.Contains(errOut, "command terminated with exit code 5") {
			t.Errorf("kubectl %s exec fail 5: %q %d", v, errOut, code)
		}
		if out, errOut, code := run("line\n", "exec", "-i", "web-0", "--", "cat"); out != "line\n" || code != 0 {
			t.Errorf("kubectl %s exec -i cat: %q %q %d", v, out, errOut, code)
		}
		if _, errOut, code := run("", "exec", "web-1", "--", "hostname"); code == 0 || !strings.Contains(errOut, `error: unable to upgrade connection: container not found ("nginx")`) {
			t.Errorf("kubectl %s exec into a container that has not started: %q %d", v, errOut, code)
		}
	}
	if ran == 0 {
		t.Skip("no versioned kubectl binaries beside /usr/bin/kubectl")
	}
}
