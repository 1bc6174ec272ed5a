package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubetutor/kubetutor/manifests"
)

// GuardError is a command refused on a real cluster, with the reason a learner reads.
type GuardError struct{ Reason string }

func (e *GuardError) Error() string { return e.Reason }

// protectedNamespaces are never a lesson's namespace and never written to.
var protectedNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// readSubcommands change nothing on the cluster (or only on the learner's screen).
var readSubcommands = map[string]bool{
	"get": true, "describe": true, "logs": true, "explain": true, "api-resources": true,
	"api-versions": true, "version": true, "cluster-info": true, "top": true, "events": true,
	"auth": true, "diff": true, "wait": true, "help": true, "completion": true, "options": true,
	"plugin": true, "kustomize": true,
}

// podSubcommands act inside pods; they are allowed in the lesson namespace only.
var podSubcommands = map[string]bool{"exec": true, "attach": true, "port-forward": true, "cp": true, "debug": true}

// nodeSubcommands change nodes, which a lesson never owns.
var nodeSubcommands = map[string]bool{"cordon": true, "uncordon": true, "drain": true, "taint": true, "certificate": true}

// clusterScoped are resource names (as typed) of cluster-wide objects; writing them would
// change things outside the lesson namespace.
var clusterScoped = map[string]bool{
	"namespace": true, "namespaces": true, "ns": true, "node": true, "nodes": true, "no": true,
	"persistentvolume": true, "persistentvolumes": true, "pv": true, "storageclass": true,
	"storageclasses": true, "sc": true, "clusterrole": true, "clusterroles": true,
	"clusterrolebinding": true, "clusterrolebindings": true, "customresourcedefinition": true,
	"customresourcedefinitions": true, "crd": true, "crds": true, "priorityclass": true,
	"priorityclasses": true, "pc": true, "mutatingwebhookconfigurations": true,
	"validatingwebhookconfigurations": true, "apiservices": true, "csidrivers": true,
	"csinodes": true, "volumeattachments": true, "runtimeclasses": true,
	"certificatesigningrequests": true, "csr": true, "ingressclasses": true,
}

// clusterScopedKinds are the same, as kinds in manifests.
var clusterScopedKinds = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "StorageClass": true,
	"ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"PriorityClass": true, "MutatingWebhookConfiguration": true, "ValidatingWebhookConfiguration": true,
	"APIService": true, "CSIDriver": true, "CSINode": true, "VolumeAttachment": true,
	"RuntimeClass": true, "CertificateSigningRequest": true, "IngressClass": true,
}

// CheckCommand says whether a kubectl command line may run in this session. On the
// simulator, or on a real cluster before a lesson namespace is set (LessonNamespace), every
// command may run. In a lesson on a real cluster, reads run anywhere, but anything that
// changes objects must stay inside the lesson namespace: other namespaces, cluster-wide
// objects, nodes, other clusters or identities, and manifests that name another namespace
// are refused with a *GuardError saying why. RunKubectl calls it before every run, so the
// command bar and the lesson runner share it.
func (s *Session) CheckCommand(line string) error {
	args, err := SplitCommandLine(line)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] != "kubectl" {
		return nil // RunKubectl explains these itself
	}
	return s.guardArgs(args[1:])
}

func (s *Session) guardArgs(args []string) error {
	ns := s.lessonNamespace()
	if ns == "" {
		return nil
	}
	refuse := func(format string, a ...any) error {
		return &GuardError{Reason: fmt.Sprintf(format, a...) +
			fmt.Sprintf(" (on a real cluster this lesson changes only namespace %q; run other commands in your own terminal)", ns)}
	}
	sub, rest := splitSubcommand(args)
	switch sub {
	case "config":
		// The in-process kubectl shares the learner's kubeconfig file: it must not edit it.
		if len(rest) > 0 && (rest[0] == "view" || rest[0] == "current-context" || rest[0] == "get-contexts" ||
			rest[0] == "get-clusters" || rest[0] == "get-users") {
			return nil
		}
		return refuse("kubectl config would change your kubeconfig file")
	case "rollout":
		if len(rest) > 0 && (rest[0] == "status" || rest[0] == "history") {
			return nil
		}
	}
	write := !readSubcommands[sub]
	if nodeSubcommands[sub] {
		return refuse("kubectl %s changes nodes, which are shared by the whole cluster", sub)
	}
	// Flags that point the command at another cluster, user or namespace.
	allNS := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !hasVal && globalValueFlags[name] && i+1 < len(args) {
			val = args[i+1]
		}
		switch {
		case name == "--context" || name == "--kubeconfig" || name == "--cluster" || name == "--server" ||
			name == "-s" || name == "--user" || name == "--token" || name == "--username" || name == "--password":
			return refuse("%s would reach another cluster or user than the lesson's", name)
		case name == "--as" || name == "--as-group" || name == "--as-uid":
			return refuse("%s would act as another identity", name)
		case name == "-n" || name == "--namespace":
			if write && protectedNamespaces[val] {
				return &GuardError{Reason: fmt.Sprintf("namespace %q belongs to the cluster itself; kubetutor never uses it", val)}
			}
			if write && val != ns {
				return refuse("this command would change namespace %q", val)
			}
		case strings.HasPrefix(a, "-n") && !strings.HasPrefix(a, "--") && len(a) > 2:
			v := strings.TrimPrefix(a[2:], "=")
			if write && protectedNamespaces[v] {
				return &GuardError{Reason: fmt.Sprintf("namespace %q belongs to the cluster itself; kubetutor never uses it", v)}
			}
			if write && v != ns {
				return refuse("this command would change namespace %q", v)
			}
		case a == "-A" || a == "--all-namespaces" || a == "--all-namespaces=true":
			allNS = true
		}
	}
	if !write {
		return nil
	}
	if allNS {
		return refuse("--all-namespaces would change every namespace")
	}
	if podSubcommands[sub] {
		return nil // in the lesson namespace: -n was checked above
	}
	for _, typ := range resourceTypes(rest) {
		if clusterScoped[typ] {
			return refuse("%q objects are cluster-wide, outside any namespace", typ)
		}
	}
	for _, f := range fileArgs(args) {
		if err := s.guardManifest(f, ns); err != nil {
			var ge *GuardError
			if errors.As(err, &ge) {
				return refuse("%s", ge.Reason)
			}
			return refuse("cannot check %s: %v", f, err)
		}
	}
	return nil
}

