package sim

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// minimalSet is web.yaml's StatefulSet as a learner writes it: no strategy, policy or limits,
// so the server's defaults show.
func minimalSet(replicas *int32) *appsv1.StatefulSet {
	set := webSet(1)
	set.Spec.Replicas = replicas
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{}
	set.Spec.PodManagementPolicy = ""
	set.Spec.RevisionHistoryLimit = nil
	return set
}

// Items 1, 2: apps/v1 defaults, with the retention policy (1.27+) and maxUnavailable (1.35+).
func TestItem1_2_Defaults(t *testing.T) {
	s := newSim(t)
	create(t, s, stsR, minimalSet(nil))
	set := getSts(t, s, "web")
	sp := set.Spec
	if sp.Replicas == nil || *sp.Replicas != 1 {
		t.Errorf("replicas %v, want 1", sp.Replicas)
	}
	if sp.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType || sp.UpdateStrategy.RollingUpdate == nil ||
		sp.UpdateStrategy.RollingUpdate.Partition == nil || *sp.UpdateStrategy.RollingUpdate.Partition != 0 {
		t.Errorf("item 1: updateStrategy %+v", sp.UpdateStrategy)
	}
	if mu := sp.UpdateStrategy.RollingUpdate.MaxUnavailable; mu == nil || mu.String() != "1" {
		t.Errorf("item 2: maxUnavailable %v, want 1", mu)
	}
	if sp.PodManagementPolicy != appsv1.OrderedReadyPodManagement || sp.RevisionHistoryLimit == nil || *sp.RevisionHistoryLimit != 10 {
		t.Errorf("item 1: policy %q history %v", sp.PodManagementPolicy, sp.RevisionHistoryLimit)
	}
	if p := sp.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != "Retain" || p.WhenScaled != "Retain" {
		t.Errorf("item 2: retention %+v", p)
	}
}

// Item 3: generation starts at 1 and counts spec changes only.
func TestItem3_GenerationCountsSpecChanges(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	set := getSts(t, s, "web")
	if set.Generation != 1 || set.Status.ObservedGeneration != 1 {
		t.Fatalf("generation %d observed %d", set.Generation, set.Status.ObservedGeneration)
	}
	rv := set.ResourceVersion
	updateSts(t, s, setImage("nginx:g2"))
	s.Settle()
	set = getSts(t, s, "web")
	if set.Generation != 2 || set.ResourceVersion == rv {
		t.Errorf("after a template change: generation %d", set.Generation)
	}
	s.Advance(time.Minute) // many status writes
	if g := getSts(t, s, "web").Generation; g != 2 {
		t.Errorf("status writes bumped generation to %d", g)
	}
}

// Item 4: the controller neither needs nor creates the governing Service.
func TestItem4_NoServiceNeeded(t *testing.T) {
	s := newSim(t)
	create(t, s, stsR, webSet(1))
	if !s.RunUntil(runningReady(s, "web-0"), time.Minute) {
		t.Fatal("web-0 did not start without the nginx Service")
	}
	if _, err := s.Store().Get(svcR, "default", "nginx"); !apierrors.IsNotFound(err) {
		t.Errorf("the controller created the Service: %v", err)
	}
}

// Item 14: READY of `kubectl get sts` (readyReplicas/replicas) rises one pod at a time.
func TestItem14_ReadyRisesOneAtATime(t *testing.T) {
	s := newSim(t)
	var seen []int32
	s.Store().Subscribe(func(ev store.Event) {
		if set, ok := ev.Object.(*appsv1.StatefulSet); ok {
			if n := len(seen); n == 0 || seen[n-1] != set.Status.ReadyReplicas {
				seen = append(seen, set.Status.ReadyReplicas)
			}
		}
	})
	startWeb(t, s, webSet(3))
	if jsonOf(seen) != "[0,1,2,3]" {
		t.Errorf("readyReplicas went %v, want 0,1,2,3", seen)
	}
}

func jsonOf(v any) string { b, _ := json.Marshal(v); return string(b) }

