package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// A bad StatefulSet gets the field paths and messages a current apiserver gives; serviceName
// is optional since apps/v1 marks it so (the controller never needs the Service, item 4).
func TestStatefulSetValidationMessages(t *testing.T) {
	e := newEnv(t, store.Options{})
	noService := webSTS()
	noService.Spec.ServiceName = ""
	if _, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, noService, metav1.CreateOptions{}); err != nil {
		t.Errorf("a StatefulSet without serviceName is valid on current servers: %v", err)
	}
	for _, c := range []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   string
	}{
		// StatefulSet names are DNS labels (the pods append -<ordinal>).
		{"dotted name", func(s *appsv1.StatefulSet) { s.Name = "web.v1" },
			`StatefulSet.apps "web.v1" is invalid: metadata.name: Invalid value: "web.v1": must not contain dots`},
		{"long name", func(s *appsv1.StatefulSet) { s.Name = strings.Repeat("w", 64) }, `must be no more than 63 characters`},
		{"bad podManagementPolicy", func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = "Sometimes" },
			`spec.podManagementPolicy: Invalid value: "Sometimes": must be 'OrderedReady' or 'Parallel'`},
		{"bad retention", func(s *appsv1.StatefulSet) {
			s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{WhenDeleted: "Keep", WhenScaled: "Retain"}
		}, `spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"`},
		{"negative start", func(s *appsv1.StatefulSet) { s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: -1} },
			`spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0`},
		{"negative minReadySeconds", func(s *appsv1.StatefulSet) { s.Spec.MinReadySeconds = -5 },
			`spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0`},
		{"restartPolicy Never", func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyNever },
			`spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"`},
		{"empty selector", func(s *appsv1.StatefulSet) { s.Spec.Selector = &metav1.LabelSelector{} },
			`spec.selector: Invalid value: {}: empty selector is invalid for statefulset`},
	} {
		s := webSTS()
		s.Name = "bad"
		c.mutate(s)
		_, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, s, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant it to contain %s", c.name, err, c.want)
		}
	}
}

// Objects per namespace are capped like a ResourceQuota: Forbidden, "exceeded quota".
func TestLimitObjectsPerNamespace(t *testing.T) {
	e := newEnv(t, store.Options{Limits: store.Limits{MaxPerNamespace: 3}})
	for i := 0; i < 3; i++ {
		if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprint("c", i)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c3"}}, metav1.CreateOptions{})
	want := `configmaps "c3" is forbidden: exceeded quota: kubetutor-simulator, requested: count/configmaps=1, used: count/configmaps=3, limited: count/configmaps=3`
	if !apierrors.IsForbidden(err) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// Another namespace and another resource have their own count; deleting frees a slot.
	if _, err := e.cs.CoreV1().Services("default").Create(ctx, headlessSvc(), metav1.CreateOptions{}); err != nil {
		t.Errorf("services counted with configmaps: %v", err)
	}
	if err := e.cs.CoreV1().ConfigMaps("default").Delete(ctx, "c0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c3"}}, metav1.CreateOptions{}); err != nil {
		t.Errorf("after a delete: %v", err)
	}
}

// Concurrent watches beyond the cap get 429 at once (no Retry-After, so clients do not spin).
func TestLimitConcurrentWatches(t *testing.T) {
	st := store.New(store.Options{Hooks: api.Hooks(), Seed: 1})
	srv := httptest.NewServer(api.New(st, api.Options{MaxWatches: 2}))
	t.Cleanup(srv.Close)
	cs := kubernetes.NewForConfigOrDie(&rest.Config{Host: srv.URL})
	var stops []func()
	for i := 0; i < 2; i++ {
		w, err := cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, w.Stop)
	}
	resp, err := http.Get(srv.URL + "/api/v1/namespaces/default/pods?watch=true")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "" {
		t.Errorf("third watch: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	_, err = cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{})
	if !apierrors.IsTooManyRequests(err) || !strings.Contains(err.Error(), "Too many requests, please try again later.") {
		t.Errorf("client-go sees %v", err)
	}
	for _, stop := range stops {
		stop()
	}
	// Closed watches free their slots (the server notices when the stream ends).
	ok := false
	for i := 0; i < 200 && !ok; i++ {
		w, err := cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{})
		if err == nil {
			w.Stop()
			ok = true
		}
	}
	if !ok {
		t.Error("watch slots not released after the watches stopped")
	}
}
