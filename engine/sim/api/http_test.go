package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

func getHeaders(accept string) map[string]string {
	return map[string]string{"Accept": accept, "Authorization": "Bearer " + testToken}
}

func createRunningPod(t *testing.T, e *env, name string) {
	t.Helper()
	created, err := e.st.Create(podsRes, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "nginx"}},
		Spec: corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	p := created.(*corev1.Pod)
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.0.7"}},
		ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", Ready: true, RestartCount: 2,
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(e.clock.Now().Add(-3 * time.Minute))}},
			State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	if _, err := e.st.Update(podsRes, p, store.UpdateOptions{Status: true}); err != nil {
		t.Fatal(err)
	}
}

func TestServerSideTables(t *testing.T) {
	e := newEnv(t, store.Options{})
	createRunningPod(t, e, "web-0")
	e.clock.Step(19 * time.Second)

	body := doRawHeaders(t, e, http.MethodGet, "/api/v1/namespaces/default/pods", getHeaders(tableAccept), "", http.StatusOK)
	var tbl metav1.Table
	if err := json.Unmarshal(body, &tbl); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range tbl.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "Name,Ready,Status,Restarts,Age,IP,Node,Nominated Node,Readiness Gates" || tbl.ColumnDefinitions[5].Priority != 1 {
		t.Fatalf("pod columns %v", names)
	}
	if len(tbl.Rows) != 1 {
		t.Fatalf("rows %d", len(tbl.Rows))
	}
	cells, _ := json.Marshal(tbl.Rows[0].Cells)
	if string(cells) != `["web-0","1/1","Running","2 (3m19s ago)","19s","10.244.0.7","node-1","\u003cnone\u003e","\u003cnone\u003e"]` {
		t.Fatalf("pod cells %s", cells)
	}
	var pm metav1.PartialObjectMetadata
	if err := json.Unmarshal(tbl.Rows[0].Object.Raw, &pm); err != nil || pm.Kind != "PartialObjectMetadata" || pm.Name != "web-0" {
		t.Fatalf("row object %s", tbl.Rows[0].Object.Raw)
	}

	// One object, includeObject=Object.
	body = doRawHeaders(t, e, http.MethodGet, "/api/v1/namespaces/default/pods/web-0?includeObject=Object", getHeaders(tableAccept), "", http.StatusOK)
	if err := json.Unmarshal(body, &tbl); err != nil || len(tbl.Rows) != 1 {
		t.Fatal(err)
	}
	var pod corev1.Pod
	if err := json.Unmarshal(tbl.Rows[0].Object.Raw, &pod); err != nil || pod.Kind != "Pod" || pod.Status.Phase != corev1.PodRunning {
		t.Fatalf("full row object %s", tbl.Rows[0].Object.Raw)
	}

	// StatefulSets and claims (A.2, A.3).
	if _, err := e.cs.AppsV1().StatefulSets("default").Create(ctx, webSTS(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cs.CoreV1().PersistentVolumeClaims("default").Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "www-web-0"}, Spec: webSTS().Spec.VolumeClaimTemplates[0].Spec}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Step(105 * time.Second)
	for path, want := range map[string]string{
		"/apis/apps/v1/namespaces/default/statefulsets":     `["web","0/2","105s","nginx","k8s.gcr.io/nginx-slim:0.8"]`,
		"/api/v1/namespaces/default/persistentvolumeclaims": `["www-web-0","Pending","","","","standard","\u003cunset\u003e","105s","Filesystem"]`,
		"/api/v1/namespaces":                                `["default","Active","2m4s"]`,
	} {
		body = doRawHeaders(t, e, http.MethodGet, path, getHeaders(tableAccept), "", http.StatusOK)
		if err := json.Unmarshal(body, &tbl); err != nil || len(tbl.Rows) == 0 {
			t.Fatalf("%s: %v %s", path, err, body)
		}
		cells, _ := json.Marshal(tbl.Rows[0].Cells)
		if string(cells) != want {
			t.Errorf("%s: cells %s, want %s", path, cells, want)
		}
	}
}

// The watch form of a Table: one row per event; only the first carries columnDefinitions.
func TestTableWatch(t *testing.T) {
	e := newEnv(t, store.Options{})
	rv := e.st.ResourceVersion()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/namespaces/default/pods?watch=true&resourceVersion="+itoa(rv), nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range getHeaders(tableAccept) {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	createRunningPod(t, e, "web-0")
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var events []map[string]json.RawMessage
	for len(events) < 2 && sc.Scan() {
		var ev map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		events = append(events, ev)
	}
	if len(events) != 2 {
		t.Fatalf("events %d: %v", len(events), sc.Err())
	}
	for i, ev := range events {
		var tbl struct {
			Kind    string            `json:"kind"`
			Columns json.RawMessage   `json:"columnDefinitions"`
			Rows    []json.RawMessage `json:"rows"`
		}
		if err := json.Unmarshal(ev["object"], &tbl); err != nil || tbl.Kind != "Table" || len(tbl.Rows) != 1 {
			t.Fatalf("event %d: %s", i, ev["object"])
		}
		if (i == 0) == (string(tbl.Columns) == "null") {
			t.Errorf("event %d columnDefinitions %s", i, tbl.Columns)
		}
	}
	if string(events[0]["type"]) != `"ADDED"` || string(events[1]["type"]) != `"MODIFIED"` {
		t.Errorf("types %s %s", events[0]["type"], events[1]["type"])
	}
}

