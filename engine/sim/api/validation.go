package api

import (
	"fmt"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// validate mirrors the apiserver's validation for the fields the tutorials touch, with the
// same field paths and messages. old is nil on create.
func validate(res store.Resource, old, obj runtime.Object, maxReplicas int, memo *metaMemo) field.ErrorList {
	var errs field.ErrorList
	m, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	if old == nil {
		errs = append(errs, validateName(res, m.GetName())...)
	}
	errs = append(errs, memo.labels(m.GetLabels())...)
	// Key format and the 256 KiB total, as ValidateObjectMeta checks them.
	errs = append(errs, memo.annotations(m.GetAnnotations())...)
	errs = append(errs, validateWorkloads(old, obj, maxReplicas)...) // validation_workloads.go
	switch o := obj.(type) {
	case *appsv1.StatefulSet:
		errs = append(errs, validateStatefulSetSpec(&o.Spec, field.NewPath("spec"), maxReplicas)...)
		if prev, ok := old.(*appsv1.StatefulSet); ok {
			errs = append(errs, validateStatefulSetUpdate(o, prev)...)
		}
	case *corev1.Pod:
		errs = append(errs, validatePodSpec(&o.Spec, field.NewPath("spec"))...)
		if prev, ok := old.(*corev1.Pod); ok {
			errs = append(errs, validatePodUpdate(o, prev)...)
		}
	case *corev1.Service:
		errs = append(errs, validateService(o, old)...)
	case *corev1.PersistentVolumeClaim:
		errs = append(errs, validatePVCSpec(&o.Spec, field.NewPath("spec"))...)
		if prev, ok := old.(*corev1.PersistentVolumeClaim); ok {
			errs = append(errs, validatePVCUpdate(o, prev)...)
		}
	}
	return errs
}

// metaMemo remembers the label keys, label values and annotation keys that passed
// apimachinery's checks, so the ones every object of a workload repeats skip the regexps
// (they were a tenth of the CPU of a thousand-replica StatefulSet). A map with anything not
// remembered goes through apimachinery's own functions, so errors are exactly theirs. One
// per store (HooksWith); each set stops growing at metaMemoMax entries.
type metaMemo struct {
	mu                              sync.Mutex
	labelKeys, labelValues, annKeys map[string]struct{}
}

const metaMemoMax = 4096

func newMetaMemo() *metaMemo {
	return &metaMemo{labelKeys: map[string]struct{}{}, labelValues: map[string]struct{}{}, annKeys: map[string]struct{}{}}
}

func (m *metaMemo) labels(l map[string]string) field.ErrorList {
	if len(l) == 0 {
		return nil
	}
	if m != nil {
		m.mu.Lock()
		hit := true
		for k, v := range l {
			_, kok := m.labelKeys[k]
			_, vok := m.labelValues[v]
			if !kok || !vok {
				hit = false
				break
			}
		}
		m.mu.Unlock()
		if hit {
			return nil
		}
	}
	errs := metavalidation.ValidateLabels(l, field.NewPath("metadata", "labels"))
	if len(errs) == 0 && m != nil {
		m.mu.Lock()
		for k, v := range l {
			remember(m.labelKeys, k)
			remember(m.labelValues, v)
		}
		m.mu.Unlock()
	}
	return errs
}

func (m *metaMemo) annotations(a map[string]string) field.ErrorList {
	if len(a) == 0 {
		return nil
	}
	path := field.NewPath("metadata", "annotations")
	if m != nil {
		m.mu.Lock()
		hit := true
		for k := range a {
			if _, ok := m.annKeys[k]; !ok {
				hit = false
				break
			}
		}
		m.mu.Unlock()
		if hit {
			// Keys known good: only the total size is left, as ValidateAnnotations reports it.
			if err := apivalidation.ValidateAnnotationsSize(a); err != nil {
				return field.ErrorList{field.TooLong(path, "", apivalidation.TotalAnnotationSizeLimitB)}
			}
			return nil
		}
	}
	errs := apivalidation.ValidateAnnotations(a, path)
	if len(errs) == 0 && m != nil {
		m.mu.Lock()
		for k := range a {
			remember(m.annKeys, k)
		}
		m.mu.Unlock()
	}
	return errs
}

func remember(set map[string]struct{}, s string) {
	if len(set) < metaMemoMax {
		set[s] = struct{}{}
	}
}

func validateName(res store.Resource, name string) field.ErrorList {
	var msgs []string
	switch res.Name {
	case "services":
		msgs = validation.IsDNS1035Label(name)
	case "namespaces", "statefulsets":
		// StatefulSet names are DNS labels since pods and claims append "-<ordinal>"
		// (apps validation ValidateStatefulSetName: NameIsDNSLabel).
		msgs = validation.IsDNS1123Label(name)
	default:
		msgs = validation.IsDNS1123Subdomain(name)
	}
	var errs field.ErrorList
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), name, msg))
	}
	return errs
}

