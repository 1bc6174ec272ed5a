package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// playerCluster is the engine's cluster (simulator or real, engine.Live) with the parts
// that need the lessons package: a step's checks and its simulate field. It is the one
// tui.Cluster both modes hand the player. base keeps the current step's baseline for the
// checks relative to its start; nil evaluates without one.
type playerCluster struct {
	*engine.Live
	base *lessons.Baselines
}

func (p playerCluster) Evaluate(ctx context.Context, st lessons.Step) []lessons.CheckResult {
	if p.base == nil {
		return lessons.Evaluate(ctx, p.Session(), st)
	}
	// After a reset the session is new, and Observer takes a new baseline on it.
	return p.base.Evaluate(ctx, p.Session(), st)
}

// StepStarted records the step's baseline (tui.StepStarter): on entry, and once a reset or a
// replay has brought the cluster to the step's start. The UI loop calls it, so the reads run
// in the background; an evaluation meanwhile waits for them.
func (p playerCluster) StepStarted(st lessons.Step) {
	if p.base == nil {
		return
	}
	s := p.Session()
	go p.base.Enter(s, st)
}

// RunKubectl runs a line for the player (a shown command, or one typed in the command bar),
// with the step's {node-of:POD} filled in, and hands what it printed to the step's output
// checks.
func (p playerCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return p.run(p.Live.RunKubectl, ctx, line, in, out, errOut)
}

// RunKubectlAsLearner is RunKubectl with the learner's own credentials (tui.LearnerRunner),
// for the one command the learner agreed to run so (cordon, drain on a real cluster).
func (p playerCluster) RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return p.run(p.Live.RunKubectlAsLearner, ctx, line, in, out, errOut)
}

func (p playerCluster) run(run func(context.Context, string, io.Reader, io.Writer, io.Writer) error,
	ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	if p.base == nil {
		return run(ctx, line, in, out, errOut)
	}
	line = p.base.Expand(line)
	var seen strings.Builder
	err := run(ctx, line, in, teeTo(out, &seen), teeTo(errOut, &seen))
	p.base.Ran(line, seen.String())
	return err
}

func teeTo(w io.Writer, also *strings.Builder) io.Writer {
	if w == nil {
		return also
	}
	return io.MultiWriter(w, also)
}

func (p playerCluster) Simulate(ctx context.Context, st lessons.Step) (string, error) {
	return lessons.RunSimulate(ctx, p.Session(), st)
}

var (
	_ tui.Cluster        = playerCluster{}
	_ tui.TerminalRunner = playerCluster{}
	_ tui.LearnerRunner  = playerCluster{}
	_ tui.Completer      = playerCluster{}
	_ tui.ObjectSource   = playerCluster{}
	_ tui.Resetter       = playerCluster{}
	_ tui.StepRunner     = playerCluster{}
	_ tui.StepStarter    = playerCluster{}
)

// launch is what the player needs besides the cluster.
type launch struct {
	catalog []lessons.Lesson
	// kubeconfig is where K writes a kubeconfig for the learner's own kubectl ("" disables
	// K: on a real cluster the learner's own kubeconfig already reaches it).
	kubeconfig string
	demo       string // a lesson id: play it by itself
	// in and out are the line-by-line player's (--plain) input and output; nil: os.Stdin
	// and os.Stdout. Real-cluster mode hands in the reader its questions were asked on, so
	// no typed-ahead line is lost between them.
	in  io.Reader
	out io.Writer
}

// runTUI runs the player on live, the same way for the simulator and a real cluster: the
// full-screen player, or the line-by-line one with --plain; progress, the picture views,
// row history, L, --present and the command bar in both. It returns when the learner quits
// or ctx ends (errInterrupted). The caller closes live.
func runTUI(ctx context.Context, c config, live *engine.Live, l launch, logger *log.Logger, logFile *os.File) error {
	appCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	mem := newMemoryReleaser(live.Revision)
	defer mem.Stop()
	opts := tui.Options{
		Context:        appCtx,
		Cluster:        releasingCluster{playerCluster{live, lessons.NewBaselines(appCtx)}, mem},
		Lessons:        l.catalog,
		Lang:           c.lang,
		KubeconfigPath: l.kubeconfig,
		Present:        c.present,
		BuiltinEditor:  !ownEditor(),
	}
	playerOptions(&opts, l.catalog, c, logger)
	if l.demo != "" {
		if err := demoOptions(&opts, l.demo); err != nil {
			return err
		}
	}
	opts.Open = c.open
	mem.Touch() // start-up's garbage (every lesson decoded) goes once the player is quiet
	if c.plain {
		in, out := l.in, l.out
		if in == nil {
			in = os.Stdin
		}
		if out == nil {
			out = os.Stdout
		}
		return runPlain(appCtx, opts, in, out)
	}
	if err := needTerminal(); err != nil {
		return err
	}
	// Decide colours once, before the program owns the terminal (asking the terminal for its
	// background from inside View would block), on this program's own renderer.
	opts.Renderer, opts.MarkdownStyle = terminalRenderer(os.Stdout)
	// Frames are drawn when they change (tui.Redrawer). The terminal's modes and size come
	// from tui.Screen, so Bubble Tea's own renderer, whose ticker would wake an idle player
	// every second, is off; where there is no Screen it keeps the modes and looks once a
	// second.
	screen := tui.OpenScreen(os.Stdin, os.Stdout)
	topts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithOutput(os.Stdout)}
	if screen != nil {
		opts.Handoff = screen
		topts = append(topts, tea.WithoutRenderer())
	} else {
		topts = append(topts, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithFPS(1))
	}
	app := tui.New(opts)
	p := tea.NewProgram(tui.NewRedrawer(app, os.Stdout), topts...)
	restore := redirectStderr(logFile)
	var err error
	if screen != nil {
		err = screen.Enter()
		sizeCtx, stopSize := context.WithCancel(appCtx)
		go screen.WatchSize(sizeCtx, p.Send)
		if err == nil {
			_, err = p.Run()
		}
		stopSize()
		_ = screen.Leave()
	} else {
		_, err = p.Run()
	}
	restore()
	// Whatever ended the program, stop every watch and command before the session goes.
	cancel()
	app.Close()
	if l.kubeconfig != "" && app.KubeconfigWritten() {
		// It points at the simulator that is about to stop.
		_ = os.Remove(l.kubeconfig)
	}
	logger.Printf("player ended: %v", err)
	if err != nil {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return fmt.Errorf("terminal: %w", err)
	}
	return nil
}

