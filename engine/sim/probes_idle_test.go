package sim

import (
	"context"
	"io"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// probedWeb is web with exec readiness (every 2s) and liveness (every 5s) probes that pass
// while /tmp/healthy exists in the container.
func probedWeb(replicas int32) func(*testing.T, *Sim) {
	return func(t *testing.T, s *Sim) {
		t.Helper()
		set := webSet(replicas)
		c := &set.Spec.Template.Spec.Containers[0]
		c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
			Command: []string{"test", "-f", "/tmp/healthy"}}}, PeriodSeconds: 2, FailureThreshold: 3, SuccessThreshold: 1, TimeoutSeconds: 1}
		c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{
			Command: []string{"true"}}}, PeriodSeconds: 5, FailureThreshold: 3, SuccessThreshold: 1, TimeoutSeconds: 1}
		create(t, s, svcR, nginxService())
		create(t, s, stsR, set)
		for i := range int(replicas) {
			name := "web-" + string(rune('0'+i))
			if !s.RunUntil(func() bool { p := getPod(s, name); return p != nil && p.Status.Phase == corev1.PodRunning }, 5*time.Minute) {
				t.Fatalf("%s not running", name)
			}
			learnerExec(t, s, name, "touch", "/tmp/healthy")
		}
		if !s.RunUntil(runningReady(s, "web-0", "web-1"), 5*time.Minute) {
			t.Fatalf("pods not ready: %s", podNames(pods(s, "app=nginx")))
		}
	}
}

// learnerExec runs argv in a pod's container the way the API's exec does (execRunner).
func learnerExec(t *testing.T, s *Sim, pod string, argv ...string) {
	t.Helper()
	p := getPod(s, pod)
	code, err := execRunner{s.cfg.Runner, s.ctrls.Kubelet}.Run(context.Background(), p, "nginx", argv,
		container.Streams{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil || code != 0 {
		t.Fatalf("exec %v in %s: %d %v", argv, pod, code, err)
	}
}

func timersFired(s *Sim) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fired
}

// Idle is idle: once the probes of a settled StatefulSet pass and nothing changes, no timer
// fires while nobody watches its pods; a watch brings every probe back to its period, and
// closing it parks them again.
func TestIdleProbesWakeOnlyWhileWatched(t *testing.T) {
	s := newSim(t)
	probedWeb(2)(t, s)
	s.Advance(time.Minute) // each probe passes once more and parks

	before := timersFired(s)
	s.Advance(10 * time.Minute)
	if n := timersFired(s) - before; n != 0 {
		t.Errorf("%d timers fired over 10 idle minutes with no watch, want 0", n)
	}

	w, err := s.Store().Watch(podsR, store.WatchOptions{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	before = timersFired(s)
	s.Advance(time.Minute)
	// 2 pods × (readiness every 2s + liveness every 5s) = 2 × (30 + 12) per minute.
	if n := timersFired(s) - before; n < 80 || n > 86 {
		t.Errorf("%d timers fired over a watched minute, want about 84 (every probe on its period)", n)
	}
	w.Stop()
	s.Advance(time.Minute)
	before = timersFired(s)
	s.Advance(10 * time.Minute)
	if n := timersFired(s) - before; n != 0 {
		t.Errorf("%d timers fired over 10 idle minutes after the watch closed, want 0", n)
	}
	if !runningReady(s, "web-0", "web-1")() {
		t.Errorf("pods not ready after idling: %s", podNames(pods(s, "app=nginx")))
	}
}

// A parked probe still sees what changed: a learner's exec that breaks readiness makes the
// pod unready (its Endpoints drop it) within the probe's failureThreshold × period, with no
// watch open, as continuous probing would.
func TestParkedProbeSeesExecChange(t *testing.T) {
	s := newSim(t)
	probedWeb(2)(t, s)
	s.Advance(10 * time.Minute)
	start := s.Now()
	learnerExec(t, s, "web-1", "rm", "/tmp/healthy")
	if !s.RunUntil(func() bool { p := getPod(s, "web-1"); return p != nil && !podReady(p) }, time.Minute) {
		t.Fatal("web-1 stayed ready after its health file was removed")
	}
	// Continuous probing: 3 failures 2s apart; parked: resumed one period after the exec.
	if took := s.Now().Sub(start); took > 10*time.Second {
		t.Errorf("web-1 became unready %v after the exec, want within ~8s", took)
	}
	if !hasEvent(s, "web-1", "Unhealthy: Readiness probe failed") {
		t.Errorf("no Unhealthy event for web-1: %v", podEvents(s, "web-1"))
	}
	if p := getPod(s, "web-0"); p == nil || !podReady(p) {
		t.Error("web-0 lost its readiness")
	}
}

// The MySQL lesson's StatefulSet (exec readiness and liveness probes run by the sandbox's
// mysql) settles into no wakeups at all once nobody watches it.
func TestIdleMySQLHasNoWakeups(t *testing.T) {
	s := newSim(t)
	startMySQL(t, s, 3)
	s.Advance(time.Minute)
	before := timersFired(s)
	s.Advance(10 * time.Minute)
	if n := timersFired(s) - before; n != 0 {
		t.Errorf("%d timers fired over 10 idle minutes of the MySQL set, want 0", n)
	}
	for _, name := range []string{"mysql-0", "mysql-1", "mysql-2"} {
		if !podIs(s, name, "2/2", "Running")() {
			t.Errorf("%s is no longer 2/2 Running after idling", name)
		}
	}
}
