package controller

import (
	"encoding/json"
	"sort"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const (
	componentDS = "daemonset-controller"
	// LabelPodTemplateGeneration is the DaemonSet's template generation on its pods.
	LabelPodTemplateGeneration = "pod-template-generation"
)

// DaemonSetController follows kube-controller-manager's daemon controller: one pod per node
// that should run it, pinned to its node by node affinity (the scheduler then binds it
// there), the tolerations upstream adds, ControllerRevisions for history, and RollingUpdate
// (delete an old pod within maxUnavailable, then create its replacement) or OnDelete.
type DaemonSetController struct {
	env Env
	rec *Recorder
	sel *selectorCache
}

// NewDaemonSetController makes the controller.
func NewDaemonSetController(env Env, rec *Recorder) *DaemonSetController {
	return &DaemonSetController{env: env, rec: rec, sel: newSelectorCache()}
}

func (c *DaemonSetController) Name() string { return "daemonset" }

func (c *DaemonSetController) key(ns, name string) Key {
	return Key{Controller: c.Name(), Namespace: ns, Name: name}
}

func (c *DaemonSetController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case dsRes.Name:
		ds := ev.Object.(*appsv1.DaemonSet)
		c.sel.observe(string(ev.Type), ds.Namespace, ds.Name, ds.Spec.Selector)
		c.env.Queue.Add(c.key(ds.Namespace, ds.Name))
	case podsRes.Name:
		c.sel.routeDependent(ev, "DaemonSet", func(ns, name string) { c.env.Queue.Add(c.key(ns, name)) })
	case nodesRes.Name:
		c.sel.mu.Lock()
		for ns, names := range c.sel.sels {
			for name := range names {
				c.env.Queue.Add(c.key(ns, name))
			}
		}
		c.sel.mu.Unlock()
	}
}

// daemonPodNode is the node a DaemonSet pod is pinned to by its required node affinity on
// metadata.name, as ReplaceDaemonSetPodNodeNameNodeAffinity writes it; "" for other pods.
func daemonPodNode(p *corev1.Pod) string {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, f := range t.MatchFields {
			if f.Key == metav1.ObjectNameField && f.Operator == corev1.NodeSelectorOpIn && len(f.Values) == 1 {
				return f.Values[0]
			}
		}
	}
	return ""
}

// daemonTolerations are what AddOrUpdateDaemonPodTolerations adds.
var daemonTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// shouldRun: the node matches the template's nodeSelector and its NoSchedule/NoExecute
// taints are tolerated (the DaemonSet's own tolerations plus the ones upstream adds).
func shouldRun(ds *appsv1.DaemonSet, node *corev1.Node) bool {
	if !labels.SelectorFromSet(ds.Spec.Template.Spec.NodeSelector).Matches(labels.Set(node.Labels)) {
		return false
	}
	tols := append(append([]corev1.Toleration(nil), ds.Spec.Template.Spec.Tolerations...), daemonTolerations...)
	for i := range node.Spec.Taints {
		t := &node.Spec.Taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		ok := false
		for j := range tols {
			if tolerates(&tols[j], t) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (c *DaemonSetController) Sync(k Key) error {
	obj, err := c.env.Store.Get(dsRes, k.Namespace, k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ds := obj.(*appsv1.DaemonSet)
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil
	}
	owned, err := claimPods(c.env.Store, ds.Namespace, sel, ds, "DaemonSet", ds.DeletionTimestamp == nil)
	if err != nil {
		return err
	}
	if ds.DeletionTimestamp != nil {
		return nil
	}
	hash, err := c.syncRevision(ds)
	if err != nil {
		return err
	}
	byNode := map[string][]*corev1.Pod{}
	for _, p := range owned {
		if p.DeletionTimestamp != nil && (p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed) {
			continue
		}
		n := p.Spec.NodeName
		if n == "" {
			n = daemonPodNode(p)
		}
		byNode[n] = append(byNode[n], p)
	}
	for _, ps := range byNode {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].CreationTimestamp.Before(&ps[j].CreationTimestamp) })
	}
	nodeObjs, _ := c.env.Store.List(nodesRes, "", nil, nil)
	var nodes []*corev1.Node
	for _, o := range nodeObjs {
		nodes = append(nodes, o.(*corev1.Node))
	}
	now := c.env.Store.Now()

	var create []string
	var del []*corev1.Pod
	known := map[string]bool{}
	for _, n := range nodes {
		known[n.Name] = true
		pods := byNode[n.Name]
		if !shouldRun(ds, n) {
			for _, p := range pods {
				if p.DeletionTimestamp == nil {
					del = append(del, p)
				}
			}
			continue
		}
		if len(pods) == 0 {
			create = append(create, n.Name)
			continue
		}
		var running []*corev1.Pod
		for _, p := range pods {
			if p.DeletionTimestamp != nil {
				continue
			}
			if p.Status.Phase == corev1.PodFailed {
				c.rec.Eventf(ds, componentDS, "", corev1.EventTypeWarning, "FailedDaemonPod", "Found failed daemon pod %s/%s on node %s, will try to kill it", p.Namespace, p.Name, n.Name)
				del = append(del, p)
				continue
			}
			running = append(running, p)
		}
		if len(running) > 1 {
			del = append(del, excessDaemonPods(ds, running, hash, now)...)
		}
	}
	for n, pods := range byNode {
		if known[n] || n == "" {
			continue
		}
		for _, p := range pods { // pods of nodes that are gone
			if p.DeletionTimestamp == nil {
				del = append(del, p)
			}
		}
	}
	if ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if surge := maxSurgeOf(ds, nodes); surge > 0 {
			more, moreDel := surgeUpdate(ds, nodes, byNode, hash, now, del, surge)
			create = append(create, more...)
			del = append(del, moreDel...)
		} else {
			del = append(del, c.rollingDeletes(ds, nodes, byNode, hash, now, del)...)
		}
	}
	for _, n := range create {
		if err := c.createPod(ds, n, hash); err != nil {
			return err
		}
	}
	for _, p := range del {
		uid := p.UID
		_, err := c.env.Store.Delete(podsRes, p.Namespace, p.Name, store.DeleteOptions{PreconditionUID: &uid, Owned: true})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return err
		}
		c.rec.Eventf(ds, componentDS, "", corev1.EventTypeNormal, "SuccessfulDelete", "Deleted pod: %s", p.Name)
	}
	return c.updateStatus(ds, nodes, byNode, hash, now)
}

