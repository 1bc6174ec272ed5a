package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	kjson "sigs.k8s.io/json"
)

// ObjectEvent is one version of a watched object, for showing a stream row's object as it
// was at that moment.
type ObjectEvent struct {
	Type string // ADDED, MODIFIED, DELETED, or ERROR (Err set)
	// Object is the object. A watch event leaves it nil and keeps the object's JSON in Raw,
	// decoded only when someone looks at that version (Decode): under a burst of events the
	// decoding into maps was a fifth of the player's CPU, for versions nobody opens.
	Object *unstructured.Unstructured
	Raw    json.RawMessage
	// Name and ResourceVersion are the object's, set with Raw (see Key).
	Name, ResourceVersion string
	// Kind and APIVersion are set for a list's item, whose JSON carries neither: Decode
	// gives them to the object, as a decoded list gives them to its items.
	Kind, APIVersion string
	Err              error
}

// Key is the event's object name and resourceVersion.
func (e ObjectEvent) Key() (name, resourceVersion string) {
	if e.Object != nil && e.Name == "" {
		return e.Object.GetName(), e.Object.GetResourceVersion()
	}
	return e.Name, e.ResourceVersion
}

// Decode returns the event's object, decoding Raw when Object is not set; nil for an ERROR.
func (e ObjectEvent) Decode() (*unstructured.Unstructured, error) {
	if e.Object != nil || e.Raw == nil {
		return e.Object, nil
	}
	o := &unstructured.Unstructured{}
	if e.Kind == "" {
		if err := o.UnmarshalJSON(e.Raw); err != nil {
			return nil, fmt.Errorf("undecodable object: %w", err)
		}
		return o, nil
	}
	// A list's item: decoded as UnstructuredList decodes its items.
	if err := utiljson.Unmarshal(e.Raw, &o.Object); err != nil {
		return nil, fmt.Errorf("undecodable object: %w", err)
	}
	if o.Object == nil {
		return nil, fmt.Errorf("undecodable object: %s", e.Raw)
	}
	if o.GetKind() == "" && o.GetAPIVersion() == "" {
		o.SetKind(e.Kind)
		o.SetAPIVersion(e.APIVersion)
	}
	return o, nil
}

// List reads the objects of a resource (as kubectl get takes it: "po", "sts",
// "statefulsets.apps") in the session's namespace, or cluster-wide for a cluster-scoped one.
func (s *Session) List(ctx context.Context, resource, selector string) ([]unstructured.Unstructured, error) {
	gvr, namespaced, err := s.resolveObjects(resource)
	if err != nil {
		return nil, err
	}
	ri := s.dyn.Resource(gvr)
	var res *unstructured.UnstructuredList
	if namespaced {
		res, err = ri.Namespace(s.ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
	} else {
		res, err = ri.List(ctx, metav1.ListOptions{LabelSelector: selector})
	}
	if err != nil {
		return nil, err
	}
	return res.Items, nil
}

// WatchObjects lists then watches full objects of a resource in the session's namespace,
// with the same resume, 410 and backoff policy as WatchTable: list items come as ADDED,
// a relist after a gap sends them again, failures come as ERROR while it retries. The channel
// closes when ctx ends.
func (s *Session) WatchObjects(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error) {
	if _, err := labels.Parse(selector); err != nil {
		return nil, fmt.Errorf("engine: label selector %q: %w", selector, err)
	}
	gvr, namespaced, err := s.resolveObjects(resource)
	if err != nil {
		return nil, err
	}
	rc, err := s.restClientFor(gvr, "")
	if err != nil {
		return nil, err
	}
	w := &objectWatch{rc: rc, resource: gvr.Resource, selector: selector, out: make(chan ObjectEvent, 64)}
	if namespaced {
		w.ns = s.ns
	}
	go func() {
		defer close(w.out)
		runResumable(ctx, s.clk, w)
	}()
	return w.out, nil
}

// resolveObjects is resolveResource, except that "events" are the core v1 Events kubectl get
// shows (discovery would prefer events.k8s.io).
func (s *Session) resolveObjects(resource string) (schema.GroupVersionResource, bool, error) {
	if resource == "events" || resource == "event" || resource == "ev" {
		return schema.GroupVersionResource{Version: "v1", Resource: "events"}, true, nil
	}
	return s.resolveResource(resource)
}

// restClientFor is a client for one group version; accept "" takes JSON objects.
func (s *Session) restClientFor(gvr schema.GroupVersionResource, accept string) (*rest.RESTClient, error) {
	c := rest.CopyConfig(s.cfg)
	c.GroupVersion = &schema.GroupVersion{Group: gvr.Group, Version: gvr.Version}
	c.APIPath = "/apis"
	if gvr.Group == "" {
		c.APIPath = "/api"
	}
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	c.AcceptContentTypes = accept
	if accept == "" {
		c.AcceptContentTypes = "application/json"
	}
	// A watch is a long-lived stream: a client timeout would cut it every few seconds.
	c.Timeout = 0
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("engine: client for %s: %w", gvr.Resource, err)
	}
	return rc, nil
}