// DefaultMaxReplicas caps spec.replicas in the simulator unless HookOptions say otherwise.
const DefaultMaxReplicas = 1000

func validateNonNegative(v int64, p *field.Path) field.ErrorList {
	if v < 0 {
		return field.ErrorList{field.Invalid(p, v, "must be greater than or equal to 0")}
	}
	return nil
}

// rollingUpdateValue prints like the internal type the real server shows in item 61's message.
type rollingUpdateValue struct {
	ru *appsv1.RollingUpdateStatefulSetStrategy
}

func (v rollingUpdateValue) String() string {
	partition := "0"
	if v.ru.Partition != nil {
		partition = fmt.Sprint(*v.ru.Partition)
	}
	maxU := "(*intstr.IntOrString)(nil)"
	if v.ru.MaxUnavailable != nil {
		maxU = v.ru.MaxUnavailable.String()
	}
	return fmt.Sprintf("&apps.RollingUpdateStatefulSetStrategy{Partition:%s, MaxUnavailable:%s}", partition, maxU)
}

// MarshalJSON fails on purpose: field errors fall back to String(), as they do for the
// apiserver's internal types.
func (v rollingUpdateValue) MarshalJSON() ([]byte, error) {
	return nil, fmt.Errorf("internal type")
}

func validateStatefulSetSpec(spec *appsv1.StatefulSetSpec, p *field.Path, maxReplicas int) field.ErrorList {
	var errs field.ErrorList
	switch spec.PodManagementPolicy {
	case "":
		errs = append(errs, field.Required(p.Child("podManagementPolicy"), ""))
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		errs = append(errs, field.Invalid(p.Child("podManagementPolicy"), spec.PodManagementPolicy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement)))
	}
	us := p.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case "":
		errs = append(errs, field.Required(us, ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate != nil {
			errs = append(errs, field.Invalid(us.Child("rollingUpdate"), rollingUpdateValue{spec.UpdateStrategy.RollingUpdate},
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil {
			if ru.Partition != nil {
				errs = append(errs, validateNonNegative(int64(*ru.Partition), us.Child("rollingUpdate", "partition"))...)
			}
			if mu := ru.MaxUnavailable; mu != nil {
				mp := us.Child("rollingUpdate", "maxUnavailable")
				if v, err := intOrPercent(mu.String(), mu.IntValue(), mu.Type == 1); err != nil {
					errs = append(errs, field.Invalid(mp, mu.String(), err.Error()))
				} else if v <= 0 {
					errs = append(errs, field.Invalid(mp, mu.String(), "must be greater than 0"))
				}
			}
		}
	default:
		errs = append(errs, field.Invalid(us, spec.UpdateStrategy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)))
	}
	if r := spec.PersistentVolumeClaimRetentionPolicy; r != nil {
		for name, v := range map[string]appsv1.PersistentVolumeClaimRetentionPolicyType{"whenDeleted": r.WhenDeleted, "whenScaled": r.WhenScaled} {
			if v != appsv1.RetainPersistentVolumeClaimRetentionPolicyType && v != appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
				errs = append(errs, field.NotSupported(p.Child("persistentVolumeClaimRetentionPolicy", name), v, []string{"Retain", "Delete"}))
			}
		}
	}
	if spec.Replicas != nil {
		errs = append(errs, validateNonNegative(int64(*spec.Replicas), p.Child("replicas"))...)
		if int(*spec.Replicas) > maxReplicas {
			// A real cluster accepts any int32; the simulator caps it so one learner cannot fill
			// a shared classroom server, and says so plainly.
			errs = append(errs, field.Invalid(p.Child("replicas"), *spec.Replicas,
				fmt.Sprintf("the kubetutor simulator runs at most %d replicas per StatefulSet (a real cluster would accept this)", maxReplicas)))
		}
	}
	errs = append(errs, validateNonNegative(int64(spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	if spec.Ordinals != nil {
		errs = append(errs, validateNonNegative(int64(spec.Ordinals.Start), p.Child("ordinals", "start"))...)
	}
	if spec.Selector == nil {
		errs = append(errs, field.Required(p.Child("selector"), ""))
	} else {
		errs = append(errs, metavalidation.ValidateLabelSelector(spec.Selector, metavalidation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
		if len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(p.Child("selector"), spec.Selector, "empty selector is invalid for statefulset"))
		}
	}
	sel, err := metav1.LabelSelectorAsSelector(spec.Selector)
	if err != nil {
		errs = append(errs, field.Invalid(p.Child("selector"), spec.Selector, ""))
	} else if !sel.Empty() && !sel.Matches(labels.Set(spec.Template.Labels)) {
		errs = append(errs, field.Invalid(p.Child("template", "metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	tp := p.Child("template", "spec")
	if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("restartPolicy"), spec.Template.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	if spec.Template.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(tp.Child("activeDeadlineSeconds"), "activeDeadlineSeconds in StatefulSet is not Supported"))
	}
	errs = append(errs, validatePodSpec(&spec.Template.Spec, tp)...)
	for i := range spec.VolumeClaimTemplates {
		t := &spec.VolumeClaimTemplates[i]
		tpath := p.Child("volumeClaimTemplates").Index(i)
		for _, msg := range validation.IsDNS1123Subdomain(t.Name) {
			errs = append(errs, field.Invalid(tpath.Child("metadata", "name"), t.Name, msg))
		}
		errs = append(errs, validatePVCSpec(&t.Spec, tpath.Child("spec"))...)
	}
	return errs
}

func intOrPercent(s string, i int, isString bool) (int, error) {
	if !isString {
		return i, nil
	}
	if !strings.HasSuffix(s, "%") {
		return 0, fmt.Errorf("a valid percent string must be a numeric string followed by an ending '%%' (e.g. '1%%',  or '93%%', regex used for validation is '[0-9]+%%')")
	}
	var v int
	if _, err := fmt.Sscanf(strings.TrimSuffix(s, "%"), "%d", &v); err != nil {
		return 0, fmt.Errorf("a valid percent string must be a numeric string followed by an ending '%%'")
	}
	if v > 100 {
		return 0, fmt.Errorf("must not be greater than 100%%")
	}
	return v, nil
}

func validateStatefulSetUpdate(cur, old *appsv1.StatefulSet) field.ErrorList {
	// A shallow copy: only its top-level fields are replaced, by old's.
	clone := &appsv1.StatefulSetSpec{}
	*clone = cur.Spec
	clone.Replicas = old.Spec.Replicas
	clone.Template = old.Spec.Template
	clone.UpdateStrategy = old.Spec.UpdateStrategy
	clone.MinReadySeconds = old.Spec.MinReadySeconds
	clone.Ordinals = old.Spec.Ordinals
	clone.RevisionHistoryLimit = old.Spec.RevisionHistoryLimit
	clone.PersistentVolumeClaimRetentionPolicy = old.Spec.PersistentVolumeClaimRetentionPolicy
	if !store.SemanticEqual(clone, &old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")}
	}
	return nil
}

func validatePodSpec(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := sets.New[string]()
	check := func(cs []corev1.Container, cp *field.Path) {
		for i := range cs {
			c := &cs[i]
			ip := cp.Index(i)
			if c.Name == "" {
				errs = append(errs, field.Required(ip.Child("name"), ""))
			} else {
				for _, msg := range validation.IsDNS1123Label(c.Name) {
					errs = append(errs, field.Invalid(ip.Child("name"), c.Name, msg))
				}
				if names.Has(c.Name) {
					errs = append(errs, field.Duplicate(ip.Child("name"), c.Name))
				}
				names.Insert(c.Name)
			}
			if strings.TrimSpace(c.Image) == "" {
				errs = append(errs, field.Required(ip.Child("image"), ""))
			}
			for j, port := range c.Ports {
				if port.ContainerPort < 1 || port.ContainerPort > 65535 {
					errs = append(errs, field.Invalid(ip.Child("ports").Index(j).Child("containerPort"), port.ContainerPort, "must be between 1 and 65535, inclusive"))
				}
			}
		}
	}
	check(spec.InitContainers, p.Child("initContainers"))
	check(spec.Containers, p.Child("containers"))
	switch spec.RestartPolicy {
	case corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever:
	default:
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), spec.RestartPolicy, []string{"Always", "OnFailure", "Never"}))
	}
	if g := spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		errs = append(errs, validateNonNegative(*g, p.Child("terminationGracePeriodSeconds"))...)
	}
	vols := sets.New[string]()
	for i, v := range spec.Volumes {
		if v.Name == "" {
			errs = append(errs, field.Required(p.Child("volumes").Index(i).Child("name"), ""))
		} else if vols.Has(v.Name) {
			errs = append(errs, field.Duplicate(p.Child("volumes").Index(i).Child("name"), v.Name))
		}
		vols.Insert(v.Name)
	}
	return errs
}

const podUpdateForbidden = "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

// validatePodUpdate allows only what the real ValidatePodUpdate allows, plus binding an
// unscheduled pod to a node (the simulator's scheduler writes spec.nodeName directly where
// a real one posts a Binding).
func validatePodUpdate(cur, old *corev1.Pod) field.ErrorList {
	// Most pod writes (the kubelet's status, labels, finalizers) leave the spec as it was:
	// nothing to copy then. Every change below moves the copy toward old, so an unchanged
	// spec passes either way.
	if store.SemanticEqual(&cur.Spec, &old.Spec) {
		return nil
	}
	clone := cur.Spec.DeepCopy()
	if len(clone.Containers) != len(old.Spec.Containers) || len(clone.InitContainers) != len(old.Spec.InitContainers) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), podUpdateForbidden)}
	}
	for i := range clone.Containers {
		clone.Containers[i].Image = old.Spec.Containers[i].Image
	}
	for i := range clone.InitContainers {
		clone.InitContainers[i].Image = old.Spec.InitContainers[i].Image
	}
	clone.ActiveDeadlineSeconds = old.Spec.ActiveDeadlineSeconds
	if len(clone.Tolerations) >= len(old.Spec.Tolerations) {
		clone.Tolerations = old.Spec.Tolerations
	}
	if old.Spec.TerminationGracePeriodSeconds != nil && *old.Spec.TerminationGracePeriodSeconds < 0 {
		clone.TerminationGracePeriodSeconds = old.Spec.TerminationGracePeriodSeconds
	}
	if old.Spec.NodeName == "" {
		clone.NodeName = ""
	}
	if len(clone.SchedulingGates) <= len(old.Spec.SchedulingGates) {
		clone.SchedulingGates = old.Spec.SchedulingGates
	}
	if !store.SemanticEqual(clone, &old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), podUpdateForbidden)}
	}
	return nil
}

