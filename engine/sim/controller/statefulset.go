package controller

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Labels the StatefulSet controller sets (the real names).
const (
	LabelPodName      = appsv1.StatefulSetPodNameLabel        // statefulset.kubernetes.io/pod-name
	LabelPodIndex     = appsv1.PodIndexLabel                  // apps.kubernetes.io/pod-index
	LabelRevisionHash = appsv1.ControllerRevisionHashLabelKey // controller-revision-hash
	LabelHash         = "controller.kubernetes.io/hash"
	componentSTS      = "statefulset-controller"
)

// StatefulSetController follows kube-controller-manager's statefulset controller
// (stateful_set_control.go): adopt and release pods and revisions, compute the current and
// update revisions, then per sync create missing pods (after their claims), delete condemned
// pods, and roll old-revision pods, one step at a time under OrderedReady.
type StatefulSetController struct {
	env Env
	rec *Recorder

	mu   sync.Mutex
	sets map[string]cachedSet // "ns/name" -> selector, kept by Observe for routing pod events

	// Explanatory events (statefulset_why.go); used only on the loop goroutine.
	notes     []whyNote
	gone      []types.UID // deleted sets whose explanations can be forgotten (guarded by mu)
	explained map[types.UID]map[whyNote]bool
	// updateChecked: this sync reached the update phase (rolling update or OnDelete).
	updateChecked bool
	// applied caches applyRevision per set generation and revision (loop goroutine only):
	// decoding a revision's template once, not once per pod created.
	applied map[appliedKey]*appsv1.StatefulSet
	// patches caches revisionPatch per set uid (loop goroutine only; forgotten with the set).
	patches map[types.UID]cachedPatch
	// cur and upd are this sync's revisions, for building the pods it creates.
	cur, upd *appsv1.ControllerRevision
	// wrotePods: this sync created, deleted or changed a pod, so the pods it read at the start
	// are no longer the pods it owns.
	wrotePods bool

	// facts per stored pod version (statefulset_facts.go); loop goroutine only.
	facts    map[*corev1.Pod]*podFacts
	syncs    uint64 // syncs so far, to age facts out
	lastPods int    // pods of the last sync, to size the facts
	// claimSeq counts claim events and claimSeqs stamps each claim ("ns/name") with the count
	// of its last event (the map guarded by mu; both written by Observe under mu).
	claimSeq  atomic.Uint64
	claimSeqs map[string]uint64
	claimLog  []claimEvent // the latest claim events, oldest first (guarded by mu)

	// A sync whose inputs did not move since the last one changes nothing: clean holds, per
	// set ("ns/name"), the stored set version the last complete sync left (its own status
	// write, or what it read), and dirty marks sets that a pod, claim or revision event
	// touched since (guarded by mu). The sync its own status write queues is then skipped: at
	// a thousand pods it walked them all to find nothing to do. A sync that errs or waits on
	// the clock (minReadySeconds) leaves no clean mark.
	clean  map[string]*appsv1.StatefulSet // loop goroutine only
	dirty  map[string]bool
	timed  bool                // this sync queued itself for later
	stored *appsv1.StatefulSet // the set version this sync leaves (nil: unknown, no clean mark)

	sameMemo map[dataPair]bool // sameData's answers (loop goroutine only)

	bufPods  []*corev1.Pod // reconcile's replicas, reused (loop goroutine only)
	bufFacts []*podFacts

	// views: each set's member pods with their facts (statefulset_view.go), kept from the pods
	// that changed: podNames holds, per set ("ns/name"), the pods whose events touched it since
	// its last sync, fullPods the sets that must claim pods from a list (guarded by mu).
	views    map[string]*stsView // loop goroutine only
	podNames map[string]map[string]struct{}
	fullPods map[string]bool
	// fastView is the view reconcileFast works from, during it (loop goroutine only).
	fastView  *stsView
	bufVisits []fastVisit

	// Verify makes every reconcileFast check its view against what the full walk reads
	// first (tests set it); VerifyErr reports the first difference.
	Verify    bool
	verifyErr error // guarded by mu
	fastSyncs atomic.Uint64
}

// FastSyncs counts the syncs that visited only the ordinals needing attention.
func (c *StatefulSetController) FastSyncs() uint64 { return c.fastSyncs.Load() }

type cachedSet struct {
	ns, name string
	sel      labels.Selector
	from     *metav1.LabelSelector // the stored spec.selector sel was parsed from (shared by status writes)
}

// parsed: sel was parsed from this stored spec.selector.
func (cs cachedSet) parsed(s *metav1.LabelSelector) bool { return cs.from != nil && cs.from == s }

// selectorOf is set's parsed selector, reused while the stored versions share the
// spec.selector it was parsed from (a status write keeps the stored spec): parsing it again on
// every event and sync was a few KB per pod step of a rolling update.
func (c *StatefulSetController) selectorOf(set *appsv1.StatefulSet) (labels.Selector, error) {
	c.mu.Lock()
	cs, ok := c.sets[set.Namespace+"/"+set.Name]
	c.mu.Unlock()
	if ok && cs.parsed(set.Spec.Selector) {
		return cs.sel, nil
	}
	return metav1.LabelSelectorAsSelector(set.Spec.Selector)
}

// NewStatefulSetController makes the controller.
func NewStatefulSetController(env Env, rec *Recorder) *StatefulSetController {
	return &StatefulSetController{env: env, rec: rec, sets: map[string]cachedSet{}, explained: map[types.UID]map[whyNote]bool{},
		clean: map[string]*appsv1.StatefulSet{}, dirty: map[string]bool{}, views: map[string]*stsView{}, fullPods: map[string]bool{}}
}

func (c *StatefulSetController) Name() string { return "statefulset" }

// dropGone forgets the explanations of deleted sets.
func (c *StatefulSetController) dropGone() {
	c.mu.Lock()
	gone := c.gone
	c.gone = nil
	c.mu.Unlock()
	for _, uid := range gone {
		c.forgetWhy(uid)
		delete(c.patches, uid)
	}
}

func (c *StatefulSetController) key(ns, name string) Key {
	return Key{Controller: c.Name(), Namespace: ns, Name: name}
}

