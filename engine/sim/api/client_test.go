package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var ctx = context.Background()

func webSTS() *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "nginx",
			Replicas:    ptr.To[int32](2),
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "k8s.gcr.io/nginx-slim:0.8",
					Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 80}}}}},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "www"},
				Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}},
			}},
		},
	}
}

func headlessSvc() *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.ServiceSpec{ClusterIP: "None", Selector: map[string]string{"app": "nginx"},
			Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}}
}

// Items 1-3: apps/v1 defaults, generation 1, status reset on create.
func TestCreateDefaults(t *testing.T) {
	e := newEnv(t, store.Options{})
	in := webSTS()
	in.Status.Replicas = 7 // a client cannot set status on create
	sts, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := sts.Spec
	if s.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType || s.UpdateStrategy.RollingUpdate == nil ||
		*s.UpdateStrategy.RollingUpdate.Partition != 0 || s.UpdateStrategy.RollingUpdate.MaxUnavailable.IntValue() != 1 {
		t.Errorf("updateStrategy = %+v", s.UpdateStrategy)
	}
	if s.PodManagementPolicy != appsv1.OrderedReadyPodManagement || *s.RevisionHistoryLimit != 10 {
		t.Errorf("podManagementPolicy %q revisionHistoryLimit %d", s.PodManagementPolicy, *s.RevisionHistoryLimit)
	}
	if p := s.PersistentVolumeClaimRetentionPolicy; p == nil || p.WhenDeleted != "Retain" || p.WhenScaled != "Retain" {
		t.Errorf("retention policy %+v", p)
	}
	c := s.Template.Spec.Containers[0]
	if c.ImagePullPolicy != corev1.PullIfNotPresent || c.TerminationMessagePath != "/dev/termination-log" ||
		c.TerminationMessagePolicy != corev1.TerminationMessageReadFile || c.Ports[0].Protocol != corev1.ProtocolTCP {
		t.Errorf("container defaults %+v", c)
	}
	ps := s.Template.Spec
	if ps.RestartPolicy != "Always" || *ps.TerminationGracePeriodSeconds != 30 || ps.DNSPolicy != "ClusterFirst" ||
		ps.SchedulerName != "default-scheduler" || ps.SecurityContext == nil {
		t.Errorf("pod spec defaults %+v", ps)
	}
	if vm := s.VolumeClaimTemplates[0].Spec.VolumeMode; vm == nil || *vm != corev1.PersistentVolumeFilesystem {
		t.Errorf("claim template volumeMode %v", vm)
	}
	if sts.Generation != 1 || sts.Status.Replicas != 0 {
		t.Errorf("generation %d status.replicas %d", sts.Generation, sts.Status.Replicas)
	}

	// Omitted replicas default to 1; an explicit type without rollingUpdate gets none (item 48).
	in = webSTS()
	in.Name, in.Spec.Replicas = "web2", nil
	in.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
	sts, err = e.cs.AppsV1().StatefulSets("default").Create(ctx, in, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *sts.Spec.Replicas != 1 || sts.Spec.UpdateStrategy.RollingUpdate != nil {
		t.Errorf("replicas %d rollingUpdate %+v", *sts.Spec.Replicas, sts.Spec.UpdateStrategy.RollingUpdate)
	}

	svc, err := e.cs.CoreV1().Services("default").Create(ctx, headlessSvc(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.Type != corev1.ServiceTypeClusterIP || svc.Spec.ClusterIPs[0] != "None" || svc.Spec.SessionAffinity != "None" ||
		svc.Spec.Ports[0].Protocol != "TCP" || svc.Spec.Ports[0].TargetPort.IntValue() != 80 || *svc.Spec.InternalTrafficPolicy != "Cluster" {
		t.Errorf("headless service defaults %+v", svc.Spec)
	}
	plain := headlessSvc()
	plain.Name, plain.Spec.ClusterIP = "web-lb", ""
	svc, err = e.cs.CoreV1().Services("default").Create(ctx, plain, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, cidr, _ := net.ParseCIDR("10.96.0.0/12")
	if ip := net.ParseIP(svc.Spec.ClusterIP); ip == nil || !cidr.Contains(ip) || svc.Spec.ClusterIPs[0] != svc.Spec.ClusterIP {
		t.Errorf("allocated clusterIP %q %v", svc.Spec.ClusterIP, svc.Spec.ClusterIPs)
	}

	pod, err := e.cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "web-"},
		Spec:   corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pod.Name, "web-") || len(pod.Name) != len("web-")+5 {
		t.Errorf("generated name %q", pod.Name)
	}
	if pod.Status.Phase != corev1.PodPending || pod.Status.QOSClass != corev1.PodQOSBestEffort || pod.Spec.Containers[0].ImagePullPolicy != corev1.PullAlways {
		t.Errorf("pod status %+v pull %q", pod.Status, pod.Spec.Containers[0].ImagePullPolicy)
	}

	pvc, err := e.cs.CoreV1().PersistentVolumeClaims("default").Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "www-web-0"}, Spec: webSTS().Spec.VolumeClaimTemplates[0].Spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pvc.Spec.StorageClassName == nil || *pvc.Spec.StorageClassName != "standard" || pvc.Status.Phase != corev1.ClaimPending {
		t.Errorf("pvc %+v %+v", pvc.Spec, pvc.Status)
	}
}

func TestErrorsMatchRealMessages(t *testing.T) {
	e := newEnv(t, store.Options{})
	if _, err := e.cs.CoreV1().Services("default").Create(ctx, headlessSvc(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := e.cs.CoreV1().Services("default").Create(ctx, headlessSvc(), metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) || err.Error() != `services "nginx" already exists` {
		t.Errorf("AlreadyExists: %v", err)
	}
	_, err = e.cs.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
	if !apierrors.IsNotFound(err) || err.Error() != `statefulsets.apps "web" not found` {
		t.Errorf("NotFound: %v", err)
	}

	cases := []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   string
	}{
		{"selector mismatch", func(s *appsv1.StatefulSet) { s.Spec.Template.Labels = map[string]string{"app": "other"} },
			`StatefulSet.apps "web" is invalid: spec.template.metadata.labels: Invalid value: {"app":"other"}: ` + "`selector` does not match template `labels`"},
		{"no selector", func(s *appsv1.StatefulSet) { s.Spec.Selector = nil }, `spec.selector: Required value`},
		{"negative replicas", func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](-1) },
			`spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		{"huge replicas", func(s *appsv1.StatefulSet) { s.Spec.Replicas = ptr.To[int32](1000000) },
			`spec.replicas: Invalid value: 1000000: the kubetutor simulator runs at most 1000 replicas per StatefulSet (a real cluster would accept this)`},
		{"OnDelete with rollingUpdate", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)}}
		}, `spec.updateStrategy.rollingUpdate: Invalid value: &apps.RollingUpdateStatefulSetStrategy{Partition:0, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'`},
		{"negative partition", func(s *appsv1.StatefulSet) {
			s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](-2)}}
		}, `spec.updateStrategy.rollingUpdate.partition: Invalid value: -2: must be greater than or equal to 0`},
		{"bad name", func(s *appsv1.StatefulSet) { s.Name = "Web" }, `metadata.name: Invalid value: "Web": a lowercase RFC 1123 label`},
	}
	for _, c := range cases {
		s := webSTS()
		c.mutate(s)
		_, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, s, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want it to contain %q", c.name, err, c.want)
		}
	}

	// Item 77: changing podManagementPolicy is forbidden.
	sts, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, webSTS(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sts.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	_, err = e.cs.AppsV1().StatefulSets("default").Update(ctx, sts, metav1.UpdateOptions{})
	want := `StatefulSet.apps "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Errorf("forbidden update: %v", err)
	}

	// Pod spec is immutable except images.
	pod, err := e.cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Spec.Containers[0].Image = "busybox:2"
	if pod, err = e.cs.CoreV1().Pods("default").Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("image update: %v", err)
	}
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	_, err = e.cs.CoreV1().Pods("default").Update(ctx, pod, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`") {
		t.Errorf("pod update: %v", err)
	}
}

