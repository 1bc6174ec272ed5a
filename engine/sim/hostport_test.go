package sim

import (
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// A StatefulSet pod pinned to a node whose host port is taken is rejected by that node's
// kubelet (Failed, reason NodePorts), deleted and recreated by the controller until the port
// is free, and then runs: what the e2e spec "Should recreate evicted statefulset" checks.
func TestHostPortConflictRejectsAndStatefulSetRecreates(t *testing.T) {
	s := newSim(t)
	port := corev1.ContainerPort{Name: "conflict", HostPort: 21017, ContainerPort: 21017}
	holder := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "test-pod", Namespace: "default"},
		Spec: corev1.PodSpec{NodeName: "sim-node-1", Containers: []corev1.Container{{
			Name: "agnhost", Image: "registry.k8s.io/e2e-test-images/agnhost:2.66.1", Ports: []corev1.ContainerPort{port}}}}}
	create(t, s, podsR, holder)
	if !s.RunUntil(func() bool { p := getPod(s, "test-pod"); return p != nil && p.Status.Phase == corev1.PodRunning }, time.Minute) {
		t.Fatal("test-pod never ran")
	}

	set := webSet(1)
	set.Spec.VolumeClaimTemplates = nil
	set.Spec.Template.Spec.Containers[0].VolumeMounts = nil
	set.Spec.Template.Spec.Containers[0].Ports = append(set.Spec.Template.Spec.Containers[0].Ports, port)
	set.Spec.Template.Spec.NodeName = "sim-node-1"
	create(t, s, svcR, nginxService())
	create(t, s, stsR, set)

	var mu sync.Mutex
	var rejected []types.UID
	var badStatus string
	s.Store().Subscribe(func(ev store.Event) {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || p.Name != "web-0" || p.Status.Phase != corev1.PodFailed {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if p.Status.Reason != "NodePorts" || p.Status.Message != "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports" {
			badStatus = p.Status.Reason + ": " + p.Status.Message
		}
		if len(rejected) == 0 || rejected[len(rejected)-1] != p.UID {
			rejected = append(rejected, p.UID)
		}
	})
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(rejected) }
	if !s.RunUntil(func() bool { return count() >= 2 }, 5*time.Minute) {
		t.Fatalf("web-0 was not rejected and recreated (rejected %d)", count())
	}
	mu.Lock()
	if badStatus != "" {
		t.Errorf("rejection status: %s", badStatus)
	}
	mu.Unlock()
	if _, err := s.Store().Delete(podsR, "default", "test-pod", store.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(runningReady(s, "web-0"), 5*time.Minute) {
		t.Fatalf("web-0 never ran once the port was free: %+v", getPod(s, "web-0").Status)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, uid := range rejected {
		if getPod(s, "web-0").UID == uid {
			t.Fatal("the running web-0 is a rejected incarnation")
		}
	}

	// The scheduler does not pick a node whose host port is taken.
	other := holder.DeepCopy()
	other.Name, other.Spec.NodeName = "unpinned", ""
	create(t, s, podsR, other)
	if !s.RunUntil(func() bool { p := getPod(s, "unpinned"); return p.Spec.NodeName != "" }, time.Minute) {
		t.Fatal("unpinned never scheduled")
	}
	if n := getPod(s, "unpinned").Spec.NodeName; n == "sim-node-1" {
		t.Fatalf("scheduled onto %s, whose port 21017 web-0 holds", n)
	}
}