func (c *StatefulSetController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case stsRes.Name:
		set := ev.Object.(*appsv1.StatefulSet)
		k := set.Namespace + "/" + set.Name
		c.mu.Lock()
		if ev.Type == "DELETED" {
			delete(c.sets, k)
			c.gone = append(c.gone, set.UID)
		} else if cs, ok := c.sets[k]; ok && cs.parsed(set.Spec.Selector) {
			// The same stored selector (a status write): parsed already.
		} else if sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector); err == nil {
			c.sets[k] = cachedSet{ns: set.Namespace, name: set.Name, sel: sel, from: set.Spec.Selector}
		}
		c.mu.Unlock()
		c.env.Queue.Add(c.key(set.Namespace, set.Name))
	case podsRes.Name, revRes.Name, pvcRes.Name:
		if !stsInputsChanged(ev) {
			return
		}
		if ev.Resource.Name == pvcRes.Name {
			m := objMeta(ev.Object)
			c.mu.Lock()
			c.noteClaim(m.GetNamespace(), m.GetName())
			c.mu.Unlock()
		}
		for _, o := range []runtime.Object{ev.Old, ev.Object} {
			if o == nil {
				continue
			}
			m := objMeta(o)
			if ref := controllerRef(m); ref != nil {
				switch {
				case ref.Kind == "StatefulSet":
					c.mu.Lock()
					c.dirty[m.GetNamespace()+"/"+ref.Name] = true
					if ev.Resource.Name == podsRes.Name {
						c.notePod(m.GetNamespace()+"/"+ref.Name, m.GetName())
					}
					c.mu.Unlock()
					c.env.Queue.Add(c.key(m.GetNamespace(), ref.Name))
				case ref.Kind == "Pod" && ev.Resource.Name == pvcRes.Name:
					// A claim handed to a condemned pod (whenScaled=Delete): its set may be
					// waiting for it to go before recreating the pod (item 91).
					if parent, ord := parentAndOrdinal(ref.Name); ord >= 0 {
						c.mu.Lock()
						_, known := c.sets[m.GetNamespace()+"/"+parent]
						if known {
							c.dirty[m.GetNamespace()+"/"+parent] = true
						}
						c.mu.Unlock()
						if known {
							c.env.Queue.Add(c.key(m.GetNamespace(), parent))
						}
					}
				}
				continue
			}
			// An orphan: every set whose selector matches may adopt it (or needs the claim).
			c.mu.Lock()
			var keys []string
			for k, s := range c.sets {
				if s.ns == m.GetNamespace() && !s.sel.Empty() && s.sel.Matches(labels.Set(m.GetLabels())) {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				c.dirty[k] = true
				if ev.Resource.Name == podsRes.Name {
					c.fullPods[k] = true // it may be adopted: claimPods decides
				}
				c.env.Queue.Add(c.key(c.sets[k].ns, c.sets[k].name))
			}
			c.mu.Unlock()
		}
	}
}

// stsInputsChanged: a pod or claim event can change what a StatefulSet sync does or
// reports. Of a pod the controller reads its metadata (name, labels, owners, uid, deletion),
// its phase, whether it is Ready and since when, and its spec (generation moves with it, not
// with spec.nodeName, which it never reads); of a claim, whether it exists, its labels, owners
// and deletion. So a binding, a claim being provisioned, or a kubelet status step that leaves
// the phase and readiness alone (most of a pod's start) needs no sync: at a thousand pods each
// such sync walked them all for nothing.
func stsInputsChanged(ev store.Event) bool {
	if ev.Type != watch.Modified || ev.Old == nil {
		return true
	}
	switch o := ev.Object.(type) {
	case *corev1.Pod:
		old, ok := ev.Old.(*corev1.Pod)
		if !ok || o.Status.Phase != old.Status.Phase || o.Generation != old.Generation {
			return true
		}
		s1, r1 := readySince(o)
		s2, r2 := readySince(old)
		if r1 != r2 || !s1.Equal(s2) {
			return true
		}
		return !sameControlMeta(&o.ObjectMeta, &old.ObjectMeta)
	case *corev1.PersistentVolumeClaim:
		old, ok := ev.Old.(*corev1.PersistentVolumeClaim)
		return !ok || !sameControlMeta(&o.ObjectMeta, &old.ObjectMeta)
	}
	return true
}

// sameControlMeta: the metadata a controller reads did not change (only resourceVersion,
// annotations or managed fields may have).
func sameControlMeta(a, b *metav1.ObjectMeta) bool {
	return a.Name == b.Name && a.UID == b.UID && a.Generation == b.Generation &&
		(a.DeletionTimestamp == nil) == (b.DeletionTimestamp == nil) &&
		(a.DeletionTimestamp == nil || a.DeletionTimestamp.Equal(b.DeletionTimestamp)) &&
		store.SemanticEqual(a.DeletionGracePeriodSeconds, b.DeletionGracePeriodSeconds) &&
		store.SemanticEqual(a.Labels, b.Labels) && store.SemanticEqual(a.OwnerReferences, b.OwnerReferences) &&
		store.SemanticEqual(a.Finalizers, b.Finalizers)
}

// parentAndOrdinal parses <parent>-<ordinal> (upstream's `^(.*)-([0-9]+)$`); ordinal −1 when
// the name does not parse (item 95). Parsed by hand: it runs for every pod on every sync.
func parentAndOrdinal(name string) (string, int) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return "", -1
	}
	for _, r := range name[i+1:] {
		if r < '0' || r > '9' {
			return "", -1
		}
	}
	n, err := strconv.Atoi(name[i+1:])
	if err != nil {
		return "", -1
	}
	return name[:i], n
}

func ordinalOf(p *corev1.Pod) int { _, n := parentAndOrdinal(p.Name); return n }

func isMemberOf(set *appsv1.StatefulSet, p *corev1.Pod) bool {
	parent, _ := parentAndOrdinal(p.Name)
	return parent == set.Name
}

func podName(set *appsv1.StatefulSet, ord int) string { return set.Name + "-" + strconv.Itoa(ord) }

func claimName(tmpl string, set *appsv1.StatefulSet, ord int) string {
	return tmpl + "-" + set.Name + "-" + strconv.Itoa(ord)
}

func startOrdinal(set *appsv1.StatefulSet) int {
	if set.Spec.Ordinals != nil {
		return int(set.Spec.Ordinals.Start)
	}
	return 0
}

func specReplicas(set *appsv1.StatefulSet) int {
	if set.Spec.Replicas == nil {
		return 1
	}
	return int(*set.Spec.Replicas)
}

func setRef(set *appsv1.StatefulSet) metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "apps/v1", Kind: "StatefulSet", Name: set.Name, UID: set.UID,
		Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)}
}

func isCreated(p *corev1.Pod) bool     { return p.UID != "" }
func isTerminating(p *corev1.Pod) bool { return p.DeletionTimestamp != nil }
func isFailed(p *corev1.Pod) bool      { return p.Status.Phase == corev1.PodFailed }
func isSucceeded(p *corev1.Pod) bool   { return p.Status.Phase == corev1.PodSucceeded }
func isPending(p *corev1.Pod) bool     { return p.Status.Phase == corev1.PodPending }

func readySince(p *corev1.Pod) (time.Time, bool) {
	if p.Status.Phase != corev1.PodRunning {
		return time.Time{}, false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time, true
		}
	}
	return time.Time{}, false
}

func isRunningAndReady(p *corev1.Pod) bool { _, ok := readySince(p); return ok }

func (c *StatefulSetController) isAvailable(p *corev1.Pod, minReady int32) bool {
	since, ok := readySince(p)
	if !ok {
		return false
	}
	return minReady <= 0 || !since.Add(time.Duration(minReady)*time.Second).After(c.env.Store.Now())
}

func isHealthy(p *corev1.Pod) bool { return isCreated(p) && isRunningAndReady(p) && !isTerminating(p) }

func revisionOf(p *corev1.Pod) string { return p.Labels[LabelRevisionHash] }

