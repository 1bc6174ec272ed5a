package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

func nginxDeploy() *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "nginx-deployment", Labels: map[string]string{"app": "nginx"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.14.2"}}},
			},
		},
	}
}

func TestWorkloadDefaults(t *testing.T) {
	e := newEnv(t, store.Options{})
	d := nginxDeploy()
	d.Spec.Replicas = nil
	got, err := e.cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := got.Spec
	if *s.Replicas != 1 || s.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType ||
		s.Strategy.RollingUpdate.MaxSurge.String() != "25%" || s.Strategy.RollingUpdate.MaxUnavailable.String() != "25%" ||
		*s.RevisionHistoryLimit != 10 || *s.ProgressDeadlineSeconds != 600 || got.Generation != 1 {
		t.Errorf("deployment defaults: %+v", s)
	}
	if c := s.Template.Spec.Containers[0]; c.ImagePullPolicy != corev1.PullIfNotPresent || c.TerminationMessagePath != "/dev/termination-log" ||
		s.Template.Spec.RestartPolicy != corev1.RestartPolicyAlways || s.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Errorf("template defaults: %+v", s.Template.Spec)
	}
	rs, err := e.cs.AppsV1().ReplicaSets("default").Create(ctx, &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "frontend"},
		Spec: appsv1.ReplicaSetSpec{Selector: d.Spec.Selector, Template: d.Spec.Template}}, metav1.CreateOptions{})
	if err != nil || *rs.Spec.Replicas != 1 {
		t.Fatalf("rs defaults: %v %+v", err, rs)
	}
	ds, err := e.cs.AppsV1().DaemonSets("default").Create(ctx, &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"},
		Spec: appsv1.DaemonSetSpec{Selector: d.Spec.Selector, Template: d.Spec.Template}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ru := ds.Spec.UpdateStrategy.RollingUpdate; ds.Spec.UpdateStrategy.Type != appsv1.RollingUpdateDaemonSetStrategyType ||
		ru.MaxUnavailable.String() != "1" || ru.MaxSurge.String() != "0" || *ds.Spec.RevisionHistoryLimit != 10 ||
		ds.Annotations["deprecated.daemonset.template.generation"] != "1" {
		t.Errorf("daemonset defaults: %+v %v", ds.Spec.UpdateStrategy, ds.Annotations)
	}
	ds.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	if ds, err = e.cs.AppsV1().DaemonSets("default").Update(ctx, ds, metav1.UpdateOptions{}); err != nil ||
		ds.Annotations["deprecated.daemonset.template.generation"] != "2" {
		t.Errorf("template generation after a template change: %v %v", err, ds.Annotations)
	}
}

func TestWorkloadValidationMessages(t *testing.T) {
	e := newEnv(t, store.Options{})
	cases := []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   string
	}{
		{"selector mismatch", func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"app": "other"} },
			`Deployment.apps "nginx-deployment" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: ` + "`selector` does not match template `labels`"},
		{"no selector", func(d *appsv1.Deployment) { d.Spec.Selector = nil }, `spec.selector: Required value`},
		{"empty selector", func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} }, `empty selector is invalid for deployment`},
		{"negative replicas", func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) },
			`spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{"both zero", func(d *appsv1.Deployment) {
			z := intstr.FromInt32(0)
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &z, MaxUnavailable: &z}}
		}, "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"},
		{"bad percent", func(d *appsv1.Deployment) {
			p := intstr.FromString("150%")
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &p}}
		}, `spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%`},
		{"recreate with rollingUpdate", func(d *appsv1.Deployment) {
			d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{}}
		}, "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"},
		{"deadline", func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = 700 },
			`spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds`},
		{"restartPolicy", func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever },
			`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
	}
	for _, c := range cases {
		d := nginxDeploy()
		c.mutate(d)
		_, err := e.cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want it to contain %q", c.name, err, c.want)
		}
	}
	d, err := e.cs.AppsV1().Deployments("default").Create(ctx, nginxDeploy(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx", "x": "y"}}
	d.Spec.Template.Labels["x"] = "y"
	_, err = e.cs.AppsV1().Deployments("default").Update(ctx, d, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.selector: Invalid value: ") || !strings.Contains(err.Error(), "field is immutable") {
		t.Errorf("selector change: %v", err)
	}

	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "frontend"}, Spec: appsv1.ReplicaSetSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "frontend"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"tier": "backend"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}}}
	_, err = e.cs.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{})
	if want := `ReplicaSet.apps "frontend" is invalid: spec.template.metadata.labels: Invalid value: {"tier":"backend"}: ` + "`selector` does not match template `labels`"; err == nil || err.Error() != want {
		t.Errorf("rs mismatch: %v\nwant %s", err, want)
	}
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "agent"}, Spec: appsv1.DaemonSetSpec{
		Selector: rs.Spec.Selector, Template: *rs.Spec.Template.DeepCopy()}}
	ds.Spec.Template.Labels = rs.Spec.Selector.MatchLabels
	ds.Spec.UpdateStrategy = appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: ptr.To(intstr.FromInt32(1)), MaxSurge: ptr.To(intstr.FromInt32(1))}}
	_, err = e.cs.AppsV1().DaemonSets("default").Create(ctx, ds, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero") {
		t.Errorf("ds surge and unavailable: %v", err)
	}
}

