package controller

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
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
	"k8s.io/apimachinery/pkg/util/intstr"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/dump"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Annotations and reasons of the deployment controller (the real names).
const (
	AnnotationRevision        = "deployment.kubernetes.io/revision"
	AnnotationRevisionHistory = "deployment.kubernetes.io/revision-history"
	AnnotationDesiredReplicas = "deployment.kubernetes.io/desired-replicas"
	AnnotationMaxReplicas     = "deployment.kubernetes.io/max-replicas"
	componentDeploy           = "deployment-controller"

	reasonNewRSAvailable = "NewReplicaSetAvailable"
	reasonRSUpdated      = "ReplicaSetUpdated"
	reasonNewRSCreated   = "NewReplicaSetCreated"
	reasonFoundNewRS     = "FoundNewReplicaSet"
	reasonTimedOut       = "ProgressDeadlineExceeded"
	reasonPaused         = "DeploymentPaused"
	reasonResumed        = "DeploymentResumed"
	reasonMinAvailable   = "MinimumReplicasAvailable"
	reasonMinUnavailable = "MinimumReplicasUnavailable"
	maxRevHistoryChars   = 2000
)

// Annotations a Deployment does not pass on to its ReplicaSets.
var skipCopyAnnotation = map[string]bool{
	corev1.LastAppliedConfigAnnotation: true,
	AnnotationRevision:                 true,
	AnnotationRevisionHistory:          true,
	AnnotationDesiredReplicas:          true,
	AnnotationMaxReplicas:              true,
	appsv1.DeprecatedRollbackTo:        true,
}

// DeploymentController follows kube-controller-manager's deployment controller (sync.go,
// rolling.go, recreate.go, progress.go): one ReplicaSet per pod template, named
// <deployment>-<pod-template-hash>, scaled by the RollingUpdate or Recreate strategy, with
// revision annotations, proportional scaling, pausing, history cleanup and the
// Available/Progressing conditions.
type DeploymentController struct {
	env Env
	rec *Recorder
	sel *selectorCache

	mu      sync.Mutex
	rsOwner map[string]string // "ns/rs" -> owning deployment name, for pod deletions
}

// NewDeploymentController makes the controller.
func NewDeploymentController(env Env, rec *Recorder) *DeploymentController {
	return &DeploymentController{env: env, rec: rec, sel: newSelectorCache(), rsOwner: map[string]string{}}
}

func (c *DeploymentController) Name() string { return "deployment" }

func (c *DeploymentController) key(ns, name string) Key {
	return Key{Controller: c.Name(), Namespace: ns, Name: name}
}

func (c *DeploymentController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case deployRes.Name:
		d := ev.Object.(*appsv1.Deployment)
		c.sel.observe(string(ev.Type), d.Namespace, d.Name, d.Spec.Selector)
		c.env.Queue.Add(c.key(d.Namespace, d.Name))
	case rsRes.Name:
		for _, o := range []runtime.Object{ev.Old, ev.Object} {
			if o == nil {
				continue
			}
			rs := o.(*appsv1.ReplicaSet)
			if ref := controllerRef(rs); ref != nil {
				if ref.Kind == "Deployment" {
					c.mu.Lock()
					if ev.Type == "DELETED" {
						delete(c.rsOwner, rs.Namespace+"/"+rs.Name)
					} else {
						c.rsOwner[rs.Namespace+"/"+rs.Name] = ref.Name
					}
					c.mu.Unlock()
					c.env.Queue.Add(c.key(rs.Namespace, ref.Name))
				}
				continue
			}
			for _, name := range c.sel.matching(rs.Namespace, rs.Labels) {
				c.env.Queue.Add(c.key(rs.Namespace, name))
			}
		}
	case podsRes.Name:
		// A Recreate rollout waits for the old pods to be gone.
		if ev.Type != "DELETED" {
			return
		}
		p := ev.Object.(*corev1.Pod)
		if ref := controllerRef(p); ref != nil && ref.Kind == "ReplicaSet" {
			c.mu.Lock()
			d, ok := c.rsOwner[p.Namespace+"/"+ref.Name]
			c.mu.Unlock()
			if ok {
				c.env.Queue.Add(c.key(p.Namespace, d))
			}
		}
	}
}

// PodTemplateHash is controller.ComputeHash: fnv-32a over the template's deep dump, plus the
// collision count, written with SafeEncodeString. Equal templates give equal hashes.
func PodTemplateHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%v", dump.ForHash(*t))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		h.Write(b)
	}
	return utilrand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

func rsName(deploy, hash string) string {
	max := validation.DNS1123SubdomainMaxLength - 1 - len(hash)
	if len(deploy) > max && max > 0 {
		deploy = deploy[:max]
	}
	return deploy + "-" + hash
}

