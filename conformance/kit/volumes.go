package kit

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Provisioner is the provisioner name the kit's StorageClass and PVs carry (kind's, as the
// simulator's).
const Provisioner = "rancher.io/local-path"

// startVolumeBinder runs a tiny PV controller plus dynamic provisioner: every Pending claim
// gets a PV pvc-<claim uid>, both end Bound; a PV whose claim is gone is deleted (reclaim
// policy Delete). The pvc-protection finalizer is the real controller's business
// (runControllers).
func startVolumeBinder(ctx context.Context, kube kubernetes.Interface) {
	q := workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](20*time.Millisecond, time.Second))
	inf := informers.NewSharedInformerFactory(kube, 0)
	pvcs := inf.Core().V1().PersistentVolumeClaims()
	pvs := inf.Core().V1().PersistentVolumes()
	_, _ = pvcs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { q.Add(claimKey(o)) },
		UpdateFunc: func(_, o any) { q.Add(claimKey(o)) },
		DeleteFunc: func(o any) {
			if t, ok := o.(cache.DeletedFinalStateUnknown); ok {
				o = t.Obj
			}
			if c, ok := o.(*corev1.PersistentVolumeClaim); ok && c.Spec.VolumeName != "" {
				q.Add("pv/" + c.Spec.VolumeName)
			}
		},
	})
	_, _ = pvs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { q.Add("pv/" + o.(*corev1.PersistentVolume).Name) },
		UpdateFunc: func(_, o any) { q.Add("pv/" + o.(*corev1.PersistentVolume).Name) },
	})
	inf.Start(ctx.Done())
	inf.WaitForCacheSync(ctx.Done())
	go func() {
		<-ctx.Done()
		q.ShutDown()
	}()
	go func() {
		for {
			key, quit := q.Get()
			if quit {
				return
			}
			var err error
			if len(key) > 3 && key[:3] == "pv/" {
				err = reclaim(ctx, kube, pvs.Lister().Get, key[3:])
			} else {
				err = provision(ctx, kube, key)
			}
			if err != nil && ctx.Err() == nil {
				q.AddRateLimited(key)
			} else {
				q.Forget(key)
			}
			q.Done(key)
		}
	}()
}

func claimKey(o any) string {
	k, _ := cache.MetaNamespaceKeyFunc(o)
	return k
}

func provision(ctx context.Context, kube kubernetes.Interface, key string) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return nil
	}
	pvc, err := kube.CoreV1().PersistentVolumeClaims(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	if pvc.DeletionTimestamp != nil || pvc.Status.Phase == corev1.ClaimBound {
		return nil
	}
	class := StorageClassName
	if pvc.Spec.StorageClassName != nil && *pvc.Spec.StorageClassName != "" {
		class = *pvc.Spec.StorageClassName
	}
	pvName := "pvc-" + string(pvc.UID)
	if pvc.Spec.VolumeName == "" {
		fs := corev1.PersistentVolumeFilesystem
		modes := pvc.Spec.AccessModes
		if len(modes) == 0 {
			modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: pvName,
				Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": Provisioner}},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
				AccessModes:                   modes,
				StorageClassName:              class,
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
				VolumeMode:                    &fs,
				ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
					Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
				PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
					Path: "/var/local-path-provisioner/" + pvName}},
			},
		}
		created, err := kube.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		if err == nil {
			created.Status.Phase = corev1.VolumeBound
			if _, err := kube.CoreV1().PersistentVolumes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		if pvc.Annotations == nil {
			pvc.Annotations = map[string]string{}
		}
		pvc.Annotations["pv.kubernetes.io/bind-completed"] = "yes"
		pvc.Annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
		pvc.Annotations["volume.beta.kubernetes.io/storage-provisioner"] = Provisioner
		pvc.Annotations["volume.kubernetes.io/storage-provisioner"] = Provisioner
		pvc.Spec.VolumeName = pvName
		if pvc, err = kube.CoreV1().PersistentVolumeClaims(ns).Update(ctx, pvc, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	pv, err := kube.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return nil // a volume we did not make: leave the claim Pending, as a real cluster would
	}
	pvc.Status.Phase = corev1.ClaimBound
	pvc.Status.AccessModes = pv.Spec.AccessModes
	pvc.Status.Capacity = pv.Spec.Capacity
	_, err = kube.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, pvc, metav1.UpdateOptions{})
	return err
}

// reclaim deletes a PV whose claim is gone (reclaim policy Delete).
func reclaim(ctx context.Context, kube kubernetes.Interface, get func(string) (*corev1.PersistentVolume, error), name string) error {
	pv, err := get(name)
	if err != nil || pv.Spec.ClaimRef == nil || pv.DeletionTimestamp != nil ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return nil
	}
	c, err := kube.CoreV1().PersistentVolumeClaims(pv.Spec.ClaimRef.Namespace).Get(ctx, pv.Spec.ClaimRef.Name, metav1.GetOptions{})
	if err == nil && c.UID == pv.Spec.ClaimRef.UID {
		return nil // still claimed
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	// Released first, as the PV controller does: pv-protection keeps a Bound volume.
	if pv.Status.Phase != corev1.VolumeReleased {
		cp := pv.DeepCopy()
		cp.Status.Phase = corev1.VolumeReleased
		if _, err := kube.CoreV1().PersistentVolumes().UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}
	err = kube.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
