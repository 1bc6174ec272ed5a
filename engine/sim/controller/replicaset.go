package controller

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const componentRS = "replicaset-controller"

// burstReplicas caps the pods one ReplicaSet sync creates or deletes, as upstream does.
const burstReplicas = 500

var (
	rsRes     = store.MustLookup("replicasets")
	deployRes = store.MustLookup("deployments")
	dsRes     = store.MustLookup("daemonsets")
)

// ReplicaSetController follows kube-controller-manager's replicaset controller: claim pods
// (adopt matching orphans, release owned pods whose labels no longer match), create or delete
// pods to reach spec.replicas (deleting the lowest ranked first), and report status.
type ReplicaSetController struct {
	env Env
	rec *Recorder
	sel *selectorCache
}

// NewReplicaSetController makes the controller.
func NewReplicaSetController(env Env, rec *Recorder) *ReplicaSetController {
	return &ReplicaSetController{env: env, rec: rec, sel: newSelectorCache()}
}

func (c *ReplicaSetController) Name() string { return "replicaset" }

func (c *ReplicaSetController) key(ns, name string) Key {
	return Key{Controller: c.Name(), Namespace: ns, Name: name}
}

func (c *ReplicaSetController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case rsRes.Name:
		rs := ev.Object.(*appsv1.ReplicaSet)
		c.sel.observe(string(ev.Type), rs.Namespace, rs.Name, rs.Spec.Selector)
		c.env.Queue.Add(c.key(rs.Namespace, rs.Name))
	case podsRes.Name:
		c.sel.routeDependent(ev, "ReplicaSet", func(ns, name string) { c.env.Queue.Add(c.key(ns, name)) })
	}
}

// selectorCache keeps each owner's selector, so Observe can route an orphan's events to the
// owners that may adopt it without reading the store.
type selectorCache struct {
	mu   sync.Mutex
	sels map[string]map[string]labels.Selector // ns -> name -> selector
}

// routeDependent calls add for each owner that must look at a dependent's event, for its old
// and new version alike: its controller when that is of kind, else (an orphan) every owner whose
// selector matches it and may adopt it.
func (s *selectorCache) routeDependent(ev store.Event, kind string, add func(ns, name string)) {
	for _, o := range []runtime.Object{ev.Old, ev.Object} {
		if o == nil {
			continue
		}
		m := objMeta(o)
		if ref := controllerRef(m); ref != nil {
			if ref.Kind == kind {
				add(m.GetNamespace(), ref.Name)
			}
			continue
		}
		for _, name := range s.matching(m.GetNamespace(), m.GetLabels()) {
			add(m.GetNamespace(), name)
		}
	}
}

func newSelectorCache() *selectorCache {
	return &selectorCache{sels: map[string]map[string]labels.Selector{}}
}

func (s *selectorCache) observe(typ, ns, name string, ls *metav1.LabelSelector) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == "DELETED" {
		delete(s.sels[ns], name)
		return
	}
	sel, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil || sel.Empty() {
		delete(s.sels[ns], name)
		return
	}
	if s.sels[ns] == nil {
		s.sels[ns] = map[string]labels.Selector{}
	}
	s.sels[ns][name] = sel
}

func (s *selectorCache) matching(ns string, l map[string]string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for name, sel := range s.sels[ns] {
		if sel.Matches(labels.Set(l)) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func ownerRefFor(kind, name string, uid types.UID) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "apps/v1", Kind: kind, Name: name, UID: uid,
		Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}
}

// isPodActive: neither terminal nor being deleted (controller.IsPodActive).
func isPodActive(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && p.DeletionTimestamp == nil
}

