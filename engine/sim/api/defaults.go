package api

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// DefaultStorageClass is what the DefaultStorageClass admission plugin puts on claims that
// name no class.
const DefaultStorageClass = "standard"

// Hooks returns what the apiserver's defaulting, admission and registry strategies do to
// written objects, and its validation. Each call has its own cluster-IP allocator, so give
// each store its own Hooks().
// pvcProtectionFinalizer is kubernetes.io/pvc-protection (same value as controller.PVCProtection;
// api does not import controller).
const pvcProtectionFinalizer = "kubernetes.io/pvc-protection"

func Hooks() store.Hooks { return HooksWith(HookOptions{}) }

// HookOptions tune what the hooks accept.
type HookOptions struct {
	// MaxReplicas caps spec.replicas of every workload; 0 means DefaultMaxReplicas.
	MaxReplicas int
}

// HooksWith is Hooks with options.
func HooksWith(o HookOptions) store.Hooks {
	if o.MaxReplicas <= 0 {
		o.MaxReplicas = DefaultMaxReplicas
	}
	a := &allocator{}
	memo := newMetaMemo()
	return store.Hooks{
		Default: func(res store.Resource, old, obj runtime.Object) { applyDefaults(a, old, obj) },
		Validate: func(res store.Resource, old, obj runtime.Object) field.ErrorList {
			return validate(res, old, obj, o.MaxReplicas, memo)
		},
	}
}

func applyDefaults(a *allocator, old, obj runtime.Object) {
	create := old == nil
	defaultWorkloads(old, obj) // ReplicaSets, Deployments, DaemonSets (defaults_workloads.go)
	defaultStorageClass(obj)   // printers_storage.go
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		defaultStatefulSet(o)
		if create {
			o.Status = appsv1.StatefulSetStatus{}
		}
	case *corev1.Pod:
		defaultPodSpec(&o.Spec)
		if o.Spec.EnableServiceLinks == nil {
			o.Spec.EnableServiceLinks = ptr.To(corev1.DefaultEnableServiceLinks)
		}
		for i := range o.Spec.Containers {
			defaultRequestsFromLimits(&o.Spec.Containers[i])
		}
		if create {
			admitPod(o)
			o.Status = corev1.PodStatus{Phase: corev1.PodPending, QOSClass: qosClass(o)}
		}
	case *corev1.Service:
		defaultService(a, o, old)
	case *corev1.PersistentVolumeClaim:
		if create {
			if o.Spec.StorageClassName == nil && o.Annotations[corev1.BetaStorageClassAnnotation] == "" {
				o.Spec.StorageClassName = ptr.To(DefaultStorageClass)
			}
			o.Status = corev1.PersistentVolumeClaimStatus{}
			// The StorageObjectInUseProtection admission plugin's finalizer: a deleted claim
			// stays Terminating until no pod uses it (controller/volume.go removes it).
			if !slices.Contains(o.Finalizers, pvcProtectionFinalizer) {
				o.Finalizers = append(o.Finalizers, pvcProtectionFinalizer)
			}
		}
		defaultPVC(o)
	case *corev1.PersistentVolume:
		if o.Spec.PersistentVolumeReclaimPolicy == "" {
			o.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
		}
		if o.Spec.VolumeMode == nil {
			o.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
		}
		if o.Status.Phase == "" {
			o.Status.Phase = corev1.VolumePending
		}
	case *corev1.Namespace:
		if o.Labels == nil {
			o.Labels = map[string]string{}
		}
		o.Labels["kubernetes.io/metadata.name"] = o.Name
		if create {
			o.Spec.Finalizers = []corev1.FinalizerName{corev1.FinalizerKubernetes}
		}
		if o.Status.Phase == "" {
			o.Status.Phase = corev1.NamespaceActive
		}
	}
}

