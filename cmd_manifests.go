package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kubetutor/kubetutor/manifests"
)

// newManifestsCmd is `kubetutor manifests list | export DIR`: the tutorial's YAML, for the
// learner's own kubectl in a second terminal or on a real cluster.
func newManifestsCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "manifests",
		Short: "The lessons' YAML files (web.yaml, …) for your own kubectl",
		Args:  parentArgs,
		RunE:  func(*cobra.Command, []string) error { return nil }, // parentArgs answers first
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the built-in manifests",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, n := range manifests.Names() {
				fmt.Fprintln(stdout, n)
			}
			return nil
		},
	}, &cobra.Command{
		Use:     "export DIR",
		Short:   "Write every manifest into DIR (a different file of the same name is never overwritten)",
		Example: `  kubetutor manifests export ./tutorial && kubectl apply -f ./tutorial/web.yaml`,
		Args:    exactArgs(1, "the directory to write to, e.g. kubetutor manifests export ./tutorial"),
		RunE: func(_ *cobra.Command, args []string) error {
			return exportManifests(args[0], stdout)
		},
	})
	return cmd
}
