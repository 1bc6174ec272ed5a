package controller

import (
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Simulator is the reportingController and source.component of every explanatory ("Why")
// Event: the player marks them as the simulator's, not the cluster's.
const Simulator = "kubetutor-simulator"

// Reasons of the StatefulSet controller's explanatory Events.
const (
	WhyWaitingForOrdinal   = "WhyWaitingForOrdinal"
	WhyWaitingForClaim     = "WhyWaitingForClaim"
	WhyScaleDownWaits      = "WhyScaleDownWaits"
	WhyPartition           = "WhyPartition"
	WhyOnDelete            = "WhyOnDelete"
	WhyClaimRetained       = "WhyClaimRetained"
	WhyClaimDeleted        = "WhyClaimDeleted"
	WhyAdopted             = "WhyAdopted"
	WhyStatefulSetDeleting = "WhyStatefulSetDeleting"
)

type whyNote struct{ reason, msg string }

// why notes an explanation during a sync. Notes are turned into Events at the end of the sync,
// only for situations that were not already explained by the previous sync of the same set:
// a situation that lasts many syncs is one Event, and one that comes back later bumps the
// count of the same Event (the recorder aggregates identical events as client-go's does).
func (c *StatefulSetController) why(reason, format string, args ...any) {
	c.notes = append(c.notes, whyNote{reason, fmt.Sprintf(format, args...)})
}

// flushWhy records the notes new since the previous sync of set and forgets the rest.
func (c *StatefulSetController) flushWhy(set *appsv1.StatefulSet) {
	notes := c.notes
	c.notes = nil
	prev := c.explained[set.UID]
	now := map[whyNote]bool{}
	if !c.updateChecked {
		// The update phase did not run this sync (the set was still scaling or a pod was
		// unhealthy): its explanations still stand, unrepeated.
		for n := range prev {
			if n.reason == WhyPartition || n.reason == WhyOnDelete {
				now[n] = true
			}
		}
	}
	c.updateChecked = false
	for _, n := range notes {
		if now[n] {
			continue
		}
		now[n] = true
		if !prev[n] {
			c.rec.Eventf(set, Simulator, "", corev1.EventTypeNormal, n.reason, "%s", n.msg)
		}
	}
	if len(now) == 0 {
		delete(c.explained, set.UID)
		return
	}
	c.explained[set.UID] = now
}

func (c *StatefulSetController) forgetWhy(uid types.UID) { delete(c.explained, uid) }

// blockedBy explains why a monotonic (OrderedReady) sync stops at replica i, naming what
// waits: the next pod to create, else the scale-down.
func (c *StatefulSetController) blockedBy(set *appsv1.StatefulSet, replicas []*corev1.Pod, i int, condemned []*corev1.Pod) {
	p := replicas[i]
	var state string
	switch {
	case isTerminating(p):
		state = p.Name + " is terminating and must be gone (and recreated) first"
	case !isRunningAndReady(p):
		state = p.Name + " is not Running and Ready yet"
	default:
		state = fmt.Sprintf("%s has not been Ready for minReadySeconds (%ds) yet", p.Name, set.Spec.MinReadySeconds)
	}
	if v := c.fastView; v != nil {
		// The slots after i are the view's: nil exactly where missing.
		if j := v.missing.next(i + 1); j >= 0 {
			c.why(WhyWaitingForOrdinal, "%s is not created yet: %s. With podManagementPolicy OrderedReady the StatefulSet starts pods one at a time, in ordinal order.", podName(set, startOrdinal(set)+j), state)
		}
		return // nothing condemned
	}
	for j, q := range replicas[i+1:] {
		if q == nil || !isCreated(q) {
			name := podName(set, startOrdinal(set)+i+1+j)
			c.why(WhyWaitingForOrdinal, "%s is not created yet: %s. With podManagementPolicy OrderedReady the StatefulSet starts pods one at a time, in ordinal order.", name, state)
			return
		}
	}
	if len(condemned) > 0 {
		c.why(WhyScaleDownWaits, "%s is not deleted yet: %s. With podManagementPolicy OrderedReady a scale-down waits until every remaining pod is healthy.", condemned[0].Name, state)
	}
}

func claimNames(set *appsv1.StatefulSet, ord int) string {
	var names []string
	for _, ct := range set.Spec.VolumeClaimTemplates {
		names = append(names, "PVC "+claimName(ct.Name, set, ord))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