// splitSubcommand returns the subcommand and the words after it.
func splitSubcommand(args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return a, args[i+1:]
		}
		if globalValueFlags[a] {
			i++
		}
	}
	return "", nil
}

// resourceTypes returns the resource types named by the positional words of a command:
// "sts web", "sts/web", "pods,svc", "namespace foo".
func resourceTypes(rest []string) []string {
	var out []string
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		if w == "--" {
			break
		}
		if strings.HasPrefix(w, "-") {
			if !strings.Contains(w, "=") && valueFlagsAfterSubcommand[w] {
				i++
			}
			continue
		}
		for _, part := range strings.Split(w, ",") {
			typ, _, _ := strings.Cut(part, "/")
			typ, _, _ = strings.Cut(typ, ".") // "statefulsets.apps"
			out = append(out, strings.ToLower(typ))
		}
		if !strings.Contains(w, "/") {
			break // "get pods web-0": only the first positional word is a type
		}
	}
	return out
}

// valueFlagsAfterSubcommand take the next word as their value.
var valueFlagsAfterSubcommand = map[string]bool{
	"-f": true, "--filename": true, "-l": true, "--selector": true, "-p": true, "--patch": true,
	"--type": true, "-o": true, "--output": true, "--replicas": true, "-c": true, "--container": true,
	"--cascade": true, "--grace-period": true, "--timeout": true, "--field-selector": true,
	"-n": true, "--namespace": true, "--image": true, "--field-manager": true, "--subresource": true,
	"-k": true, "--kustomize": true, "--patch-file": true, "--current-replicas": true,
	"--resource-version": true, "--for": true,
}

// fileArgs returns every -f/--filename value (split at commas).
func fileArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		var v string
		switch {
		case a == "--":
			return out
		case (a == "-f" || a == "--filename") && i+1 < len(args):
			v = args[i+1]
			i++
		case strings.HasPrefix(a, "--filename="):
			v = strings.TrimPrefix(a, "--filename=")
		case strings.HasPrefix(a, "-f") && !strings.HasPrefix(a, "--") && len(a) > 2:
			v = strings.TrimPrefix(a[2:], "=")
		default:
			continue
		}
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}

// guardManifest reads a manifest (embedded, or a local file) and refuses it if an object in
// it is cluster-wide or names another namespace. Remote URLs that are not embedded manifests
// cannot be checked beforehand and are refused.
func (s *Session) guardManifest(f, ns string) error {
	var data []byte
	if name, ok := embeddedManifestName(f); ok {
		b, err := manifests.Read(name)
		if err != nil {
			return err
		}
		data = b
	} else if u, err := url.Parse(f); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return &GuardError{Reason: fmt.Sprintf("%s is a remote file kubetutor cannot check beforehand", f)}
	} else if f == "-" {
		return &GuardError{Reason: "manifests from standard input cannot be checked beforehand"}
	} else {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		if st.IsDir() {
			return &GuardError{Reason: fmt.Sprintf("%s is a directory; name the files one by one", f)}
		}
		if data, err = os.ReadFile(f); err != nil {
			return err
		}
	}
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
			Items []struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Namespace string `json:"namespace"`
				} `json:"metadata"`
			} `json:"items"`
		}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		kinds := []struct{ kind, ns string }{{obj.Kind, obj.Metadata.Namespace}}
		for _, it := range obj.Items {
			kinds = append(kinds, struct{ kind, ns string }{it.Kind, it.Metadata.Namespace})
		}
		for _, k := range kinds {
			if clusterScopedKinds[k.kind] {
				return &GuardError{Reason: fmt.Sprintf("%s has a %s, which is cluster-wide", f, k.kind)}
			}
			if k.ns != "" && k.ns != ns {
				return &GuardError{Reason: fmt.Sprintf("%s puts a %s in namespace %q", f, k.kind, k.ns)}
			}
		}
	}
}
