package controller

import (
	"fmt"
	"sort"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const componentHPA = "horizontal-pod-autoscaler"

var hpaRes = store.MustLookup("horizontalpodautoscalers")

// noMetricsAPI is what the HPA controller reports on a cluster without metrics-server, as
// the simulator is: the resource metrics API is not served.
const noMetricsAPI = "unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)"

// HPAController follows the horizontal pod autoscaler's reconcileAutoscaler as far as a
// cluster without metrics can: it resolves the scale target, keeps its replicas within
// [minReplicas, maxReplicas] with SuccessfulRescale events, and otherwise reports that CPU
// metrics are unavailable. It syncs on changes only (no 15s resync), so a settled
// simulator stays idle.
type HPAController struct {
	env Env
	rec *Recorder

	mu      sync.Mutex
	targets map[string]map[string]bool // "ns/Kind/name" -> HPA names
}

// NewHPAController makes the controller.
func NewHPAController(env Env, rec *Recorder) *HPAController {
	return &HPAController{env: env, rec: rec, targets: map[string]map[string]bool{}}
}

func (c *HPAController) Name() string { return "horizontalpodautoscaler" }

func (c *HPAController) key(ns, name string) Key {
	return Key{Controller: c.Name(), Namespace: ns, Name: name}
}

func targetKey(ns, kind, name string) string { return ns + "/" + kind + "/" + name }

func (c *HPAController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case hpaRes.Name:
		c.mu.Lock()
		for _, o := range []runtime.Object{ev.Old, ev.Object} {
			if h, ok := o.(*autoscalingv1.HorizontalPodAutoscaler); ok {
				for _, names := range c.targets {
					delete(names, h.Name)
				}
			}
		}
		h := ev.Object.(*autoscalingv1.HorizontalPodAutoscaler)
		if ev.Type != "DELETED" {
			k := targetKey(h.Namespace, h.Spec.ScaleTargetRef.Kind, h.Spec.ScaleTargetRef.Name)
			if c.targets[k] == nil {
				c.targets[k] = map[string]bool{}
			}
			c.targets[k][h.Name] = true
		}
		c.mu.Unlock()
		c.env.Queue.Add(c.key(h.Namespace, h.Name))
	case deployRes.Name, rsRes.Name, stsRes.Name:
		m := objMeta(ev.Object)
		c.mu.Lock()
		var names []string
		for n := range c.targets[targetKey(m.GetNamespace(), ev.Resource.Kind, m.GetName())] {
			names = append(names, n)
		}
		c.mu.Unlock()
		sort.Strings(names)
		for _, n := range names {
			c.env.Queue.Add(c.key(m.GetNamespace(), n))
		}
	}
}

// scaleTarget finds the scalable resource an HPA names, as the REST mapper would.
func scaleTarget(ref autoscalingv1.CrossVersionObjectReference) (store.Resource, error) {
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		return store.Resource{}, err
	}
	for _, r := range store.Resources() {
		if r.Kind == ref.Kind && r.Group == gv.Group && r.HasScale {
			return r, nil
		}
	}
	return store.Resource{}, fmt.Errorf("no matches for kind %q in group %q", ref.Kind, gv.Group)
}

func specReplicasOf(obj runtime.Object) (**int32, bool) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &o.Spec.Replicas, true
	case *appsv1.ReplicaSet:
		return &o.Spec.Replicas, true
	case *appsv1.StatefulSet:
		return &o.Spec.Replicas, true
	}
	return nil, false
}

func (c *HPAController) Sync(k Key) error {
	obj, err := c.env.Store.Get(hpaRes, k.Namespace, k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	h := obj.(*autoscalingv1.HorizontalPodAutoscaler)
	st := *h.Status.DeepCopy()
	st.ObservedGeneration = ptrTo(h.Generation)
	res, err := scaleTarget(h.Spec.ScaleTargetRef)
	var target runtime.Object
	if err == nil {
		target, err = c.env.Store.Get(res, h.Namespace, h.Spec.ScaleTargetRef.Name)
	}
	if err != nil {
		// Upstream retries with backoff; the simulator waits for the next change instead.
		c.rec.Eventf(h, componentHPA, "", corev1.EventTypeWarning, "FailedGetScale", "%s", err.Error())
		return c.writeStatus(h, st)
	}
	replicas, _ := specReplicasOf(target)
	current := int32(1)
	if *replicas != nil {
		current = **replicas
	}
	minR := int32(1)
	if h.Spec.MinReplicas != nil {
		minR = *h.Spec.MinReplicas
	}
	desired, reason := current, ""
	switch {
	case current == 0 && minR != 0:
		desired = 0 // scaling is disabled since the replica count of the target is zero
	case current > h.Spec.MaxReplicas:
		desired, reason = h.Spec.MaxReplicas, "Current number of replicas above Spec.MaxReplicas"
	case current < minR:
		desired, reason = minR, "Current number of replicas below Spec.MinReplicas"
	default:
		c.rec.Eventf(h, componentHPA, "", corev1.EventTypeWarning, "FailedGetResourceMetric", "failed to get cpu utilization: %s", noMetricsAPI)
		c.rec.Eventf(h, componentHPA, "", corev1.EventTypeWarning, "FailedComputeMetricsReplicas",
			"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: %s", noMetricsAPI)
		st.CurrentReplicas = current
		return c.writeStatus(h, st)
	}
	st.CurrentReplicas = current
	st.DesiredReplicas = desired
	if desired != current {
		*replicas = ptrTo(desired)
		if _, err := c.env.Store.Update(res, target, store.UpdateOptions{}); err != nil {
			c.rec.Eventf(h, componentHPA, "", corev1.EventTypeWarning, "FailedRescale", "New size: %d; reason: %s; error: %v", desired, reason, err)
			return c.writeStatus(h, st)
		}
		c.rec.Eventf(h, componentHPA, "", corev1.EventTypeNormal, "SuccessfulRescale", "New size: %d; reason: %s", desired, reason)
		now := metav1.NewTime(c.env.Store.Now())
		st.LastScaleTime = &now
	}
	return c.writeStatus(h, st)
}

func (c *HPAController) writeStatus(h *autoscalingv1.HorizontalPodAutoscaler, st autoscalingv1.HorizontalPodAutoscalerStatus) error {
	if equality.Semantic.DeepEqual(h.Status, st) {
		return nil
	}
	h.Status = st
	_, err := c.env.Store.Update(hpaRes, h, store.UpdateOptions{Status: true})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}