// Item 17: a pod with a readiness probe shows 0/1 Running until the probe passes.
func TestItem17_ReadinessProbeDelaysReady(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	set := webSet(1)
	set.Spec.Template.Spec.Containers[0].ReadinessProbe = &corev1.Probe{InitialDelaySeconds: 5,
		ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
	startWeb(t, s, set)
	got := strings.Join(r.statuses("web-0"), " | ")
	if !strings.Contains(got, "0/1 Running | 1/1 Running") {
		t.Errorf("rows %q, want 0/1 Running before 1/1 Running", got)
	}
}

func pvcUID(t *testing.T, s *Sim, name string) string {
	t.Helper()
	o, err := s.Store().Get(pvcR, "default", name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(o.(*corev1.PersistentVolumeClaim).UID)
}

// Items 18, 31: a recreated pod keeps its name, hostname and claim (the same PVC object);
// scale-down and up reattach the same claims.
func TestItem18_31_ClaimsAndIdentitySurvive(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	c0, c1 := pvcUID(t, s, "www-web-0"), pvcUID(t, s, "www-web-1")
	old := getPod(s, "web-0")
	if _, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool {
		p := getPod(s, "web-0")
		return p != nil && p.UID != old.UID && runningReady(s, "web-0", "web-1")()
	}, time.Minute) {
		t.Fatal("web-0 not recreated")
	}
	p := getPod(s, "web-0")
	if p.Spec.Hostname != "web-0" || p.Spec.Subdomain != "nginx" || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "www-web-0" {
		t.Errorf("item 31: identity %q %q %v", p.Spec.Hostname, p.Spec.Subdomain, p.Spec.Volumes)
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
	if !s.RunUntil(runningReady(s, "web-0"), time.Minute) {
		t.Fatal("scale-down")
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
	if !s.RunUntil(runningReady(s, "web-0", "web-1"), time.Minute) {
		t.Fatal("scale-up")
	}
	if pvcUID(t, s, "www-web-0") != c0 || pvcUID(t, s, "www-web-1") != c1 {
		t.Errorf("item 18: claims were replaced instead of reused")
	}
}

// Item 28: a deleted pod stays in the API (Terminating) for its grace period; only then is
// it gone, which is what `kubectl delete` waits for.
func TestItem28_DeletedPodStaysUntilTerminated(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	old := getPod(s, "web-0")
	if _, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if p := getPod(s, "web-0"); p == nil || p.UID != old.UID || p.DeletionTimestamp == nil {
		t.Fatalf("right after DELETE the old pod should still be there, Terminating: %v", p)
	}
	if !s.RunUntil(func() bool { p := getPod(s, "web-0"); return p == nil || p.UID != old.UID }, time.Minute) {
		t.Fatal("old pod never went away")
	}
}

// Item 29: a force delete removes the object at once; the replacement follows right away.
func TestItem29_ForceDelete(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	old := getPod(s, "web-0")
	res, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: ptr(int64(0))})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Gone {
		t.Errorf("grace 0 should remove the pod at once")
	}
	s.Settle()
	if p := getPod(s, "web-0"); p == nil || p.UID == old.UID {
		t.Errorf("no replacement created right after a force delete: %v", p)
	}
}

// Items 32, 34: a scale bumps generation, observedGeneration follows; READY rises 2/5 … 5/5.
func TestItem32_34_ScaleUp(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	gen := getSts(t, s, "web").Generation
	var ready []int32
	s.Store().Subscribe(func(ev store.Event) {
		if set, ok := ev.Object.(*appsv1.StatefulSet); ok {
			if n := len(ready); n == 0 || ready[n-1] != set.Status.ReadyReplicas {
				ready = append(ready, set.Status.ReadyReplicas)
			}
		}
	})
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(5)) })
	s.Settle()
	set := getSts(t, s, "web")
	if set.Generation != gen+1 || set.Status.ObservedGeneration != set.Generation {
		t.Errorf("item 32: generation %d observed %d", set.Generation, set.Status.ObservedGeneration)
	}
	if !s.RunUntil(runningReady(s, "web-0", "web-1", "web-2", "web-3", "web-4"), 5*time.Minute) {
		t.Fatal("scale-up incomplete")
	}
	if jsonOf(ready) != "[2,3,4,5]" {
		t.Errorf("item 34: readyReplicas %v, want 2,3,4,5", ready)
	}
}

// sickable gives a set's pods an exec readiness probe the test can fail (setNotReady), the
// way a real unhealthy pod stays Running but not Ready until its probe passes again.
func sickable(set *appsv1.StatefulSet) *appsv1.StatefulSet {
	c := &set.Spec.Template.Spec.Containers[0]
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"ready"}}},
		PeriodSeconds: 1, FailureThreshold: 1, SuccessThreshold: 1, TimeoutSeconds: 1,
	}
	return set
}

// newSickSim is newSim with a runner whose probe answers setNotReady and setRunning flip.
func newSickSim(t *testing.T) *Sim {
	t.Helper()
	fr := newFakeRunner()
	s := newSimWithRunner(t, fr)
	sickRunners.Store(s, fr)
	t.Cleanup(func() { sickRunners.Delete(s) })
	return s
}

