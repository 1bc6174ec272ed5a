package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/kubetutor/kubetutor/engine"
)

const podsTable = "NAME    READY   STATUS    RESTARTS   AGE\nweb-0   1/1     Running   0          10s\nweb-1   1/1     Running   0          8s\n"

// barCluster is a fake cluster for the command bar: a few scripted lines, a watch that runs
// until cancelled, completion data and a terminal runner.
type barCluster struct {
	*fakeCluster
	watchStopped chan struct{}
	terminal     []string
}

func newBarCluster() *barCluster {
	return &barCluster{fakeCluster: newFakeCluster(), watchStopped: make(chan struct{}, 1)}
}

func (b *barCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	switch line {
	case "kubectl get pods":
		io.WriteString(out, podsTable)
	case "kubectl get pods -w":
		io.WriteString(out, "NAME    READY   STATUS    RESTARTS   AGE\n")
		io.WriteString(out, "web-0   0/1     Pending   0          0s\n")
		<-ctx.Done()
		b.watchStopped <- struct{}{}
		return ctx.Err()
	case "kubectl delete pod nosuch":
		io.WriteString(errOut, `Error from server (NotFound): pods "nosuch" not found`+"\n")
		return &engine.KubectlError{Code: 1}
	default:
		return b.fakeCluster.RunKubectl(ctx, line, in, out, errOut)
	}
	return nil
}

func (b *barCluster) ResourceNames(context.Context) ([]string, error) {
	return []string{"pod", "pods", "po", "statefulset", "statefulsets", "sts", "services", "svc"}, nil
}

func (b *barCluster) ObjectNames(_ context.Context, resource, ns string) ([]string, error) {
	switch resource {
	case "pod", "pods", "po":
		return []string{"web-0", "web-1"}, nil
	case "sts", "statefulsets":
		return []string{"web"}, nil
	case "namespaces":
		return []string{"default", "kube-system"}, nil
	}
	return nil, fmt.Errorf("unknown %s", resource)
}

func (b *barCluster) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	b.terminal = append(b.terminal, line)
	io.WriteString(out, "in the terminal\n")
	return nil
}

