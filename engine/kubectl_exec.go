package engine

import (
	"context"
	"io"
	"net/url"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	kexec "k8s.io/kubectl/pkg/cmd/exec"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
)

// ctxExecutor streams an exec with the run's context: kubectl's own executor streams with
// context.Background(), so a stopped `kubectl exec` would keep its connection (and the
// container's command) until the command ended by itself.
type ctxExecutor struct {
	ctx context.Context
	kexec.DefaultRemoteExecutor
}

func (e *ctxExecutor) Execute(u *url.URL, config *rest.Config, stdin io.Reader, stdout, stderr io.Writer, tty bool, sizes remotecommand.TerminalSizeQueue) error {
	return e.ExecuteWithContext(e.ctx, u, config, stdin, stdout, stderr, tty, sizes)
}

// cancellableExec makes the run's `exec` subcommand stream with ctx: its Run builds kubectl's
// own ExecOptions from the flags kubectl defined, with ctxExecutor as the executor. Parsing,
// validation, messages and completion stay kubectl's.
func cancellableExec(ctx context.Context, root *cobra.Command, flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) {
	cmd, _, err := root.Find([]string{"exec"})
	if err != nil || cmd == nil || cmd.Name() != "exec" || cmd.Run == nil {
		return
	}
	f := cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags))
	cmd.Run = func(cmd *cobra.Command, args []string) {
		o := &kexec.ExecOptions{
			StreamOptions: kexec.StreamOptions{IOStreams: streams},
			Executor:      &ctxExecutor{ctx: ctx},
		}
		fl := cmd.Flags()
		o.Stdin, _ = fl.GetBool("stdin")
		o.TTY, _ = fl.GetBool("tty")
		o.Quiet, _ = fl.GetBool("quiet")
		o.ContainerName, _ = fl.GetString("container")
		o.Filenames, _ = fl.GetStringSlice("filename")
		cmdutil.CheckErr(o.Complete(f, cmd, args, cmd.ArgsLenAtDash()))
		cmdutil.CheckErr(o.Validate())
		cmdutil.CheckErr(o.Run())
	}
}
