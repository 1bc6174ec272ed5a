package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/restmapper"

	"github.com/kubetutor/kubetutor/manifests"
)

// GuardError is a command refused before it runs, with the reason a learner reads.
type GuardError struct {
	Reason string
	// OwnCredentials is set when the command acts on cluster-wide objects (cordon, drain):
	// the lesson's ServiceAccount may not, but the learner may choose to run this one
	// command with their own credentials (RunKubectlAsLearner).
	OwnCredentials bool
}

func (e *GuardError) Error() string { return e.Reason }

// protectedNamespaces are never a lesson's namespace and never written to.
var protectedNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// CheckCommand says whether a kubectl command line may run in this session; RunKubectl calls
// the same checks before every run, so the command bar and the lesson runner share them.
//
// In every mode a line may not reach another cluster, user or the host (CheckLocal). On a
// real cluster with a lesson namespace (EnterLessonNamespace), the line must also touch only
// that namespace, plus reads of nodes, PersistentVolumes, StorageClasses and namespaces.
// The decision comes from kubectl's own parse of the line and the cluster's discovery (which
// resources are namespaced), never from the words as typed. Refusals are *GuardError.
func (s *Session) CheckCommand(line string) error {
	args, err := SplitCommandLine(line)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "kubectl" {
		return nil // RunKubectl explains these itself
	}
	return s.checkArgs(context.Background(), args[1:], false)
}

// checkArgs runs every check on args (the words after "kubectl"). terminal is set for runs
// that own the learner's terminal, where an editor may open.
func (s *Session) checkArgs(ctx context.Context, args []string, terminal bool) error {
	l, err := ParseKubectl(args)
	if err != nil {
		// kubectl parses the same words with the same tree and stops with this error before
		// it talks to anything, so it may say so in its own words; but cobra's hidden
		// completion commands exist only in an executing tree, and run plugins.
		if w := firstWord(args); strings.HasPrefix(w, "__") {
			return refusef("unknown command %q for \"kubectl\"", w)
		}
		return nil
	}
	if err := checkLocal(l, terminal); err != nil {
		return err
	}
	if s.lessonNamespace() == "" {
		return nil
	}
	return s.guardLine(l, ctx.Value(asLearnerKey{}) != nil)
}

// What a command does to the cluster.
type cmdClass int

const (
	classNone  cmdClass = iota + 1 // touches no object (version, explain, api-resources)
	classRead                      // reads objects
	classWrite                     // changes objects
	classPod                       // acts inside a pod (exec, attach, port-forward, debug)
	classNode                      // changes nodes or other cluster-wide objects by design
)

// commandClasses covers every kubectl command a lesson or the command bar may run on a real
// cluster; a command missing here is refused there (TestCommandClassesCoverKubectl keeps it
// in step with kubectl's tree).
var commandClasses = map[string]cmdClass{
	"get": classRead, "describe": classRead, "logs": classRead, "events": classRead,
	"wait": classRead, "top pod": classRead, "top node": classRead, "diff": classRead,
	"rollout status": classRead, "rollout history": classRead, "apply view-last-applied": classRead,
	"explain": classNone, "api-resources": classNone, "api-versions": classNone, "version": classNone,
	"help": classNone, "completion": classNone, "options": classNone, "kustomize": classNone,
	"auth can-i": classNone, "auth whoami": classNone,

	"create": classWrite, "apply": classWrite, "apply edit-last-applied": classWrite,
	"apply set-last-applied": classWrite, "delete": classWrite, "patch": classWrite,
	"replace": classWrite, "scale": classWrite, "autoscale": classWrite, "label": classWrite,
	"annotate": classWrite, "expose": classWrite, "run": classWrite, "edit": classWrite,
	"rollout restart": classWrite, "rollout undo": classWrite, "rollout pause": classWrite,
	"rollout resume": classWrite, "set env": classWrite, "set image": classWrite,
	"set resources": classWrite, "set selector": classWrite, "set serviceaccount": classWrite,
	"set subject": classWrite, "auth reconcile": classWrite,

	"exec": classPod, "attach": classPod, "port-forward": classPod, "debug": classPod,

	"cordon": classNode, "uncordon": classNode, "drain": classNode, "taint": classNode,
	"certificate approve": classNode, "certificate deny": classNode,
}