// excessDaemonPods picks the surplus pods on one node (sorted oldest first). Without surge
// the oldest stays. With maxSurge, two pods may stay only while the oldest updated pod is not
// ready and the oldest old pod is; otherwise the updated pod (or the oldest) stays alone.
func excessDaemonPods(ds *appsv1.DaemonSet, running []*corev1.Pod, hash string, now time.Time) []*corev1.Pod {
	keep := map[*corev1.Pod]bool{running[0]: true}
	if ds.Spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType && ds.Spec.UpdateStrategy.RollingUpdate != nil &&
		intOrPercentIsPositive(ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge) {
		gen := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
		var oldestNew, oldestOld *corev1.Pod
		for _, p := range running {
			if isUpdatedDaemonPod(p, hash, gen) {
				if oldestNew == nil {
					oldestNew = p
				}
			} else if oldestOld == nil {
				oldestOld = p
			}
		}
		keep = map[*corev1.Pod]bool{}
		switch {
		case oldestNew != nil && oldestOld != nil && !isPodReady(oldestNew) && isPodReady(oldestOld):
			keep[oldestNew], keep[oldestOld] = true, true
		case oldestNew != nil:
			keep[oldestNew] = true
		default:
			keep[running[0]] = true
		}
	}
	var out []*corev1.Pod
	for _, p := range running {
		if !keep[p] {
			out = append(out, p)
		}
	}
	return out
}

func intOrPercentIsPositive(v *intstr.IntOrString) bool {
	if v == nil {
		return false
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(v, 100, true)
	return err == nil && n > 0
}

func maxSurgeOf(ds *appsv1.DaemonSet, nodes []*corev1.Node) int {
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ru == nil || ru.MaxSurge == nil {
		return 0
	}
	desired := 0
	for _, n := range nodes {
		if shouldRun(ds, n) {
			desired++
		}
	}
	v, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxSurge, desired, true)
	if err != nil {
		return 0
	}
	return v
}

