package store

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func termsEqual(a, b terms) bool {
	return a.orphan == b.orphan && sameUIDs(a.owners, b.owners) && sameStrings(a.claims, b.claims) && a.target == b.target &&
		(a.node == nil) == (b.node == nil) && (a.node == nil || *a.node == *b.node)
}

// TestSameTermsAgreesWithTermsOf: the in-place check that a modified object keeps its index
// terms never says "same" where the built terms differ (an index entry would be left stale),
// and says "same" for versions that differ only elsewhere (status, labels), the common case.
func TestSameTermsAgreesWithTermsOf(t *testing.T) {
	yes := true
	pod := func(edit func(*corev1.Pod)) runtime.Object {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default",
			OwnerReferences: []metav1.OwnerReference{{UID: "sts", Controller: &yes}}},
			Spec: corev1.PodSpec{NodeName: "n1", Volumes: []corev1.Volume{{Name: "www",
				VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "www-web-0"}}}}}}
		if edit != nil {
			edit(p)
		}
		return p
	}
	event := func(kind, name string) runtime.Object {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"},
			InvolvedObject: corev1.ObjectReference{Namespace: "default", Kind: kind, Name: name}}
	}
	objs := []runtime.Object{
		pod(nil),
		pod(func(p *corev1.Pod) { p.Status.Phase = corev1.PodRunning; p.Labels = map[string]string{"a": "b"} }),
		pod(func(p *corev1.Pod) { p.Spec.NodeName = "n2" }),
		pod(func(p *corev1.Pod) { p.Spec.NodeName = "" }),
		pod(func(p *corev1.Pod) { p.OwnerReferences = nil }),
		pod(func(p *corev1.Pod) { p.OwnerReferences[0].Controller = nil }),
		pod(func(p *corev1.Pod) { p.OwnerReferences[0].UID = "rs" }),
		pod(func(p *corev1.Pod) {
			p.OwnerReferences = append(p.OwnerReferences, metav1.OwnerReference{UID: "other"})
		}),
		pod(func(p *corev1.Pod) { p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName = "data-web-0" }),
		pod(func(p *corev1.Pod) { p.Spec.Volumes = nil }),
		pod(func(p *corev1.Pod) { p.Spec.Volumes[0].PersistentVolumeClaim = nil }),
		pod(func(p *corev1.Pod) { p.Namespace = "other" }),
		event("Pod", "web-0"),
		event("Pod", "web-1"),
		event("StatefulSet", "web-0"),
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "default", OwnerReferences: []metav1.OwnerReference{{UID: "x", Controller: &yes}}}},
	}
	fast := 0
	for i, a := range objs {
		for j, b := range objs {
			same := sameTerms(a, b)
			if same && !termsEqual(termsOf(a), termsOf(b)) {
				t.Errorf("objects %d and %d: sameTerms says same, the terms differ", i, j)
			}
			if same {
				fast++
			}
		}
		if !sameTerms(a, a.DeepCopyObject()) {
			t.Errorf("object %d: not the same as its own copy", i)
		}
	}
	if !sameTerms(objs[0], objs[1]) {
		t.Error("a status and label change is not recognised as keeping the terms")
	}
	if fast < len(objs) {
		t.Errorf("%d pairs found the same; want at least every object with itself", fast)
	}
}
