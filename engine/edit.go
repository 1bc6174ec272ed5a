package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/resource"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"
	"k8s.io/kubectl/pkg/cmd/util/editor"
	"k8s.io/kubectl/pkg/scheme"
	"k8s.io/kubectl/pkg/util"
)

// Editor is an editor inside this program for `kubectl edit`: it is handed the text kubectl
// would write to its temporary file (the header comment and the object as YAML, or JSON
// with -o json; ext is ".yaml" or ".json") and returns the text as the learner saved it.
// Giving the text back unchanged is quitting without saving. It must return when ctx ends.
//
// kubectl's own edit (editor.EditOptions.Run) always starts the program named by
// $KUBE_EDITOR or $EDITOR and has no seam for another editor, so a run with an Editor
// (WithEditor) replaces the edit commands' Run with editLoop, which follows kubectl's flow
// with kubectl's own libraries.
type Editor func(ctx context.Context, text []byte, ext string) ([]byte, error)

type editorKey struct{}

// WithEditor returns ctx carrying ed: RunKubectl on that context runs `kubectl edit` and
// `kubectl apply edit-last-applied` with ed, in this process, instead of refusing them.
func WithEditor(ctx context.Context, ed Editor) context.Context {
	return context.WithValue(ctx, editorKey{}, ed)
}

// HasEditor reports whether ctx carries an Editor.
func HasEditor(ctx context.Context) bool {
	ed, _ := ctx.Value(editorKey{}).(Editor)
	return ed != nil
}

// EditorFrom returns the Editor ctx carries, or nil.
func EditorFrom(ctx context.Context) Editor { return editorFrom(ctx) }

func editorFrom(ctx context.Context) Editor {
	ed, _ := ctx.Value(editorKey{}).(Editor)
	return ed
}

// IsEditLine reports whether a kubectl line edits objects in an editor: edit, or apply
// edit-last-applied.
func IsEditLine(line string) bool {
	args, err := SplitCommandLine(line)
	if err != nil || len(args) == 0 {
		return false
	}
	if args[0] == "kubectl" {
		args = args[1:]
	}
	l, err := ParseKubectl(args)
	if err != nil {
		return firstWord(args) == "edit"
	}
	return l.Path == "edit" || l.Path == "apply edit-last-applied"
}

// builtinEditors points the tree's edit commands at ed.
func builtinEditors(ctx context.Context, root *cobra.Command, flags *genericclioptions.ConfigFlags, streams genericiooptions.IOStreams, ed Editor) {
	// Its validator reads the shared OpenAPI documents (kubectl_openapi.go).
	f := &sharedOpenAPIFactory{Factory: cmdutil.NewFactory(cmdutil.NewMatchVersionFlags(flags))}
	for _, path := range [][]string{{"edit"}, {"apply", "edit-last-applied"}} {
		cmd, _, err := root.Find(path)
		if err != nil || cmd == nil || cmd.Name() != path[len(path)-1] || cmd.Run == nil {
			continue
		}
		mode := editor.NormalEditMode
		if len(path) == 2 {
			mode = editor.ApplyEditMode
		}
		cmd.Run = func(cmd *cobra.Command, args []string) {
			// kubectl's EditOptions, filled from the flags kubectl defined on this command:
			// Complete resolves the objects, the namespace, the printers and validation as
			// kubectl does.
			o := editor.NewEditOptions(mode, streams)
			fl := cmd.Flags()
			o.Filenames, _ = fl.GetStringSlice("filename")
			o.Kustomize, _ = fl.GetString("kustomize")
			o.Recursive, _ = fl.GetBool("recursive")
			o.OutputPatch, _ = fl.GetBool("output-patch")
			o.WindowsLineEndings, _ = fl.GetBool("windows-line-endings")
			o.FieldManager, _ = fl.GetString("field-manager")
			o.ApplyAnnotation, _ = fl.GetBool("save-config")
			o.Subresource, _ = fl.GetString("subresource")
			format, _ := fl.GetString("output")
			*o.PrintFlags.OutputFormat = format
			if v, err := fl.GetBool("show-managed-fields"); err == nil {
				o.PrintFlags.JSONYamlPrintFlags.ShowManagedFields = v
			}
			cmdutil.CheckErr(o.Complete(f, args, cmd))
			cmdutil.CheckErr(editLoop(ctx, o, f, format, ed))
		}
	}
}

// editReason is one failure the reopened text explains in its header.
type editReason struct {
	head  string
	other []string
}