// surgeUpdate is rollingUpdate with maxSurge: a node with only an old pod gets a new pod
// beside it while fewer than maxSurge nodes are surging (at once when the old pod is not
// available); the old pod goes once the new one is available.
func surgeUpdate(ds *appsv1.DaemonSet, nodes []*corev1.Node, byNode map[string][]*corev1.Pod, hash string, now time.Time, already []*corev1.Pod, maxSurge int) ([]string, []*corev1.Pod) {
	gen := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
	skip := map[string]bool{}
	for _, p := range already {
		skip[p.Name] = true
	}
	type state struct {
		node     string
		old, new *corev1.Pod
	}
	var states []state
	surging := 0
	for _, n := range nodes {
		if !shouldRun(ds, n) {
			continue
		}
		st := state{node: n.Name}
		for _, p := range byNode[n.Name] {
			if p.DeletionTimestamp != nil || skip[p.Name] {
				continue
			}
			if isUpdatedDaemonPod(p, hash, gen) {
				if st.new == nil {
					st.new = p
				}
			} else if st.old == nil {
				st.old = p
			}
		}
		if st.old != nil && st.new != nil {
			surging++
		}
		states = append(states, st)
	}
	var create []string
	var del []*corev1.Pod
	for _, st := range states {
		switch {
		case st.old == nil:
		case st.new != nil:
			if isPodAvailable(st.new, ds.Spec.MinReadySeconds, now) {
				del = append(del, st.old)
			}
		case !isPodAvailable(st.old, ds.Spec.MinReadySeconds, now):
			create = append(create, st.node)
		case surging < maxSurge:
			create = append(create, st.node)
			surging++
		}
	}
	return create, del
}

func isUpdatedDaemonPod(p *corev1.Pod, hash, gen string) bool {
	if h, ok := p.Labels[LabelRevisionHash]; ok {
		return h == hash
	}
	return p.Labels[LabelPodTemplateGeneration] == gen
}

// rollingDeletes is rollingUpdate with maxSurge 0: old pods that are not available go at
// once; available ones go while fewer than maxUnavailable nodes lack an available pod.
func (c *DaemonSetController) rollingDeletes(ds *appsv1.DaemonSet, nodes []*corev1.Node, byNode map[string][]*corev1.Pod, hash string, now time.Time, already []*corev1.Pod) []*corev1.Pod {
	gen := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
	desired := 0
	for _, n := range nodes {
		if shouldRun(ds, n) {
			desired++
		}
	}
	maxU := 1
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
		v, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, desired, true)
		if err == nil {
			maxU = v
		}
	}
	skip := map[string]bool{}
	for _, p := range already {
		skip[p.Name] = true
	}
	unavailable := 0
	var candidates, now0 []*corev1.Pod
	for _, n := range nodes {
		if !shouldRun(ds, n) {
			continue
		}
		var live []*corev1.Pod
		for _, p := range byNode[n.Name] {
			if p.DeletionTimestamp == nil && !skip[p.Name] {
				live = append(live, p)
			}
		}
		if len(live) == 0 {
			unavailable++
			continue
		}
		p := live[0]
		avail := isPodAvailable(p, ds.Spec.MinReadySeconds, now)
		if !avail {
			unavailable++
		}
		if isUpdatedDaemonPod(p, hash, gen) {
			continue
		}
		if !avail {
			now0 = append(now0, p)
		} else {
			candidates = append(candidates, p)
		}
	}
	out := now0
	for _, p := range candidates {
		if unavailable >= maxU {
			break
		}
		out = append(out, p)
		unavailable++
	}
	return out
}

func (c *DaemonSetController) createPod(ds *appsv1.DaemonSet, node, hash string) error {
	t := ds.Spec.Template.DeepCopy()
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Labels[LabelRevisionHash] = hash
	if gen := ds.Annotations[appsv1.DeprecatedTemplateGeneration]; gen != "" {
		t.Labels[LabelPodTemplateGeneration] = gen
	}
	pod := podFromTemplate(t, ds.Namespace, ds.Name+"-", ownerRefFor("DaemonSet", ds.Name, ds.UID))
	for _, tol := range daemonTolerations {
		found := false
		for _, x := range pod.Spec.Tolerations {
			if x.Key == tol.Key && x.Effect == tol.Effect {
				found = true
			}
		}
		if !found {
			pod.Spec.Tolerations = append(pod.Spec.Tolerations, tol)
		}
	}
	pinToNode(&pod.Spec, node)
	out, err := c.env.Store.Create(podsRes, pod)
	if err != nil {
		c.rec.Eventf(ds, componentDS, "", corev1.EventTypeWarning, "FailedCreate", "Error creating: %v", err)
		return err
	}
	c.rec.Eventf(ds, componentDS, "", corev1.EventTypeNormal, "SuccessfulCreate", "Created pod: %s", out.(*corev1.Pod).Name)
	return nil
}

