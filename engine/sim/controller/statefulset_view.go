package controller

import (
	"errors"
	"fmt"
	mathbits "math/bits"
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
	facts    []*podFacts   // facts[i] is pods[i]'s; nil: a hole (see holes)
	counts   stsCounts     // over facts, kept with them
	// holes: entries whose pod left (facts nil, pods keeps the departed pod for its name).
	// A rolling update deletes a pod and creates one of the same name in the same place: the
	// hole takes it back, where deleting and inserting moved half of a thousand entries twice
	// per step. members() gives the lists without holes.
	holes int

	// The replicas by ordinal, kept with pods and facts so that a sync visits only the
	// ordinals that may need work (reconcileFast): slot i is ordinal lo+i of the set's n.
	lo, n    int
	slotPod  []*corev1.Pod
	slotF    []*podFacts
	attn     bits   // slots that may need work: missing, changed, or not yet found quiet
	missing  bits   // slots without a pod
	stale    bits   // slots whose pod runs a revision other than updName and is not deleting
	updName  string // the update revision stale is for ("": not worked out yet)
	claimSeq uint64 // claim events up to this count are reflected in attn
	// odd: members outside the range (to be condemned) or sharing an ordinal; while any is
	// there reconcile walks every pod as before.
	outside int
	broken  bool
}

// bits is a set of small integers.
type bits []uint64

func newBits(n int) bits      { return make(bits, (n+63)/64) }
func (b bits) set(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b bits) unset(i int)    { b[i>>6] &^= 1 << (i & 63) }
func (b bits) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bits) put(i int, on bool) {
	if on {
		b.set(i)
	} else {
		b.unset(i)
	}
}

// next is the smallest member ≥ i, or -1.
func (b bits) next(i int) int {
	if i < 0 {
		i = 0
	}
	for w := i >> 6; w < len(b); w++ {
		x := b[w]
		if w == i>>6 {
			x &= ^uint64(0) << (i & 63)
		}
		if x != 0 {
			return w<<6 + mathbits.TrailingZeros64(x)
		}
	}
	return -1
}

// prev is the largest member ≤ i, or -1.
func (b bits) prev(i int) int {
	if i >= len(b)<<6 {
		i = len(b)<<6 - 1
	}
	for w := i >> 6; w >= 0 && i >= 0; w-- {
		x := b[w]
		if w == i>>6 {
			x &= ^uint64(0) >> (63 - i&63)
		}
		if x != 0 {
			return w<<6 + 63 - mathbits.LeadingZeros64(x)
		}
	}
	return -1
}

// slotOf: the slot of an ordinal, or -1 outside the range.
func (v *stsView) slotOf(ord int) int {
	if ord < v.lo || ord >= v.lo+v.n {
		return -1
	}
	return ord - v.lo
}

// place puts member p (facts f) in the slots, or takes it out (on = false).
func (v *stsView) place(p *corev1.Pod, f *podFacts, on bool) {
	i := v.slotOf(f.ord)
	if i < 0 {
		if on {
			v.outside++
		} else {
			v.outside--
		}
		return
	}
	switch {
	case on && v.slotPod[i] != nil:
		v.broken = true // two members with one ordinal ("web-1", "web-01"): walk them all
		return
	case !on && v.slotPod[i] != p:
		v.broken = true
		return
	}
	if !on {
		p, f = nil, nil
	}
	v.slotPod[i], v.slotF[i] = p, f
	v.attn.set(i)
	v.missing.put(i, p == nil)
	v.stale.put(i, f != nil && f.rev != v.updName && !f.deleting)
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

// find is where name is or would go in pods (a hole keeps its departed pod's name there),
// and whether it is there, a hole or not.
func (v *stsView) find(name string) (int, bool) {
	return slices.BinarySearchFunc(v.pods, name, func(p *corev1.Pod, n string) int { return strings.Compare(p.Name, n) })
}

// members returns the member pods and their facts (name order) without holes, squeezing
// the holes out first when there are any.
func (v *stsView) members() ([]*corev1.Pod, []*podFacts) {
	if v.holes > 0 {
		v.compact()
	}
	return v.pods, v.facts
}

// compact drops the holes.
func (v *stsView) compact() {
	j := 0
	for i, f := range v.facts {
		if f != nil {
			v.pods[j], v.facts[j] = v.pods[i], f
			j++
		}
	}
	clear(v.pods[j:]) // hold no departed pods
	clear(v.facts[j:])
	v.pods, v.facts, v.holes = v.pods[:j], v.facts[:j], 0
}

// size is the number of members.
func (v *stsView) size() int { return len(v.pods) - v.holes }

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
		hole := found && v.facts[i] == nil
		found = found && !hole
		p := c.env.peekPod(set.Namespace, name)
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
			v.place(v.pods[i], v.facts[i], false)
			v.facts[i] = nil // a hole; pods[i] keeps the name in place
			v.holes++
			if v.holes > 64 && v.holes > len(v.pods)/2 {
				v.compact() // mostly holes (a scale-down): squeeze them out
			}
		case found:
			v.counts.add(v.facts[i], -1)
			v.place(v.pods[i], v.facts[i], false)
			v.counts.add(f, 1)
			v.place(p, f, true)
			v.pods[i], v.facts[i] = p, f
		case p != nil && hole:
			v.counts.add(f, 1)
			v.place(p, f, true)
			v.pods[i], v.facts[i] = p, f // back into the hole its name left
			v.holes--
		case p != nil:
			v.counts.add(f, 1)
			v.place(p, f, true)
			v.pods = slices.Insert(v.pods, i, p)
			v.facts = slices.Insert(v.facts, i, f)
		}
	}
	return true
}

