package lessons

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/scheme"
)

func testPod(name string, phase corev1.PodPhase, ready, deleting bool) *corev1.Pod {
	p := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "default",
			Labels: map[string]string{"app": "nginx", "controller-revision-hash": "web-rev" + name[len(name)-1:]},
		},
		Spec:   corev1.PodSpec{Hostname: name},
		Status: corev1.PodStatus{Phase: phase},
	}
	if phase == corev1.PodRunning {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	}
	if deleting {
		now := metav1.NewTime(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		p.DeletionTimestamp = &now
		p.Finalizers = []string{"test/keep"} // a deleting object must have a finalizer to exist
	}
	return p
}

func testClient(t *testing.T) *dynfake.FakeDynamicClient {
	t.Helper()
	sts := &appsv1.StatefulSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
		},
		Status: appsv1.StatefulSetStatus{
			ReadyReplicas: 2, CurrentRevision: "web-rev0", UpdateRevision: "web-rev2",
		},
	}
	pvc := func(name string, phase corev1.PersistentVolumeClaimPhase) runtime.Object {
		return &corev1.PersistentVolumeClaim{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "nginx"}},
			Status:     corev1.PersistentVolumeClaimStatus{Phase: phase},
		}
	}
	other := testPod("db-0", corev1.PodRunning, true, false)
	other.Labels = map[string]string{"app": "db"}
	return dynfake.NewSimpleDynamicClient(scheme.Scheme,
		sts,
		testPod("web-0", corev1.PodRunning, true, false),
		testPod("web-1", corev1.PodRunning, false, false), // running, not ready yet
		testPod("web-2", corev1.PodRunning, true, true),   // ready but terminating
		testPod("web-3", corev1.PodPending, false, false),
		other,
		pvc("www-web-0", corev1.ClaimBound),
		pvc("www-web-1", corev1.ClaimPending),
	)
}

func ptr[T any](v T) *T { return &v }

