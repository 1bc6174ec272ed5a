package sim

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Items 15, 16, 14: OrderedReady creates one pod at a time; each shows Pending, Pending
// (bound), ContainerCreating, 1/1 Running, and web-1 starts only after web-0 is Running+Ready.
func TestItem15_16_OrderedReadyCreatesOneAtATime(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	startWeb(t, s, webSet(2))

	for _, name := range []string{"web-0", "web-1"} {
		got := strings.Join(r.statuses(name), " | ")
		if want := "0/1 Pending | 0/1 ContainerCreating | 1/1 Running"; got != want {
			t.Errorf("%s rows: got %q, want %q", name, got, want)
		}
		pending := 0
		for _, x := range r.snapshot() {
			if x.name == name && x.status == "Pending" {
				pending++
			}
		}
		if pending < 2 {
			t.Errorf("%s: want an ADDED Pending row and a bound Pending row, got %d Pending rows", name, pending)
		}
	}
	running0 := r.first("web-0", "1/1 Running", "")
	added1 := r.first("web-1", "", watch.Added)
	if running0 < 0 || added1 < 0 || added1 < running0 {
		t.Fatalf("web-1 was created (row %d) before web-0 was Running and Ready (row %d)", added1, running0)
	}
	// Visible pace at speed 1: a 2-pod start takes a few seconds of (simulated) time.
	if d := r.snapshot()[r.first("web-1", "1/1 Running", "")].at.Sub(t0); d < 2*time.Second || d > 10*time.Second {
		t.Errorf("two pods took %v of simulated time, want a few seconds", d)
	}
}

// Items 5, 6, 7, 19: each ordinal's PVC is created before its pod, carries the selector's
// labels and no ownerReferences (Retain), and binds to a provisioned PV pvc-<uid>.
func TestItem5_6_7_19_ClaimsBeforePods(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	startWeb(t, s, webSet(2))
	log := r.events()
	idx := func(entry string) int {
		for i, l := range log {
			if l == entry {
				return i
			}
		}
		return -1
	}
	for _, n := range []string{"0", "1"} {
		c, p := idx("ADDED persistentvolumeclaims www-web-"+n), idx("ADDED pods web-"+n)
		if c < 0 || p < 0 || c > p {
			t.Errorf("ordinal %s: claim event %d, pod event %d; want the claim first", n, c, p)
		}
	}
	o, err := s.Store().Get(pvcR, "default", "www-web-0")
	if err != nil {
		t.Fatal(err)
	}
	pvc := o.(*corev1.PersistentVolumeClaim)
	if pvc.Labels["app"] != "nginx" || len(pvc.OwnerReferences) != 0 {
		t.Errorf("claim labels %v ownerRefs %v", pvc.Labels, pvc.OwnerReferences)
	}
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName != "pvc-"+string(pvc.UID) ||
		pvc.Status.Capacity.Storage().String() != "1Gi" || pvc.Annotations["pv.kubernetes.io/bind-completed"] != "yes" {
		t.Errorf("claim not bound as a PV controller binds: %+v %+v", pvc.Spec, pvc.Status)
	}
	po, err := s.Store().Get(pvR, "", pvc.Spec.VolumeName)
	if err != nil {
		t.Fatal(err)
	}
	pv := po.(*corev1.PersistentVolume)
	if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID != pvc.UID || pv.Status.Phase != corev1.VolumeBound ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || pv.Spec.StorageClassName != "standard" {
		t.Errorf("PV: %+v %+v", pv.Spec, pv.Status)
	}
}