// resourceArgCommands take TYPE NAME… or TYPE/NAME… positional arguments.
var resourceArgCommands = map[string]bool{
	"get": true, "describe": true, "delete": true, "patch": true, "label": true, "annotate": true,
	"scale": true, "edit": true, "wait": true, "autoscale": true, "expose": true,
	"rollout status": true, "rollout history": true, "rollout restart": true, "rollout undo": true,
	"rollout pause": true, "rollout resume": true, "set env": true, "set image": true,
	"set resources": true, "set selector": true, "set serviceaccount": true, "set subject": true,
	"apply view-last-applied": true, "apply edit-last-applied": true,
}

// podTargetCommands take a pod name, or TYPE/NAME, as their first argument.
var podTargetCommands = map[string]bool{"exec": true, "attach": true, "port-forward": true, "debug": true, "logs": true}

// impliedResources are the objects a command touches without naming them.
var impliedResources = map[string]string{
	"run": "pods", "expose": "services", "autoscale": "horizontalpodautoscalers",
	"create token": "serviceaccounts", "top node": "nodes", "top pod": "pods", "events": "events",
	"logs": "pods", "exec": "pods", "attach": "pods", "port-forward": "pods", "debug": "pods",
	"cordon": "nodes", "uncordon": "nodes", "drain": "nodes", "taint": "nodes",
	"certificate approve": "certificatesigningrequests", "certificate deny": "certificatesigningrequests",
}

// clusterReads are the cluster-wide resources a lesson may read (the ClusterRole kubetutor
// binds to the lesson's ServiceAccount grants the same).
var clusterReads = map[schema.GroupResource]bool{
	{Resource: "nodes"}: true, {Resource: "persistentvolumes"}: true, {Resource: "namespaces"}: true,
	{Group: "storage.k8s.io", Resource: "storageclasses"}: true,
}

