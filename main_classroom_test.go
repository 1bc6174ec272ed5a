package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// classKey is a fresh ed25519 key and its authorized_keys line.
func classKey(t testing.TB) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, string(gossh.MarshalAuthorizedKey(s.PublicKey()))
}

type sshTerm struct {
	client *gossh.Client
	in     io.WriteCloser
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
}

func (s *sshTerm) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func dialClass(t *testing.T, addr, user string, key gossh.Signer) *sshTerm {
	t.Helper()
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	_ = sess.Setenv("LANG", "en_US.UTF-8")
	st := &sshTerm{client: client, done: make(chan struct{})}
	sess.Stdout, sess.Stderr = st, st
	if st.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 40, 160, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = sess.Wait(); close(st.done) }()
	return st
}

func (s *sshTerm) keys(t *testing.T, k string) {
	t.Helper()
	if _, err := io.WriteString(s.in, k); err != nil {
		t.Fatal(err)
	}
}

// waitScreen polls the frame a student's player last drew (the classroom keeps it for the
// instructor) until it matches.
func waitScreen(t *testing.T, c *classroom.Class, name, want string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		s, _ := c.Screen(name)
		if strings.Contains(s, want) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's screen never showed %q; last frame:\n%s", name, want, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClassroomStudentsPlayOnTheirOwnClusters starts the classroom on loopback with the real
// simulator seats and players: two students play the first steps of StatefulSet Basics over
// SSH, and each sees only their own pods; an instructor sees both at the right step; a
// student's kubectl cannot read the classroom computer's files or open an editor there.
func TestClassroomStudentsPlayOnTheirOwnClusters(t *testing.T) {
	dir := t.TempDir()
	alice, aliceLine := classKey(t)
	bob, bobLine := classKey(t)
	teacher, teacherLine := classKey(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lib, err := lessons.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	logger := log.New(io.Discard, "", 0)
	class, err := classroom.New(classroom.Options{
		StudentsFile: write("students", aliceLine+bobLine), InstructorsFile: write("instructors", teacherLine),
		StateDir: filepath.Join(dir, "state"), MaxStudents: 5,
		Seats: simSeats(lib.Catalog, func(logf func(string, ...any)) engine.SimOptions { return engine.SimOptions{Speed: 50, Logf: logf} }, logger), Lessons: lib.Catalog,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- class.Serve(ln, filepath.Join(dir, "host_key")) }()
	defer func() {
		class.Close()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	a := dialClass(t, ln.Addr().String(), "alice", alice)
	b := dialClass(t, ln.Addr().String(), "bob", bob)
	waitScreen(t, class, "alice", "StatefulSet Basics")
	waitScreen(t, class, "bob", "StatefulSet Basics")

	// Both open the first lesson and go to step 2; only alice runs `kubectl apply -f web.yaml`.
	for _, s := range []*sshTerm{a, b} {
		s.keys(t, "\r")
	}
	waitScreen(t, class, "alice", "Step 1/")
	waitScreen(t, class, "bob", "Step 1/")
	a.keys(t, "n")
	b.keys(t, "n")
	waitScreen(t, class, "alice", "Step 2/")
	waitScreen(t, class, "bob", "Step 2/")
	a.keys(t, "\r")
	waitScreen(t, class, "alice", "statefulset.apps/web created")
	waitScreen(t, class, "alice", "Running")
	if s, _ := class.Screen("bob"); strings.Contains(s, "Running") || strings.Contains(s, "statefulset.apps/web created") || !strings.Contains(s, "No resources found") {
		t.Fatalf("bob sees alice's cluster:\n%s", s)
	}

	// A student's command bar: no host files, no editor on the classroom's computer.
	typeAndWait := func(k string) {
		before, _ := class.Screen("alice")
		a.keys(t, k)
		deadline := time.Now().Add(30 * time.Second)
		for {
			if now, _ := class.Screen("alice"); now != before {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the screen did not change after %q", k)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	typeAndWait(":")
	typeAndWait("kubectl apply -f /etc/passwd")
	a.keys(t, "\r")
	// The refusal names the file and says it is outside the lesson (engine/hostguard.go).
	waitScreen(t, class, "alice", "outside")
	typeAndWait("\x1b")
	typeAndWait(":")

	// kubectl edit opens the player's own editor; nothing may start a program here.
	t.Setenv("PATH", "")
	t.Setenv("EDITOR", "/nonexistent/kubetutor-test-editor-must-not-run")
	t.Setenv("KUBE_EDITOR", "/nonexistent/kubetutor-test-editor-must-not-run")
	openEditor := func() string {
		t.Helper()
		typeAndWait("kubectl edit statefulset web")
		a.keys(t, "\r")
		return waitScreen(t, class, "alice", "Please edit the object below")
	}
	// Unchanged: esc leaves, and kubectl cancels the edit.
	openEditor()
	a.keys(t, "\x1b")
	waitScreen(t, class, "alice", "Edit cancelled, no changes made.")
	// Text that is not YAML is saved: the editor reopens with the reason at the top, and
	// leaving it unchanged then cancels.
	openEditor()
	typeAndWait("}{")
	a.keys(t, "\x13") // ctrl+s
	waitScreen(t, class, "alice", "The edited file failed validation")
	a.keys(t, "\x1b")
	waitScreen(t, class, "alice", "Edit cancelled, no valid changes were saved.")
	// replicas: 2 → 3 in the text, saved: kubectl's patch reaches alice's cluster.
	screen := openEditor()
	m := regexp.MustCompile(`(?m)^\s*(\d+)\s+  replicas: 2\s*$`).FindStringSubmatch(ansi.Strip(screen))
	if m == nil {
		t.Fatalf("no spec.replicas line in the editor:\n%s", screen)
	}
	target, _ := strconv.Atoi(m[1])
	// Down (or up) until the status line says the cursor is on that line: a long line wraps
	// over several rows, which down walks through one by one.
	lineRE := regexp.MustCompile(`line (\d+) of \d+`)
	for moves := 0; ; moves++ {
		now, _ := class.Screen("alice")
		lm := lineRE.FindStringSubmatch(now)
		if lm == nil || moves > 200 {
			t.Fatalf("cannot reach line %d in the editor:\n%s", target, now)
		}
		cur, _ := strconv.Atoi(lm[1])
		if cur == target {
			break
		}
		if cur < target {
			typeAndWait("\x1b[B")
		} else {
			typeAndWait("\x1b[A")
		}
	}
	a.keys(t, "\x1b[F\x7f3") // end, backspace, 3
	waitScreen(t, class, "alice", "(modified)")
	a.keys(t, "\x13")
	waitScreen(t, class, "alice", "statefulset.apps/web edited")
	typeAndWait("\x1b")
	waitScreen(t, class, "alice", "web-2")

	// The instructor's status knows where each student is.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := class.Status()
		steps := map[string]int{}
		for _, s := range st {
			steps[s.Name] = s.StepIndex
		}
		if steps["alice"] == 1 && steps["bob"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instructor's status: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tv := dialClass(t, ln.Addr().String(), "teacher", teacher)
	deadline = time.Now().Add(30 * time.Second)
	for {
		tv.mu.Lock()
		out := tv.out.String()
		tv.mu.Unlock()
		if strings.Contains(out, "alice") && strings.Contains(out, "bob") && strings.Contains(out, "2/") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the instructor's screen never listed both students:\n%q", out)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Alice leaves abruptly and comes back to the same step, with her pods.
	a.client.Close()
	<-a.done
	a2 := dialClass(t, ln.Addr().String(), "alice", alice)
	waitScreen(t, class, "alice", "StatefulSet Basics")
	a2.keys(t, "\r") // the menu resumes the lesson at her step
	waitScreen(t, class, "alice", "Step 2/")
	waitScreen(t, class, "alice", "Running")
}
