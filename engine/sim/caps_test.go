package sim

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// The caps default to 1000 replicas and 20000 objects and follow Config (--max-replicas,
// --max-objects), with the same plain errors beyond them.
func TestCapsDefaultAndConfigurable(t *testing.T) {
	s := newSim(t)
	if _, err := s.Store().Create(stsR, webSet(1000)); err != nil {
		t.Fatalf("1000 replicas refused by default: %v", err)
	}
	_, err := s.Store().Create(stsR, func() *appsv1.StatefulSet { x := webSet(1001); x.Name = "big"; return x }())
	if err == nil || !strings.Contains(err.Error(), "the kubetutor simulator runs at most 1000 replicas per StatefulSet") {
		t.Fatalf("1001 replicas: %v", err)
	}

	small, err := New(Config{Fake: testingclock.NewFakeClock(t0), Seed: 1, MaxReplicas: 3, MaxObjects: 40})
	if err != nil {
		t.Fatal(err)
	}
	_, err = small.Store().Create(stsR, webSet(4))
	if err == nil || !strings.Contains(err.Error(), "spec.replicas: Invalid value: 4: the kubetutor simulator runs at most 3 replicas per StatefulSet") {
		t.Fatalf("4 replicas with MaxReplicas 3: %v", err)
	}
	d := nginxDeployment(4)
	if _, err = small.Store().Create(deployR, d); err == nil || !strings.Contains(err.Error(), "at most 3 replicas per Deployment") {
		t.Fatalf("Deployment of 4 with MaxReplicas 3: %v", err)
	}
	for i := 0; ; i++ {
		_, err = small.Store().Create(podsR, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "p-", Namespace: "default"},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}})
		if err != nil {
			break
		}
		if i > 40 {
			t.Fatal("MaxObjects 40 not enforced")
		}
	}
	if !strings.Contains(err.Error(), "the simulator holds at most 40 objects; delete some first") {
		t.Fatalf("beyond MaxObjects: %v", err)
	}
	if _, err := New(Config{MaxReplicas: -1}); err == nil {
		t.Error("negative MaxReplicas accepted")
	}
}