func isPodTerminating(p *corev1.Pod) bool {
	return p.DeletionTimestamp != nil && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

func podReadyCondition(p *corev1.Pod) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func isPodReady(p *corev1.Pod) bool {
	c := podReadyCondition(p)
	return c != nil && c.Status == corev1.ConditionTrue
}

// isPodAvailable: ready for at least minReady seconds. Upstream compares with Before; on a
// fake clock the requeue lands exactly on the boundary, so the boundary counts as available.
func isPodAvailable(p *corev1.Pod, minReady int32, now time.Time) bool {
	c := podReadyCondition(p)
	if c == nil || c.Status != corev1.ConditionTrue {
		return false
	}
	return minReady == 0 || (!c.LastTransitionTime.IsZero() && !c.LastTransitionTime.Add(time.Duration(minReady)*time.Second).After(now))
}

// podFromTemplate is controller.GetPodFromTemplate: the template's labels, annotations,
// finalizers and spec, named from generateName, owned by the controller.
func podFromTemplate(t *corev1.PodTemplateSpec, ns, generateName string, ref metav1.OwnerReference) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, GenerateName: generateName,
			Labels:          copyMap(t.Labels),
			Annotations:     copyMap(t.Annotations),
			Finalizers:      append([]string(nil), t.Finalizers...),
			OwnerReferences: []metav1.OwnerReference{ref},
		},
		Spec: *t.Spec.DeepCopy(),
	}
	return p
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// claimPods adopts and releases pods for an owner as ClaimPods does and returns the owned pods.
// Only the owner's dependents and the orphans can matter, from the store's indexes; the pods
// returned are read-only (the store's own), copied here before a write.
func claimPods(st *store.Store, ns string, sel labels.Selector, owner metav1.Object, kind string, canAdopt bool) ([]*corev1.Pod, error) {
	objs := mergeByKey(st.Select(podsRes, store.Query{Namespace: ns, Owner: owner.GetUID()}),
		st.Select(podsRes, store.Query{Namespace: ns, Orphans: true}))
	var owned []*corev1.Pod
	for _, o := range objs {
		p := o.(*corev1.Pod)
		ref := controllerRef(p)
		matches := sel.Matches(labels.Set(p.Labels))
		switch {
		case ref != nil && ref.UID == owner.GetUID():
			if matches {
				owned = append(owned, p)
				continue
			}
			if p.DeletionTimestamp != nil {
				continue // a terminating pod is not worth releasing
			}
			var kept []metav1.OwnerReference
			for _, r := range p.OwnerReferences {
				if r.UID != owner.GetUID() {
					kept = append(kept, r)
				}
			}
			p = p.DeepCopy()
			p.OwnerReferences = kept
			if _, err := st.Update(podsRes, p, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return nil, err
			}
		case ref == nil && matches && canAdopt && p.DeletionTimestamp == nil:
			p = p.DeepCopy()
			p.OwnerReferences = append(p.OwnerReferences, ownerRefFor(kind, owner.GetName(), owner.GetUID()))
			out, err := st.Update(podsRes, p, store.UpdateOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			owned = append(owned, out.(*corev1.Pod))
		}
	}
	return owned, nil
}

// Sync reconciles one ReplicaSet.
func (c *ReplicaSetController) Sync(k Key) error {
	obj, err := c.env.Store.Get(rsRes, k.Namespace, k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	rs := obj.(*appsv1.ReplicaSet)
	sel, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil // validation rejects these
	}
	owned, err := claimPods(c.env.Store, rs.Namespace, sel, rs, "ReplicaSet", rs.DeletionTimestamp == nil)
	if err != nil {
		return err
	}
	var active, terminating []*corev1.Pod
	for _, p := range owned {
		if isPodActive(p) {
			active = append(active, p)
		} else if isPodTerminating(p) {
			terminating = append(terminating, p)
		}
	}
	var manageErr error
	if rs.DeletionTimestamp == nil {
		manageErr = c.manageReplicas(rs, active)
	}
	now := c.env.Store.Now()
	st := rsStatus(rs, active, terminating, now)
	setReplicaFailure(&st, rs, len(active), manageErr, now)
	if err := c.writeStatus(rs, st); err != nil {
		return err
	}
	if rs.Spec.MinReadySeconds > 0 && st.ReadyReplicas != st.AvailableReplicas {
		c.env.Queue.AddAfter(time.Duration(rs.Spec.MinReadySeconds)*time.Second, k)
	}
	return manageErr
}

func rsStatus(rs *appsv1.ReplicaSet, active, terminating []*corev1.Pod, now time.Time) appsv1.ReplicaSetStatus {
	st := *rs.Status.DeepCopy()
	tmpl := labels.SelectorFromSet(rs.Spec.Template.Labels)
	var full, ready, avail int32
	for _, p := range active {
		if tmpl.Matches(labels.Set(p.Labels)) {
			full++
		}
		if isPodReady(p) {
			ready++
			if isPodAvailable(p, rs.Spec.MinReadySeconds, now) {
				avail++
			}
		}
	}
	st.Replicas = int32(len(active))
	st.FullyLabeledReplicas = full
	st.ReadyReplicas = ready
	st.AvailableReplicas = avail
	st.TerminatingReplicas = ptrTo(int32(len(terminating)))
	st.ObservedGeneration = rs.Generation
	return st
}

// setReplicaFailure adds the ReplicaFailure condition when creating or deleting pods failed
// and removes it once a sync succeeds, as calculateStatus does.
func setReplicaFailure(st *appsv1.ReplicaSetStatus, rs *appsv1.ReplicaSet, active int, err error, now time.Time) {
	var cur *appsv1.ReplicaSetCondition
	var kept []appsv1.ReplicaSetCondition
	for i := range st.Conditions {
		if st.Conditions[i].Type == appsv1.ReplicaSetReplicaFailure {
			cur = &st.Conditions[i]
			continue
		}
		kept = append(kept, st.Conditions[i])
	}
	switch {
	case err != nil && cur == nil:
		reason := ""
		if diff := active - int(replicasOf(rs.Spec.Replicas)); diff < 0 {
			reason = "FailedCreate"
		} else if diff > 0 {
			reason = "FailedDelete"
		}
		st.Conditions = append(st.Conditions, appsv1.ReplicaSetCondition{Type: appsv1.ReplicaSetReplicaFailure,
			Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now), Reason: reason, Message: err.Error()})
	case err == nil && cur != nil:
		st.Conditions = kept
	}
}