func keyRunes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func typeInto(b *cmdBar, s string) {
	for _, r := range s {
		if r == ' ' {
			b.handle(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		b.handle(keyRunes(string(r)))
	}
}

// drive runs cmd and feeds its messages back until the bar has no more listening to do or
// until stopWhen says so. Blink and other UI-only commands are never passed here.
func drive(t *testing.T, b *cmdBar, cmd tea.Cmd, stopWhen func() bool) {
	t.Helper()
	for cmd != nil && (stopWhen == nil || !stopWhen()) {
		got := make(chan tea.Msg, 1)
		go func() { got <- cmd() }()
		select {
		case msg := <-got:
			if msg == nil {
				return
			}
			cmd, _ = b.handle(msg)
		case <-time.After(10 * time.Second):
			t.Fatal("command bar: no message in 10s")
		}
	}
}

func newTestBar(c Cluster) *cmdBar {
	st := DefaultStyles(nil)
	return newCmdBar(context.Background(), c, &st, "en")
}

func TestCmdBarOpenRunHistory(t *testing.T) {
	b := newTestBar(newBarCluster())
	if _, ok := b.handle(keyRunes("x")); ok {
		t.Fatal("a closed bar took a key")
	}
	b.handle(keyRunes(":"))
	if !b.open {
		t.Fatal(": did not open the bar")
	}
	typeInto(b, "get pods")
	cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	drive(t, b, cmd, nil)
	if b.running {
		t.Fatal("still running after the command finished")
	}
	if want := append([]string{"$ kubectl get pods"}, strings.Split(strings.TrimSuffix(podsTable, "\n"), "\n")...); !slices.Equal(b.lines, want) {
		t.Fatalf("output %q, want %q", b.lines, want)
	}
	screen := b.overlay(strings.Repeat("lesson\n", 19)+"lesson", 80, 20)
	if !strings.Contains(screen, "web-1   1/1     Running") || !strings.Contains(screen, "$ kubectl get pods") || strings.Count(screen, "\n") != 19 {
		t.Fatalf("overlay:\n%s", screen)
	}

	typeInto(b, "kubectl delete pod nosuch")
	cmd, _ = b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	drive(t, b, cmd, nil)
	if got := b.lines[len(b.lines)-2:]; got[0] != `Error from server (NotFound): pods "nosuch" not found` || got[1] != "(exit status 1)" {
		t.Fatalf("failed command output %q", got)
	}

	typeInto(b, "half")
	b.handle(tea.KeyMsg{Type: tea.KeyUp})
	if v := b.input.Value(); v != "kubectl delete pod nosuch" {
		t.Fatalf("up: %q", v)
	}
	b.handle(tea.KeyMsg{Type: tea.KeyUp})
	b.handle(tea.KeyMsg{Type: tea.KeyUp})
	if v := b.input.Value(); v != "get pods" {
		t.Fatalf("up up up: %q", v)
	}
	b.handle(tea.KeyMsg{Type: tea.KeyDown})
	b.handle(tea.KeyMsg{Type: tea.KeyDown})
	if v := b.input.Value(); v != "half" {
		t.Fatalf("down back to the draft: %q", v)
	}
	b.handle(tea.KeyMsg{Type: tea.KeyEsc})
	if b.open {
		t.Fatal("esc did not close the bar")
	}
}

func TestCmdBarWatchStreamsUntilEsc(t *testing.T) {
	c := newBarCluster()
	b := newTestBar(c)
	b.handle(keyRunes(":"))
	typeInto(b, "get pods -w")
	cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	drive(t, b, cmd, func() bool { return len(b.lines) >= 3 })
	if !b.running || b.lines[2] != "web-0   0/1     Pending   0          0s" {
		t.Fatalf("watch: running %v, lines %q", b.running, b.lines)
	}
	// The UI is free meanwhile: typing still works.
	typeInto(b, "x")
	if b.input.Value() != "x" {
		t.Fatalf("typing during a watch: %q", b.input.Value())
	}
	b.handle(tea.KeyMsg{Type: tea.KeyEsc})
	select {
	case <-c.watchStopped:
	case <-time.After(10 * time.Second):
		t.Fatal("esc did not cancel the watch")
	}
	if b.running || !b.open || b.lines[len(b.lines)-1] != "(stopped)" {
		t.Fatalf("after esc: running %v open %v lines %q", b.running, b.open, b.lines)
	}
	// ctrl+c stops a watch too, without reaching the App (which would quit).
	b.input.SetValue("get pods -w")
	cmd, _ = b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	drive(t, b, cmd, func() bool { return strings.HasPrefix(b.lines[len(b.lines)-1], "web-0") })
	if _, ok := b.handle(tea.KeyMsg{Type: tea.KeyCtrlC}); !ok {
		t.Fatal("ctrl+c during a watch went to the App")
	}
	<-c.watchStopped
	// On an empty line the first ctrl+c only warns; the second reaches the App (issue 13,
	// item 4, as shells do).
	if _, ok := b.handle(tea.KeyMsg{Type: tea.KeyCtrlC}); !ok || !strings.Contains(b.lines[len(b.lines)-1], "ctrl+c again") {
		t.Fatalf("first ctrl+c on an empty line: handled %v, last line %q", ok, b.lines[len(b.lines)-1])
	}
	if _, ok := b.handle(tea.KeyMsg{Type: tea.KeyCtrlC}); ok {
		t.Fatal("the second ctrl+c with nothing running must reach the App")
	}
}

func TestCmdBarCompletion(t *testing.T) {
	b := newTestBar(newBarCluster())
	b.handle(keyRunes(":"))
	for _, tc := range []struct {
		typed, want string
		cands       []string
	}{
		{"kubectl g", "kubectl get ", nil},
		{"kubectl delete pod w", "kubectl delete pod web-", []string{"web-0", "web-1"}},
		{"delete pod web-1", "delete pod web-1 ", nil},
		{"get st", "get st", []string{"statefulset", "statefulsets", "sts"}},
		{"logs w", "logs web-", []string{"web-0", "web-1"}},
		{"get sts/", "get sts/web ", nil},
		{"rollout st", "rollout status ", nil},
		{"rollout status sts w", "rollout status sts web ", nil},
		{"apply -f web", "apply -f web", []string{"web-parallel.yaml", "web.yaml"}},
		{"get pods -n kube", "get pods -n kube-system ", nil},
		{"get pods --wat", "get pods --wat", nil},
	} {
		b.input.SetValue(tc.typed)
		b.input.CursorEnd()
		cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyTab})
		drive(t, b, cmd, nil)
		if b.input.Value() != tc.want || !slices.Equal(b.cands, tc.cands) {
			t.Errorf("%q<Tab> = %q with %q, want %q with %q", tc.typed, b.input.Value(), b.cands, tc.want, tc.cands)
		}
	}
}

