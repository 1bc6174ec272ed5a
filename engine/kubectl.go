package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	utilcomp "k8s.io/kubectl/pkg/util/completion"

	"github.com/kubetutor/kubetutor/manifests"
)

// KubectlError is a kubectl run that ended with a non-zero exit code. What kubectl printed
// about it went to errOut, as the real kubectl prints it to stderr.
type KubectlError struct {
	Code int
}

func (e *KubectlError) Error() string { return fmt.Sprintf("kubectl: exit status %d", e.Code) }

// stopGrace is how long a stopped run may take to end (kubectl noticing that its requests
// and writers were cut) before RunKubectl returns anyway and abandons it. An abandoned run
// holds nothing anyone waits for: no lock, no slot, no output.
const stopGrace = 2 * time.Second

// errRunStopped is what a stopped run's writers answer, so kubectl's copy loops (get -w,
// logs -f, exec output) end instead of streaming into nothing.
var errRunStopped = errors.New("the command was stopped")

// maxStdin bounds what `-f -` reads from the caller's input (as the simulator bounds a
// request body).
const maxStdin = 3 << 20

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
// Runs of any number of sessions, and of one session, go on at the same time: each run
// builds its own kubectl command tree, streams, client configuration and warning handler.
//
// A non-zero exit returns *KubectlError. When ctx ends first (the way to stop `get -w`),
// kubectl's requests are cancelled, its writers refuse further output, and ctx.Err() is
// returned as soon as kubectl has ended, or after stopGrace if it has not (the run is then
// abandoned and ends by itself later; see KubectlRuns).
func (s *Session) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return s.runKubectl(ctx, line, in, out, errOut, false)
}

// KubectlRuns reports this session's kubectl runs still going on: running counts every
// one, abandoned those that did not end within stopGrace of being stopped.
func (s *Session) KubectlRuns() (running, abandoned int) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	return s.runs.running, s.runs.abandoned
}

// runTracker counts a session's runs (for tests and the log).
type runTracker struct {
	mu        sync.Mutex
	running   int
	abandoned int
}

func (t *runTracker) add(running, abandoned int) {
	t.mu.Lock()
	t.running += running
	t.abandoned += abandoned
	t.mu.Unlock()
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
	editor := HasEditor(ctx)
	if why, refused := refusedSubcommands[firstWord(args)]; refused && !((terminal || editor) && firstWord(args) == "edit") {
		return errors.New(why)
	}
	if !terminal && !editor && IsEditLine(line) {
		// apply edit-last-applied would start $EDITOR, a program of this computer.
		return errors.New(refusedSubcommands["edit"])
	}
	if err := refuseGlobalFlags(args); err != nil {
		return err
	}
	if err := s.checkArgs(ctx, args, terminal); err != nil {
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
	// `-f -` reads the caller's input: kubectl's resource builder would read os.Stdin, a
	// process global, so the input goes to a file of this run instead.
	stdinPath := ""
	if readsStdin(args) {
		p, err := s.stdinFile(in)
		if err != nil {
			return err
		}
		defer os.Remove(p)
		stdinPath = p
	}
	args, names := s.resolveManifestArgs(args, stdinPath)
	if err := s.checkResolvedFiles(args); err != nil {
		return err
	}
	return s.startRun(ctx, args, names, in, out, errOut, terminal)
}

// startRun runs kubectl on its own goroutine and waits for it, or for ctx and then at most
// stopGrace.
func (s *Session) startRun(ctx context.Context, args []string, names map[string]string, in io.Reader, out, errOut io.Writer, terminal bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// kubectl's own context is cancelled only after its writers are stopped, so what it says
	// about being stopped ("context canceled") never reaches the caller.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	o := newRunWriter(out, names)
	e := newRunWriter(errOut, names)
	// kubectl finds a terminal only in the *os.File it is handed, so a terminal run gets the
	// streams themselves.
	kin, kout, kerr := io.Reader(&ctxReader{ctx: runCtx, r: in}), io.Writer(o), io.Writer(e)
	if terminal {
		kin, kout, kerr = in, out, errOut
	}
	done := make(chan error, 1)
	// finished and gaveUp are guarded by s.runs.mu, so a run is counted abandoned exactly
	// while it is both given up on and still going.
	finished, gaveUp := false, false
	s.runs.add(1, 0)
	go func() {
		defer cancel()
		err := s.execKubectl(runCtx, args, kin, kout, kerr)
		o.flush()
		e.flush()
		s.runs.mu.Lock()
		finished = true
		s.runs.running--
		if gaveUp {
			s.runs.abandoned--
		}
		s.runs.mu.Unlock()
		done <- err
	}()

	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	// Stopped by the caller: the rest of what kubectl says (watch closed, context canceled)
	// is noise about the stop itself.
	o.stop()
	e.stop()
	cancel()
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		s.runs.mu.Lock()
		if !finished {
			gaveUp = true
			s.runs.abandoned++
		}
		s.runs.mu.Unlock()
	}
	return ctx.Err()
}

