package main

import (
	"context"
	"io"
	"log"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/internal/startgc"
)

// playOptions is `kubetutor` itself: the lesson menu on the built-in simulator, or a lesson
// on a real cluster with --kubeconfig, --context or --real.
type playOptions struct {
	c    config
	r    realFlags
	out  io.Writer
	set  func(name string) bool // whether a flag was given
	real bool
}

func newPlayCmd(stdout io.Writer) *cobra.Command {
	o := &playOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "kubetutor",
		Short: "Learn Kubernetes StatefulSets in your terminal, on a built-in simulated cluster or a real one",
		Long: `kubetutor plays short lessons on Kubernetes StatefulSets in the terminal.

Without flags it opens the lesson menu on a built-in simulated cluster: nothing to install,
nothing to clean up. With --kubeconfig, --context or --real it plays one lesson on a real
cluster, in a namespace of its own, after showing what it will create and asking.`,
		Example: `  # The lesson menu on the built-in simulator
  kubetutor

  # Twice as fast, in Korean, line by line for a screen reader
  kubetutor --speed 2 --lang ko --plain

  # A lesson on the cluster of a kubeconfig context, in its own namespace
  kubetutor --context kind-kind --lesson statefulset-basics`,
		Args: rootArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Complete(cmd, args); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run()
		},
	}
	fs := cmd.Flags()
	addLangFlag(fs, &o.c.lang)
	addSimFlags(fs, &o.c)
	addLogFlag(fs, &o.c.logPath)
	addLessonsFlag(fs, &o.c.lessonsDir)
	fs.BoolVar(&o.c.present, "present", false, "projector layout: larger step title, fewer panes, high contrast")
	fs.BoolVar(&o.c.plain, "plain", false, "plain line-by-line player for screen readers and logs")
	addClusterFlags(fs, &o.r)
	fs.BoolVar(&o.r.real, "real", false, "play on the real cluster of the current kubeconfig context")
	fs.BoolVar(&o.r.yes, "yes", false, "on a real cluster: do not ask before creating the namespace (cleanup is still asked)")
	// --version as before the subcommand existed; `kubetutor version` is the same.
	cmd.Version = strings.TrimPrefix(versionString(), "kubetutor ")
	cmd.SetVersionTemplate("kubetutor {{.Version}}\n")
	return cmd
}

func (o *playOptions) Complete(cmd *cobra.Command, args []string) error {
	o.set = cmd.Flags().Changed
	o.real = o.r.active()
	return nil
}

func (o *playOptions) Validate() error {
	if err := validateLang(&o.c.lang, false); err != nil {
		return err
	}
	if err := validateSimFlags(o.c); err != nil {
		return err
	}
	if o.c.plain && o.c.present {
		return usageError{"--plain and --present do not go together: --plain draws no screen layout"}
	}
	if o.real {
		switch {
		case o.r.real && (o.r.kubeconfig != "" || o.r.context != ""):
			return usageError{"--real plays on the current context; --kubeconfig and --context already choose a cluster: give one or the other"}
		case o.set("speed"):
			return usageError{"--speed sets the simulator's pace; a real cluster runs at its own"}
		case o.set("max-replicas") || o.set("max-objects"):
			return usageError{"--max-replicas and --max-objects cap the simulator; a real cluster has its own quotas"}
		case o.set("lessons"):
			return usageError{"--lessons adds lessons to the simulator's menu; on a real cluster choose a built-in lesson with --lesson"}
		}
		return nil
	}
	for _, f := range []string{"namespace", "yes"} {
		if o.set(f) {
			return usageError{"--" + f + " is for a real cluster: add --kubeconfig, --context or --real"}
		}
	}
	if o.set("lesson") {
		// On the simulator --lesson opens that lesson at once; an unknown one is an error,
		// never silently ignored.
		if _, err := pickLesson(o.c.lang, o.r.lesson); err != nil {
			return err
		}
		o.c.open = o.r.lesson
	}
	return nil
}

func (o *playOptions) Run() error {
	return withRuntime(o.c.logPath, func(ctx context.Context, logger *log.Logger, logFile *os.File) error {
		if o.real {
			startgc.Restore() // a real cluster's session: the collector's own pace throughout
			return playReal(ctx, o.c, &o.r, logger, logFile, o.out)
		}
		return play(ctx, o.c, logger, logFile, "")
	})
}
