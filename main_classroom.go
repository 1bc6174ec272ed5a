package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui"
)

// classroomOptions is `kubetutor classroom`: the SSH server of a workshop.
type classroomOptions struct {
	c           config
	listen      string
	hostKey     string
	students    string
	instructors string
	password    string
	state       string
	maxStudents int
	idle        time.Duration
	window      time.Duration
	maxMemory   string
	maxExec     time.Duration
	out         io.Writer
	r           classRealFlags // --real (main_classroom_real.go)
}

func newClassroomCmd(stdout io.Writer) *cobra.Command {
	o := &classroomOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "classroom --host-key FILE --students FILE --instructors FILE [--real [--kubeconfig FILE] [--context NAME] [--class NAME]]",
		Short: "Run a workshop over SSH: a simulator and a player per student, a live view for instructors",
		Long: `Run an SSH server for a workshop. Each student connects with ssh -p PORT NAME@HOST and gets
their own simulated cluster and player, sized to their terminal, in their language (LANG, or a
choice on first entry). A student who reconnects under the same name gets their cluster and
progress back. An instructor's key opens the class view: every student's step, time on it, hints
used and whether the step's checks hold, stuck students first; messages, pushed hints, lockstep
and a read-only view of a student's screen.

With --real the students work on a real cluster instead of simulators: each in their own
namespace kubetutor-NAME (created when they first enter, with a ResourceQuota, a LimitRange and
a ServiceAccount whose Role allows the lessons' commands there only; every command of theirs
runs with that ServiceAccount's token). Their progress lives in a ConfigMap in that namespace,
so several classroom front ends can serve one class (deploy/ runs them on Kubernetes).
kubetutor classroom cleanup removes what the class created.`,
		Example: `  kubetutor classroom --host-key class_host_key --students students.pub --instructors instructors.pub --state class/
  ssh -p 2222 alice@laptop.local           # a student
  kubetutor classroom report --state class/
  kubetutor classroom --real --context workshop --class ws1 --host-key class_host_key --students students.pub --instructors instructors.pub
  kubetutor classroom report --real --context workshop --class ws1
  kubetutor classroom cleanup --context workshop --class ws1`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			if err := o.r.validate(cmd, o.state); err != nil {
				return err
			}
			return o.Run()
		},
	}
	o.addFlags(cmd.Flags())
	fs := cmd.Flags()
	addLessonsFlag(fs, &o.c.lessonsDir)
	addLogFlag(fs, &o.c.logPath)
	addClassRealFlags(fs, &o.r)
	cmd.AddCommand(newClassroomReportCmd(stdout), newClassroomCleanupCmd(stdout))
	return cmd
}

// addFlags defines the classroom's own flags and the simulator's, with the class defaults.
func (o *classroomOptions) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.listen, "listen", ":2222", "`ADDR` to take SSH connections on")
	fs.StringVar(&o.hostKey, "host-key", "", "`FILE` keeping the server's SSH host key (created on first start)")
	fs.StringVar(&o.students, "students", "", "authorized_keys `FILE` of the students")
	fs.StringVar(&o.instructors, "instructors", "", "authorized_keys `FILE` of the instructors")
	fs.StringVar(&o.password, "password-file", "", "`FILE` whose first line is a class password for students without a key")
	fs.StringVar(&o.state, "state", "", "`DIR` keeping each student's progress (empty: in memory)")
	fs.IntVar(&o.maxStudents, "max-students", 60, "the most students with a seat at once")
	fs.DurationVar(&o.idle, "idle-timeout", 30*time.Minute, "close a connection idle that long (reconnecting restores it)")
	fs.DurationVar(&o.window, "reconnect-window", 30*time.Minute, "keep a disconnected student's cluster that long")
	addSimFlags(fs, &o.c)
	// Per-student caps: a class shares one machine, so the simulator's defaults are lowered.
	classDefault(fs, "max-replicas", &o.c.maxReplicas, 50)
	classDefault(fs, "max-objects", &o.c.maxObjects, 2000)
	fs.StringVar(&o.maxMemory, "max-memory", "16Mi", "the most object data each student's simulator may hold (a quantity: 16Mi, 100M)")
	fs.DurationVar(&o.maxExec, "max-exec-time", 30*time.Second, "the longest one command may run in a student's containers (kubectl exec, probes)")
}