// stdinFile writes what `-f -` reads to a file of this session.
func (s *Session) stdinFile(in io.Reader) (string, error) {
	f, err := os.CreateTemp(s.dir, "stdin-*.yaml")
	if err != nil {
		return "", fmt.Errorf("engine: stdin file: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(in, maxStdin+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxStdin {
		err = fmt.Errorf("the input for -f - is larger than %d bytes", maxStdin)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// refuseGlobalFlags refuses kubectl flags whose effect is process-wide (profiling writes
// files and starts the process's one CPU profile), which would reach other sessions.
func refuseGlobalFlags(args []string) error {
	for i, a := range args {
		if a == "--" {
			return nil
		}
		v, isProfile := "", false
		switch {
		case a == "--profile" && i+1 < len(args):
			v, isProfile = args[i+1], true
		case strings.HasPrefix(a, "--profile="):
			v, isProfile = strings.TrimPrefix(a, "--profile="), true
		case a == "--profile-output" || strings.HasPrefix(a, "--profile-output="):
			v, isProfile = "output", true
		}
		if isProfile && v != "none" {
			return errors.New("kubectl --profile cannot run inside the player (it profiles the whole program); run it in your own terminal")
		}
	}
	return nil
}

// fatalOnce installs, once for the process, kubectl's fatal-error behaviour for in-process
// runs (kubectl's default exits the process). The handler is a process global, so it finds
// the run it belongs to from the goroutine it is called on:
//   - on a run's own goroutine, it panics with kubectlExit, which that run recovers
//     (runKubectlCommand), so the message and exit code reach that run alone;
//   - on a goroutine a run's kubectl started (kubectl cp copies on one), where nothing could
//     recover a panic, it records the exit on the run and ends just that goroutine;
//   - anywhere else it logs and ends the goroutine.
var fatalOnce sync.Once

// kubectlExit is the panic value that carries a fatal error to its run.
type kubectlExit struct {
	msg  string
	code int
}

// runState is what the fatal handler knows of a run, by the id of the run's goroutine.
type runState struct {
	errOut io.Writer
	mu     sync.Mutex
	code   int // a fatal exit reported from a goroutine kubectl started; 0: none
}

var (
	runsMu        sync.Mutex
	runsByRoutine = map[uint64]*runState{}
)

func installFatalHandler() {
	fatalOnce.Do(func() {
		cmdutil.BehaviorOnFatal(func(msg string, code int) {
			self, parent := goroutineIDs()
			runsMu.Lock()
			own, child := runsByRoutine[self], runsByRoutine[parent]
			runsMu.Unlock()
			switch {
			case own != nil:
				panic(kubectlExit{msg: msg, code: code})
			case child != nil:
				child.mu.Lock()
				if msg != "" {
					_, _ = io.WriteString(child.errOut, withNewline(msg))
				}
				if child.code == 0 {
					child.code = code
				}
				child.mu.Unlock()
			default:
				klog.Warningf("kubectl failed outside a run (exit %d): %s", code, strings.TrimSpace(msg))
			}
			runtime.Goexit()
		})
	})
}

func withNewline(s string) string {
	if strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// goroutineIDs reads the current goroutine's id and the id of the goroutine that started it
// (0 when unknown) from its stack trace header and footer ("goroutine 7 [running]:" …
// "created by … in goroutine 3"), the only place Go states them.
func goroutineIDs() (self, parent uint64) {
	buf := make([]byte, 8<<10)
	for {
		n := runtime.Stack(buf, false)
		if n < len(buf) || len(buf) >= 4<<20 {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf)) // the footer names the parent: read the whole trace
	}
	if rest, ok := bytes.CutPrefix(buf, []byte("goroutine ")); ok {
		if i := bytes.IndexByte(rest, ' '); i > 0 {
			self, _ = strconv.ParseUint(string(rest[:i]), 10, 64)
		}
	}
	if i := bytes.LastIndex(buf, []byte(" in goroutine ")); i >= 0 {
		rest := buf[i+len(" in goroutine "):]
		end := bytes.IndexAny(rest, "\n ")
		if end < 0 {
			end = len(rest)
		}
		parent, _ = strconv.ParseUint(string(rest[:end]), 10, 64)
	}
	return self, parent
}

// execKubectl builds a fresh kubectl command tree (its flags bind to fresh variables, so
// nothing leaks between runs) and executes it, turning kubectl's exits into errors.
func (s *Session) execKubectl(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) error {
	installFatalHandler()
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
	if h := testRunFlags; h != nil {
		h(flags)
	}
	// kubectl connects with the session's own rest.Config, whatever its loader read
	// (sessionRESTConfig). This run's server warnings go to this run's errOut: kubectl itself
	// points client-go's process-wide default handler at whichever run started last, so
	// every config kubectl builds gets its own handler, which client-go prefers to the
	// default. Every request kubectl makes ends when ctx does, which is how a never-ending
	// `get -w` stops.
	warnings := rest.NewWarningWriter(errOut, rest.WarningWriterOptions{Deduplicate: true})
	flags.WrapConfigFn = func(*rest.Config) *rest.Config {
		c := s.sessionRESTConfig(ctx)
		c.WarningHandler = warnings
		c.WarningHandlerWithContext = nil
		c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return &ctxRoundTripper{ctx: ctx, next: rt, observe: s.requestHook.Load()}
		})
		return c
	}

	// Arguments holds only the program name: it keeps kubectl from applying the user's
	// ~/.kube/kuberc aliases and defaults, so lessons behave the same for everyone.
	cmd := newKubectlTree(kubectlcmd.KubectlOptions{
		Arguments:   []string{"kubectl"},
		ConfigFlags: flags,
		IOStreams:   streams,
	}, warnings)
	defer forgetCompletions(cmd) // or cobra keeps the tree and its caches forever
	if !s.kubectlOwnRuns.Load() {
		cancellableWaits(ctx, cmd, flags, streams)
		// apply reads OpenAPI documents parsed once per process (kubectl_openapi.go).
		sharedOpenAPIApply(cmd, cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags)), streams)
	}
	if ed := editorFrom(ctx); ed != nil {
		builtinEditors(ctx, cmd, flags, streams, ed)
	}
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
	return runKubectlCommand(ctx, cmd, errOut)
}