// editRound is what one save led to.
type editRound struct {
	reasons   []editReason
	retryable int
	notfound  int
	invalid   int
}

// editLoop is kubectl edit's flow (editor.EditOptions.Run) with ed instead of a program:
// write the header and the objects, let the learner edit, stop with "Edit cancelled, no
// changes made." when nothing changed, reopen with the reasons in the header when the text
// does not parse or the server finds it invalid, and otherwise patch each changed object as
// kubectl does (a strategic merge patch for built-in kinds, a JSON merge patch for others).
func editLoop(ctx context.Context, o *editor.EditOptions, f cmdutil.Factory, format string, ed Editor) error {
	var infos []*resource.Info
	var err error
	switch o.EditMode {
	case editor.ApplyEditMode:
		all, err := o.OriginalResult.Infos()
		if err != nil {
			return err
		}
		for _, info := range all {
			data, err := util.GetOriginalConfiguration(info.Object)
			if err != nil {
				return err
			}
			if data == nil {
				continue
			}
			parsed, err := parsedResult(f, o, data).Infos()
			if err != nil {
				return err
			}
			infos = append(infos, parsed[0])
		}
		if len(infos) == 0 {
			return errors.New("no last-applied-configuration annotation found on resources, to create the annotation, use command `kubectl apply set-last-applied --create-annotation`")
		}
	default:
		if infos, err = o.OriginalResult.Infos(); err != nil {
			return err
		}
		if len(infos) == 0 {
			return errors.New("edit cancelled, no objects found")
		}
	}
	ext, header := ".yaml", true
	if format == "json" {
		ext, header = ".json", false
	}
	printer, err := (&genericclioptions.PrintFlags{JSONYamlPrintFlags: o.PrintFlags.JSONYamlPrintFlags}).WithDefaultOutput(strings.TrimPrefix(ext, ".")).ToPrinter()
	if err != nil {
		return err
	}

	var (
		round    editRound
		original []byte
		edited   []byte
		failed   bool // the last save did not go through: reopen what was saved
		managed  map[types.UID][]metav1.ManagedFieldsEntry
	)
	for {
		var obj runtime.Object = infos[0].Object
		if len(infos) > 1 {
			l := &unstructured.UnstructuredList{Object: map[string]interface{}{"kind": "List", "apiVersion": "v1", "metadata": map[string]interface{}{}}}
			for _, info := range infos {
				l.Items = append(l.Items, *info.Object.(*unstructured.Unstructured))
			}
			obj = l
		}
		var buf bytes.Buffer
		if header {
			writeEditHeader(&buf, o.EditMode, round.reasons)
		}
		if !failed {
			if managed, err = takeManagedFields(obj); err != nil {
				return err
			}
			if err := printer.PrintObj(obj, &buf); err != nil {
				return err
			}
			original = bytes.Clone(buf.Bytes())
		} else {
			buf.Write(cmdutil.ManualStrip(edited))
		}
		text := buf.Bytes()
		if o.WindowsLineEndings {
			text = bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))
		}
		before := edited
		if edited, err = ed(ctx, text, ext); err != nil {
			return err
		}
		if o.WindowsLineEndings {
			edited = bytes.ReplaceAll(edited, []byte("\r\n"), []byte("\n"))
		}
		if failed && bytes.Equal(cmdutil.StripComments(before), cmdutil.StripComments(edited)) {
			return errors.New("Edit cancelled, no valid changes were saved.")
		}
		schema, err := f.Validator(o.ValidationDirective)
		if err != nil {
			return err
		}
		if err := schema.ValidateBytes(cmdutil.StripComments(edited)); err != nil {
			failed = true
			round = editRound{}
			kind := infos[0].Mapping.Resource.Resource
			if g := infos[0].Mapping.Resource.Group; g != "" {
				kind += "." + g
			}
			round.reasons = append(round.reasons, editReason{head: fmt.Sprintf("%s %q was not valid", kind, infos[0].Name),
				other: []string{fmt.Sprintf(": The edited file failed validation: %v", err)}})
			fmt.Fprintf(o.ErrOut, "error: %s %q is invalid\n", kind, infos[0].Name)
			continue
		}
		if bytes.Equal(cmdutil.StripComments(original), cmdutil.StripComments(edited)) {
			fmt.Fprintln(o.ErrOut, "Edit cancelled, no changes made.")
			return nil
		}
		if !hasContent(edited) {
			fmt.Fprintln(o.ErrOut, "Edit cancelled, saved file was empty.")
			return nil
		}
		round = editRound{}
		updated, err := parsedResult(f, o, edited).Infos()
		if err != nil {
			failed = true
			round.reasons = append(round.reasons, editReason{head: fmt.Sprintf("The edited file had a syntax error: %v", err)})
			continue
		}
		failed = false
		restoreManagedFields(updated, managed)
		restoreManagedFields(infos, managed)
		if err := resource.InfoListVisitor(updated).Visit(resource.RequireNamespace(o.CmdNamespace)); err != nil {
			return err
		}
		for _, info := range updated {
			if o.ApplyAnnotation {
				if err := util.CreateOrUpdateAnnotation(true, info.Object, scheme.DefaultJSONEncoder()); err != nil {
					return err
				}
			}
			_ = o.Recorder.Record(info.Object)
		}
		for _, info := range updated {
			if err := patchEdited(ctx, o, f, infos, info, &round); err != nil {
				return err
			}
		}
		switch {
		case round.retryable > 0:
			fmt.Fprintln(o.ErrOut, "Your changes were not saved; run kubectl edit again to retry.")
			return cmdutil.ErrExit
		case round.notfound > 0:
			return cmdutil.ErrExit
		case round.invalid == 0:
			return nil
		}
		failed = len(round.reasons) > 0
	}
}

