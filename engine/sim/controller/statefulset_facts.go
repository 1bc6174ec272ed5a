package controller

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// podFacts is what a sync asks of one version of one pod. Stored pods never change (every
// write stores a new object), so the answers are worked out once per version, keyed by the
// pointer, and a sync over a thousand pods reads them instead of parsing names, matching
// selectors and walking conditions a thousand times. (The real controller does that work per
// pod per sync; OrderedReady and rolling updates move one pod per step, so without this each
// step cost O(N) of it.)
type podFacts struct {
	set       types.UID // the set the member answer is for
	member    bool      // controlled by set, selected by it, named <set>-<ordinal>
	ord       int
	rev       string
	hasPhase  bool
	ready     bool // Running and Ready
	since     time.Time
	healthy   bool
	deleting  bool // has a deletionTimestamp
	identity  bool // pod-name and pod-index labels right
	used      uint64
	claimKeys []string // "namespace/name" of its claims
	checked   uint64   // claimSeq when its claims were last found right (0: never)
	checkedAs claimCheck
}

type claimEvent struct {
	seq uint64
	key string
}

// claimCheck is what a claim check depended on besides the claims themselves.
type claimCheck struct {
	pending, inRange bool
	whenDeleted      appsv1.PersistentVolumeClaimRetentionPolicyType
	whenScaled       appsv1.PersistentVolumeClaimRetentionPolicyType
}

// factsOf returns p's facts for set (computing them for a version seen first).
func (c *StatefulSetController) factsOf(set *appsv1.StatefulSet, sel labels.Selector, p *corev1.Pod) *podFacts {
	f := c.facts[p]
	if f == nil || f.set != set.UID {
		since, ready := readySince(p)
		f = &podFacts{set: set.UID, ord: ordinalOf(p), rev: revisionOf(p), hasPhase: p.Status.Phase != "",
			ready: ready, since: since, healthy: isHealthy(p), deleting: isTerminating(p),
			identity: hasIdentity(set, p)}
		for _, ct := range set.Spec.VolumeClaimTemplates {
			f.claimKeys = append(f.claimKeys, set.Namespace+"/"+claimName(ct.Name, set, f.ord))
		}
		ref := controllerRef(p)
		f.member = ref != nil && ref.UID == set.UID && sel.Matches(labels.Set(p.Labels)) && isMemberOf(set, p)
		if c.facts == nil {
			c.facts = map[*corev1.Pod]*podFacts{}
		}
		c.facts[p] = f
	}
	f.used = c.syncs
	return f
}

// forgetFacts drops the facts of pod versions no sync used lately; run after a sync.
func (c *StatefulSetController) forgetFacts() {
	if len(c.facts) < 2*c.lastPods+256 {
		return
	}
	for p, f := range c.facts {
		if c.syncs-f.used > 2 {
			delete(c.facts, p)
		}
	}
}

// claimsFresh: no claim of p changed since its claims were last found right under the same
// policy and position, so createClaims and fixClaimOwners would change nothing. Claim events
// bump claimSeq and stamp the claim (Observe).
func (c *StatefulSetController) claimsFresh(f *podFacts, want claimCheck) bool {
	if f.checked == 0 || f.checkedAs != want {
		return false
	}
	if c.claimSeq.Load() <= f.checked {
		return true // no claim event at all since
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := len(c.claimLog); n > 0 && c.claimLog[0].seq <= f.checked+1 {
		// The log holds every event since: look at those only (a step of a rollout has a few).
		for i := n - 1; i >= 0 && c.claimLog[i].seq > f.checked; i-- {
			for _, k := range f.claimKeys {
				if c.claimLog[i].key == k {
					return false
				}
			}
		}
	} else {
		for _, k := range f.claimKeys {
			if c.claimSeqs[k] > f.checked {
				return false
			}
		}
	}
	// None of its claims moved up to now: later syncs need look only at later events.
	f.checked = c.claimSeq.Load()
	return true
}

// claimSeqNow is the claim event count, read before a check so that events during it count
// as after it.
func (c *StatefulSetController) claimSeqNow() uint64 {
	return c.claimSeq.Load()
}

// noteClaim stamps a claim event; c.mu held.
func (c *StatefulSetController) noteClaim(ns, name string) {
	seq := c.claimSeq.Add(1)
	if c.claimSeqs == nil {
		c.claimSeqs = map[string]uint64{}
	}
	key := ns + "/" + name
	c.claimSeqs[key] = seq
	if len(c.claimLog) >= 1024 {
		c.claimLog = append(c.claimLog[:0], c.claimLog[512:]...)
	}
	c.claimLog = append(c.claimLog, claimEvent{seq: seq, key: key})
}
