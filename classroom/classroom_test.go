package classroom

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// fakeSeat is a seat without a cluster: its player shows the student's name and the keys
// typed, and moves through a two-step lesson with n (honouring the step gate).
type fakeSeat struct {
	name   string
	prog   *progress.Store
	closed atomic.Bool
	holds  atomic.Bool
}

func (f *fakeSeat) Player(ctx context.Context, t Terminal) tea.Model {
	return &fakePlayer{seat: f, gate: t.StepGate, lang: t.Lang}
}

func (f *fakeSeat) StepHolds(ctx context.Context, lessonID, stepID string) (bool, error) {
	return f.holds.Load(), nil
}

func (f *fakeSeat) Close() { f.closed.Store(true) }

type fakePlayer struct {
	seat  *fakeSeat
	gate  func(string, int) (bool, string)
	lang  string
	typed string
	note  string
}

func (p *fakePlayer) Init() tea.Cmd {
	p.seat.prog.Change("demo", func(l *Lesson) {
		if l.Step == "" {
			l.Step = "one"
		}
	})
	return nil
}

type Lesson = progress.Lesson

func (p *fakePlayer) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return p, nil
	}
	switch k.String() {
	case "q", "ctrl+c":
		return p, tea.Quit
	case "n":
		cur := p.seat.prog.Lesson("demo").Step
		next := map[string]string{"one": "two", "two": "three"}[cur]
		idx := map[string]int{"two": 1, "three": 2}[next]
		if next == "" {
			return p, nil
		}
		if ok, why := p.gate("demo", idx); !ok {
			p.note = why
			return p, nil
		}
		p.seat.prog.Change("demo", func(l *Lesson) { l.Step = next })
	default:
		p.typed += k.String()
	}
	return p, nil
}

func (p *fakePlayer) View() string {
	return fmt.Sprintf("player of %s [%s] step=%s typed=%s note=%s", p.seat.name, p.lang, p.seat.prog.Lesson("demo").Step, p.typed, p.note)
}

func demoLessons(lang string) []lessons.Lesson {
	return []lessons.Lesson{{ID: "demo", Title: "Demo lesson", Steps: []lessons.Step{
		{ID: "one", Title: "First", Hints: []string{"look at the pods"}},
		{ID: "two", Title: "Second", Hints: []string{"scale it"}},
		{ID: "three", Title: "Third"},
	}}}
}

type keyPair struct {
	signer gossh.Signer
	line   string
}

func newKey(t *testing.T) keyPair {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{signer: s, line: string(gossh.MarshalAuthorizedKey(s.PublicKey()))}
}

type rig struct {
	t        *testing.T
	class    *Class
	addr     string
	clock    *clocktesting.FakeClock
	seats    sync.Map // name → *fakeSeat
	made     atomic.Int32
	alice    keyPair
	bob      keyPair
	teacher  keyPair
	stranger keyPair
	state    string
	done     chan error
}

