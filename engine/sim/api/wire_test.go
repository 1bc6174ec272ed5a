package api_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// wireDir holds responses recorded from a real kube-apiserver v1.37: ../shared beside the
// repo, as CI lays it out, or the workplace's /work/shared. Without them the test fails.
func wireDir(t *testing.T) string {
	t.Helper()
	rel := filepath.Join("..", "..", "..", "..", "shared", "reference", "wire")
	for _, d := range []string{rel, "/work/shared/reference/wire"} {
		if _, err := os.Stat(filepath.Join(d, "pods-table.json")); err == nil {
			abs, err := filepath.Abs(d)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	t.Fatalf("the real server's recorded responses are missing: this test needs shared/reference/wire beside the repo (%s) or in /work/shared", rel)
	return ""
}

type column struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Format   string `json:"format"`
	Priority int32  `json:"priority"`
}

type tableDoc struct {
	Columns []column `json:"columnDefinitions"`
	Rows    []struct {
		Object struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
		} `json:"object"`
	} `json:"rows"`
}

// TestTablesMatchRealServer compares our server-side Tables with a real apiserver's, column by
// column (name, type, format, priority) and in the kind of embedded object kubectl asks for.
func TestTablesMatchRealServer(t *testing.T) {
	dir := wireDir(t)
	e := newEnv(t, store.Options{})
	replicas := int32(2)
	if _, err := e.st.Create(stsRes, &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: appsv1.StatefulSetSpec{Replicas: &replicas, ServiceName: "nginx",
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "nginx"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "nginx"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Create(podsRes, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Create(store.MustLookup("persistentvolumeclaims"), &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "www-web-0", Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ file, path string }{
		{"pods-table.json", "/api/v1/namespaces/default/pods"},
		{"sts-table.json", "/apis/apps/v1/namespaces/default/statefulsets"},
		{"pvc-table.json", "/api/v1/namespaces/default/persistentvolumeclaims"},
	} {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, c.file))
			if err != nil {
				t.Fatal(err)
			}
			var want, got tableDoc
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			body := doRawHeaders(t, e, "GET", c.path, map[string]string{
				"Authorization": "Bearer " + testToken,
				"Accept":        "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}, "", 200)
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Columns) != len(want.Columns) {
				t.Fatalf("columns: got %+v\nwant %+v", got.Columns, want.Columns)
			}
			for i := range want.Columns {
				if got.Columns[i] != want.Columns[i] {
					t.Errorf("column %d: got %+v, want %+v", i, got.Columns[i], want.Columns[i])
				}
			}
			if len(got.Rows) == 0 || got.Rows[0].Object != want.Rows[0].Object {
				t.Errorf("row object: got %+v, want %+v", got.Rows, want.Rows[0].Object)
			}
		})
	}
}
