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
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"k8s.io/klog/v2"

	"github.com/kubetutor/kubetutor/engine"
	_ "github.com/kubetutor/kubetutor/internal/noheapprof" // kubectl links runtime/pprof; its sampler is not needed
	"github.com/kubetutor/kubetutor/internal/startgc"
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
	// --max-replicas, --max-objects: the simulator's caps (0: 1000 and 20000).
	maxReplicas, maxObjects int
	open                    string // --lesson on the simulator: open this lesson at once
}

func (c config) simOptions(logf func(string, ...any)) engine.SimOptions {
	return engine.SimOptions{Speed: c.speed, Logf: logf, MaxReplicas: c.maxReplicas, MaxObjects: c.maxObjects}
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
		msg := err.Error()
		if !strings.HasPrefix(msg, "kubetutor") {
			msg = "kubetutor: " + msg
		}
		fmt.Fprintln(stderr, msg)
		if !strings.Contains(msg, "--help'") {
			fmt.Fprintln(stderr, "See 'kubetutor --help'.")
		}
		return 2
	case errors.Is(err, errInterrupted):
		return 130
	default:
		fmt.Fprintf(stderr, "kubetutor: %v\n", err)
		return 1
	}
}

// dispatch runs the command line through the cobra tree (cmd_*.go).
func dispatch(args []string, stdout, stderr io.Writer) error {
	root := newRootCmd(stdout, stderr)
	if args == nil {
		args = []string{} // nil would make cobra read os.Args
	}
	root.SetArgs(args)
	if cmd, _, err := root.Find(args); err != nil || cmd != root {
		startgc.Restore() // not the player: the collector's own pace from the start
	}
	return root.Execute()
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
	live, err := engine.NewLiveSim(sctx, c.simOptions(logger.Printf))
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
	startgc.Restore() // start-up is over; the garbage goes once the player is quiet
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
