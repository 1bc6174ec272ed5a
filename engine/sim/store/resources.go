// Package store holds the simulated cluster's objects: typed k8s.io/api objects with
// resourceVersions from one counter, apiserver-like create/update/delete semantics
// (generation, graceful pod deletion, finalizers) and watches with a bounded history.
package store

import (
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource describes one REST resource the simulator serves.
type Resource struct {
	Name       string // plural, e.g. "pods"
	Singular   string
	Kind       string
	ListKind   string
	Group      string // "" for core
	Version    string
	Namespaced bool
	ShortNames []string
	Categories []string
	// HasStatus: the resource has a /status subresource, so a plain update keeps the old status
	// and a status update keeps the old spec.
	HasStatus bool
	// HasScale: the resource has a /scale subresource (autoscaling/v1 Scale).
	HasScale bool
	New      func() runtime.Object
	NewList  func() runtime.Object
}

func (r Resource) GVK() schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: r.Group, Version: r.Version, Kind: r.Kind}
}

func (r Resource) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Name}
}

// GroupVersion is "v1" for core and "apps/v1" otherwise.
func (r Resource) GroupVersion() string {
	return r.GVK().GroupVersion().String()
}

var resources = []Resource{
	{Name: "namespaces", Singular: "namespace", Kind: "Namespace", Version: "v1", ShortNames: []string{"ns"}, HasStatus: true,
		New: func() runtime.Object { return &corev1.Namespace{} }, NewList: func() runtime.Object { return &corev1.NamespaceList{} }},
	{Name: "nodes", Singular: "node", Kind: "Node", Version: "v1", ShortNames: []string{"no"}, HasStatus: true,
		New: func() runtime.Object { return &corev1.Node{} }, NewList: func() runtime.Object { return &corev1.NodeList{} }},
	{Name: "pods", Singular: "pod", Kind: "Pod", Version: "v1", Namespaced: true, ShortNames: []string{"po"}, Categories: []string{"all"}, HasStatus: true,
		New: func() runtime.Object { return &corev1.Pod{} }, NewList: func() runtime.Object { return &corev1.PodList{} }},
	{Name: "services", Singular: "service", Kind: "Service", Version: "v1", Namespaced: true, ShortNames: []string{"svc"}, Categories: []string{"all"}, HasStatus: true,
		New: func() runtime.Object { return &corev1.Service{} }, NewList: func() runtime.Object { return &corev1.ServiceList{} }},
	{Name: "endpoints", Singular: "endpoints", Kind: "Endpoints", Version: "v1", Namespaced: true, ShortNames: []string{"ep"},
		New: func() runtime.Object { return &corev1.Endpoints{} }, NewList: func() runtime.Object { return &corev1.EndpointsList{} }},
	{Name: "persistentvolumeclaims", Singular: "persistentvolumeclaim", Kind: "PersistentVolumeClaim", Version: "v1", Namespaced: true, ShortNames: []string{"pvc"}, HasStatus: true,
		New: func() runtime.Object { return &corev1.PersistentVolumeClaim{} }, NewList: func() runtime.Object { return &corev1.PersistentVolumeClaimList{} }},
	{Name: "persistentvolumes", Singular: "persistentvolume", Kind: "PersistentVolume", Version: "v1", ShortNames: []string{"pv"}, HasStatus: true,
		New: func() runtime.Object { return &corev1.PersistentVolume{} }, NewList: func() runtime.Object { return &corev1.PersistentVolumeList{} }},
	{Name: "events", Singular: "event", Kind: "Event", Version: "v1", Namespaced: true, ShortNames: []string{"ev"},
		New: func() runtime.Object { return &corev1.Event{} }, NewList: func() runtime.Object { return &corev1.EventList{} }},
	{Name: "configmaps", Singular: "configmap", Kind: "ConfigMap", Version: "v1", Namespaced: true, ShortNames: []string{"cm"},
		New: func() runtime.Object { return &corev1.ConfigMap{} }, NewList: func() runtime.Object { return &corev1.ConfigMapList{} }},
	{Name: "serviceaccounts", Singular: "serviceaccount", Kind: "ServiceAccount", Version: "v1", Namespaced: true, ShortNames: []string{"sa"},
		New: func() runtime.Object { return &corev1.ServiceAccount{} }, NewList: func() runtime.Object { return &corev1.ServiceAccountList{} }},
	{Name: "storageclasses", Singular: "storageclass", Kind: "StorageClass", Group: "storage.k8s.io", Version: "v1", ShortNames: []string{"sc"},
		New: func() runtime.Object { return &storagev1.StorageClass{} }, NewList: func() runtime.Object { return &storagev1.StorageClassList{} }},
	{Name: "endpointslices", Singular: "endpointslice", Kind: "EndpointSlice", Group: "discovery.k8s.io", Version: "v1", Namespaced: true,
		New: func() runtime.Object { return &discoveryv1.EndpointSlice{} }, NewList: func() runtime.Object { return &discoveryv1.EndpointSliceList{} }},
	{Name: "statefulsets", Singular: "statefulset", Kind: "StatefulSet", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"sts"}, Categories: []string{"all"}, HasStatus: true, HasScale: true,
		New: func() runtime.Object { return &appsv1.StatefulSet{} }, NewList: func() runtime.Object { return &appsv1.StatefulSetList{} }},
	{Name: "deployments", Singular: "deployment", Kind: "Deployment", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"deploy"}, Categories: []string{"all"}, HasStatus: true, HasScale: true,
		New: func() runtime.Object { return &appsv1.Deployment{} }, NewList: func() runtime.Object { return &appsv1.DeploymentList{} }},
	{Name: "replicasets", Singular: "replicaset", Kind: "ReplicaSet", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"rs"}, Categories: []string{"all"}, HasStatus: true, HasScale: true,
		New: func() runtime.Object { return &appsv1.ReplicaSet{} }, NewList: func() runtime.Object { return &appsv1.ReplicaSetList{} }},
	{Name: "daemonsets", Singular: "daemonset", Kind: "DaemonSet", Group: "apps", Version: "v1", Namespaced: true, ShortNames: []string{"ds"}, Categories: []string{"all"}, HasStatus: true,
		New: func() runtime.Object { return &appsv1.DaemonSet{} }, NewList: func() runtime.Object { return &appsv1.DaemonSetList{} }},
	{Name: "horizontalpodautoscalers", Singular: "horizontalpodautoscaler", Kind: "HorizontalPodAutoscaler", Group: "autoscaling", Version: "v1", Namespaced: true, ShortNames: []string{"hpa"}, Categories: []string{"all"}, HasStatus: true,
		New: func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscaler{} }, NewList: func() runtime.Object { return &autoscalingv1.HorizontalPodAutoscalerList{} }},
	{Name: "controllerrevisions", Singular: "controllerrevision", Kind: "ControllerRevision", Group: "apps", Version: "v1", Namespaced: true,
		New: func() runtime.Object { return &appsv1.ControllerRevision{} }, NewList: func() runtime.Object { return &appsv1.ControllerRevisionList{} }},
	{Name: "leases", Singular: "lease", Kind: "Lease", Group: "coordination.k8s.io", Version: "v1", Namespaced: true,
		New: func() runtime.Object { return &coordinationv1.Lease{} }, NewList: func() runtime.Object { return &coordinationv1.LeaseList{} }},
	{Name: "poddisruptionbudgets", Singular: "poddisruptionbudget", Kind: "PodDisruptionBudget", Group: "policy", Version: "v1", Namespaced: true, ShortNames: []string{"pdb"}, HasStatus: true,
		New: func() runtime.Object { return &policyv1.PodDisruptionBudget{} }, NewList: func() runtime.Object { return &policyv1.PodDisruptionBudgetList{} }},
}

// Resources lists every served resource, core first, in a stable order.
func Resources() []Resource {
	out := append([]Resource(nil), resources...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Group < out[j].Group })
	return out
}

// Lookup finds a resource by group and plural name.
func Lookup(group, name string) (Resource, bool) {
	for _, r := range resources {
		if r.Group == group && r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// MustLookup is Lookup for names fixed in code.
func MustLookup(name string) Resource {
	for _, r := range resources {
		if r.Name == name {
			return r
		}
	}
	panic("store: unknown resource " + name)
}

// ScaleGVK is what the /scale subresource speaks.
var ScaleGVK = autoscalingv1.SchemeGroupVersion.WithKind("Scale")
