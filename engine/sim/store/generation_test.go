package store

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// metadata.generation as a real apiserver keeps it: binding a pod to a node is not a spec
// change it counts, and Services and claims have no generation at all (kubectl get -o yaml).
func TestGenerationOnlyWhereRealServersKeepIt(t *testing.T) {
	s, _ := newStore(t)
	got, err := s.Create(pods, pod("web-0", nil))
	if err != nil {
		t.Fatal(err)
	}
	p := got.(*corev1.Pod)
	p.Spec.NodeName = "sim-node-1"
	out, err := s.Update(pods, p, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := out.(*corev1.Pod).Generation; g != 1 {
		t.Errorf("binding bumped the pod's generation to %d", g)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: "None", Ports: []corev1.ServicePort{{Port: 80}}}}
	sv, err := s.Create(MustLookup("services"), svc)
	if err != nil {
		t.Fatal(err)
	}
	if g := sv.(*corev1.Service).Generation; g != 0 {
		t.Errorf("a Service got generation %d", g)
	}
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "www-web-0", Namespace: "default"}}
	pc, err := s.Create(MustLookup("persistentvolumeclaims"), pvc)
	if err != nil {
		t.Fatal(err)
	}
	c := pc.(*corev1.PersistentVolumeClaim)
	c.Spec.VolumeName = "pvc-1"
	pc, err = s.Update(MustLookup("persistentvolumeclaims"), c, UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g := pc.(*corev1.PersistentVolumeClaim).Generation; g != 0 {
		t.Errorf("a claim got generation %d", g)
	}
}