func (c *DeploymentController) Sync(k Key) error {
	obj, err := c.env.Store.Get(deployRes, k.Namespace, k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	d := obj.(*appsv1.Deployment)
	if d.Spec.Selector == nil || len(d.Spec.Selector.MatchLabels)+len(d.Spec.Selector.MatchExpressions) == 0 {
		c.rec.Eventf(d, componentDeploy, "", corev1.EventTypeWarning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.")
		if d.Status.ObservedGeneration < d.Generation {
			d.Status.ObservedGeneration = d.Generation
			return c.persist(d)
		}
		return nil
	}
	rsList, err := c.claimReplicaSets(d)
	if err != nil {
		return err
	}
	if d.DeletionTimestamp != nil {
		newRS, oldRSs, err := c.getAllRSs(d, rsList, false)
		if err != nil {
			return err
		}
		return c.syncDeploymentStatus(append(oldRSs, newRS), newRS, d)
	}
	if err := c.checkPausedConditions(d); err != nil {
		return err
	}
	if d.Spec.Paused {
		return c.sync(d, rsList)
	}
	scaling, err := c.isScalingEvent(d, rsList)
	if err != nil {
		return err
	}
	if scaling {
		return c.sync(d, rsList)
	}
	switch d.Spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		return c.rolloutRecreate(d, rsList)
	case appsv1.RollingUpdateDeploymentStrategyType:
		return c.rolloutRolling(d, rsList)
	}
	return fmt.Errorf("unexpected deployment strategy type: %s", d.Spec.Strategy.Type)
}

// persist writes d's annotations (when changed) and status, and refreshes d from the store.
// Upstream writes both through UpdateStatus; the simulator's status write keeps metadata, so
// annotations go through a main update first.
func (c *DeploymentController) persist(d *appsv1.Deployment) error {
	cur, err := c.env.Store.Get(deployRes, d.Namespace, d.Name)
	if err != nil {
		return err
	}
	stored := cur.(*appsv1.Deployment)
	if stored.ResourceVersion != d.ResourceVersion {
		return apierrors.NewConflict(deployRes.GVR().GroupResource(), d.Name, fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	if !equality.Semantic.DeepEqual(stored.Annotations, d.Annotations) {
		stored.Annotations = d.Annotations
		out, err := c.env.Store.Update(deployRes, stored, store.UpdateOptions{})
		if err != nil {
			return err
		}
		d.ResourceVersion = out.(*appsv1.Deployment).ResourceVersion
	}
	out, err := c.env.Store.Update(deployRes, d, store.UpdateOptions{Status: true})
	if err != nil {
		return err
	}
	*d = *out.(*appsv1.Deployment)
	return nil
}

// claimReplicaSets adopts matching orphan ReplicaSets and releases owned ones that no longer
// match, as ClaimReplicaSets does, and returns the owned ones.
func (c *DeploymentController) claimReplicaSets(d *appsv1.Deployment) ([]*appsv1.ReplicaSet, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, err
	}
	objs, _ := c.env.Store.List(rsRes, d.Namespace, nil, nil)
	var owned []*appsv1.ReplicaSet
	for _, o := range objs {
		rs := o.(*appsv1.ReplicaSet)
		ref := controllerRef(rs)
		matches := sel.Matches(labels.Set(rs.Labels))
		switch {
		case ref != nil && ref.UID == d.UID:
			if matches {
				owned = append(owned, rs)
				continue
			}
			var kept []metav1.OwnerReference
			for _, r := range rs.OwnerReferences {
				if r.UID != d.UID {
					kept = append(kept, r)
				}
			}
			rs.OwnerReferences = kept
			if _, err := c.env.Store.Update(rsRes, rs, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return nil, err
			}
		case ref == nil && matches && d.DeletionTimestamp == nil && rs.DeletionTimestamp == nil:
			rs.OwnerReferences = append(rs.OwnerReferences, ownerRefFor("Deployment", d.Name, d.UID))
			out, err := c.env.Store.Update(rsRes, rs, store.UpdateOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			owned = append(owned, out.(*appsv1.ReplicaSet))
		}
	}
	return owned, nil
}

// --- conditions ----------------------------------------------------------------------------

func (c *DeploymentController) newCondition(t appsv1.DeploymentConditionType, s corev1.ConditionStatus, reason, msg string) appsv1.DeploymentCondition {
	now := metav1.NewTime(c.env.Store.Now())
	return appsv1.DeploymentCondition{Type: t, Status: s, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: msg}
}

func getCondition(st appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			c := st.Conditions[i]
			return &c
		}
	}
	return nil
}

// setCondition keeps an equal condition as it is, and the transition time when only the
// reason changes.
func setCondition(st *appsv1.DeploymentStatus, cond appsv1.DeploymentCondition) {
	cur := getCondition(*st, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return
	}
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(st, cond.Type)
	st.Conditions = append(st.Conditions, cond)
}

func removeCondition(st *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) {
	var out []appsv1.DeploymentCondition
	for _, c := range st.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	st.Conditions = out
}

func hasProgressDeadline(d *appsv1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

func (c *DeploymentController) checkPausedConditions(d *appsv1.Deployment) error {
	if !hasProgressDeadline(d) {
		return nil
	}
	cond := getCondition(d.Status, appsv1.DeploymentProgressing)
	if cond != nil && cond.Reason == reasonTimedOut {
		return nil
	}
	pausedCond := cond != nil && cond.Reason == reasonPaused
	switch {
	case d.Spec.Paused && !pausedCond:
		setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, reasonPaused, "Deployment is paused"))
	case !d.Spec.Paused && pausedCond:
		setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, reasonResumed, "Deployment is resumed"))
	default:
		return nil
	}
	return c.persist(d)
}

