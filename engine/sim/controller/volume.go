package controller

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Storage defaults of the simulated cluster (a kind-like "standard" class).
const (
	DefaultStorageClass = "standard"
	Provisioner         = "rancher.io/local-path"
	PVCProtection       = "kubernetes.io/pvc-protection"
)

// DelayProvision is how long dynamic provisioning takes at speed 1.
var DelayProvision = 200 * time.Millisecond

// VolumeController is the PV controller plus a dynamic provisioner: a Pending claim gets a
// PV named pvc-<claim uid> and is bound to it; a deleted claim releases and deletes its PV
// (reclaimPolicy Delete); the pvc-protection finalizer is removed once no pod uses the claim.
type VolumeController struct {
	env          Env
	rec          *Recorder         // nil: no Events (NewSet sets it)
	provisioning map[string]bool   // claims with a provisioning already scheduled
	noClass      map[string]string // claim → the missing class it was told about
}

// NewVolumeController makes the controller.
func NewVolumeController(env Env) *VolumeController {
	return &VolumeController{env: env, provisioning: map[string]bool{}, noClass: map[string]string{}}
}

func (v *VolumeController) Name() string { return "volume" }

func (v *VolumeController) Observe(ev store.Event) {
	switch ev.Resource.Name {
	case pvcRes.Name:
		m := objMeta(ev.Object)
		v.env.Queue.Add(Key{Controller: v.Name(), Namespace: m.GetNamespace(), Name: m.GetName()})
		if ev.Type == "DELETED" {
			v.env.Queue.Add(Key{Controller: v.Name(), Name: "pv-for/" + string(m.GetUID())})
		}
	case scRes.Name:
		if ev.Type == "ADDED" {
			v.env.Queue.Add(Key{Controller: v.Name(), Name: classAddedKey})
		}
	case podsRes.Name:
		// A pod going away may free a claim that waits for pvc-protection.
		if p := ev.Object.(*corev1.Pod); ev.Type == "DELETED" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			for _, vol := range p.Spec.Volumes {
				if vol.PersistentVolumeClaim != nil {
					v.env.Queue.Add(Key{Controller: v.Name(), Namespace: p.Namespace, Name: vol.PersistentVolumeClaim.ClaimName})
				}
			}
		}
	}
}

func (v *VolumeController) Sync(k Key) error {
	if k.Namespace == "" && k.Name == classAddedKey {
		v.retryPendingClaims()
		return nil
	}
	if k.Namespace == "" && len(k.Name) > len("pv-for/") && k.Name[:len("pv-for/")] == "pv-for/" {
		return v.reclaim(k.Name[len("pv-for/"):])
	}
	obj, ok := v.env.Store.Peek(pvcRes, k.Namespace, k.Name)
	if !ok {
		return nil
	}
	pvc := obj.(*corev1.PersistentVolumeClaim) // read-only: unprotect and bindStatus copy it
	if pvc.DeletionTimestamp != nil {
		return v.unprotect(pvc)
	}
	if pvc.Spec.VolumeName == "" && pvc.Status.Phase != corev1.ClaimBound {
		ck := k.Namespace + "/" + k.Name
		if v.provisioning[ck] {
			return nil
		}
		v.provisioning[ck] = true
		v.env.Queue.After(DelayProvision, func() {
			delete(v.provisioning, ck)
			if err := v.provision(k); err != nil {
				v.env.logf("volume: provision %s/%s: %v", k.Namespace, k.Name, err)
				v.env.Queue.AddAfter(time.Second, k)
			}
		})
		return nil
	}
	if pvc.Spec.VolumeName != "" && pvc.Status.Phase != corev1.ClaimBound {
		return v.bindStatus(pvc)
	}
	return nil
}

// provisionerIdentity is the event source of the external provisioner, as local-path-provisioner
// names itself: <provisioner>_<pod name>_<uuid>.
const provisionerIdentity = Provisioner + "_local-path-provisioner-7577fdbbfb-t8xkq_5b2f4c8e-8a8d-4d3e-9d1e-3c6f0a4e2b71"

func (v *VolumeController) event(pvc *corev1.PersistentVolumeClaim, reason, format string, args ...any) {
	if v.rec != nil {
		v.rec.Eventf(pvc, provisionerIdentity, "", corev1.EventTypeNormal, reason, format, args...)
	}
}

