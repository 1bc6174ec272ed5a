package engine

import (
	"context"
	"sort"
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