func TestEvaluateChecks(t *testing.T) {
	dyn := testClient(t)
	cases := []struct {
		name   string
		check  Check
		ok     bool
		detail string
	}{
		{"count all pods", Check{Count: &CountCheck{Resource: "pods", Selector: "app=nginx", Equals: ptr(4)}}, true, ""},
		{"count ready excludes not-ready and terminating", Check{Count: &CountCheck{Resource: "pods", Selector: "app=nginx", Ready: true, Equals: ptr(2)}},
			false, "want 2 ready pods matching app=nginx, have 1 (web-0)"},
		{"count phase", Check{Count: &CountCheck{Resource: "po", Selector: "app=nginx", Phase: "Pending", Equals: ptr(1)}}, true, ""},
		{"count without selector", Check{Count: &CountCheck{Resource: "pods", Equals: ptr(5)}}, true, ""},
		{"count pvc bound", Check{Count: &CountCheck{Resource: "pvc", Selector: "app=nginx", Phase: "Bound", Equals: ptr(2)}},
			false, "want 2 Bound PVCs matching app=nginx, have 1 (www-web-0)"},
		{"count zero of nothing", Check{Count: &CountCheck{Resource: "sts", Selector: "app=none", Equals: ptr(0)}}, true, ""},
		{"count none found", Check{Count: &CountCheck{Resource: "svc", Equals: ptr(1)}}, false, "want 1 Services, have 0"},
		{"jsonpath equals", Check{JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.status.readyReplicas}", Equals: ptr("2")}}, true, ""},
		{"jsonpath equals fails", Check{JSONPath: &JSONPathCheck{Resource: "statefulsets", Name: "web", Path: "{.status.readyReplicas}", Equals: ptr("3")}},
			false, `want {.status.readyReplicas} of statefulsets/web = "3", have "2"`},
		{"jsonpath missing field", Check{JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.status.updatedReplicas}", Equals: ptr("3")}},
			false, `have nothing (field missing or empty)`},
		{"jsonpath notEquals", Check{JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.spec.updateStrategy.type}", NotEquals: ptr("OnDelete")}}, true, ""},
		{"jsonpath object missing", Check{JSONPath: &JSONPathCheck{Resource: "sts", Name: "db", Path: "{.spec.replicas}", Equals: ptr("1")}},
			false, "statefulsets/db does not exist"},
		{"exists true", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-0", Exists: ptr(true)}}, true, ""},
		{"exists true fails", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-9", Exists: ptr(true)}}, false, "want pods/web-9 to exist, it does not"},
		{"exists false", Check{JSONPath: &JSONPathCheck{Resource: "svc", Name: "nginx", Exists: ptr(false)}}, true, ""},
		{"exists false fails while terminating", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-2", Exists: ptr(false)}},
			false, "want pods/web-2 to be gone, it still exists"},
		{"label with dashes equalsPath", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-2", Path: "{.metadata.labels.controller-revision-hash}",
			EqualsPath: &ObjectRef{Resource: "sts", Name: "web", Path: "{.status.updateRevision}"}}}, true, ""},
		{"equalsPath fails", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-1", Path: "{.metadata.labels.controller-revision-hash}",
			EqualsPath: &ObjectRef{Resource: "sts", Name: "web", Path: "{.status.updateRevision}"}}},
			false, `want {.metadata.labels.controller-revision-hash} of pods/web-1 ("web-rev1") = {.status.updateRevision} of statefulsets/web ("web-rev2")`},
		{"notEqualsPath", Check{JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.status.updateRevision}",
			NotEqualsPath: &ObjectRef{Resource: "sts", Name: "web", Path: "{.status.currentRevision}"}}}, true, ""},
		{"notEqualsPath fails", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-0", Path: "{.metadata.labels.controller-revision-hash}",
			NotEqualsPath: &ObjectRef{Resource: "sts", Name: "web", Path: "{.status.currentRevision}"}}},
			false, `both are "web-rev0"`},
		{"equalsPath other missing", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-0", Path: "{.spec.hostname}",
			EqualsPath: &ObjectRef{Resource: "sts", Name: "nope", Path: "{.status.updateRevision}"}}}, false, "statefulsets/nope does not exist"},
		{"filter expression", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-0", Path: `{.status.conditions[?(@.type=="Ready")].status}`, Equals: ptr("True")}}, true, ""},
		{"index into a missing list", Check{JSONPath: &JSONPathCheck{Resource: "pods", Name: "web-0", Path: "{.metadata.ownerReferences[0].kind}", Equals: ptr("StatefulSet")}},
			false, "have nothing (field missing or empty)"},
		{"unknown resource", Check{JSONPath: &JSONPathCheck{Resource: "podz", Name: "x", Exists: ptr(true)}}, false, `unknown resource "podz"`},
		{"empty check", Check{}, false, "check has no kind"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.check.Desc = tc.name
			res := EvaluateChecks(context.Background(), dyn, "default", []Check{tc.check})
			if len(res) != 1 {
				t.Fatalf("got %d results", len(res))
			}
			r := res[0]
			if r.Desc != tc.name {
				t.Errorf("Desc = %q", r.Desc)
			}
			if r.OK != tc.ok {
				t.Fatalf("OK = %v, want %v (detail %q)", r.OK, tc.ok, r.Detail)
			}
			if tc.ok && r.Detail != "" {
				t.Errorf("passing check has detail %q", r.Detail)
			}
			if !tc.ok && !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("Detail = %q, want it to contain %q", r.Detail, tc.detail)
			}
		})
	}
}

func TestEvaluateNilSession(t *testing.T) {
	st := Step{Checks: []Check{{Desc: "a"}, {Desc: "b"}}}
	res := Evaluate(context.Background(), nil, st)
	if len(res) != 2 || res[0].OK || res[0].Detail == "" || res[1].Desc != "b" {
		t.Errorf("Evaluate(nil session) = %+v", res)
	}
	if Passed(res) || Passed(nil) {
		t.Error("Passed should be false for failures and for no results")
	}
	if !Passed([]CheckResult{{OK: true}, {OK: true}}) {
		t.Error("Passed should be true when all pass")
	}
}

