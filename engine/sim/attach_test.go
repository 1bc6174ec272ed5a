package sim

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// ttyShell pretends to be sh on a terminal: it echoes what is typed (the terminal is the
// container's), answers each line with "you said: …" and ends at "exit N".
type ttyShell struct{}

func (ttyShell) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	if len(argv) == 0 || argv[0] != "sh" {
		return 127, fmt.Errorf("not a shell: %v", argv)
	}
	nl := "\n"
	if s.TTY {
		nl = "\r\n"
	}
	fmt.Fprint(s.Stdout, "/ # ")
	var line []byte
	buf := make([]byte, 256)
	for {
		n, err := s.Stdin.Read(buf)
		for _, b := range buf[:n] {
			if b != '\r' && b != '\n' {
				line = append(line, b)
				if s.TTY {
					_, _ = s.Stdout.Write([]byte{b})
				}
				continue
			}
			if s.TTY {
				fmt.Fprint(s.Stdout, nl)
			}
			cmd := strings.TrimSpace(string(line))
			line = line[:0]
			var code int
			if _, scanErr := fmt.Sscanf(cmd, "exit %d", &code); scanErr == nil || cmd == "exit" {
				return code, nil
			}
			if cmd != "" {
				fmt.Fprintf(s.Stdout, "you said: %s%s", cmd, nl)
			}
			fmt.Fprint(s.Stdout, "/ # ")
		}
		if err == io.EOF {
			return 0, nil
		}
		if err != nil {
			return 1, nil
		}
	}
}

// TestKubectlRunInteractiveUnderTmux plays the tutorial's `kubectl run -i --tty … --rm -- sh`
// with the real kubectl in a real terminal: the pod starts, the session is interactive, and
// when the shell exits kubectl deletes the pod.
func TestKubectlRunInteractiveUnderTmux(t *testing.T) {
	drive := "/work/shared/tools/tui-drive"
	for _, bin := range []string{"/usr/bin/kubectl", drive} {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("needs %s", bin)
		}
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux")
	}
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 1, Logf: t.Logf, Runner: ttyShell{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, s.CAData(), 0o600); err != nil {
		t.Fatal(err)
	}
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, fmt.Appendf(nil, "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster: {server: %q, certificate-authority: %q}\n"+
		"users:\n- name: u\n  user: {token: %q}\ncontexts:\n- name: sim\n  context: {cluster: sim, user: u, namespace: default}\ncurrent-context: sim\n",
		s.URL(), ca, s.Token()), 0o600); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("kt-run-%d", os.Getpid())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(drive, args...).CombinedOutput()
		if err != nil {
			screen, _ := exec.Command(drive, "screen", name).CombinedOutput()
			t.Fatalf("tui-drive %v: %v\n%s\nscreen:\n%s", args, err, out, screen)
		}
		return string(out)
	}
	run("start", name, "100x30", "env", "HOME="+filepath.Join(dir, "home"), "KUBECONFIG="+kc,
		"sh", "-c", "kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm -- sh; echo EXIT=$?; sleep 30")
	defer exec.Command(drive, "stop", name).Run() //nolint:errcheck
	run("wait", name, `/ #`, "30")
	run("type", name, "hello")
	run("keys", name, "Enter")
	run("wait", name, "you said: hello", "10")
	run("type", name, "exit")
	run("keys", name, "Enter")
	run("wait", name, `pod "dns-test" deleted`, "30")
	run("wait", name, `EXIT=0`, "10")
	t.Logf("screen:\n%s", strings.TrimRight(run("screen", name), "\n "))
	if _, err := s.Store().Get(podsR, "default", "dns-test"); err == nil {
		// --rm deletes gracefully; the kubelet removes it at once for a finished pod, and the
		// auto-advancing clock runs that soon — but the pod must at least be terminating.
		obj, _ := s.Store().Get(podsR, "default", "dns-test")
		if obj != nil && obj.(*corev1.Pod).DeletionTimestamp == nil {
			t.Fatal("dns-test still exists and is not being deleted")
		}
	}
}