func (c *ReplicaSetController) writeStatus(rs *appsv1.ReplicaSet, st appsv1.ReplicaSetStatus) error {
	if equality.Semantic.DeepEqual(rs.Status, st) {
		return nil
	}
	cp := rs.DeepCopy()
	cp.Status = st
	_, err := c.env.Store.Update(rsRes, cp, store.UpdateOptions{Status: true})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func (c *ReplicaSetController) manageReplicas(rs *appsv1.ReplicaSet, active []*corev1.Pod) error {
	want := int(replicasOf(rs.Spec.Replicas))
	diff := len(active) - want
	switch {
	case diff < 0:
		n := min(-diff, burstReplicas)
		ref := ownerRefFor("ReplicaSet", rs.Name, rs.UID)
		for i := 0; i < n; i++ {
			pod := podFromTemplate(&rs.Spec.Template, rs.Namespace, rs.Name+"-", ref)
			out, err := c.env.Store.Create(podsRes, pod)
			if err != nil {
				c.rec.Eventf(rs, componentRS, "", corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
				return err
			}
			c.rec.Eventf(rs, componentRS, "", corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", out.(*corev1.Pod).Name)
		}
	case diff > 0:
		n := min(diff, burstReplicas)
		for _, p := range podsToDelete(active, c.relatedPods(rs), n, c.env.Store.Now()) {
			uid := p.UID
			_, err := c.env.Store.Delete(podsRes, p.Namespace, p.Name, store.DeleteOptions{PreconditionUID: &uid, Owned: true})
			if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
				continue
			}
			if err != nil {
				c.rec.Eventf(rs, componentRS, "", corev1.EventTypeWarning, "FailedDelete", "Error deleting: %v", err)
				return err
			}
			c.rec.Eventf(rs, componentRS, "", corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
		}
	}
	return nil
}

func replicasOf(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// relatedPods are the active pods of every ReplicaSet with the same controller (a
// Deployment's old and new sets), used to rank pods by how crowded their node is.
func (c *ReplicaSetController) relatedPods(rs *appsv1.ReplicaSet) []*corev1.Pod {
	owners := []types.UID{rs.UID}
	if ref := controllerRef(rs); ref != nil {
		for _, o := range c.env.Store.Select(rsRes, store.Query{Namespace: rs.Namespace, Owner: ref.UID}) {
			if r := controllerRef(o.(*appsv1.ReplicaSet)); r != nil && r.UID == ref.UID && o.(*appsv1.ReplicaSet).UID != rs.UID {
				owners = append(owners, o.(*appsv1.ReplicaSet).UID)
			}
		}
	}
	// Read-only pods from the owner index (only counted by node).
	var out []*corev1.Pod
	for _, uid := range owners {
		for _, o := range c.env.Store.Select(podsRes, store.Query{Namespace: rs.Namespace, Owner: uid}) {
			p := o.(*corev1.Pod)
			if r := controllerRef(p); r != nil && r.UID == uid && isPodActive(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// podsToDelete picks n pods as getPodsToDelete does: sorted by ActivePodsWithRanks (with
// LogarithmicScaleDown), the first n go.
func podsToDelete(pods, related []*corev1.Pod, n int, now time.Time) []*corev1.Pod {
	if n >= len(pods) {
		return pods
	}
	onNode := map[string]int{}
	for _, p := range related {
		onNode[p.Spec.NodeName]++
	}
	ranked := append([]*corev1.Pod(nil), pods...)
	sort.SliceStable(ranked, func(i, j int) bool { return deleteFirst(ranked[i], ranked[j], onNode, now) })
	return ranked[:n]
}

var phaseOrdinal = map[corev1.PodPhase]int{corev1.PodPending: 0, corev1.PodUnknown: 1, corev1.PodRunning: 2}

// deleteFirst is ActivePodsWithRanks.Less: unscheduled before scheduled, Pending before
// Unknown before Running, not ready before ready, lower pod-deletion-cost first, more pods on
// the same node first, ready more recently first, more restarts first, newer first.
func deleteFirst(a, b *corev1.Pod, onNode map[string]int, now time.Time) bool {
	if a.Spec.NodeName != b.Spec.NodeName && (a.Spec.NodeName == "" || b.Spec.NodeName == "") {
		return a.Spec.NodeName == ""
	}
	if phaseOrdinal[a.Status.Phase] != phaseOrdinal[b.Status.Phase] {
		return phaseOrdinal[a.Status.Phase] < phaseOrdinal[b.Status.Phase]
	}
	if isPodReady(a) != isPodReady(b) {
		return !isPodReady(a)
	}
	if ca, cb := deletionCost(a), deletionCost(b); ca != cb {
		return ca < cb
	}
	if ra, rb := onNode[a.Spec.NodeName], onNode[b.Spec.NodeName]; ra != rb {
		return ra > rb
	}
	if isPodReady(a) && isPodReady(b) {
		ta, tb := podReadyCondition(a).LastTransitionTime, podReadyCondition(b).LastTransitionTime
		if !ta.Equal(&tb) {
			if ta.IsZero() || tb.IsZero() {
				return ta.IsZero()
			}
			if d := logRank(ta.Time, now) - logRank(tb.Time, now); d != 0 {
				return d < 0
			}
			return a.UID < b.UID
		}
	}
	if ra, rb := maxRestarts(a), maxRestarts(b); ra != rb {
		return ra > rb
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		if d := logRank(a.CreationTimestamp.Time, now) - logRank(b.CreationTimestamp.Time, now); d != 0 {
			return d < 0
		}
		return a.UID < b.UID
	}
	return false
}

// logRank buckets an age by its base-2 logarithm in nanoseconds, so pods of similar age tie.
func logRank(t, now time.Time) int64 {
	d := now.Sub(t)
	if d <= 0 {
		return -1
	}
	return int64(math.Log2(float64(d)))
}

func deletionCost(p *corev1.Pod) int32 {
	var v int32
	if s, ok := p.Annotations[corev1.PodDeletionCost]; ok {
		_, _ = fmt.Sscanf(s, "%d", &v)
	}
	return v
}

func maxRestarts(p *corev1.Pod) int32 {
	var m int32
	for _, s := range p.Status.ContainerStatuses {
		m = max(m, s.RestartCount)
	}
	return m
}
