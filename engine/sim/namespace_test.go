package sim

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Deleting a namespace empties it first, as the real namespace controller does: it reads
// Terminating, refuses new content, its pods terminate gracefully, and only then does it go.
func TestNamespaceDeleteRemovesItsContents(t *testing.T) {
	s := newSim(t)
	nsR := store.MustLookup("namespaces")
	create(t, s, nsR, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lab"}})
	set := webSet(2)
	set.Namespace = "lab"
	svc := nginxService()
	svc.Namespace = "lab"
	create(t, s, svcR, svc)
	create(t, s, stsR, set)
	labPods := func() int { l, _ := s.Store().List(podsR, "lab", nil, nil); return len(l) }
	if !s.RunUntil(func() bool { return labPods() == 2 }, 5*time.Minute) {
		t.Fatal("pods never started in lab")
	}
	s.Settle()

	res, err := s.Store().Delete(nsR, "", "lab", store.DeleteOptions{})
	if err != nil || res.Gone {
		t.Fatalf("a namespace with content must linger: gone=%v err=%v", res.Gone, err)
	}
	if ns := res.Object.(*corev1.Namespace); ns.Status.Phase != corev1.NamespaceTerminating {
		t.Fatalf("phase %q, want Terminating", ns.Status.Phase)
	}
	s.Settle()
	if _, err := s.Store().Create(svcR, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "late", Namespace: "lab"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}); !apierrors.IsForbidden(err) {
		t.Fatalf("creating in a terminating namespace: want Forbidden, got %v", err)
	}
	if p, err := s.Store().Get(podsR, "lab", "web-0"); err != nil || p.(*corev1.Pod).DeletionTimestamp == nil {
		t.Fatalf("web-0 should be terminating gracefully: %v", err)
	}
	if !s.RunUntil(func() bool {
		_, err := s.Store().Get(nsR, "", "lab")
		return apierrors.IsNotFound(err)
	}, 5*time.Minute) {
		t.Fatalf("namespace never went away; pods left: %d", labPods())
	}
	for _, r := range store.Resources() {
		if !r.Namespaced {
			continue
		}
		if left, _ := s.Store().List(r, "lab", nil, nil); len(left) != 0 {
			t.Errorf("%d %s left in the deleted namespace", len(left), r.Name)
		}
	}
	// An empty namespace goes at once; default is untouched throughout.
	create(t, s, nsR, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "empty"}})
	s.Store().Delete(nsR, "", "empty", store.DeleteOptions{})
	s.Settle()
	if _, err := s.Store().Get(nsR, "", "empty"); !apierrors.IsNotFound(err) {
		t.Errorf("empty namespace still there: %v", err)
	}
	if _, err := s.Store().Get(nsR, "", "default"); err != nil {
		t.Errorf("default namespace: %v", err)
	}
}
