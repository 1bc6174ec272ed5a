package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/kubetutor/kubetutor/manifests"
)

// KubectlError is a kubectl run that ended with a non-zero exit code. What kubectl printed
// about it went to errOut, as the real kubectl prints it to stderr.
type KubectlError struct {
	Code int
}

func (e *KubectlError) Error() string { return fmt.Sprintf("kubectl: exit status %d", e.Code) }

// kubectlSlot serialises in-process kubectl runs across all sessions: kubectl's fatal-error
// handler and client-go's default warning handler are process globals.
var kubectlSlot = make(chan struct{}, 1)

// terminalSlotWait is how long a terminal run waits for another run to finish.
const terminalSlotWait = 3 * time.Second

// ErrKubectlBusy is what a terminal run returns when another kubectl command (a watch, say)
// still runs in the player.
var ErrKubectlBusy = errors.New("another kubectl command is still running in the player; stop it first, then try again")

// cancelGrace is how long RunKubectl waits, once ctx has ended, for kubectl to notice (its
// requests are cancelled with ctx) before returning anyway.
const cancelGrace = 2 * time.Second

// RunKubectl runs one kubectl command line ("kubectl get pods -l app=nginx") in-process
// against this session, writing what kubectl prints to out and errOut. Manifests named by
// -f resolve to the embedded manifests/.
//
// The line is split as a shell would (quotes, backslashes) but no shell runs: pipes,
// redirections and substitutions are refused. A bare -f name ("web.yaml", "./web.yaml") or an
// http(s) URL whose last element is the name of an embedded manifest
// (https://k8s.io/examples/application/web/web.yaml) reads the embedded copy, even when a
// file of that name exists in the working directory, so lessons behave the same everywhere
// and offline; kubectl's messages still name the file as it was typed.
//
// A non-zero exit returns *KubectlError. When ctx ends first (the way to stop `get -w`),
// kubectl's requests are cancelled, nothing more is written, and ctx.Err() is returned.
func (s *Session) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return s.runKubectl(ctx, line, in, out, errOut, false)
}

// runKubectl is RunKubectl; terminal hands in, out and errOut to kubectl unwrapped (see
// RunKubectlTerminal) and lets edit run.
func (s *Session) runKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer, terminal bool) error {
	args, err := SplitCommandLine(line)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return errors.New("empty command: type a kubectl command, e.g. kubectl get pods")
	}
	if args[0] != "kubectl" {
		return fmt.Errorf("only kubectl commands run here, not %q; run other programs in your own terminal", args[0])
	}
	args = args[1:]
	if why, refused := refusedSubcommands[firstWord(args)]; refused && !(terminal && firstWord(args) == "edit") {
		return errors.New(why)
	}
	if err := s.checkArgs(ctx, args, terminal); err != nil {
		return err
	}
	args, names := s.resolveManifestArgs(args)
	if err := s.checkResolvedFiles(args); err != nil {
		return err
	}

	if in == nil {
		in = strings.NewReader("")
	}
	if out == nil {
		out = io.Discard
	}
	if errOut == nil {
		errOut = io.Discard
	}

	// A terminal run holds the learner's screen while it waits: rather than a blank terminal
	// behind a watch that never ends, it gives up soon and says why.
	var busy <-chan time.Time
	if terminal {
		t := time.NewTimer(terminalSlotWait)
		defer t.Stop()
		busy = t.C
	}
	select {
	case kubectlSlot <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-busy:
		return ErrKubectlBusy
	}

	// kubectl's own context is cancelled only after its writers are muted, so what it says
	// about being stopped ("context canceled") never reaches the caller.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	o := newRunWriter(out, names)
	e := newRunWriter(errOut, names)
	// kubectl finds a terminal only in the *os.File it is handed, so a terminal run gets the
	// streams themselves.
	kin, kout, kerr := io.Reader(&ctxReader{ctx: runCtx, r: in}), io.Writer(o), io.Writer(e)
	if terminal {
		kin, kout, kerr = in, out, errOut
	}
	done := make(chan error, 1)
	go func() {
		// The slot is released by the run itself: if it outlives RunKubectl (stuck after
		// ctx ended), the next run waits for it rather than sharing the global handlers.
		defer func() { <-kubectlSlot }()
		defer cancel()
		err := s.execKubectl(runCtx, args, kin, kout, kerr)
		o.flush()
		e.flush()
		done <- err
	}()

	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Stopped by the caller: the rest of what kubectl says (watch closed, context canceled)
	// is noise about the stop itself.
	o.mute()
	e.mute()
	cancel()
	t := time.NewTimer(cancelGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	return ctx.Err()
}

