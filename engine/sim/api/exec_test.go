package api_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// fakeRunner is a tiny pretend container: a few commands with known output.
type fakeRunner struct{}

func (fakeRunner) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	out := func(format string, a ...any) {
		if s.Stdout != nil {
			fmt.Fprintf(s.Stdout, format, a...)
		}
	}
	switch argv[0] {
	case "hostname":
		out("%s\n", pod.Name)
	case "whoami":
		out("%s/%s\n", pod.Name, c)
	case "echo":
		out("%s\n", strings.Join(argv[1:], " "))
	case "fail":
		n, _ := strconv.Atoi(argv[1])
		if s.Stderr != nil {
			fmt.Fprintf(s.Stderr, "failing with %d\n", n)
		}
		return n, nil
	case "cat":
		if s.Stdin != nil {
			_, _ = io.Copy(s.Stdout, s.Stdin)
		}
	case "tty":
		out("tty=%v\n", s.TTY)
		select {
		case sz := <-s.Resize:
			out("size=%dx%d\n", sz.Width, sz.Height)
		case <-ctx.Done():
			return 130, nil
		}
	case "sleep":
		<-ctx.Done()
		return 137, nil
	case "sh":
		// A line-reading shell: "exit N" ends it, anything else is echoed back.
		sc := bufio.NewScanner(s.Stdin)
		out("/ # ")
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if f := strings.Fields(line); len(f) > 0 && f[0] == "exit" {
				n := 0
				if len(f) > 1 {
					n, _ = strconv.Atoi(f[1])
				}
				return n, nil
			}
			out("%s\n/ # ", line)
		}
	default:
		return 127, fmt.Errorf("%w: %s", errors.New("unknown command"), argv[0])
	}
	return 0, nil
}

// runningPod stores a pod whose containers run, as the kubelet would leave it.
func runningPod(t *testing.T, st *store.Store, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	if pod.Namespace == "" {
		pod.Namespace = "default"
	}
	if pod.Spec.NodeName == "" {
		pod.Spec.NodeName = "sim-node-0"
	}
	created, err := st.Create(podsRes, pod)
	if err != nil {
		t.Fatal(err)
	}
	p := created.(*corev1.Pod)
	p.Status.Phase = corev1.PodRunning
	now := metav1.NewTime(st.Now())
	for _, c := range p.Spec.Containers {
		p.Status.ContainerStatuses = append(p.Status.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true,
			ContainerID: "containerd://" + c.Name, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	updated, err := st.Update(podsRes, p, store.UpdateOptions{Status: true})
	if err != nil {
		t.Fatal(err)
	}
	return updated.(*corev1.Pod)
}

func webPod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.8"}}}}
}

type executorKind string

const (
	viaSPDY      executorKind = "spdy"
	viaWebSocket executorKind = "websocket"
)

func executor(t *testing.T, e *env, kind executorKind, pod, sub string, opts *corev1.PodExecOptions) remotecommand.Executor {
	t.Helper()
	u := e.cs.CoreV1().RESTClient().Post().Resource("pods").Namespace("default").Name(pod).SubResource(sub).
		VersionedParams(opts, scheme.ParameterCodec).URL()
	var ex remotecommand.Executor
	var err error
	if kind == viaSPDY {
		ex, err = remotecommand.NewSPDYExecutor(e.cfg, "POST", u)
	} else {
		ex, err = remotecommand.NewWebSocketExecutor(e.cfg, "GET", u.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func exitCode(err error) int {
	var ce utilexec.CodeExitError
	if errors.As(err, &ce) {
		return ce.Code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestExecStreamsAndExitCodes(t *testing.T) {
	for _, kind := range []executorKind{viaSPDY, viaWebSocket} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: fakeRunner{}})
			runningPod(t, e.st, webPod("web-0"))
			ctx, cancel := contextWithTimeout(20 * time.Second)
			defer cancel()

			var out, errb bytes.Buffer
			ex := executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"hostname"}, Stdout: true, Stderr: true})
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errb}); err != nil {
				t.Fatalf("hostname: %v", err)
			}
			if out.String() != "web-0\n" {
				t.Fatalf("hostname printed %q", out.String())
			}

			out.Reset()
			errb.Reset()
			ex = executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"fail", "3"}, Stdout: true, Stderr: true})
			err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errb})
			if exitCode(err) != 3 || errb.String() != "failing with 3\n" {
				t.Fatalf("fail 3: err %v (code %d), stderr %q", err, exitCode(err), errb.String())
			}

			out.Reset()
			ex = executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"cat"}, Stdin: true, Stdout: true, Stderr: true})
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("hello\nworld\n"), Stdout: &out, Stderr: &errb}); err != nil {
				t.Fatalf("cat: %v", err)
			}
			if out.String() != "hello\nworld\n" {
				t.Fatalf("cat echoed %q", out.String())
			}

			// A command that cannot run is an error, not an exit code.
			ex = executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"nosuch"}, Stdout: true, Stderr: true})
			err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &out, Stderr: &errb})
			if err == nil || !strings.Contains(err.Error(), "unknown command: nosuch") {
				t.Fatalf("nosuch: %v", err)
			}
		})
	}
}

