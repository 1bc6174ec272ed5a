package api

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// defaultWorkloads is apps/v1 SetDefaults_ReplicaSet, _Deployment and _DaemonSet plus what the
// registry strategies do on create (status cleared, DaemonSet templateGeneration 1) and on
// update (templateGeneration bumped when the template changes).
func defaultWorkloads(old, obj runtime.Object) {
	create := old == nil
	switch o := obj.(type) {
	case *appsv1.ReplicaSet:
		if o.Spec.Replicas == nil {
			o.Spec.Replicas = ptr.To[int32](1)
		}
		defaultPodSpec(&o.Spec.Template.Spec)
		if create {
			o.Status = appsv1.ReplicaSetStatus{}
		}
	case *appsv1.Deployment:
		defaultDeployment(o)
		if create {
			o.Status = appsv1.DeploymentStatus{}
		}
	case *autoscalingv1.HorizontalPodAutoscaler:
		// SetDefaults_HorizontalPodAutoscaler; the apiserver stores HPAs as autoscaling/v2,
		// whose defaults give an HPA without a target the 80% CPU metric, so a v1 read shows it.
		if o.Spec.MinReplicas == nil {
			o.Spec.MinReplicas = ptr.To[int32](1)
		}
		if o.Spec.TargetCPUUtilizationPercentage == nil {
			o.Spec.TargetCPUUtilizationPercentage = ptr.To[int32](80)
		}
		if create {
			o.Status = autoscalingv1.HorizontalPodAutoscalerStatus{}
		}
	case *appsv1.DaemonSet:
		defaultDaemonSet(o)
		// apps/v1 keeps the internal spec.templateGeneration in this annotation: 1 on create,
		// one more on each template change.
		gen := int64(1)
		if prev, ok := old.(*appsv1.DaemonSet); ok {
			gen, _ = strconv.ParseInt(prev.Annotations[appsv1.DeprecatedTemplateGeneration], 10, 64)
			if !store.SemanticEqual(&o.Spec.Template, &prev.Spec.Template) {
				gen++
			}
		}
		if create {
			o.Status = appsv1.DaemonSetStatus{}
		}
		if o.Annotations == nil {
			o.Annotations = map[string]string{}
		}
		o.Annotations[appsv1.DeprecatedTemplateGeneration] = strconv.FormatInt(gen, 10)
	}
}

func defaultDeployment(d *appsv1.Deployment) {
	spec := &d.Spec
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		if spec.Strategy.RollingUpdate.MaxUnavailable == nil {
			spec.Strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("25%"))
		}
		if spec.Strategy.RollingUpdate.MaxSurge == nil {
			spec.Strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("25%"))
		}
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	defaultPodSpec(&spec.Template.Spec)
}

func defaultDaemonSet(ds *appsv1.DaemonSet) {
	us := &ds.Spec.UpdateStrategy
	if us.Type == "" {
		us.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if us.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if us.RollingUpdate == nil {
			us.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if us.RollingUpdate.MaxUnavailable == nil {
			us.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
		if us.RollingUpdate.MaxSurge == nil {
			us.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
		}
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	defaultPodSpec(&ds.Spec.Template.Spec)
}