var sickRunners sync.Map // *Sim -> *fakeRunner

// setNotReady fails a pod's readiness probe (see sickable) and waits until the pod is Running
// but not Ready.
func setNotReady(t *testing.T, s *Sim, name string) {
	t.Helper()
	setProbe(t, s, name, 1)
	if !s.RunUntil(func() bool { p := getPod(s, name); return p != nil && !podReady(p) }, time.Minute) {
		t.Fatalf("%s did not become unready", name)
	}
}

// setRunning lets a pod's readiness probe pass again.
func setRunning(t *testing.T, s *Sim, name string) {
	t.Helper()
	setProbe(t, s, name, -1)
}

func setProbe(t *testing.T, s *Sim, name string, code int) {
	t.Helper()
	v, ok := sickRunners.Load(s)
	if !ok {
		t.Fatal("setNotReady needs newSickSim and a sickable set")
	}
	c := getPod(s, name).Spec.Containers[0].Name
	v.(*fakeRunner).set(func(f *fakeRunner) {
		if code < 0 {
			delete(f.exit, name+"/"+c)
		} else {
			f.exit[name+"/"+c] = code
		}
	})
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// Item 35 [inferred]: an unready replica stops a scale-up at its ordinal.
func TestItem35_UnhealthyPodBlocksScaleUp(t *testing.T) {
	s := newSickSim(t)
	startWeb(t, s, sickable(webSet(2)))
	setNotReady(t, s, "web-1")
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(4)) })
	s.Advance(time.Minute)
	if p := getPod(s, "web-2"); p != nil {
		t.Errorf("web-2 created while web-1 was not ready")
	}
	if r, st := podColumns(getPod(s, "web-1")); r != "0/1" || st != "Running" {
		t.Fatalf("web-1 should stay 0/1 Running, is %s %s", r, st)
	}
}

// Items 36, 37, 38: condemned pods go from the highest ordinal down, one at a time; an
// unhealthy in-range pod holds the scale-down, but the lowest unhealthy condemned pod may go.
func TestItem36_38_ScaleDownOrderAndUnhealthy(t *testing.T) {
	s := newSickSim(t)
	startWeb(t, s, sickable(webSet(4)))
	r := recordRows(s)
	setNotReady(t, s, "web-1")
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
	s.Advance(time.Minute)
	if r.first("web-3", "", watch.Deleted) >= 0 || r.first("web-2", "", watch.Deleted) >= 0 {
		t.Fatalf("item 38: scale-down went on while web-1 was not ready: %v", r.snapshot())
	}
	// web-1 recovers; web-2 becomes the unhealthy condemned pod: it is the first unhealthy
	// one, so it can still be deleted (after web-3).
	setNotReady(t, s, "web-2")
	setRunning(t, s, "web-1")
	if !s.RunUntil(runningReady(s, "web-0", "web-1"), 5*time.Minute) {
		t.Fatalf("scale-down incomplete: %s", podNames(pods(s, "app=nginx")))
	}
	d3, d2 := r.first("web-3", "", watch.Deleted), r.first("web-2", "", watch.Deleted)
	t2 := r.first("web-2", "0/1 Terminating", "")
	if d3 < 0 || d2 < 0 || d3 > d2 || (t2 >= 0 && t2 < d3) {
		t.Errorf("item 36/37: web-3 (gone at row %d) must go before web-2 starts terminating (row %d)", d3, t2)
	}
}

// Item 40 [inferred]: during a scale-down status.replicas still counts the terminating pod,
// currentReplicas does not.
func TestItem40_TerminatingPodsStillCounted(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
	s.Settle()
	if p := getPod(s, "web-2"); p == nil || p.DeletionTimestamp == nil {
		t.Fatal("web-2 not terminating")
	}
	st := getSts(t, s, "web").Status
	if st.Replicas != 3 || st.ReadyReplicas != 3 || st.CurrentReplicas != 2 {
		t.Errorf("status while web-2 terminates: replicas %d ready %d current %d; want 3, 3 (READY 3/2), 2", st.Replicas, st.ReadyReplicas, st.CurrentReplicas)
	}
}

// Item 41: scaling comes before the rolling update.
func TestItem41_ScaleBeforeUpdate(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	r := recordRows(s)
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.Replicas = ptr(int32(2))
		setImage("nginx:41")(set)
	})
	if !s.RunUntil(func() bool { return images(s) == "web-0=nginx:41,web-1=nginx:41" }, 5*time.Minute) {
		t.Fatalf("not done: %s", images(s))
	}
	gone2 := r.first("web-2", "", watch.Deleted)
	term1 := r.first("web-1", "1/1 Terminating", "")
	if gone2 < 0 || term1 < gone2 {
		t.Errorf("web-1 was updated (row %d) before the condemned web-2 was gone (row %d)", term1, gone2)
	}
}

