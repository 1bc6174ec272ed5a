package sim

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// A fresh cluster has the default StorageClass `standard`; a claim naming a class that does
// not exist stays Pending with the PV controller's ProvisioningFailed warning until the class
// is created, and is then provisioned.
func TestStorageClassStandardAndMissingClass(t *testing.T) {
	s := newSim(t)
	scR := store.MustLookup("storageclasses")
	pvcR := store.MustLookup("persistentvolumeclaims")
	o, err := s.Store().Get(scR, "", "standard")
	if err != nil {
		t.Fatal(err)
	}
	sc := o.(*storagev1.StorageClass)
	if sc.Annotations["storageclass.kubernetes.io/is-default-class"] != "true" || sc.Provisioner != "rancher.io/local-path" ||
		*sc.ReclaimPolicy != corev1.PersistentVolumeReclaimDelete || *sc.VolumeBindingMode != storagev1.VolumeBindingImmediate {
		t.Fatalf("standard: %+v", sc)
	}

	gp2 := "gp2"
	claim := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{StorageClassName: &gp2, AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}
	create(t, s, pvcR, claim)
	s.Advance(time.Minute)
	phase := func() corev1.PersistentVolumeClaimPhase {
		o, _ := s.Store().Get(pvcR, "default", "data")
		return o.(*corev1.PersistentVolumeClaim).Status.Phase
	}
	if phase() != corev1.ClaimPending {
		t.Fatalf("a claim for a missing class is %s", phase())
	}
	if msgs := eventMessages(s); !strings.Contains(msgs, `storageclass.storage.k8s.io "gp2" not found`) {
		t.Fatalf("no ProvisioningFailed event; events:\n%s", msgs)
	}
	// Creating the class is applied with the API's defaults, and the claim then binds.
	create(t, s, scR, &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: "gp2"}, Provisioner: "rancher.io/local-path"})
	o, _ = s.Store().Get(scR, "", "gp2")
	if g := o.(*storagev1.StorageClass); g.ReclaimPolicy == nil || *g.VolumeBindingMode != storagev1.VolumeBindingImmediate {
		t.Fatalf("gp2 not defaulted: %+v", g)
	}
	if !s.RunUntil(func() bool { return phase() == corev1.ClaimBound }, time.Minute) {
		t.Fatalf("claim still %s after its class appeared", phase())
	}
}