// guardLine decides a parsed line on a real cluster in a lesson namespace.
func (s *Session) guardLine(l *KubectlLine, asLearner bool) error {
	ns := s.lessonNamespace()
	refuse := func(format string, a ...any) error {
		return &GuardError{Reason: fmt.Sprintf(format, a...) +
			fmt.Sprintf(" (on a real cluster this lesson works only in namespace %q; run other commands in your own terminal)", ns)}
	}
	path := l.Path
	class, ok := commandClasses[path]
	if !ok && strings.HasPrefix(path, "create ") {
		class, ok = classWrite, true
	}
	if !ok {
		return refuse("kubetutor cannot tell what kubectl %s would change", strings.TrimSpace(path+" "))
	}
	if class == classNone {
		return nil
	}
	if raw, ok := l.Set["raw"]; ok {
		if path != "get" {
			return refuse("kubectl %s --raw sends a request kubetutor cannot check", path)
		}
		return checkRawPath(raw, ns, refuse)
	}
	if v, ok := l.Set["all-namespaces"]; ok && v == "true" {
		return refuse("--all-namespaces would reach every namespace")
	}
	if _, ok := l.Set["prune"]; ok {
		return refuse("apply --prune may delete objects the lesson did not create")
	}
	target := ns
	if v, ok := l.Set["namespace"]; ok {
		target = v
	}
	if protectedNamespaces[target] {
		return &GuardError{Reason: fmt.Sprintf("namespace %q belongs to the cluster itself; kubetutor never uses it", target)}
	}
	if target != ns {
		return refuse("this command would reach namespace %q", target)
	}
	if class == classNode && asLearner {
		return nil // the learner chose to run this one with their own credentials
	}
	if class == classNode {
		return &GuardError{OwnCredentials: true, Reason: fmt.Sprintf(
			"kubectl %s changes cluster-wide objects (nodes, certificates) that the whole cluster shares; the lesson's ServiceAccount may not", path)}
	}
	mapper, cats, err := s.guardMapper()
	if err != nil {
		return refuse("cannot ask the cluster which resources are namespaced: %v", err)
	}
	// check decides one resource the command touches.
	check := func(gr schema.GroupResource, what string) error {
		if !gr.Empty() && gr.Resource != "" {
			if namespaced, err := s.isNamespaced(mapper, gr); err != nil {
				return refuse("%v", err)
			} else if !namespaced {
				// describe of a namespace or node also reads what is in other namespaces
				// (quotas, the node's pods): only plain reads of these are the lesson's.
				if class == classRead && clusterReads[gr] && path != "describe" {
					return nil
				}
				return refuse("%s are cluster-wide, outside any namespace", what)
			}
		}
		return nil
	}
	var types []string
	switch {
	case resourceArgCommands[path]:
		// Every positional argument, those after "--" too: kubectl's builder reads them all.
		types = resourceArgTypes(l.Args)
	case podTargetCommands[path] && l.Dash == 0:
		return refuse("name the pod before --")
	case podTargetCommands[path] && len(l.Args) > 0:
		// After "--" comes the program to run in the container, not a target.
		if typ, _, ok := strings.Cut(l.Args[0], "/"); ok {
			types = append(types, typ)
		}
	case strings.HasPrefix(path, "create ") && impliedResources[path] == "":
		// create deployment NAME, create secret generic NAME: the second word is the resource.
		types = append(types, strings.Fields(path)[1])
	}
	if r := impliedResources[path]; r != "" {
		types = append(types, r)
	}
	for _, typ := range types {
		grs, err := expandType(mapper, cats, typ)
		if err != nil {
			return refuse("%v", err)
		}
		for _, gr := range grs {
			if err := check(gr, fmt.Sprintf("%q objects", typ)); err != nil {
				return err
			}
		}
	}
	for _, f := range l.Values("filename") {
		objs, err := s.manifestObjects(f)
		if err != nil {
			return refuse("cannot check %s: %v", f, err)
		}
		for _, o := range objs {
			gvk := o.GroupVersionKind()
			m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				return refuse("%s: the server doesn't have a resource type for kind %q", f, o.GetKind())
			}
			if m.Scope.Name() != meta.RESTScopeNameNamespace {
				if class == classRead && clusterReads[m.Resource.GroupResource()] {
					continue
				}
				return refuse("%s has a %s, which is cluster-wide", f, o.GetKind())
			}
			if o.GetNamespace() != "" && o.GetNamespace() != ns {
				return refuse("%s puts a %s in namespace %q", f, o.GetKind(), o.GetNamespace())
			}
		}
	}
	if _, ok := l.Set["kustomize"]; ok {
		return refuse("-k builds objects kubetutor cannot check beforehand")
	}
	return nil
}

// rawNamespacePath matches API paths inside one namespace: /api/v1/namespaces/NS/… and
// /apis/GROUP/VERSION/namespaces/NS/….
var rawNamespacePath = regexp.MustCompile(`^/(?:api/v1|apis/[a-z0-9.-]+/[a-z0-9]+)/namespaces/([a-z0-9-]+)(?:/|$)`)

func checkRawPath(raw, ns string, refuse func(string, ...any) error) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
		return refuse("--raw takes a path on the lesson's cluster, such as /api/v1/namespaces/%s/pods", ns)
	}
	if strings.Contains(raw, "%") || strings.Contains(u.Path, "\\") || path.Clean(u.Path) != u.Path {
		return refuse("--raw %s is not a plain API path", raw)
	}
	m := rawNamespacePath.FindStringSubmatch(u.Path)
	if m == nil || m[1] != ns {
		return refuse("--raw %s reads outside namespace %q", raw, ns)
	}
	return nil
}

// resourceArgTypes returns the resource types kubectl's builder reads from positional
// arguments: "TYPE[,TYPE…] NAME…" or "TYPE/NAME…".
func resourceArgTypes(args []string) []string {
	if len(args) == 0 {
		return nil
	}
	slash := false
	for _, a := range args {
		if strings.Contains(a, "/") {
			slash = true
		}
	}
	var out []string
	if slash {
		for _, a := range args {
			typ, _, _ := strings.Cut(a, "/")
			out = append(out, typ)
		}
		return out
	}
	return strings.Split(args[0], ",")
}