// Items 42, 46: a template change makes revision max+1 and moves updateRevision only; a pod
// below the partition that fails comes back at the current revision.
func TestItem42_46_NewRevisionAndRecreateByOrdinal(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	cur := getSts(t, s, "web").Status.CurrentRevision
	updateSts(t, s, func(set *appsv1.StatefulSet) { setPartition(1)(set); setImage("nginx:46")(set) })
	if !s.RunUntil(func() bool { return images(s) == "web-0=registry.k8s.io/nginx-slim:0.24,web-1=nginx:46,web-2=nginx:46" }, 5*time.Minute) {
		t.Fatalf("partitioned rollout: %s", images(s))
	}
	st := getSts(t, s, "web").Status
	if st.CurrentRevision != cur || st.UpdateRevision == cur {
		t.Errorf("item 42: current %s update %s (old %s)", st.CurrentRevision, st.UpdateRevision, cur)
	}
	o, err := s.Store().Get(revR, "default", st.UpdateRevision)
	if err != nil || o.(*appsv1.ControllerRevision).Revision != 2 {
		t.Errorf("item 42: update revision %v %v", o, err)
	}
	p := getPod(s, "web-0")
	p.Status.Phase = corev1.PodFailed
	if _, err := s.Store().Update(podsR, p, store.UpdateOptions{Status: true}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool {
		q := getPod(s, "web-0")
		return q != nil && q.UID != p.UID && runningReady(s, "web-0", "web-1", "web-2")()
	}, time.Minute) {
		t.Fatal("web-0 not recreated")
	}
	if img := getPod(s, "web-0").Spec.Containers[0].Image; img != "registry.k8s.io/nginx-slim:0.24" {
		t.Errorf("item 46: web-0 came back with %s, want the current revision's image", img)
	}
}

// Item 49 [inferred]: the tutorial's "switch to RollingUpdate" patch changes nothing under
// apps/v1: the stored object and its resourceVersion stay the same.
func TestItem49_RollingUpdatePatchIsNoChange(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	set := getSts(t, s, "web")
	orig, _ := json.Marshal(set)
	patched, err := strategicpatch.StrategicMergePatch(orig, []byte(`{"spec":{"updateStrategy":{"type":"RollingUpdate"}}}`), &appsv1.StatefulSet{})
	if err != nil {
		t.Fatal(err)
	}
	var next appsv1.StatefulSet
	if err := json.Unmarshal(patched, &next); err != nil {
		t.Fatal(err)
	}
	out, err := s.Store().Update(stsR, &next, store.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.(*appsv1.StatefulSet).ResourceVersion != set.ResourceVersion {
		t.Errorf("resourceVersion changed: kubectl would print `patched`, not `patched (no change)`")
	}
}

// Item 50: old revisions beyond revisionHistoryLimit are deleted, oldest first; live ones stay.
func TestItem50_RevisionHistoryLimit(t *testing.T) {
	s := newSim(t)
	set := webSet(1)
	set.Spec.RevisionHistoryLimit = ptr(int32(2))
	startWeb(t, s, set)
	var names []string
	for i := 1; i <= 4; i++ {
		names = append(names, getSts(t, s, "web").Status.UpdateRevision)
		img := "nginx:h" + string(rune('0'+i))
		updateSts(t, s, setImage(img))
		if !s.RunUntil(func() bool {
			return images(s) == "web-0="+img && getSts(t, s, "web").Status.CurrentRevision == getSts(t, s, "web").Status.UpdateRevision
		}, 5*time.Minute) {
			t.Fatalf("rollout %d: %s", i, images(s))
		}
	}
	s.Settle()
	objs, _ := s.Store().List(revR, "default", nil, nil)
	have := map[string]int64{}
	for _, o := range objs {
		have[o.(*appsv1.ControllerRevision).Name] = o.(*appsv1.ControllerRevision).Revision
	}
	if len(have) != 3 { // the live revision + 2 of history
		t.Errorf("revisions %v, want 3", have)
	}
	for _, old := range names[:2] {
		if _, ok := have[old]; ok {
			t.Errorf("oldest revision %s kept", old)
		}
	}
	for _, kept := range names[2:] {
		if _, ok := have[kept]; !ok {
			t.Errorf("recent revision %s deleted", kept)
		}
	}
}

// Item 51: type RollingUpdate without a rollingUpdate block: a missing pod below
// currentReplicas gets the current revision.
func TestItem51_RevisionOfMissingPodWithoutRollingUpdateBlock(t *testing.T) {
	s := newSickSim(t)
	set := sickable(webSet(2))
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
	startWeb(t, s, set)
	if ru := getSts(t, s, "web").Spec.UpdateStrategy.RollingUpdate; ru != nil {
		t.Skipf("defaulting added a rollingUpdate block: %+v", ru)
	}
	// Stage a template change while web-1 is not ready, so the update cannot start, then
	// delete web-0: 0 < currentReplicas, so it returns at the current revision.
	setNotReady(t, s, "web-1")
	updateSts(t, s, setImage("nginx:51"))
	s.Settle()
	if _, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if p := getPod(s, "web-0"); p == nil || p.Spec.Containers[0].Image != "registry.k8s.io/nginx-slim:0.24" {
		t.Errorf("web-0 recreated as %v, want the current revision", p)
	}
}

// Item 57 [inferred]: the partition counts from spec.ordinals.start.
func TestItem57_PartitionIsOffsetFromStart(t *testing.T) {
	s := newSim(t)
	set := webSet(3)
	set.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 5}
	create(t, s, svcR, nginxService())
	create(t, s, stsR, set)
	if !s.RunUntil(runningReady(s, "web-5", "web-6", "web-7"), 5*time.Minute) {
		t.Fatalf("pods %s", podNames(pods(s, "app=nginx")))
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { setPartition(2)(set); setImage("nginx:57")(set) })
	if !s.RunUntil(func() bool { return strings.Contains(images(s), "web-7=nginx:57") }, 5*time.Minute) {
		t.Fatalf("web-7 not updated: %s", images(s))
	}
	s.Advance(time.Minute)
	if got := images(s); got != "web-5=registry.k8s.io/nginx-slim:0.24,web-6=registry.k8s.io/nginx-slim:0.24,web-7=nginx:57" {
		t.Errorf("images %s; web-5 and web-6 are protected by partition 2 from start 5", got)
	}
}

