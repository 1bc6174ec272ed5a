package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui"
)

// classroomCmd is `kubetutor classroom [flags]` (the SSH server) and
// `kubetutor classroom report --state DIR [--format text|csv|json]`.
func classroomCmd(args []string, c config, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		return classroomReport(args[1:], c, stdout, stderr)
	}
	fs := flag.NewFlagSet("kubetutor classroom", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", ":2222", "`ADDR` to take SSH connections on")
	hostKey := fs.String("host-key", "", "`FILE` keeping the server's SSH host key (created on first start)")
	students := fs.String("students", "", "authorized_keys `FILE` of the students")
	instructors := fs.String("instructors", "", "authorized_keys `FILE` of the instructors")
	password := fs.String("password-file", "", "`FILE` whose first line is a class password for students without a key")
	state := fs.String("state", "", "`DIR` keeping each student's progress (empty: in memory)")
	maxStudents := fs.Int("max-students", 60, "the most students with a seat at once")
	idle := fs.Duration("idle-timeout", 30*time.Minute, "close a connection idle for that long (a reconnect restores it)")
	window := fs.Duration("reconnect-window", 30*time.Minute, "keep a disconnected student's cluster that long")
	speed := fs.Float64("speed", c.speed, "simulator speed of every student's cluster")
	logPath := fs.String("log", c.logPath, "log `FILE`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage:\n  kubetutor classroom --host-key FILE --students FILE --instructors FILE [flags]\n"+
			"      an SSH server: each student (ssh -p PORT NAME@HOST) gets their own simulator and player;\n"+
			"      an instructor's key opens the class view\n"+
			"  kubetutor classroom report --state DIR [--format text|csv|json]\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *hostKey == "" {
		return usageError{"classroom needs --host-key FILE (created on first start)"}
	}
	if !(*speed > 0 && *speed <= 1000) {
		return usageError{fmt.Sprintf("--speed must be above 0 and at most 1000, not %g", *speed)}
	}
	if *maxStudents < 1 || *maxStudents > 1000 {
		return usageError{fmt.Sprintf("--max-students must be between 1 and 1000, not %d", *maxStudents)}
	}
	lib, err := lessonLibrary(c.lessonsDir)
	if err != nil {
		return err
	}
	logger, _, closeLog, err := openLog(*logPath)
	if err != nil {
		return err
	}
	defer closeLog()

	class, err := classroom.New(classroom.Options{
		StudentsFile: *students, InstructorsFile: *instructors, PasswordFile: *password,
		StateDir: *state, MaxStudents: *maxStudents, IdleTimeout: *idle, ReconnectWindow: *window,
		Seats:   simSeats(lib.Catalog, *speed, logger),
		Lessons: lib.Catalog,
		Logf:    logger.Printf,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		class.Close()
	}()
	fmt.Fprintf(stdout, "kubetutor classroom on %s — students: ssh -p %s NAME@HOST; ctrl+c stops the class\n",
		ln.Addr(), portOf(ln.Addr()))
	err = class.Serve(ln, *hostKey)
	class.Close()
	return err
}

func portOf(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return fmt.Sprint(t.Port)
	}
	return "PORT"
}

func classroomReport(args []string, c config, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kubetutor classroom report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	state := fs.String("state", "", "the classroom's state `DIR`")
	format := fs.String("format", "text", "text, csv or json")
	if err := fs.Parse(args); err != nil {
		return flagError(err)
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *state == "" {
		return usageError{"classroom report needs --state DIR"}
	}
	switch *format {
	case "text", "csv", "json":
	default:
		return usageError{fmt.Sprintf("unknown --format %q (known: text, csv, json)", *format)}
	}
	lib, err := lessonLibrary(c.lessonsDir)
	if err != nil {
		return err
	}
	rows, err := classroom.ReportRows(*state, lib.Catalog(c.lang))
	if err != nil {
		return err
	}
	return classroom.WriteReport(stdout, rows, *format)
}

// simSeat is a student's own simulator, kept across their reconnects.
type simSeat struct {
	live    *engine.Live
	catalog func(lang string) []lessons.Lesson
	spec    classroom.SeatSpec
}

// simSeats builds each student's seat: a simulator of their own.
func simSeats(catalog func(lang string) []lessons.Lesson, speed float64, logger *log.Logger) classroom.SeatFactory {
	return func(ctx context.Context, spec classroom.SeatSpec) (classroom.Seat, error) {
		sctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		live, err := engine.NewLiveSim(sctx, engine.SimOptions{Speed: speed, Logf: logger.Printf})
		if err != nil {
			return nil, err
		}
		return &simSeat{live: live, catalog: catalog, spec: spec}, nil
	}
}

// Player is the same player as on a laptop, on this connection's renderer, without K
// (the student's own kubectl has no way to this machine's loopback).
func (s *simSeat) Player(ctx context.Context, t classroom.Terminal) tea.Model {
	return tui.New(tui.Options{
		Context:       ctx,
		Cluster:       seatCluster{playerCluster{s.live}},
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
			for _, r := range (playerCluster{s.live}).Evaluate(ctx, st) {
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
