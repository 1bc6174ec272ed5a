package engine

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/cli-runtime/pkg/resource"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/remotecommand"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/klog/v2"
	kattach "k8s.io/kubectl/pkg/cmd/attach"
	kdelete "k8s.io/kubectl/pkg/cmd/delete"
	kexec "k8s.io/kubectl/pkg/cmd/exec"
	kportforward "k8s.io/kubectl/pkg/cmd/portforward"
	kreplace "k8s.io/kubectl/pkg/cmd/replace"
	krollout "k8s.io/kubectl/pkg/cmd/rollout"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	cmdwait "k8s.io/kubectl/pkg/cmd/wait"
	"k8s.io/kubectl/pkg/scheme"
	kutil "k8s.io/kubectl/pkg/util"
	"k8s.io/kubectl/pkg/util/i18n"
)

// kubectl v0.37 runs some of its waits on context.Background(): the wait after `delete`
// (finalizers, a claim a pod still uses), `rollout status`, the stream of `attach`, `exec`
// and `port-forward`. A stopped run would keep retrying there until kubectl's own timeout
// (a week for delete). So the run's tree gets, for exactly those subcommands, a Run that
// builds kubectl's own options from the flags kubectl defined and waits with the run's
// context. Parsing, validation, completion and every message stay kubectl's; the few lines
// written here are the loops that kubectl writes around context.Background() (compared with
// /usr/bin/kubectl by TestWaitingCommandsMatchKubectl).
//
// The other waiting commands already honour the run's context or end on their next request
// (which the run's transport fails once stopped): `wait` and `logs -f` run on cmd.Context(),
// `get -w` and `events -w` end when their watch is cut, `run -i` ends with its attach
// stream, `apply --prune` deletes without waiting, `scale --timeout`, `apply --force` and
// `replace --force` poll once a second and stop at the first failed request, `drain` ends at its next eviction attempt
// (kubectl retries every 5 s; TestStopDrainEndsAtItsNextRetry). `replace --force` deletes,
// waits (with --grace-period=0, kubectl's wait loop on context.Background()), polls until
// the objects are gone and creates them again: that path gets a Run on the run's context
// too; every other replace keeps kubectl's own.
func cancellableWaits(ctx context.Context, root *cobra.Command, flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams) {
	f := cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags))
	replaceRun(root, []string{"exec"}, func(cmd *cobra.Command, args []string) { runExec(ctx, f, streams, cmd, args) })
	replaceRun(root, []string{"attach"}, func(cmd *cobra.Command, args []string) { runAttach(ctx, f, streams, cmd, args) })
	replaceRun(root, []string{"port-forward"}, func(cmd *cobra.Command, args []string) { runPortForward(ctx, f, streams, cmd, args) })
	replaceRun(root, []string{"delete"}, func(cmd *cobra.Command, args []string) { runDelete(ctx, f, streams, cmd, args) })
	replaceRun(root, []string{"rollout", "status"}, func(cmd *cobra.Command, args []string) { runRolloutStatus(ctx, f, streams, cmd, args) })
	if c, _, err := root.Find([]string{"replace"}); err == nil && c != nil && c.Name() == "replace" && c.Run != nil {
		own := c.Run
		c.Run = func(cmd *cobra.Command, args []string) { runReplace(ctx, f, streams, cmd, args, own) }
	}
}

// replaceRun swaps the Run of the subcommand at path, if kubectl's tree has it as expected.
func replaceRun(root *cobra.Command, path []string, run func(*cobra.Command, []string)) {
	cmd, _, err := root.Find(path)
	if err != nil || cmd == nil || cmd.Name() != path[len(path)-1] || cmd.Run == nil {
		return
	}
	cmd.Run = run
}

// copyFlags sets every flag the user set on from (kubectl's command) on to (a scratch
// command whose flags bind to a fresh kubectl options struct).
func copyFlags(from, to *pflag.FlagSet) error {
	var err error
	from.Visit(func(fl *pflag.Flag) {
		dst := to.Lookup(fl.Name)
		if dst == nil || err != nil {
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			if dv, ok := dst.Value.(pflag.SliceValue); ok {
				err = dv.Replace(sv.GetSlice())
				dst.Changed = true
				return
			}
		}
		err = to.Set(fl.Name, fl.Value.String())
	})
	return err
}