// Items 63, 72: deleting a StatefulSet with no propagation policy is a background delete:
// the object goes at once and the GC deletes its pods and revisions.
func TestItem63_DefaultPolicyIsBackground(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	res, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Gone {
		t.Errorf("apps/v1 default policy is background: the sts should go at once")
	}
	if !s.RunUntil(func() bool { return len(pods(s, "app=nginx")) == 0 }, 2*time.Minute) {
		t.Fatal("pods not collected")
	}
	if objs, _ := s.Store().List(revR, "default", nil, nil); len(objs) != 0 {
		t.Errorf("revisions left: %d", len(objs))
	}
}

// Item 68 [inferred]: adoption is a write to the pod, so a watch shows another, unchanged row.
func TestItem68_AdoptionIsAWatchRow(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	orphan := metav1.DeletePropagationOrphan
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		t.Fatal(err)
	}
	s.Advance(10 * time.Second)
	r := recordRows(s)
	create(t, s, stsR, webSet(2))
	s.Settle()
	i := r.first("web-1", "1/1 Running", watch.Modified)
	if i < 0 {
		t.Fatalf("no MODIFIED row for the adopted web-1: %v", r.snapshot())
	}
	if ref := controllerRefOf(getPod(s, "web-1")); ref == nil || ref.UID != getSts(t, s, "web").UID {
		t.Errorf("web-1 not adopted: %v", ref)
	}
}

func controllerRefOf(p *corev1.Pod) *metav1.OwnerReference {
	if p == nil {
		return nil
	}
	return metav1.GetControllerOf(p)
}

// Item 77: changing podManagementPolicy (or serviceName, selector, volumeClaimTemplates) is
// forbidden with the current message.
func TestItem77_ForbiddenUpdates(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	const msg = `StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`
	for name, fn := range map[string]func(*appsv1.StatefulSet){
		"podManagementPolicy": func(set *appsv1.StatefulSet) { set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement },
		"serviceName":         func(set *appsv1.StatefulSet) { set.Spec.ServiceName = "other" },
		"volumeClaimTemplates": func(set *appsv1.StatefulSet) {
			set.Spec.VolumeClaimTemplates[0].Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
		},
	} {
		set := getSts(t, s, "web")
		fn(set)
		_, err := s.Store().Update(stsR, set, store.UpdateOptions{})
		if err == nil || err.Error() != msg || !apierrors.IsInvalid(err) {
			t.Errorf("%s: got %v\nwant %s", name, err, msg)
		}
	}
	for name, fn := range map[string]func(*appsv1.StatefulSet){
		"revisionHistoryLimit": func(set *appsv1.StatefulSet) { set.Spec.RevisionHistoryLimit = ptr(int32(3)) },
		"minReadySeconds":      func(set *appsv1.StatefulSet) { set.Spec.MinReadySeconds = 3 },
		"retention": func(set *appsv1.StatefulSet) {
			set.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Delete", WhenScaled: "Retain"}
		},
	} {
		set := getSts(t, s, "web")
		fn(set)
		if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
			t.Errorf("%s is an allowed update: %v", name, err)
		}
	}
}

