package controller

import (
	"math"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var pdbRes = store.MustLookup("poddisruptionbudgets")

// disruptedPodTimeout is how long an evicted pod stays in disruptedPods waiting to be deleted.
const disruptedPodTimeout = 2 * time.Minute

// DisruptionController keeps PodDisruptionBudget status (expectedPods, currentHealthy,
// desiredHealthy, disruptionsAllowed), which the eviction API checks.
type DisruptionController struct{ env Env }

// NewDisruptionController makes the controller.
func NewDisruptionController(env Env) *DisruptionController { return &DisruptionController{env: env} }

func (d *DisruptionController) Name() string { return "disruption" }

// Observe works per namespace: any pod, budget or StatefulSet change there recomputes its budgets.
func (d *DisruptionController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case podsRes.Name, pdbRes.Name, stsRes.Name:
		d.env.Queue.Add(Key{Controller: d.Name(), Namespace: objMeta(ev.Object).GetNamespace()})
	}
}

func (d *DisruptionController) Sync(k Key) error {
	pdbs, _ := d.env.Store.List(pdbRes, k.Namespace, nil, nil)
	if len(pdbs) == 0 {
		return nil
	}
	podObjs := d.env.Store.Select(podsRes, store.Query{Namespace: k.Namespace}) // read-only
	for _, o := range pdbs {
		if err := d.syncOne(o.(*policyv1.PodDisruptionBudget), podObjs); err != nil && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}

func (d *DisruptionController) syncOne(pdb *policyv1.PodDisruptionBudget, podObjs []runtime.Object) error {
	now := d.env.Store.Now()
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil {
		sel = labels.Nothing()
	}
	var pods []*corev1.Pod
	for _, o := range podObjs {
		p := o.(*corev1.Pod)
		if !sel.Empty() && sel.Matches(labels.Set(p.Labels)) {
			pods = append(pods, p)
		}
	}
	st := pdb.Status.DeepCopy()
	// Evicted pods count as disrupted until they are being deleted or the entry expires.
	disrupted := map[string]metav1.Time{}
	var expiry time.Duration
	for name, at := range st.DisruptedPods {
		for _, p := range pods {
			if p.Name == name && p.DeletionTimestamp == nil {
				if left := at.Add(disruptedPodTimeout).Sub(now); left > 0 {
					disrupted[name] = at
					if expiry == 0 || left < expiry {
						expiry = left
					}
				}
			}
		}
	}
	if len(disrupted) == 0 {
		disrupted = nil
	}
	healthy := int32(0)
	for _, p := range pods {
		if _, ok := disrupted[p.Name]; ok || p.DeletionTimestamp != nil {
			continue
		}
		if podReady(p) {
			healthy++
		}
	}
	expected, desired := int32(len(pods)), int32(0)
	switch {
	case pdb.Spec.MaxUnavailable != nil:
		expected = d.scale(pdb.Namespace, pods)
		maxU := scaled(*pdb.Spec.MaxUnavailable, expected)
		desired = max(0, expected-maxU)
	case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int:
		desired = pdb.Spec.MinAvailable.IntVal
	case pdb.Spec.MinAvailable != nil:
		expected = d.scale(pdb.Namespace, pods)
		desired = scaled(*pdb.Spec.MinAvailable, expected)
	}
	st.ExpectedPods, st.CurrentHealthy, st.DesiredHealthy = expected, healthy, desired
	st.DisruptionsAllowed = max(0, healthy-desired)
	st.DisruptedPods = disrupted
	st.ObservedGeneration = pdb.Generation
	cond := metav1.Condition{Type: policyv1.DisruptionAllowedCondition, Status: metav1.ConditionTrue,
		Reason: policyv1.SufficientPodsReason, ObservedGeneration: pdb.Generation, LastTransitionTime: metav1.NewTime(now)}
	if st.DisruptionsAllowed == 0 {
		cond.Status, cond.Reason = metav1.ConditionFalse, policyv1.InsufficientPodsReason
	}
	found := false
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if c.Type == cond.Type {
			found = true
			if c.Status != cond.Status {
				*c = cond
			}
			c.Reason, c.ObservedGeneration = cond.Reason, cond.ObservedGeneration
		}
	}
	if !found {
		st.Conditions = append(st.Conditions, cond)
	}
	if expiry > 0 {
		d.env.Queue.AddAfter(expiry, Key{Controller: d.Name(), Namespace: pdb.Namespace})
	}
	if reflect.DeepEqual(*st, pdb.Status) {
		return nil
	}
	pdb.Status = *st
	_, err = d.env.Store.Update(pdbRes, pdb, store.UpdateOptions{Status: true})
	return err
}

// scale is the desired replica count of the controllers owning the pods (StatefulSets here),
// as the disruption controller's finders compute it; pods with no known owner count as one.
func (d *DisruptionController) scale(ns string, pods []*corev1.Pod) int32 {
	seen := map[string]bool{}
	var n int32
	for _, p := range pods {
		ref := controllerRef(p)
		if ref == nil || ref.Kind != "StatefulSet" {
			n++
			continue
		}
		if seen[ref.Name] {
			continue
		}
		seen[ref.Name] = true
		o, err := d.env.Store.Get(stsRes, ns, ref.Name)
		if err != nil {
			continue
		}
		if r := o.(*appsv1.StatefulSet).Spec.Replicas; r != nil {
			n += *r
		} else {
			n++
		}
	}
	return n
}

// scaled resolves an int-or-percent against total, rounding percentages up.
func scaled(v intstr.IntOrString, total int32) int32 {
	if v.Type == intstr.Int {
		return v.IntVal
	}
	var pct float64
	s := v.StrVal
	if len(s) > 0 && s[len(s)-1] == '%' {
		for _, c := range s[:len(s)-1] {
			if c < '0' || c > '9' {
				return 0
			}
			pct = pct*10 + float64(c-'0')
		}
	}
	return int32(math.Ceil(pct * float64(total) / 100))
}
