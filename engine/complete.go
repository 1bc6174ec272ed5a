package engine

import (
	"bytes"
	"context"
	"io"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
)

// ResourceNames lists what kubectl accepts as a resource type on this cluster, from
// discovery: each resource's plural, singular and short names, sorted, without subresources.
// The command bar completes them.
func (s *Session) ResourceNames(ctx context.Context) ([]string, error) {
	_, disco, err := s.restMapper()
	if err != nil {
		return nil, err
	}
	lists, err := disco.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return nil, err
	}
	seen := map[string]bool{}
	for _, l := range lists {
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") || !hasVerb(r, "get") {
				continue
			}
			for _, n := range append([]string{r.Name, r.SingularName}, r.ShortNames...) {
				if n != "" {
					seen[n] = true
				}
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, ctx.Err()
}

func hasVerb(r metav1.APIResource, verb string) bool {
	for _, v := range r.Verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// ObjectNames lists the names of the objects of a resource type (as typed: "pods", "po",
// "sts") in namespace ns ("" for the session's), sorted, from live state. The command bar
// completes them.
func (s *Session) ObjectNames(ctx context.Context, resource, ns string) ([]string, error) {
	gvr, namespaced, err := s.resolveResource(resource)
	if err != nil {
		return nil, err
	}
	if ns == "" {
		ns = s.ns
	}
	ri := s.dyn.Resource(gvr)
	var list interface {
		UnstructuredContent() map[string]any
	}
	if namespaced {
		list, err = ri.Namespace(ns).List(ctx, metav1.ListOptions{})
	} else {
		list, err = ri.List(ctx, metav1.ListOptions{})
	}
	if err != nil {
		return nil, err
	}
	var names []string
	items, _ := list.UnstructuredContent()["items"].([]any)
	for _, it := range items {
		m, _ := it.(map[string]any)
		md, _ := m["metadata"].(map[string]any)
		if n, ok := md["name"].(string); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// Cobra's completion directives (cobra.ShellCompDirective), as `__complete` prints them.
const (
	compError         = 1
	compNoFileComp    = 4
	compFilterFileExt = 8
	compFilterDirs    = 16
)

// Complete completes the last word of a kubectl command line ("kubectl get po", "delete pod
// w", "get pods --wat"; the last word is empty when the line ends in a space) with
// kubectl's own completion, `kubectl __complete`, run in-process against this session: kinds
// from discovery, object names from live state, flags and their values. It returns the words
// that can replace the last one, sorted; nil when kubectl has nothing or leaves the word to
// the shell's file completion (after -f, say).
func (s *Session) Complete(ctx context.Context, line string) ([]string, error) {
	args, err := SplitCommandLine(line)
	if err != nil {
		return nil, nil // an unfinished quote: nothing to offer yet
	}
	if len(args) > 0 && args[0] == "kubectl" {
		args = args[1:]
	} else if len(args) == 0 && strings.TrimSpace(line) != "" {
		return nil, nil
	}
	word := ""
	if len(args) > 0 && !strings.HasSuffix(line, " ") {
		word, args = args[len(args)-1], args[:len(args)-1]
	}
	if err := refuseGlobalFlags(args); err != nil {
		return nil, nil
	}
	// kubectl completes these from the kubeconfig of a process-wide factory (the stub's
	// names only, NewKubectlTree), not this session's: nothing to offer.
	if len(args) > 0 && kubeconfigFlags[args[len(args)-1]] || kubeconfigFlags[strings.SplitN(word, "=", 2)[0]] && strings.Contains(word, "=") {
		return nil, nil
	}
	var out bytes.Buffer
	full := append(append([]string{"__complete"}, args...), word)
	full, _ = s.resolveManifestArgs(full, "")
	if err := s.startRun(ctx, full, nil, strings.NewReader(""), &out, io.Discard, false); err != nil {
		return nil, err
	}
	return parseCompletion(out.String(), word), nil
}

var kubeconfigFlags = map[string]bool{"--context": true, "--cluster": true, "--user": true, "--kubeconfig": true}

// parseCompletion reads `__complete` output: one candidate per line ("value\tdescription"),
// then ":directive".
func parseCompletion(out, word string) []string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		return nil
	}
	last := lines[len(lines)-1]
	directive := 0
	if strings.HasPrefix(last, ":") {
		directive, _ = strconv.Atoi(strings.TrimPrefix(last, ":"))
		lines = lines[:len(lines)-1]
	}
	if directive&(compError|compFilterFileExt|compFilterDirs) != 0 {
		return nil
	}
	seen := map[string]bool{}
	var cands []string
	for _, l := range lines {
		v, _, _ := strings.Cut(l, "\t")
		if v == "" || seen[v] || !strings.HasPrefix(v, word) {
			continue
		}
		seen[v] = true
		cands = append(cands, v)
	}
	if len(cands) == 0 && directive&compNoFileComp == 0 {
		return nil // kubectl leaves it to file completion
	}
	sort.Strings(cands)
	return cands
}
