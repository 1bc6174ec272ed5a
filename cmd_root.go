package main

// The command line, shaped like kubectl's: one cobra command per file (cmd_*.go), each with
// an Options struct that is completed from the flags and arguments, validated, then run.
// Every command takes only the flags that mean something to it; a flag of another command
// is refused with the commands it belongs to, never silently ignored.

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newRootCmd is the whole command tree; stdout and stderr are the program's (tests pass
// buffers).
func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	root := newPlayCmd(stdout)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceErrors = true // run() prints the error once, with the exit code it implies
	root.SilenceUsage = true
	root.CompletionOptions.DisableDefaultCmd = true // ours takes only bash, zsh and fish
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return flagUsageError(c, err) })
	root.AddCommand(
		newServeCmd(stdout),
		newDemoCmd(stdout),
		newDoctorCmd(stdout),
		newLessonsCmd(stdout, stderr),
		newManifestsCmd(stdout),
		newProgressCmd(stdout),
		newVersionCmd(stdout),
		newCompletionCmd(stdout),
		newClassroomCmd(stdout),
	)
	return root
}

// flagUsageError turns a flag that did not parse into a usage error (exit 2); a flag that
// belongs to other commands says which.
func flagUsageError(c *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := unknownFlag(msg); ok {
		if owners := flagOwners(c.Root(), name); len(owners) > 0 {
			msg = fmt.Sprintf("%s does not take %s; it is a flag of %s", c.CommandPath(), name, strings.Join(owners, ", "))
		}
	}
	return usageError{msg + fmt.Sprintf("\nSee '%s --help'.", c.CommandPath())}
}

// unknownFlag reads pflag's "unknown flag: --x" and "unknown shorthand flag: 'n' in -n".
func unknownFlag(msg string) (string, bool) {
	if rest, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		return rest, true
	}
	if rest, ok := strings.CutPrefix(msg, "unknown shorthand flag: '"); ok && len(rest) > 0 {
		return "-" + rest[:1], true
	}
	return "", false
}

// flagOwners lists the commands that define name ("--context" or "-n").
func flagOwners(root *cobra.Command, name string) []string {
	var out []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		var f *pflag.Flag
		if short, ok := strings.CutPrefix(name, "-"); ok && !strings.HasPrefix(short, "-") {
			f = c.LocalFlags().ShorthandLookup(short)
		} else {
			f = c.LocalFlags().Lookup(strings.TrimPrefix(name, "--"))
		}
		if f != nil && c.Name() != "help" {
			out = append(out, c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	sort.Strings(out)
	return out
}

// exactArgs and the others are cobra's argument checks with usage errors (exit 2) that say
// what the command wanted.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError{fmt.Sprintf("%s: name %s (got %d argument(s))\nSee '%s --help'.", c.CommandPath(), what, len(args), c.CommandPath())}
		}
		return nil
	}
}

func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q\nSee '%s --help'.", c.CommandPath(), args[0], c.CommandPath())}
	}
	return nil
}

// rootArgs: kubetutor itself takes no argument; one is a command it does not have.
func rootArgs(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	return parentArgs(c, args)
}

// parentArgs is for a command that only groups others: an argument is an unknown command.
func parentArgs(c *cobra.Command, args []string) error {
	var known []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			known = append(known, sub.Name())
		}
	}
	if len(args) > 0 {
		return usageError{fmt.Sprintf("%s: unknown command %q (known: %s)\nSee '%s --help'.", c.CommandPath(), args[0], strings.Join(known, ", "), c.CommandPath())}
	}
	return usageError{fmt.Sprintf("%s: name a command: %s\nSee '%s --help'.", c.CommandPath(), strings.Join(known, ", "), c.CommandPath())}
}

// Shared flags, so each is spelled and explained the same wherever it means something.

func addLangFlag(fs *pflag.FlagSet, lang *string) {
	fs.StringVar(lang, "lang", langFromEnv(), "language of the lessons and the player: en or ko")
}

func addLogFlag(fs *pflag.FlagSet, path *string) {
	fs.StringVar(path, "log", defaultLogPath(), "log file (logs never go to the terminal)")
}

func addLessonsFlag(fs *pflag.FlagSet, dir *string) {
	fs.StringVar(dir, "lessons", "", "also load the lesson folders in `DIR` (a lesson there replaces a built-in one of the same id)")
}

// addSimFlags are the simulator's own settings: serve, demo and the player on the simulator.
func addSimFlags(fs *pflag.FlagSet, c *config) {
	fs.Float64Var(&c.speed, "speed", 1, "simulator speed (1 is real time, 2 twice as fast)")
	fs.IntVar(&c.maxReplicas, "max-replicas", 1000, "the most replicas one workload may ask for in the simulator")
	fs.IntVar(&c.maxObjects, "max-objects", 20000, "the most objects the simulated cluster may hold")
}

// validateSimFlags checks what addSimFlags set.
func validateSimFlags(c config) error {
	if err := validateSpeed(c.speed); err != nil {
		return err
	}
	if c.maxReplicas < 1 {
		return usageError{fmt.Sprintf("--max-replicas must be at least 1, not %d", c.maxReplicas)}
	}
	if c.maxObjects < 1 {
		return usageError{fmt.Sprintf("--max-objects must be at least 1, not %d", c.maxObjects)}
	}
	return nil
}

// addClusterFlags select a real cluster as kubectl does (the player and doctor).
func addClusterFlags(fs *pflag.FlagSet, r *realFlags) {
	fs.StringVar(&r.kubeconfig, "kubeconfig", "", "the kubeconfig file of the real cluster (as kubectl: KUBECONFIG and ~/.kube/config otherwise)")
	fs.StringVar(&r.context, "context", "", "the kubeconfig context of the real cluster")
	fs.StringVarP(&r.namespace, "namespace", "n", "", "the lesson's namespace on the real cluster (default kubetutor-<lesson>)")
	fs.StringVar(&r.lesson, "lesson", "", "the lesson to play or check on the real cluster (default: the first)")
}

func validateLang(lang *string, allowAll bool) error {
	*lang = strings.ToLower(*lang)
	switch *lang {
	case "en", "ko":
		return nil
	case "all":
		if allowAll {
			return nil
		}
	}
	if allowAll {
		return usageError{fmt.Sprintf("--lang must be en, ko or all, not %q", *lang)}
	}
	return usageError{fmt.Sprintf("--lang must be en or ko, not %q", *lang)}
}

func validateSpeed(speed float64) error {
	if !(speed > 0 && speed <= 1000) { // also refuses NaN
		return usageError{fmt.Sprintf("--speed must be above 0 and at most 1000, not %g", speed)}
	}
	return nil
}

// withRuntime opens the log (the terminal belongs to the player) and a context that ends on
// Ctrl+C or SIGTERM, and runs fn in them.
func withRuntime(logPath string, fn func(ctx context.Context, logger *log.Logger, logFile *os.File) error) error {
	logger, logFile, closeLog, err := openLog(logPath)
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return fn(ctx, logger, logFile)
}
