package api

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// isDefaultClassAnnotation marks the StorageClass the DefaultStorageClass admission gives claims
// that name none.
const (
	isDefaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	betaIsDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// storageClassPrinter has kube-apiserver's StorageClass columns. A single object's row has no
// "(default)" mark; the list's has (markListTable), as upstream prints them.
var storageClassPrinter = printer{
	columns: []metav1.TableColumnDefinition{nameCol,
		col("Provisioner", storagev1.StorageClass{}.SwaggerDoc()["provisioner"]),
		col("ReclaimPolicy", storagev1.StorageClass{}.SwaggerDoc()["reclaimPolicy"]),
		col("VolumeBindingMode", storagev1.StorageClass{}.SwaggerDoc()["volumeBindingMode"]),
		col("AllowVolumeExpansion", storagev1.StorageClass{}.SwaggerDoc()["allowVolumeExpansion"]),
		ageCol},
	row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
		sc := obj.(*storagev1.StorageClass)
		reclaim, mode, expand := "Delete", string(storagev1.VolumeBindingImmediate), false
		if sc.ReclaimPolicy != nil {
			reclaim = string(*sc.ReclaimPolicy)
		}
		if sc.VolumeBindingMode != nil {
			mode = string(*sc.VolumeBindingMode)
		}
		if sc.AllowVolumeExpansion != nil {
			expand = *sc.AllowVolumeExpansion
		}
		return []any{sc.Name, sc.Provisioner, reclaim, mode, expand, age(sc.CreationTimestamp, now)}, nil
	},
}

// markListTable adds what only a list's table shows: the effective default StorageClass (the
// newest one annotated default; on a tie, the first by name) gets " (default)".
func markListTable(res store.Resource, objs []runtime.Object, t *metav1.Table) {
	if res.Name != "storageclasses" || len(objs) != len(t.Rows) {
		return
	}
	best := -1
	for i, o := range objs {
		sc := o.(*storagev1.StorageClass)
		if sc.Annotations[isDefaultClassAnnotation] != "true" && sc.Annotations[betaIsDefaultClassAnnotation] != "true" {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		b := objs[best].(*storagev1.StorageClass)
		if sc.CreationTimestamp.After(b.CreationTimestamp.Time) ||
			(sc.CreationTimestamp.Equal(&b.CreationTimestamp) && sc.Name < b.Name) {
			best = i
		}
	}
	if best >= 0 && len(t.Rows[best].Cells) > 0 {
		t.Rows[best].Cells[0] = objs[best].(*storagev1.StorageClass).Name + " (default)"
	}
}

// defaultStorageClass applies the storage.k8s.io/v1 defaults.
func defaultStorageClass(obj runtime.Object) {
	sc, ok := obj.(*storagev1.StorageClass)
	if !ok {
		return
	}
	if sc.ReclaimPolicy == nil {
		p := corev1.PersistentVolumeReclaimDelete
		sc.ReclaimPolicy = &p
	}
	if sc.VolumeBindingMode == nil {
		m := storagev1.VolumeBindingImmediate
		sc.VolumeBindingMode = &m
	}
}