func validateService(s *corev1.Service, oldObj runtime.Object) field.ErrorList {
	var errs field.ErrorList
	p := field.NewPath("spec")
	headless := s.Spec.ClusterIP == corev1.ClusterIPNone
	if len(s.Spec.Ports) == 0 && !headless && s.Spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Required(p.Child("ports"), ""))
	}
	names := sets.New[string]()
	for i, port := range s.Spec.Ports {
		pp := p.Child("ports").Index(i)
		if len(s.Spec.Ports) > 1 && port.Name == "" {
			errs = append(errs, field.Required(pp.Child("name"), ""))
		} else if port.Name != "" {
			for _, msg := range validation.IsDNS1123Label(port.Name) {
				errs = append(errs, field.Invalid(pp.Child("name"), port.Name, msg))
			}
			if names.Has(port.Name) {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			}
			names.Insert(port.Name)
		}
		if port.Port < 1 || port.Port > 65535 {
			errs = append(errs, field.Invalid(pp.Child("port"), port.Port, "must be between 1 and 65535, inclusive"))
		}
		switch port.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, []string{"SCTP", "TCP", "UDP"}))
		}
	}
	switch s.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName:
	default:
		errs = append(errs, field.NotSupported(p.Child("type"), s.Spec.Type, []string{"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"}))
	}
	if old, ok := oldObj.(*corev1.Service); ok && old.Spec.ClusterIP != "" && s.Spec.ClusterIP != old.Spec.ClusterIP && s.Spec.Type != corev1.ServiceTypeExternalName {
		errs = append(errs, field.Invalid(p.Child("clusterIPs").Index(0), s.Spec.ClusterIPs, "may not change once set"))
	}
	return errs
}

