package controller

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var scRes = store.MustLookup("storageclasses")

// BootstrapStorage creates the default StorageClass a fresh kind-like cluster has, the one the
// provisioner serves and claims without a class get: `standard`, local-path, Delete,
// Immediate binding (the conformance kit creates the same).
func (v *VolumeController) BootstrapStorage() error {
	del := corev1.PersistentVolumeReclaimDelete
	mode := storagev1.VolumeBindingImmediate
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultStorageClass,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: Provisioner, ReclaimPolicy: &del, VolumeBindingMode: &mode,
	}
	if _, err := v.env.Store.Create(scRes, sc); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// classAddedKey asks the volume controller to look again at claims waiting for a class.
const classAddedKey = "storageclass-added"

// classMissing says whether the claim names a StorageClass that does not exist; the PV
// controller then leaves it Pending with a ProvisioningFailed warning (once per claim and
// class here, where the real one repeats it on every resync).
func (v *VolumeController) classMissing(pvc *corev1.PersistentVolumeClaim, class string) bool {
	if _, ok := v.env.Store.Peek(scRes, "", class); ok { // only whether it exists: no copy
		delete(v.noClass, podKeyOf(pvc.Namespace, pvc.Name))
		return false
	}
	k := podKeyOf(pvc.Namespace, pvc.Name)
	if v.noClass[k] != class && v.rec != nil {
		v.noClass[k] = class
		v.rec.Eventf(pvc, "persistentvolume-controller", "", corev1.EventTypeWarning, "ProvisioningFailed",
			"storageclass.storage.k8s.io %q not found", class)
	}
	return true
}

func (v *VolumeController) retryPendingClaims() {
	objs, _ := v.env.Store.List(pvcRes, "", nil, nil)
	for _, o := range objs {
		pvc := o.(*corev1.PersistentVolumeClaim)
		if pvc.Spec.VolumeName == "" && pvc.Status.Phase != corev1.ClaimBound {
			v.env.Queue.Add(Key{Controller: v.Name(), Namespace: pvc.Namespace, Name: pvc.Name})
		}
	}
}

func podKeyOf(ns, name string) string { return ns + "/" + name }