// pinToNode sets the required node affinity term matching metadata.name, replacing any
// other required terms, as ReplaceDaemonSetPodNodeNameNodeAffinity does.
func pinToNode(spec *corev1.PodSpec, node string) {
	term := corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{
		Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}}}
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}
}

// syncRevision makes sure a ControllerRevision <ds>-<hash> holds the current template with
// the highest revision number, and returns the hash.
func (c *DaemonSetController) syncRevision(ds *appsv1.DaemonSet) (string, error) {
	hash := PodTemplateHash(&ds.Spec.Template, ds.Status.CollisionCount)
	objs, _ := c.env.Store.List(revRes, ds.Namespace, nil, nil)
	var maxRev int64
	var cur *appsv1.ControllerRevision
	for _, o := range objs {
		cr := o.(*appsv1.ControllerRevision)
		if ref := controllerRef(cr); ref == nil || ref.UID != ds.UID {
			continue
		}
		if cr.Revision > maxRev {
			maxRev = cr.Revision
		}
		if cr.Labels[LabelRevisionHash] == hash {
			cur = cr
		}
	}
	if cur != nil {
		if cur.Revision < maxRev {
			cur.Revision = maxRev + 1
			if _, err := c.env.Store.Update(revRes, cur, store.UpdateOptions{}); err != nil {
				return "", err
			}
		}
		return hash, nil
	}
	// The revision's data is the strategic patch that restores this template (getPatch).
	tmpl, err := runtime.DefaultUnstructuredConverter.ToUnstructured(ds.Spec.Template.DeepCopy())
	if err != nil {
		return "", err
	}
	tmpl["$patch"] = "replace"
	raw, err := json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
	if err != nil {
		return "", err
	}
	l := copyMap(ds.Spec.Template.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelRevisionHash] = hash
	cr := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: ds.Name + "-" + hash, Namespace: ds.Namespace, Labels: l,
			Annotations:     copyMap(ds.Annotations),
			OwnerReferences: []metav1.OwnerReference{ownerRefFor("DaemonSet", ds.Name, ds.UID)}},
		Data:     runtime.RawExtension{Raw: raw},
		Revision: maxRev + 1,
	}
	if _, err := c.env.Store.Create(revRes, cr); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	return hash, nil
}

func (c *DaemonSetController) updateStatus(ds *appsv1.DaemonSet, nodes []*corev1.Node, byNode map[string][]*corev1.Pod, hash string, now time.Time) error {
	gen := ds.Annotations[appsv1.DeprecatedTemplateGeneration]
	st := *ds.Status.DeepCopy()
	var desired, current, mis, ready, updated, avail int32
	needRequeue := false
	for _, n := range nodes {
		pods := byNode[n.Name]
		if !shouldRun(ds, n) {
			if len(pods) > 0 {
				mis++
			}
			continue
		}
		desired++
		if len(pods) == 0 {
			continue
		}
		current++
		p := pods[0]
		if isPodReady(p) {
			ready++
			if isPodAvailable(p, ds.Spec.MinReadySeconds, now) {
				avail++
			} else {
				needRequeue = true
			}
		}
		if isUpdatedDaemonPod(p, hash, gen) {
			updated++
		}
	}
	st.DesiredNumberScheduled, st.CurrentNumberScheduled, st.NumberMisscheduled = desired, current, mis
	st.NumberReady, st.UpdatedNumberScheduled, st.NumberAvailable = ready, updated, avail
	st.NumberUnavailable = desired - avail
	st.ObservedGeneration = ds.Generation
	if needRequeue && ds.Spec.MinReadySeconds > 0 {
		c.env.Queue.AddAfter(time.Duration(ds.Spec.MinReadySeconds)*time.Second, c.key(ds.Namespace, ds.Name))
	}
	if equality.Semantic.DeepEqual(ds.Status, st) {
		return nil
	}
	ds.Status = st
	_, err := c.env.Store.Update(dsRes, ds, store.UpdateOptions{Status: true})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// tolerates is Toleration.ToleratesTaint without the comparison operators.
func tolerates(tol *corev1.Toleration, t *corev1.Taint) bool {
	if tol.Effect != "" && tol.Effect != t.Effect {
		return false
	}
	if tol.Key != "" && tol.Key != t.Key {
		return false
	}
	switch tol.Operator {
	case "", corev1.TolerationOpEqual:
		return tol.Value == t.Value
	case corev1.TolerationOpExists:
		return true
	}
	return false
}
