package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"

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
	fs := cmd.Flags()
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
	addLessonsFlag(fs, &o.c.lessonsDir)
	addLogFlag(fs, &o.c.logPath)
	addClassRealFlags(fs, &o.r)
	cmd.AddCommand(newClassroomReportCmd(stdout), newClassroomCleanupCmd(stdout))
	return cmd
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
	return validateSimFlags(o.c)
}

func (o *classroomOptions) Run() error {
	lib, err := lessonLibrary(o.c.lessonsDir)
	if err != nil {
		return err
	}
	return withRuntime(o.c.logPath, func(ctx context.Context, logger *log.Logger, _ *os.File) error {
		sim := o.c
		opts := classroom.Options{
			StudentsFile: o.students, InstructorsFile: o.instructors, PasswordFile: o.password,
			StateDir: o.state, MaxStudents: o.maxStudents, IdleTimeout: o.idle, ReconnectWindow: o.window,
			Seats:   simSeats(lib.Catalog, func(logf func(string, ...any)) engine.SimOptions { return sim.simOptions(logf) }, logger),
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
}

// simSeats builds each student's seat: a simulator of their own.
func simSeats(catalog func(lang string) []lessons.Lesson, simOpts func(logf func(string, ...any)) engine.SimOptions, logger *log.Logger) classroom.SeatFactory {
	return func(ctx context.Context, spec classroom.SeatSpec) (classroom.Seat, error) {
		sctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		live, err := engine.NewLiveSim(sctx, simOpts(logger.Printf))
		if err != nil {
			return nil, err
		}
		return &simSeat{live: live, base: lessons.NewBaselines(ctx), catalog: catalog, spec: spec}, nil
	}
}

// Player is the same player as on a laptop, on this connection's renderer, without K
// (the student's own kubectl has no way to this machine's loopback).
func (s *simSeat) Player(ctx context.Context, t classroom.Terminal) tea.Model {
	return tui.New(tui.Options{
		Context:       ctx,
		Cluster:       seatCluster{playerCluster{s.live, s.base}},
		Lessons:       s.catalog(t.Lang),
		Lang:          t.Lang,
		MarkdownStyle: t.MarkdownStyle,
		Renderer:      t.Renderer,
		Progress:      s.spec.Progress,
		LessonsFor:    s.catalog,
		StepGate:      t.StepGate,
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
// `kubectl edit` is refused, since it would start an editor program on the classroom's
// computer.
type seatCluster struct{ playerCluster }

var errEditInClass = errors.New("kubectl edit would open an editor on the classroom's computer; change objects with kubectl patch, kubectl scale or kubectl apply -f instead")

func (c seatCluster) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	if args, err := engine.SplitCommandLine(line); err == nil {
		for _, a := range args {
			if a == "edit" || a == "--edit" || strings.HasPrefix(a, "--edit=") {
				return errEditInClass
			}
		}
	}
	return c.playerCluster.RunKubectlTerminal(ctx, line, in, out, errOut)
}

func (c seatCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	if args, err := engine.SplitCommandLine(line); err == nil {
		for _, a := range args {
			if a == "edit" || a == "--edit" || strings.HasPrefix(a, "--edit=") {
				return errEditInClass
			}
		}
	}
	return c.playerCluster.RunKubectl(ctx, line, in, out, errOut)
}

// RunKubectlAsLearner is refused in class: a student has no credentials of their own on the
// classroom's computer, only their seat's simulator.
func (c seatCluster) RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	return errors.New("a classroom seat runs every command on the student's own simulator; there are no other credentials to use")
}