// TestCmdBarTerminalCommands: exec -it leaves the bar for the real terminal; the command
// runs through the terminal runner with the terminal's streams.
func TestCmdBarTerminalCommands(t *testing.T) {
	c := newBarCluster()
	b := newTestBar(c)
	b.handle(keyRunes(":"))
	typeInto(b, "exec -it web-0 -- sh")
	cmd, _ := b.handle(tea.KeyMsg{Type: tea.KeyEnter})
	if cmd == nil || b.open || b.running {
		t.Fatalf("exec -it: cmd %v, open %v, running %v", cmd != nil, b.open, b.running)
	}
	var out bytes.Buffer
	k := &kubectlTerminal{ctx: context.Background(), run: c, line: "kubectl exec -it web-0 -- sh"}
	k.SetStdin(strings.NewReader(""))
	k.SetStdout(&out)
	k.SetStderr(io.Discard)
	if err := k.Run(); err != nil || out.String() != "$ kubectl exec -it web-0 -- sh\nin the terminal\n" {
		t.Fatalf("terminal run: %v %q", err, out.String())
	}
	if !slices.Equal(c.terminal, []string{"kubectl exec -it web-0 -- sh"}) {
		t.Fatalf("terminal lines %q", c.terminal)
	}
	b.handle(cmdBarTermDoneMsg{line: "kubectl exec -it web-0 -- sh", err: &engine.KubectlError{Code: 130}})
	if !b.open || b.lines[len(b.lines)-1] != "(exit status 130)" {
		t.Fatalf("back from the terminal: open %v, lines %q", b.open, b.lines)
	}

	// A cluster that cannot lend a terminal says so instead.
	plain := newTestBar(newFakeCluster())
	plain.handle(keyRunes(":"))
	typeInto(plain, "edit sts web")
	if cmd, _ := plain.handle(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil || !strings.Contains(plain.lines[len(plain.lines)-1], "needs a terminal") {
		t.Fatalf("edit without a terminal runner: %q", plain.lines)
	}

	// A classroom session (NoTerminal) refuses terminal commands with a way round, even on
	// a cluster that could run them, and runs nothing.
	class := newBarCluster()
	cb := newTestBar(class).withoutTerminal(true)
	cb.handle(keyRunes(":"))
	typeInto(cb, "exec -it web-0 -- sh")
	if cmd, _ := cb.handle(tea.KeyMsg{Type: tea.KeyEnter}); cmd != nil || !cb.open || len(class.terminal) != 0 ||
		!strings.Contains(cb.lines[len(cb.lines)-1], "kubectl exec web-0 -- hostname") {
		t.Fatalf("exec -it in a classroom: cmd %v, open %v, ran %q, lines %q", cmd != nil, cb.open, class.terminal, cb.lines)
	}
}

// TestCmdBarInApp goes through the App: ':' opens the bar on the menu, the table shows.
func TestCmdBarInApp(t *testing.T) {
	c := newBarCluster()
	a := New(Options{Context: context.Background(), Cluster: c, Lessons: testLessons("en"), Lang: "en", MarkdownStyle: "notty"})
	tm := teatest.NewTestModel(t, a, teatest.WithInitialTermSize(100, 30))
	t.Cleanup(func() { _ = tm.Quit() })
	tm.Send(keyRunes(":"))
	tm.Type("get pods")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("web-1   1/1     Running")) && bytes.Contains(b, []byte("$ kubectl get pods"))
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	// q types into the bar instead of quitting.
	tm.Type("q")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Send(keyRunes("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
