package api

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// Table layouts of the apiserver's printers for ReplicaSets, Deployments and DaemonSets.

func intCol(name, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "integer", Description: desc}
}

var workloadPrinters = map[string]printer{
	"horizontalpodautoscalers": {
		columns: []metav1.TableColumnDefinition{
			nameCol,
			col("Reference", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["scaleTargetRef"]),
			col("Targets", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["metrics"]),
			col("MinPods", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["minReplicas"]),
			col("MaxPods", autoscalingv2.HorizontalPodAutoscalerSpec{}.SwaggerDoc()["maxReplicas"]),
			col("Replicas", autoscalingv2.HorizontalPodAutoscalerStatus{}.SwaggerDoc()["currentReplicas"]),
			ageCol,
		},
		row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
			h := obj.(*autoscalingv1.HorizontalPodAutoscaler)
			minPods := "<unset>"
			if h.Spec.MinReplicas != nil {
				minPods = fmt.Sprint(*h.Spec.MinReplicas)
			}
			targets := "<none>"
			if t := h.Spec.TargetCPUUtilizationPercentage; t != nil {
				cur := "<unknown>"
				if c := h.Status.CurrentCPUUtilizationPercentage; c != nil {
					cur = fmt.Sprintf("%d%%", *c)
				}
				targets = fmt.Sprintf("cpu: %s/%d%%", cur, *t)
			}
			return []any{h.Name, h.Spec.ScaleTargetRef.Kind + "/" + h.Spec.ScaleTargetRef.Name, targets, minPods,
				int64(h.Spec.MaxReplicas), int64(h.Status.CurrentReplicas), age(h.CreationTimestamp, now)}, nil
		},
	},
	"replicasets": {
		columns: []metav1.TableColumnDefinition{
			nameCol,
			intCol("Desired", appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
			intCol("Current", appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]),
			intCol("Ready", appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]),
			ageCol,
			wideCol("Containers", "Names of each container in the template."),
			wideCol("Images", "Images referenced by each container in the template."),
			wideCol("Selector", appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"]),
		},
		row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
			rs := obj.(*appsv1.ReplicaSet)
			names, images := containerCells(rs.Spec.Template.Spec.Containers)
			return []any{rs.Name, int64(replicasOr1(rs.Spec.Replicas)), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
				age(rs.CreationTimestamp, now), names, images, metav1.FormatLabelSelector(rs.Spec.Selector)}, nil
		},
	},
	"deployments": {
		columns: []metav1.TableColumnDefinition{
			nameCol,
			col("Ready", "Number of the pod with ready state"),
			col("Up-to-date", appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]),
			col("Available", appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]),
			ageCol,
			wideCol("Containers", "Names of each container in the template."),
			wideCol("Images", "Images referenced by each container in the template."),
			wideCol("Selector", appsv1.DeploymentSpec{}.SwaggerDoc()["selector"]),
		},
		row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
			d := obj.(*appsv1.Deployment)
			sel := "<invalid>"
			if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
				sel = s.String()
			}
			names, images := containerCells(d.Spec.Template.Spec.Containers)
			return []any{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, replicasOr1(d.Spec.Replicas)),
				int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), age(d.CreationTimestamp, now),
				names, images, sel}, nil
		},
	},
	"daemonsets": {
		columns: []metav1.TableColumnDefinition{
			nameCol,
			intCol("Desired", appsv1.DaemonSetStatus{}.SwaggerDoc()["desiredNumberScheduled"]),
			intCol("Current", appsv1.DaemonSetStatus{}.SwaggerDoc()["currentNumberScheduled"]),
			intCol("Ready", appsv1.DaemonSetStatus{}.SwaggerDoc()["numberReady"]),
			intCol("Up-to-date", appsv1.DaemonSetStatus{}.SwaggerDoc()["updatedNumberScheduled"]),
			intCol("Available", appsv1.DaemonSetStatus{}.SwaggerDoc()["numberAvailable"]),
			col("Node Selector", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
			ageCol,
			wideCol("Containers", "Names of each container in the template."),
			wideCol("Images", "Images referenced by each container in the template."),
			wideCol("Selector", appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"]),
		},
		row: func(obj runtime.Object, now time.Time) ([]any, []metav1.TableRowCondition) {
			ds := obj.(*appsv1.DaemonSet)
			st := ds.Status
			names, images := containerCells(ds.Spec.Template.Spec.Containers)
			return []any{ds.Name, int64(st.DesiredNumberScheduled), int64(st.CurrentNumberScheduled), int64(st.NumberReady),
				int64(st.UpdatedNumberScheduled), int64(st.NumberAvailable), labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
				age(ds.CreationTimestamp, now), names, images, metav1.FormatLabelSelector(ds.Spec.Selector)}, nil
		},
	},
}

func replicasOr1(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}