// execKubectl builds a fresh kubectl command tree (its flags bind to fresh variables, so
// nothing leaks between runs) and executes it, turning kubectl's exits into errors.
func (s *Session) execKubectl(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) (err error) {
	streams := genericiooptions.IOStreams{In: in, Out: out, ErrOut: errOut}

	flags := genericclioptions.NewConfigFlags(true).
		WithDeprecatedPasswordFlag().
		WithDiscoveryBurst(300).
		WithDiscoveryQPS(50.0).
		WithWarningPrinter(streams)
	kubeconfig, err := s.kubectlStubConfig()
	if err != nil {
		return err
	}
	kctx, ns := stubContext, s.ns
	cacheDir := filepath.Join(s.dir, "kubectl-cache")
	flags.KubeConfig = &kubeconfig
	flags.Context = &kctx
	flags.Namespace = &ns
	flags.CacheDir = &cacheDir
	// kubectl connects with the session's own rest.Config, whatever its loader read
	// (sessionRESTConfig). Every request kubectl makes ends when ctx does, which is how a
	// never-ending `get -w` stops.
	flags.WrapConfigFn = func(*rest.Config) *rest.Config {
		c := s.sessionRESTConfig(ctx)
		c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &ctxRoundTripper{ctx: ctx, next: rt} })
		return c
	}

	// kubectl's resource builder reads `-f -` from os.Stdin itself, not from IOStreams.In:
	// for those runs (serialised, so nobody else sees it) os.Stdin is a pipe fed from in.
	if readsStdin(args) {
		restore, err := swapStdin(in)
		if err != nil {
			return err
		}
		defer restore()
	}

	// kubectl's fatal handler may run on a goroutine kubectl started itself (kubectl cp
	// does), where a panic would crash the whole program: record the code and end just that
	// goroutine. The command runs on its own goroutine so that ending it ends the run.
	var fatalMu sync.Mutex
	fatalCode, fatal := 0, false
	cmdutil.BehaviorOnFatal(func(msg string, code int) {
		if msg != "" {
			if !strings.HasSuffix(msg, "\n") {
				msg += "\n"
			}
			_, _ = io.WriteString(errOut, msg)
		}
		fatalMu.Lock()
		if !fatal {
			fatalCode, fatal = code, true
		}
		fatalMu.Unlock()
		runtime.Goexit()
	})
	defer func() {
		// Never the default handler, which exits the process: a goroutine of this run that
		// fails late only ends itself.
		cmdutil.BehaviorOnFatal(func(string, int) { runtime.Goexit() })
		// kubectl points client-go's process-wide warning handler at this run's errOut.
		rest.SetDefaultWarningHandler(rest.WarningLogger{})
		fatalMu.Lock()
		defer fatalMu.Unlock()
		if err == nil && fatal && fatalCode != 0 {
			err = &KubectlError{Code: fatalCode}
		}
	}()

	// Arguments holds only the program name: it keeps kubectl from applying the user's
	// ~/.kube/kuberc aliases and defaults, so lessons behave the same for everyone.
	cmd := newKubectlTree(flags, streams)
	cmd.SetArgs(args)
	cmd.SetIn(in)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	// As kubectl's main (component-base/cli) does: print errors once, through CheckErr, and
	// print usage only when the flags did not parse.
	cmd.SilenceErrors = true
	cmd.SilenceUsage = true
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		c.SilenceUsage = false
		return err
	})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("kubectl failed unexpectedly: %v\n%s", r, debug.Stack())
			}
		}()
		if err := cmd.ExecuteContext(ctx); err != nil {
			cmdutil.CheckErr(err)
		}
	}()
	<-finished
	return err
}

// readsStdin reports whether a -f / --filename value is "-".
func readsStdin(args []string) bool {
	for i, a := range args {
		if a == "--" {
			return false
		}
		var v string
		switch {
		case (a == "-f" || a == "--filename") && i+1 < len(args):
			v = args[i+1]
		case strings.HasPrefix(a, "--filename="):
			v = strings.TrimPrefix(a, "--filename=")
		case strings.HasPrefix(a, "-f") && !strings.HasPrefix(a, "--"):
			v = strings.TrimPrefix(strings.TrimPrefix(a, "-f"), "=")
		default:
			continue
		}
		for _, p := range strings.Split(v, ",") {
			if p == "-" {
				return true
			}
		}
	}
	return false
}

// swapStdin points os.Stdin at a pipe that delivers in, until restore is called.
func swapStdin(in io.Reader) (restore func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("engine: stdin pipe: %w", err)
	}
	go func() {
		// Ends when in is drained or when restore closes the read end under it.
		_, _ = io.Copy(w, in)
		_ = w.Close()
	}()
	old := os.Stdin
	os.Stdin = r
	return func() {
		os.Stdin = old
		_ = r.Close()
	}, nil
}

// refusedSubcommands cannot run inside the player, with what to do instead.
var refusedSubcommands = map[string]string{
	"edit": "kubectl edit opens a text editor, which cannot run inside the player; " +
		"use kubectl patch here, or run kubectl edit in your own terminal (see `kubetutor serve`)",
	// kubectl proxy serves until the process ends and ignores ctx: it would hold the kubectl
	// slot, and so every later run, for good.
	"proxy": "kubectl proxy runs until you stop it, which cannot happen inside the player; " +
		"run it in your own terminal (see `kubetutor serve`)",
}