// --- replica set helpers -------------------------------------------------------------------

func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return equality.Semantic.DeepEqual(a, b)
}

func sortByCreation(list []*appsv1.ReplicaSet) {
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.Name < b.Name
		}
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	})
}

func revisionOfRS(rs *appsv1.ReplicaSet) int64 {
	v, err := strconv.ParseInt(rs.Annotations[AnnotationRevision], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func rsReplicas(rs *appsv1.ReplicaSet) int32 {
	if rs == nil || rs.Spec.Replicas == nil {
		return 0
	}
	return *rs.Spec.Replicas
}

func activeRSs(list []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	var out []*appsv1.ReplicaSet
	for _, rs := range list {
		if rs != nil && rsReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

func sumRS(list []*appsv1.ReplicaSet, f func(*appsv1.ReplicaSet) int32) int32 {
	var n int32
	for _, rs := range list {
		if rs != nil {
			n += f(rs)
		}
	}
	return n
}

func specCount(list []*appsv1.ReplicaSet) int32 { return sumRS(list, rsReplicas) }

func resolveFenceposts(d *appsv1.Deployment) (surge, unavailable int32) {
	ru := d.Spec.Strategy.RollingUpdate
	desired := int(*d.Spec.Replicas)
	zero := intstr.FromInt32(0)
	ms, mu := &zero, &zero
	if ru != nil {
		ms = intstr.ValueOrDefault(ru.MaxSurge, zero)
		mu = intstr.ValueOrDefault(ru.MaxUnavailable, zero)
	}
	s, _ := intstr.GetScaledValueFromIntOrPercent(ms, desired, true)
	u, _ := intstr.GetScaledValueFromIntOrPercent(mu, desired, false)
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u)
}

func isRollingUpdate(d *appsv1.Deployment) bool {
	return d.Spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType
}

func maxSurge(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	s, _ := resolveFenceposts(d)
	return s
}

func maxUnavailable(d *appsv1.Deployment) int32 {
	if !isRollingUpdate(d) || *d.Spec.Replicas == 0 {
		return 0
	}
	_, u := resolveFenceposts(d)
	return min(u, *d.Spec.Replicas)
}

// newRSNewReplicas is NewRSNewReplicas: how far the new set may grow now.
func newRSNewReplicas(d *appsv1.Deployment, all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) int32 {
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return *d.Spec.Replicas
	}
	maxTotal := *d.Spec.Replicas + maxSurge(d)
	cur := specCount(all)
	if cur >= maxTotal {
		return rsReplicas(newRS)
	}
	up := min(maxTotal-cur, *d.Spec.Replicas-rsReplicas(newRS))
	return rsReplicas(newRS) + up
}

func setReplicasAnnotations(rs *appsv1.ReplicaSet, desired, maxReplicas int32) bool {
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	changed := false
	for k, v := range map[string]string{AnnotationDesiredReplicas: strconv.Itoa(int(desired)), AnnotationMaxReplicas: strconv.Itoa(int(maxReplicas))} {
		if rs.Annotations[k] != v {
			rs.Annotations[k] = v
			changed = true
		}
	}
	return changed
}

// setNewRSAnnotations is SetNewReplicaSetAnnotations: copy the deployment's annotations,
// raise the revision (remembering the old one in revision-history) and, for a new set, the
// desired/max replicas.
func setNewRSAnnotations(d *appsv1.Deployment, rs *appsv1.ReplicaSet, newRevision string, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if cur, ok := rs.Annotations[k]; skipCopyAnnotation[k] || (ok && cur == v) {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	oldRevision, had := rs.Annotations[AnnotationRevision]
	oldInt, err := strconv.ParseInt(oldRevision, 10, 64)
	if err != nil {
		if oldRevision != "" {
			return false
		}
		oldInt = 0
	}
	newInt, err := strconv.ParseInt(newRevision, 10, 64)
	if err != nil {
		return false
	}
	if oldInt < newInt {
		rs.Annotations[AnnotationRevision] = newRevision
		changed = true
	}
	if had && oldInt < newInt {
		hist := rs.Annotations[AnnotationRevisionHistory]
		olds := strings.Split(hist, ",")
		if len(olds[0]) == 0 {
			rs.Annotations[AnnotationRevisionHistory] = oldRevision
		} else {
			total := len(hist) + len(oldRevision) + 1
			start := 0
			for total > maxRevHistoryChars && start < len(olds) {
				total -= len(olds[start]) + 1
				start++
			}
			if total <= maxRevHistoryChars {
				rs.Annotations[AnnotationRevisionHistory] = strings.Join(append(olds[start:], oldRevision), ",")
			}
		}
	}
	if !exists && setReplicasAnnotations(rs, *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d)) {
		changed = true
	}
	return changed
}

func setDeploymentRevision(d *appsv1.Deployment, rev string) bool {
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	if d.Annotations[AnnotationRevision] == rev {
		return false
	}
	d.Annotations[AnnotationRevision] = rev
	return true
}

// getAllRSs is getAllReplicaSetsAndSyncRevision: the new set (created when asked and
// missing) and every other owned set.
func (c *DeploymentController) getAllRSs(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet, create bool) (*appsv1.ReplicaSet, []*appsv1.ReplicaSet, error) {
	sortByCreation(rsList)
	var existing *appsv1.ReplicaSet
	for _, rs := range rsList {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			existing = rs
			break
		}
	}
	var oldRSs []*appsv1.ReplicaSet
	var maxOld int64
	for _, rs := range rsList {
		if existing != nil && rs.UID == existing.UID {
			continue
		}
		oldRSs = append(oldRSs, rs)
		maxOld = max(maxOld, revisionOfRS(rs))
	}
	newRevision := strconv.FormatInt(maxOld+1, 10)

	if existing != nil {
		rsCopy := existing.DeepCopy()
		annChanged := setNewRSAnnotations(d, rsCopy, newRevision, true)
		if annChanged || rsCopy.Spec.MinReadySeconds != d.Spec.MinReadySeconds {
			rsCopy.Spec.MinReadySeconds = d.Spec.MinReadySeconds
			out, err := c.env.Store.Update(rsRes, rsCopy, store.UpdateOptions{})
			if err != nil {
				return nil, nil, err
			}
			// Later steps of this sync read rsList again; keep it current.
			replaceRS(rsList, out.(*appsv1.ReplicaSet))
			return out.(*appsv1.ReplicaSet), oldRSs, nil
		}
		needs := setDeploymentRevision(d, rsCopy.Annotations[AnnotationRevision])
		if hasProgressDeadline(d) && getCondition(d.Status, appsv1.DeploymentProgressing) == nil {
			setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonFoundNewRS,
				fmt.Sprintf("Found new replica set %q", rsCopy.Name)))
			needs = true
		}
		if needs {
			if err := c.persist(d); err != nil {
				return nil, nil, err
			}
		}
		return rsCopy, oldRSs, nil
	}
	if !create {
		return nil, oldRSs, nil
	}

	tmpl := *d.Spec.Template.DeepCopy()
	hash := PodTemplateHash(&tmpl, d.Status.CollisionCount)
	tmpl.Labels = copyMap(d.Spec.Template.Labels)
	if tmpl.Labels == nil {
		tmpl.Labels = map[string]string{}
	}
	tmpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	sel := d.Spec.Selector.DeepCopy()
	if sel.MatchLabels == nil {
		sel.MatchLabels = map[string]string{}
	}
	sel.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] = hash
	newRS := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: rsName(d.Name, hash), Namespace: d.Namespace,
			OwnerReferences: []metav1.OwnerReference{ownerRefFor("Deployment", d.Name, d.UID)},
			Labels:          copyMap(tmpl.Labels),
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptrTo(int32(0)), MinReadySeconds: d.Spec.MinReadySeconds, Selector: sel, Template: tmpl},
	}
	count := newRSNewReplicas(d, append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS), newRS)
	newRS.Spec.Replicas = ptrTo(count)
	setNewRSAnnotations(d, newRS, newRevision, false)
	created, err := c.env.Store.Create(rsRes, newRS)
	alreadyExists := false
	switch {
	case apierrors.IsAlreadyExists(err):
		alreadyExists = true
		cur, gerr := c.env.Store.Get(rsRes, d.Namespace, newRS.Name)
		if gerr != nil {
			return nil, nil, gerr
		}
		rs := cur.(*appsv1.ReplicaSet)
		if ref := controllerRef(rs); ref != nil && ref.UID == d.UID && equalIgnoreHash(&d.Spec.Template, &rs.Spec.Template) {
			created = rs
			break
		}
		// A hash collision: bump collisionCount so the next sync picks another name.
		if d.Status.CollisionCount == nil {
			d.Status.CollisionCount = ptrTo(int32(0))
		}
		*d.Status.CollisionCount++
		_ = c.persist(d)
		return nil, nil, err
	case err != nil:
		msg := fmt.Sprintf("Failed to create new replica set %q: %v", newRS.Name, err)
		if hasProgressDeadline(d) {
			setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, "ReplicaSetCreateError", msg))
			_ = c.persist(d)
		}
		c.rec.Eventf(d, componentDeploy, "", corev1.EventTypeWarning, "ReplicaSetCreateError", "%s", msg)
		return nil, nil, err
	}
	createdRS := created.(*appsv1.ReplicaSet)
	if !alreadyExists && count > 0 {
		c.rec.Eventf(d, componentDeploy, "", corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled up replica set %s from 0 to %d", createdRS.Name, count)
	}
	needs := setDeploymentRevision(d, newRevision)
	if !alreadyExists && hasProgressDeadline(d) {
		setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonNewRSCreated,
			fmt.Sprintf("Created new replica set %q", createdRS.Name)))
		needs = true
	}
	if needs {
		if err := c.persist(d); err != nil {
			return nil, nil, err
		}
	}
	return createdRS, oldRSs, nil
}