// Sync reconciles one StatefulSet.
func (c *StatefulSetController) Sync(k Key) (err error) {
	key := k.Namespace + "/" + k.Name
	c.mu.Lock()
	dirty := c.dirty[key]
	delete(c.dirty, key)
	c.mu.Unlock()
	obj, ok := c.env.Store.Peek(stsRes, k.Namespace, k.Name)
	if !ok {
		delete(c.clean, key)
		delete(c.views, key)
		c.takeNames(key)
		c.dropGone()
		return nil
	}
	set := obj.(*appsv1.StatefulSet) // read-only: writes go through copies
	if !dirty && c.clean[key] == set {
		return nil // nothing it reads moved since the last sync, which left this very version
	}
	delete(c.clean, key)
	c.timed, c.stored = false, set
	defer func() {
		if err == nil && !c.timed && c.stored != nil {
			c.clean[key] = c.stored
		}
	}()
	c.wrotePods = false
	c.syncs++
	defer c.forgetFacts()
	c.dropGone()
	c.notes = nil
	defer c.flushWhy(set)
	sel, err := c.selectorOf(set)
	if err != nil || sel.Empty() {
		return nil // validation rejects these; nothing sensible to do
	}
	revisions, err := c.claimRevisions(set, sel)
	if err != nil {
		return err
	}
	v, err := c.memberView(key, set, sel)
	if err != nil {
		return err
	}
	cur, upd, collisions, err := c.revisions(set, revisions)
	if err != nil {
		return err
	}
	c.lastPods = v.size()
	var syncErr error
	if v.fastFits(set) && c.views[key] == v {
		c.fastSyncs.Add(1)
		syncErr = c.reconcileFast(set, cur, upd, v)
	} else {
		pods, pf := v.members()
		syncErr = c.reconcile(set, cur, upd, pods, pf)
	}
	if c.wrotePods {
		// After this sync's writes (their events named the pods); nothing below writes pods.
		if names, full := c.takeNames(key); full || !c.applyView(set, sel, v, names) {
			owned := c.ownedPods(set, sel)
			v = c.newView(set, sel, owned)
			delete(c.views, key) // the next sync claims from a list again
		}
	}
	if err := c.writeStatus(set, cur, upd, collisions, v); err != nil {
		return err
	}
	if syncErr != nil {
		return syncErr
	}
	return c.truncateHistory(set, v, cur, upd)
}

// memberView returns the set's member pods and their facts: its view brought up to date from
// the pods that changed, or claimPods' answer when the view does not fit or a change needs it.
func (c *StatefulSetController) memberView(key string, set *appsv1.StatefulSet, sel labels.Selector) (*stsView, error) {
	names, full := c.takeNames(key)
	if v := c.views[key]; !full && v.fits(set) && c.applyView(set, sel, v, names) {
		return v, nil
	}
	delete(c.views, key)
	pods, err := c.claimPods(set, sel)
	if err != nil {
		return nil, err
	}
	v := c.newView(set, sel, pods)
	c.views[key] = v
	return v, nil
}

// claimRevisions adopts orphan revisions that match and keeps the owned ones (item 67).
func (c *StatefulSetController) claimRevisions(set *appsv1.StatefulSet, sel labels.Selector) ([]*appsv1.ControllerRevision, error) {
	// Read-only from the store's index; copied before any write.
	objs := c.env.Store.Select(revRes, store.Query{Namespace: set.Namespace})
	var out []*appsv1.ControllerRevision
	for _, o := range objs {
		r := o.(*appsv1.ControllerRevision)
		match := sel.Matches(labels.Set(r.Labels))
		ref := controllerRef(r)
		switch {
		case ref != nil && ref.UID == set.UID:
			if match {
				out = append(out, r)
			} else if r.DeletionTimestamp == nil {
				if err := c.release(revRes, r.DeepCopy(), set.UID); err != nil {
					return nil, err
				}
			}
		case ref == nil && match && r.DeletionTimestamp == nil && set.DeletionTimestamp == nil:
			r = r.DeepCopy()
			r.OwnerReferences = append(r.OwnerReferences, setRef(set))
			u, err := c.env.Store.Update(revRes, r, store.UpdateOptions{})
			if err != nil {
				return nil, err
			}
			c.why(WhyAdopted, "StatefulSet %s adopted ControllerRevision %s: it had no controller and its labels match the selector %s.", set.Name, r.Name, sel)
			out = append(out, u.(*appsv1.ControllerRevision))
		}
	}
	return out, nil
}

