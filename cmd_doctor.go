package main

import (
	"context"
	"io"
	"log"
	"os"

	"github.com/spf13/cobra"
)

// doctorOptions is `kubetutor doctor`: whether a real cluster can run a lesson.
type doctorOptions struct {
	c   config
	r   realFlags
	out io.Writer
}

func newDoctorCmd(stdout io.Writer) *cobra.Command {
	o := &doctorOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that a real cluster can run a lesson",
		Long: `Check a real cluster for a lesson: that it answers, the rights the lesson's commands need
in its namespace, storage for its claims and, with --pull, that its images can be pulled.`,
		Example: `  kubetutor doctor --context kind-kind
  kubetutor doctor --lesson replicated-mysql --pull`,
		Args: noArgs,
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
	addClusterFlags(fs, &o.r)
	fs.BoolVar(&o.r.pull, "pull", false, "start a short-lived pod per image to see whether the cluster can pull it")
	addLangFlag(fs, &o.c.lang)
	addLogFlag(fs, &o.c.logPath)
	return cmd
}

func (o *doctorOptions) Complete(*cobra.Command, []string) error { return nil }

func (o *doctorOptions) Validate() error { return validateLang(&o.c.lang, false) }

func (o *doctorOptions) Run() error {
	return withRuntime(o.c.logPath, func(ctx context.Context, _ *log.Logger, _ *os.File) error {
		return doctorCmd(ctx, o.c, &o.r, o.out)
	})
}
