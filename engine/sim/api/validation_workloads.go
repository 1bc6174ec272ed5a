package api

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateWorkloads mirrors pkg/apis/apps/validation for ReplicaSets, Deployments and
// DaemonSets: the same checks, field paths and messages. old is nil on create.
func validateWorkloads(old, obj runtime.Object, maxReplicas int) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	switch o := obj.(type) {
	case *appsv1.ReplicaSet:
		errs = append(errs, validateReplicas(o.Spec.Replicas, "ReplicaSet", spec.Child("replicas"), maxReplicas)...)
		errs = append(errs, validateNonNegative(int64(o.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
		errs = append(errs, validateSelectorAndTemplate(o.Spec.Selector, &o.Spec.Template, "ReplicaSet", "deployment", spec)...)
		if prev, ok := old.(*appsv1.ReplicaSet); ok {
			errs = append(errs, apivalidation.ValidateImmutableField(o.Spec.Selector, prev.Spec.Selector, spec.Child("selector"))...)
		}
	case *appsv1.Deployment:
		errs = append(errs, validateReplicas(o.Spec.Replicas, "Deployment", spec.Child("replicas"), maxReplicas)...)
		errs = append(errs, validateSelectorAndTemplate(o.Spec.Selector, &o.Spec.Template, "ReplicaSet", "deployment", spec)...)
		errs = append(errs, validateDeploymentStrategy(&o.Spec.Strategy, spec.Child("strategy"))...)
		errs = append(errs, validateNonNegative(int64(o.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
		if o.Spec.RevisionHistoryLimit != nil {
			errs = append(errs, validateNonNegative(int64(*o.Spec.RevisionHistoryLimit), spec.Child("revisionHistoryLimit"))...)
		}
		if pd := o.Spec.ProgressDeadlineSeconds; pd != nil {
			errs = append(errs, validateNonNegative(int64(*pd), spec.Child("progressDeadlineSeconds"))...)
			if *pd <= o.Spec.MinReadySeconds {
				errs = append(errs, field.Invalid(spec.Child("progressDeadlineSeconds"), *pd, "must be greater than minReadySeconds"))
			}
		}
		if prev, ok := old.(*appsv1.Deployment); ok {
			errs = append(errs, apivalidation.ValidateImmutableField(o.Spec.Selector, prev.Spec.Selector, spec.Child("selector"))...)
		}
	case *autoscalingv1.HorizontalPodAutoscaler:
		errs = append(errs, validateHPASpec(&o.Spec, spec)...)
	case *appsv1.DaemonSet:
		errs = append(errs, validateSelectorAndTemplate(o.Spec.Selector, &o.Spec.Template, "DaemonSet", "daemonset", spec)...)
		errs = append(errs, validateNonNegative(int64(o.Spec.MinReadySeconds), spec.Child("minReadySeconds"))...)
		errs = append(errs, validateDaemonSetStrategy(&o.Spec.UpdateStrategy, spec.Child("updateStrategy"))...)
		if o.Spec.RevisionHistoryLimit != nil {
			errs = append(errs, validateNonNegative(int64(*o.Spec.RevisionHistoryLimit), spec.Child("revisionHistoryLimit"))...)
		}
		if prev, ok := old.(*appsv1.DaemonSet); ok {
			errs = append(errs, apivalidation.ValidateImmutableField(o.Spec.Selector, prev.Spec.Selector, spec.Child("selector"))...)
		}
	}
	return errs
}

func validateReplicas(r *int32, kind string, p *field.Path, maxReplicas int) field.ErrorList {
	if r == nil {
		return nil
	}
	errs := validateNonNegative(int64(*r), p)
	if int(*r) > maxReplicas {
		// As for StatefulSets: a real cluster accepts any int32; the simulator says plainly why not.
		errs = append(errs, field.Invalid(p, *r,
			fmt.Sprintf("the kubetutor simulator runs at most %d replicas per %s (a real cluster would accept this)", maxReplicas, kind)))
	}
	return errs
}

// validateSelectorAndTemplate is the selector part of ValidateReplicaSetSpec/DeploymentSpec/
// DaemonSetSpec and ValidatePodTemplateSpecForReplicaSet. kindInMsg names the kind in the
// "activeDeadlineSeconds in X is not Supported" message; emptyFor ends "empty selector is
// invalid for …" (ReplicaSets say "deployment" there too, as upstream does).
func validateSelectorAndTemplate(sel *metav1.LabelSelector, t *corev1.PodTemplateSpec, kindInMsg, emptyFor string, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	if sel == nil {
		errs = append(errs, field.Required(spec.Child("selector"), ""))
	} else {
		errs = append(errs, metavalidation.ValidateLabelSelector(sel, metavalidation.LabelSelectorValidationOptions{}, spec.Child("selector"))...)
		if len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(spec.Child("selector"), sel, "empty selector is invalid for "+emptyFor))
		}
	}
	tp := spec.Child("template")
	if s, err := metav1.LabelSelectorAsSelector(sel); err != nil {
		errs = append(errs, field.Invalid(spec.Child("selector"), sel, "invalid label selector"))
	} else if !s.Empty() && !s.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	errs = append(errs, metavalidation.ValidateLabels(t.Labels, tp.Child("metadata", "labels"))...)
	errs = append(errs, validatePodSpec(&t.Spec, tp.Child("spec"))...)
	if t.Spec.RestartPolicy != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), t.Spec.RestartPolicy, []string{string(corev1.RestartPolicyAlways)}))
	}
	if t.Spec.ActiveDeadlineSeconds != nil {
		errs = append(errs, field.Forbidden(tp.Child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in "+kindInMsg+" is not Supported"))
	}
	return errs
}

// percentValue parses "25%"; ok is false for anything else.
func percentValue(v intstr.IntOrString) (int, bool) {
	if v.Type != intstr.String || len(validation.IsValidPercent(v.StrVal)) != 0 {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v.StrVal, "%"))
	return n, err == nil
}

