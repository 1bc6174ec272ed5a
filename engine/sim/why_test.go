package sim

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// whyEvents lists the simulator's explanatory events with the given reason.
func whyEvents(t *testing.T, s *Sim, reason string) []*corev1.Event {
	t.Helper()
	objs, _ := s.Store().List(evR, "default", nil, nil)
	var out []*corev1.Event
	for _, o := range objs {
		e := o.(*corev1.Event)
		if !strings.HasPrefix(e.Reason, "Why") {
			continue
		}
		if e.Source.Component != "kubetutor-simulator" || e.ReportingController != "kubetutor-simulator" || e.Type != corev1.EventTypeNormal {
			t.Errorf("explanatory event not marked as the simulator's: %+v", e)
		}
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

func oneWhy(t *testing.T, s *Sim, reason, contains string) *corev1.Event {
	t.Helper()
	var hit []*corev1.Event
	for _, e := range whyEvents(t, s, reason) {
		if strings.Contains(e.Message, contains) {
			hit = append(hit, e)
		}
	}
	if len(hit) != 1 {
		var msgs []string
		for _, e := range whyEvents(t, s, reason) {
			msgs = append(msgs, e.Message)
		}
		t.Fatalf("want one %s event containing %q, got %d: %q", reason, contains, len(hit), msgs)
	}
	return hit[0]
}

// OrderedReady: web-1 waits for web-0; one event per waiting pod, however many syncs run
// while it waits.
func TestWhy_WaitingForOrdinal(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	for _, n := range []string{"web-1 is not created yet: web-0 is not Running and Ready", "web-2 is not created yet: web-1 is not Running and Ready"} {
		e := oneWhy(t, s, "WhyWaitingForOrdinal", n)
		if e.Count != 1 || e.InvolvedObject.Kind != "StatefulSet" || e.InvolvedObject.Name != "web" {
			t.Errorf("event %+v", e)
		}
	}
	if n := len(whyEvents(t, s, "WhyWaitingForOrdinal")); n != 2 {
		t.Errorf("%d WhyWaitingForOrdinal events, want 2", n)
	}
}

// A partitioned rollout explains why the pods below the partition keep the old revision.
func TestWhy_Partition(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	updateSts(t, s, func(set *appsv1.StatefulSet) { setPartition(2)(set); setImage("nginx:why")(set) })
	if !s.RunUntil(func() bool {
		return strings.Contains(images(s), "web-2=nginx:why") && runningReady(s, "web-0", "web-1", "web-2")()
	}, 5*time.Minute) {
		t.Fatal(images(s))
	}
	s.Advance(time.Minute)
	e := oneWhy(t, s, "WhyPartition", "web-1 keeps revision")
	if !strings.Contains(e.Message, "ordinal 1 is below the partition 2") || e.Count != 1 {
		t.Errorf("event %q count %d", e.Message, e.Count)
	}
	oneWhy(t, s, "WhyPartition", "web-0 keeps revision")
	if len(whyEvents(t, s, "WhyPartition")) != 2 {
		t.Errorf("web-2 (updated) should not be explained")
	}
}

// OnDelete explains that the controller waits for a manual delete.
func TestWhy_OnDelete(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
		setImage("nginx:ondelete")(set)
	})
	s.Advance(time.Minute)
	e := oneWhy(t, s, "WhyOnDelete", "web-1 still runs revision")
	if !strings.Contains(e.Message, "kubectl delete pod web-1") {
		t.Errorf("message %q", e.Message)
	}
}

// whenScaled Retain: the kept claim is explained; the same situation again bumps the count
// of the same event instead of writing a new one.
func TestWhy_ClaimRetainedCountsRepeats(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	for i := 0; i < 2; i++ {
		updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
		if !s.RunUntil(runningReady(s, "web-0"), time.Minute) {
			t.Fatal("scale-down")
		}
		updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
		if !s.RunUntil(runningReady(s, "web-0", "web-1"), time.Minute) {
			t.Fatal("scale-up")
		}
	}
	e := oneWhy(t, s, "WhyClaimRetained", "PVC www-web-1 is kept")
	if e.Count != 2 || !strings.Contains(e.Message, "whenScaled is Retain") {
		t.Errorf("count %d message %q", e.Count, e.Message)
	}
}

// whenScaled Delete: the claim's deletion is announced instead.
func TestWhy_ClaimDeleted(t *testing.T) {
	s := newSim(t)
	set := webSet(2)
	set.Spec.PersistentVolumeClaimRetentionPolicy = retained("Retain", "Delete")
	startWeb(t, s, set)
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
	s.Advance(time.Minute)
	oneWhy(t, s, "WhyClaimDeleted", "PVC www-web-1 will be deleted after web-1 is gone")
	if len(whyEvents(t, s, "WhyClaimRetained")) != 0 {
		t.Error("a deleted claim explained as retained")
	}
}

// Adoption of orphans is explained, once per pod.
func TestWhy_Adopted(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	orphan := metav1.DeletePropagationOrphan
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		t.Fatal(err)
	}
	s.Advance(10 * time.Second)
	create(t, s, stsR, webSet(2))
	s.Advance(time.Minute)
	oneWhy(t, s, "WhyAdopted", "adopted the orphan pod web-0")
	oneWhy(t, s, "WhyAdopted", "adopted the orphan pod web-1")
	oneWhy(t, s, "WhyAdopted", "adopted ControllerRevision web-")
}

// A scale-down that waits for an unhealthy pod says so.
func TestWhy_ScaleDownWaits(t *testing.T) {
	s := newSickSim(t)
	startWeb(t, s, sickable(webSet(3)))
	setNotReady(t, s, "web-0")
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
	s.Advance(time.Minute)
	e := oneWhy(t, s, "WhyScaleDownWaits", "web-2 is not deleted yet: web-0 is not Running and Ready")
	if e.Count != 1 {
		t.Errorf("count %d: the same wait was reported more than once", e.Count)
	}
}

// A set that is being deleted explains why nothing is recreated.
func TestWhy_StatefulSetDeleting(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	fg := metav1.DeletePropagationForeground
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	oneWhy(t, s, "WhyStatefulSetDeleting", "StatefulSet web is being deleted")
}

// minReadySeconds: a condemned pod that is ready but not yet available holds the scale-down
// (and is explained), then goes.
func TestWhy_ScaleDownWaitsForMinReady(t *testing.T) {
	s := newSim(t)
	set := webSet(2)
	set.Spec.MinReadySeconds = 30
	startWeb(t, s, set)
	// web-1 just became ready: not available for 30s.
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(0)) })
	s.Settle()
	if getPod(s, "web-1").DeletionTimestamp != nil {
		t.Skip("web-1 was already available")
	}
	oneWhy(t, s, "WhyScaleDownWaits", "web-1 is not deleted yet: it has not been Ready for minReadySeconds (30s)")
	if !s.RunUntil(func() bool { return len(pods(s, "app=nginx")) == 0 }, 5*time.Minute) {
		t.Fatal("scale to 0 incomplete")
	}
}