// defaultStatefulSet is apps/v1 SetDefaults_StatefulSet with the 1.35+ gates on.
func defaultStatefulSet(s *appsv1.StatefulSet) {
	spec := &s.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && spec.UpdateStrategy.RollingUpdate != nil {
		if spec.UpdateStrategy.RollingUpdate.Partition == nil {
			spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](0)
		}
		if spec.UpdateStrategy.RollingUpdate.MaxUnavailable == nil {
			spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted == "" {
		spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.PersistentVolumeClaimRetentionPolicy.WhenScaled == "" {
		spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	defaultPodSpec(&spec.Template.Spec)
	for i := range spec.VolumeClaimTemplates {
		t := &spec.VolumeClaimTemplates[i]
		t.APIVersion, t.Kind = "v1", "PersistentVolumeClaim"
		defaultPVC(t)
	}
}

func defaultPVC(p *corev1.PersistentVolumeClaim) {
	if p.Spec.VolumeMode == nil {
		p.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	if p.Status.Phase == "" {
		p.Status.Phase = corev1.ClaimPending
	}
}

// defaultPodSpec is SetDefaults_PodSpec and the container, port, probe and volume defaults,
// which apply to pods and to pod templates alike.
func defaultPodSpec(s *corev1.PodSpec) {
	if s.DNSPolicy == "" {
		s.DNSPolicy = corev1.DNSClusterFirst
	}
	if s.RestartPolicy == "" {
		s.RestartPolicy = corev1.RestartPolicyAlways
	}
	if s.TerminationGracePeriodSeconds == nil {
		s.TerminationGracePeriodSeconds = ptr.To[int64](corev1.DefaultTerminationGracePeriodSeconds)
	}
	if s.SecurityContext == nil {
		s.SecurityContext = &corev1.PodSecurityContext{}
	}
	if s.SchedulerName == "" {
		s.SchedulerName = corev1.DefaultSchedulerName
	}
	for i := range s.InitContainers {
		defaultContainer(&s.InitContainers[i])
	}
	for i := range s.Containers {
		defaultContainer(&s.Containers[i])
	}
	for i := range s.Volumes {
		v := &s.Volumes[i].VolumeSource
		switch {
		case v.ConfigMap != nil && v.ConfigMap.DefaultMode == nil:
			v.ConfigMap.DefaultMode = ptr.To(corev1.ConfigMapVolumeSourceDefaultMode)
		case v.Secret != nil && v.Secret.DefaultMode == nil:
			v.Secret.DefaultMode = ptr.To(corev1.SecretVolumeSourceDefaultMode)
		case v.HostPath != nil && v.HostPath.Type == nil:
			v.HostPath.Type = ptr.To(corev1.HostPathUnset)
		}
	}
}

func defaultContainer(c *corev1.Container) {
	if c.TerminationMessagePath == "" {
		c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	if c.TerminationMessagePolicy == "" {
		c.TerminationMessagePolicy = corev1.TerminationMessageReadFile
	}
	if c.ImagePullPolicy == "" {
		c.ImagePullPolicy = pullPolicy(c.Image)
	}
	for i := range c.Ports {
		if c.Ports[i].Protocol == "" {
			c.Ports[i].Protocol = corev1.ProtocolTCP
		}
	}
	for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
		defaultProbe(p)
	}
	for i := range c.Env {
		if f := c.Env[i].ValueFrom; f != nil && f.FieldRef != nil && f.FieldRef.APIVersion == "" {
			f.FieldRef.APIVersion = "v1"
		}
	}
}

func defaultProbe(p *corev1.Probe) {
	if p == nil {
		return
	}
	if p.TimeoutSeconds == 0 {
		p.TimeoutSeconds = 1
	}
	if p.PeriodSeconds == 0 {
		p.PeriodSeconds = 10
	}
	if p.SuccessThreshold == 0 {
		p.SuccessThreshold = 1
	}
	if p.FailureThreshold == 0 {
		p.FailureThreshold = 3
	}
	if h := p.HTTPGet; h != nil {
		if h.Path == "" {
			h.Path = "/"
		}
		if h.Scheme == "" {
			h.Scheme = corev1.URISchemeHTTP
		}
	}
}

// pullPolicy is Always for :latest or untagged images, else IfNotPresent.
func pullPolicy(image string) corev1.PullPolicy {
	if strings.Contains(image, "@") {
		return corev1.PullIfNotPresent
	}
	last := image[strings.LastIndex(image, "/")+1:]
	i := strings.LastIndex(last, ":")
	if i < 0 || last[i+1:] == "latest" {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

func defaultRequestsFromLimits(c *corev1.Container) {
	if len(c.Resources.Limits) == 0 {
		return
	}
	if c.Resources.Requests == nil {
		c.Resources.Requests = corev1.ResourceList{}
	}
	for k, v := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[k]; !ok {
			c.Resources.Requests[k] = v.DeepCopy()
		}
	}
}

// admitPod does what the admission plugins of a default cluster add to new pods.
func admitPod(p *corev1.Pod) {
	admitServiceAccount(p) // admission_serviceaccount.go
	if p.Spec.Priority == nil {
		p.Spec.Priority = ptr.To[int32](0)
	}
	if p.Spec.PreemptionPolicy == nil {
		p.Spec.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	}
	for _, key := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		has := false
		for _, t := range p.Spec.Tolerations {
			if t.Key == key || (t.Key == "" && t.Operator == corev1.TolerationOpExists) {
				has = true
			}
		}
		if !has {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists,
				Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)})
		}
	}
}

func qosClass(p *corev1.Pod) corev1.PodQOSClass {
	all := append(append([]corev1.Container(nil), p.Spec.InitContainers...), p.Spec.Containers...)
	any := false
	guaranteed := true
	for _, c := range all {
		if len(c.Resources.Requests) > 0 || len(c.Resources.Limits) > 0 {
			any = true
		}
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			l, okL := c.Resources.Limits[r]
			q, okR := c.Resources.Requests[r]
			if !okL || (okR && q.Cmp(l) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !any:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

func defaultService(a *allocator, s *corev1.Service, oldObj runtime.Object) {
	spec := &s.Spec
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == (intstr.IntOrString{}) {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	if spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	if spec.InternalTrafficPolicy == nil {
		spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
	}
	if old, ok := oldObj.(*corev1.Service); ok && spec.ClusterIP == "" && len(spec.ClusterIPs) == 0 {
		// An update that leaves the allocated address out keeps it, as the apiserver does.
		spec.ClusterIP, spec.ClusterIPs = old.Spec.ClusterIP, old.Spec.ClusterIPs
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = old.Spec.IPFamilies
		}
		if spec.IPFamilyPolicy == nil {
			spec.IPFamilyPolicy = old.Spec.IPFamilyPolicy
		}
	}
	if spec.ClusterIP == "" && len(spec.ClusterIPs) > 0 {
		spec.ClusterIP = spec.ClusterIPs[0]
	}
	if spec.ClusterIP == "" && oldObj == nil {
		spec.ClusterIP = a.clusterIP()
	}
	if len(spec.ClusterIPs) == 0 && spec.ClusterIP != "" {
		spec.ClusterIPs = []string{spec.ClusterIP}
	}
	if len(spec.IPFamilies) == 0 {
		spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if spec.IPFamilyPolicy == nil {
		spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicySingleStack)
	}
	if spec.Type == corev1.ServiceTypeNodePort || spec.Type == corev1.ServiceTypeLoadBalancer {
		if spec.ExternalTrafficPolicy == "" {
			spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
		}
		var oldPorts []corev1.ServicePort
		if old, ok := oldObj.(*corev1.Service); ok {
			oldPorts = old.Spec.Ports
		}
		for i := range spec.Ports {
			if spec.Ports[i].NodePort != 0 {
				continue
			}
			for _, op := range oldPorts {
				if op.Port == spec.Ports[i].Port && op.Protocol == spec.Ports[i].Protocol && op.NodePort != 0 {
					spec.Ports[i].NodePort = op.NodePort
				}
			}
			if spec.Ports[i].NodePort == 0 {
				spec.Ports[i].NodePort = a.nodePort()
			}
		}
	}
}

// allocator hands out service addresses from 10.96.0.0/12 and node ports, in a fixed
// scattered order so addresses look like a real cluster's and tests are repeatable.
type allocator struct {
	mu    sync.Mutex
	ipN   uint32
	portN int32
}

func (a *allocator) clusterIP() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for {
		a.ipN++
		// An odd multiplier walks all 2^20 offsets before repeating.
		off := (a.ipN*40503 + 2617) & (1<<20 - 1)
		if off <= 10 || off&0xff == 0 || off&0xff == 0xff {
			continue
		}
		return fmt.Sprintf("10.%d.%d.%d", 96+(off>>16), (off>>8)&0xff, off&0xff)
	}
}

func (a *allocator) nodePort() int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.portN++
	return 30000 + (a.portN*1031)%2768
}
