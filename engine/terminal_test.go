package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// catRunner is a container whose every command copies stdin to stdout, and says hello first.
type catRunner struct{}

func (catRunner) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	fmt.Fprintf(s.Stdout, "%s in %s: %s\n", argv[0], pod.Name, strings.Join(argv[1:], " "))
	if s.Stdin != nil {
		_, _ = io.Copy(s.Stdout, s.Stdin)
	}
	return 0, nil
}

func TestNeedsTerminal(t *testing.T) {
	for line, want := range map[string]bool{
		"kubectl exec -it web-0 -- sh":                                            true,
		"exec -ti web-0 -- sh":                                                    true,
		"kubectl exec web-0 -- hostname":                                          false,
		"kubectl exec web-0 -c nginx -- ls -it":                                   false,
		"kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm": true,
		"kubectl attach -i dns-test":                                              true,
		"kubectl edit sts web":                                                    true,
		"kubectl -n default edit sts web":                                         true,
		"kubectl get pods -w":                                                     false,
		"kubectl run web --image nginx":                                           false,
		"kubectl exec --stdin --tty web-0 -- sh":                                  true,
		`kubectl exec web-0 -- sh -c "echo -it"`:                                  false,
	} {
		if got := NeedsTerminal(line); got != want {
			t.Errorf("NeedsTerminal(%q) = %v, want %v", line, got, want)
		}
	}
}

// TestRunKubectlTerminalRunAttach: `kubectl run -i --rm` in-process creates the pod, waits
// for it, attaches its stdin to the container's command, and deletes it afterwards.
func TestRunKubectlTerminalRunAttach(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s, err := NewSimSession(ctx, SimOptions{Fake: testingclock.NewFakeClock(simEpoch), AutoAdvance: true, Seed: 7, Runner: catRunner{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut bytes.Buffer
	err = s.RunKubectlTerminal(ctx, "kubectl run -i --rm --restart=Never --image busybox:1.28 t -- cat", strings.NewReader("typed\n"), &out, &errOut)
	if err != nil {
		t.Fatalf("run -i: %v\nstdout %q\nstderr %q", err, out.String(), errOut.String())
	}
	if want := "cat in t: \ntyped\npod \"t\" deleted from default namespace\n"; out.String() != want {
		t.Fatalf("run -i printed %q, want %q (stderr %q)", out.String(), want, errOut.String())
	}
}

func TestCompletionSources(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, s)
	res, err := s.ResourceNames(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pods", "po", "pod", "statefulsets", "sts", "persistentvolumeclaims", "pvc"} {
		if !slices.Contains(res, want) {
			t.Errorf("ResourceNames lacks %q: %v", want, res)
		}
	}
	if slices.Contains(res, "pods/exec") || slices.Contains(res, "pods/log") {
		t.Errorf("ResourceNames lists subresources: %v", res)
	}
	names, err := s.ObjectNames(testCtx(t), "po", "")
	if err != nil || !slices.Equal(names, []string{"web-0", "web-1"}) {
		t.Fatalf("ObjectNames(po) = %v, %v", names, err)
	}
	if _, err := s.ObjectNames(testCtx(t), "bogus", ""); err == nil {
		t.Fatal("ObjectNames(bogus) should fail")
	}
}

// ttyShell pretends to be sh on a terminal: it echoes what is typed, answers each line with
// "you said: …" and ends at "exit".
type ttyShell struct{}

func (ttyShell) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	nl := "\n"
	if s.TTY {
		nl = "\r\n"
	}
	fmt.Fprintf(s.Stdout, "tty=%v / # ", s.TTY)
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
			fmt.Fprint(s.Stdout, nl)
			cmd := strings.TrimSpace(string(line))
			line = line[:0]
			if cmd == "exit" {
				return 0, nil
			}
			fmt.Fprintf(s.Stdout, "you said: %s%s/ # ", cmd, nl)
		}
		if err != nil {
			return 0, nil
		}
	}
}