// scaleReplicaSet sets a set's size and replica annotations, with the real event.
func (c *DeploymentController) scaleReplicaSet(rs *appsv1.ReplicaSet, newScale int32, d *appsv1.Deployment, force bool) (bool, *appsv1.ReplicaSet, error) {
	if !force && rsReplicas(rs) == newScale {
		return false, rs, nil
	}
	sizeChanged := rsReplicas(rs) != newScale
	cp := rs.DeepCopy()
	annChanged := setReplicasAnnotations(cp, *d.Spec.Replicas, *d.Spec.Replicas+maxSurge(d))
	if !sizeChanged && !annChanged {
		return false, rs, nil
	}
	oldScale := rsReplicas(rs)
	cp.Spec.Replicas = ptrTo(newScale)
	out, err := c.env.Store.Update(rsRes, cp, store.UpdateOptions{})
	if err != nil {
		return false, rs, err
	}
	updated := out.(*appsv1.ReplicaSet)
	if sizeChanged {
		op := "down"
		if oldScale < newScale {
			op = "up"
		}
		c.rec.Eventf(d, componentDeploy, "", corev1.EventTypeNormal, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d", op, updated.Name, oldScale, newScale)
	}
	return sizeChanged, updated, nil
}

// replaceRS swaps an updated set into a list by uid.
func replaceRS(list []*appsv1.ReplicaSet, rs *appsv1.ReplicaSet) {
	for i := range list {
		if list[i] != nil && list[i].UID == rs.UID {
			list[i] = rs
		}
	}
}

// --- sync (pause and scaling events) -------------------------------------------------------

func (c *DeploymentController) sync(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllRSs(d, rsList, false)
	if err != nil {
		return err
	}
	if err := c.scale(d, newRS, oldRSs); err != nil {
		return err
	}
	// Scaling wrote the sets; read them back for the status.
	newRS, oldRSs = c.refresh(newRS), c.refreshAll(oldRSs)
	if d.Spec.Paused {
		if err := c.cleanup(oldRSs, d); err != nil {
			return err
		}
	}
	return c.syncDeploymentStatus(append(oldRSs, newRS), newRS, d)
}

func (c *DeploymentController) refresh(rs *appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if rs == nil {
		return nil
	}
	o, err := c.env.Store.Get(rsRes, rs.Namespace, rs.Name)
	if err != nil || o.(*appsv1.ReplicaSet).UID != rs.UID {
		return rs
	}
	return o.(*appsv1.ReplicaSet)
}

func (c *DeploymentController) refreshAll(list []*appsv1.ReplicaSet) []*appsv1.ReplicaSet {
	out := make([]*appsv1.ReplicaSet, len(list))
	for i, rs := range list {
		out[i] = c.refresh(rs)
	}
	return out
}

func (c *DeploymentController) isScalingEvent(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) (bool, error) {
	newRS, oldRSs, err := c.getAllRSs(d, rsList, false)
	if err != nil {
		return false, err
	}
	for _, rs := range activeRSs(append(oldRSs, newRS)) {
		v, ok := rs.Annotations[AnnotationDesiredReplicas]
		if !ok {
			continue
		}
		desired, err := strconv.ParseUint(v, 10, 31)
		if err != nil {
			continue
		}
		if int32(desired) != *d.Spec.Replicas {
			return true, nil
		}
	}
	return false, nil
}

// scale is the deployment controller's scale: resize the one active set, or spread a change
// of spec.replicas over the active sets in proportion to their sizes (proportional scaling).
func (c *DeploymentController) scale(d *appsv1.Deployment, newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) error {
	if target := activeOrLatest(newRS, oldRSs); target != nil {
		if rsReplicas(target) == *d.Spec.Replicas {
			return nil
		}
		_, _, err := c.scaleReplicaSet(target, *d.Spec.Replicas, d, false)
		return err
	}
	if isSaturated(d, newRS) {
		for _, old := range activeRSs(oldRSs) {
			if _, _, err := c.scaleReplicaSet(old, 0, d, false); err != nil {
				return err
			}
		}
		return nil
	}
	if !isRollingUpdate(d) {
		return nil
	}
	all := activeRSs(append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS))
	allowed := int32(0)
	if *d.Spec.Replicas > 0 {
		allowed = *d.Spec.Replicas + maxSurge(d)
	}
	toAdd := allowed - specCount(all)
	switch {
	case toAdd > 0: // larger first, newer first among equals
		sort.SliceStable(all, func(i, j int) bool {
			if rsReplicas(all[i]) == rsReplicas(all[j]) {
				return olderRS(all[j], all[i])
			}
			return rsReplicas(all[i]) > rsReplicas(all[j])
		})
	case toAdd < 0: // larger first, older first among equals
		sort.SliceStable(all, func(i, j int) bool {
			if rsReplicas(all[i]) == rsReplicas(all[j]) {
				return olderRS(all[i], all[j])
			}
			return rsReplicas(all[i]) > rsReplicas(all[j])
		})
	}
	added := int32(0)
	size := map[string]int32{}
	for _, rs := range all {
		if toAdd != 0 {
			p := c.proportion(rs, d, toAdd, added)
			size[rs.Name] = rsReplicas(rs) + p
			added += p
		} else {
			size[rs.Name] = rsReplicas(rs)
		}
	}
	for i, rs := range all {
		if i == 0 && toAdd != 0 {
			size[rs.Name] = max(size[rs.Name]+toAdd-added, 0)
		}
		if _, _, err := c.scaleReplicaSet(rs, size[rs.Name], d, true); err != nil {
			return err
		}
	}
	return nil
}