func (o *classroomOptions) Validate() error {
	if o.hostKey == "" {
		return usageError{"kubetutor classroom needs --host-key FILE (created on first start)"}
	}
	if o.instructors == "" {
		return usageError{"kubetutor classroom needs --instructors FILE (an authorized_keys file)"}
	}
	if o.students == "" && o.password == "" {
		return usageError{"kubetutor classroom needs --students FILE (an authorized_keys file) or --password-file FILE"}
	}
	if o.maxStudents < 1 || o.maxStudents > 1000 {
		return usageError{fmt.Sprintf("--max-students must be between 1 and 1000, not %d", o.maxStudents)}
	}
	if o.idle <= 0 || o.window <= 0 {
		return usageError{"--idle-timeout and --reconnect-window must be above 0"}
	}
	if _, err := o.memoryBytes(); err != nil {
		return err
	}
	if o.maxExec <= 0 {
		return usageError{fmt.Sprintf("--max-exec-time must be above 0, not %v", o.maxExec)}
	}
	return validateSimFlags(o.c)
}

// classDefault gives a simulator flag the classroom's own default.
func classDefault(fs *pflag.FlagSet, name string, v *int, def int) {
	*v = def
	fs.Lookup(name).DefValue = strconv.Itoa(def)
}

// memoryBytes is --max-memory in bytes.
func (o *classroomOptions) memoryBytes() (int64, error) {
	q, err := resource.ParseQuantity(o.maxMemory)
	if err != nil || q.Sign() <= 0 || q.Value() < 1<<20 {
		return 0, usageError{fmt.Sprintf("--max-memory must be a quantity of at least 1Mi (16Mi, 100M), not %q", o.maxMemory)}
	}
	return q.Value(), nil
}

// seatOptions are a student's simulator settings: the shared flags and the per-student caps.
func (o *classroomOptions) seatOptions(logf func(string, ...any)) engine.SimOptions {
	so := o.c.simOptions(logf)
	so.MaxBytes, _ = o.memoryBytes()
	so.MaxRun = o.maxExec
	return so
}

func (o *classroomOptions) Run() error {
	lib, err := lessonLibrary(o.c.lessonsDir)
	if err != nil {
		return err
	}
	classroomGC(o.maxStudents)
	return withRuntime(o.c.logPath, func(ctx context.Context, logger *log.Logger, _ *os.File) error {
		opts := classroom.Options{
			StudentsFile: o.students, InstructorsFile: o.instructors, PasswordFile: o.password,
			StateDir: o.state, MaxStudents: o.maxStudents, IdleTimeout: o.idle, ReconnectWindow: o.window,
			Seats:   simSeats(lib.Catalog, o.seatOptions, logger),
			Lessons: lib.Catalog,
			Logf:    logger.Printf,
		}
		if o.r.active() {
			closeAdmin, err := realClassOptions(ctx, &opts, lib.Catalog, &o.r, logger)
			if err != nil {
				return err
			}
			defer closeAdmin()
		}
		class, err := classroom.New(opts)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return err
		}
		go func() {
			<-ctx.Done()
			class.Close()
		}()
		fmt.Fprintf(o.out, "kubetutor classroom on %s. Students: ssh -p %s NAME@THIS-HOST. Ctrl+C ends the class.\n",
			ln.Addr(), portOf(ln.Addr()))
		err = class.Serve(ln, o.hostKey)
		class.Close()
		return err
	})
}

// classroomGCPercent is the collector's pace (GOGC) in a class's process, Go's default being 100.
const classroomGCPercent = 400

// classroomGC lets a class's process collect its garbage less often. Fifty students' players,
// simulators and kubectl runs allocate all the time: at Go's default pace the collector took
// about a fifth of the process's CPU, and a goroutine allocating while it marks (a student's
// frame being drawn for a key) is made to help it (a mark assist), which is where the slowest
// keystrokes of BenchmarkClassroom waited. The class has memory to spare: a student cost about
// 3 MB of RSS at the default pace against a budget of 15 MB, so the heap may grow to five times
// its live size between collections (7–8 MB per student measured). The memory limit, 15 MB per
// seat of --max-students and 256 MB for the process's own, makes the collector run sooner
// rather than go over that. A GOGC or GOMEMLIMIT the user set wins. Only the classroom
// command calls this: the player keeps its own pace (internal/startgc, main_memory.go).
func classroomGC(maxStudents int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(classroomGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(classroomMemoryLimit(maxStudents))
	}
}

