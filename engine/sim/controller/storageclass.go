package controller

import (
	corev1 "k8s.io/api/core/v1"
)

// The simulator has one StorageClass, DefaultStorageClass, served by its local-path-style
// provisioner. A claim that names any other class stays Pending, as on a cluster where that
// class does not exist: the persistent-volume controller records a ProvisioningFailed warning
// and provisions nothing until the claim is replaced. (The troubleshooting lesson on storage
// relies on it: a manifest copied from another cluster names a class this one lacks.)

// provisionableClass reports whether the simulator can provision volumes of the class.
func provisionableClass(class string) bool { return class == DefaultStorageClass }

// classMissing records why a claim stays Pending.
func (v *VolumeController) classMissing(pvc *corev1.PersistentVolumeClaim, class string) {
	if v.rec != nil {
		v.rec.Eventf(pvc, "persistentvolume-controller", "", corev1.EventTypeWarning, "ProvisioningFailed",
			"storageclass.storage.k8s.io %q not found", class)
	}
}

// waitsOnMissingClass reports whether a pod cannot be scheduled because one of its claims asks
// for a class that does not exist: it waits until the learner replaces the claim.
func (k *Kubelet) waitsOnMissingClass(key Key) bool {
	obj, err := k.env.Store.Get(podsRes, key.Namespace, key.Name)
	if err != nil {
		return false
	}
	for _, v := range obj.(*corev1.Pod).Spec.Volumes {
		if v.PersistentVolumeClaim == nil {
			continue
		}
		c, err := k.env.Store.Get(pvcRes, key.Namespace, v.PersistentVolumeClaim.ClaimName)
		if err != nil {
			continue
		}
		pvc := c.(*corev1.PersistentVolumeClaim)
		if pvc.Spec.VolumeName == "" && pvc.Spec.StorageClassName != nil && *pvc.Spec.StorageClassName != "" &&
			!provisionableClass(*pvc.Spec.StorageClassName) {
			return true
		}
	}
	return false
}