// terminalRenderer is a lipgloss renderer for out with its colour profile and background
// decided now (NO_COLOR: no colour), and the Markdown style that goes with it.
func terminalRenderer(out io.Writer) (*lipgloss.Renderer, string) {
	r := lipgloss.NewRenderer(out)
	if os.Getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
		return r, "notty"
	}
	dark := r.HasDarkBackground()
	r.SetHasDarkBackground(dark)
	if !dark {
		return r, "light"
	}
	return r, "dark"
}

// openProgress opens the learner's progress file; a file set aside comes back as a warning,
// an unusable state directory as an in-memory store (progress then lasts one run).
func openProgress(logger *log.Logger) (*progress.Store, string) {
	path, err := progress.DefaultPath()
	if err != nil {
		logger.Printf("progress: %v", err)
		return progress.Memory(), err.Error()
	}
	store, warn, err := progress.Open(path)
	if err != nil {
		logger.Printf("progress: %v", err)
		return store, err.Error()
	}
	if warn != "" {
		logger.Printf("progress: %s", warn)
	}
	return store, warn
}

// playerOptions fills the learning-tool parts of the player's options. L switches to the
// catalog's lessons in the other language.
func playerOptions(o *tui.Options, catalog []lessons.Lesson, c config, logger *log.Logger) {
	o.Progress, o.ProgressWarning = openProgress(logger)
	ids := map[string]bool{}
	for _, l := range catalog {
		ids[l.ID] = true
	}
	o.LessonsFor = func(lang string) []lessons.Lesson {
		lc := c
		lc.lang = lang
		ls, err := loadCatalog(lc) // built-in lessons and --lessons DIR
		if err != nil {
			return nil
		}
		var out []lessons.Lesson
		for _, l := range ls {
			if ids[l.ID] {
				out = append(out, l)
			}
		}
		return out
	}
}

// ownEditor reports whether the learner named an editor for kubectl (KUBE_EDITOR or EDITOR,
// as kubectl reads them): kubectl edit then opens it in the terminal, as the kubectl binary
// would. Without one kubectl falls back to vi, which a beginner may lack or not know how to
// leave, so the player's built-in editor opens instead.
func ownEditor() bool {
	return os.Getenv("KUBE_EDITOR") != "" || os.Getenv("EDITOR") != ""
}

// progressCmd is `kubetutor progress export FILE | import FILE | reset | path`.
func progressCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"progress needs a command: export FILE, import FILE, path or reset"}
	}
	path, err := progress.DefaultPath()
	if err != nil {
		return err
	}
	need := func(n int) error {
		if len(args) != n {
			return usageError{fmt.Sprintf("progress %s takes %d argument(s)", args[0], n-1)}
		}
		return nil
	}
	open := func() (*progress.Store, error) {
		s, warn, err := progress.Open(path)
		if err != nil {
			return nil, err
		}
		if warn != "" {
			fmt.Fprintf(stdout, "note: %s\n", warn)
		}
		return s, nil
	}
	switch args[0] {
	case "path":
		if err := need(1); err != nil {
			return err
		}
		fmt.Fprintln(stdout, path)
	case "export":
		if err := need(2); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		if err := s.Export(args[1]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Progress written to %s.\n", args[1])
	case "import":
		if err := need(2); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		return progressImport(s, args[1], nil, stdout)
	case "reset":
		if err := need(1); err != nil {
			return err
		}
		s, err := open()
		if err != nil {
			return err
		}
		return progressReset(s, stdout)
	default:
		return usageError{fmt.Sprintf("unknown progress command %q (known: export, import, path, reset)", args[0])}
	}
	return nil
}

// demoOptions makes the player open one lesson and play it by itself.
func demoOptions(o *tui.Options, id string) error {
	for _, l := range o.Lessons {
		if l.ID == id {
			o.Demo = id
			return nil
		}
	}
	return unknownLesson(id, o.Lessons)
}

// runPlain runs the line-by-line player.
func runPlain(ctx context.Context, o tui.Options, in io.Reader, out io.Writer) error {
	return tui.RunPlain(ctx, o, in, out)
}