// Items 8, 9, 12: pod identity.
func TestItem8_9_12_PodIdentity(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	set := getSts(t, s, "web")
	p := getPod(s, "web-1")
	want := map[string]string{"app": "nginx", "statefulset.kubernetes.io/pod-name": "web-1",
		"apps.kubernetes.io/pod-index": "1", "controller-revision-hash": set.Status.UpdateRevision}
	for k, v := range want {
		if p.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, p.Labels[k], v)
		}
	}
	if p.GenerateName != "web-" || p.Spec.Hostname != "web-1" || p.Spec.Subdomain != "nginx" {
		t.Errorf("generateName %q hostname %q subdomain %q", p.GenerateName, p.Spec.Hostname, p.Spec.Subdomain)
	}
	if len(p.OwnerReferences) != 1 {
		t.Fatalf("ownerRefs %v", p.OwnerReferences)
	}
	ref := p.OwnerReferences[0]
	if ref.APIVersion != "apps/v1" || ref.Kind != "StatefulSet" || ref.Name != "web" || ref.UID != set.UID ||
		ref.Controller == nil || !*ref.Controller || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("ownerRef %+v", ref)
	}
	// The claim's volume, then the service-account token volume the admission plugin appends.
	if len(p.Spec.Volumes) != 2 || p.Spec.Volumes[0].PersistentVolumeClaim == nil || p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "www-web-1" ||
		p.Spec.Volumes[1].Projected == nil || p.Spec.Volumes[1].Name[:len("kube-api-access-")] != "kube-api-access-" {
		t.Errorf("volumes %+v", p.Spec.Volumes)
	}
	// Item 17/conditions: the kubelet reports the five conditions, all True when running.
	for _, ct := range []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled} {
		found := false
		for _, c := range p.Status.Conditions {
			if c.Type == ct && c.Status == corev1.ConditionTrue {
				found = true
			}
		}
		if !found {
			t.Errorf("condition %s not True: %+v", ct, p.Status.Conditions)
		}
	}
	if !strings.HasPrefix(p.Status.PodIP, "10.244.") || p.Status.HostIP == "" || p.Spec.NodeName == "" {
		t.Errorf("podIP %q hostIP %q node %q", p.Status.PodIP, p.Status.HostIP, p.Spec.NodeName)
	}
}

var revisionName = regexp.MustCompile(`^web-[4-9bcdf]{1,10}$`)

// Items 10, 11, 12: the first sync creates revision web-<hash> (revision 1), whose data is a
// patch replacing spec.template; pods carry the full revision name.
func TestItem10_11_RevisionHashFormat(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	objs, _ := s.Store().List(revR, "default", nil, nil)
	if len(objs) != 1 {
		t.Fatalf("want one revision, got %d", len(objs))
	}
	rev := objs[0].(*appsv1.ControllerRevision)
	if !revisionName.MatchString(rev.Name) || rev.Revision != 1 {
		t.Errorf("revision %q number %d", rev.Name, rev.Revision)
	}
	if rev.Labels["app"] != "nginx" || "web-"+rev.Labels["controller.kubernetes.io/hash"] != rev.Name {
		t.Errorf("labels %v", rev.Labels)
	}
	if ref := rev.OwnerReferences; len(ref) != 1 || ref[0].Kind != "StatefulSet" || ref[0].Controller == nil || !*ref[0].Controller {
		t.Errorf("ownerRefs %v", ref)
	}
	var data map[string]map[string]map[string]any
	if err := json.Unmarshal(rev.Data.Raw, &data); err != nil {
		t.Fatal(err)
	}
	if len(data) != 1 || len(data["spec"]) != 1 || data["spec"]["template"]["$patch"] != "replace" {
		t.Errorf("data %s", rev.Data.Raw)
	}
	if got := getPod(s, "web-0").Labels["controller-revision-hash"]; got != rev.Name {
		t.Errorf("pod revision label %q, want %q", got, rev.Name)
	}
	// Equal templates give equal names (Part D): a second simulator with the same template agrees.
	s2 := newSim(t)
	startWeb(t, s2, webSet(1))
	if got := getSts(t, s2, "web").Status.UpdateRevision; got != rev.Name {
		t.Errorf("same template, different revision names %q %q", got, rev.Name)
	}
}

