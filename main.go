// Command kubetutor is a terminal tutorial player that teaches Kubernetes StatefulSets on an
// embedded simulated cluster.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	"github.com/kubetutor/kubetutor/engine"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// startTimeout bounds starting the simulator.
const startTimeout = 30 * time.Second

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errInterrupted means a signal ended the player (exit code 130).
var errInterrupted = errors.New("interrupted")

type config struct {
	lang    string
	speed   float64
	logPath string
	version bool
	// lessonsDir holds extra lesson folders (--lessons); see main_lessons.go.
	lessonsDir string
	present    bool // --present: the projector layout
	plain      bool // --plain: line by line, for screen readers and logs
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the command line, runs the chosen mode and maps its error to an exit code; the
// one place that decides exit codes.
func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "kubetutor: %v\nRun 'kubetutor -h' for usage.\n", err)
		return 2
	case errors.Is(err, errInterrupted):
		return 130
	default:
		fmt.Fprintf(stderr, "kubetutor: %v\n", err)
		return 1
	}
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("kubetutor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.lang, "lang", langFromEnv(), "language of lessons and player: en or ko")
	fs.Float64Var(&c.speed, "speed", 1, "simulator speed (1 is real time, 2 twice as fast)")
	fs.StringVar(&c.logPath, "log", defaultLogPath(), "log file (logs never go to the terminal)")
	fs.BoolVar(&c.version, "version", false, "print the version and exit")
	fs.StringVar(&c.lessonsDir, "lessons", "", "also load the lesson folders in `DIR`")
	fs.BoolVar(&c.present, "present", false, "projector layout: larger step title, fewer panes, high contrast")
	fs.BoolVar(&c.plain, "plain", false, "plain line-by-line player for screen readers and logs")
	rf := addRealFlags(fs) // real-cluster mode and doctor: main_real.go
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  kubetutor [flags]         lesson menu on the built-in simulator\n"+
			"  kubetutor serve [flags]   run the simulator alone for your own kubectl\n"+
			"  kubetutor --kubeconfig PATH | --context NAME | --real [-n NS]\n"+
			"                            play a lesson on a real cluster, in its own namespace\n"+
			"  kubetutor doctor [--context NAME] [--pull]\n"+
			"                            check that a real cluster can run a lesson\n"+
			"  kubetutor manifests list | export DIR\n"+
			"                            the tutorial's YAML (web.yaml, …) for your own kubectl\n"+
			"  kubetutor lessons list | lint [DIR] | solve LESSON\n"+
			"                            tools for lesson authors (kubetutor lessons -h)\n"+
			"  kubetutor progress export FILE | import FILE | path | reset\n"+
			"  kubetutor demo LESSON     play a lesson by itself (space pauses, ← → skip)\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	// Flags may also follow the subcommand: `kubetutor serve --speed 2`.
	sub := fs.Arg(0)
	if sub == "manifests" {
		return manifestsCmd(fs.Args()[1:], stdout)
	}
	if sub == "lessons" {
		return lessonsCmd(fs.Args()[1:], c.lessonsDir, stdout, stderr)
	}
	if sub == "progress" {
		return progressCmd(fs.Args()[1:], stdout)
	}
	var demoLesson string
	if sub != "" {
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return flagError(err)
		}
		if sub == "demo" && fs.NArg() > 0 {
			demoLesson = fs.Arg(0)
			if err := fs.Parse(fs.Args()[1:]); err != nil {
				return flagError(err)
			}
		}
		if fs.NArg() > 0 {
			return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
		}
	}
	if c.version {
		fmt.Fprintln(stdout, versionString())
		return nil
	}
	switch c.lang = strings.ToLower(c.lang); c.lang {
	case "en", "ko":
	default:
		return usageError{fmt.Sprintf("--lang must be en or ko, not %q", c.lang)}
	}
	if !(c.speed > 0 && c.speed <= 1000) { // also refuses NaN
		return usageError{fmt.Sprintf("--speed must be above 0 and at most 1000, not %g", c.speed)}
	}

	if sub == "demo" && demoLesson == "" {
		return usageError{"demo needs a lesson id: kubetutor demo statefulset-basics"}
	}
	if sub != "" && sub != "serve" && sub != "demo" && sub != "doctor" {
		return usageError{fmt.Sprintf("unknown command %q (known: serve, doctor, manifests, lessons, progress, demo)", sub)}
	}

	logger, logFile, closeLog, err := openLog(c.logPath)
	if err != nil {
		return err
	}
	defer closeLog()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch {
	case sub == "doctor":
		return doctorCmd(ctx, c, rf, stdout)
	case sub == "" && rf.active():
		return playReal(ctx, c, rf, logger, logFile, stdout)
	case sub == "" || sub == "demo":
		return play(ctx, c, logger, logFile, demoLesson)
	default:
		return serve(ctx, c, logger, stdout)
	}
}