// --- exec, attach: stream with the run's context ---------------------------------------

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

// ctxAttach is ctxExecutor for attach: the stream is the same kind, only the URL differs.
type ctxAttach struct{ ctxExecutor }

func (a *ctxAttach) Attach(u *url.URL, config *rest.Config, stdin io.Reader, stdout, stderr io.Writer, tty bool, sizes remotecommand.TerminalSizeQueue) error {
	return a.Execute(u, config, stdin, stdout, stderr, tty, sizes)
}

func runExec(ctx context.Context, f cmdutil.Factory, streams genericiooptions.IOStreams, cmd *cobra.Command, args []string) {
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

func runAttach(ctx context.Context, f cmdutil.Factory, streams genericiooptions.IOStreams, cmd *cobra.Command, args []string) {
	o := kattach.NewAttachOptions(streams)
	o.Attach = &ctxAttach{ctxExecutor{ctx: ctx}}
	fl := cmd.Flags()
	o.Stdin, _ = fl.GetBool("stdin")
	o.TTY, _ = fl.GetBool("tty")
	o.Quiet, _ = fl.GetBool("quiet")
	o.ContainerName, _ = fl.GetString("container")
	o.DetachKeys, _ = fl.GetString("detach-keys")
	cmdutil.CheckErr(o.Complete(f, cmd, args))
	cmdutil.CheckErr(o.Validate())
	cmdutil.CheckErr(o.Run())
}

// runPortForward is kubectl's port-forward Run on the run's context (kubectl's calls the
// deprecated RunPortForward, which forwards until the process gets an interrupt).
func runPortForward(ctx context.Context, f cmdutil.Factory, streams genericiooptions.IOStreams, cmd *cobra.Command, args []string) {
	o := kportforward.NewDefaultPortForwardOptions(streams)
	o.Address, _ = cmd.Flags().GetStringSlice("address")
	cmdutil.CheckErr(o.Complete(f, cmd, args))
	cmdutil.CheckErr(o.Validate())
	cmdutil.CheckErr(o.RunPortForwardContext(ctx))
}

// --- delete: kubectl's deletes, then its wait on the run's context --------------------

func runDelete(ctx context.Context, f cmdutil.Factory, streams genericiooptions.IOStreams, cmd *cobra.Command, args []string) {
	df := kdelete.NewDeleteCommandFlags("containing the resource to delete.")
	scratch := &cobra.Command{Use: "delete"}
	df.AddFlags(scratch)
	cmdutil.CheckErr(copyFlags(cmd.Flags(), scratch.Flags()))
	o, err := df.ToOptions(nil, streams)
	cmdutil.CheckErr(err)
	cmdutil.CheckErr(o.Complete(f, args, cmd))
	cmdutil.CheckErr(o.Validate())
	// Without a wait kubectl's own RunDelete never reaches its context.Background() loop.
	if len(o.Raw) > 0 || !o.WaitForDeletion || o.DryRunStrategy != cmdutil.DryRunNone {
		cmdutil.CheckErr(o.RunDelete(f))
		return
	}
	cmdutil.CheckErr(deleteAndWait(ctx, o))
}

// deleteAndWait is kubectl's RunDelete for a delete that waits (--wait, the default), with
// the wait on ctx: the same deletes, messages and errors in the same order.
func deleteAndWait(ctx context.Context, o *kdelete.DeleteOptions) error {
	r := o.Result
	var preview map[cmdwait.ResourceLocation]bool
	if o.Interactive {
		infos, err := previewDeletes(o)
		if err != nil {
			return err
		}
		if len(infos) == 0 {
			fmt.Fprintf(o.Out, "No resources found\n")
			return nil
		}
		if !confirmDeletes(o, infos) {
			fmt.Fprintf(o.Out, "deletion is cancelled\n")
			return nil
		}
		preview = map[cmdwait.ResourceLocation]bool{}
		for _, info := range infos {
			preview[location(info)] = true
		}
	}
	if o.IgnoreNotFound {
		r = r.IgnoreErrors(errors.IsNotFound)
	}
	warnClusterScope := o.WarnClusterScope
	var deleted []*resource.Info
	uids := cmdwait.UIDMap{}
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		if preview != nil && !preview[location(info)] {
			return nil
		}
		deleted = append(deleted, info)
		opts := &metav1.DeleteOptions{}
		if o.GracePeriod >= 0 {
			opts = metav1.NewDeleteOptions(int64(o.GracePeriod))
		}
		opts.PropagationPolicy = &o.CascadingStrategy
		if warnClusterScope && info.Mapping.Scope.Name() == meta.RESTScopeNameRoot {
			o.WarningPrinter.Print("deleting cluster-scoped resources, not scoped to the provided namespace")
			warnClusterScope = false
		}
		resp, err := resource.NewHelper(info.Client, info.Mapping).DeleteWithOptions(info.Namespace, info.Name, opts)
		if err != nil {
			return cmdutil.AddSourceToErr("deleting", info.Source, err)
		}
		if !o.Quiet {
			o.PrintObj(info)
		}
		if status, ok := resp.(*metav1.Status); ok && status.Details != nil {
			uids[location(info)] = status.Details.UID
			return nil
		}
		if acc, err := meta.Accessor(resp); err == nil {
			uids[location(info)] = acc.GetUID()
		} else {
			klog.V(1).Info(err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(deleted) == 0 {
		fmt.Fprintf(o.Out, "No resources found\n")
		return nil
	}
	if o.DynamicClient == nil {
		return nil
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 168 * time.Hour // kubectl: "wait forever" is a week
	}
	w := cmdwait.WaitOptions{
		ResourceFinder: genericclioptions.ResourceFinderForResult(resource.InfoListVisitor(deleted)),
		UIDMap:         uids,
		DynamicClient:  o.DynamicClient,
		Timeout:        timeout,
		Printer:        printers.NewDiscardingPrinter(),
		ConditionFn:    []cmdwait.ConditionFunc{cmdwait.IsDeleted},
		IOStreams:      o.IOStreams,
	}
	err = w.RunWaitContext(ctx)
	if errors.IsForbidden(err) || errors.IsMethodNotSupported(err) {
		klog.V(1).Info(err) // as kubectl: a wait it may not do is no failure
		return nil
	}
	return err
}

func location(info *resource.Info) cmdwait.ResourceLocation {
	return cmdwait.ResourceLocation{GroupResource: info.Mapping.Resource.GroupResource(), Namespace: info.Namespace, Name: info.Name}
}

func previewDeletes(o *kdelete.DeleteOptions) ([]*resource.Info, error) {
	r := o.PreviewResult
	if o.IgnoreNotFound {
		r = r.IgnoreErrors(errors.IsNotFound)
	}
	var infos []*resource.Info
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		infos = append(infos, info)
		return nil
	})
	return infos, err
}

// confirmDeletes asks as kubectl delete --interactive asks.
func confirmDeletes(o *kdelete.DeleteOptions, infos []*resource.Info) bool {
	fmt.Fprintf(o.Out, i18n.T("You are about to delete the following %d resource(s):\n"), len(infos))
	for _, info := range infos {
		gk := info.Mapping.GroupVersionKind
		kind := strings.ToLower(gk.Kind)
		if gk.Group != "" {
			kind += "." + gk.Group
		}
		fmt.Fprintf(o.Out, "%s/%s\n", kind, info.Name)
	}
	fmt.Fprint(o.Out, i18n.T("Do you want to continue?")+" (y/N): ")
	var input string
	if _, err := fmt.Fscanln(o.In, &input); err != nil {
		return false
	}
	return strings.EqualFold(input, "y")
}

// --- rollout status on the run's context ----------------------------------------------

func runRolloutStatus(ctx context.Context, f cmdutil.Factory, streams genericiooptions.IOStreams, cmd *cobra.Command, args []string) {
	o := krollout.NewRolloutStatusOptions(streams)
	fl := cmd.Flags()
	o.FilenameOptions.Filenames, _ = fl.GetStringSlice("filename")
	o.FilenameOptions.Kustomize, _ = fl.GetString("kustomize")
	o.FilenameOptions.Recursive, _ = fl.GetBool("recursive")
	o.Watch, _ = fl.GetBool("watch")
	o.Revision, _ = fl.GetInt64("revision")
	o.Timeout, _ = fl.GetDuration("timeout")
	o.LabelSelector, _ = fl.GetString("selector")
	cmdutil.CheckErr(o.Complete(f, args))
	cmdutil.CheckErr(o.Validate())
	cmdutil.CheckErr(rolloutStatus(ctx, o))
}

// rolloutStatus is kubectl's RolloutStatusOptions.Run with its watch on ctx.
func rolloutStatus(ctx context.Context, o *krollout.RolloutStatusOptions) error {
	r := o.Builder().
		WithScheme(scheme.Scheme, scheme.Scheme.PrioritizedVersionsAllGroups()...).
		NamespaceParam(o.Namespace).DefaultNamespace().
		LabelSelectorParam(o.LabelSelector).
		FilenameParam(o.EnforceNamespace, o.FilenameOptions).
		ResourceTypeOrNameArgs(true, o.BuilderArgs...).
		ContinueOnError().
		Latest().
		Flatten().
		Do()
	if err := r.Err(); err != nil {
		return err
	}
	found := false
	err := r.Visit(func(info *resource.Info, _ error) error {
		found = true
		viewer, err := o.StatusViewerFn(info.ResourceMapping())
		if err != nil {
			return err
		}
		client := o.DynamicClient.Resource(info.Mapping.Resource).Namespace(info.Namespace)
		byName := fields.OneTermEqualSelector("metadata.name", info.Name).String()
		lw := cache.ToListWatcherWithWatchListSemantics(&cache.ListWatch{
			ListFunc: func(opts metav1.ListOptions) (runtime.Object, error) {
				opts.FieldSelector = byName
				return client.List(ctx, opts)
			},
			WatchFunc: func(opts metav1.ListOptions) (watch.Interface, error) {
				opts.FieldSelector = byName
				return client.Watch(ctx, opts)
			},
		}, o.DynamicClient)
		wctx, cancel := watchtools.ContextWithOptionalTimeout(ctx, o.Timeout)
		defer cancel()
		_, err = watchtools.UntilWithSync(wctx, lw, &unstructured.Unstructured{}, nil, func(e watch.Event) (bool, error) {
			switch e.Type {
			case watch.Added, watch.Modified:
				status, done, err := viewer.Status(e.Object.(runtime.Unstructured), o.Revision)
				if err != nil {
					return false, err
				}
				fmt.Fprintf(o.Out, "%s", status)
				return done || !o.Watch, nil
			case watch.Deleted:
				// As kubectl: a recreated object is not the one being watched.
				return true, fmt.Errorf("object has been deleted")
			default:
				return true, fmt.Errorf("internal error: unexpected event %#v", e)
			}
		})
		return err
	})
	if err != nil {
		return err
	}
	if !found {
		fmt.Fprintf(o.ErrOut, "No resources found in %s namespace.\n", o.Namespace)
	}
	return nil
}

// --- replace --force: delete, wait and create on the run's context ---------------------

// runReplace is kubectl's replace Run for `replace --force` (without --raw), with its waits
// on ctx; any other replace has no wait and runs kubectl's own Run (own).
func runReplace(ctx context.Context, f cmdutil.Factory, streams genericiooptions.IOStreams, cmd *cobra.Command, args []string, own func(*cobra.Command, []string)) {
	force, _ := cmd.Flags().GetBool("force")
	raw, _ := cmd.Flags().GetString("raw")
	if !force || raw != "" {
		own(cmd, args)
		return
	}
	// The flags as kubectl's NewCmdReplace defines them, bound to a fresh options struct
	// (and to the two settings it keeps unexported).
	o := kreplace.NewReplaceOptions(streams)
	scratch := &cobra.Command{Use: "replace"}
	o.PrintFlags.AddFlags(scratch)
	o.DeleteFlags.AddFlags(scratch)
	o.RecordFlags.AddFlags(scratch)
	cmdutil.AddValidateFlags(scratch)
	cmdutil.AddApplyAnnotationFlags(scratch)
	cmdutil.AddDryRunFlag(scratch)
	scratch.Flags().StringVar(&o.Raw, "raw", o.Raw, "")
	var fieldManager string
	cmdutil.AddFieldManagerFlagVar(scratch, &fieldManager, "kubectl-replace")
	cmdutil.AddSubresourceFlags(scratch, &o.Subresource, "")
	cmdutil.CheckErr(copyFlags(cmd.Flags(), scratch.Flags()))
	cmdutil.CheckErr(o.Complete(f, scratch, args))
	cmdutil.CheckErr(o.Validate())
	validation, err := cmdutil.GetValidationDirective(scratch)
	cmdutil.CheckErr(err)
	annotate := cmdutil.GetFlagBool(scratch, cmdutil.ApplyAnnotationsFlag)
	cmdutil.CheckErr(forceReplace(ctx, o, fieldManager, validation, annotate))
}

// forceReplace is kubectl's ReplaceOptions.forceReplace with its deletion wait and its poll
// on ctx: the same requests, messages and errors in the same order.
func forceReplace(ctx context.Context, o *kreplace.ReplaceOptions, fieldManager, validation string, annotate bool) error {
	d := o.DeleteOptions
	stdinInUse := false
	for i, name := range d.FilenameOptions.Filenames {
		if name != "-" {
			continue
		}
		// kubectl reads os.Stdin here; a run reads its own input (the session normally has
		// written it to a file already).
		dir, err := os.MkdirTemp("", "kubectl_replace_")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		tmp := filepath.Join(dir, "resource.stdin")
		if err := cmdutil.DumpReaderToFile(o.In, tmp); err != nil {
			return err
		}
		d.FilenameOptions.Filenames[i] = tmp
		stdinInUse = true
	}
	b := o.Builder().
		Unstructured().
		ContinueOnError().
		NamespaceParam(o.Namespace).DefaultNamespace().
		ResourceTypeOrNameArgs(false, o.BuilderArgs...).RequireObject(false).
		FilenameParam(o.EnforceNamespace, &d.FilenameOptions).
		Subresource(o.Subresource).
		Flatten()
	if stdinInUse {
		b = b.StdinInUse()
	}
	r := b.Do()
	if err := r.Err(); err != nil {
		return err
	}
	if d.WaitForDeletion { // --grace-period=0 (kubectl turns it into 1 and a wait)
		d.Result = r
		if err := deleteAndWait(ctx, d); err != nil {
			return err
		}
	} else if err := d.DeleteResult(r); err != nil {
		return err
	}
	timeout := d.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	err := r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		return wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(context.Context) (bool, error) {
			if err := info.Get(); !errors.IsNotFound(err) {
				return false, err
			}
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	b = o.Builder().
		Unstructured().
		Schema(o.Schema).
		ContinueOnError().
		NamespaceParam(o.Namespace).DefaultNamespace().
		FilenameParam(o.EnforceNamespace, &d.FilenameOptions).
		Subresource(o.Subresource).
		Flatten()
	if stdinInUse {
		b = b.StdinInUse()
	}
	r = b.Do()
	if err := r.Err(); err != nil {
		return err
	}
	count := 0
	err = r.Visit(func(info *resource.Info, err error) error {
		if err != nil {
			return err
		}
		if err := kutil.CreateOrUpdateAnnotation(annotate, info.Object, scheme.DefaultJSONEncoder()); err != nil {
			return err
		}
		if err := o.Recorder.Record(info.Object); err != nil {
			klog.V(4).Infof("error recording current command: %v", err)
		}
		obj, err := resource.NewHelper(info.Client, info.Mapping).
			WithFieldManager(fieldManager).
			WithFieldValidation(validation).
			Create(info.Namespace, true, info.Object)
		if err != nil {
			return err
		}
		count++
		info.Refresh(obj, true)
		return o.PrintObj(info.Object)
	})
	if err != nil {
		return err
	}
	if count == 0 {
		return fmt.Errorf("no objects passed to replace")
	}
	return nil
}