// Items 32, 33, 34, 36, 37, 39, 40: scale 2→5 creates web-2..4 in order, each after its
// predecessor is Ready; 5→3 deletes web-4 then (after it is gone) web-3; PVCs stay Bound.
func TestItem33_37_39_ScaleUpDownOrderAndClaimsRetained(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	r := recordRows(s)
	gen := getSts(t, s, "web").Generation
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(5)) })
	if g := getSts(t, s, "web").Generation; g != gen+1 {
		t.Errorf("generation %d, want %d (item 32)", g, gen+1)
	}
	if !s.RunUntil(runningReady(s, "web-0", "web-1", "web-2", "web-3", "web-4"), 5*time.Minute) {
		t.Fatalf("scale up did not finish: %s", podNames(pods(s, "app=nginx")))
	}
	for i := 3; i <= 4; i++ {
		prevReady := r.first(fmt.Sprintf("web-%d", i-1), "1/1 Running", "")
		added := r.first(fmt.Sprintf("web-%d", i), "", watch.Added)
		if prevReady < 0 || added < prevReady {
			t.Errorf("web-%d created at row %d before web-%d was ready (row %d)", i, added, i-1, prevReady)
		}
	}
	if st := getSts(t, s, "web").Status; st.ObservedGeneration != gen+1 || st.ReadyReplicas != 5 {
		t.Errorf("status after scale-up %+v", st)
	}

	r = recordRows(s)
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(3)) })
	sawOverCount := false
	ok := s.RunUntil(func() bool {
		if st := getSts(t, s, "web").Status; st.ReadyReplicas > 3 {
			sawOverCount = true // item 40: READY may read 5/3 or 4/3 for a while
		}
		return len(pods(s, "app=nginx")) == 3
	}, 5*time.Minute)
	if !ok {
		t.Fatalf("scale down did not finish: %s", podNames(pods(s, "app=nginx")))
	}
	if !sawOverCount {
		t.Errorf("readyReplicas never counted the terminating pods (item 40)")
	}
	term4 := r.first("web-4", "1/1 Terminating", "")
	gone4 := r.first("web-4", "", watch.Deleted)
	term3 := r.first("web-3", "1/1 Terminating", "")
	if term4 < 0 || gone4 < 0 || term3 < 0 || !(term4 < gone4 && gone4 < term3) {
		t.Errorf("want web-4 Terminating (%d) and gone (%d) before web-3 Terminating (%d)", term4, gone4, term3)
	}
	if r.first("web-2", "", "") >= 0 {
		t.Errorf("web-2 was touched during scale-down")
	}
	objs, _ := s.Store().List(pvcR, "default", nil, nil)
	if len(objs) != 5 {
		t.Fatalf("want www-web-0..4 retained, got %d claims", len(objs))
	}
	for _, o := range objs {
		if o.(*corev1.PersistentVolumeClaim).Status.Phase != corev1.ClaimBound {
			t.Errorf("%s not Bound", o.(*corev1.PersistentVolumeClaim).Name)
		}
	}
	// Scaling back up reattaches the old claims (item 39).
	old := map[string]string{}
	for _, o := range objs {
		old[o.(*corev1.PersistentVolumeClaim).Name] = string(o.(*corev1.PersistentVolumeClaim).UID)
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(5)) })
	if !s.RunUntil(runningReady(s, "web-0", "web-1", "web-2", "web-3", "web-4"), 5*time.Minute) {
		t.Fatal("scale back up did not finish")
	}
	o, _ := s.Store().Get(pvcR, "default", "www-web-4")
	if string(o.(*corev1.PersistentVolumeClaim).UID) != old["www-web-4"] {
		t.Errorf("www-web-4 was recreated instead of reused")
	}
}

func setImage(img string) func(*appsv1.StatefulSet) {
	return func(set *appsv1.StatefulSet) { set.Spec.Template.Spec.Containers[0].Image = img }
}

func images(s *Sim) string {
	var out []string
	for _, p := range pods(s, "app=nginx") {
		out = append(out, p.Name+"="+p.Spec.Containers[0].Image)
	}
	return strings.Join(out, ",")
}

