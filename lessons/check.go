package lessons

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kubetutor/kubetutor/engine"
)

// Evaluate runs a step's checks against the session's live state. It reads the cluster
// afresh each time, so a check passes however the learner got there (the app's command bar,
// or their own kubectl in another terminal). Relative checks (changed, event, observed,
// output) fail here for want of a baseline: use EvaluateSince.
func Evaluate(ctx context.Context, s *engine.Session, st Step) []CheckResult {
	return EvaluateSince(ctx, s, st, nil)
}

// EvaluateSince is Evaluate with the step's baseline, taken by Baseline when the step was
// entered. An observer taken for another step counts as none.
func EvaluateSince(ctx context.Context, s *engine.Session, st Step, o *StepObserver) []CheckResult {
	if s == nil {
		return failAll(st.Checks, "no cluster session")
	}
	dyn := s.Dynamic()
	if dyn == nil {
		return failAll(st.Checks, "the session has no dynamic client")
	}
	if o != nil && o.step.ID != st.ID {
		o = nil
	}
	return evaluate(ctx, dyn, restExec(s.RESTConfig(), s.Kube()), s.Namespace(), st.Checks, messagesFor(st.Lang), o)
}

// Passed reports whether every result is OK (and there is at least one).
func Passed(results []CheckResult) bool {
	if len(results) == 0 {
		return false
	}
	for _, r := range results {
		if !r.OK {
			return false
		}
	}
	return true
}

// EvaluateChecks runs checks through a dynamic client in a namespace, with details in English.
// Exec checks fail here: they need a session (Evaluate).
func EvaluateChecks(ctx context.Context, dyn dynamic.Interface, ns string, checks []Check) []CheckResult {
	return evaluate(ctx, dyn, nil, ns, checks, english, nil)
}

// EvaluateObserved is EvaluateChecks for a step with its observer (tests and the conformance
// kit, which have a dynamic client but no session). Exec checks fail here.
func EvaluateObserved(ctx context.Context, dyn dynamic.Interface, ns string, o *StepObserver) []CheckResult {
	return evaluate(ctx, dyn, nil, ns, o.step.Checks, messagesFor(o.step.Lang), o)
}

func evaluate(ctx context.Context, dyn dynamic.Interface, run execFunc, ns string, checks []Check, m messages, o *StepObserver) []CheckResult {
	f := &fetcher{ctx: ctx, dyn: dyn, ns: ns, got: map[string]fetched{}}
	out := make([]CheckResult, 0, len(checks))
	for i, c := range checks {
		r := CheckResult{Desc: c.Desc}
		var err error
		if o != nil {
			c, err = o.expandCheck(c)
		}
		switch {
		case err != nil:
		case c.Relative():
			r.OK, r.Detail, err = evalRelative(f, o, i, c, m)
		case c.JSONPath != nil:
			r.OK, r.Detail, err = evalJSONPath(f, c.JSONPath, m)
		case c.Count != nil:
			r.OK, r.Detail, err = evalCount(ctx, dyn, ns, c.Count, m)
		case c.Exec != nil:
			r.OK, r.Detail, err = evalExec(ctx, run, ns, c.Exec, m)
		default:
			err = fmt.Errorf("check has no kind (jsonpath, count, exec, changed, event, observed, output)")
		}
		if err != nil {
			r.OK, r.Detail = false, err.Error()
		}
		if r.OK {
			r.Detail = ""
		}
		out = append(out, r)
	}
	return out
}

func failAll(checks []Check, why string) []CheckResult {
	out := make([]CheckResult, len(checks))
	for i, c := range checks {
		out[i] = CheckResult{Desc: c.Desc, Detail: why}
	}
	return out
}

func resourceClient(dyn dynamic.Interface, ns, resource string) (dynamic.ResourceInterface, ResourceInfo, error) {
	info, ok := ResolveResource(resource)
	if !ok {
		return nil, info, fmt.Errorf("unknown resource %q", resource)
	}
	if info.Namespaced {
		return dyn.Resource(info.GVR).Namespace(ns), info, nil
	}
	return dyn.Resource(info.GVR), info, nil
}

// fetcher reads each object at most once per evaluation round: a step's checks often look at
// the same StatefulSet several times, and they run on every tick.
type fetcher struct {
	ctx context.Context
	dyn dynamic.Interface
	ns  string
	got map[string]fetched
}

type fetched struct {
	obj *unstructured.Unstructured // nil when the object does not exist
	err error
}

func (f *fetcher) get(resource, name string) (*unstructured.Unstructured, ResourceInfo, error) {
	rc, info, err := resourceClient(f.dyn, f.ns, resource)
	if err != nil {
		return nil, info, err
	}
	key := info.Name + "/" + name
	r, ok := f.got[key]
	if !ok {
		obj, err := rc.Get(f.ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			r = fetched{}
		case err != nil:
			r = fetched{err: fmt.Errorf("get %s/%s: %v", info.Name, name, err)}
		default:
			r = fetched{obj: obj}
		}
		f.got[key] = r
	}
	return r.obj, info, r.err
}