// The checks of the embedded lessons evaluate without errors on an empty cluster: every
// failure is a plain "not there yet", never a broken path or resource.
func TestEmbeddedChecksEvaluateCleanly(t *testing.T) {
	lib, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	empty := dynfake.NewSimpleDynamicClient(scheme.Scheme,
		&corev1.PodList{}, &corev1.PersistentVolumeClaimList{}, &appsv1.StatefulSetList{}, &corev1.ServiceList{})
	for _, id := range lib.IDs() {
		for _, lang := range lib.Languages(id) {
			l, _ := lib.Get(id, lang)
			for _, st := range l.Steps {
				for _, r := range EvaluateChecks(context.Background(), empty, "default", st.Checks) {
					if strings.Contains(r.Detail, "JSONPath") || strings.Contains(r.Detail, "unknown resource") || strings.Contains(r.Detail, "list ") {
						t.Errorf("%s step %q check %q: %s", l.Source, st.ID, r.Desc, r.Detail)
					}
				}
			}
		}
	}
}

// A Korean lesson's failing checks explain themselves in Korean; names and values stay as
// kubectl prints them.
func TestCheckDetailsInTheLessonsLanguage(t *testing.T) {
	dyn := testClient(t)
	checks := []Check{
		{Desc: "d", Count: &CountCheck{Resource: "pods", Selector: "app=nginx", Ready: true, Equals: ptr(5)}},
		{Desc: "d", JSONPath: &JSONPathCheck{Resource: "svc", Name: "nginx", Exists: ptr(true)}},
		{Desc: "d", JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.status.readyReplicas}", Equals: ptr("3")}},
	}
	want := map[string][]string{
		"en": {"want 5 ready pods matching app=nginx, have 1 (web-0)", "want services/nginx to exist, it does not",
			`want {.status.readyReplicas} of statefulsets/web = "3", have "2"`},
		"ko": {"app=nginx에 맞는 Ready 상태 파드 수가 지금 1개입니다(기대하는 수: 5개) (web-0)", "services/nginx 오브젝트가 아직 없습니다",
			`statefulsets/web의 {.status.readyReplicas} 값이 지금 "2"입니다(기대하는 값: "3")`},
	}
	for lang, details := range want {
		got := evaluate(context.Background(), dyn, nil, "default", checks, messagesFor(lang), nil)
		for i, r := range got {
			if r.OK || r.Detail != details[i] {
				t.Errorf("%s check %d: ok=%v detail %q, want %q", lang, i, r.OK, r.Detail, details[i])
			}
		}
	}
	for _, l := range []string{"ko", "ko_KR.UTF-8"} {
		if messagesFor(l).ready != korean.ready {
			t.Errorf("messagesFor(%q) is not Korean", l)
		}
	}
}

// One evaluation round reads each object once, however many checks look at it.
func TestEvaluateFetchesEachObjectOnce(t *testing.T) {
	dyn := testClient(t)
	checks := []Check{
		{Desc: "a", JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.status.readyReplicas}", Equals: ptr("2")}},
		{Desc: "b", JSONPath: &JSONPathCheck{Resource: "statefulsets", Name: "web", Exists: ptr(true)}},
		{Desc: "c", JSONPath: &JSONPathCheck{Resource: "sts", Name: "web", Path: "{.status.currentRevision}",
			NotEqualsPath: &ObjectRef{Resource: "sts", Name: "web", Path: "{.status.updateRevision}"}}},
		{Desc: "d", JSONPath: &JSONPathCheck{Resource: "svc", Name: "nginx", Exists: ptr(false)}},
		{Desc: "e", JSONPath: &JSONPathCheck{Resource: "svc", Name: "nginx", Exists: ptr(false)}},
	}
	res := EvaluateChecks(context.Background(), dyn, "default", checks)
	if !Passed(res) {
		t.Fatalf("checks failed: %+v", res)
	}
	gets := map[string]int{}
	for _, a := range dyn.Actions() {
		if a.GetVerb() == "get" {
			gets[a.GetResource().Resource]++
		}
	}
	if gets["statefulsets"] != 1 || gets["services"] != 1 {
		t.Fatalf("GETs per resource %v, want one each", gets)
	}
	// A new round reads afresh: state changes between ticks.
	EvaluateChecks(context.Background(), dyn, "default", checks[:1])
	if n := len(dyn.Actions()); n != 3 {
		t.Fatalf("second round: %d actions in all, want 3", n)
	}
}