// Items 42, 44, 45, 47, 84: a template change makes revision 2; pods are replaced from the
// highest ordinal down, each after the previous one is Running and Ready again; then
// currentRevision = updateRevision.
func TestItem44_45_47_RollingUpdateReverseOrder(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	before := getSts(t, s, "web").Status.CurrentRevision
	r := recordRows(s)
	updateSts(t, s, setImage("gcr.io/google_containers/nginx-slim:0.8"))
	s.Settle()
	st := getSts(t, s, "web").Status
	if st.UpdateRevision == before || st.CurrentRevision != before {
		t.Errorf("item 42: current %q update %q (before %q)", st.CurrentRevision, st.UpdateRevision, before)
	}
	newImg := "web-0=gcr.io/google_containers/nginx-slim:0.8,web-1=gcr.io/google_containers/nginx-slim:0.8,web-2=gcr.io/google_containers/nginx-slim:0.8"
	if !s.RunUntil(func() bool { return images(s) == newImg && runningReady(s, "web-0", "web-1", "web-2")() }, 5*time.Minute) {
		t.Fatalf("rollout did not finish: %s", images(s))
	}
	s.Settle()
	t2, t1, t0 := r.first("web-2", "1/1 Terminating", ""), r.first("web-1", "1/1 Terminating", ""), r.first("web-0", "1/1 Terminating", "")
	back2 := r.last("web-2", "1/1 Running", "")
	back1 := r.last("web-1", "1/1 Running", "")
	if !(t2 >= 0 && t2 < back2 && back2 < t1 && t1 < back1 && back1 < t0) {
		t.Errorf("order: web-2 term %d running %d, web-1 term %d running %d, web-0 term %d", t2, back2, t1, back1, t0)
	}
	st = getSts(t, s, "web").Status
	if st.CurrentRevision != st.UpdateRevision || st.CurrentReplicas != 3 || st.UpdatedReplicas != 3 {
		t.Errorf("item 47/84: status %+v", st)
	}
	o, err := s.Store().Get(revR, "default", st.UpdateRevision)
	if err != nil || o.(*appsv1.ControllerRevision).Revision != 2 {
		t.Errorf("update revision: %v %v", o, err)
	}
	// Item 45: each Terminating pod comes back as Pending, ContainerCreating, Running.
	seq := strings.Join(r.statuses("web-1"), " | ")
	if !strings.Contains(seq, "1/1 Terminating | 0/1 Completed | 0/1 Pending | 0/1 ContainerCreating | 1/1 Running") {
		t.Errorf("web-1 rows: %s", seq)
	}
}

// Item 43: rolling back to an earlier template reuses its revision (same name) with
// revision = max+1.
func TestItem43_RollbackReusesRevision(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	first := getSts(t, s, "web").Status.UpdateRevision
	updateSts(t, s, setImage("nginx:2"))
	s.RunUntil(func() bool { return getSts(t, s, "web").Status.CurrentRevision != first }, 5*time.Minute)
	updateSts(t, s, setImage("registry.k8s.io/nginx-slim:0.24"))
	s.Settle()
	st := getSts(t, s, "web").Status
	if st.UpdateRevision != first {
		t.Fatalf("rollback made %q, want reuse of %q", st.UpdateRevision, first)
	}
	objs, _ := s.Store().List(revR, "default", nil, nil)
	if len(objs) != 2 {
		t.Errorf("want 2 revisions, got %d", len(objs))
	}
	o, _ := s.Store().Get(revR, "default", first)
	if o.(*appsv1.ControllerRevision).Revision != 3 {
		t.Errorf("reused revision number %d, want 3", o.(*appsv1.ControllerRevision).Revision)
	}
}

func setPartition(p int32) func(*appsv1.StatefulSet) {
	return func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{Partition: &p}
	}
}