// Item 80: Parallel does not parallelise a rolling update (maxUnavailable 1).
func TestItem80_ParallelUpdatesOneAtATime(t *testing.T) {
	s := newSim(t)
	set := webSet(3)
	set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	startWeb(t, s, set)
	r := recordRows(s)
	updateSts(t, s, setImage("nginx:80"))
	s.Settle()
	if r.first("web-2", "1/1 Terminating", "") < 0 || r.first("web-1", "1/1 Terminating", "") >= 0 {
		t.Errorf("want only web-2 terminating first: %v", r.snapshot())
	}
	if !s.RunUntil(func() bool { return images(s) == "web-0=nginx:80,web-1=nginx:80,web-2=nginx:80" }, 5*time.Minute) {
		t.Fatalf("rollout: %s", images(s))
	}
	if r.first("web-1", "1/1 Terminating", "") < r.last("web-2", "1/1 Running", "") {
		t.Errorf("web-1 was deleted before the new web-2 was ready")
	}
}

// Item 81: with Parallel, a failed pod is replaced while the others go on.
func TestItem81_ParallelFailedPod(t *testing.T) {
	s := newSickSim(t)
	set := sickable(webSet(3))
	set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	startWeb(t, s, set)
	setNotReady(t, s, "web-0")
	p := getPod(s, "web-1")
	p.Status.Phase = corev1.PodFailed
	if _, err := s.Store().Update(podsR, p, store.UpdateOptions{Status: true}); err != nil {
		t.Fatal(err)
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(4)) })
	if !s.RunUntil(func() bool {
		q, r := getPod(s, "web-1"), getPod(s, "web-3")
		return q != nil && q.UID != p.UID && r != nil
	}, time.Minute) {
		t.Fatalf("web-1 not replaced or web-3 not created while web-0 is unready: %s", podNames(pods(s, "app=nginx")))
	}
}

// Item 83: availableReplicas is part of status (GA 1.25).
func TestItem83_AvailableReplicas(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	set := getSts(t, s, "web")
	raw, _ := json.Marshal(set.Status)
	if set.Status.AvailableReplicas != 2 || !strings.Contains(string(raw), `"availableReplicas":2`) {
		t.Errorf("status %s", raw)
	}
}

// Item 88: with OrderedReady and maxUnavailable 3, three old pods are deleted at once but
// they come back one at a time, in ascending order.
func TestItem88_MaxUnavailableWithOrderedReady(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	r := recordRows(s)
	mu := intstr.FromInt32(3)
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &mu
		setImage("nginx:88")(set)
	})
	s.Settle()
	for _, n := range []string{"web-0", "web-1", "web-2"} {
		if r.first(n, "1/1 Terminating", "") < 0 {
			t.Errorf("%s not deleted in the first sync", n)
		}
	}
	if !s.RunUntil(func() bool {
		return images(s) == "web-0=nginx:88,web-1=nginx:88,web-2=nginx:88" && runningReady(s, "web-0", "web-1", "web-2")()
	}, 5*time.Minute) {
		t.Fatalf("rollout: %s", images(s))
	}
	a0, a1, a2 := r.last("web-0", "", watch.Added), r.last("web-1", "", watch.Added), r.last("web-2", "", watch.Added)
	if !(a0 < a1 && a1 < a2) || a1 < r.last("web-0", "1/1 Running", "") {
		t.Errorf("recreation not one at a time in ascending order: %d %d %d", a0, a1, a2)
	}
}

func claimRefs(t *testing.T, s *Sim, name string) string {
	t.Helper()
	o, err := s.Store().Get(pvcR, "default", name)
	if err != nil {
		return "gone"
	}
	var out []string
	for _, r := range o.(*corev1.PersistentVolumeClaim).OwnerReferences {
		c := r.Controller != nil && *r.Controller
		out = append(out, r.Kind+"/"+r.Name+map[bool]string{true: "(controller)", false: ""}[c])
	}
	return strings.Join(out, ",")
}