func firstWord(args []string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a
		}
		if globalValueFlags[a] {
			i++ // `-n default proxy`: the flag's value is not the subcommand
		}
	}
	return ""
}

// globalValueFlags are kubectl's global flags that take a value as the next word, so a
// subcommand after them (`kubectl -n default edit …`) is still found.
var globalValueFlags = map[string]bool{
	"-n": true, "--namespace": true, "-s": true, "--server": true, "--context": true,
	"--cluster": true, "--user": true, "--kubeconfig": true, "--cache-dir": true,
	"--token": true, "--as": true, "--as-group": true, "--as-uid": true, "--username": true,
	"--password": true, "--certificate-authority": true, "--client-certificate": true,
	"--client-key": true, "--tls-server-name": true, "--request-timeout": true, "-v": true,
	"--v": true, "--profile": true, "--profile-output": true, "--vmodule": true,
	"--log-flush-frequency": true,
}

// resolveManifestArgs rewrites -f / --filename values naming an embedded manifest to the
// session's copy on disk, and returns the paths it used mapped to what the user typed.
func (s *Session) resolveManifestArgs(args []string) ([]string, map[string]string) {
	names := map[string]string{}
	rewrite := func(v string) string {
		parts := strings.Split(v, ",") // kubectl's -f is a string slice: commas separate files
		for i, p := range parts {
			name, ok := embeddedManifestName(p)
			if !ok {
				continue
			}
			abs := s.manifestPath(name)
			names[abs] = p
			parts[i] = abs
		}
		return strings.Join(parts, ",")
	}
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			// Whatever follows belongs to the program exec/run starts.
			return append(out, args[i:]...), names
		case (a == "-f" || a == "--filename") && i+1 < len(args):
			out = append(out, a, rewrite(args[i+1]))
			i++
		case strings.HasPrefix(a, "--filename="):
			out = append(out, "--filename="+rewrite(strings.TrimPrefix(a, "--filename=")))
		case strings.HasPrefix(a, "-f="):
			out = append(out, "-f="+rewrite(strings.TrimPrefix(a, "-f=")))
		case strings.HasPrefix(a, "-f") && len(a) > 2 && !strings.HasPrefix(a, "--"):
			out = append(out, "-f"+rewrite(a[2:]))
		default:
			out = append(out, a)
		}
	}
	return out, names
}

// embeddedManifestName reports which embedded manifest v names, if any: a bare name,
// "./name", or an http(s) URL ending in /name.
func embeddedManifestName(v string) (string, bool) {
	name := strings.TrimPrefix(v, "./")
	if u, err := url.Parse(v); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		name = path.Base(u.Path)
	} else if strings.Contains(name, "/") {
		return "", false
	}
	for _, n := range manifests.Names() {
		if n == name {
			return n, true
		}
	}
	return "", false
}

// ctxRoundTripper ties each request to the run's context.
type ctxRoundTripper struct {
	ctx  context.Context
	next http.RoundTripper
}

func (c *ctxRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(c.ctx, cancel)
	resp, err := c.next.RoundTrip(req.WithContext(rctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

func (c *ctxRoundTripper) WrappedRoundTripper() http.RoundTripper { return c.next }

type cancelOnClose struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.done)
	return err
}

// ctxReader stops feeding kubectl input once the run's context has ended.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// runWriter passes kubectl's output through whole lines at a time, replacing the session's
// manifest paths with the names the user typed, and drops everything once muted.
type runWriter struct {
	mu    sync.Mutex
	w     io.Writer
	buf   bytes.Buffer
	repl  *strings.Replacer
	muted bool
}

func newRunWriter(w io.Writer, names map[string]string) *runWriter {
	rw := &runWriter{w: w}
	if len(names) > 0 {
		pairs := make([]string, 0, 2*len(names))
		for abs, typed := range names {
			pairs = append(pairs, abs, typed)
		}
		rw.repl = strings.NewReplacer(pairs...)
	}
	return rw
}

func (rw *runWriter) Write(p []byte) (int, error) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.muted {
		return len(p), nil
	}
	if rw.repl == nil {
		return rw.w.Write(p)
	}
	rw.buf.Write(p)
	if i := bytes.LastIndexByte(rw.buf.Bytes(), '\n'); i >= 0 {
		chunk := string(rw.buf.Next(i + 1))
		if _, err := io.WriteString(rw.w, rw.repl.Replace(chunk)); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (rw *runWriter) flush() {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	if rw.muted || rw.buf.Len() == 0 {
		return
	}
	rest := rw.buf.String()
	rw.buf.Reset()
	if rw.repl != nil {
		rest = rw.repl.Replace(rest)
	}
	_, _ = io.WriteString(rw.w, rest)
}

func (rw *runWriter) mute() {
	rw.mu.Lock()
	rw.muted = true
	rw.buf.Reset()
	rw.mu.Unlock()
}
