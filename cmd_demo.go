package main

import (
	"context"
	"io"
	"log"
	"os"

	"github.com/spf13/cobra"
)

// demoCmdOptions is `kubetutor demo LESSON`: the player plays one lesson by itself.
type demoCmdOptions struct {
	c      config
	lesson string
	out    io.Writer
}

func newDemoCmd(stdout io.Writer) *cobra.Command {
	o := &demoCmdOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "demo LESSON",
		Short: "Play a lesson by itself on the simulator (space pauses, ← → skip)",
		Example: `  kubetutor demo statefulset-basics
  kubetutor demo statefulset-basics --present --speed 3`,
		Args: exactArgs(1, "one lesson, e.g. kubetutor demo statefulset-basics"),
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
	return cmd
}

func (o *demoCmdOptions) Complete(_ *cobra.Command, args []string) error {
	o.lesson = args[0]
	return nil
}

func (o *demoCmdOptions) Validate() error {
	if err := validateLang(&o.c.lang, false); err != nil {
		return err
	}
	return validateSimFlags(o.c)
}

func (o *demoCmdOptions) Run() error {
	return withRuntime(o.c.logPath, func(ctx context.Context, logger *log.Logger, logFile *os.File) error {
		return play(ctx, o.c, logger, logFile, o.lesson)
	})
}