func itoa(v uint64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// client-go informers use the watch-list protocol (sendInitialEvents + initial-events-end
// bookmark) by default; they must sync and see later changes.
func TestInformerSyncs(t *testing.T) {
	e := newEnv(t, store.Options{})
	createRunningPod(t, e, "web-0")
	f := informers.NewSharedInformerFactory(e.cs, 0)
	inf := f.Core().V1().Pods().Informer()
	added := make(chan string, 10)
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) { added <- obj.(*corev1.Pod).Name }}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	f.Start(stop)
	syncCtx, cancel := contextWithTimeout(10 * time.Second)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced) {
		t.Fatal("informer did not sync")
	}
	createRunningPod(t, e, "web-1")
	seen := map[string]bool{}
	for !seen["web-1"] {
		select {
		case n := <-added:
			seen[n] = true
		case <-syncCtx.Done():
			t.Fatalf("informer saw %v", seen)
		}
	}
	if !seen["web-0"] {
		t.Errorf("initial pod missing: %v", seen)
	}
}

func TestDiscoveryVersionAuthAndBadInput(t *testing.T) {
	e := newEnv(t, store.Options{})
	// /version and the health checks are public, as on a real apiserver.
	doRawHeaders(t, e, http.MethodGet, "/version", map[string]string{}, "", http.StatusOK)
	doRawHeaders(t, e, http.MethodGet, "/readyz", map[string]string{}, "", http.StatusOK)
	// Unauthorized without the token.
	body := doRawHeaders(t, e, http.MethodGet, "/api/v1/pods", map[string]string{}, "", http.StatusUnauthorized)
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err != nil || st.Reason != metav1.StatusReasonUnauthorized {
		t.Fatalf("401 body %s", body)
	}

	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/version", nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v version.Info
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || v.GitVersion != "v1.37.2" || v.Minor != "37" {
		t.Fatalf("version %+v %v", v, err)
	}
	resp.Body.Close()
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache, private" {
		t.Errorf("Cache-Control %q", cc)
	}

	// Discovery through client-go: statefulsets/scale is autoscaling/v1 Scale.
	rl, err := e.cs.Discovery().ServerResourcesForGroupVersion("apps/v1")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]metav1.APIResource{}
	for _, r := range rl.APIResources {
		found[r.Name] = r
	}
	if s := found["statefulsets/scale"]; s.Group != "autoscaling" || s.Version != "v1" || s.Kind != "Scale" {
		t.Errorf("statefulsets/scale %+v", s)
	}
	if s := found["statefulsets"]; len(s.ShortNames) != 1 || s.ShortNames[0] != "sts" || s.Categories[0] != "all" || len(s.Verbs) != 8 {
		t.Errorf("statefulsets %+v", s)
	}
	if _, ok := found["statefulsets/status"]; !ok {
		t.Error("statefulsets/status missing")
	}
	groups, err := e.cs.Discovery().ServerGroups()
	if err != nil || len(groups.Groups) < 2 {
		t.Fatalf("groups %v %+v", err, groups)
	}
	doRaw(t, e, http.MethodGet, "/openapi/v3/apis/apps/v1", "", "", http.StatusOK)
	for _, p := range []string{"/healthz", "/readyz", "/livez"} {
		doRaw(t, e, http.MethodGet, p, "", "", http.StatusOK)
	}

	// Malformed bodies are 400 with a clear message; oversize bodies 413.
	body = doRaw(t, e, http.MethodPost, "/api/v1/namespaces/default/pods", "application/json", `{"metadata": {`, http.StatusBadRequest)
	if err := json.Unmarshal(body, &st); err != nil || !strings.Contains(st.Message, `Pod in version "v1" cannot be handled as a Pod`) {
		t.Errorf("malformed body %s", body)
	}
	doRaw(t, e, http.MethodPost, "/api/v1/namespaces/default/pods", "application/yaml", "metadata: [", http.StatusBadRequest)
	doRaw(t, e, http.MethodPost, "/api/v1/namespaces/default/pods", "application/json", `{"kind":"Service","apiVersion":"v1"}`, http.StatusBadRequest)
	doRaw(t, e, http.MethodPost, "/api/v1/namespaces/default/pods", "application/json", strings.Repeat(" ", 4<<20), http.StatusRequestEntityTooLarge)
	doRaw(t, e, http.MethodPost, "/api/v1/namespaces/default/pods", "text/plain", "x", http.StatusUnsupportedMediaType)
	doRaw(t, e, http.MethodGet, "/api/v1/namespaces/default/widgets", "", "", http.StatusNotFound)
	doRaw(t, e, http.MethodPut, "/api/v1/namespaces/default/pods", "application/json", "{}", http.StatusMethodNotAllowed)
	doRaw(t, e, http.MethodGet, "/api/v1/pods?labelSelector=a%3D%3D%3Db", "", "", http.StatusBadRequest)
}