// sizeQueue hands out one terminal size.
type sizeQueue chan remotecommand.TerminalSize

func (q sizeQueue) Next() *remotecommand.TerminalSize {
	s, ok := <-q
	if !ok {
		return nil
	}
	return &s
}

func TestExecTTYResize(t *testing.T) {
	for _, kind := range []executorKind{viaSPDY, viaWebSocket} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: fakeRunner{}})
			runningPod(t, e.st, webPod("web-0"))
			ctx, cancel := contextWithTimeout(20 * time.Second)
			defer cancel()
			q := make(sizeQueue, 1)
			q <- remotecommand.TerminalSize{Width: 120, Height: 40}
			defer close(q)
			var out bytes.Buffer
			ex := executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"tty"}, Stdin: true, Stdout: true, TTY: true})
			pr, pw := io.Pipe()
			defer pw.Close()
			if err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: pr, Stdout: &out, Tty: true, TerminalSizeQueue: q}); err != nil {
				t.Fatalf("tty: %v", err)
			}
			if out.String() != "tty=true\nsize=120x40\n" {
				t.Fatalf("tty printed %q", out.String())
			}
		})
	}
}

// TestExecCancel: a client that goes away ends the command instead of leaving it running.
func TestExecCancel(t *testing.T) {
	for _, kind := range []executorKind{viaSPDY, viaWebSocket} {
		t.Run(string(kind), func(t *testing.T) {
			started := make(chan struct{})
			ended := make(chan int, 1)
			r := runnerFunc(func(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
				close(started)
				<-ctx.Done()
				ended <- 137
				return 137, nil
			})
			e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: r})
			runningPod(t, e.st, webPod("web-0"))
			ctx, cancel := context.WithCancel(context.Background())
			ex := executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"sleep"}, Stdout: true})
			done := make(chan error, 1)
			go func() { done <- ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard}) }()
			<-started
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("client did not return after cancel")
			}
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("server kept the command running after the client left")
			}
		})
	}
}

type runnerFunc func(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error)

func (f runnerFunc) Run(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
	return f(ctx, pod, c, argv, s)
}

func TestExecErrorsMatchRealMessages(t *testing.T) {
	e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: fakeRunner{}})
	runningPod(t, e.st, webPod("web-0"))
	two := webPod("mysql-0")
	two.Spec.Containers = append(two.Spec.Containers, corev1.Container{Name: "xtrabackup", Image: "xtrabackup"})
	two.Spec.InitContainers = []corev1.Container{{Name: "init-mysql", Image: "mysql"}}
	runningPod(t, e.st, two)
	if _, err := e.st.Create(podsRes, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pending", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Create(podsRes, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "creating", Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: "sim-node-0", Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithTimeout(20 * time.Second)
	defer cancel()
	for _, tc := range []struct{ pod, container, want string }{
		{"web-0", "x", "container x is not valid for pod web-0"},
		{"mysql-0", "", "a container name must be specified for pod mysql-0, choose one of: [nginx xtrabackup] or one of the init containers: [init-mysql]"},
		{"pending", "", "pod pending does not have a host assigned"},
		{"creating", "", `unable to upgrade connection: container not found ("nginx")`},
		{"nosuch", "", `pods "nosuch" not found`},
	} {
		for _, kind := range []executorKind{viaSPDY, viaWebSocket} {
			ex := executor(t, e, kind, tc.pod, "exec", &corev1.PodExecOptions{Container: tc.container, Command: []string{"hostname"}, Stdout: true})
			err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: io.Discard})
			want := tc.want
			if kind == viaWebSocket {
				// Without kubectl's fallback to SPDY, client-go words the failed upgrade its own way.
				want = strings.TrimPrefix(want, "unable to upgrade connection: ")
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s exec %s -c %q: got %v, want %q", kind, tc.pod, tc.container, err, tc.want)
			}
		}
	}
}

func TestAttachRunsInteractiveMainCommand(t *testing.T) {
	for _, kind := range []executorKind{viaSPDY, viaWebSocket} {
		t.Run(string(kind), func(t *testing.T) {
			e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: fakeRunner{}})
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "dns-test"}, Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "dns-test", Image: "busybox:1.28", Stdin: true, StdinOnce: true, TTY: true}}}}
			runningPod(t, e.st, p)
			ctx, cancel := contextWithTimeout(20 * time.Second)
			defer cancel()
			var out bytes.Buffer
			ex := executor(t, e, kind, "dns-test", "attach", &corev1.PodExecOptions{Stdin: true, Stdout: true, TTY: true})
			err := ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: strings.NewReader("hi\nexit 2\n"), Stdout: &out, Tty: true})
			// A kubelet's attach ends as a success; the exit code is in the pod's status.
			if err != nil || out.String() != "/ # hi\n/ # " {
				t.Fatalf("attach: err %v, out %q", err, out.String())
			}
			obj, gerr := e.st.Get(podsRes, "default", "dns-test")
			if gerr != nil {
				t.Fatal(gerr)
			}
			got := obj.(*corev1.Pod)
			if got.Status.Phase != corev1.PodFailed || got.Status.ContainerStatuses[0].State.Terminated == nil ||
				got.Status.ContainerStatuses[0].State.Terminated.ExitCode != 2 {
				t.Fatalf("after sh exited 2 the pod is %s with %+v", got.Status.Phase, got.Status.ContainerStatuses[0].State)
			}
		})
	}
}