// Items 52-56, 58: staging with partition 3, a deleted pod below the partition comes back
// old, canary with partition 2, then the phased rollout with partition 0.
func TestItem52_53_54_55_56_PartitionStagingCanaryPhased(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	oldImg := "registry.k8s.io/nginx-slim:0.24"
	newImg := "registry.k8s.io/nginx-slim:0.27"
	updateSts(t, s, func(set *appsv1.StatefulSet) { setPartition(3)(set); setImage(newImg)(set) })
	s.Advance(time.Minute)
	st := getSts(t, s, "web").Status
	if st.UpdatedReplicas != 0 || st.CurrentReplicas != 3 || st.CurrentRevision == st.UpdateRevision {
		t.Errorf("item 52 staging: %+v", st)
	}
	if images(s) != fmt.Sprintf("web-0=%s,web-1=%s,web-2=%s", oldImg, oldImg, oldImg) {
		t.Errorf("item 52: a pod was updated: %s", images(s))
	}
	uid := getPod(s, "web-2").UID
	if _, err := s.Store().Delete(podsR, "default", "web-2", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool {
		p := getPod(s, "web-2")
		return p != nil && p.UID != uid && runningReady(s, "web-0", "web-1", "web-2")()
	}, time.Minute) {
		t.Fatal("web-2 not recreated")
	}
	if img := getPod(s, "web-2").Spec.Containers[0].Image; img != oldImg {
		t.Errorf("item 53: web-2 came back with %s", img)
	}
	updateSts(t, s, setPartition(2))
	s.Advance(time.Minute)
	if images(s) != fmt.Sprintf("web-0=%s,web-1=%s,web-2=%s", oldImg, oldImg, newImg) {
		t.Errorf("item 54 canary: %s", images(s))
	}
	if st := getSts(t, s, "web").Status; st.UpdatedReplicas != 1 {
		t.Errorf("item 54: updatedReplicas %d", st.UpdatedReplicas)
	}
	if _, err := s.Store().Delete(podsR, "default", "web-1", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if img := getPod(s, "web-1").Spec.Containers[0].Image; img != oldImg {
		t.Errorf("item 55: web-1 came back with %s", img)
	}
	r := recordRows(s)
	updateSts(t, s, setPartition(0))
	s.Advance(time.Minute)
	if images(s) != fmt.Sprintf("web-0=%s,web-1=%s,web-2=%s", newImg, newImg, newImg) {
		t.Errorf("item 56 phased: %s", images(s))
	}
	if a, b := r.first("web-1", "1/1 Terminating", ""), r.first("web-0", "1/1 Terminating", ""); a < 0 || b < a {
		t.Errorf("item 56: web-1 (%d) should go before web-0 (%d)", a, b)
	}
	if r.first("web-2", "1/1 Terminating", "") >= 0 {
		t.Errorf("item 56: web-2 was already updated and must not restart")
	}
	if st := getSts(t, s, "web").Status; st.CurrentRevision != st.UpdateRevision {
		t.Errorf("item 56: rollout not completed: %+v", st)
	}
}

// Item 58: a partition larger than replicas updates nothing.
func TestItem58_PartitionAboveReplicas(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	updateSts(t, s, func(set *appsv1.StatefulSet) { setPartition(5)(set); setImage("nginx:new")(set) })
	s.Advance(time.Minute)
	if strings.Contains(images(s), "nginx:new") {
		t.Errorf("pods updated: %s", images(s))
	}
}

// Items 59, 60: OnDelete never deletes for an update; a deleted pod comes back at the update
// revision; currentRevision does not move.
func TestItem59_60_OnDelete(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	cur := getSts(t, s, "web").Status.CurrentRevision
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
		setImage("nginx:ondelete")(set)
	})
	s.Advance(2 * time.Minute)
	if strings.Contains(images(s), "nginx:ondelete") {
		t.Fatalf("item 59: OnDelete updated pods: %s", images(s))
	}
	if _, err := s.Store().Delete(podsR, "default", "web-1", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if img := getPod(s, "web-1").Spec.Containers[0].Image; img != "nginx:ondelete" {
		t.Errorf("item 60: recreated web-1 has %s", img)
	}
	if img := getPod(s, "web-0").Spec.Containers[0].Image; img == "nginx:ondelete" {
		t.Errorf("item 59: web-0 was updated")
	}
	if st := getSts(t, s, "web").Status; st.CurrentRevision != cur || st.UpdatedReplicas != 1 {
		t.Errorf("item 60: status %+v", st)
	}
}

