package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// benchServer is the API handler on an httptest server (plain HTTP, no TLS) over a store
// with the API's hooks, holding n running pods labelled app=nginx.
func benchServer(b *testing.B, n int) (*store.Store, *httptest.Server) {
	return benchServerWith(b, n, api.Options{})
}

// benchServerWith is benchServer with other handler options (token and clock are set here).
func benchServerWith(b *testing.B, n int, o api.Options) (*store.Store, *httptest.Server) {
	b.Helper()
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	st := store.New(store.Options{Clock: clk, Hooks: api.Hooks(), Seed: 1})
	o.Token, o.Clock = testToken, clk
	srv := httptest.NewServer(api.New(st, o))
	b.Cleanup(srv.Close)
	for i := 0; i < n; i++ {
		name := "web-" + strconv.Itoa(i)
		created, err := st.Create(podsRes, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "nginx"}},
			Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "nginx", Image: "registry.k8s.io/nginx-slim:0.24",
				Ports: []corev1.ContainerPort{{Name: "web", ContainerPort: 80}}}}}})
		if err != nil {
			b.Fatal(err)
		}
		p := created.(*corev1.Pod)
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0." + strconv.Itoa(i%250+2),
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
		if _, err := st.Update(podsRes, p, store.UpdateOptions{Status: true}); err != nil {
			b.Fatal(err)
		}
	}
	clk.Step(42 * time.Second)
	return st, srv
}

func benchGet(b *testing.B, srv *httptest.Server, path, accept string) []byte {
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %d %v %s", path, resp.StatusCode, err, data)
	}
	return data
}

// BenchmarkListPods100 is one GET of 100 pods over HTTP, as a client-go list (JSON) and as
// kubectl get asks for it (a server-side Table).
func BenchmarkListPods100(b *testing.B) {
	_, srv := benchServer(b, 100)
	const path = "/api/v1/namespaces/default/pods?labelSelector=app%3Dnginx&limit=500"
	b.Run("JSON", func(b *testing.B) {
		var list corev1.PodList
		if err := json.Unmarshal(benchGet(b, srv, path, "application/json"), &list); err != nil || len(list.Items) != 100 {
			b.Fatalf("list: %d items, %v", len(list.Items), err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.SetBytes(int64(len(benchGet(b, srv, path, "application/json"))))
		}
	})
	b.Run("Table", func(b *testing.B) {
		var tbl metav1.Table
		if err := json.Unmarshal(benchGet(b, srv, path, tableAccept), &tbl); err != nil || len(tbl.Rows) != 100 {
			b.Fatalf("table: %d rows, %v", len(tbl.Rows), err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			data := benchGet(b, srv, path, tableAccept)
			if !bytes.HasPrefix(data, []byte(`{"kind":"Table"`)) {
				b.Fatalf("not a Table: %.80s", data)
			}
			b.SetBytes(int64(len(data)))
		}
	})
}

// BenchmarkWatchRoundTrip is one write in the store reaching a client-go watch over HTTP:
// store event, the API's JSON watch frame, the chunked response, client-go's decoding.
func BenchmarkWatchRoundTrip(b *testing.B) {
	st, srv := benchServer(b, 1)
	cs, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, BearerToken: testToken, QPS: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := cs.CoreV1().Pods("default").Watch(ctx, metav1.ListOptions{LabelSelector: "app=nginx",
		ResourceVersion: strconv.FormatUint(st.ResourceVersion(), 10)})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	obj, err := st.Get(podsRes, "default", "web-0")
	if err != nil {
		b.Fatal(err)
	}
	p := obj.(*corev1.Pod)
	p.ResourceVersion = ""
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		round := strconv.Itoa(i)
		p.Labels["round"] = round
		if _, err := st.Update(podsRes, p, store.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		ev, ok := <-w.ResultChan()
		if !ok || ev.Type != watch.Modified || ev.Object.(*corev1.Pod).Labels["round"] != round {
			b.Fatalf("watch got %v (open %v), want MODIFIED round %s", ev.Type, ok, round)
		}
	}
}
