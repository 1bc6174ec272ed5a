package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// newVersionCmd is `kubetutor version` (the same as kubetutor --version).
func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintln(stdout, versionString())
			return err
		},
	}
}
