package sim

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/controller"
)

func TestStartServesHTTPAndRejectsMissingToken(t *testing.T) {
	s := newSim(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(ctx); err == nil {
		t.Error("second Start should fail")
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CAData()) {
		t.Fatal("no CA certificate")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	if _, err := http.Get(s.URL() + "/version"); err == nil {
		t.Error("a client that does not trust the simulator's CA must fail the TLS handshake")
	}
	resp, err := client.Get(s.URL() + "/api/v1/namespaces/default/pods")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/namespaces/default/pods", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with token: status %d", resp.StatusCode)
	}
	if c := s.RESTConfig(); c.Host != s.URL() || c.BearerToken != s.Token() || c.QPS < 100 {
		t.Errorf("rest config %+v", c)
	}
}

// The client-go path end to end: the tutorial's web StatefulSet created over HTTP, played in
// virtual time (AutoAdvance), ends with two Running pods and three nodes.
func TestClientGoEndToEndAutoAdvance(t *testing.T) {
	s, ctx := startSim(t, Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 7, Logf: t.Logf})
	cs, err := kubernetes.NewForConfig(s.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Services("default").Create(ctx, nginxService(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	set := webSet(2)
	set.Spec.UpdateStrategy = appsvUpdateDefault()
	set.Spec.PodManagementPolicy = ""
	set.Spec.RevisionHistoryLimit = nil
	if _, err := cs.AppsV1().StatefulSets("default").Create(ctx, set, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=nginx"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 {
		t.Fatalf("want 2 pods, got %d", len(list.Items))
	}
	for _, p := range list.Items {
		if p.Status.Phase != corev1.PodRunning {
			t.Errorf("%s is %s", p.Name, p.Status.Phase)
		}
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 3 || nodes.Items[0].Name != controller.NodeName(1) {
		t.Errorf("nodes: %v %v", len(nodes.Items), err)
	}
	sts, err := cs.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil || sts.Status.ReadyReplicas != 2 || sts.Spec.UpdateStrategy.RollingUpdate == nil {
		t.Errorf("sts status %+v spec defaults %+v err %v", sts.Status, sts.Spec.UpdateStrategy, err)
	}
}

// The real-clock loop: at speed 100 a two-pod start takes tens of milliseconds.
func TestRealClockLoopWithSpeed(t *testing.T) {
	s, ctx := startSim(t, Config{Speed: 100, Seed: 3, Logf: t.Logf})
	create(t, s, svcR, nginxService())
	create(t, s, stsR, webSet(2))
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if !runningReady(s, "web-0", "web-1")() {
		t.Errorf("pods: %s", podNames(pods(s, "app=nginx")))
	}
}

// Pause stops processing (writes still land); StepOnce runs one action; Resume continues.
func TestPauseStepResume(t *testing.T) {
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Pause()
	if !s.Paused() {
		t.Fatal("not paused")
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	create(t, s, stsR, webSet(1))
	// Paused: the controller has not created anything even though work is queued.
	if len(pods(s, "")) != 0 {
		t.Fatal("pod created while paused")
	}
	steps := 0
	for len(pods(s, "")) == 0 && steps < 20 {
		if !s.StepOnce() {
			t.Fatal("StepOnce found nothing to do")
		}
		steps++
	}
	if len(pods(s, "")) != 1 {
		t.Fatalf("StepOnce did not create the pod after %d steps", steps)
	}
	s.SetSpeed(4)
	if s.Speed() != 4 {
		t.Errorf("speed %v", s.Speed())
	}
	s.Resume()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if !runningReady(s, "web-0")() {
		t.Errorf("after resume: %s", podNames(pods(s, "")))
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{Speed: -1}); err == nil {
		t.Error("negative speed accepted")
	}
	if _, err := New(Config{AutoAdvance: true}); err == nil {
		t.Error("AutoAdvance without a fake clock accepted")
	}
}

func appsvUpdateDefault() appsv1.StatefulSetUpdateStrategy { return appsv1.StatefulSetUpdateStrategy{} }

// startSim makes and starts a simulator that stops when the test ends; ctx bounds the test.
func startSim(t *testing.T, cfg Config) (*Sim, context.Context) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, ctx
}

// TestQueueKeepsOrderAcrossReuse: the work queue reuses its array once drained and moves its
// live keys to the front when it has not drained for a while; either way keys come out once
// each, in the order they were added.
func TestQueueKeepsOrderAcrossReuse(t *testing.T) {
	s := newSim(t)
	s.mu.Lock()
	for len(s.queue) > s.qhead { // what the bootstrap queued
		s.popLocked()
	}
	s.mu.Unlock()
	q := loopQueue{s}
	key := func(i int) controller.Key { return controller.Key{Controller: "test", Name: fmt.Sprint(i)} }
	next, want := 0, 0
	pop := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if got := s.popLocked(); got != key(want) {
			t.Fatalf("popped %v, want %v", got, key(want))
		}
		want++
	}
	for round := 0; round < 3; round++ {
		// Never drained: three in, two out, for long enough to compact several times.
		for i := 0; i < 400; i++ {
			for j := 0; j < 3; j++ {
				q.Add(key(next))
				next++
			}
			q.Add(key(next - 1)) // queued already: coalesced
			pop()
			pop()
		}
		for want < next {
			pop()
		}
		s.mu.Lock()
		if len(s.queue) != s.qhead || len(s.queued) != 0 {
			t.Fatalf("drained queue holds %d keys (head %d), %d marked", len(s.queue), s.qhead, len(s.queued))
		}
		s.mu.Unlock()
	}
}
