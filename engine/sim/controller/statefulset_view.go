package controller

import (
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// stsView is one set's member pods as claimPods would return them (name order), with their
// facts, kept from the pods that changed since the last sync (Observe notes their names):
// OrderedReady starts, rolling updates and scale-downs move one pod per sync, and at a
// thousand pods listing the owner index and looking every pod's facts up in a map was most of
// a step's cost. Anything claimPods would do more than keep a member (adopt an orphan, release
// a pod that stopped matching) rebuilds the view through claimPods; so does a new set
// generation or a deleting set.
type stsView struct {
	uid      types.UID
	gen      int64
	deleting bool
	pods     []*corev1.Pod // read-only stored pods, by name
	facts    []*podFacts   // facts[i] is pods[i]'s
	counts   stsCounts     // over facts, kept with them
}

// stsCounts is what writeStatus and truncateHistory count over a set's pods, kept as pods
// come, go and change, so a sync does not walk a thousand facts to count them.
type stsCounts struct {
	phase, ready int            // pods with a phase; Running and Ready pods
	live         map[string]int // pods per revision
	current      map[string]int // pods not being deleted, per revision
}

// add counts f in (d = 1) or out (d = -1).
func (k *stsCounts) add(f *podFacts, d int) {
	if k.live == nil {
		k.live, k.current = map[string]int{}, map[string]int{}
	}
	if f.hasPhase {
		k.phase += d
	}
	if f.ready {
		k.ready += d
	}
	if k.live[f.rev] += d; k.live[f.rev] == 0 {
		delete(k.live, f.rev)
	}
	if !f.deleting {
		if k.current[f.rev] += d; k.current[f.rev] == 0 {
			delete(k.current, f.rev)
		}
	}
}

// viewFits: v was built for this very set, generation and deletion state.
func (v *stsView) fits(set *appsv1.StatefulSet) bool {
	return v != nil && v.uid == set.UID && v.gen == set.Generation && v.deleting == (set.DeletionTimestamp != nil)
}

func (v *stsView) find(name string) (int, bool) {
	return slices.BinarySearchFunc(v.pods, name, func(p *corev1.Pod, n string) int { return strings.Compare(p.Name, n) })
}

// takeNames returns and forgets the names of the set's pods that changed since the last take,
// and whether something only a full claim can handle happened (an orphan that may be adopted).
func (c *StatefulSetController) takeNames(key string) (names []string, full bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for n := range c.podNames[key] {
		names = append(names, n)
	}
	delete(c.podNames, key)
	full = c.fullPods[key]
	delete(c.fullPods, key)
	slices.Sort(names)
	return names, full
}

// notePod records that pod ns/name of set key changed; c.mu held.
func (c *StatefulSetController) notePod(key, name string) {
	m := c.podNames[key]
	if m == nil {
		if c.podNames == nil {
			c.podNames = map[string]map[string]struct{}{}
		}
		m = map[string]struct{}{}
		c.podNames[key] = m
	}
	m[name] = struct{}{}
}

// applyView brings v up to date with the pods named in names, as the store holds them now.
// False: one of them needs claimPods (the caller rebuilds the view).
func (c *StatefulSetController) applyView(set *appsv1.StatefulSet, sel labels.Selector, v *stsView, names []string) bool {
	for _, name := range names {
		i, found := v.find(name)
		var p *corev1.Pod
		if o, ok := c.env.Store.Peek(podsRes, set.Namespace, name); ok {
			p = o.(*corev1.Pod)
		}
		if found && v.pods[i] == p {
			continue
		}
		var f *podFacts
		if p != nil {
			switch ref := controllerRef(p); {
			case ref != nil && ref.UID == set.UID:
				if f = c.factsOf(set, sel, p); !f.member {
					return false // to be released (claimPods)
				}
			case ref == nil && p.DeletionTimestamp == nil && set.DeletionTimestamp == nil &&
				sel.Matches(labels.Set(p.Labels)) && isMemberOf(set, p):
				return false // to be adopted (claimPods)
			default:
				p = nil // not this set's
			}
		}
		switch {
		case found && p == nil:
			v.counts.add(v.facts[i], -1)
			v.pods = slices.Delete(v.pods, i, i+1)
			v.facts = slices.Delete(v.facts, i, i+1)
		case found:
			v.counts.add(v.facts[i], -1)
			v.counts.add(f, 1)
			v.pods[i], v.facts[i] = p, f
		case p != nil:
			v.counts.add(f, 1)
			v.pods = slices.Insert(v.pods, i, p)
			v.facts = slices.Insert(v.facts, i, f)
		}
	}
	return true
}

// newView builds the view from claimPods' answer.
func (c *StatefulSetController) newView(set *appsv1.StatefulSet, sel labels.Selector, pods []*corev1.Pod) *stsView {
	v := &stsView{uid: set.UID, gen: set.Generation, deleting: set.DeletionTimestamp != nil,
		pods: pods, facts: make([]*podFacts, len(pods))}
	for i, p := range pods {
		v.facts[i] = c.factsOf(set, sel, p)
		v.counts.add(v.facts[i], 1)
	}
	return v
}