// Items 21, 22, 23, 25: a graceful delete shows 1/1 Terminating, then 0/1 Completed (≥1.31),
// then DELETED; the pod returns with the same name, a new uid and a new IP.
func TestItem21_22_23_25_GracefulDeleteAndRecreate(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	old := getPod(s, "web-0")
	r := recordRows(s)
	res, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dp := res.Object.(*corev1.Pod)
	if res.Gone || dp.DeletionGracePeriodSeconds == nil || *dp.DeletionGracePeriodSeconds != 30 ||
		!dp.DeletionTimestamp.Time.Equal(t0Now(s).Add(30*time.Second).Truncate(time.Second)) {
		t.Errorf("item 21: deletion %+v", dp.ObjectMeta)
	}
	if !s.RunUntil(func() bool {
		p := getPod(s, "web-0")
		return p != nil && p.UID != old.UID && runningReady(s, "web-0")()
	}, time.Minute) {
		t.Fatal("web-0 not recreated")
	}
	seq := strings.Join(r.statuses("web-0"), " | ")
	want := "1/1 Terminating | 0/1 Completed | 0/1 Pending | 0/1 ContainerCreating | 1/1 Running"
	if seq != want {
		t.Errorf("rows %q, want %q", seq, want)
	}
	del := r.first("web-0", "", watch.Deleted)
	added := r.last("web-0", "", watch.Added)
	if del < 0 || added < del {
		t.Errorf("item 24: replacement (row %d) before the old pod was gone (row %d)", added, del)
	}
	p := getPod(s, "web-0")
	if p.Status.PodIP == old.Status.PodIP {
		t.Errorf("item 25: same IP %s", p.Status.PodIP)
	}
	if p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != "www-web-0" {
		t.Errorf("item 31: claim %v", p.Spec.Volumes)
	}
}

func t0Now(s *Sim) time.Time { return s.Store().Now() }

// Items 24, 26: deleting both pods at once recreates web-0 first and web-1 only after web-0
// is Running and Ready.
func TestItem24_26_DeleteAllRecreatesInOrder(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	r := recordRows(s)
	for _, n := range []string{"web-0", "web-1"} {
		if _, err := s.Store().Delete(podsR, "default", n, store.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if !s.RunUntil(func() bool {
		return runningReady(s, "web-0", "web-1")() && r.last("web-1", "", watch.Added) > 0
	}, time.Minute) {
		t.Fatal("not recreated")
	}
	ready0 := r.last("web-0", "1/1 Running", "")
	added1 := r.last("web-1", "", watch.Added)
	if added1 < ready0 {
		t.Errorf("web-1 recreated (row %d) before the new web-0 was ready (row %d)", added1, ready0)
	}
}

// Items 64, 66, 67, 69, 70: an orphan delete leaves running pods without owner; a deleted
// orphan is not recreated; a new sts adopts pods and the old revision (same hash), recreates
// web-0 first and then removes the condemned web-2.
func TestItem64_66_67_69_70_OrphanDeleteAndAdoption(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	rev := getSts(t, s, "web").Status.UpdateRevision
	orphan := metav1.DeletePropagationOrphan
	res, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &orphan})
	if err != nil {
		t.Fatal(err)
	}
	if res.Gone {
		t.Errorf("item 64: an orphan delete keeps the sts until the GC removes the finalizer")
	}
	s.Advance(10 * time.Second)
	if _, err := s.Store().Get(stsR, "default", "web"); err == nil {
		t.Fatal("sts still there")
	}
	for _, p := range pods(s, "app=nginx") {
		if len(p.OwnerReferences) != 0 {
			t.Errorf("%s still owned: %v", p.Name, p.OwnerReferences)
		}
		if _, st := podColumns(p); st != "Running" {
			t.Errorf("item 66: %s is %s", p.Name, st)
		}
	}
	o, err := s.Store().Get(revR, "default", rev)
	if err != nil || len(o.(*appsv1.ControllerRevision).OwnerReferences) != 0 {
		t.Errorf("revision not orphaned: %v %v", o, err)
	}
	if _, err := s.Store().Delete(podsR, "default", "web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	if getPod(s, "web-0") != nil {
		t.Errorf("item 66: orphan web-0 was recreated")
	}
	uid1 := getPod(s, "web-1").UID
	r := recordRows(s)
	create(t, s, stsR, webSet(2))
	if !s.RunUntil(func() bool { return runningReady(s, "web-0", "web-1")() }, 5*time.Minute) {
		t.Fatalf("not converged: %s", podNames(pods(s, "app=nginx")))
	}
	set := getSts(t, s, "web")
	if set.Status.UpdateRevision != rev {
		t.Errorf("item 69: new revision %q, want reuse of %q", set.Status.UpdateRevision, rev)
	}
	if p := getPod(s, "web-1"); p.UID != uid1 || p.OwnerReferences[0].UID != set.UID {
		t.Errorf("item 67/69: web-1 restarted or not adopted: %v", p.OwnerReferences)
	}
	ready0 := r.first("web-0", "1/1 Running", "")
	term2 := r.first("web-2", "1/1 Terminating", "")
	if ready0 < 0 || term2 < ready0 {
		t.Errorf("item 70: web-2 terminated (row %d) before web-0 was ready (row %d)", term2, ready0)
	}
	if a := r.first("web-1", "1/1 Running", watch.Modified); a < 0 {
		t.Errorf("item 68: adoption should be a MODIFIED row for web-1")
	}
}