func retained(whenDeleted, whenScaled appsv1.PersistentVolumeClaimRetentionPolicyType) *appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
	return &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: whenDeleted, WhenScaled: whenScaled}
}

// Item 89: the owner references each retention policy puts on the claims.
func TestItem89_ClaimOwnerRefsPerPolicy(t *testing.T) {
	for _, tc := range []struct {
		deleted, scaled       appsv1.PersistentVolumeClaimRetentionPolicyType
		inRange, afterScaling string
	}{
		{"Retain", "Retain", "", ""},
		{"Delete", "Retain", "StatefulSet/web(controller)", "StatefulSet/web(controller)"},
		{"Retain", "Delete", "", "Pod/web-1(controller)"},
		{"Delete", "Delete", "StatefulSet/web(controller)", "Pod/web-1(controller)"},
	} {
		s := newSim(t)
		set := webSet(2)
		set.Spec.PersistentVolumeClaimRetentionPolicy = retained(tc.deleted, tc.scaled)
		startWeb(t, s, set)
		if got := claimRefs(t, s, "www-web-1"); got != tc.inRange {
			t.Errorf("%s/%s in range: refs %q, want %q", tc.deleted, tc.scaled, got, tc.inRange)
		}
		updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
		s.Settle()
		if got := claimRefs(t, s, "www-web-1"); got != tc.afterScaling {
			t.Errorf("%s/%s condemned: refs %q, want %q", tc.deleted, tc.scaled, got, tc.afterScaling)
		}
	}
	// A policy changed on a live set is applied to the existing claims.
	s := newSim(t)
	startWeb(t, s, webSet(1))
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.PersistentVolumeClaimRetentionPolicy = retained("Delete", "Retain")
	})
	s.Settle()
	if got := claimRefs(t, s, "www-web-0"); got != "StatefulSet/web(controller)" {
		t.Errorf("after switching whenDeleted to Delete: %q", got)
	}
}

// Item 91: with whenScaled=Delete, scaling back up before the old claim is gone waits for the
// claim to be deleted, then creates the pod with a new, empty claim.
func TestItem91_StaleClaimBlocksRecreate(t *testing.T) {
	s := newSim(t)
	set := webSet(2)
	set.Spec.PersistentVolumeClaimRetentionPolicy = retained("Retain", "Delete")
	startWeb(t, s, set)
	oldClaim := pvcUID(t, s, "www-web-1")
	// Hold the claim: a foreign finalizer keeps it Terminating after the GC deletes it.
	o, _ := s.Store().Get(pvcR, "default", "www-web-1")
	pvc := o.(*corev1.PersistentVolumeClaim)
	pvc.Finalizers = append(pvc.Finalizers, "example.com/hold")
	if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
	if !s.RunUntil(func() bool { return getPod(s, "web-1") == nil }, time.Minute) {
		t.Fatal("web-1 not removed")
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
	s.Advance(time.Minute)
	if getPod(s, "web-1") != nil {
		t.Fatalf("web-1 recreated while its claim still belonged to the old pod")
	}
	o, _ = s.Store().Get(pvcR, "default", "www-web-1")
	pvc = o.(*corev1.PersistentVolumeClaim)
	pvc.Finalizers = nil
	if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(runningReady(s, "web-0", "web-1"), 5*time.Minute) {
		t.Fatal("web-1 not recreated after the claim went")
	}
	if pvcUID(t, s, "www-web-1") == oldClaim {
		t.Errorf("web-1 got the old claim back")
	}
}

// Item 92: whenDeleted=Delete: a background delete removes the claims with the set; an
// orphan delete keeps them and strips the set's reference.
func TestItem92_WhenDeletedDelete(t *testing.T) {
	s := newSim(t)
	set := webSet(2)
	set.Spec.PersistentVolumeClaimRetentionPolicy = retained("Delete", "Retain")
	startWeb(t, s, set)
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool { return claimRefs(t, s, "www-web-0") == "gone" && claimRefs(t, s, "www-web-1") == "gone" }, 5*time.Minute) {
		t.Errorf("claims left after a background delete: %q %q", claimRefs(t, s, "www-web-0"), claimRefs(t, s, "www-web-1"))
	}

	s = newSim(t)
	startWeb(t, s, set.DeepCopy())
	orphan := metav1.DeletePropagationOrphan
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &orphan}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if got := claimRefs(t, s, "www-web-0"); got != "" {
		t.Errorf("orphan delete: claim refs %q, want none (and the claim kept)", got)
	}
}