// testRunFlags, when set by a test, sees each run's flags (a test of what outlives a run).
var testRunFlags func(*genericclioptions.ConfigFlags)

// treeMu guards the package variables kubectl writes while it builds a command tree (the
// profiling flags' targets, completion's factory). It is held for the build only, a few
// milliseconds; the runs themselves go on at the same time.
var treeMu sync.Mutex

// LockKubectlGlobals takes the lock that guards the package variables kubectl writes while
// it builds a command tree or resets its flags (the profiling flags bind to package
// variables); it returns the unlock. Anything in the process that builds or resets a kubectl
// tree besides the runs here (lesson lint's parser) must hold it meanwhile.
func LockKubectlGlobals() (unlock func()) {
	treeMu.Lock()
	return treeMu.Unlock
}

// NewKubectlTree builds kubectl's command tree under LockKubectlGlobals.
func NewKubectlTree(o kubectlcmd.KubectlOptions) *cobra.Command {
	defer LockKubectlGlobals()()
	cmd := kubectlcmd.NewKubectlCommand(o)
	// kubectl keeps the tree's factory in a package variable for the --context, --cluster
	// and --user completions, until the next tree replaces it: the last run's whole client
	// state (its discovery client with the OpenAPI documents it read, 2.3 MB after an apply)
	// stayed reachable while the player sat idle. Those completions list the names of the
	// stub kubeconfig, the same for every session, so one shared factory answers them.
	utilcomp.SetFactoryForCompletion(stubNamesFactory)
	return cmd
}

// stubNamesFactory answers kubectl's kubeconfig-name completions with the stub kubeconfig's
// names (kubectlStubConfig); it reaches no server and reads no file.
var stubNamesFactory = cmdutil.NewFactory(stubNamesGetter{})

type stubNamesGetter struct{}

var errNoClient = errors.New("engine: completion only: no client")