// parsedResult reads objects from edited text, as kubectl's edit does.
func parsedResult(f cmdutil.Factory, o *editor.EditOptions, data []byte) *resource.Result {
	return f.NewBuilder().Unstructured().Stream(bytes.NewReader(data), "edited-file").
		Subresource(o.Subresource).ContinueOnError().Flatten().Do()
}

// patchEdited sends the change of one edited object, as kubectl's edit does.
func patchEdited(ctx context.Context, o *editor.EditOptions, f cmdutil.Factory, originals []*resource.Info, info *resource.Info, round *editRound) error {
	uid, err := meta.NewAccessor().UID(info.Object)
	if err != nil {
		return err
	}
	var orig *resource.Info
	for _, i := range originals {
		if u, err := meta.NewAccessor().UID(i.Object); err == nil && u == uid {
			orig = i
			break
		}
	}
	if orig == nil {
		return fmt.Errorf("no original object found for %s %q (the uid must stay as it was)", info.Mapping.Resource.Resource, info.Name)
	}
	before, err := toJSON(orig.Object.(runtime.Unstructured))
	if err != nil {
		return err
	}
	after, err := toJSON(info.Object.(runtime.Unstructured))
	if err != nil {
		return err
	}
	if reflect.DeepEqual(before, after) {
		return printOp(o, "skipped", info.Object)
	}
	if o.EditMode == editor.ApplyEditMode {
		patch, _, pt, err := editor.GetApplyPatch(info.Object.(runtime.Unstructured))
		if err != nil {
			return err
		}
		client, err := f.UnstructuredClientForMapping(info.Mapping)
		if err != nil {
			return err
		}
		if _, err := resource.NewHelper(client, info.Mapping).WithFieldManager(o.FieldManager).
			WithFieldValidation(o.ValidationDirective).WithSubresource(o.Subresource).
			Patch(o.CmdNamespace, info.Name, pt, patch, nil); err != nil {
			return err
		}
		return printOp(o, "edited", info.Object)
	}
	pre := []mergepatch.PreconditionFunc{
		mergepatch.RequireKeyUnchanged("apiVersion"), mergepatch.RequireKeyUnchanged("kind"),
		mergepatch.RequireMetadataKeyUnchanged("name"), mergepatch.RequireKeyUnchanged("managedFields"),
	}
	var pt types.PatchType
	var patch []byte
	versioned, err := scheme.Scheme.New(info.Mapping.GroupVersionKind)
	switch {
	case runtime.IsNotRegisteredError(err):
		pt = types.MergePatchType
		if patch, err = jsonpatch.CreateMergePatch(before, after); err != nil {
			return err
		}
		var m map[string]interface{}
		if err := json.Unmarshal(patch, &m); err != nil {
			return err
		}
		for _, p := range pre {
			if !p(m) {
				return errors.New("At least one of apiVersion, kind and name was changed")
			}
		}
	case err != nil:
		return err
	default:
		pt = types.StrategicMergePatchType
		if patch, err = strategicpatch.CreateTwoWayMergePatch(before, after, versioned, pre...); err != nil {
			if mergepatch.IsPreconditionFailed(err) {
				return errors.New("At least one of apiVersion, kind and name was changed")
			}
			return err
		}
	}
	if o.OutputPatch {
		fmt.Fprintf(o.Out, "Patch: %s\n", patch)
	}
	patched, err := resource.NewHelper(info.Client, info.Mapping).WithFieldManager(o.FieldManager).
		WithFieldValidation(o.ValidationDirective).WithSubresource(o.Subresource).
		Patch(info.Namespace, info.Name, pt, patch, nil)
	if err != nil {
		fmt.Fprintln(o.ErrOut, round.add(err, info))
		return nil
	}
	_ = info.Refresh(patched, true)
	return printOp(o, "edited", info.Object)
}

