package api_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// The request log has every request, with its status, once it ends: reads too (the kubectl
// tests wait for kubectl's LIST in it).
func TestRequestLogHasEveryRequest(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	st := store.New(store.Options{Hooks: api.Hooks(), Seed: 1})
	srv := httptest.NewServer(api.New(st, api.Options{Token: testToken, Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		f := strings.Fields(fmt.Sprintf(format, args...)) // method, URI, code, duration
		lines = append(lines, strings.Join(f[:3], " "))
	}}))
	t.Cleanup(srv.Close)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, BearerToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "web-0", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "web-9", metav1.GetOptions{}); err == nil {
		t.Fatal("web-9 exists")
	}
	mu.Lock()
	defer mu.Unlock()
	got := strings.Join(lines, "\n")
	want := "POST /api/v1/namespaces/default/pods 201\nGET /api/v1/namespaces/default/pods/web-0 200\n" +
		"GET /api/v1/namespaces/default/pods 200\nGET /api/v1/namespaces/default/pods/web-9 404"
	if got != want {
		t.Errorf("request log:\n%s\nwant:\n%s", got, want)
	}
}