// provision creates the PV and binds the claim to it (two writes, as the PV controller does:
// the claim's spec/annotations first, then its status).
func (v *VolumeController) provision(k Key) error {
	obj, err := v.env.Store.Get(pvcRes, k.Namespace, k.Name)
	if err != nil {
		return nil
	}
	pvc := obj.(*corev1.PersistentVolumeClaim)
	if pvc.DeletionTimestamp != nil || pvc.Spec.VolumeName != "" {
		return nil
	}
	class := DefaultStorageClass
	if pvc.Spec.StorageClassName != nil && *pvc.Spec.StorageClassName != "" {
		class = *pvc.Spec.StorageClassName
	}
	if v.classMissing(pvc, class) {
		return nil // Pending until the class appears (storageclass.go)
	}
	pvName := "pvc-" + string(pvc.UID)
	capacity := corev1.ResourceList{}
	if q, ok := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
		capacity[corev1.ResourceStorage] = q
	}
	modes := pvc.Spec.AccessModes
	if len(modes) == 0 {
		modes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	fs := corev1.PersistentVolumeFilesystem
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        pvName,
			Annotations: map[string]string{"pv.kubernetes.io/provisioned-by": Provisioner, "local.path.provisioner/selected-node": NodeName(1)},
			Finalizers:  []string{"kubernetes.io/pv-protection"},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      capacity,
			AccessModes:                   modes,
			StorageClassName:              class,
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimDelete,
			VolumeMode:                    &fs,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID, ResourceVersion: pvc.ResourceVersion},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: "/var/local-path-provisioner/" + pvName + "_" + pvc.Namespace + "_" + pvc.Name}},
		},
	}
	v.event(pvc, "Provisioning", "External provisioner is provisioning volume for claim %q", pvc.Namespace+"/"+pvc.Name)
	created, err := v.env.Store.CreateWith(pvRes, pv, store.CreateOptions{Owned: true})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err == nil {
		v.event(pvc, "ProvisioningSucceeded", "Successfully provisioned volume %s", pvName)
		stored := created.(*corev1.PersistentVolume) // read-only
		st := *stored.Status.DeepCopy()
		st.Phase = corev1.VolumeBound
		bound := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: stored.Name, ResourceVersion: stored.ResourceVersion}, Status: st}
		if _, err := v.env.Store.Update(pvRes, bound, store.UpdateOptions{Status: true, Owned: true}); err != nil {
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
	if pvc.Spec.StorageClassName == nil {
		pvc.Spec.StorageClassName = ptrTo(class) // retroactive default StorageClass
	}
	if pvc.Spec.VolumeMode == nil {
		pvc.Spec.VolumeMode = &fs
	}
	updated, err := v.env.Store.Update(pvcRes, pvc, store.UpdateOptions{Owned: true})
	if err != nil {
		return err
	}
	return v.bindStatus(updated.(*corev1.PersistentVolumeClaim))
}

// bindStatus marks a claim Bound; pvc is read-only.
func (v *VolumeController) bindStatus(pvc *corev1.PersistentVolumeClaim) error {
	pvObj, ok := v.env.Store.Peek(pvRes, "", pvc.Spec.VolumeName)
	if !ok {
		return nil // a volume we did not provision; leave the claim Pending as a real cluster would
	}
	pv := pvObj.(*corev1.PersistentVolume) // read-only; its modes and capacity are shared, never changed
	cp := *pvc                             // a new top level; only its status is written
	cp.Status = *pvc.Status.DeepCopy()
	cp.Status.Phase = corev1.ClaimBound
	cp.Status.AccessModes = pv.Spec.AccessModes
	cp.Status.Capacity = pv.Spec.Capacity
	_, err := v.env.Store.Update(pvcRes, &cp, store.UpdateOptions{Status: true, Owned: true})
	return err
}

// unprotect removes pvc-protection once no live pod mounts the claim.
func (v *VolumeController) unprotect(pvc *corev1.PersistentVolumeClaim) error {
	has := false
	for _, f := range pvc.Finalizers {
		has = has || f == PVCProtection
	}
	if !has {
		return nil
	}
	// The pods that mount the claim, from the store's claim index.
	for _, o := range v.env.Store.Select(podsRes, store.Query{Namespace: pvc.Namespace, Claim: pvc.Name}) {
		p := o.(*corev1.Pod)
		// As upstream's pvc-protection controller: only a scheduled pod uses the claim (the
		// scheduler and kubelet refuse a claim that is being deleted).
		if p.Spec.NodeName == "" || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		return nil // still in use
	}
	pvc = pvc.DeepCopy()
	var keep []string
	for _, f := range pvc.Finalizers {
		if f != PVCProtection {
			keep = append(keep, f)
		}
	}
	pvc.Finalizers = keep
	_, err := v.env.Store.Update(pvcRes, pvc, store.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// reclaim deletes the PV of a deleted claim (reclaimPolicy Delete), after marking it Released.
func (v *VolumeController) reclaim(claimUID string) error {
	for _, o := range v.env.Store.Select(pvRes, store.Query{}) {
		pv := o.(*corev1.PersistentVolume)
		if pv.Spec.ClaimRef == nil || string(pv.Spec.ClaimRef.UID) != claimUID {
			continue
		}
		pv = pv.DeepCopy()
		if pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
			pv.Status.Phase = corev1.VolumeReleased
			_, err := v.env.Store.Update(pvRes, pv, store.UpdateOptions{Status: true})
			return err
		}
		pv.Status.Phase = corev1.VolumeReleased
		if _, err := v.env.Store.Update(pvRes, pv, store.UpdateOptions{Status: true}); err != nil {
			return err
		}
		if _, err := v.env.Store.Delete(pvRes, "", pv.Name, store.DeleteOptions{Owned: true}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		// The pv-protection finalizer goes once the volume is released and deleted.
		if cur, err := v.env.Store.Get(pvRes, "", pv.Name); err == nil {
			cp := cur.(*corev1.PersistentVolume)
			cp.Finalizers = nil
			if _, err := v.env.Store.Update(pvRes, cp, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}