func olderRS(a, b *appsv1.ReplicaSet) bool {
	if a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.Name < b.Name
	}
	return a.CreationTimestamp.Before(&b.CreationTimestamp)
}

// activeOrLatest is FindActiveOrLatest: the only active set, or the newest when none is.
func activeOrLatest(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet) *appsv1.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	olds := append([]*appsv1.ReplicaSet(nil), oldRSs...)
	sort.SliceStable(olds, func(i, j int) bool { return olderRS(olds[j], olds[i]) })
	all := activeRSs(append(olds, newRS))
	switch len(all) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return olds[0]
	case 1:
		return all[0]
	}
	return nil
}

func isSaturated(d *appsv1.Deployment, rs *appsv1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, err := strconv.Atoi(rs.Annotations[AnnotationDesiredReplicas])
	if err != nil {
		return false
	}
	return rsReplicas(rs) == *d.Spec.Replicas && int32(desired) == *d.Spec.Replicas && rs.Status.AvailableReplicas == *d.Spec.Replicas
}

// proportion is GetReplicaSetProportion: a set's share of the replicas being added or removed.
func (c *DeploymentController) proportion(rs *appsv1.ReplicaSet, d *appsv1.Deployment, toAdd, added int32) int32 {
	if rs == nil || rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	frac := rsFraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(frac, allowed)
	}
	return max(frac, allowed)
}