// Item 71: an owned pod that stops matching the selector is released and replaced.
func TestItem71_ReleaseNonMatchingPod(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	p := getPod(s, "web-0")
	p.Labels["app"] = "debug"
	if _, err := s.Store().Update(podsR, p, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	got, err := s.Store().Get(podsR, "default", "web-0")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.(*corev1.Pod).OwnerReferences) != 0 {
		t.Errorf("not released: %v", got.(*corev1.Pod).OwnerReferences)
	}
}

// Items 72, 73, 74, 75: a background delete removes the sts at once; the GC terminates its
// pods together; claims and the Service survive.
func TestItem72_73_74_75_BackgroundCascadeIsConcurrent(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	r := recordRows(s)
	res, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{})
	if err != nil || !res.Gone {
		t.Fatalf("background delete: %v gone=%v", err, res.Gone)
	}
	s.Settle()
	at := map[string]time.Time{}
	for _, x := range r.snapshot() {
		if x.status == "Terminating" {
			if _, ok := at[x.name]; !ok {
				at[x.name] = x.at
			}
		}
	}
	if len(at) != 3 || !at["web-0"].Equal(at["web-2"]) || !at["web-1"].Equal(at["web-2"]) {
		t.Errorf("item 73: want all three Terminating at once, got %v", at)
	}
	if !s.RunUntil(func() bool { return len(pods(s, "app=nginx")) == 0 }, time.Minute) {
		t.Fatal("pods not deleted")
	}
	if revs, _ := s.Store().List(revR, "default", nil, nil); len(revs) != 0 {
		t.Errorf("revisions left: %d", len(revs))
	}
	if pvcs, _ := s.Store().List(pvcR, "default", nil, nil); len(pvcs) != 3 {
		t.Errorf("item 74: claims %d, want 3", len(pvcs))
	}
	if _, err := s.Store().Get(svcR, "default", "nginx"); err != nil {
		t.Errorf("item 75: service gone: %v", err)
	}
}