// TestAttachServerContainerFollowsUntilPodGoes: attaching to nginx shows its log and ends when
// the pod is deleted.
func TestAttachServerContainerFollowsUntilPodGoes(t *testing.T) {
	e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: fakeRunner{}})
	runningPod(t, e.st, webPod("web-0"))
	ctx, cancel := contextWithTimeout(20 * time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	ex := executor(t, e, viaWebSocket, "web-0", "attach", &corev1.PodExecOptions{Stdout: true, Stderr: true})
	done := make(chan error, 1)
	go func() { done <- ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: pw, Stderr: io.Discard}) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.Contains(line, `[notice] 1#1: using the "epoll" event method`) {
		t.Fatalf("first attached line %q (%v)", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	zero := int64(0)
	if _, err := e.st.Delete(podsRes, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("attach ended with %v", err)
		}
	case <-ctx.Done():
		t.Fatal("attach did not end when the pod went away")
	}
}

func TestLogs(t *testing.T) {
	e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: fakeRunner{}})
	runningPod(t, e.st, webPod("web-0"))
	ctx, cancel := contextWithTimeout(20 * time.Second)
	defer cancel()
	b, err := e.cs.CoreV1().Pods("default").GetLogs("web-0", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil || strings.Count(string(b), "\n") != 6 || !strings.Contains(string(b), "[notice] 1#1: nginx/") {
		t.Fatalf("logs: %q %v", b, err)
	}
	two := int64(2)
	b, err = e.cs.CoreV1().Pods("default").GetLogs("web-0", &corev1.PodLogOptions{TailLines: &two}).DoRaw(ctx)
	if err != nil || strings.Count(string(b), "\n") != 2 || !strings.HasSuffix(string(b), "start worker process 29\n") {
		t.Fatalf("tail 2: %q %v", b, err)
	}
	_, err = e.cs.CoreV1().Pods("default").GetLogs("web-0", &corev1.PodLogOptions{Previous: true}).Stream(ctx)
	if err == nil || !strings.Contains(err.Error(), `previous terminated container "nginx" in pod "web-0" not found`) {
		t.Fatalf("previous: %v", err)
	}
	_, err = e.cs.CoreV1().Pods("default").GetLogs("web-0", &corev1.PodLogOptions{Container: "x"}).Stream(ctx)
	if err == nil || !strings.Contains(err.Error(), "container x is not valid for pod web-0") {
		t.Fatalf("-c x: %v", err)
	}

	// follow streams until the pod goes away.
	rc, err := e.cs.CoreV1().Pods("default").GetLogs("web-0", &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	for range 6 {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	zero := int64(0)
	if _, err := e.st.Delete(podsRes, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Fatalf("after the pod went: %q %v", rest, err)
	}
}

// TestExecUnreadStdinDoesNotStall: typing at a command that never reads stdin must not keep
// the server from noticing the client leave.
func TestExecUnreadStdinDoesNotStall(t *testing.T) {
	for _, kind := range []executorKind{viaSPDY, viaWebSocket} {
		t.Run(string(kind), func(t *testing.T) {
			started := make(chan struct{})
			ended := make(chan struct{})
			r := runnerFunc(func(ctx context.Context, pod *corev1.Pod, c string, argv []string, s container.Streams) (int, error) {
				close(started)
				<-ctx.Done()
				close(ended)
				return 137, nil
			})
			e := newEnvOpts(t, store.Options{}, false, api.Options{Runner: r})
			runningPod(t, e.st, webPod("web-0"))
			ctx, cancel := context.WithCancel(context.Background())
			ex := executor(t, e, kind, "web-0", "exec", &corev1.PodExecOptions{Command: []string{"sleep"}, Stdin: true, Stdout: true})
			typed := &signalReader{r: strings.NewReader(strings.Repeat("typing ahead\n", 20000)), eof: make(chan struct{})}
			done := make(chan error, 1)
			go func() {
				done <- ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: typed, Stdout: io.Discard})
			}()
			<-started
			select {
			case <-typed.eof: // all of it went out, although the command reads none
			case <-done:
				t.Fatal("client ended early")
			case <-time.After(10 * time.Second):
				t.Fatal("the server stopped taking stdin")
			}
			cancel()
			<-done
			select {
			case <-ended:
			case <-time.After(10 * time.Second):
				t.Fatal("the command kept running after the client left")
			}
		})
	}
}

// signalReader closes eof once r is drained.
type signalReader struct {
	r    io.Reader
	eof  chan struct{}
	once sync.Once
}

func (s *signalReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.once.Do(func() { close(s.eof) })
	}
	return n, err
}
