package api

import (
	"encoding/json"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/utils/ptr"
)

// TestStrategicMergePatchMatchesJSONRoundTrip holds the map-based strategic merge patch to
// the bytes of the JSON-based one it replaced (marshal cur, StrategicMergePatch), across
// kinds whose fields convert specially (times, quantities, int-or-string, bytes, nils).
func TestStrategicMergePatchMatchesJSONRoundTrip(t *testing.T) {
	ts := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default", CreationTimestamp: ts, Labels: map[string]string{"app": "nginx"}, ResourceVersion: "12", Generation: 9007199254740993},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1", Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 80}},
				Resources:      corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("1.5Gi")}},
				ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("web")}}, PeriodSeconds: 5}},
				{Name: "side", Image: "busybox", Command: []string{"sleep", "inf"}}},
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			Tolerations:                   []corev1.Toleration{{Key: "k", Operator: corev1.TolerationOpExists, TolerationSeconds: ptr.To[int64](300)}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &ts,
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: ts}, {Type: corev1.PodScheduled, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ts}}}}},
	}
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{Kind: "StatefulSet", APIVersion: "apps/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType, RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0), MaxUnavailable: ptr.To(intstr.FromString("50%"))}},
			Template:       corev1.PodTemplateSpec{Spec: pod.Spec}},
	}
	secret := &corev1.Secret{TypeMeta: metav1.TypeMeta{Kind: "Secret", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "s"},
		Data: map[string][]byte{"a": []byte("\x00\xffbin"), "empty": {}}, Type: corev1.SecretTypeOpaque}
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: "svc"},
		Spec: corev1.ServiceSpec{ClusterIP: "None", Ports: []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromInt32(8080)}}}}
	cases := []struct {
		cur     runtime.Object
		patches []string
	}{
		{pod, []string{
			`{"status":{"conditions":[{"type":"Ready","status":"False"}]}}`,
			`{"metadata":{"labels":{"app":null,"tier":"web"},"annotations":{"a":"1"}}}`,
			`{"spec":{"containers":[{"name":"nginx","image":"nginx:2"}]}}`,
			`{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}`,
			`{"spec":{"containers":[{"name":"nginx","resources":{"limits":{"cpu":"2"}}}],"activeDeadlineSeconds":12345678901234}}`,
			`{"spec":{"$setElementOrder/containers":[{"name":"side"},{"name":"nginx"}]}}`,
			`{"metadata":{"generation":1.5}}`,
			`{}`,
			`null`,
			`{"spec":{"containers":[{"image":"no-name"}]}}`,
			`{"spec":{"containers":{"name":"x"}}}`,
			`{"spec":{"$retainKeys":"bad"}}`,
		}},
		{sts, []string{
			`{"spec":{"replicas":5}}`,
			`{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}`,
			`{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:3"}]}}}}`,
		}},
		{secret, []string{`{"data":{"b":"Yg=="}}`, `{"data":{"a":null}}`}},
		{svc, []string{`{"spec":{"ports":[{"port":80,"targetPort":"web"}]}}`, `{"spec":{"ports":[{"port":443,"name":"tls"}]}}`}},
	}
	for _, c := range cases {
		for _, patch := range c.patches {
			original, err := json.Marshal(c.cur)
			if err != nil {
				t.Fatal(err)
			}
			want, wantErr := strategicpatch.StrategicMergePatch(original, []byte(patch), c.cur.DeepCopyObject())
			got, gotErr := strategicMergePatch(c.cur, []byte(patch), c.cur.DeepCopyObject())
			if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Errorf("%T %s: error %v, want %v", c.cur, patch, gotErr, wantErr)
				continue
			}
			if string(got) != string(want) {
				t.Errorf("%T %s:\n got %s\nwant %s", c.cur, patch, got, want)
			}
		}
	}
}

// BenchmarkStrategicMergePatch is one condition patched into a running pod's status:
// JSONRoundTrip is the path before (marshal the pod, StrategicMergePatch), Map is
// strategicMergePatch (the pod converted straight to a map).
func BenchmarkStrategicMergePatch(b *testing.B) {
	var pod corev1.Pod
	gvk := corev1.SchemeGroupVersion.WithKind("Pod")
	if err := decodeInto(nil, benchPodBody, &pod, gvk, "Ignore"); err != nil {
		b.Fatal(err)
	}
	patch := []byte(`{"status":{"conditions":[{"type":"Ready","status":"False"}]}}`)
	b.Run("JSONRoundTrip", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuNow(b)
		for i := 0; i < b.N; i++ {
			original, err := json.Marshal(&pod)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := strategicpatch.StrategicMergePatch(original, patch, &corev1.Pod{}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0)
	})
	b.Run("Map", func(b *testing.B) {
		b.ReportAllocs()
		cpu0 := cpuNow(b)
		for i := 0; i < b.N; i++ {
			if _, err := strategicMergePatch(&pod, patch, &corev1.Pod{}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu0)
	})
}