// guardMapper is the session's discovery-backed RESTMapper and category expander ("all").
func (s *Session) guardMapper() (meta.RESTMapper, restmapper.CategoryExpander, error) {
	m, disco, err := s.restMapper()
	if err != nil {
		return nil, nil, err
	}
	return m, restmapper.NewDiscoveryCategoryExpander(disco), nil
}

// expandType resolves one typed resource name as kubectl does: a category ("all") to its
// members, otherwise a resource, short name, or kind. Unknown names are an error in
// kubectl's words.
func expandType(mapper meta.RESTMapper, cats restmapper.CategoryExpander, typ string) ([]schema.GroupResource, error) {
	if typ == "" {
		return nil, errors.New("a resource type is empty")
	}
	if grs, ok := cats.Expand(typ); ok && len(grs) > 0 {
		return grs, nil
	}
	m, err := mappingFor(mapper, typ)
	if err != nil {
		return nil, err
	}
	return []schema.GroupResource{m.Resource.GroupResource()}, nil
}

// mappingFor follows kubectl's resource builder: a resource (full, group-qualified or
// short) first, then a kind.
func mappingFor(mapper meta.RESTMapper, arg string) (*meta.RESTMapping, error) {
	fullGVR, gr := schema.ParseResourceArg(strings.ToLower(arg))
	gvk := schema.GroupVersionKind{}
	if fullGVR != nil {
		gvk, _ = mapper.KindFor(*fullGVR)
	}
	if gvk.Empty() {
		gvk, _ = mapper.KindFor(gr.WithVersion(""))
	}
	if !gvk.Empty() {
		return mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	fullGVK, gk := schema.ParseKindArg(arg)
	if fullGVK == nil {
		v := gk.WithVersion("")
		fullGVK = &v
	}
	if !fullGVK.Empty() {
		if m, err := mapper.RESTMapping(fullGVK.GroupKind(), fullGVK.Version); err == nil {
			return m, nil
		}
	}
	m, err := mapper.RESTMapping(gk)
	if err != nil {
		if meta.IsNoMatchError(err) {
			return nil, fmt.Errorf("the server doesn't have a resource type %q", gr.Resource)
		}
		return nil, err
	}
	return m, nil
}

func (s *Session) isNamespaced(mapper meta.RESTMapper, gr schema.GroupResource) (bool, error) {
	gvk, err := mapper.KindFor(gr.WithVersion(""))
	if err != nil {
		return false, fmt.Errorf("the server doesn't have a resource type %q", gr.String())
	}
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return false, fmt.Errorf("the server doesn't have a resource type %q", gr.String())
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, nil
}

// manifestObjects decodes every object of a -f source the way kubectl does (YAML or JSON
// documents into unstructured objects, exact keys, Lists flattened). Only sources
// kubetutor serves itself can be read: embedded manifests, by any name RunKubectl accepts.
func (s *Session) manifestObjects(f string) ([]*unstructured.Unstructured, error) {
	var data []byte
	switch name, ok := embeddedManifestName(f); {
	case ok:
		b, err := manifests.Read(name)
		if err != nil {
			return nil, err
		}
		data = b
	case f == "-":
		return nil, errors.New("manifests from standard input cannot be checked beforehand")
	case s.dir != "" && strings.HasPrefix(f, s.dir+string(os.PathSeparator)):
		b, err := os.ReadFile(f) // the session's own copy of an embedded manifest
		if err != nil {
			return nil, err
		}
		data = b
	default:
		return nil, fmt.Errorf("%s is not one of kubetutor's manifests", f)
	}
	return decodeObjects(data)
}

// decodeObjects splits a YAML or JSON stream and decodes each document with
// unstructured.UnstructuredJSONScheme, kubectl's decoder, flattening Lists.
func decodeObjects(data []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var ext runtime.RawExtension
		if err := dec.Decode(&ext); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		raw := bytes.TrimSpace(ext.Raw)
		if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
			continue
		}
		obj, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, nil)
		if err != nil {
			return nil, err
		}
		switch o := obj.(type) {
		case *unstructured.Unstructured:
			out = append(out, o)
		case *unstructured.UnstructuredList:
			for i := range o.Items {
				out = append(out, &o.Items[i])
			}
		default:
			return nil, fmt.Errorf("unexpected object %T", obj)
		}
	}
}