// flagError makes a bad flag a usage error (exit 2); the flag package has already printed
// what was wrong and the usage. -h stays flag.ErrHelp (exit 0).
func flagError(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return usageError{err.Error()}
}

// langFromEnv picks ko for a Korean locale, as the C library reads it.
func langFromEnv() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(strings.ToLower(l), "ko") {
				return "ko"
			}
			return "en"
		}
	}
	return "en"
}

func defaultLogPath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "kubetutor", "kubetutor.log")
}

// openLog sends our log, the standard logger and client-go's klog to a file: the terminal
// belongs to the TUI. The returned file is also where stderr goes while the TUI runs.
func openLog(path string) (*log.Logger, *os.File, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, nil, fmt.Errorf("log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("log file: %w", err)
	}
	log.SetOutput(f)
	// klog copies errors to stderr whatever its output unless the threshold says otherwise.
	kfs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(kfs)
	_ = kfs.Set("logtostderr", "false")
	_ = kfs.Set("alsologtostderr", "false")
	_ = kfs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(f)
	logger := log.New(f, "", log.LstdFlags|log.Lmicroseconds)
	return logger, f, func() { klog.Flush(); _ = f.Close() }, nil
}

func startSim(ctx context.Context, c config, logger *log.Logger) (*engine.Session, error) {
	live, err := startLiveSim(ctx, c, logger)
	if err != nil {
		return nil, err
	}
	return live.Session(), nil
}

// startLiveSim starts a simulator that the player can reset.
func startLiveSim(ctx context.Context, c config, logger *log.Logger) (*engine.Live, error) {
	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	live, err := engine.NewLiveSim(sctx, engine.SimOptions{Speed: c.speed, Logf: logger.Printf})
	if err != nil {
		if ctx.Err() != nil {
			return nil, errInterrupted
		}
		return nil, fmt.Errorf("starting the simulator: %w", err)
	}
	return live, nil
}

// play runs the lesson menu on the simulator; demo, a lesson id, plays that lesson by
// itself. It returns when the learner quits (nil) or a signal came (errInterrupted).
func play(ctx context.Context, c config, logger *log.Logger, logFile *os.File, demo string) error {
	catalog, err := loadCatalog(c)
	if err != nil {
		return fmt.Errorf("loading lessons: %w", err)
	}
	live, err := startLiveSim(ctx, c, logger)
	if err != nil {
		return err
	}
	defer live.Close()
	kc := userKubeconfigPath(true)
	live.SetLearnerKubeconfig(kc)
	return runTUI(ctx, c, live, launch{catalog: catalog, kubeconfig: kc, demo: demo}, logger, logFile)
}

// serve runs the simulator alone and prints how to point kubectl at it, until Ctrl+C.
func serve(ctx context.Context, c config, logger *log.Logger, stdout io.Writer) error {
	sess, err := startSim(ctx, c, logger)
	if err != nil {
		return err
	}
	defer sess.Close()

	path := userKubeconfigPath(false)
	if err := sess.WriteKubeconfig(path); err != nil {
		return err
	}
	defer os.Remove(path)
	fmt.Fprintf(stdout, "The kubetutor simulator is running (speed %g). In another terminal run:\n\n  %s\n  kubectl get pods\n\n"+
		"The lessons' YAML files: kubetutor manifests export DIR\nPress Ctrl+C to stop.\n",
		c.speed, engine.KubeconfigExport(path))
	logger.Printf("serving; kubeconfig %s", path)
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nStopping the simulator.")
	return nil
}

// userKubeconfigPath is where the simulator's kubeconfig goes for the learner's own kubectl:
// `kubetutor serve` uses one fixed name, each player its own (by process id), so one process
// ending never removes the file another still serves.
func userKubeconfigPath(player bool) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	name := "kubeconfig"
	if player {
		name = fmt.Sprintf("kubeconfig-%d", os.Getpid())
	}
	return filepath.Join(dir, "kubetutor", name)
}

func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "kubetutor " + v
}
