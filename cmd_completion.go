package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// newCompletionCmd is `kubetutor completion bash|zsh|fish`: a completion script for the
// learner's shell, made by cobra from this command tree.
func newCompletionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish. Load it in the current shell, or add the
line to your shell's startup file.`,
		Example: `  source <(kubetutor completion bash)
  kubetutor completion zsh > "${fpath[1]}/_kubetutor"
  kubetutor completion fish | source`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Sprintf("completion needs a shell: bash, zsh or fish (got %d argument(s))", len(args))}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			root := c.Root()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(stdout, true)
			case "zsh":
				return root.GenZshCompletion(stdout)
			case "fish":
				return root.GenFishCompletion(stdout, true)
			}
			return usageError{fmt.Sprintf("completion: unknown shell %q (known: bash, zsh, fish)", args[0])}
		},
	}
}
