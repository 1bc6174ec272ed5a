package main

// Smoke tests of the real binary: built once per test run, then driven in tmux (the player)
// or through a pipe (serve) with the real kubectl. They assert what a learner sees — step
// titles, watch rows, command output, status words — not the exact layout.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/lessons"
)

// smokeTimeout bounds every wait for the screen or a process; reaching it is a failure.
const smokeTimeout = 60 * time.Second

// pollEvery is how often a wait looks at the screen again.
const pollEvery = 25 * time.Millisecond

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// kubetutorBinary builds the binary once per test run and returns its path.
func kubetutorBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "kubetutor-smoke-bin-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "kubetutor")
		cmd := exec.Command("go", "build", "-o", buildBin, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatalf("building kubetutor: %v", buildErr)
	}
	return buildBin
}

// tmuxPlayer starts the built player in tmux at size (COLSxROWS), in English on the simulator
// at speed 20, waits for the lesson menu, and returns the tmux session's name and a runner of
// tui-drive verbs that fails the test, with the screen, when a verb fails. The session stops
// when the test ends.
func tmuxPlayer(t *testing.T, prefix, size string) (string, func(args ...string) string) {
	t.Helper()
	return tmuxPlayerEnv(t, prefix, size, nil)
}

// tuiDrive is the shared tmux driver (shared/tools/tui-drive): beside the repository, as CI
// lays it out, or in the workplace's /work/shared. It needs tmux.
func tuiDrive(tb testing.TB) string {
	tb.Helper()
	requireTmux(tb)
	for _, p := range []string{filepath.Join("..", "shared", "tools", "tui-drive"), "/work/shared/tools/tui-drive"} {
		if _, err := os.Stat(p); err == nil {
			abs, err := filepath.Abs(p)
			if err == nil {
				return abs
			}
		}
	}
	tb.Fatal("the smoke tests need shared/tools/tui-drive beside the repository (or in /work/shared)")
	return ""
}

func requireTmux(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("tmux")
	if err != nil {
		tb.Fatal("tmux is required for the smoke test: apt-get install tmux")
	}
	return p
}

// userDirs makes a private HOME and XDG_CACHE_HOME so the binary's log and kubeconfig land in
// the test's temp dir, never in the user's.
func userDirs(tb testing.TB) (home, cache string) {
	tb.Helper()
	home = tb.TempDir()
	cache = filepath.Join(home, ".cache")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		tb.Fatal(err)
	}
	return home, cache
}

var socketSeq atomic.Int64

// term is one tmux server on a private socket running the binary in a single pane.
type term struct {
	tb   testing.TB
	tmux string
	sock string
	poll time.Duration // how often waits look at the screen again
	// exitFile receives the program's exit status from the wrapper shell.
	exitFile string
}

// startTerm runs bin with args in a detached tmux session of the given size. The pane stays
// after the process exits so its exit status can be read; the server is killed at cleanup.
func startTerm(tb testing.TB, width, height int, env map[string]string, bin string, args ...string) *term {
	tb.Helper()
	tm := requireTmux(tb)
	// A socket name unique to this process and call, so parallel runs never share a server.
	sock := fmt.Sprintf("kubetutor-smoke-%d-%d", os.Getpid(), socketSeq.Add(1))
	// remain-on-exit must be set before the process starts: a config file does that, where a
	// set-option after new-session could race a quick exit.
	conf := filepath.Join(tb.TempDir(), "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	t := &term{tb: tb, tmux: tm, sock: sock, poll: pollEvery,
		exitFile: filepath.Join(filepath.Dir(conf), "exit-status")}
	tb.Cleanup(func() {
		out, _ := exec.Command(tm, "-L", sock, "display-message", "-p", "-t", "smoke", "#{socket_path}").Output()
		_ = exec.Command(tm, "-L", sock, "kill-server").Run()
		// The server leaves its socket file behind.
		if p := strings.TrimSpace(string(out)); strings.HasSuffix(p, sock) {
			_ = os.Remove(p)
		}
	})
	cmdArgs := []string{"-f", conf, "new-session", "-d", "-s", "smoke",
		"-x", strconv.Itoa(width), "-y", strconv.Itoa(height)}
	for k, v := range env {
		cmdArgs = append(cmdArgs, "-e", k+"="+v)
	}
	// The wrapper shell records the program's exit status (see waitExit); the program itself
	// still owns the pane's terminal.
	cmdArgs = append(cmdArgs, "-e", "KUBETUTOR_SMOKE_EXIT="+t.exitFile,
		"--", "/bin/sh", "-c", `"$@"; echo $? > "$KUBETUTOR_SMOKE_EXIT"`, "sh", bin)
	cmdArgs = append(cmdArgs, args...)
	t.run(cmdArgs...)
	return t
}