func (stubNamesGetter) ToRESTConfig() (*rest.Config, error) { return nil, errNoClient }
func (stubNamesGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return nil, errNoClient
}
func (stubNamesGetter) ToRESTMapper() (meta.RESTMapper, error) { return nil, errNoClient }
func (stubNamesGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[stubContext] = clientcmdapi.NewCluster()
	cfg.AuthInfos[stubContext] = clientcmdapi.NewAuthInfo()
	kctx := clientcmdapi.NewContext()
	kctx.Cluster, kctx.AuthInfo = stubContext, stubContext
	cfg.Contexts[stubContext] = kctx
	cfg.CurrentContext = stubContext
	return clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{})
}

// newKubectlTree builds kubectl's command tree for one run. kubectl's root pre-run is
// replaced: it would point client-go's process-wide warning handler at this run (every
// config of the run has its own handler instead), read the profiling flags' package
// variables (profiling is refused) and set up plugin completion (plugins are programs of
// the host). Its post-run keeps --warnings-as-errors, counted on the run's own handler.
func newKubectlTree(o kubectlcmd.KubectlOptions, warnings warningCounter) *cobra.Command {
	cmd := NewKubectlTree(o)
	cmd.PersistentPreRunE = func(*cobra.Command, []string) error { return nil }
	cmd.PersistentPostRunE = func(c *cobra.Command, _ []string) error {
		if on, _ := c.Flags().GetBool("warnings-as-errors"); !on {
			return nil
		}
		switch n := warnings.WarningCount(); n {
		case 0:
			return nil
		case 1:
			return fmt.Errorf("%d warning received", n)
		default:
			return fmt.Errorf("%d warnings received", n)
		}
	}
	return cmd
}

// warningCounter is rest.NewWarningWriter's handler.
type warningCounter interface {
	rest.WarningHandler
	WarningCount() int
}

// runKubectlCommand executes cmd on the calling goroutine, registered as a run's for the
// fatal handler, which panics there with kubectlExit, recovered here.
func runKubectlCommand(ctx context.Context, cmd *cobra.Command, errOut io.Writer) (err error) {
	st := &runState{errOut: errOut}
	self, _ := goroutineIDs()
	runsMu.Lock()
	runsByRoutine[self] = st
	runsMu.Unlock()
	defer func() {
		runsMu.Lock()
		delete(runsByRoutine, self)
		runsMu.Unlock()
		r := recover()
		if x, ok := r.(kubectlExit); ok {
			if x.msg != "" {
				_, _ = io.WriteString(errOut, withNewline(x.msg))
			}
			if x.code != 0 {
				err = &KubectlError{Code: x.code}
			}
		} else if r != nil {
			// One line for the learner; the stack goes to the log (main sends the standard
			// logger to the log file), never to the screen.
			log.Printf("kubectl panicked: %v\n%s", r, debug.Stack())
			msg, _, _ := strings.Cut(fmt.Sprint(r), "\n")
			err = fmt.Errorf("kubectl failed unexpectedly: %s (details in the log)", msg)
		}
		st.mu.Lock()
		if err == nil && st.code != 0 {
			err = &KubectlError{Code: st.code}
		}
		st.mu.Unlock()
	}()
	if err := cmd.ExecuteContext(ctx); err != nil {
		cmdutil.CheckErr(err)
	}
	return nil
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

// refusedSubcommands cannot run inside the player, with what to do instead.
var refusedSubcommands = map[string]string{
	"edit": "kubectl edit opens a text editor, which cannot run inside the player; " +
		"use kubectl patch here, or run kubectl edit in your own terminal (see `kubetutor serve`)",
	// kubectl proxy serves until the process ends and ignores ctx: it would listen for good.
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
// session's copy on disk, and "-" to stdinPath (when set), and returns the paths it used
// mapped to what kubectl would have printed for what the user typed.
func (s *Session) resolveManifestArgs(args []string, stdinPath string) ([]string, map[string]string) {
	names := map[string]string{}
	rewrite := func(v string) string {
		parts := strings.Split(v, ",") // kubectl's -f is a string slice: commas separate files
		for i, p := range parts {
			if p == "-" && stdinPath != "" {
				names[stdinPath] = "STDIN"
				parts[i] = stdinPath
				continue
			}
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
	ctx     context.Context
	next    http.RoundTripper
	observe *func(*http.Request) // tests: sees each request kubectl makes
}

func (c *ctxRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, err
	}
	if c.observe != nil {
		(*c.observe)(req)
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
// manifest paths with the names the user typed, and refuses everything once stopped.
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
		return 0, errRunStopped
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

// stop drops what is buffered and refuses every later write.
func (rw *runWriter) stop() {
	rw.mu.Lock()
	rw.muted = true
	rw.buf.Reset()
	rw.mu.Unlock()
}