// newView builds the view from claimPods' answer.
func (c *StatefulSetController) newView(set *appsv1.StatefulSet, sel labels.Selector, pods []*corev1.Pod) *stsView {
	v := &stsView{uid: set.UID, gen: set.Generation, deleting: set.DeletionTimestamp != nil,
		pods: pods, facts: make([]*podFacts, len(pods)), lo: startOrdinal(set), n: specReplicas(set)}
	v.n = max(v.n, 0)
	v.slotPod, v.slotF = make([]*corev1.Pod, v.n), make([]*podFacts, v.n)
	v.attn, v.missing, v.stale = newBits(v.n), newBits(v.n), newBits(v.n)
	for i := range v.n {
		v.attn.set(i)
		v.missing.set(i)
	}
	v.claimSeq = c.claimSeqNow()
	for i, p := range pods {
		v.facts[i] = c.factsOf(set, sel, p)
		v.counts.add(v.facts[i], 1)
		v.place(p, v.facts[i], true)
	}
	return v
}

// fastFits: reconcileFast gives the answers of reconcile's full walk for v: every member is
// in its own slot of the set's range (nothing to condemn), the set is not being deleted, and
// neither minReadySeconds nor OnDelete is in play (their loops stay the full walk's).
func (v *stsView) fastFits(set *appsv1.StatefulSet) bool {
	return v != nil && v.fits(set) && !v.broken && v.outside == 0 && set.DeletionTimestamp == nil &&
		set.Spec.MinReadySeconds <= 0 && set.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
		v.lo == startOrdinal(set) && v.n == specReplicas(set)
}

// claimsTouched marks the slots whose claims had events since the view last looked, so that
// a slot left out of attn still has claims as its pod's last check found them.
func (c *StatefulSetController) claimsTouched(set *appsv1.StatefulSet, v *stsView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.claimSeq.Load() // moves under mu only (noteClaim)
	if now == v.claimSeq {
		return
	}
	if n := len(c.claimLog); n == 0 || c.claimLog[0].seq > v.claimSeq+1 {
		for i := range v.n { // the log no longer reaches back: look at every slot
			v.attn.set(i)
		}
	} else {
		for j := n - 1; j >= 0 && c.claimLog[j].seq > v.claimSeq; j-- {
			key := c.claimLog[j].key
			for _, ct := range set.Spec.VolumeClaimTemplates {
				prefix := set.Namespace + "/" + ct.Name + "-" + set.Name + "-"
				if !strings.HasPrefix(key, prefix) {
					continue
				}
				if _, ord := parentAndOrdinal("x-" + key[len(prefix):]); ord >= 0 {
					if i := v.slotOf(ord); i >= 0 {
						v.attn.set(i)
					}
				}
			}
		}
	}
	v.claimSeq = now
}

// fastVisit is a slot reconcileFast handed to processReplica, as it was before.
type fastVisit struct {
	i int
	p *corev1.Pod
	f *podFacts
}