func TestWorkloadScaleSubresources(t *testing.T) {
	e := newEnv(t, store.Options{})
	if _, err := e.cs.AppsV1().Deployments("default").Create(ctx, nginxDeploy(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	scale, err := e.cs.AppsV1().Deployments("default").GetScale(ctx, "nginx-deployment", metav1.GetOptions{})
	if err != nil || scale.Spec.Replicas != 3 || scale.Status.Selector != "app=nginx" {
		t.Fatalf("deploy scale: %v %+v", err, scale)
	}
	body := doRaw(t, e, http.MethodPatch, "/apis/apps/v1/namespaces/default/deployments/nginx-deployment/scale", "application/merge-patch+json", `{"spec":{"replicas":10}}`, http.StatusOK)
	if !strings.Contains(string(body), `"kind":"Scale"`) || !strings.Contains(string(body), `"replicas":10`) {
		t.Errorf("patch deploy scale: %s", body)
	}
	d, err := e.cs.AppsV1().Deployments("default").Get(ctx, "nginx-deployment", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 10 || d.Generation != 2 {
		t.Errorf("after scale: %v %+v", err, d)
	}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "frontend"}, Spec: appsv1.ReplicaSetSpec{
		Selector: d.Spec.Selector, Template: d.Spec.Template}}
	if _, err := e.cs.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	scale, err = e.cs.AppsV1().ReplicaSets("default").GetScale(ctx, "frontend", metav1.GetOptions{})
	if err != nil || scale.Spec.Replicas != 1 {
		t.Fatalf("rs scale: %v %+v", err, scale)
	}
	scale.Spec.Replicas = 4
	if scale, err = e.cs.AppsV1().ReplicaSets("default").UpdateScale(ctx, "frontend", scale, metav1.UpdateOptions{}); err != nil || scale.Spec.Replicas != 4 {
		t.Errorf("rs update scale: %v %+v", err, scale)
	}
	doRaw(t, e, http.MethodGet, "/apis/apps/v1/namespaces/default/daemonsets/agent/scale", "", "", http.StatusNotFound)
}

// The apps/v1 discovery document lists what a real 1.37 server lists: names, kinds, verbs,
// short names, categories and the autoscaling/v1 Scale subresources.
func TestAppsDiscoveryMatchesRealServer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(wireDir(t), "apis-apps-v1-legacy.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want metav1.APIResourceList
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, store.Options{})
	got, err := e.cs.Discovery().ServerResourcesForGroupVersion("apps/v1")
	if err != nil {
		t.Fatal(err)
	}
	norm := func(l *metav1.APIResourceList) []string {
		var out []string
		for _, r := range l.APIResources {
			out = append(out, strings.Join([]string{r.Name, r.SingularName, r.Kind, r.Group, r.Version, strings.Join(r.Verbs, ","),
				strings.Join(r.ShortNames, ","), strings.Join(r.Categories, ",")}, " "))
		}
		sort.Strings(out)
		return out
	}
	if g, w := strings.Join(norm(got), "\n"), strings.Join(norm(&want), "\n"); g != w {
		t.Errorf("apps/v1 discovery:\n%s\nwant:\n%s", g, w)
	}
}

func TestWorkloadTables(t *testing.T) {
	e := newEnv(t, store.Options{})
	d, err := e.cs.AppsV1().Deployments("default").Create(ctx, nginxDeploy(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 2, AvailableReplicas: 2}
	if _, err := e.cs.AppsV1().Deployments("default").UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	body := doRawHeaders(t, e, http.MethodGet, "/apis/apps/v1/namespaces/default/deployments", getHeaders("application/json;as=Table;v=v1;g=meta.k8s.io"), "", http.StatusOK)
	var tbl metav1.Table
	if err := json.Unmarshal(body, &tbl); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range tbl.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	if got := strings.Join(cols, ","); got != "Name,Ready,Up-to-date,Available,Age,Containers,Images,Selector" {
		t.Errorf("columns %s", got)
	}
	cells, _ := json.Marshal(tbl.Rows[0].Cells)
	if got := string(cells); got != `["nginx-deployment","2/3",3,2,"0s","nginx","nginx:1.14.2","app=nginx"]` {
		t.Errorf("cells %s", got)
	}
}
