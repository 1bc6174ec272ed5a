package sim

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/controller"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Every active namespace gets a `default` ServiceAccount and the kube-root-ca.crt ConfigMap,
// as kube-controller-manager's serviceaccount and root-ca-cert-publisher controllers keep them;
// clients such as Kubernetes' e2e framework wait for both. A deleted one comes back, an edited
// CA is put back, and a terminating namespace is left to empty.
func TestServiceAccountsAndRootCAInEveryNamespace(t *testing.T) {
	s := newSim(t)
	nsR := store.MustLookup("namespaces")
	saR := store.MustLookup("serviceaccounts")
	cmR := store.MustLookup("configmaps")
	hasSA := func(ns string) func() bool {
		return func() bool { _, err := s.Store().Get(saR, ns, "default"); return err == nil }
	}
	s.Settle()
	for _, ns := range []string{"default", "kube-system"} {
		if !hasSA(ns)() {
			t.Errorf("namespace %s has no default ServiceAccount", ns)
		}
	}
	// Before the API server has a certificate there is no CA to publish.
	if _, err := s.Store().Get(cmR, "default", controller.RootCAConfigMap); !apierrors.IsNotFound(err) {
		t.Fatalf("kube-root-ca.crt before a CA exists: %v", err)
	}

	create(t, s, nsR, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "lab"}})
	if !s.RunUntil(hasSA("lab"), time.Minute) {
		t.Fatal("no default ServiceAccount in a new namespace")
	}
	if _, err := s.Store().Delete(saR, "lab", "default", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(hasSA("lab"), time.Minute) {
		t.Fatal("a deleted default ServiceAccount was not recreated")
	}

	s.ctrls.ServiceAccounts.SetRootCA([]byte("PEM-1"))
	caIn := func(ns, want string) func() bool {
		return func() bool {
			o, err := s.Store().Get(cmR, ns, controller.RootCAConfigMap)
			return err == nil && o.(*corev1.ConfigMap).Data["ca.crt"] == want
		}
	}
	if !s.RunUntil(func() bool { return caIn("lab", "PEM-1")() && caIn("default", "PEM-1")() }, time.Minute) {
		t.Fatal("kube-root-ca.crt not published")
	}
	o, _ := s.Store().Get(cmR, "lab", controller.RootCAConfigMap)
	cm := o.(*corev1.ConfigMap)
	cm.Data["ca.crt"] = "edited"
	if _, err := s.Store().Update(cmR, cm, store.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(caIn("lab", "PEM-1"), time.Minute) {
		t.Fatal("an edited kube-root-ca.crt was not put back")
	}

	if _, err := s.Store().Delete(nsR, "", "lab", store.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !s.RunUntil(func() bool { _, err := s.Store().Get(nsR, "", "lab"); return apierrors.IsNotFound(err) }, 5*time.Minute) {
		t.Fatal("a namespace with a default ServiceAccount never finished deleting")
	}
}
