package api

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// scaleParts gives the /scale subresource what it reads and writes in each scalable kind:
// the object's metadata, a pointer to spec.replicas, status.replicas and the selector.
func scaleParts(obj runtime.Object) (m metav1.Object, replicas **int32, statusReplicas int32, sel *metav1.LabelSelector, ok bool) {
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		return o, &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector, true
	case *appsv1.Deployment:
		return o, &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector, true
	case *appsv1.ReplicaSet:
		return o, &o.Spec.Replicas, o.Status.Replicas, o.Spec.Selector, true
	}
	return nil, nil, 0, nil, false
}