func rsFraction(rs *appsv1.ReplicaSet, d *appsv1.Deployment) int32 {
	if *d.Spec.Replicas == 0 {
		return -rsReplicas(rs)
	}
	maxNow := *d.Spec.Replicas + maxSurge(d)
	before := int32(0)
	if v, err := strconv.ParseUint(rs.Annotations[AnnotationMaxReplicas], 10, 31); err == nil {
		before = int32(v)
	}
	if before == 0 {
		before = d.Status.Replicas
		if before == 0 {
			return 0
		}
	}
	size := float64(rsReplicas(rs)*maxNow) / float64(before)
	return int32(math.Round(size)) - rsReplicas(rs)
}

// cleanup is cleanupDeployment: delete the oldest empty sets beyond revisionHistoryLimit.
func (c *DeploymentController) cleanup(oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment) error {
	if d.Spec.RevisionHistoryLimit == nil || *d.Spec.RevisionHistoryLimit == math.MaxInt32 {
		return nil
	}
	var alive []*appsv1.ReplicaSet
	for _, rs := range oldRSs {
		if rs != nil && rs.DeletionTimestamp == nil {
			alive = append(alive, rs)
		}
	}
	diff := int32(len(alive)) - *d.Spec.RevisionHistoryLimit
	if diff <= 0 {
		return nil
	}
	sort.SliceStable(alive, func(i, j int) bool {
		ri, rj := revisionOfRS(alive[i]), revisionOfRS(alive[j])
		if ri == rj {
			return olderRS(alive[i], alive[j])
		}
		return ri < rj
	})
	for i := int32(0); i < diff; i++ {
		rs := alive[i]
		if rs.Status.Replicas != 0 || rsReplicas(rs) != 0 || rs.Generation > rs.Status.ObservedGeneration || rs.DeletionTimestamp != nil {
			continue
		}
		uid := rs.UID
		if _, err := c.env.Store.Delete(rsRes, rs.Namespace, rs.Name, store.DeleteOptions{PreconditionUID: &uid, Owned: true}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
	}
	return nil
}

// --- status --------------------------------------------------------------------------------

func (c *DeploymentController) calculateStatus(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) appsv1.DeploymentStatus {
	avail := sumRS(all, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.AvailableReplicas })
	total := specCount(all)
	st := appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            sumRS(all, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.Replicas }),
		UpdatedReplicas:     sumRS([]*appsv1.ReplicaSet{newRS}, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.Replicas }),
		ReadyReplicas:       sumRS(all, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.ReadyReplicas }),
		AvailableReplicas:   avail,
		UnavailableReplicas: max(total-avail, 0),
		CollisionCount:      d.Status.CollisionCount,
		TerminatingReplicas: terminatingCount(all),
	}
	st.Conditions = append(st.Conditions, d.Status.Conditions...)
	if avail >= *d.Spec.Replicas-maxUnavailable(d) {
		setCondition(&st, c.newCondition(appsv1.DeploymentAvailable, corev1.ConditionTrue, reasonMinAvailable, "Deployment has minimum availability."))
	} else {
		setCondition(&st, c.newCondition(appsv1.DeploymentAvailable, corev1.ConditionFalse, reasonMinUnavailable, "Deployment does not have minimum availability."))
	}
	return st
}