// reconcileFast is reconcile for a view that fastFits: processReplica runs for the slots in
// attn only, in ordinal order, since every other slot holds a healthy pod with its identity
// and fresh claims, which the full walk skips; the rolling update counts and picks among attn
// and stale slots. Slots processReplica changed are put back when it is done, and the slots it
// found quiet leave attn.
func (c *StatefulSetController) reconcileFast(set *appsv1.StatefulSet, cur, upd *appsv1.ControllerRevision, v *stsView) error {
	c.cur, c.upd = cur, upd
	c.claimsTouched(set, v)
	if v.updName != upd.Name {
		v.updName = upd.Name
		for i, f := range v.slotF {
			v.stale.put(i, f != nil && f.rev != upd.Name && !f.deleting)
		}
	}
	wd, ws := retention(set)
	healthy := claimCheck{inRange: true, whenDeleted: wd, whenScaled: ws}
	if c.Verify {
		c.verifyView(set, v, healthy)
	}
	monotonic := set.Spec.PodManagementPolicy != appsv1.ParallelPodManagement
	replicas, rf := v.slotPod, v.slotF
	visits := c.bufVisits[:0]
	c.fastView = v
	defer func() {
		for _, s := range visits {
			replicas[s.i], rf[s.i] = s.p, s.f
			if f := s.f; f != nil && f.healthy && f.identity && c.claimsFresh(f, healthy) {
				v.attn.unset(s.i)
			}
		}
		c.bufVisits = visits[:0]
		c.fastView = nil
	}()
	var errs []error
	for i := v.attn.next(0); i >= 0; i = v.attn.next(i + 1) {
		visits = append(visits, fastVisit{i, replicas[i], rf[i]})
		if f := rf[i]; f != nil && f.healthy && f.identity && c.claimsFresh(f, healthy) {
			continue
		}
		stop, err := c.processReplica(set, replicas, rf, i, monotonic, set.Spec.MinReadySeconds, nil)
		if err != nil {
			errs = append(errs, err)
		}
		if (stop || err != nil) && monotonic {
			return errors.Join(errs...)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	c.updateChecked = true
	updateMin, maxUnavailable := c.rollingParams(set, upd, replicas)
	unavailable := 0
	now := c.env.Store.Now()
	for i := v.attn.next(0); i >= 0; i = v.attn.next(i + 1) {
		// Every other slot holds a Ready pod that is not being deleted.
		if c.unavailable(replicas[i], rf[i], set.Spec.MinReadySeconds, now) {
			unavailable++
		}
	}
	if unavailable >= maxUnavailable {
		return nil
	}
	budget := maxUnavailable - unavailable
	// Candidates: stale slots, and attn slots (processReplica may have changed those).
	for t := len(replicas) - 1; t >= updateMin && budget > 0; t-- {
		if t = max(v.stale.prev(t), v.attn.prev(t)); t < updateMin {
			break
		}
		del, err := c.rollTarget(set, upd, replicas[t], rf[t])
		if err != nil {
			return err
		}
		if del {
			budget--
		}
	}
	return nil
}

// verifyView checks v against what reconcile's full walk reads (Verify only): the slots are
// the bucketed members, missing and stale say what the slots hold, and every slot outside
// attn would be skipped. The first difference is kept for VerifyErr.
func (c *StatefulSetController) verifyView(set *appsv1.StatefulSet, v *stsView, healthy claimCheck) {
	fail := func(format string, args ...any) {
		c.mu.Lock()
		if c.verifyErr == nil {
			c.verifyErr = fmt.Errorf("statefulset %s/%s view: "+format, append([]any{set.Namespace, set.Name}, args...)...)
		}
		c.mu.Unlock()
	}
	want := make([]*corev1.Pod, v.n)
	wantF := make([]*podFacts, v.n)
	holes := 0
	for j, p := range v.pods {
		if j > 0 && v.pods[j-1].Name >= p.Name {
			fail("pods out of name order at %s", p.Name)
		}
		if v.facts[j] == nil {
			holes++
		}
	}
	if holes != v.holes {
		fail("%d holes, counted %d", holes, v.holes)
	}
	for j, p := range v.pods {
		f := v.facts[j]
		if f == nil {
			continue // a hole
		}
		i := v.slotOf(f.ord)
		if i < 0 || want[i] != nil {
			fail("%s is outside the range or shares its ordinal, yet the view fits", p.Name)
			return
		}
		want[i], wantF[i] = p, f
	}
	for i := range v.n {
		if want[i] != v.slotPod[i] || wantF[i] != v.slotF[i] {
			fail("slot %d holds %v, the pods say %v", i, v.slotPod[i] != nil, want[i] != nil)
		}
		if v.missing.has(i) != (want[i] == nil) {
			fail("slot %d missing=%v", i, v.missing.has(i))
		}
		f := wantF[i]
		if v.stale.has(i) != (f != nil && f.rev != v.updName && !f.deleting) {
			fail("slot %d stale=%v", i, v.stale.has(i))
		}
		if !v.attn.has(i) && !(f != nil && f.healthy && f.identity && c.claimsFresh(f, healthy)) {
			fail("slot %d (%v) is out of attn but would not be skipped", i, want[i] != nil)
		}
	}
}

// VerifyErr is the first difference Verify found between a view and the full walk.
func (c *StatefulSetController) VerifyErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.verifyErr
}