func (t *term) run(args ...string) string {
	t.tb.Helper()
	out, err := exec.Command(t.tmux, append([]string{"-L", t.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.tb.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (t *term) keys(keys ...string) {
	t.tb.Helper()
	t.run(append([]string{"send-keys", "-t", "smoke"}, keys...)...)
}

// klogLine matches a klog header ("E1123 14:42:56.433245 …"): client-go logging that leaked to
// the terminal instead of the log file.
var klogLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+`)

func (t *term) screen() string {
	t.tb.Helper()
	s := t.run("capture-pane", "-p", "-t", "smoke")
	if m := klogLine.FindString(s); m != "" {
		t.tb.Fatalf("a log line reached the terminal (%q):\n%s", m, s)
	}
	if strings.Contains(s, "goroutine ") && strings.Contains(s, "panic") {
		t.tb.Fatalf("panic on the terminal:\n%s", s)
	}
	return s
}

// waitFor polls the screen until ok holds, failing after smokeTimeout.
func (t *term) waitFor(what string, ok func(screen string) bool) string {
	t.tb.Helper()
	deadline := time.Now().Add(smokeTimeout)
	tick := time.NewTicker(t.poll)
	defer tick.Stop()
	for {
		s := t.screen()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.tb.Fatalf("timed out after %v waiting for %s; screen:\n%s", smokeTimeout, what, s)
		}
		<-tick.C
	}
}

func (t *term) waitText(texts ...string) string {
	t.tb.Helper()
	return t.waitFor(fmt.Sprintf("%q", texts), func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	})
}

// waitExit waits for the pane's process to end and returns its exit status. tmux's
// #{pane_dead_status} is sometimes left empty when the pty's end and the child's exit race,
// so a shell wrapper also records the status in a file; the two must agree when both exist.
func (t *term) waitExit() int {
	t.tb.Helper()
	deadline := time.Now().Add(smokeTimeout)
	tick := time.NewTicker(t.poll)
	defer tick.Stop()
	for {
		f := strings.Fields(t.run("display-message", "-p", "-t", "smoke", "#{pane_dead} #{pane_dead_status}"))
		b, err := os.ReadFile(t.exitFile)
		fromFile := strings.TrimSpace(string(b))
		if len(f) >= 1 && f[0] == "1" && err == nil && strings.HasSuffix(string(b), "\n") {
			code, err := strconv.Atoi(fromFile)
			if err != nil {
				t.tb.Fatalf("exit status file holds %q", b)
			}
			if len(f) == 2 && f[1] != fromFile {
				t.tb.Fatalf("tmux reports exit status %s, the wrapper %s", f[1], fromFile)
			}
			return code
		}
		if time.Now().After(deadline) {
			t.tb.Fatalf("the program did not exit within %v; screen:\n%s", smokeTimeout, t.screen())
		}
		<-tick.C
	}
}

// assertCleanExitScreen checks that after the program left the alternate screen, nothing is on
// the terminal but tmux's own "Pane is dead" line: no log line, no error, no leftover frame.
func (t *term) assertCleanExitScreen() {
	t.tb.Helper()
	s := t.screen()
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "Pane is dead") {
			t.tb.Fatalf("the program left output on the terminal: %q\nscreen:\n%s", l, s)
		}
	}
}

// statusLine is the screen's line naming the cluster ("simulator · ns default · …").
func statusLine(screen string) string {
	lines := strings.Split(screen, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "simulator") {
			return lines[i]
		}
	}
	return ""
}

// podRunning reports whether some line shows the pod ready and Running, as the watch table
// and the event stream print it (a pane border may touch the name).
func podRunning(screen, pod string) bool {
	re := regexp.MustCompile(`(?m)(^|[^\w.-])` + regexp.QuoteMeta(pod) + `\s+1/1\s+Running\b`)
	return re.MatchString(screen)
}

// probe is the start of a title, short enough to survive truncation in an 80-column header.
func probe(title string) string {
	r := []rune(title)
	if len(r) > 24 {
		r = r[:24]
	}
	return string(r)
}

func basicsLesson(tb testing.TB, lang string) lessons.Lesson {
	tb.Helper()
	l, err := lessons.Get("statefulset-basics", lang)
	if err != nil {
		tb.Fatalf("lesson: %v", err)
	}
	if len(l.Steps) < 2 {
		tb.Fatalf("lesson %s has %d steps", l.Source, len(l.Steps))
	}
	return l
}

func assertLog(tb testing.TB, cache string) {
	tb.Helper()
	p := filepath.Join(cache, "kubetutor", "kubetutor.log")
	fi, err := os.Stat(p)
	if err != nil {
		tb.Fatalf("log file: %v", err)
	}
	if fi.Size() == 0 {
		tb.Fatalf("log file %s is empty", p)
	}
}

func playerEnv(home, cache, lang string) map[string]string {
	return map[string]string{
		"HOME": home, "XDG_CACHE_HOME": cache,
		"LANG": lang, "LC_ALL": "", "LC_MESSAGES": "",
		"TERM": "xterm-256color", "NO_COLOR": "",
	}
}

func TestSmokeEnglish80x24(t *testing.T) {
	bin := kubetutorBinary(t)
	l := basicsLesson(t, "en")
	home, cache := userDirs(t)

	start := time.Now()
	// No --lang: an English locale picks English.
	tm := startTerm(t, 80, 24, playerEnv(home, cache, "en_US.UTF-8"), bin, "--speed", "20")
	menu := tm.waitText(l.Title)
	t.Logf("process start to menu: %v", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(statusLine(menu)+menu, "simulator") {
		t.Errorf("menu does not name the simulator:\n%s", menu)
	}

	tm.keys("Enter")
	tm.waitText(probe(l.Steps[0].Title))
	tm.keys("n")
	tm.waitText(probe(l.Steps[1].Title))
	tm.keys("Enter")
	tm.waitText("service/nginx created", "statefulset.apps/web created")
	tm.waitFor("web-0 and web-1 1/1 Running in the watch pane", func(s string) bool {
		return podRunning(s, "web-0") && podRunning(s, "web-1")
	})
	s := tm.waitFor("the status line to show the step done (✓)", func(s string) bool {
		return strings.Contains(statusLine(s), "✓")
	})
	if !strings.Contains(statusLine(s), "simulator") {
		t.Errorf("status line does not name the simulator: %q", statusLine(s))
	}

	// Full help lists keys the short help leaves out.
	tm.keys("?")
	tabKey, escKey := regexp.MustCompile(`\btab\b`), regexp.MustCompile(`\besc\b`)
	tm.waitFor("the full help (tab, esc)", func(s string) bool {
		return tabKey.MatchString(s) && escKey.MatchString(s)
	})

	// The learner changed the simulator: q asks first, and q again quits (as y would).
	tm.keys("q")
	tm.waitText("Quit kubetutor?")
	tm.keys("q")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("exit status %d after q q, want 0; screen:\n%s", code, tm.screen())
	}
	tm.assertCleanExitScreen()
	assertLog(t, cache)
}

func TestSmokeKorean200x50(t *testing.T) {
	bin := kubetutorBinary(t)
	l := basicsLesson(t, "ko")
	home, cache := userDirs(t)

	tm := startTerm(t, 200, 50, playerEnv(home, cache, "C.UTF-8"), bin, "--lang", "ko", "--speed", "20")
	menu := tm.waitText(l.Title)
	if !strings.Contains(menu, "레슨") {
		t.Errorf("menu title is not Korean:\n%s", menu)
	}
	tm.keys("Enter")
	tm.waitText(l.Steps[0].Title)
	tm.keys("n")
	tm.waitText(l.Steps[1].Title)
	tm.keys("Enter")
	tm.waitText("service/nginx created", "statefulset.apps/web created")
	tm.waitFor("web-0 and web-1 1/1 Running in the watch pane", func(s string) bool {
		return podRunning(s, "web-0") && podRunning(s, "web-1")
	})
	// ctrl+c asks first (the simulator changed); y quits.
	tm.keys("C-c")
	tm.waitText("kubetutor를 종료할까요?")
	tm.keys("y")
	if code := tm.waitExit(); code != 0 {
		t.Fatalf("exit status %d after ctrl+c y, want 0; screen:\n%s", code, tm.screen())
	}
	tm.assertCleanExitScreen()
	assertLog(t, cache)
}

// lineReader hands out a pipe's lines on a channel until the pipe ends.
func lineReader(r io.Reader) <-chan string {
	ch := make(chan string, 256)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}

func TestSmokeServeWithRealKubectl(t *testing.T) {
	const kubectlPath = "/usr/bin/kubectl"
	if _, err := os.Stat(kubectlPath); err != nil {
		t.Fatalf("the real kubectl is required for the serve smoke test: %v", err)
	}
	bin := kubetutorBinary(t)
	manifest, err := filepath.Abs(filepath.Join("manifests", "web.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	home, cache := userDirs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*smokeTimeout)
	defer cancel()

	srv := exec.Command(bin, "serve", "--speed", "20")
	srv.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+cache)
	var srvErr strings.Builder
	srv.Stderr = &srvErr
	pipe, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		if srv.ProcessState == nil {
			_ = srv.Process.Kill()
		}
	})
	lines := lineReader(pipe)

	var kubeconfig string
	for kubeconfig == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before printing the export line; stderr:\n%s", srvErr.String())
			}
			if i := strings.Index(l, "export KUBECONFIG="); i >= 0 {
				kubeconfig = strings.Trim(strings.TrimSpace(l[i+len("export KUBECONFIG="):]), "'")
			}
		case <-ctx.Done():
			t.Fatal("no export KUBECONFIG= line from serve")
		}
	}
	if !strings.HasPrefix(kubeconfig, cache) {
		t.Errorf("kubeconfig %s is not under XDG_CACHE_HOME %s", kubeconfig, cache)
	}
	if _, err := os.Stat(kubeconfig); err != nil {
		t.Fatalf("kubeconfig: %v", err)
	}

	kcEnv := append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+home)
	kcCache := filepath.Join(home, "kubectl-cache")
	kubectl := func(args ...string) string {
		t.Helper()
		c := exec.CommandContext(ctx, kubectlPath, append([]string{"--cache-dir", kcCache}, args...)...)
		c.Env = kcEnv
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	out := kubectl("apply", "-f", manifest)
	for _, want := range []string{"service/nginx created", "statefulset.apps/web created"} {
		if !strings.Contains(out, want) {
			t.Fatalf("kubectl apply printed\n%s\nwant %q", out, want)
		}
	}

	// kubectl get -w prints the list, then one line per change, until both pods are Running.
	wctx, wcancel := context.WithTimeout(ctx, smokeTimeout)
	defer wcancel()
	w := exec.CommandContext(wctx, kubectlPath, "--cache-dir", kcCache, "get", "pods", "-l", "app=nginx", "-w")
	w.Env = kcEnv
	var wErr strings.Builder
	w.Stderr = &wErr
	wpipe, err := w.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	wlines := lineReader(wpipe)
	status := map[string]string{}
	var seen []string
	for status["web-0"] != "1/1 Running" || status["web-1"] != "1/1 Running" {
		select {
		case l, ok := <-wlines:
			if !ok {
				t.Fatalf("kubectl get -w ended early; saw:\n%s\nstderr:\n%s", strings.Join(seen, "\n"), wErr.String())
			}
			seen = append(seen, l)
			if f := strings.Fields(l); len(f) >= 3 && f[0] != "NAME" {
				status[f[0]] = f[1] + " " + f[2]
			}
		case <-wctx.Done():
			t.Fatalf("pods not Running within %v; kubectl get -w printed:\n%s", smokeTimeout, strings.Join(seen, "\n"))
		}
	}
	wcancel()
	_ = w.Wait()

	if out := kubectl("scale", "sts", "web", "--replicas=3"); !strings.Contains(out, "statefulset.apps/web scaled") {
		t.Fatalf("kubectl scale printed %q", out)
	}

	if err := srv.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve after SIGINT: %v; stderr:\n%s", err, srvErr.String())
		}
	case <-ctx.Done():
		t.Fatal("serve did not stop after SIGINT")
	}
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("serve left its kubeconfig behind (stat: %v)", err)
	}
	if srvErr.Len() > 0 {
		t.Errorf("serve wrote to stderr (logs belong in the log file):\n%s", srvErr.String())
	}
	assertLog(t, cache)
}

// BenchmarkStartToMenu measures wall time from starting the binary (in tmux) until the menu's
// first full frame is on the screen: the simulator's startup plus the player's first render.
func BenchmarkStartToMenu(b *testing.B) {
	bin := kubetutorBinary(b)
	l := basicsLesson(b, "en")
	home, cache := userDirs(b)
	env := playerEnv(home, cache, "en_US.UTF-8")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tm := startTerm(b, 80, 24, env, bin)
		tm.poll = 5 * time.Millisecond // fine-grained: the wait is the measurement
		tm.waitFor("the menu", func(s string) bool {
			return strings.Contains(s, l.Title) && strings.Contains(s, "simulator")
		})
		b.StopTimer()
		tm.keys("q")
		if code := tm.waitExit(); code != 0 {
			b.Fatalf("exit status %d", code)
		}
		tm.run("kill-server")
		b.StartTimer()
	}
}

// TestSmokeMatchers checks the screen matchers the smoke tests rely on, so a matcher that
// could never fail (or never match) is caught here rather than hiding a broken screen.
func TestSmokeMatchers(t *testing.T) {
	for _, c := range []struct {
		screen, pod string
		want        bool
	}{
		{"web-0   1/1     Running   0          3s", "web-0", true},
		{"  text │web-1   1/1     Running             0          0s", "web-1", true},
		{"web-1   0/1     ContainerCreating   0          0s", "web-1", false},
		{"myweb-1   1/1     Running", "web-1", false},
		{"web-10   1/1     Running", "web-1", false},
	} {
		if got := podRunning(c.screen, c.pod); got != c.want {
			t.Errorf("podRunning(%q, %s) = %v, want %v", c.screen, c.pod, got, c.want)
		}
	}
	if !klogLine.MatchString("frame\nE1123 14:42:56.433245   12345 reflector.go:200] boom\n") {
		t.Error("klogLine misses a klog error line")
	}
	if klogLine.MatchString("I see 1123 pods") {
		t.Error("klogLine matches ordinary text")
	}
	if got := statusLine("a\n simulator · ns default · ✓ done\nenter run"); !strings.Contains(got, "✓") {
		t.Errorf("statusLine = %q", got)
	}
}
