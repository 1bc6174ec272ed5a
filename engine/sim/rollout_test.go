package sim

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/kubectl/pkg/polymorphichelpers"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// rolloutStatus is what `kubectl rollout status sts/web` prints for set (kubectl's own viewer).
func rolloutStatus(t *testing.T, set *appsv1.StatefulSet) (string, bool, error) {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(set)
	if err != nil {
		t.Fatal(err)
	}
	return (&polymorphichelpers.StatefulSetStatusViewer{}).Status(&unstructured.Unstructured{Object: m}, 0)
}

// statusMessages records every distinct rollout status message while the simulator runs.
func statusMessages(t *testing.T, s *Sim) *[]string {
	var msgs []string
	s.Store().Subscribe(func(ev store.Event) {
		set, ok := ev.Object.(*appsv1.StatefulSet)
		if !ok {
			return
		}
		msg, _, err := rolloutStatus(t, set)
		if err != nil {
			msg = "error: " + err.Error()
		}
		if n := len(msgs); n == 0 || msgs[n-1] != msg {
			msgs = append(msgs, msg)
		}
	})
	return &msgs
}

// Item 48: `kubectl rollout status` messages through a start, a rollout and a staged update;
// OnDelete is an error; a RollingUpdate with no rollingUpdate block ends "rolling update complete".
func TestItem48_RolloutStatusMessages(t *testing.T) {
	s := newSim(t)
	msgs := statusMessages(t, s)
	startWeb(t, s, webSet(3))
	got := strings.Join(*msgs, "")
	for _, want := range []string{"Waiting for statefulset spec update to be observed...\n", "Waiting for 3 pods to be ready...\n",
		"Waiting for 1 pods to be ready...\n", "partitioned roll out complete: 3 new pods have been updated...\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("start: missing %q in %q", want, got)
		}
	}
	*msgs = nil
	updateSts(t, s, setImage("nginx:48"))
	if !s.RunUntil(func() bool {
		return images(s) == "web-0=nginx:48,web-1=nginx:48,web-2=nginx:48" && runningReady(s, "web-0", "web-1", "web-2")()
	}, 5*time.Minute) {
		t.Fatal(images(s))
	}
	s.Settle()
	got = strings.Join(*msgs, "")
	for _, want := range []string{"Waiting for partitioned roll out to finish: 0 out of 3 new pods have been updated...\n",
		"Waiting for partitioned roll out to finish: 2 out of 3 new pods have been updated...\n",
		"partitioned roll out complete: 3 new pods have been updated...\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("rollout: missing %q in %q", want, got)
		}
	}
	// Item 52: a staged update (partition = replicas) is already "complete" with 0 new pods.
	updateSts(t, s, func(set *appsv1.StatefulSet) { setPartition(3)(set); setImage("nginx:staged")(set) })
	s.Advance(time.Minute)
	if msg, done, _ := rolloutStatus(t, getSts(t, s, "web")); !done || msg != "partitioned roll out complete: 0 new pods have been updated...\n" {
		t.Errorf("staged: %q done=%v", msg, done)
	}
	updateSts(t, s, func(set *appsv1.StatefulSet) {
		set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	})
	if _, _, err := rolloutStatus(t, getSts(t, s, "web")); err == nil || err.Error() != "rollout status is only available for RollingUpdate strategy type" {
		t.Errorf("OnDelete: %v", err)
	}

	s2 := newSim(t)
	set := webSet(2)
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType}
	startWeb(t, s2, set)
	got2 := getSts(t, s2, "web")
	if msg, done, _ := rolloutStatus(t, got2); !done || msg != "statefulset rolling update complete 2 pods at revision "+got2.Status.CurrentRevision+"...\n" {
		t.Errorf("no rollingUpdate block: %q", msg)
	}
}

// Item 61: OnDelete with a rollingUpdate block and a negative partition are rejected.
func TestItem61_OnDeleteWithRollingUpdateRejected(t *testing.T) {
	s := newSim(t)
	startWeb(t, s, webSet(1))
	set := getSts(t, s, "web")
	set.Spec.UpdateStrategy.Type = appsv1.OnDeleteStatefulSetStrategyType // the strategic-merge patch without "rollingUpdate": null
	_, err := s.Store().Update(stsR, set, store.UpdateOptions{})
	want := `StatefulSet.apps "web" is invalid: spec.updateStrategy.rollingUpdate: Invalid value: &apps.RollingUpdateStatefulSetStrategy{Partition:0, MaxUnavailable:1}: only allowed for updateStrategy 'RollingUpdate'`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	set = getSts(t, s, "web")
	set.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err != nil {
		t.Errorf(`with "rollingUpdate": null the patch works: %v`, err)
	}
	set = getSts(t, s, "web")
	setPartition(-1)(set)
	set.Spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
	if _, err := s.Store().Update(stsR, set, store.UpdateOptions{}); err == nil ||
		!strings.Contains(err.Error(), "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0") {
		t.Errorf("negative partition: %v", err)
	}
}