// classroomMemoryLimit is the class's soft memory limit in bytes.
func classroomMemoryLimit(maxStudents int) int64 {
	return 256<<20 + int64(max(1, maxStudents))*15<<20
}

func portOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprint(t.Port)
	}
	return "PORT"
}

type classroomReportOptions struct {
	state, format, lang, lessonsDir string
	out                             io.Writer
	r                               classRealFlags
}

func newClassroomReportCmd(stdout io.Writer) *cobra.Command {
	o := &classroomReportOptions{out: stdout}
	cmd := &cobra.Command{
		Use:     "report --state DIR",
		Short:   "Print each student's lessons, steps done with and without help, quiz scores and time",
		Example: "  kubetutor classroom report --state class/ --format csv > class.csv",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.state == "" && !o.r.active() {
				return usageError{"kubetutor classroom report needs --state DIR (or --real for a class on a cluster)"}
			}
			if err := o.r.validate(cmd, o.state); err != nil {
				return err
			}
			switch o.format {
			case "text", "csv", "json":
			default:
				return usageError{fmt.Sprintf("unknown --format %q (known: text, csv, json)", o.format)}
			}
			if err := validateLang(&o.lang, false); err != nil {
				return err
			}
			lib, err := lessonLibrary(o.lessonsDir)
			if err != nil {
				return err
			}
			var rows []classroom.ReportRow
			if o.r.active() {
				rows, err = realReportRows(cmd.Context(), &o.r, lib.Catalog(o.lang))
			} else {
				rows, err = classroom.ReportRows(o.state, lib.Catalog(o.lang))
			}
			if err != nil {
				return err
			}
			return classroom.WriteReport(o.out, rows, o.format)
		},
	}
	cmd.Flags().StringVar(&o.state, "state", "", "the classroom's state `DIR`")
	cmd.Flags().BoolVar(&o.r.real, "real", false, "read a --real class's progress from the cluster")
	addClassClusterFlags(cmd.Flags(), &o.r)
	cmd.Flags().StringVar(&o.format, "format", "text", "text, csv or json")
	addLangFlag(cmd.Flags(), &o.lang)
	addLessonsFlag(cmd.Flags(), &o.lessonsDir)
	return cmd
}

// simSeat is a student's own simulator, kept across their reconnects.
type simSeat struct {
	live *engine.Live
	// base is the seat's step baselines, shared by its players (one per connection) and the
	// instructor's check of the student's step.
	base    *lessons.Baselines
	catalog func(lang string) []lessons.Lesson
	spec    classroom.SeatSpec
	turns   *runTurns
	// md is the class's rendered lesson text, shared by every student's player.
	md *tui.MarkdownCache
}

// simSeats builds each student's seat: a simulator of their own.
func simSeats(catalog func(lang string) []lessons.Lesson, simOpts func(logf func(string, ...any)) engine.SimOptions, logger *log.Logger) classroom.SeatFactory {
	return simSeatsOn(newRunTurns(), catalog, simOpts, logger)
}

// simSeatsOn builds seats on turns, the class's one queue for kubectl runs and seat starts.
func simSeatsOn(turns *runTurns, catalog func(lang string) []lessons.Lesson, simOpts func(logf func(string, ...any)) engine.SimOptions, logger *log.Logger) classroom.SeatFactory {
	md := tui.NewMarkdownCache()
	return func(ctx context.Context, spec classroom.SeatSpec) (classroom.Seat, error) {
		sctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		var live *engine.Live
		// A seat starts in its turn, as a kubectl run does: a class logging in at once would
		// otherwise share the cores with the keys of the students already in. Its discovery
		// is read here, while its student waits for the menu, and not on the key that opens
		// a lesson (whose watch resolves "pods" through it): about 6 ms of CPU per student,
		// fifty of them in the second after a class starts.
		err := turns.run(sctx, func() error {
			var err error
			if live, err = engine.NewLiveSim(sctx, simOpts(logger.Printf)); err != nil {
				return err
			}
			_, _ = live.Session().ResourceNames(sctx) // warms the session's discovery cache
			return nil
		})
		if err != nil {
			if live != nil {
				live.Close()
			}
			return nil, err
		}
		return &simSeat{live: live, base: lessons.NewBaselines(ctx), catalog: catalog, spec: spec, turns: turns, md: md}, nil
	}
}

