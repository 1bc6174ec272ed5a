package api_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Patches that pin no resourceVersion always land, however many clients patch one object at
// once (the apiserver retries them until they do): each of 50 concurrent clients adds its own
// label, and the pod ends with all of them, no 409 on the way.
func TestConcurrentPatchesOfOneObjectAllLand(t *testing.T) {
	e := newEnvOpts(t, store.Options{}, false, api.Options{MaxMutatingInFlight: 64})
	if _, err := e.cs.CoreV1().Pods("default").Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-0"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const clients, rounds = 50, 20
	cfg := *e.cfg
	cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit: all at once
	cs, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				patch := fmt.Sprintf(`{"metadata":{"labels":{"c%d":"r%d"}}}`, c, r)
				if _, err := cs.CoreV1().Pods("default").Patch(context.Background(), "web-0", types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", c, r, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := e.cs.CoreV1().Pods("default").Get(context.Background(), "web-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for c := 0; c < clients; c++ {
		if v := got.Labels[fmt.Sprintf("c%d", c)]; v != fmt.Sprintf("r%d", rounds-1) {
			t.Errorf("label c%d = %q, want r%d (a patch was lost)", c, v, rounds-1)
		}
	}
}