// Items 65, 76: a foreground delete keeps the sts (with deletionTimestamp) until its pods are
// gone, and the controller does not recreate them meanwhile.
func TestItem65_76_ForegroundDelete(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	r := recordRows(s)
	fg := metav1.DeletePropagationForeground
	if _, err := s.Store().Delete(stsR, "default", "web", store.DeleteOptions{PropagationPolicy: &fg}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	set := getSts(t, s, "web")
	if set.DeletionTimestamp == nil || set.Finalizers[0] != "foregroundDeletion" {
		t.Fatalf("sts %+v", set.ObjectMeta)
	}
	stsGoneWhilePods := false
	if !s.RunUntil(func() bool {
		_, err := s.Store().Get(stsR, "default", "web")
		if err != nil && len(pods(s, "app=nginx")) > 0 {
			stsGoneWhilePods = true
		}
		return err != nil
	}, time.Minute) {
		t.Fatal("sts not deleted")
	}
	if stsGoneWhilePods {
		t.Errorf("sts left before its pods")
	}
	if len(pods(s, "app=nginx")) != 0 {
		t.Errorf("pods left")
	}
	for _, x := range r.snapshot() {
		if x.typ == watch.Added {
			t.Errorf("item 65: pod recreated during foreground delete: %v", x)
		}
	}
}

// Items 78, 79: Parallel creates all pods without waiting and deletes all condemned pods in
// one sync.
func TestItem78_79_ParallelPodManagement(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	set := webSet(3)
	set.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	startWeb(t, s, set)
	firstRunning := r.first("", "", "")
	for i, x := range r.snapshot() {
		if x.status == "Running" {
			firstRunning = i
			break
		}
	}
	for _, n := range []string{"web-0", "web-1", "web-2"} {
		if a := r.first(n, "", watch.Added); a < 0 || a > firstRunning {
			t.Errorf("item 78: %s created at row %d, after the first Running row %d", n, a, firstRunning)
		}
	}
	r = recordRows(s)
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
	s.Settle()
	if r.first("web-1", "1/1 Terminating", "") < 0 || r.first("web-2", "1/1 Terminating", "") < 0 {
		t.Errorf("item 79: both condemned pods should terminate in one sync: %v", r.snapshot())
	}
}

// Items 82, 84, 85, 32: status fields.
func TestItem82_84_85_StatusFields(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	set := getSts(t, s, "web")
	st := set.Status
	if st.ObservedGeneration != set.Generation || st.Replicas != 2 || st.ReadyReplicas != 2 || st.AvailableReplicas != 2 ||
		st.CurrentReplicas != 2 || st.UpdatedReplicas != 2 || st.CollisionCount == nil || *st.CollisionCount != 0 ||
		st.CurrentRevision != st.UpdateRevision || !revisionName.MatchString(st.CurrentRevision) {
		t.Errorf("status %+v", st)
	}
}

// Item 13: Events on the sts.
func TestItem13_Events(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(1)) })
	s.Advance(time.Minute)
	objs, _ := s.Store().List(evR, "default", nil, nil)
	got := map[string]bool{}
	for _, o := range objs {
		e := o.(*corev1.Event)
		if e.InvolvedObject.Kind != "StatefulSet" || e.Source.Component == "kubetutor-simulator" {
			continue // explanatory events are checked in why_test.go
		}
		if e.Source.Component != "statefulset-controller" || e.Count != 1 || e.Type != "Normal" || e.FirstTimestamp.IsZero() {
			t.Errorf("event %+v", e)
		}
		got[e.Reason+": "+e.Message] = true
	}
	for _, want := range []string{
		"SuccessfulCreate: create Claim www-web-0 Pod web-0 in StatefulSet web success",
		"SuccessfulCreate: create Pod web-0 in StatefulSet web successful",
		"SuccessfulCreate: create Claim www-web-1 Pod web-1 in StatefulSet web success",
		"SuccessfulCreate: create Pod web-1 in StatefulSet web successful",
		"SuccessfulDelete: delete Pod web-1 in StatefulSet web successful",
	} {
		if !got[want] {
			t.Errorf("missing event %q; have %v", want, got)
		}
	}
}

// Item 30: the headless Service's endpoints list Ready pods with hostnames.
func TestItem30_HeadlessEndpoints(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(2))
	o, err := s.Store().Get(epR, "default", "nginx")
	if err != nil {
		t.Fatal(err)
	}
	ep := o.(*corev1.Endpoints)
	if len(ep.Subsets) != 1 || len(ep.Subsets[0].Addresses) != 2 {
		t.Fatalf("endpoints %+v", ep.Subsets)
	}
	hosts := map[string]bool{}
	for _, a := range ep.Subsets[0].Addresses {
		hosts[a.Hostname] = a.TargetRef != nil && a.TargetRef.Kind == "Pod" && a.TargetRef.Name == a.Hostname
	}
	if !hosts["web-0"] || !hosts["web-1"] {
		t.Errorf("addresses %+v", ep.Subsets[0].Addresses)
	}
}