func newRig(t *testing.T, mut func(*Options)) *rig {
	t.Helper()
	r := &rig{t: t, clock: clocktesting.NewFakeClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)),
		alice: newKey(t), bob: newKey(t), teacher: newKey(t), stranger: newKey(t), done: make(chan error, 1)}
	dir := t.TempDir()
	r.state = filepath.Join(dir, "state")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	o := Options{
		StudentsFile:    write("students", "# the class\n"+r.alice.line+r.bob.line),
		InstructorsFile: write("instructors", r.teacher.line),
		PasswordFile:    write("password", "correct horse battery\n"),
		StateDir:        r.state,
		MaxStudents:     3,
		ReconnectWindow: 10 * time.Minute,
		Lessons:         demoLessons,
		Clock:           r.clock,
		Seats: func(ctx context.Context, spec SeatSpec) (Seat, error) {
			r.made.Add(1)
			s := &fakeSeat{name: spec.Name, prog: spec.Progress}
			r.seats.Store(spec.Name, s)
			return s, nil
		},
	}
	if mut != nil {
		mut(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.class = c
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	go func() { r.done <- c.Serve(ln, filepath.Join(dir, "host_key")) }()
	t.Cleanup(func() {
		c.Close()
		if err := <-r.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r
}

// term is one SSH client with a pty.
type term struct {
	t      *testing.T
	client *gossh.Client
	sess   *gossh.Session
	in     io.WriteCloser
	mu     sync.Mutex
	out    bytes.Buffer
	closed chan struct{}
}

func (r *rig) dial(user string, auth gossh.AuthMethod, env ...string) (*term, error) {
	cfg := &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{auth},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
	client, err := gossh.Dial("tcp", r.addr, cfg)
	if err != nil {
		return nil, err
	}
	sess, err := client.NewSession()
	if err != nil {
		client.Close()
		return nil, err
	}
	for i := 0; i+1 < len(env); i += 2 {
		_ = sess.Setenv(env[i], env[i+1])
	}
	tm := &term{t: r.t, client: client, sess: sess, closed: make(chan struct{})}
	sess.Stdout = &lockedWriter{tm}
	sess.Stderr = &lockedWriter{tm}
	if tm.in, err = sess.StdinPipe(); err != nil {
		return nil, err
	}
	if err := sess.RequestPty("xterm-256color", 24, 100, gossh.TerminalModes{}); err != nil {
		return nil, err
	}
	if err := sess.Shell(); err != nil {
		return nil, err
	}
	go func() { _ = sess.Wait(); close(tm.closed) }()
	r.t.Cleanup(func() { client.Close() })
	return tm, nil
}

type lockedWriter struct{ t *term }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.t.mu.Lock()
	defer w.t.mu.Unlock()
	return w.t.out.Write(p)
}

func (tm *term) output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

func (tm *term) send(s string) {
	if _, err := io.WriteString(tm.in, s); err != nil {
		tm.t.Fatalf("typing %q: %v", s, err)
	}
}

// eventually polls cond until it holds or 10 s pass: the SSH round trips are real.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) screen(name string) string {
	s, _ := r.class.Screen(name)
	return s
}

func TestStudentsGetTheirOwnSeatAndReconnectToIt(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.dial("bob", gossh.PublicKeys(r.bob.signer), "LANG", "ko_KR.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice's player drawn", func() bool { return strings.Contains(r.screen("alice"), "player of alice [en]") })
	eventually(t, "bob's player drawn in Korean", func() bool { return strings.Contains(r.screen("bob"), "player of bob [ko]") })
	a.send("x")
	eventually(t, "alice's key reached alice's player only", func() bool { return strings.Contains(r.screen("alice"), "typed=x") })
	if strings.Contains(r.screen("bob"), "typed=x") {
		t.Fatalf("bob's player saw alice's key: %q", r.screen("bob"))
	}
	a.send("n")
	eventually(t, "alice on step two", func() bool { return strings.Contains(r.screen("alice"), "step=two") })

	// Alice drops her connection and comes back: same seat, same step, no new cluster.
	a.client.Close()
	<-a.closed
	eventually(t, "alice disconnected", func() bool {
		for _, s := range r.class.Status() {
			if s.Name == "alice" {
				return !s.Connected
			}
		}
		return false
	})
	a2, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice back on step two", func() bool { return strings.Contains(r.screen("alice"), "step=two") })
	if n := r.made.Load(); n != 2 {
		t.Fatalf("seats built = %d, want 2 (reconnecting must not build a new cluster)", n)
	}
	_ = a2
	_ = b
}

func TestSeatClosesAfterTheReconnectWindow(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en_US.UTF-8")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice seated", func() bool { return strings.Contains(r.screen("alice"), "player of alice") })
	a.client.Close()
	<-a.closed
	v, _ := r.seats.Load("alice")
	seat := v.(*fakeSeat)
	// leave() saves the seat, then starts the window.
	eventually(t, "the reconnect window started", func() bool { return r.class.waiting("alice") })
	r.clock.Step(9 * time.Minute)
	if seat.closed.Load() {
		t.Fatal("the seat closed before the reconnect window ended")
	}
	r.clock.Step(2 * time.Minute)
	eventually(t, "seat closed after the window", func() bool { return seat.closed.Load() && r.class.Seats() == 0 })
	// Progress outlives the seat: it is on disk.
	b, err := os.ReadFile(filepath.Join(r.state, "students", "alice", "progress.json"))
	if err != nil || !strings.Contains(string(b), `"demo"`) {
		t.Fatalf("alice's progress file: %v %s", err, b)
	}
}

