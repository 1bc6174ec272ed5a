package classroom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/gliderlabs/ssh"
	"github.com/muesli/termenv"
	gossh "golang.org/x/crypto/ssh"

	"github.com/kubetutor/kubetutor/tui"
)

type ctxKey string

const (
	roleKey ctxKey = "kubetutor-role"
	credKey ctxKey = "kubetutor-cred"
)

// Serve takes connections on l until Close. hostKey is the path of the server's host key,
// created on first start.
func (c *Class) Serve(l net.Listener, hostKey string) error {
	signer, err := loadOrCreateHostKey(hostKey)
	if err != nil {
		return err
	}
	srv := &ssh.Server{
		Handler:          c.handle,
		IdleTimeout:      c.o.IdleTimeout,
		PublicKeyHandler: c.checkKey,
		Version:          "kubetutor-classroom",
	}
	if c.password != "" {
		srv.PasswordHandler = c.checkPassword
	}
	srv.AddHostKey(signer)
	// Close may come before this point (a slow host key): then there is nothing to serve, and
	// Close's wg.Wait must not race this Add.
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		l.Close()
		return nil
	}
	c.wg.Add(2)
	c.mu.Unlock()
	go c.run()
	go func() {
		defer c.wg.Done()
		<-c.ctx.Done()
		srv.Close()
		// srv.Close closes only the listeners srv.Serve has started tracking; when Close comes
		// before that, the Accept below would wait forever. Closing l ends it either way.
		l.Close()
	}()
	err = srv.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// checkKey lets in the keys of the two files. An instructor's key wins when it is in both.
func (c *Class) checkKey(ctx ssh.Context, key ssh.PublicKey) bool {
	fp := gossh.FingerprintSHA256(key)
	switch {
	case c.teachers[fp]:
		ctx.SetValue(roleKey, RoleInstructor)
	case c.students[fp]:
		ctx.SetValue(roleKey, RoleStudent)
		ctx.SetValue(credKey, "key:"+fp)
	default:
		return false
	}
	return true
}

func (c *Class) checkPassword(ctx ssh.Context, pw string) bool {
	if !passwordOK(c.password, pw) {
		return false
	}
	ctx.SetValue(roleKey, RoleStudent)
	ctx.SetValue(credKey, "password")
	return true
}

// handle is one SSH session: a player for a student, the class view for an instructor.
// Nothing else is served: no commands, no subsystems, no forwarding (the server sets no
// handlers for them, so they are refused).
func (c *Class) handle(s ssh.Session) {
	role, _ := s.Context().Value(roleKey).(Role)
	if len(s.Command()) > 0 || s.Subsystem() != "" {
		fmt.Fprintln(s.Stderr(), "kubetutor classroom: this server runs only the player; connect without a command: ssh -p PORT NAME@HOST")
		_ = s.Exit(2)
		return
	}
	pty, winCh, ok := s.Pty()
	if !ok {
		fmt.Fprintln(s.Stderr(), "kubetutor classroom: the player needs a terminal; connect with ssh -t -p PORT NAME@HOST")
		_ = s.Exit(2)
		return
	}
	env := sessionEnv(s.Environ(), pty.Term)
	r := lipgloss.NewRenderer(s, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
	// Asking a remote terminal for its background would eat the student's first keys.
	r.SetHasDarkBackground(true)

	// As in the single-user player: a frame is written as soon as it changes (a key is on the
	// student's screen with no frame tick in between) and only then (tui.Redrawer), and
	// Bubble Tea's standard renderer, whose ticker would wake the server every second for
	// every idle connection, is off: the screen's modes are set by a RemoteScreen. The
	// client's terminal is raw already and its sizes come on winCh. Frames and modes are
	// written through one lock so their bytes never interleave on the channel.
	out := &syncWriter{w: s}
	screen := tui.NewRemoteScreen(out)

	var model tea.Model
	var done func(*tea.Program)
	switch role {
	case RoleInstructor:
		im := newInstructorModel(c, r, langOf(env))
		model = im
		done = c.unwatch
	case RoleStudent:
		name := s.User()
		if !ValidName(name) {
			fmt.Fprintf(s.Stderr(), "kubetutor classroom: %q is not a student name: use lowercase letters, digits and '-', at most 32 (ssh -p PORT yourname@HOST)\n", name)
			_ = s.Exit(2)
			return
		}
		cred, _ := s.Context().Value(credKey).(string)
		fresh, err := c.names.claim(name, cred)
		if err != nil {
			fmt.Fprintf(s.Stderr(), "kubetutor classroom: %s: %v; log in under your own name\n", name, err)
			_ = s.Exit(2)
			return
		}
		st, err := c.join(name, cred)
		if err != nil {
			if fresh {
				c.names.release(name, cred)
			}
			fmt.Fprintf(s.Stderr(), "kubetutor classroom: %v\n", err)
			_ = s.Exit(1)
			return
		}
		sm := newStudentModel(c, st, r, langOf(env))
		model = sm
		done = func(p *tea.Program) { c.leave(st, p) }
	default:
		_ = s.Exit(1)
		return
	}

	ctx, cancel := context.WithCancel(s.Context())
	defer cancel()
	p := tea.NewProgram(tui.NewRedrawer(model, out),
		tea.WithInput(s), tea.WithOutput(out), tea.WithEnvironment(env.list), tea.WithoutRenderer(),
		tea.WithContext(ctx), tea.WithoutSignalHandler())
	switch m := model.(type) {
	case *studentModel:
		c.mu.Lock()
		m.st.programs[p] = m
		m.st.pending--
		c.mu.Unlock()
	case *instructorModel:
		c.mu.Lock()
		c.watchers[p] = struct{}{}
		c.mu.Unlock()
	}
	go func() {
		// The channel closes with the session; Send returns once the program has ended.
		for w := range winCh {
			p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
		}
	}()
	err := screen.Enter()
	if err == nil {
		_, err = p.Run()
	}
	_ = screen.Leave()
	done(p)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, context.Canceled) {
		c.o.Logf("classroom: %s: %v", s.User(), err)
	}
	_ = s.Exit(0)
}

// syncWriter makes each Write whole with respect to the others.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *syncWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (c *Class) unwatch(p *tea.Program) {
	c.mu.Lock()
	delete(c.watchers, p)
	c.mu.Unlock()
}

// env is a session's environment as termenv and Bubble Tea read it: what the client sent
// (LANG, COLORTERM, NO_COLOR …) plus the terminal type of its pty request.
type env struct{ list []string }

func sessionEnv(sent []string, term string) env {
	out := make([]string, 0, len(sent)+1)
	for _, kv := range sent {
		if !strings.HasPrefix(kv, "TERM=") {
			out = append(out, kv)
		}
	}
	if term == "" {
		term = "xterm-256color"
	}
	return env{list: append(out, "TERM="+term)}
}

func (e env) Environ() []string { return e.list }

func (e env) Getenv(k string) string {
	for i := len(e.list) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(e.list[i], k+"="); ok {
			return v
		}
	}
	return ""
}

// langOf is the language the client's locale asks for: "ko", "en", or "" (ask).
func langOf(e env) string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := strings.ToLower(e.Getenv(k))
		switch {
		case v == "":
			continue
		case strings.HasPrefix(v, "ko"):
			return "ko"
		case strings.HasPrefix(v, "en"):
			return "en"
		default:
			return ""
		}
	}
	return ""
}