func printOp(o *editor.EditOptions, op string, obj runtime.Object) error {
	p, err := o.ToPrinter(op)
	if err != nil {
		return err
	}
	return p.PrintObj(obj, o.Out)
}

// add records a failed patch as kubectl's edit does: an invalid object reopens the editor with
// the server's causes in the header; anything else ends the edit.
func (r *editRound) add(err error, info *resource.Info) string {
	kind := info.Mapping.Resource.Resource
	if g := info.Mapping.Resource.Group; g != "" {
		kind += "." + g
	}
	switch {
	case apierrors.IsInvalid(err):
		r.invalid++
		reason := editReason{head: fmt.Sprintf("%s %q was not valid", kind, info.Name)}
		var st apierrors.APIStatus
		if errors.As(err, &st) && st.Status().Details != nil {
			for _, c := range st.Status().Details.Causes {
				reason.other = append(reason.other, fmt.Sprintf("%s: %s", c.Field, c.Message))
			}
		}
		r.reasons = append(r.reasons, reason)
		return fmt.Sprintf("error: %s %q is invalid", kind, info.Name)
	case apierrors.IsNotFound(err):
		r.notfound++
		return fmt.Sprintf("error: %s %q could not be found on the server", kind, info.Name)
	default:
		r.retryable++
		return fmt.Sprintf("error: %s %q could not be patched: %v", kind, info.Name, err)
	}
}

// writeEditHeader writes kubectl's comment at the top of the text, with the reasons a save
// failed.
func writeEditHeader(w io.Writer, mode editor.EditMode, reasons []editReason) {
	if mode == editor.ApplyEditMode {
		fmt.Fprint(w, "# Please edit the 'last-applied-configuration' annotations below.\n"+
			"# Lines beginning with a '#' will be ignored, and an empty file will abort the edit.\n#\n")
	} else {
		fmt.Fprint(w, "# Please edit the object below. Lines beginning with a '#' will be ignored,\n"+
			"# and an empty file will abort the edit. If an error occurs while saving this file will be\n"+
			"# reopened with the relevant failures.\n#\n")
	}
	for _, r := range reasons {
		colon := ""
		if len(r.other) > 0 {
			colon = ":"
		}
		fmt.Fprintf(w, "# %s%s\n", commentLines(r.head), colon)
		for _, o := range r.other {
			fmt.Fprintf(w, "# * %s\n", commentLines(o))
		}
		fmt.Fprintln(w, "#")
	}
}

// commentLines keeps a multi-line message inside the comment.
func commentLines(s string) string {
	return strings.ReplaceAll(s, "\n", "\n# ")
}

// hasContent reports whether text has a line that is neither blank nor a comment.
func hasContent(text []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && l[0] != '#' {
			return true
		}
	}
	return false
}

// takeManagedFields clears the objects' managedFields (kubectl edit does not show them) and
// returns them by uid, to be put back before patching.
func takeManagedFields(obj runtime.Object) (map[types.UID][]metav1.ManagedFieldsEntry, error) {
	out := map[types.UID][]metav1.ManagedFieldsEntry{}
	take := func(o runtime.Object) error {
		a, err := meta.Accessor(o)
		if err != nil {
			return err
		}
		out[a.GetUID()] = a.GetManagedFields()
		a.SetManagedFields(nil)
		return nil
	}
	if meta.IsListType(obj) {
		return out, meta.EachListItem(obj, take)
	}
	return out, take(obj)
}

func restoreManagedFields(infos []*resource.Info, managed map[types.UID][]metav1.ManagedFieldsEntry) {
	for _, info := range infos {
		if a, err := meta.Accessor(info.Object); err == nil {
			a.SetManagedFields(managed[a.GetUID()])
		}
	}
}

func toJSON(obj runtime.Unstructured) ([]byte, error) {
	b, err := runtime.Encode(unstructured.UnstructuredJSONScheme, obj)
	if err != nil {
		return nil, err
	}
	return yaml.ToJSON(b)
}
