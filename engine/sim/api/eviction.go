package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// evictionResource is the pods/eviction entry of the core v1 discovery document; kubectl drain
// finds the Eviction API's group version here (drain.CheckEvictionSupport).
var evictionResource = metav1.APIResource{Name: "pods/eviction", Namespaced: true, Group: "policy", Version: "v1",
	Kind: "Eviction", Verbs: metav1.Verbs{"create"}}

var (
	podsResource = store.MustLookup("pods")
	pdbResource  = store.MustLookup("poddisruptionbudgets")
)

// serveEviction is POST pods/NAME/eviction: a graceful delete that respects the
// PodDisruptionBudget covering the pod, as the apiserver's eviction REST does.
func (s *server) serveEviction(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	if r.Method != http.MethodPost {
		writeError(w, apierrors.NewMethodNotSupported(podsResource.GVR().GroupResource(), "eviction"))
		return
	}
	data, err := readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	if data, err = toJSON(r, data); err != nil {
		writeError(w, err)
		return
	}
	var ev policyv1.Eviction
	if err := json.Unmarshal(data, &ev); err != nil {
		writeError(w, apierrors.NewBadRequest("the body of the request could not be decoded as an Eviction: "+err.Error()))
		return
	}
	if ev.Name != req.name {
		writeError(w, apierrors.NewBadRequest("name in URL does not match name in Eviction object"))
		return
	}
	if ev.Namespace != "" && ev.Namespace != req.namespace {
		writeError(w, apierrors.NewBadRequest("namespace in URL does not match namespace in Eviction object"))
		return
	}
	obj, err := s.st.Get(podsResource, req.namespace, req.name)
	if err != nil {
		writeError(w, err)
		return
	}
	pod := obj.(*corev1.Pod)
	var opts store.DeleteOptions
	if ev.DeleteOptions != nil {
		opts = toStoreDelete(*ev.DeleteOptions)
	}
	if err := s.checkDisruptionBudget(pod); err != nil {
		writeError(w, err)
		return
	}
	// Since 1.31 (PodDisruptionConditions GA) the pod is marked before it is deleted.
	if pod.DeletionTimestamp == nil {
		now := metav1.NewTime(s.st.Now())
		p := pod.DeepCopy()
		setDisruptionTarget(p, "EvictionByEvictionAPI", "Eviction API: evicting", now)
		if _, err := s.st.Update(podsResource, p, store.UpdateOptions{Status: true}); err != nil && !apierrors.IsConflict(err) {
			writeError(w, err)
			return
		}
	}
	uid := pod.UID
	opts.PreconditionUID = &uid
	if _, err := s.st.Delete(podsResource, req.namespace, req.name, opts); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status: metav1.StatusSuccess, Code: http.StatusCreated})
}

func setDisruptionTarget(p *corev1.Pod, reason, msg string, now metav1.Time) {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.DisruptionTarget {
			p.Status.Conditions[i] = corev1.PodCondition{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue,
				Reason: reason, Message: msg, LastTransitionTime: now}
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.DisruptionTarget,
		Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastTransitionTime: now})
}

// checkDisruptionBudget allows the eviction or returns the apiserver's 429. An allowed eviction
// takes one disruption from the budget and records the pod in disruptedPods.
func (s *server) checkDisruptionBudget(pod *corev1.Pod) error {
	// Pods that are not running, or already going, are deleted without asking the budget.
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded ||
		pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodPending {
		return nil
	}
	objs, _ := s.st.List(pdbResource, pod.Namespace, nil, nil)
	var match []*policyv1.PodDisruptionBudget
	for _, o := range objs {
		pdb := o.(*policyv1.PodDisruptionBudget)
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || sel.Empty() {
			continue
		}
		if sel.Matches(labels.Set(pod.Labels)) {
			match = append(match, pdb)
		}
	}
	switch {
	case len(match) == 0:
		return nil
	case len(match) > 1:
		return apierrors.NewInternalError(fmt.Errorf("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."))
	}
	pdb := match[0].DeepCopy()
	tooMany := func(cause string) error {
		err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
		err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes,
			metav1.StatusCause{Type: policyv1.DisruptionBudgetCause, Message: cause})
		return err
	}
	if pdb.Status.ObservedGeneration < pdb.Generation {
		return tooMany(fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdb.Name))
	}
	if !podIsReady(pod) && pdb.Status.CurrentHealthy >= pdb.Status.DesiredHealthy && pdb.Status.DesiredHealthy > 0 {
		return nil // an unhealthy pod does not use up the budget (IfHealthyBudget)
	}
	if pdb.Status.DisruptionsAllowed < 0 {
		return apierrors.NewForbidden(pdbResource.GVR().GroupResource(), pdb.Name, fmt.Errorf("pdb disruptions allowed is negative"))
	}
	if pdb.Status.DisruptionsAllowed == 0 {
		return tooMany(fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently",
			pdb.Name, pdb.Status.DesiredHealthy, pdb.Status.CurrentHealthy))
	}
	pdb.Status.DisruptionsAllowed--
	if pdb.Status.DisruptedPods == nil {
		pdb.Status.DisruptedPods = map[string]metav1.Time{}
	}
	pdb.Status.DisruptedPods[pod.Name] = metav1.NewTime(s.st.Now())
	if pdb.Status.DisruptionsAllowed == 0 {
		for i := range pdb.Status.Conditions {
			if pdb.Status.Conditions[i].Type == policyv1.DisruptionAllowedCondition {
				pdb.Status.Conditions[i].Status = metav1.ConditionFalse
				pdb.Status.Conditions[i].Reason = policyv1.InsufficientPodsReason
			}
		}
	}
	if _, err := s.st.Update(pdbResource, pdb, store.UpdateOptions{Status: true}); err != nil {
		if apierrors.IsConflict(err) {
			return tooMany(fmt.Sprintf("The disruption budget %s is still being processed by the server.", pdb.Name))
		}
		return err
	}
	return nil
}

func podIsReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pdbPrinter is `kubectl get pdb` (printPodDisruptionBudget).
var pdbPrinter = printer{
	columns: []metav1.TableColumnDefinition{
		nameCol,
		col("Min Available", "The minimum number of pods that must be available."),
		col("Max Unavailable", "The maximum number of pods that may be unavailable."),
		col("Allowed Disruptions", "Calculated number of pods that may be disrupted at this time."),
		ageCol,
	},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		pdb := obj.(*policyv1.PodDisruptionBudget)
		na := func(v *intstr.IntOrString) string {
			if v == nil {
				return "N/A"
			}
			return v.String()
		}
		return []any{pdb.Name, na(pdb.Spec.MinAvailable), na(pdb.Spec.MaxUnavailable),
			int64(pdb.Status.DisruptionsAllowed), age(pdb.CreationTimestamp, now)}, nil
	},
}