// TestRunKubectlTerminalUnderTmux runs the in-process kubectl with a real terminal (this test
// binary re-run inside tmux): run -it must find the terminal (tty=true), be interactive,
// and delete its pod at the end.
func TestRunKubectlTerminalUnderTmux(t *testing.T) {
	if os.Getenv("KUBETUTOR_TERMINAL_CHILD") == "1" {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		s, err := NewSimSession(ctx, SimOptions{Fake: testingclock.NewFakeClock(simEpoch), AutoAdvance: true, Seed: 7, Runner: ttyShell{}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		err = s.RunKubectlTerminal(ctx, "kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never --rm", os.Stdin, os.Stdout, os.Stdout)
		fmt.Printf("RESULT=%v\n", err)
		return
	}
	const drive = "/work/shared/tools/tui-drive"
	if _, err := os.Stat(drive); err != nil {
		t.Skipf("needs %s", drive)
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("needs tmux")
	}
	name := fmt.Sprintf("kt-term-%d", os.Getpid())
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(drive, args...).CombinedOutput()
		if err != nil {
			screen, _ := exec.Command(drive, "screen", name).CombinedOutput()
			t.Fatalf("tui-drive %s: %v\n%s\nscreen:\n%s", strings.Join(args, " "), err, out, screen)
		}
		return string(out)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	run("start", name, "100x30", "env", "KUBETUTOR_TERMINAL_CHILD=1", "HOME="+t.TempDir(), "sh", "-c",
		fmt.Sprintf("%q -test.run='^TestRunKubectlTerminalUnderTmux$' -test.count=1; sleep 30", self))
	defer exec.Command(drive, "stop", name).Run() //nolint:errcheck
	run("wait", name, `tty=true / #`, "30")
	run("type", name, "hello")
	run("keys", name, "Enter")
	run("wait", name, "you said: hello", "10")
	run("type", name, "exit")
	run("keys", name, "Enter")
	run("wait", name, `RESULT=<nil>`, "30")
	screen := run("screen", name)
	if !strings.Contains(screen, `pod "dns-test" deleted`) {
		t.Fatalf("no deletion notice:\n%s", screen)
	}
	t.Logf("screen:\n%s", strings.TrimRight(screen, "\n "))
}

// TestRunKubectlTerminalRunsBesideAWatch: a terminal run no longer waits behind another
// run of the session (there is no process-wide kubectl slot any more).
func TestRunKubectlTerminalRunsBesideAWatch(t *testing.T) {
	s, _ := newTestSession(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	started := make(chan struct{})
	pr, pw := io.Pipe()
	watchDone := make(chan error, 1)
	go func() { watchDone <- s.RunKubectl(ctx, "kubectl get pods -w", nil, pw, io.Discard) }()
	go func() {
		b := make([]byte, 1)
		_, _ = pr.Read(b)
		close(started)
		_, _ = io.Copy(io.Discard, pr)
	}()
	// An empty namespace prints to stderr; make the watch print to stdout by creating a pod.
	if _, err := s.Kube().CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	<-started
	waitIdle(t, s)
	// These sessions run no container commands (container.Nop): the exec succeeds silently.
	var out bytes.Buffer
	if err := s.RunKubectlTerminal(testCtx(t), "kubectl exec -i p -- echo beside", strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("terminal run beside a watch: %v\n%s", err, out.String())
	}
	cancel()
	<-watchDone
	pw.Close()
}

// TestCompleteThroughKubectl: Complete asks kubectl's own completion (`__complete`) in-process
// against the session: kinds from discovery, object names from live state, flags, and
// nothing where kubectl leaves the word to file completion.
func TestCompleteThroughKubectl(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl apply -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
	waitIdle(t, s)
	for _, tc := range []struct {
		line string
		want []string // must all be offered
		none bool     // nothing offered
		only bool     // exactly want
	}{
		{line: "kubectl get statefulset", want: []string{"statefulsets.apps"}, only: true},
		{line: "kubectl get p", want: []string{"pods", "persistentvolumeclaims"}},
		{line: "kubectl get pods ", want: []string{"web-0", "web-1"}, only: true},
		{line: "kubectl delete pod web-", want: []string{"web-0", "web-1"}, only: true},
		{line: "kubectl logs w", want: []string{"web-0", "web-1"}},
		{line: "kubectl get pods --wat", want: []string{"--watch", "--watch-only"}, only: true},
		{line: "kubectl get pods -o ", want: []string{"json", "yaml", "wide", "name"}},
		{line: "kubectl rollout st", want: []string{"status"}, only: true},
		// kubectl also offers the flag scale requires.
		{line: "kubectl scale sts ", want: []string{"--replicas", "web"}, only: true},
		{line: "kubectl apply -f ", none: true},
		{line: "kubectl get pods nosuch", none: true},
		{line: "kubectl get pods 'unclosed", none: true},
	} {
		got, err := s.Complete(testCtx(t), tc.line)
		if err != nil {
			t.Errorf("Complete(%q): %v", tc.line, err)
			continue
		}
		switch {
		case tc.none && len(got) != 0:
			t.Errorf("Complete(%q) = %q, want nothing", tc.line, got)
		case tc.only && !slices.Equal(got, sortedCopy(tc.want)):
			t.Errorf("Complete(%q) = %q, want %q", tc.line, got, sortedCopy(tc.want))
		default:
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("Complete(%q) = %q, lacks %q", tc.line, got, w)
				}
			}
		}
	}
	if running, abandoned := s.KubectlRuns(); running != 0 || abandoned != 0 {
		t.Fatalf("completion left runs behind: %d, %d", running, abandoned)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