func intOrPercentValue(v intstr.IntOrString) int {
	if n, ok := percentValue(v); ok {
		return n
	}
	return v.IntValue()
}

func validatePositiveIntOrPercent(v intstr.IntOrString, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if v.Type == intstr.String {
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			errs = append(errs, field.Invalid(p, v, msg))
		}
		return errs
	}
	return validateNonNegative(int64(v.IntValue()), p)
}

func notMoreThan100Percent(v intstr.IntOrString, p *field.Path) field.ErrorList {
	if n, ok := percentValue(v); ok && n > 100 {
		return field.ErrorList{field.Invalid(p, v, "must not be greater than 100%")}
	}
	return nil
}

func orZero(v *intstr.IntOrString) intstr.IntOrString {
	if v == nil {
		return intstr.FromInt32(0)
	}
	return *v
}

func validateDeploymentStrategy(s *appsv1.DeploymentStrategy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if s.RollingUpdate != nil {
			errs = append(errs, field.Forbidden(p.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if s.RollingUpdate == nil {
			return field.ErrorList{field.Required(p.Child("rollingUpdate"), "this should be defaulted and never be nil")}
		}
		rp := p.Child("rollingUpdate")
		mu, ms := orZero(s.RollingUpdate.MaxUnavailable), orZero(s.RollingUpdate.MaxSurge)
		errs = append(errs, validatePositiveIntOrPercent(mu, rp.Child("maxUnavailable"))...)
		errs = append(errs, validatePositiveIntOrPercent(ms, rp.Child("maxSurge"))...)
		if intOrPercentValue(mu) == 0 && intOrPercentValue(ms) == 0 {
			errs = append(errs, field.Invalid(rp.Child("maxUnavailable"), mu, "may not be 0 when `maxSurge` is 0"))
		}
		errs = append(errs, notMoreThan100Percent(mu, rp.Child("maxUnavailable"))...)
	default:
		errs = append(errs, field.NotSupported(p, s, []string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
	}
	return errs
}

func validateDaemonSetStrategy(s *appsv1.DaemonSetUpdateStrategy, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch s.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		if s.RollingUpdate == nil {
			return field.ErrorList{field.Required(p.Child("rollingUpdate"), "")}
		}
		rp := p.Child("rollingUpdate")
		mu, ms := orZero(s.RollingUpdate.MaxUnavailable), orZero(s.RollingUpdate.MaxSurge)
		errs = append(errs, validatePositiveIntOrPercent(mu, rp.Child("maxUnavailable"))...)
		errs = append(errs, validatePositiveIntOrPercent(ms, rp.Child("maxSurge"))...)
		errs = append(errs, notMoreThan100Percent(mu, rp.Child("maxUnavailable"))...)
		errs = append(errs, notMoreThan100Percent(ms, rp.Child("maxSurge"))...)
		hasU, hasS := intOrPercentValue(mu) != 0, intOrPercentValue(ms) != 0
		switch {
		case hasU && hasS:
			errs = append(errs, field.Invalid(rp.Child("maxSurge"), ms, "may not be set when maxUnavailable is non-zero"))
		case !hasU && !hasS:
			errs = append(errs, field.Required(rp.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
		}
	default:
		errs = append(errs, field.NotSupported(p, s, []string{string(appsv1.RollingUpdateDaemonSetStrategyType), string(appsv1.OnDeleteDaemonSetStrategyType)}))
	}
	return errs
}

// validateHPASpec is ValidateHorizontalPodAutoscalerSpec for what autoscaling/v1 can say.
func validateHPASpec(s *autoscalingv1.HorizontalPodAutoscalerSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if s.MinReplicas != nil && *s.MinReplicas < 1 {
		errs = append(errs, field.Invalid(p.Child("minReplicas"), *s.MinReplicas, "must be greater than or equal to 1"))
	}
	if s.MaxReplicas < 1 {
		errs = append(errs, field.Invalid(p.Child("maxReplicas"), s.MaxReplicas, "must be greater than 0"))
	}
	if s.MinReplicas != nil && s.MaxReplicas < *s.MinReplicas {
		errs = append(errs, field.Invalid(p.Child("maxReplicas"), s.MaxReplicas, "must be greater than or equal to `minReplicas`"))
	}
	ref := p.Child("scaleTargetRef")
	if s.ScaleTargetRef.Kind == "" {
		errs = append(errs, field.Required(ref.Child("kind"), ""))
	}
	if s.ScaleTargetRef.Name == "" {
		errs = append(errs, field.Required(ref.Child("name"), ""))
	}
	if c := s.TargetCPUUtilizationPercentage; c != nil && *c < 1 {
		errs = append(errs, field.Invalid(p.Child("targetCPUUtilizationPercentage"), *c, "must be greater than 0"))
	}
	return errs
}