func terminatingCount(all []*appsv1.ReplicaSet) *int32 {
	n := int32(0)
	for _, rs := range all {
		switch {
		case rs == nil:
		case rs.Status.ObservedGeneration == 0 && rs.Status.TerminatingReplicas == nil:
		case rs.Status.TerminatingReplicas == nil:
			return nil
		default:
			n += *rs.Status.TerminatingReplicas
		}
	}
	return &n
}

func (c *DeploymentController) syncDeploymentStatus(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	st := c.calculateStatus(all, newRS, d)
	if equality.Semantic.DeepEqual(d.Status, st) {
		return nil
	}
	d.Status = st
	return c.persist(d)
}

func deploymentComplete(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	r := *d.Spec.Replicas
	return st.UpdatedReplicas == r && st.Replicas == r && st.AvailableReplicas == r && st.ObservedGeneration >= d.Generation
}

func deploymentProgressing(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	old := d.Status
	return st.UpdatedReplicas > old.UpdatedReplicas ||
		st.Replicas-st.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		st.ReadyReplicas > old.ReadyReplicas ||
		st.AvailableReplicas > old.AvailableReplicas
}

func (c *DeploymentController) timedOut(d *appsv1.Deployment, st *appsv1.DeploymentStatus) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	cond := getCondition(*st, appsv1.DeploymentProgressing)
	if cond == nil || cond.Reason == reasonNewRSAvailable {
		return false
	}
	if cond.Reason == reasonTimedOut {
		return true
	}
	return cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(c.env.Store.Now())
}

// syncRolloutStatus is syncDeploymentStatus plus the Progressing condition and the progress
// deadline check.
func (c *DeploymentController) syncRolloutStatus(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	all = c.refreshAll(all)
	newRS = c.refresh(newRS)
	st := c.calculateStatus(all, newRS, d)
	if !hasProgressDeadline(d) {
		removeCondition(&st, appsv1.DeploymentProgressing)
	}
	cur := getCondition(d.Status, appsv1.DeploymentProgressing)
	complete := st.Replicas == st.UpdatedReplicas && cur != nil && cur.Reason == reasonNewRSAvailable
	if hasProgressDeadline(d) && !complete {
		switch {
		case deploymentComplete(d, &st):
			msg := fmt.Sprintf("Deployment %q has successfully progressed.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name)
			}
			setCondition(&st, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonNewRSAvailable, msg))
		case deploymentProgressing(d, &st):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)
			}
			cond := c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, reasonRSUpdated, msg)
			if cur != nil {
				if cur.Status == corev1.ConditionTrue {
					cond.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(&st, appsv1.DeploymentProgressing)
			}
			setCondition(&st, cond)
		case c.timedOut(d, &st):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)
			}
			setCondition(&st, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, reasonTimedOut, msg))
		}
	}
	if equality.Semantic.DeepEqual(d.Status, st) {
		c.requeueStuck(d, st)
		return nil
	}
	d.Status = st
	return c.persist(d)
}

// requeueStuck checks the progress deadline again when it would pass.
func (c *DeploymentController) requeueStuck(d *appsv1.Deployment, st appsv1.DeploymentStatus) {
	cur := getCondition(d.Status, appsv1.DeploymentProgressing)
	if !hasProgressDeadline(d) || cur == nil || deploymentComplete(d, &st) || cur.Reason == reasonTimedOut {
		return
	}
	after := cur.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(c.env.Store.Now())
	if after < time.Second {
		after = time.Second
	} else {
		after += time.Second
	}
	c.env.Queue.AddAfter(after, c.key(d.Namespace, d.Name))
}

// --- strategies ----------------------------------------------------------------------------