type objectWatch struct {
	rc       *rest.RESTClient
	ns       string
	resource string
	selector string
	out      chan ObjectEvent
}

func (w *objectWatch) name() string { return w.resource }

func (w *objectWatch) send(ctx context.Context, ev ObjectEvent) bool {
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *objectWatch) fail(ctx context.Context, err error) bool {
	return w.send(ctx, ObjectEvent{Type: "ERROR", Err: err})
}

func (w *objectWatch) request() *rest.Request {
	return listRequest(w.rc, w.resource, w.ns, w.selector, "application/json")
}

// list keeps each item's JSON, as event does, and reads only its name and resourceVersion:
// decoded into maps, a list of 1,000 pods held 9 MB of small objects for the collector to
// scan through every burst that follows, for versions nobody opens.
func (w *objectWatch) list(ctx context.Context) (string, func(bool) bool, error) {
	var items []ObjectEvent
	rv, err := listPages(ctx, w.resource, w.request, func(raw []byte) (string, string, error) {
		var l struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				ResourceVersion string `json:"resourceVersion"`
				Continue        string `json:"continue"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &l); err != nil {
			return "", "", err
		}
		if l.Kind == "" {
			return "", "", fmt.Errorf("Object 'Kind' is missing in the list")
		}
		kind := strings.TrimSuffix(l.Kind, "List")
		for _, item := range l.Items {
			name, rv, _, err := objectKey(item)
			if err != nil {
				return "", "", err
			}
			items = append(items, ObjectEvent{Type: "ADDED", Raw: item, Name: name, ResourceVersion: rv,
				Kind: kind, APIVersion: l.APIVersion})
		}
		return l.Metadata.ResourceVersion, l.Metadata.Continue, nil
	})
	if err != nil {
		return "", nil, err
	}
	return rv, func(bool) bool {
		for _, ev := range items {
			if !w.send(ctx, ev) {
				return false
			}
		}
		return true
	}, nil
}

// objectKey reads an object's name, resourceVersion and kind from its JSON, building no maps.
func objectKey(raw json.RawMessage) (name, resourceVersion, kind string, err error) {
	var m struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name            string `json:"name"`
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &m); err != nil {
		return "", "", "", fmt.Errorf("undecodable object: %w", err)
	}
	return m.Metadata.Name, m.Metadata.ResourceVersion, m.Kind, nil
}

func (w *objectWatch) newObject() frameObject { return &rawObject{} }

func (w *objectWatch) event(ctx context.Context, typ string, obj frameObject) (string, bool, error) {
	raw := json.RawMessage(*obj.(*rawObject))
	// Only the name and resourceVersion now (no maps built); the rest when it is looked at.
	name, rv, kind, err := objectKey(raw)
	if err != nil {
		return "", true, err
	}
	if kind == "" {
		return "", true, fmt.Errorf("undecodable object: Object 'Kind' is missing in '%s'", raw)
	}
	if !w.send(ctx, ObjectEvent{Type: typ, Raw: raw, Name: name, ResourceVersion: rv}) {
		return "", false, nil
	}
	return rv, true, nil
}