// claimPods keeps owned pods that match, releases owned ones that no longer match, and adopts
// orphans named <set>-<n> that match (items 67, 71, 95).
func (c *StatefulSetController) claimPods(set *appsv1.StatefulSet, sel labels.Selector) ([]*corev1.Pod, error) {
	// Only pods that name this set as an owner, or have no controller, can matter: two index
	// lookups, merged back into the store's order. The pods are read-only (copied to write).
	objs := mergeByKey(c.env.Store.Select(podsRes, store.Query{Namespace: set.Namespace, Owner: set.UID}),
		c.env.Store.Select(podsRes, store.Query{Namespace: set.Namespace, Orphans: true}))
	var out []*corev1.Pod
	for _, o := range objs {
		p := o.(*corev1.Pod)
		if c.factsOf(set, sel, p).member {
			out = append(out, p)
			continue
		}
		match := sel.Matches(labels.Set(p.Labels)) && isMemberOf(set, p)
		ref := controllerRef(p)
		if ref != nil {
			if ref.UID != set.UID {
				continue
			}
			if match {
				out = append(out, p)
			} else if p.DeletionTimestamp == nil {
				if err := c.release(podsRes, p.DeepCopy(), set.UID); err != nil {
					return nil, err
				}
			}
			continue
		}
		if !match || p.DeletionTimestamp != nil || set.DeletionTimestamp != nil {
			continue
		}
		// RecheckDeletionTimestamp: a live read that the set still exists and is not deleting.
		fresh, ok := c.env.Store.Peek(stsRes, set.Namespace, set.Name)
		if !ok || fresh.(*appsv1.StatefulSet).UID != set.UID || fresh.(*appsv1.StatefulSet).DeletionTimestamp != nil {
			continue
		}
		p = p.DeepCopy()
		p.OwnerReferences = append(p.OwnerReferences, setRef(set))
		c.wrotePods = true
		u, err := c.env.Store.Update(podsRes, p, store.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c.why(WhyAdopted, "StatefulSet %s adopted the orphan pod %s: it had no controller, its name is %s-<ordinal> and its labels match the selector %s. It keeps running; it is not recreated.", set.Name, p.Name, set.Name, sel)
		out = append(out, u.(*corev1.Pod))
	}
	return out, nil
}

func (c *StatefulSetController) release(res store.Resource, obj runtime.Object, uid types.UID) error {
	m := objMeta(obj)
	var kept []metav1.OwnerReference
	for _, r := range m.GetOwnerReferences() {
		if r.UID != uid {
			kept = append(kept, r)
		}
	}
	m.SetOwnerReferences(kept)
	if res.Name == podsRes.Name {
		c.wrotePods = true
	}
	_, err := c.env.Store.Update(res, obj, store.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// revisionPatch is the ControllerRevision data: a strategic-merge patch that replaces
// spec.template (item 10).
func revisionPatch(set *appsv1.StatefulSet) ([]byte, error) {
	raw, err := json.Marshal(set.Spec.Template)
	if err != nil {
		return nil, err
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		return nil, err
	}
	tmpl["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
}

// revisionHash is FNV-32 over the data and the decimal collision count, safe-encoded
// (item 11).
func revisionHash(data []byte, collisions int32) string {
	h := fnv.New32()
	h.Write(data)
	h.Write([]byte(strconv.FormatInt(int64(collisions), 10)))
	return utilrand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// patchOf is revisionPatch, remembered per set and generation: the template only changes with
// the generation, and encoding it three times on every sync was a tenth of a sync's cost.
func (c *StatefulSetController) patchOf(set *appsv1.StatefulSet) ([]byte, error) {
	if p, ok := c.patches[set.UID]; ok && p.gen == set.Generation {
		return p.data, nil
	}
	data, err := revisionPatch(set)
	if err != nil {
		return nil, err
	}
	if c.patches == nil {
		c.patches = map[types.UID]cachedPatch{}
	}
	c.patches[set.UID] = cachedPatch{gen: set.Generation, data: data}
	return data, nil
}

type cachedPatch struct {
	gen  int64
	data []byte // shared, never modified
}

func (c *StatefulSetController) newRevision(set *appsv1.StatefulSet, number int64, collisions int32) (*appsv1.ControllerRevision, error) {
	data, err := c.patchOf(set)
	if err != nil {
		return nil, err
	}
	return revisionWithData(set, data, number, collisions), nil
}

func revisionWithData(set *appsv1.StatefulSet, data []byte, number int64, collisions int32) *appsv1.ControllerRevision {
	lbl := map[string]string{}
	for k, v := range set.Spec.Template.Labels {
		lbl[k] = v
	}
	var ann map[string]string
	if len(set.Annotations) > 0 {
		ann = map[string]string{}
		for k, v := range set.Annotations {
			ann[k] = v
		}
	}
	hash := revisionHash(data, collisions)
	lbl[LabelHash] = hash
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: set.Name + "-" + hash, Namespace: set.Namespace, Labels: lbl,
			Annotations: ann, OwnerReferences: []metav1.OwnerReference{setRef(set)}},
		Data:     runtime.RawExtension{Raw: data},
		Revision: number,
	}
}

func (c *StatefulSetController) sameData(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	// Every sync compares the candidate revision with each stored one; after a template
	// change the old ones differ byte-wise, and each sync decoded both sides again. The
	// answers are remembered per session (loop goroutine only), keyed by the arrays
	// themselves: both are stored or cached revision data, which never change (a key of the
	// bytes as strings copied two templates per sync).
	if len(a) == 0 || len(b) == 0 {
		return sameJSON(a, b)
	}
	k := dataPair{&a[0], &b[0], len(a), len(b)}
	if v, ok := c.sameMemo[k]; ok {
		return v
	}
	if c.sameMemo == nil || len(c.sameMemo) >= 256 {
		c.sameMemo = map[dataPair]bool{}
	}
	v := sameJSON(a, b)
	c.sameMemo[k] = v
	return v
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// revisions finds or creates the current and update revisions (items 42, 43, 11).
func (c *StatefulSetController) revisions(set *appsv1.StatefulSet, revs []*appsv1.ControllerRevision) (cur, upd *appsv1.ControllerRevision, collisions int32, err error) {
	sort.SliceStable(revs, func(i, j int) bool {
		if revs[i].Revision != revs[j].Revision {
			return revs[i].Revision < revs[j].Revision
		}
		return revs[i].Name < revs[j].Name
	})
	if set.Status.CollisionCount != nil {
		collisions = *set.Status.CollisionCount
	}
	var next int64 = 1
	if n := len(revs); n > 0 {
		next = revs[n-1].Revision + 1
	}
	// The template's data first: a whole candidate revision (name, labels, owner) is built
	// only when one is created, not on every sync that finds its template stored.
	data, err := c.patchOf(set)
	if err != nil {
		return nil, nil, 0, err
	}
	var equal []*appsv1.ControllerRevision
	for _, r := range revs {
		if c.sameData(r.Data.Raw, data) {
			equal = append(equal, r)
		}
	}
	switch {
	case len(equal) > 0 && equal[len(equal)-1] == revs[len(revs)-1]:
		upd = revs[len(revs)-1] // unchanged template
	case len(equal) > 0:
		// Rollback to an older template: reuse that revision with a new number (item 43).
		r := equal[len(equal)-1].DeepCopy()
		r.Revision = next
		u, err := c.env.Store.Update(revRes, r, store.UpdateOptions{})
		if err != nil {
			return nil, nil, 0, err
		}
		upd = u.(*appsv1.ControllerRevision)
	case set.DeletionTimestamp != nil:
		// A deleting set creates nothing, not even a revision the GC would delete again.
		upd = revisionWithData(set, data, next, collisions)
	default:
		candidate := revisionWithData(set, data, next, collisions)
		for tries := 0; ; tries++ {
			if tries > 100 {
				return nil, nil, 0, errors.New("too many controller revision hash collisions")
			}
			created, err := c.env.Store.Create(revRes, candidate)
			if err == nil {
				upd = created.(*appsv1.ControllerRevision)
				break
			}
			if !apierrors.IsAlreadyExists(err) {
				return nil, nil, 0, err
			}
			existing, gerr := c.env.Store.Get(revRes, set.Namespace, candidate.Name)
			if gerr == nil && c.sameData(existing.(*appsv1.ControllerRevision).Data.Raw, candidate.Data.Raw) {
				upd = existing.(*appsv1.ControllerRevision)
				break
			}
			collisions++ // same name, different data (item 11)
			candidate, err = c.newRevision(set, next, collisions)
			if err != nil {
				return nil, nil, 0, err
			}
		}
	}
	for _, r := range revs {
		if r.Name == set.Status.CurrentRevision {
			cur = r
		}
	}
	if cur == nil || cur.Name == upd.Name {
		cur = upd
	}
	return cur, upd, collisions, nil
}

// applyRevision returns a copy of set whose template is the one stored in rev.
func applyRevision(set *appsv1.StatefulSet, rev *appsv1.ControllerRevision) *appsv1.StatefulSet {
	out := set.DeepCopy()
	var patch struct {
		Spec struct {
			Template corev1.PodTemplateSpec `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(rev.Data.Raw, &patch); err == nil {
		out.Spec.Template = patch.Spec.Template
	}
	return out
}

// newPod builds pod <set>-<ord> from set's template, labelled with revision rev (items 8, 12).
func newPod(set *appsv1.StatefulSet, rev string, ord int) *corev1.Pod {
	t := set.Spec.Template.DeepCopy()
	name := podName(set, ord)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, GenerateName: set.Name + "-", Namespace: set.Namespace,
			Labels: map[string]string{}, Annotations: t.Annotations, Finalizers: t.Finalizers,
			OwnerReferences: []metav1.OwnerReference{setRef(set)},
		},
		Spec: t.Spec,
	}
	for k, v := range t.Labels {
		p.Labels[k] = v
	}
	p.Labels[LabelPodName] = name
	p.Labels[LabelPodIndex] = strconv.Itoa(ord)
	p.Labels[LabelRevisionHash] = rev
	p.Spec.Hostname = name
	p.Spec.Subdomain = set.Spec.ServiceName
	// Claims first, then the template's other volumes.
	var vols []corev1.Volume
	claims := map[string]bool{}
	for _, ct := range set.Spec.VolumeClaimTemplates {
		claims[ct.Name] = true
		vols = append(vols, corev1.Volume{Name: ct.Name, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName(ct.Name, set, ord)}}})
	}
	for _, v := range p.Spec.Volumes {
		if !claims[v.Name] {
			vols = append(vols, v)
		}
	}
	p.Spec.Volumes = vols
	return p
}

// newVersionedPod picks the revision for a missing pod by its ordinal (item 51).
func (c *StatefulSetController) newVersionedPod(set *appsv1.StatefulSet, cur, upd *appsv1.ControllerRevision, ord int) *corev1.Pod {
	s := set.Spec.UpdateStrategy
	if s.Type == appsv1.RollingUpdateStatefulSetStrategyType || s.Type == "" {
		useCurrent := false
		if s.RollingUpdate == nil {
			useCurrent = ord < startOrdinal(set)+int(set.Status.CurrentReplicas)
		} else {
			part := 0
			if s.RollingUpdate.Partition != nil {
				part = int(*s.RollingUpdate.Partition)
			}
			useCurrent = ord < startOrdinal(set)+part
		}
		if useCurrent {
			return newPod(c.applyRevision(set, cur), cur.Name, ord)
		}
	}
	return newPod(c.applyRevision(set, upd), upd.Name, ord)
}

// applyRevision is the package's applyRevision, cached for the sync.
func (c *StatefulSetController) applyRevision(set *appsv1.StatefulSet, rev *appsv1.ControllerRevision) *appsv1.StatefulSet {
	// A revision version's data is fixed, and newPod reads of the set only its name, uid and
	// spec, which change only with the generation: the decoded template is kept across syncs
	// (OrderedReady creates one pod per sync and decoded it for each).
	k := appliedKey{set.UID, set.Generation, rev.Name, rev.ResourceVersion}
	if out, ok := c.applied[k]; ok {
		return out
	}
	if c.applied == nil || len(c.applied) >= 16 {
		c.applied = map[appliedKey]*appsv1.StatefulSet{}
	}
	out := applyRevision(set, rev)
	c.applied[k] = out
	return out
}

// placeholder stands for a pod that does not exist yet; processReplica builds the real one
// only when it creates it, so a sync costs nothing per missing pod it does not create.
func placeholder(set *appsv1.StatefulSet, ord int) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: podName(set, ord), Namespace: set.Namespace}}
}

func (c *StatefulSetController) event(set *appsv1.StatefulSet, err error, verb, format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	if err != nil {
		reason := "FailedCreate"
		if verb == "delete" {
			reason = "FailedDelete"
		}
		c.rec.Eventf(set, componentSTS, "", corev1.EventTypeWarning, reason, "%s %s in StatefulSet %s failed error: %v", verb, what, set.Name, err)
		return
	}
	reason := "SuccessfulCreate"
	if verb == "delete" {
		reason = "SuccessfulDelete"
	}
	// The real controller says "success" for claims and "successful" for pods.
	done := "successful"
	if strings.HasPrefix(what, "Claim ") {
		done = "success"
	}
	c.rec.Eventf(set, componentSTS, "", corev1.EventTypeNormal, reason, "%s %s in StatefulSet %s %s", verb, what, set.Name, done)
}

func retention(set *appsv1.StatefulSet) (whenDeleted, whenScaled appsv1.PersistentVolumeClaimRetentionPolicyType) {
	whenDeleted, whenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	if p := set.Spec.PersistentVolumeClaimRetentionPolicy; p != nil {
		if p.WhenDeleted != "" {
			whenDeleted = p.WhenDeleted
		}
		if p.WhenScaled != "" {
			whenScaled = p.WhenScaled
		}
	}
	return
}

// staleClaim: a claim still owned by an earlier incarnation of the pod blocks its re-creation
// until the GC has deleted it (item 91).
func (c *StatefulSetController) staleClaim(set *appsv1.StatefulSet, ord int) bool {
	for _, ct := range set.Spec.VolumeClaimTemplates {
		obj, ok := c.env.Store.Peek(pvcRes, set.Namespace, claimName(ct.Name, set, ord))
		if !ok {
			continue
		}
		for _, r := range obj.(*corev1.PersistentVolumeClaim).OwnerReferences {
			if r.Kind == "Pod" && r.Name == podName(set, ord) {
				return true
			}
		}
	}
	return false
}

// createClaims creates the pod's missing claims (items 6, 7, 13, 93).
func (c *StatefulSetController) createClaims(set *appsv1.StatefulSet, p *corev1.Pod) error {
	whenDeleted, _ := retention(set)
	ord := ordinalOf(p)
	for _, ct := range set.Spec.VolumeClaimTemplates {
		name := claimName(ct.Name, set, ord)
		if obj, ok := c.env.Store.Peek(pvcRes, set.Namespace, name); ok {
			if obj.(*corev1.PersistentVolumeClaim).DeletionTimestamp != nil {
				return fmt.Errorf("pvc %s is being deleted", name)
			}
			continue // an existing claim is reused unchanged (item 18)
		}
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: set.Namespace, Labels: map[string]string{},
				Annotations: copyMap(ct.Annotations)},
			Spec: *ct.Spec.DeepCopy(),
		}
		for k, v := range ct.Labels {
			pvc.Labels[k] = v
		}
		if set.Spec.Selector != nil {
			for k, v := range set.Spec.Selector.MatchLabels {
				pvc.Labels[k] = v
			}
		}
		if whenDeleted == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
			pvc.OwnerReferences = []metav1.OwnerReference{setRef(set)}
		}
		pvc.Status.Phase = corev1.ClaimPending
		_, err := c.env.Store.CreateWith(pvcRes, pvc, store.CreateOptions{Owned: true})
		if apierrors.IsAlreadyExists(err) {
			continue
		}
		c.event(set, err, "create", "Claim %s Pod %s", name, p.Name)
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *StatefulSetController) createPod(set *appsv1.StatefulSet, p *corev1.Pod) error {
	if err := c.createClaims(set, p); err != nil {
		c.event(set, err, "create", "Pod %s", p.Name)
		return err
	}
	p.Status.Phase = corev1.PodPending
	c.wrotePods = true
	// Handed over: p was built for this write (newPod copies the template) and is only read
	// after it.
	_, err := c.env.Store.CreateWith(podsRes, p, store.CreateOptions{Owned: true})
	if apierrors.IsAlreadyExists(err) {
		return err
	}
	c.event(set, err, "create", "Pod %s", p.Name)
	return err
}

func (c *StatefulSetController) deletePod(set *appsv1.StatefulSet, p *corev1.Pod) error {
	c.wrotePods = true
	uid := p.UID
	_, err := c.env.Store.Delete(podsRes, p.Namespace, p.Name, store.DeleteOptions{PreconditionUID: &uid, Owned: true})
	if apierrors.IsNotFound(err) {
		return nil
	}
	c.event(set, err, "delete", "Pod %s", p.Name)
	return err
}

// fixClaimOwners makes the owner references of pod's claims follow the retention policy, as
// upstream's updateClaimOwnerRefForSetAndPod does (items 89-92):
//
//	Retain/Retain: no refs; whenDeleted=Delete: a controller ref to the set;
//	whenScaled=Delete: a controller ref to the pod once it is out of range (condemned);
//	Delete/Delete: the set ref while in range, swapped for the pod ref on scale-down.
//
// A claim whose refs name an earlier set or pod of the same name (another uid) is left alone.
func (c *StatefulSetController) fixClaimOwners(set *appsv1.StatefulSet, p *corev1.Pod, inRange bool) error {
	whenDeleted, whenScaled := retention(set)
	const del = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	wantSet := whenDeleted == del && (inRange || whenScaled != del)
	wantPod := whenScaled == del && !inRange
	for _, ct := range set.Spec.VolumeClaimTemplates {
		obj, ok := c.env.Store.Peek(pvcRes, set.Namespace, claimName(ct.Name, set, ordinalOf(p)))
		if !ok {
			continue
		}
		pvc := obj.(*corev1.PersistentVolumeClaim) // read-only until copied below
		if pvc.DeletionTimestamp != nil || (len(pvc.OwnerReferences) == 0 && !wantSet && !wantPod) {
			continue // nothing to drop and nothing to add (Retain/Retain, the default)
		}
		stale, addSet, addPod := false, wantSet, wantPod
		var refs []metav1.OwnerReference
		for _, r := range pvc.OwnerReferences {
			isSet := r.Kind == "StatefulSet" && r.Name == set.Name
			isPod := r.Kind == "Pod" && r.Name == p.Name
			if (isSet && r.UID != set.UID) || (isPod && r.UID != p.UID) {
				stale = true
			}
			if !isSet && !isPod {
				refs = append(refs, r)
			}
		}
		if stale {
			continue // managed by an earlier incarnation (item 91): the GC decides
		}
		if controllerRef(&metav1.ObjectMeta{OwnerReferences: refs}) != nil {
			// Another controller owns the claim: drop our refs, add none (upstream's
			// hasUnexpectedController), since an object may have only one controller.
			addSet, addPod = false, false
		}
		if addSet {
			refs = append(refs, setRef(set))
		}
		if addPod {
			refs = append(refs, metav1.OwnerReference{APIVersion: "v1", Kind: "Pod", Name: p.Name, UID: p.UID,
				Controller: ptrTo(true), BlockOwnerDeletion: ptrTo(true)})
		}
		if equalRefs(refs, pvc.OwnerReferences) {
			continue
		}
		pvc = pvc.DeepCopy()
		pvc.OwnerReferences = refs
		if _, err := c.env.Store.Update(pvcRes, pvc, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func equalRefs(a, b []metav1.OwnerReference) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// reconcile is updateStatefulSet: replicas, then condemned pods, then the rolling update.
// pf holds the pods' facts (pf[i] is pods[i]'s); each replica's are read from rf, in step
// with replicas (nil for a pod this sync builds).
func (c *StatefulSetController) reconcile(set *appsv1.StatefulSet, cur, upd *appsv1.ControllerRevision, pods []*corev1.Pod, pf []*podFacts) error {
	start := startOrdinal(set)
	count := specReplicas(set)
	// Per-sync arrays, reused: at a thousand replicas allocating them was a tenth of a sync.
	replicas, rf := grown(c.bufPods, count), grown(c.bufFacts, count)
	c.bufPods, c.bufFacts = replicas, rf
	defer func() { clear(replicas); clear(rf) }() // hold no pods between syncs
	var condemned []*corev1.Pod
	for j, p := range pods {
		ord := pf[j].ord
		switch {
		case ord >= start && ord < start+count:
			replicas[ord-start], rf[ord-start] = p, pf[j]
		case ord >= 0:
			condemned = append(condemned, p)
		}
	}
	// Missing replicas stay nil: a placeholder is built only for the one a message names or
	// processReplica reaches (OrderedReady reaches one per sync).
	sort.SliceStable(condemned, func(i, j int) bool { return ordinalOf(condemned[i]) > ordinalOf(condemned[j]) })
	c.cur, c.upd = cur, upd

	var firstUnhealthy *corev1.Pod
	for i, p := range replicas {
		if p == nil {
			firstUnhealthy = placeholder(set, start+i)
			break
		}
		if f := rf[i]; (f != nil && !f.healthy) || (f == nil && !isHealthy(p)) {
			firstUnhealthy = p
			break
		}
	}
	for i := len(condemned) - 1; i >= 0; i-- {
		if !isHealthy(condemned[i]) && firstUnhealthy == nil {
			firstUnhealthy = condemned[i]
		}
	}

	if set.DeletionTimestamp != nil {
		c.why(WhyStatefulSetDeleting, "StatefulSet %s is being deleted: its controller only reports status now and neither creates nor deletes pods; the garbage collector handles its pods.", set.Name)
		return nil // a deleting set only reports status (item 65)
	}
	monotonic := set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	minReady := set.Spec.MinReadySeconds
	var errs []error

	wd, ws := retention(set)
	healthy := claimCheck{inRange: true, whenDeleted: wd, whenScaled: ws}
	for i := range replicas {
		if f := rf[i]; f != nil && f.healthy && f.identity && (minReady <= 0 || !monotonic) && c.claimsFresh(f, healthy) {
			// Created, Running and Ready, not terminating (so not pending, failed or
			// succeeded), labels right, claims unchanged since they were found right:
			// processReplica would do nothing (checked here: a thousand calls per sync).
			continue
		}
		stop, err := c.processReplica(set, replicas, rf, i, monotonic, minReady, condemned)
		if err != nil {
			errs = append(errs, err)
		}
		if (stop || err != nil) && monotonic {
			return errors.Join(errs...)
		}
	}
	for i, p := range condemned {
		if isTerminating(p) {
			if monotonic {
				if i+1 < len(condemned) {
					c.why(WhyScaleDownWaits, "%s is not deleted yet: %s is still terminating. With podManagementPolicy OrderedReady a scale-down removes one pod at a time, from the highest ordinal down.", condemned[i+1].Name, p.Name)
				}
				return errors.Join(errs...) // wait for it to be gone (item 37)
			}
			continue
		}
		if !c.isAvailable(p, minReady) && monotonic && p != firstUnhealthy {
			if firstUnhealthy != nil {
				c.why(WhyScaleDownWaits, "%s is not deleted yet: %s is not Running and Ready. With podManagementPolicy OrderedReady a scale-down waits until the pods are healthy.", p.Name, firstUnhealthy.Name)
			} else {
				c.why(WhyScaleDownWaits, "%s is not deleted yet: it has not been Ready for minReadySeconds (%ds). With podManagementPolicy OrderedReady a scale-down waits until the pods are available.", p.Name, minReady)
			}
			return errors.Join(errs...) // item 38
		}
		if err := c.fixClaimOwners(set, p, false); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := c.deletePod(set, p); err != nil {
			errs = append(errs, err)
		} else if len(set.Spec.VolumeClaimTemplates) > 0 {
			if _, whenScaled := retention(set); whenScaled == appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
				c.why(WhyClaimDeleted, "%s will be deleted after %s is gone: persistentVolumeClaimRetentionPolicy.whenScaled is Delete, so the claim now belongs to the pod and the garbage collector removes it with the pod.", claimNames(set, ordinalOf(p)), p.Name)
			} else {
				c.why(WhyClaimRetained, "%s is kept although %s is removed: persistentVolumeClaimRetentionPolicy.whenScaled is Retain. Scaling up again reattaches it with its data; delete it by hand if you no longer need it.", claimNames(set, ordinalOf(p)), p.Name)
			}
		}
		if monotonic {
			return errors.Join(errs...) // one deletion per sync
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.updateChecked = true
	if set.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		for _, p := range replicas {
			if p != nil && isCreated(p) && !isTerminating(p) && revisionOf(p) != upd.Name {
				c.why(WhyOnDelete, "%s still runs revision %s, not the update revision %s: with updateStrategy OnDelete the controller replaces a pod only after you delete it (kubectl delete pod %s).", p.Name, revisionOf(p), upd.Name, p.Name)
			}
		}
		return nil // item 59
	}
	return c.rollingUpdate(set, upd, replicas, rf, minReady)
}

// ordinal is ordinalOf, from the pod's facts when it has them.
func (c *StatefulSetController) ordinal(p *corev1.Pod) int {
	if f := c.facts[p]; f != nil {
		return f.ord
	}
	return ordinalOf(p)
}

// processReplica handles replica i; stop means a monotonic sync must end here.
func (c *StatefulSetController) processReplica(set *appsv1.StatefulSet, replicas []*corev1.Pod, rf []*podFacts, i int, monotonic bool, minReady int32, condemned []*corev1.Pod) (bool, error) {
	p := replicas[i]
	if p == nil {
		p = placeholder(set, startOrdinal(set)+i)
		replicas[i] = p
	}
	if f := rf[i]; f != nil && f.healthy && f.identity && (minReady <= 0 || !monotonic) {
		// Created, Running and Ready, not terminating (so not pending, failed or succeeded),
		// labels right: all that is left is its claims, unchanged since they were found right.
		wd, ws := retention(set)
		if c.claimsFresh(f, claimCheck{inRange: true, whenDeleted: wd, whenScaled: ws}) {
			return false, nil
		}
	}
	if isCreated(p) && (isFailed(p) || isSucceeded(p)) && !isTerminating(p) {
		// Recreated on a later sync, once the old one is gone (item 27).
		return true, c.deletePod(set, p)
	}
	if !isCreated(p) {
		if c.staleClaim(set, ordinalOf(p)) {
			c.why(WhyWaitingForClaim, "%s is not created yet: %s still belongs to the previous %s (whenScaled Delete) and must be deleted first; then it is created again, empty.", p.Name, claimNames(set, ordinalOf(p)), p.Name)
			return true, nil
		}
		p = c.newVersionedPod(set, c.cur, c.upd, ordinalOf(p))
		replicas[i], rf[i] = p, nil
		if err := c.createPod(set, p); err != nil {
			return true, err
		}
		return monotonic, nil // OrderedReady: at most one creation per sync (item 15)
	}
	// A pod version whose claims were found right, with no claim event since, needs neither
	// createClaims nor fixClaimOwners again (statefulset_facts.go).
	f := rf[i]
	whenDeleted, whenScaled := retention(set)
	want := claimCheck{pending: isPending(p), inRange: true, whenDeleted: whenDeleted, whenScaled: whenScaled}
	fresh := f != nil && c.claimsFresh(f, want)
	seq := c.claimSeqNow()
	if isPending(p) && !fresh {
		if err := c.createClaims(set, p); err != nil { // item 20
			return true, err
		}
	}
	if isTerminating(p) && monotonic {
		c.blockedBy(set, replicas, i, condemned)
		return true, nil // item 24
	}
	if !isRunningAndReady(p) && monotonic {
		c.blockedBy(set, replicas, i, condemned)
		return true, nil
	}
	if !c.isAvailable(p, minReady) && monotonic {
		c.blockedBy(set, replicas, i, condemned)
		c.requeueForAvailability(set, p, minReady)
		return true, nil
	}
	if !isTerminating(p) && !fresh {
		if err := c.fixClaimOwners(set, p, true); err != nil {
			return true, err
		}
	}
	if f != nil && !fresh && seq > 0 {
		f.checked, f.checkedAs = seq, want
	}
	// Identity labels are restored if someone removed them (SSU updateIdentity).
	if (f != nil && f.identity) || (f == nil && hasIdentity(set, p)) {
		return false, nil
	}
	name := podName(set, ordinalOf(p))
	if p.Labels[LabelPodName] != name || p.Labels[LabelPodIndex] != strconv.Itoa(ordinalOf(p)) {
		p = p.DeepCopy()
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels[LabelPodName] = name
		p.Labels[LabelPodIndex] = strconv.Itoa(ordinalOf(p))
		c.wrotePods = true
		if _, err := c.env.Store.Update(podsRes, p, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return true, err
		}
	}
	return false, nil
}

// hasIdentity: p's identity labels are already right, checked without building the name: a
// member's name is <set>-<suffix>, and it is podName's when the suffix has no leading zero.
func hasIdentity(set *appsv1.StatefulSet, p *corev1.Pod) bool {
	if len(p.Name) <= len(set.Name)+1 {
		return false
	}
	suffix := p.Name[len(set.Name)+1:]
	return (suffix == "0" || suffix[0] != '0') && p.Labels[LabelPodName] == p.Name && p.Labels[LabelPodIndex] == suffix
}

func (c *StatefulSetController) requeueForAvailability(set *appsv1.StatefulSet, p *corev1.Pod, minReady int32) {
	since, ok := readySince(p)
	if !ok {
		return
	}
	wait := since.Add(time.Duration(minReady) * time.Second).Sub(c.env.Store.Now())
	if wait < 0 {
		wait = 0
	}
	c.timed = true
	c.env.Queue.AddAfter(wait, c.key(set.Namespace, set.Name))
}

// rollingUpdate deletes old-revision pods from the highest ordinal down to the partition,
// at most maxUnavailable at a time (items 44-47, 54, 56-58, 87).
func (c *StatefulSetController) rollingUpdate(set *appsv1.StatefulSet, upd *appsv1.ControllerRevision, replicas []*corev1.Pod, rf []*podFacts, minReady int32) error {
	updateMin, maxUnavailable := c.rollingParams(set, upd, replicas)
	unavailable := 0
	now := c.env.Store.Now()
	for i, p := range replicas {
		if c.unavailable(p, rf[i], minReady, now) {
			unavailable++
		}
	}
	if unavailable >= maxUnavailable {
		return nil
	}
	budget := maxUnavailable - unavailable
	for target := len(replicas) - 1; target >= updateMin && budget > 0; target-- {
		del, err := c.rollTarget(set, upd, replicas[target], rf[target])
		if err != nil {
			return err
		}
		if del {
			budget--
		}
	}
	return nil
}

// rollingParams is the rolling update's partition and maxUnavailable; it explains the pods
// the partition keeps.
func (c *StatefulSetController) rollingParams(set *appsv1.StatefulSet, upd *appsv1.ControllerRevision, replicas []*corev1.Pod) (updateMin, maxUnavailable int) {
	maxUnavailable = 1
	if ru := set.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if ru.Partition != nil {
			updateMin = int(*ru.Partition)
		}
		if ru.MaxUnavailable != nil {
			if v, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, len(replicas), false); err == nil {
				maxUnavailable = v
			}
			if maxUnavailable < 1 {
				maxUnavailable = 1
			}
		}
	}
	for target := 0; target < updateMin && target < len(replicas); target++ {
		if p := replicas[target]; p != nil && isCreated(p) && revisionOf(p) != upd.Name {
			c.why(WhyPartition, "%s keeps revision %s: its ordinal %d is below the partition %d (spec.updateStrategy.rollingUpdate.partition), so the rolling update leaves it alone. Lower the partition to update it.", p.Name, revisionOf(p), ordinalOf(p), updateMin)
		}
	}
	return updateMin, maxUnavailable
}

// unavailable: replica p (facts f, nil for a pod this sync built) counts against
// maxUnavailable.
func (c *StatefulSetController) unavailable(p *corev1.Pod, f *podFacts, minReady int32, now time.Time) bool {
	switch {
	case f == nil && (p == nil || !isCreated(p)): // stored pods have facts; placeholders are not created
		return true
	case f == nil:
		return isTerminating(p) || !c.isAvailable(p, minReady)
	}
	return f.deleting || !f.ready || (minReady > 0 && f.since.Add(time.Duration(minReady)*time.Second).After(now))
}

// rollTarget deletes replica p (facts f) if it runs an old revision and is not going already.
func (c *StatefulSetController) rollTarget(set *appsv1.StatefulSet, upd *appsv1.ControllerRevision, p *corev1.Pod, f *podFacts) (bool, error) {
	if f != nil && (f.rev == upd.Name || f.deleting) {
		return false, nil // the facts' answer to the test below, without its label lookup
	}
	if p != nil && isCreated(p) && revisionOf(p) != upd.Name && !isTerminating(p) {
		return true, c.deletePod(set, p)
	}
	return false, nil
}

// ownedPods lists the pods this set owns now (after this sync's writes).
// The pods are read-only, straight from the store's owner index.
func (c *StatefulSetController) ownedPods(set *appsv1.StatefulSet, sel labels.Selector) []*corev1.Pod {
	objs := c.env.Store.Select(podsRes, store.Query{Namespace: set.Namespace, Owner: set.UID})
	var out []*corev1.Pod
	for _, o := range objs {
		if p := o.(*corev1.Pod); c.factsOf(set, sel, p).member {
			out = append(out, p)
		}
	}
	return out
}

// writeStatus recomputes status from the owned pods and writes it if it changed (items 32, 40,
// 47, 82, 84).
// v holds the owned pods' facts and their counts.
func (c *StatefulSetController) writeStatus(set *appsv1.StatefulSet, cur, upd *appsv1.ControllerRevision, collisions int32, v *stsView) error {
	st := appsv1.StatefulSetStatus{
		ObservedGeneration: set.Generation,
		CurrentRevision:    cur.Name,
		UpdateRevision:     upd.Name,
		CollisionCount:     ptrTo(collisions),
		Conditions:         set.Status.Conditions,
	}
	var waitAvail time.Duration = -1
	now := c.env.Store.Now()
	minReady := time.Duration(set.Spec.MinReadySeconds) * time.Second
	var pf []*podFacts
	if minReady <= 0 {
		// Without minReadySeconds every Ready pod is available: the view's counts say it all.
		st.Replicas, st.ReadyReplicas, st.AvailableReplicas = int32(v.counts.phase), int32(v.counts.ready), int32(v.counts.ready)
		st.CurrentReplicas, st.UpdatedReplicas = int32(v.counts.current[cur.Name]), int32(v.counts.current[upd.Name])
	} else {
		_, pf = v.members() // the walk below reads every member's facts
	}
	for _, f := range pf {
		if f.hasPhase {
			st.Replicas++
		}
		if f.ready {
			st.ReadyReplicas++
			if minReady <= 0 || !f.since.Add(minReady).After(now) {
				st.AvailableReplicas++
			} else {
				w := f.since.Add(minReady).Sub(now)
				if waitAvail < 0 || w < waitAvail {
					waitAvail = w
				}
			}
		}
		if !f.deleting {
			if f.rev == cur.Name {
				st.CurrentReplicas++
			}
			if f.rev == upd.Name {
				st.UpdatedReplicas++
			}
		}
	}
	if waitAvail >= 0 {
		c.timed = true
		c.env.Queue.AddAfter(waitAvail, c.key(set.Namespace, set.Name))
	}
	want := int32(specReplicas(set))
	if set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		st.UpdatedReplicas == want && st.ReadyReplicas == want && st.Replicas == want {
		st.CurrentRevision = st.UpdateRevision
		st.CurrentReplicas = st.UpdatedReplicas
	}
	if reflect.DeepEqual(st, set.Status) {
		return nil
	}
	for try := 0; try < 3; try++ {
		// A new top level over the stored set (read-only); the store takes only its status.
		cp := *set
		cp.Status = st
		out, err := c.env.Store.Update(stsRes, &cp, store.UpdateOptions{Status: true, Owned: true, Successor: true})
		if err == nil && try == 0 {
			c.stored = out.(*appsv1.StatefulSet) // the stored version itself (owned write)
			if statusFedBack(set, st) {
				// The next sync reads what this one wrote (the current revision, say, which
				// lets it truncate the old one): it must run.
				c.stored = nil
			}
		}
		if apierrors.IsNotFound(err) {
			return nil
		}
		if !apierrors.IsConflict(err) {
			return err
		}
		c.stored = nil // someone else wrote the set meanwhile: sync it again in full
		fresh, ok := c.env.Store.Peek(stsRes, set.Namespace, set.Name)
		if !ok {
			return nil
		}
		set = fresh.(*appsv1.StatefulSet)
	}
	return nil
}

// statusFedBack: the new status changes a status field a sync reads (collision count,
// current revision, and current replicas when a rolling update has no parameters).
func statusFedBack(set *appsv1.StatefulSet, st appsv1.StatefulSetStatus) bool {
	old := set.Status
	return old.CurrentRevision != st.CurrentRevision || !reflect.DeepEqual(old.CollisionCount, st.CollisionCount) ||
		!reflect.DeepEqual(old.Conditions, st.Conditions) ||
		(set.Spec.UpdateStrategy.RollingUpdate == nil && old.CurrentReplicas != st.CurrentReplicas)
}

// truncateHistory deletes the oldest non-live revisions beyond revisionHistoryLimit (item 50).
func (c *StatefulSetController) truncateHistory(set *appsv1.StatefulSet, v *stsView, cur, upd *appsv1.ControllerRevision) error {
	limit := 10
	if set.Spec.RevisionHistoryLimit != nil {
		limit = int(*set.Spec.RevisionHistoryLimit)
	}
	live := map[string]bool{cur.Name: true, upd.Name: true}
	for r := range v.counts.live { // the revisions the owned pods run
		live[r] = true
	}
	objs := c.env.Store.Select(revRes, store.Query{Namespace: set.Namespace, Owner: set.UID})
	var old []*appsv1.ControllerRevision
	for _, o := range objs {
		r := o.(*appsv1.ControllerRevision)
		if ref := controllerRef(r); ref != nil && ref.UID == set.UID && !live[r.Name] {
			old = append(old, r)
		}
	}
	if len(old) <= limit {
		return nil
	}
	sort.SliceStable(old, func(i, j int) bool { return old[i].Revision < old[j].Revision })
	for _, r := range old[:len(old)-limit] {
		if _, err := c.env.Store.Delete(revRes, r.Namespace, r.Name, store.DeleteOptions{Owned: true}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// mergeByKey merges two lists in the store's order (namespace, then name) into one.
func mergeByKey(a, b []runtime.Object) []runtime.Object {
	if len(a) == 0 {
		return b
	}
	if len(b) == 0 {
		return a
	}
	key := func(o runtime.Object) string { m := objMeta(o); return m.GetNamespace() + "/" + m.GetName() }
	out := make([]runtime.Object, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if key(a[0]) <= key(b[0]) {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// grown returns buf resized to n zeroed elements, reusing its array when it is big enough.
func grown[T any](buf []*T, n int) []*T {
	if cap(buf) < n {
		return make([]*T, n)
	}
	return buf[:n] // all nil: reconcile clears what it used
}

type appliedKey struct {
	set   types.UID
	gen   int64
	rev   string
	revRV string
}

// dataPair names two revision data arrays by address and length.
type dataPair struct {
	a, b   *byte
	la, lb int
}