func (c *DeploymentController) rolloutRolling(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllRSs(d, rsList, true)
	if err != nil {
		return err
	}
	all := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaledUp, err := c.reconcileNewRS(all, newRS, d)
	if err != nil {
		return err
	}
	if scaledUp {
		return c.syncRolloutStatus(all, newRS, d)
	}
	scaledDown, err := c.reconcileOldRSs(all, activeRSs(oldRSs), c.refresh(newRS), d)
	if err != nil {
		return err
	}
	if scaledDown {
		return c.syncRolloutStatus(all, newRS, d)
	}
	if deploymentComplete(d, &d.Status) {
		if err := c.cleanup(c.refreshAll(oldRSs), d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(all, newRS, d)
}

func (c *DeploymentController) reconcileNewRS(all []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (bool, error) {
	if rsReplicas(newRS) == *d.Spec.Replicas {
		return false, nil
	}
	if rsReplicas(newRS) > *d.Spec.Replicas {
		scaled, _, err := c.scaleReplicaSet(newRS, *d.Spec.Replicas, d, false)
		return scaled, err
	}
	scaled, _, err := c.scaleReplicaSet(newRS, newRSNewReplicas(d, all, newRS), d, false)
	return scaled, err
}

func (c *DeploymentController) reconcileOldRSs(all, oldRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (bool, error) {
	oldCount := specCount(oldRSs)
	if oldCount == 0 {
		return false, nil
	}
	all = c.refreshAll(all)
	allCount := specCount(all)
	minAvailable := *d.Spec.Replicas - maxUnavailable(d)
	newUnavailable := rsReplicas(newRS) - newRS.Status.AvailableReplicas
	maxScaledDown := allCount - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false, nil
	}
	oldRSs, cleaned, err := c.cleanupUnhealthy(oldRSs, d, maxScaledDown)
	if err != nil {
		return false, nil
	}
	scaledDown, err := c.scaleDownOldForRolling(append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS), oldRSs, d)
	if err != nil {
		return false, nil
	}
	return cleaned+scaledDown > 0, nil
}

// cleanupUnhealthy scales old sets down by their unavailable pods first, oldest first.
func (c *DeploymentController) cleanupUnhealthy(oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment, maxCleanup int32) ([]*appsv1.ReplicaSet, int32, error) {
	sortByCreation(oldRSs)
	total := int32(0)
	for i, rs := range oldRSs {
		if total >= maxCleanup {
			break
		}
		if rsReplicas(rs) == 0 || rsReplicas(rs) == rs.Status.AvailableReplicas {
			continue
		}
		n := min(maxCleanup-total, rsReplicas(rs)-rs.Status.AvailableReplicas)
		_, updated, err := c.scaleReplicaSet(rs, rsReplicas(rs)-n, d, false)
		if err != nil {
			return nil, total, err
		}
		total += n
		oldRSs[i] = updated
	}
	return oldRSs, total, nil
}

func (c *DeploymentController) scaleDownOldForRolling(all, oldRSs []*appsv1.ReplicaSet, d *appsv1.Deployment) (int32, error) {
	minAvailable := *d.Spec.Replicas - maxUnavailable(d)
	avail := sumRS(all, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.AvailableReplicas })
	if avail <= minAvailable {
		return 0, nil
	}
	sortByCreation(oldRSs)
	total, want := int32(0), avail-minAvailable
	for _, rs := range oldRSs {
		if total >= want {
			break
		}
		if rsReplicas(rs) == 0 {
			continue
		}
		n := min(rsReplicas(rs), want-total)
		if _, _, err := c.scaleReplicaSet(rs, rsReplicas(rs)-n, d, false); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (c *DeploymentController) rolloutRecreate(d *appsv1.Deployment, rsList []*appsv1.ReplicaSet) error {
	newRS, oldRSs, err := c.getAllRSs(d, rsList, false)
	if err != nil {
		return err
	}
	all := append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	scaled := false
	for _, rs := range activeRSs(oldRSs) {
		s, _, err := c.scaleReplicaSet(rs, 0, d, false)
		if err != nil {
			return err
		}
		scaled = scaled || s
	}
	if scaled {
		return c.syncRolloutStatus(all, newRS, d)
	}
	if c.oldPodsRunning(newRS, c.refreshAll(oldRSs), d.Namespace) {
		return c.syncRolloutStatus(all, newRS, d)
	}
	if newRS == nil {
		if newRS, oldRSs, err = c.getAllRSs(d, rsList, true); err != nil {
			return err
		}
		all = append(append([]*appsv1.ReplicaSet(nil), oldRSs...), newRS)
	}
	if _, _, err := c.scaleReplicaSet(newRS, *d.Spec.Replicas, d, false); err != nil {
		return err
	}
	if deploymentComplete(d, &d.Status) {
		if err := c.cleanup(c.refreshAll(oldRSs), d); err != nil {
			return err
		}
	}
	return c.syncRolloutStatus(all, newRS, d)
}

// oldPodsRunning: any old set still reports pods, or any pod of an old set is not terminal.
func (c *DeploymentController) oldPodsRunning(newRS *appsv1.ReplicaSet, oldRSs []*appsv1.ReplicaSet, ns string) bool {
	if sumRS(oldRSs, func(rs *appsv1.ReplicaSet) int32 { return rs.Status.Replicas }) > 0 {
		return true
	}
	olds := map[types.UID]bool{}
	for _, rs := range oldRSs {
		if rs != nil {
			olds[rs.UID] = true
		}
	}
	for uid := range olds {
		if newRS != nil && uid == newRS.UID {
			continue
		}
		running := false
		c.env.Store.SelectFunc(podsRes, store.Query{Namespace: ns, Owner: uid}, func(o runtime.Object) bool {
			p := o.(*corev1.Pod)
			if ref := controllerRef(p); ref != nil && ref.UID == uid && p.Status.Phase != corev1.PodFailed && p.Status.Phase != corev1.PodSucceeded {
				running = true
			}
			return !running
		})
		if running {
			return true
		}
	}
	return false
}