func TestListSelectorsUpdateConflictAndPatches(t *testing.T) {
	e := newEnv(t, store.Options{})
	pods := e.cs.CoreV1().Pods("default")
	for i, app := range []string{"nginx", "nginx", "mysql"} {
		_, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p" + string(rune('0'+i)), Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "app=nginx", Limit: 500})
	if err != nil || len(list.Items) != 2 || list.ResourceVersion == "" {
		t.Fatalf("label selector list: %v %+v", err, list)
	}
	list, err = pods.List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=p2"})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != "p2" {
		t.Fatalf("field selector list: %v %+v", err, list)
	}
	if _, err = pods.List(ctx, metav1.ListOptions{FieldSelector: "spec.bogus=1"}); !apierrors.IsBadRequest(err) {
		t.Errorf("unsupported field label: %v", err)
	}

	sts, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, webSTS(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stale := sts.DeepCopy()
	sts.Spec.Replicas = ptr.To[int32](3)
	if sts, err = e.cs.AppsV1().StatefulSets("default").Update(ctx, sts, metav1.UpdateOptions{}); err != nil || sts.Generation != 2 {
		t.Fatalf("update: %v generation %d", err, sts.Generation)
	}
	stale.Spec.Replicas = ptr.To[int32](4)
	_, err = e.cs.AppsV1().StatefulSets("default").Update(ctx, stale, metav1.UpdateOptions{})
	if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), `Operation cannot be fulfilled on statefulsets.apps "web": the object has been modified`) {
		t.Errorf("stale update: %v", err)
	}

	c := e.cs.AppsV1().StatefulSets("default")
	if sts, err = c.Patch(ctx, "web", types.StrategicMergePatchType, []byte(`{"spec":{"replicas":5}}`), metav1.PatchOptions{}); err != nil || *sts.Spec.Replicas != 5 {
		t.Fatalf("strategic patch: %v", err)
	}
	if sts, err = c.Patch(ctx, "web", types.MergePatchType, []byte(`{"metadata":{"labels":{"tier":"web"}}}`), metav1.PatchOptions{}); err != nil || sts.Labels["tier"] != "web" {
		t.Fatalf("merge patch: %v", err)
	}
	if sts, err = c.Patch(ctx, "web", types.JSONPatchType, []byte(`[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:2"}]`), metav1.PatchOptions{}); err != nil || sts.Spec.Template.Spec.Containers[0].Image != "nginx:2" {
		t.Fatalf("json patch: %v", err)
	}
	// The tutorial's OnDelete patch (item 61) removes the defaulted rollingUpdate block.
	if sts, err = c.Patch(ctx, "web", types.StrategicMergePatchType, []byte(`{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}`), metav1.PatchOptions{}); err != nil ||
		sts.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType || sts.Spec.UpdateStrategy.RollingUpdate != nil {
		t.Fatalf("OnDelete patch: %v %+v", err, sts.Spec.UpdateStrategy)
	}
	_, err = c.Patch(ctx, "web", types.MergePatchType, []byte(`{"spec":{"x":1}}`), metav1.PatchOptions{FieldValidation: "Strict"})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), `strict decoding error: unknown field "spec.x"`) {
		t.Errorf("strict patch: %v", err)
	}
	_, err = c.Patch(ctx, "web", types.JSONPatchType, []byte(`not json`), metav1.PatchOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("malformed json patch: %v", err)
	}
	// An apply configuration without apiVersion and kind is refused as the apiserver's
	// field manager refuses it.
	_, err = c.Patch(ctx, "web", types.ApplyPatchType, []byte(`{}`), metav1.PatchOptions{FieldManager: "x"})
	if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), "invalid object type") {
		t.Errorf("apply patch without kind: %v", err)
	}
	// A field the schema does not declare: the apiserver answers a bare 500 (kubernetes#139253).
	_, err = c.Patch(ctx, "web", types.ApplyPatchType, []byte(`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"web"},"spec":{"x":1}}`), metav1.PatchOptions{FieldManager: "x"})
	if se, ok := err.(apierrors.APIStatus); !ok || se.Status().Code != 500 || !strings.Contains(err.Error(), ".spec.x: field not declared in schema") {
		t.Errorf("apply of an undeclared field: %v", err)
	}
	_, err = c.Patch(ctx, "web", types.ApplyPatchType, []byte(`{"apiVersion":"apps/v1","kind":"StatefulSet"}`), metav1.PatchOptions{})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch`) {
		t.Errorf("apply patch without fieldManager: %v", err)
	}
	_, err = c.Patch(ctx, "web", types.MergePatchType, []byte(`{}`), metav1.PatchOptions{Force: ptr.To(true)})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "force: Forbidden: may not be specified for non-apply patch") {
		t.Errorf("force on a merge patch: %v", err)
	}
}

func TestDeletePropagation(t *testing.T) {
	e := newEnv(t, store.Options{})
	if _, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, webSTS(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// Orphan: the sts lingers with the orphan finalizer until the GC (absent here) clears it.
	if err := e.cs.AppsV1().StatefulSets("default").Delete(ctx, "web", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationOrphan)}); err != nil {
		t.Fatal(err)
	}
	sts, err := e.cs.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || sts.DeletionTimestamp == nil || len(sts.Finalizers) != 1 || sts.Finalizers[0] != "orphan" {
		t.Fatalf("orphan delete: %v %+v", err, sts)
	}

	// Background on a service: gone at once; the response is a Success Status with the uid.
	svc, err := e.cs.CoreV1().Services("default").Create(ctx, headlessSvc(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body := doRaw(t, e, http.MethodDelete, "/api/v1/namespaces/default/services/nginx", "application/json", `{"propagationPolicy":"Background"}`, http.StatusOK)
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err != nil || st.Status != metav1.StatusSuccess || st.Details.UID != svc.UID || st.Details.Kind != "services" {
		t.Fatalf("delete response %s", body)
	}

	// A bound pod terminates gracefully: 200 with the object, deletionTimestamp 30 s ahead.
	pod, err := e.cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0"},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	body = doRaw(t, e, http.MethodDelete, "/api/v1/namespaces/default/pods/web-0?gracePeriodSeconds=10", "", "", http.StatusOK)
	var got corev1.Pod
	if err := json.Unmarshal(body, &got); err != nil || got.UID != pod.UID || got.DeletionTimestamp == nil ||
		!got.DeletionTimestamp.Time.Equal(e.clock.Now().Add(10*time.Second).Truncate(time.Second)) {
		t.Fatalf("graceful delete response %s", body)
	}
	err = e.cs.CoreV1().Pods("default").Delete(ctx, "web-0", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptr.To(types.UID("other"))}})
	if !apierrors.IsConflict(err) {
		t.Errorf("precondition: %v", err)
	}
	if err := e.cs.CoreV1().Pods("default").DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().Pods("default").Get(ctx, "web-0", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after deletecollection: %v", err)
	}
}

func TestWatchFromResourceVersionAndGone(t *testing.T) {
	e := newEnv(t, store.Options{HistorySize: 8})
	pods := e.cs.CoreV1().Pods("default")
	list, err := pods.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := pods.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion, LabelSelector: "app=nginx"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for _, name := range []string{"other", "web-0"} {
		app := map[string]string{"app": "nginx"}
		if name == "other" {
			app = map[string]string{"app": "mysql"}
		}
		if _, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: app},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	ev := nextEvent(t, w)
	if ev.Type != watch.Added || ev.Object.(*corev1.Pod).Name != "web-0" {
		t.Fatalf("first event %v %T", ev.Type, ev.Object)
	}

	// Push the history past the list's resourceVersion: watching from it is 410 Expired.
	for i := 0; i < 20; i++ {
		if _, err := pods.Patch(ctx, "web-0", types.MergePatchType, []byte(`{"metadata":{"annotations":{"n":"`+string(rune('a'+i))+`"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	w2, err := pods.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Stop()
	ev = nextEvent(t, w2)
	st, ok := ev.Object.(*metav1.Status)
	if ev.Type != watch.Error || !ok || st.Code != http.StatusGone || st.Reason != metav1.StatusReasonExpired {
		t.Fatalf("expired watch event %v %+v", ev.Type, ev.Object)
	}
	if !apierrors.IsResourceExpired(apierrors.FromObject(st)) {
		t.Errorf("client-go does not read it as expired: %+v", st)
	}
}

func nextEvent(t *testing.T, w watch.Interface) watch.Event {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case ev, ok := <-w.ResultChan():
		if !ok {
			t.Fatal("watch closed")
		}
		return ev
	case <-timer.C:
		t.Fatal("no watch event within 10s")
	}
	return watch.Event{}
}

func TestScaleAndStatusSubresources(t *testing.T) {
	e := newEnv(t, store.Options{})
	c := e.cs.AppsV1().StatefulSets("default")
	if _, err := c.Create(ctx, webSTS(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	scale, err := c.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil || scale.Spec.Replicas != 2 || scale.Status.Selector != "app=nginx" {
		t.Fatalf("get scale: %v %+v", err, scale)
	}
	scale.Spec.Replicas = 4
	if scale, err = c.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); err != nil || scale.Spec.Replicas != 4 {
		t.Fatalf("update scale: %v %+v", err, scale)
	}
	body := doRaw(t, e, http.MethodPatch, "/apis/apps/v1/namespaces/default/statefulsets/web/scale", "application/merge-patch+json", `{"spec":{"replicas":5}}`, http.StatusOK)
	var s autoscalingv1.Scale
	if err := json.Unmarshal(body, &s); err != nil || s.Kind != "Scale" || s.APIVersion != "autoscaling/v1" || s.Spec.Replicas != 5 {
		t.Fatalf("patch scale: %s", body)
	}
	doRaw(t, e, http.MethodPatch, "/apis/apps/v1/namespaces/default/statefulsets/web/scale", "application/merge-patch+json", `{"spec":{"replicas":-1}}`, http.StatusUnprocessableEntity)

	sts, err := c.Get(ctx, "web", metav1.GetOptions{})
	if err != nil || *sts.Spec.Replicas != 5 || sts.Generation != 3 {
		t.Fatalf("after scale: %v replicas %d generation %d", err, *sts.Spec.Replicas, sts.Generation)
	}
	// Status writes keep spec and generation; spec writes keep status.
	sts.Status.ReadyReplicas, sts.Status.Replicas, sts.Status.ObservedGeneration = 2, 2, 3
	sts.Spec.Replicas = ptr.To[int32](9)
	if sts, err = c.UpdateStatus(ctx, sts, metav1.UpdateOptions{}); err != nil || sts.Status.ReadyReplicas != 2 || *sts.Spec.Replicas != 5 || sts.Generation != 3 {
		t.Fatalf("update status: %v %+v", err, sts)
	}
	sts.Status.ReadyReplicas = 0
	sts.Spec.Replicas = ptr.To[int32](9)
	if sts, err = c.Update(ctx, sts, metav1.UpdateOptions{}); err != nil || sts.Status.ReadyReplicas != 2 || *sts.Spec.Replicas != 9 {
		t.Fatalf("update keeps status: %v %+v", err, sts)
	}
	if sts, err = c.Patch(ctx, "web", types.MergePatchType, []byte(`{"status":{"currentRevision":"web-1"}}`), metav1.PatchOptions{}, "status"); err != nil || sts.Status.CurrentRevision != "web-1" {
		t.Fatalf("patch status: %v", err)
	}
	scale, err = c.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil || scale.Status.Replicas != 2 {
		t.Fatalf("scale status replicas: %v %+v", err, scale)
	}
}

// doRaw sends a request with the token and checks the status code.
func doRaw(t *testing.T, e *env, method, path, contentType, body string, wantCode int) []byte {
	t.Helper()
	return doRawHeaders(t, e, method, path, map[string]string{"Content-Type": contentType, "Authorization": "Bearer " + testToken}, body, wantCode)
}

func doRawHeaders(t *testing.T, e *env, method, path string, headers map[string]string, body string, wantCode int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantCode {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantCode, data)
	}
	return data
}

// The apiserver's NamespaceLifecycle admission refuses to delete default, kube-system and
// kube-public; other namespaces delete.
func TestImmortalNamespaces(t *testing.T) {
	e := newEnv(t, store.Options{})
	for _, ns := range []string{"default", "kube-system", "kube-public"} {
		body := doRaw(t, e, http.MethodDelete, "/api/v1/namespaces/"+ns, "", "", http.StatusForbidden)
		if !strings.Contains(string(body), "this namespace may not be deleted") {
			t.Errorf("delete %s: %s", ns, body)
		}
		if _, err := e.st.Get(store.MustLookup("namespaces"), "", ns); err != nil {
			t.Errorf("namespace %s gone after a refused delete: %v", ns, err)
		}
	}
	doRaw(t, e, http.MethodDelete, "/api/v1/namespaces/kube-node-lease", "", "", http.StatusOK)
}