func TestWhoGetsIn(t *testing.T) {
	r := newRig(t, nil)
	if _, err := r.dial("eve", gossh.PublicKeys(r.stranger.signer)); err == nil {
		t.Fatal("an unknown key got in")
	}
	if _, err := r.dial("eve", gossh.Password("wrong password")); err == nil {
		t.Fatal("a wrong password got in")
	}
	// Bob's key may not take Alice's seat once Alice has it.
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice seated", func() bool { return strings.Contains(r.screen("alice"), "player of alice") })
	imp, err := r.dial("alice", gossh.PublicKeys(r.bob.signer))
	if err != nil {
		t.Fatal(err)
	}
	<-imp.closed
	if out := imp.output(); !strings.Contains(out, "belongs to another student") {
		t.Fatalf("impersonation answer: %q", out)
	}
	// The class password works for a new name; bad names are refused with a reason.
	p, err := r.dial("carol", gossh.Password("correct horse battery"), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "carol seated by password", func() bool { return strings.Contains(r.screen("carol"), "player of carol") })
	bad, err := r.dial("../etc", gossh.Password("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	<-bad.closed
	if out := bad.output(); !strings.Contains(out, "is not a student name") {
		t.Fatalf("bad name answer: %q", out)
	}
	// The fourth student finds the class full (MaxStudents 3).
	bb, err := r.dial("bob", gossh.PublicKeys(r.bob.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob seated", func() bool { return strings.Contains(r.screen("bob"), "player of bob") })
	full, err := r.dial("dave", gossh.Password("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	<-full.closed
	if out := full.output(); !strings.Contains(out, "class is full") {
		t.Fatalf("full class answer: %q", out)
	}
	// A command instead of the player is refused.
	_, _, _ = a, p, bb
}

func TestNoLangAsksFirst(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "language chooser", func() bool { return strings.Contains(r.screen("alice"), "Choose your language") })
	a.send("2")
	eventually(t, "Korean player", func() bool { return strings.Contains(r.screen("alice"), "player of alice [ko]") })
	b, _ := os.ReadFile(filepath.Join(r.state, "students", "alice", "class.json"))
	var st stats
	if err := json.Unmarshal(b, &st); err != nil || st.Lang != "ko" {
		t.Fatalf("the chosen language was not kept: %v %s", err, b)
	}
}

func TestInstructorViewMessagesHintsAndLockstep(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.dial("bob", gossh.PublicKeys(r.bob.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "both seated", func() bool {
		return strings.Contains(r.screen("alice"), "step=one") && strings.Contains(r.screen("bob"), "step=one")
	})
	a.send("n")
	eventually(t, "alice on step two", func() bool { return strings.Contains(r.screen("alice"), "step=two") })
	r.class.observe(time.Second)

	// The instructor's view lists both at the right step.
	tv, err := r.dial("teacher", gossh.PublicKeys(r.teacher.signer))
	if err != nil {
		t.Fatal(err)
	}
	_ = tv
	st := r.class.Status()
	if len(st) != 2 {
		t.Fatalf("status rows: %+v", st)
	}
	steps := map[string]int{}
	for _, s := range st {
		steps[s.Name] = s.StepIndex
	}
	if steps["alice"] != 1 || steps["bob"] != 0 {
		t.Fatalf("steps in the instructor's view: %v", steps)
	}
	eventually(t, "instructor view drawn", func() bool { return strings.Contains(tv.output(), "STUDENT") })

	// Bob is stuck: long on a step, hints used; he comes first.
	r.clock.Step(12 * time.Minute)
	r.class.observe(time.Second)
	v, _ := r.seats.Load("bob")
	v.(*fakeSeat).prog.Change("demo", func(l *Lesson) {
		if l.Steps == nil {
			l.Steps = map[string]*progress.Step{}
		}
		l.Steps["one"] = &progress.Step{Hints: 2}
	})
	// Alice moved recently.
	a.send("n")
	eventually(t, "alice on step three", func() bool { return strings.Contains(r.screen("alice"), "step=three") })
	r.class.observe(time.Second)
	st = r.class.Status()
	if st[0].Name != "bob" || !st[0].IsStuck() || st[1].IsStuck() {
		t.Fatalf("stuck order: %+v", st)
	}

	// A message to one, then to all.
	if n := r.class.Message("bob", "look at the \x1b]52;c;aGVsbG8=\x07events"); n != 1 {
		t.Fatalf("message reached %d", n)
	}
	eventually(t, "bob sees the message, cleaned", func() bool {
		s := r.screen("bob")
		return strings.Contains(s, "look at the events") && !strings.Contains(s, "\x1b]52")
	})
	if strings.Contains(r.screen("alice"), "look at the") {
		t.Fatal("a message for bob reached alice")
	}
	if _, err := r.class.PushHint("bob"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "bob sees the hint", func() bool { return strings.Contains(r.screen("bob"), "Hint from your instructor: look at the pods") })

	// Lockstep: released up to the furthest student (alice, step three); bob may reach
	// step two; after a reset to step one the gate holds a student back.
	r.class.SetLockstep(true)
	_, rel := r.class.Lockstep()
	if rel["demo"] != 2 {
		t.Fatalf("released = %v", rel)
	}
	r.class.mu.Lock()
	r.class.lock.Released["demo"] = 0
	r.class.mu.Unlock()
	b.send("n")
	eventually(t, "bob held back", func() bool { return strings.Contains(r.screen("bob"), "Wait for your instructor") })
	if !strings.Contains(r.screen("bob"), "step=one") {
		t.Fatalf("bob moved past lockstep: %q", r.screen("bob"))
	}
	if n := r.class.Release("demo"); n != 1 {
		t.Fatalf("release → %d", n)
	}
	b.send("n")
	eventually(t, "bob released to step two", func() bool { return strings.Contains(r.screen("bob"), "step=two") })

	// The read-only screen of a student is the frame their player drew.
	if s, ok := r.class.Screen("bob"); !ok || !strings.Contains(s, "player of bob") {
		t.Fatalf("bob's screen: %q", s)
	}
}

func TestInstructorModelKeys(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice seated", func() bool { return strings.Contains(r.screen("alice"), "step=one") })
	r.class.observe(time.Second)
	m := newInstructorModel(r.class, lipgloss.NewRenderer(io.Discard), "en")
	_ = a
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	m.Update(refreshMsg{})
	if v := m.View(); !strings.Contains(v, "alice") || !strings.Contains(v, "1/3 First") {
		t.Fatalf("instructor view: %q", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("m")})
	for _, r := range "hi there" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	eventually(t, "message from the view reached alice", func() bool { return strings.Contains(r.screen("alice"), "hi there") })
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("v")})
	if v := m.View(); !strings.Contains(v, "Watching alice (read-only)") || !strings.Contains(v, "player of alice") {
		t.Fatalf("screen view: %q", v)
	}
	// Keys do nothing to the student while watching.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("h")})
	m.Update(tea.KeyMsg{Type: tea.KeyEsc})
	if v := m.View(); !strings.Contains(v, "STUDENT") {
		t.Fatalf("esc did not go back: %q", v)
	}
}

func TestReport(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice seated", func() bool { return strings.Contains(r.screen("alice"), "step=one") })
	v, _ := r.seats.Load("alice")
	v.(*fakeSeat).prog.Change("demo", func(l *Lesson) {
		l.Steps = map[string]*progress.Step{"one": {Done: true}, "two": {Done: true, WithHelp: true, Hints: 1}}
	})
	if err := v.(*fakeSeat).prog.Save(); err != nil {
		t.Fatal(err)
	}
	r.class.observe(time.Second)
	r.class.observe(30 * time.Second)
	a.client.Close()
	<-a.closed
	eventually(t, "stats saved on leaving", func() bool {
		b, _ := os.ReadFile(filepath.Join(r.state, "students", "alice", "class.json"))
		return strings.Contains(string(b), "statefulset") || strings.Contains(string(b), `"demo"`)
	})
	rows, err := ReportRows(r.state, demoLessons("en"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Done != 2 || rows[0].WithoutHelp != 1 || rows[0].WithHelp != 1 || rows[0].Steps != 3 || rows[0].Minutes < 0.5 {
		t.Fatalf("rows: %+v", rows)
	}
	for _, f := range []string{"text", "csv", "json"} {
		var buf bytes.Buffer
		if err := WriteReport(&buf, rows, f); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "alice") {
			t.Fatalf("%s report: %q", f, buf.String())
		}
	}
	if err := WriteReport(io.Discard, rows, "xml"); err == nil {
		t.Fatal("an unknown format was accepted")
	}
	if _, err := ReportRows(t.TempDir(), nil); err == nil {
		t.Fatal("a folder without state gave a report")
	}
}

func TestNoGoroutinesLeftAfterClose(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		r := newRig(t, nil)
		for i := 0; i < 3; i++ {
			a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en")
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "seated", func() bool { return strings.Contains(r.screen("alice"), "player of alice") })
			a.client.Close() // abrupt: no q
			<-a.closed
		}
		r.class.Close()
	}()
	eventually(t, "goroutines back to where they were", func() bool { return runtime.NumGoroutine() <= before+2 })
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	k := newKey(t)
	p := filepath.Join(dir, "keys")
	os.WriteFile(p, []byte("from=\"10.0.0.1\" "+k.line), 0o600)
	if _, err := loadKeys(p); err == nil || !strings.Contains(err.Error(), "options") {
		t.Fatalf("a key with options: %v", err)
	}
	os.WriteFile(p, []byte("not a key\n"), 0o600)
	if _, err := loadKeys(p); err == nil {
		t.Fatal("garbage accepted as keys")
	}
	pw := filepath.Join(dir, "pw")
	os.WriteFile(pw, []byte("short\n"), 0o600)
	if _, err := loadPassword(pw); err == nil {
		t.Fatal("a short class password was accepted")
	}
	for _, n := range []string{"alice", "a", "bob-2", "x123"} {
		if !ValidName(n) {
			t.Errorf("%q refused", n)
		}
	}
	for _, n := range []string{"", "Alice", "../x", "-a", "a-", strings.Repeat("a", 33), "a_b", "root@x"} {
		if ValidName(n) {
			t.Errorf("%q accepted", n)
		}
	}
	// The host key is created once and kept.
	hk := filepath.Join(dir, "hk")
	s1, err := loadOrCreateHostKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := loadOrCreateHostKey(hk)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s1.PublicKey().Marshal(), s2.PublicKey().Marshal()) {
		t.Fatal("the host key changed between starts")
	}
	if fi, _ := os.Stat(hk); fi.Mode().Perm() != 0o600 {
		t.Fatalf("host key mode %v", fi.Mode())
	}
}

// Close right after Serve starts (before the SSH server tracks its listener) must still end
// Serve: CI once waited 40 minutes in Accept after such a Close.
func TestCloseRightAfterServe(t *testing.T) {
	for i := 0; i < 20; i++ {
		r := newRig(t, nil)
		r.class.Close()
		select {
		case err := <-r.done:
			r.done <- err // for the rig's cleanup
		case <-time.After(30 * time.Second):
			t.Fatalf("run %d: Serve still running 30 s after Close", i)
		}
	}
}

func TestCloseBeforeServe(t *testing.T) {
	r := newRig(t, nil)
	r.class.Close()
	<-r.done
	r.done <- nil
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.class.Serve(ln, filepath.Join(t.TempDir(), "hk")) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve after Close still running after 30 s")
	}
}

// A connection's program runs without Bubble Tea's ticking renderer: the session itself
// turns the alternate screen, mouse and paste modes on, and off when the student quits.
func TestSessionSetsTheScreenModesAndUndoesThem(t *testing.T) {
	r := newRig(t, nil)
	a, err := r.dial("alice", gossh.PublicKeys(r.alice.signer), "LANG", "en")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "alice's player drawn", func() bool { return strings.Contains(r.screen("alice"), "player of alice") })
	on := []string{ansi.SetAltScreenSaveCursorMode, ansi.HideCursor, ansi.SetButtonEventMouseMode, ansi.SetSgrExtMouseMode, ansi.SetBracketedPasteMode}
	off := []string{ansi.ResetAltScreenSaveCursorMode, ansi.ShowCursor, ansi.ResetButtonEventMouseMode, ansi.ResetSgrExtMouseMode, ansi.ResetBracketedPasteMode}
	eventually(t, "the modes on", func() bool {
		o := a.output()
		for _, seq := range on {
			if !strings.Contains(o, seq) {
				return false
			}
		}
		return true
	})
	before := len(a.output())
	a.send("q")
	<-a.closed
	o := a.output()[before:]
	for _, seq := range off {
		if !strings.Contains(o, seq) {
			t.Errorf("after q the session did not write %q: %q", seq, o)
		}
	}
}
