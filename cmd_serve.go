package main

import (
	"context"
	"io"
	"log"
	"os"

	"github.com/spf13/cobra"
)

// serveOptions is `kubetutor serve`: the simulator alone, for the learner's own kubectl.
type serveOptions struct {
	c   config
	out io.Writer
}

func newServeCmd(stdout io.Writer) *cobra.Command {
	o := &serveOptions{out: stdout}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the simulator alone, for your own kubectl in another terminal",
		Long: `Run the built-in simulated cluster without the player. It writes a kubeconfig and prints
the export KUBECONFIG=… line for your own kubectl; Ctrl+C stops it.`,
		Example: `  kubetutor serve --speed 5`,
		Args:    noArgs,
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
	addSimFlags(cmd.Flags(), &o.c)
	addLogFlag(cmd.Flags(), &o.c.logPath)
	return cmd
}

func (o *serveOptions) Complete(*cobra.Command, []string) error { return nil }

func (o *serveOptions) Validate() error { return validateSimFlags(o.c) }

func (o *serveOptions) Run() error {
	return withRuntime(o.c.logPath, func(ctx context.Context, logger *log.Logger, _ *os.File) error {
		return serve(ctx, o.c, logger, o.out)
	})
}
