package sim

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Item 86: with minReadySeconds the next pod waits until the previous one has been Ready that
// long, and availableReplicas lags readyReplicas.
func TestItem86_MinReadySeconds(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	set := webSet(2)
	set.Spec.MinReadySeconds = 10
	startWeb(t, s, set)
	rows := r.snapshot()
	ready0 := rows[r.first("web-0", "1/1 Running", "")].at
	added1 := rows[r.first("web-1", "", watch.Added)].at
	if added1.Sub(ready0) < 10*time.Second {
		t.Errorf("web-1 created %v after web-0 was ready, want ≥ 10s", added1.Sub(ready0))
	}
	st := getSts(t, s, "web").Status
	if st.ReadyReplicas != 2 || st.AvailableReplicas != 1 {
		t.Errorf("right after web-1 is ready: ready %d available %d, want 2 and 1", st.ReadyReplicas, st.AvailableReplicas)
	}
	s.Advance(11 * time.Second)
	if st := getSts(t, s, "web").Status; st.AvailableReplicas != 2 {
		t.Errorf("after minReadySeconds: available %d", st.AvailableReplicas)
	}
}

// Item 87: maxUnavailable 2 deletes two old pods in one sync, highest ordinals first.
func TestItem87_MaxUnavailable(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(3))
	r := recordRows(s)
	mu := intstr.FromInt32(2)
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = &mu
		setImage("nginx:mu")(set)
	})
	s.Settle()
	if r.first("web-2", "1/1 Terminating", "") < 0 || r.first("web-1", "1/1 Terminating", "") < 0 || r.first("web-0", "1/1 Terminating", "") >= 0 {
		t.Errorf("want web-2 and web-1 terminating together, web-0 untouched: %v", r.snapshot())
	}
	if !s.RunUntil(func() bool { return images(s) == "web-0=nginx:mu,web-1=nginx:mu,web-2=nginx:mu" }, 5*time.Minute) {
		t.Errorf("rollout incomplete: %s", images(s))
	}
}

// Items 89, 90: whenScaled=Delete gives a condemned pod's claim an ownerRef to the pod, and
// the GC deletes the claim (and the volume controller its PV) after the pod is gone.
func TestItem89_90_RetentionWhenScaledDelete(t *testing.T) {
	s := newSim(t)
	set := webSet(3)
	set.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType, WhenScaled: appsv1.DeletePersistentVolumeClaimRetentionPolicyType}
	startWeb(t, s, set)
	o, _ := s.Store().Get(pvcR, "default", "www-web-2")
	pvName := o.(*corev1.PersistentVolumeClaim).Spec.VolumeName
	updateSts(t, s, func(set *appsv1.StatefulSet) { set.Spec.Replicas = ptr(int32(2)) })
	s.Settle()
	o, err := s.Store().Get(pvcR, "default", "www-web-2")
	if err != nil {
		t.Fatal(err)
	}
	refs := o.(*corev1.PersistentVolumeClaim).OwnerReferences
	if len(refs) != 1 || refs[0].Kind != "Pod" || refs[0].Name != "web-2" {
		t.Errorf("claim owner refs %+v", refs)
	}
	if !s.RunUntil(func() bool {
		_, err := s.Store().Get(pvcR, "default", "www-web-2")
		return apierrors.IsNotFound(err)
	}, time.Minute) {
		t.Fatal("www-web-2 not deleted after web-2 was gone")
	}
	s.Settle()
	if _, err := s.Store().Get(pvR, "", pvName); !apierrors.IsNotFound(err) {
		t.Errorf("PV %s not reclaimed: %v", pvName, err)
	}
	if _, err := s.Store().Get(pvcR, "default", "www-web-1"); err != nil {
		t.Errorf("in-range claim touched: %v", err)
	}
}

// Item 27: a pod that fails without being deleted is deleted by the controller and recreated.
func TestItem27_FailedPodIsReplaced(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	p := getPod(s, "web-0")
	p.Status.Phase = corev1.PodFailed
	p.Status.Reason = "Evicted"
	if _, err := s.Store().Update(podsR, p, store.UpdateOptions{Status: true}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool { q := getPod(s, "web-0"); return q != nil && q.UID != p.UID && runningReady(s, "web-0")() }, time.Minute) {
		t.Fatal("failed pod not replaced")
	}
}

// Item 20: a claim deleted while its pod is still Pending is created again.
func TestItem20_ClaimRecreatedWhilePending(t *testing.T) {
	s := newSim(t)
	create(t, s, stsR, webSet(1))
	s.Settle() // claim and pod created; the pod waits for the claim to bind
	if _, err := s.Store().Delete(pvcR, "default", "www-web-0", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	s.Settle()
	if _, err := s.Store().Get(pvcR, "default", "www-web-0"); err != nil {
		t.Fatalf("claim not recreated: %v", err)
	}
	if !s.RunUntil(runningReady(s, "web-0"), time.Minute) {
		t.Fatal("pod did not start")
	}
}

// Items 96, 17, 98: a pod with two init containers and a readiness probe shows Init:0/2,
// Init:1/2, PodInitializing, 1/2 Running, 2/2 Running; statuses are sorted by name.
func TestItem96_InitContainersAndReadinessProbe(t *testing.T) {
	s := newSim(t)
	r := recordRows(s)
	set := webSet(1)
	set.Name = "mysql"
	set.Spec.Selector.MatchLabels = map[string]string{"app": "nginx"}
	tmpl := &set.Spec.Template.Spec
	tmpl.InitContainers = []corev1.Container{{Name: "init-mysql", Image: "mysql:5.7"}, {Name: "clone-mysql", Image: "xtrabackup:1.0"}}
	tmpl.Containers = []corev1.Container{
		{Name: "xtrabackup", Image: "xtrabackup:1.0"},
		{Name: "mysql", Image: "mysql:5.7", ReadinessProbe: &corev1.Probe{InitialDelaySeconds: 5,
			ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"mysql", "-h", "127.0.0.1"}}}}},
	}
	tmpl.Containers[0].VolumeMounts = nil
	create(t, s, stsR, set)
	if !s.RunUntil(func() bool {
		p := getPod(s, "mysql-0")
		if p == nil {
			return false
		}
		ready, st := podColumns(p)
		return ready == "2/2" && st == "Running"
	}, time.Minute) {
		t.Fatalf("mysql-0 rows: %v", r.statuses("mysql-0"))
	}
	got := strings.Join(r.statuses("mysql-0"), " | ")
	want := "0/2 Pending | 0/2 Init:0/2 | 0/2 Init:1/2 | 0/2 PodInitializing | 1/2 Running | 2/2 Running"
	if got != want {
		t.Errorf("rows %q, want %q", got, want)
	}
	p := getPod(s, "mysql-0")
	if p.Status.ContainerStatuses[0].Name != "mysql" {
		t.Errorf("item 98: statuses not sorted by name: %v", p.Status.ContainerStatuses)
	}
}
