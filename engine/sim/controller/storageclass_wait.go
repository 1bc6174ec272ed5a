package controller

import (
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// waitsOnMissingClass reports whether a pod cannot be scheduled because one of its claims asks
// for a StorageClass that does not exist: it waits until the learner replaces the claim or
// creates the class, so its retries run on a background timer and the simulator counts as
// idle meanwhile (a troubleshooting lesson leaves a cluster in this state on purpose).
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
		if pvc.Spec.VolumeName != "" || pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName == "" {
			continue
		}
		if _, err := k.env.Store.Get(scRes, "", *pvc.Spec.StorageClassName); apierrors.IsNotFound(err) {
			return true
		}
	}
	return false
}