// runTurns lets a few kubectl runs and seat starts of the class go at once and queues the
// others. A kubectl run is a burst of CPU (its command tree, discovery, apply's OpenAPI document):
// fifty students pressing enter together would share the cores fifty ways, every run
// finishing late and every student's keys waiting behind them. Taking turns, runs finish
// one after another (sooner on average) and a core stays free for keys and frames. A run
// keeps its turn at most hold: a watch, logs -f or exec -it then goes on without it.
type runTurns struct {
	slots chan struct{}
	hold  time.Duration
	// queued, when set (tests), is called when a run has to wait for its turn.
	queued func()
}

func newRunTurns() *runTurns {
	return &runTurns{slots: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)), hold: time.Second}
}

// run runs f in its turn; waiting ends with ctx (a stopped command).
func (t *runTurns) run(ctx context.Context, f func() error) error {
	if t == nil {
		return f()
	}
	select {
	case t.slots <- struct{}{}:
	default:
		if t.queued != nil {
			t.queued()
		}
		select {
		case t.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var once sync.Once
	release := func() { once.Do(func() { <-t.slots }) }
	timer := time.AfterFunc(t.hold, release)
	defer func() {
		timer.Stop()
		release()
	}()
	return f()
}

// Player is the same player as on a laptop, on this connection's renderer, without K
// (the student's own kubectl has no way to this machine's loopback).
func (s *simSeat) Player(ctx context.Context, t classroom.Terminal) tea.Model {
	return tui.New(tui.Options{
		Context:       ctx,
		Cluster:       seatCluster{playerCluster{s.live, s.base}, s.turns},
		Lessons:       s.catalog(t.Lang),
		Lang:          t.Lang,
		MarkdownStyle: t.MarkdownStyle,
		Markdown:      s.md,
		Renderer:      t.Renderer,
		Progress:      s.spec.Progress,
		LessonsFor:    s.catalog,
		StepGate:      t.StepGate,
		BuiltinEditor: true,
		NoTerminal:    true,
		// The seat outlives the connection for the reconnect window.
		QuitKeepsCluster: true,
	})
}

func (s *simSeat) StepHolds(ctx context.Context, lessonID, stepID string) (bool, error) {
	for _, l := range s.catalog("en") {
		if l.ID != lessonID {
			continue
		}
		for _, st := range l.Steps {
			if st.ID != stepID {
				continue
			}
			for _, r := range (playerCluster{s.live, s.base}).Evaluate(ctx, st) {
				if !r.OK {
					return false, ctx.Err()
				}
			}
			return true, ctx.Err()
		}
	}
	return false, errors.New("unknown step")
}

func (s *simSeat) Close() { s.live.Close() }

// seatCluster is a student's cluster as their player sees it: the same as on a laptop, but
// `kubectl edit` runs only with the player's built-in editor (engine.WithEditor, which the
// player's command bar sets), never an editor program on the classroom's computer.
type seatCluster struct {
	playerCluster
	turns *runTurns
}

var errEditInClass = errors.New("kubectl edit here opens the player's own editor: type it in the command bar (:); no editor program runs on the classroom's computer")

// editWords reports whether line would open an editor: edit, apply edit-last-applied, or
// --edit on create.
func editWords(line string) bool {
	args, err := engine.SplitCommandLine(line)
	if err != nil {
		return false
	}
	for _, a := range args {
		if a == "edit" || a == "edit-last-applied" || a == "--edit" || strings.HasPrefix(a, "--edit=") {
			return true
		}
	}
	return false
}

func (c seatCluster) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	if editWords(line) {
		return errEditInClass
	}
	return c.turns.run(ctx, func() error { return c.playerCluster.RunKubectlTerminal(ctx, line, in, out, errOut) })
}

func (c seatCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	// With the built-in editor the engine runs kubectl's edit flow in-process; --edit on
	// create has no such flow and stays refused by the engine's guard.
	if editWords(line) && !(engine.HasEditor(ctx) && engine.IsEditLine(line)) {
		return errEditInClass
	}
	return c.turns.run(ctx, func() error { return c.playerCluster.RunKubectl(ctx, line, in, out, errOut) })
}

// RunKubectlAsLearner is refused in class: a student has no credentials of their own on the
// classroom's computer, only their seat's simulator.
func (c seatCluster) RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return errors.New("a classroom seat runs every command on the student's own simulator; there are no other credentials to use")
}
