package lessons

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"

	"github.com/kubetutor/kubetutor/engine"
)

// The real kubectl command tree, built once: lint parses every lesson command with it, so a
// misspelt subcommand or flag is caught before a learner runs into it. Building the tree talks
// to no cluster; only Execute would.
var (
	kubectlTreeMu   sync.Mutex
	kubectlTreeOnce sync.Once
	kubectlTree     *cobra.Command
)

func kubectlRoot() *cobra.Command {
	kubectlTreeOnce.Do(func() {
		streams := genericiooptions.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
		kubeconfig := "/nonexistent/kubetutor-lint-kubeconfig"
		flags := genericclioptions.NewConfigFlags(true)
		flags.KubeConfig = &kubeconfig
		// Arguments holds only the program name, so no kuberc or plugin lookup happens.
		// Built and reset under the engine's lock: kubectl's build writes package variables
		// that in-process kubectl runs share.
		kubectlTree = engine.NewKubectlTree(kubectlcmd.KubectlOptions{
			Arguments:   []string{"kubectl"},
			ConfigFlags: flags,
			IOStreams:   streams,
		})
		kubectlTree.SetOut(io.Discard)
		kubectlTree.SetErr(io.Discard)
	})
	return kubectlTree
}

// parseKubectl checks args (the words after "kubectl") against kubectl's command tree: the
// subcommand exists, every flag is known and has a valid value, required flags are given,
// flag groups are respected and the positional arguments fit the subcommand.
func parseKubectl(args []string) error {
	kubectlTreeMu.Lock()
	defer kubectlTreeMu.Unlock()
	root := kubectlRoot()
	defer engine.LockKubectlGlobals()()
	cmd, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if cmd == root {
		return fmt.Errorf("unknown kubectl command %q", firstNonFlag(args))
	}
	// One tree serves every line: forget what the previous line set.
	resetFlags(cmd)
	if err := cmd.ParseFlags(rest); err != nil {
		return fmt.Errorf("kubectl %s: %v", cmd.Name(), err)
	}
	if err := cmd.ValidateRequiredFlags(); err != nil {
		return fmt.Errorf("kubectl %s: %v", cmd.Name(), err)
	}
	if err := cmd.ValidateFlagGroups(); err != nil {
		return fmt.Errorf("kubectl %s: %v", cmd.Name(), err)
	}
	if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
		return fmt.Errorf("kubectl %s: %v", cmd.Name(), err)
	}
	// A command group (rollout, config) runs only to print its help.
	group := cmd.HasSubCommands() && !cmd.LocalNonPersistentFlags().HasFlags()
	if !cmd.Runnable() || (group && len(cmd.Flags().Args()) == 0) {
		return fmt.Errorf("%s needs a subcommand", cmd.CommandPath())
	}
	return nil
}

func resetFlags(cmd *cobra.Command) {
	for c := cmd; c != nil; c = c.Parent() {
		for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				if f.Changed {
					// Slice flags append on Set; Replace empties them first.
					if sv, ok := f.Value.(pflag.SliceValue); ok {
						_ = sv.Replace(nil)
					} else {
						_ = f.Value.Set(f.DefValue)
					}
					f.Changed = false
				}
			})
		}
	}
}

func firstNonFlag(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return strings.Join(args, " ")
}