// Item 93: a claim that is being deleted blocks pod creation with `pvc … is being deleted`
// until it is gone; then it is created again.
func TestItem93_ClaimBeingDeleted(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	o, _ := s.Store().Get(pvcR, "default", "www-web-0")
	pvc := o.(*corev1.PersistentVolumeClaim)
	old := pvc.UID
	pvc.Finalizers = append(pvc.Finalizers, "example.com/hold")
	if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store().Delete(pvcR, "default", "www-web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	s.Advance(10 * time.Second)
	if getPod(s, "web-0") != nil {
		t.Fatal("web-0 created while its claim is being deleted")
	}
	found := false
	evs, _ := s.Store().List(evR, "default", nil, nil)
	for _, o := range evs {
		e := o.(*corev1.Event)
		if e.Type == "Warning" && e.Reason == "FailedCreate" && strings.Contains(e.Message, "pvc www-web-0 is being deleted") {
			found = true
		}
	}
	if !found {
		t.Errorf("no FailedCreate event naming the claim being deleted")
	}
	o, _ = s.Store().Get(pvcR, "default", "www-web-0")
	pvc = o.(*corev1.PersistentVolumeClaim)
	pvc.Finalizers = nil
	if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(runningReady(s, "web-0"), 5*time.Minute) {
		t.Fatal("web-0 not recreated")
	}
	if pvcUID(t, s, "www-web-0") == string(old) {
		t.Errorf("the old claim came back")
	}
}

// Item 94: spec.ordinals.start numbers pods and claims from start; changing it migrates.
func TestItem94_OrdinalsStart(t *testing.T) {
	s := newSim(t)
	set := webSet(2)
	set.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 3}
	create(t, s, stsR, set)
	if !s.RunUntil(runningReady(s, "web-3", "web-4"), 5*time.Minute) {
		t.Fatalf("pods %s", podNames(pods(s, "app=nginx")))
	}
	if pvcUID(t, s, "www-web-3") == "" {
		t.Error("claim www-web-3 missing")
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Ordinals.Start = 0 })
	if !s.RunUntil(runningReady(s, "web-0", "web-1"), 5*time.Minute) {
		t.Fatalf("after start=0: %s", podNames(pods(s, "app=nginx")))
	}
}

// Item 95: a pod whose name does not parse as web-<n> is ignored, even if it matches.
func TestItem95_UnparsableNamesIgnored(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	stray := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-abc", Namespace: "default", Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	create(t, s, podsR, stray)
	s.Advance(time.Minute)
	p := getPod(s, "web-abc")
	if p == nil || metav1.GetControllerOf(p) != nil {
		t.Errorf("web-abc adopted or deleted: %v", p)
	}
	if st := getSts(t, s, "web").Status; st.Replicas != 1 {
		t.Errorf("status.replicas %d counts the stray pod", st.Replicas)
	}
}

// Item 89: a claim controlled by something else keeps that controller and gets no second one.
func TestItem89_ClaimWithForeignControllerLeftAlone(t *testing.T) {
	s := newSim(t)
	set := webSet(1)
	set.Spec.PersistentVolumeClaimRetentionPolicy = retained("Delete", "Retain")
	startWeb(t, s, set)
	cm, err := s.Store().Create(store.MustLookup("configmaps"), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner", Namespace: "default"}})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := s.Store().Get(pvcR, "default", "www-web-0")
	pvc := o.(*corev1.PersistentVolumeClaim)
	pvc.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "owner", UID: cm.(*corev1.ConfigMap).UID, Controller: ptr(true)}}
	if _, err := s.Store().Update(pvcR, pvc, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	updateSts(t, s, setImage("nginx:foreign"))
	s.Advance(time.Minute)
	if got := claimRefs(t, s, "www-web-0"); got != "ConfigMap/owner(controller)" {
		t.Errorf("refs %q", got)
	}
}

// Item 72 (GC): a dependent whose owner reference is added later, to an owner that does not
// exist, is collected, as the real GC does on updates.
func TestItem72_GCSeesOwnerRefsAddedLater(t *testing.T) {
	s := newSim(t)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dep", Namespace: "default"}}
	create(t, s, store.MustLookup("configmaps"), cm)
	o, _ := s.Store().Get(store.MustLookup("configmaps"), "default", "dep")
	dep := o.(*corev1.ConfigMap)
	dep.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: "ghost", UID: "no-such-uid"}}
	if _, err := s.Store().Update(store.MustLookup("configmaps"), dep, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if _, err := s.Store().Get(store.MustLookup("configmaps"), "default", "dep"); !apierrors.IsNotFound(err) {
		t.Errorf("dependent of a missing owner kept: %v", err)
	}
}