func validatePVCSpec(spec *corev1.PersistentVolumeClaimSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(spec.AccessModes) == 0 {
		errs = append(errs, field.Required(p.Child("accessModes"), "at least 1 access mode is required"))
	}
	for _, m := range spec.AccessModes {
		switch m {
		case corev1.ReadWriteOnce, corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOncePod:
		default:
			errs = append(errs, field.NotSupported(p.Child("accessModes"), m, []string{"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"}))
		}
	}
	q, ok := spec.Resources.Requests[corev1.ResourceStorage]
	if !ok {
		errs = append(errs, field.Required(p.Child("resources").Key(string(corev1.ResourceStorage)), ""))
	} else if q.Sign() <= 0 {
		errs = append(errs, field.Invalid(p.Child("resources").Key(string(corev1.ResourceStorage)), q.String(), "must be greater than zero"))
	}
	return errs
}

func validatePVCUpdate(cur, old *corev1.PersistentVolumeClaim) field.ErrorList {
	// A shallow copy: only top-level fields (and Resources, a value) are replaced, by old's.
	clone := &corev1.PersistentVolumeClaimSpec{}
	*clone = cur.Spec
	clone.Resources.Requests = old.Spec.Resources.Requests
	clone.VolumeAttributesClassName = old.Spec.VolumeAttributesClassName
	if old.Spec.VolumeName == "" {
		clone.VolumeName = "" // binding by the volume controller
	}
	if !store.SemanticEqual(clone, &old.Spec) {
		return field.ErrorList{field.Forbidden(field.NewPath("spec"), "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims")}
	}
	return nil
}