// value evaluates a JSONPath on one object. found is false when the object does not exist; a
// missing field evaluates to "" so a check can say what it saw.
func (f *fetcher) value(resource, name, path string) (val string, found bool, err error) {
	obj, info, err := f.get(resource, name)
	if err != nil || obj == nil {
		return "", false, err
	}
	if path == "" {
		return "", true, nil
	}
	jp := jsonpath.New("check").AllowMissingKeys(true)
	if err := jp.Parse(path); err != nil {
		return "", true, fmt.Errorf("bad JSONPath %q: %v", path, err)
	}
	var buf bytes.Buffer
	if err := jp.Execute(&buf, obj.Object); err != nil {
		return "", true, fmt.Errorf("JSONPath %q on %s/%s: %v", path, info.Name, name, err)
	}
	return buf.String(), true, nil
}

func evalJSONPath(f *fetcher, j *JSONPathCheck, m messages) (bool, string, error) {
	info, _ := ResolveResource(j.Resource)
	what := info.Name + "/" + j.Name
	val, found, err := f.value(j.Resource, j.Name, j.Path)
	if err != nil {
		return false, "", err
	}
	if j.Exists != nil {
		switch {
		case *j.Exists && !found:
			return false, m.mustExist(what), nil
		case !*j.Exists && found:
			return false, m.mustBeGone(what), nil
		}
		return true, "", nil
	}
	if !found {
		return false, m.missing(what), nil
	}
	switch {
	case j.Equals != nil:
		if val != *j.Equals {
			return false, m.equals(j.Path, what, fmt.Sprintf("%q", *j.Equals), m.show(val)), nil
		}
	case j.NotEquals != nil:
		if val == *j.NotEquals {
			return false, m.differs(j.Path, what, fmt.Sprintf("%q", *j.NotEquals)), nil
		}
	case j.EqualsPath != nil || j.NotEqualsPath != nil:
		ref, want := j.EqualsPath, true
		if ref == nil {
			ref, want = j.NotEqualsPath, false
		}
		rinfo, _ := ResolveResource(ref.Resource)
		other := rinfo.Name + "/" + ref.Name
		oval, ofound, err := f.value(ref.Resource, ref.Name, ref.Path)
		if err != nil {
			return false, "", err
		}
		if !ofound {
			return false, m.missing(other), nil
		}
		if want && val != oval {
			return false, m.equalsPath(j.Path, what, m.show(val), ref.Path, other, m.show(oval)), nil
		}
		if !want && val == oval {
			return false, m.differsPath(j.Path, what, ref.Path, other, m.show(val)), nil
		}
	default:
		return false, "", fmt.Errorf("jsonpath check on %s has no comparison", what)
	}
	return true, "", nil
}

func evalCount(ctx context.Context, dyn dynamic.Interface, ns string, k *CountCheck, m messages) (bool, string, error) {
	rc, info, err := resourceClient(dyn, ns, k.Resource)
	if err != nil {
		return false, "", err
	}
	if k.Equals == nil {
		return false, "", fmt.Errorf("count check on %s has no equals", info.Name)
	}
	list, err := rc.List(ctx, metav1.ListOptions{LabelSelector: k.Selector})
	if err != nil {
		return false, "", fmt.Errorf("list %s: %v", info.Name, err)
	}
	var names []string
	for i := range list.Items {
		it := &list.Items[i]
		if k.Phase != "" {
			if p, _, _ := unstructured.NestedString(it.Object, "status", "phase"); p != k.Phase {
				continue
			}
		}
		if k.Ready && !objReady(it) {
			continue
		}
		if k.NotReady && objReady(it) {
			continue
		}
		names = append(names, it.GetName())
	}
	if len(names) == *k.Equals {
		return true, "", nil
	}
	listed := ""
	if len(names) > 0 && len(names) <= 10 {
		listed = " (" + strings.Join(names, ", ") + ")"
	}
	return false, m.count(*k.Equals, m.countNoun(info.Name, k.Ready, k.NotReady, k.Phase), k.Selector, len(names), listed), nil
}

// objReady is podReady for pods; a node is ready when its Ready condition is True.
func objReady(obj *unstructured.Unstructured) bool {
	if obj.GetKind() == "Node" {
		return readyCondition(obj)
	}
	return podReady(obj)
}

// podReady is the StatefulSet controller's notion of a healthy replica: Running, Ready
// condition True, and not on its way out.
func podReady(obj *unstructured.Unstructured) bool {
	if obj.GetDeletionTimestamp() != nil {
		return false
	}
	if p, _, _ := unstructured.NestedString(obj.Object, "status", "phase"); p != "Running" {
		return false
	}
	return readyCondition(obj)
}

func readyCondition(obj *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Ready" {
			return m["status"] == "True"
		}
	}
	return false
}
