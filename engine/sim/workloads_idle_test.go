package sim

import (
	"context"
	"testing"
	"time"
)

// Once every workload has settled, no controller keeps timers running: the simulator goes
// idle (WaitIdle drives the fake clock through every pending timer).
func TestWorkloadsGoIdle(t *testing.T) {
	s := newSim(t)
	d := nginxDeployment(3)
	d.Spec.MinReadySeconds = 5
	create(t, s, deployR, d)
	rs := frontendRS(2)
	rs.Spec.MinReadySeconds = 3
	create(t, s, rsR, rs)
	create(t, s, dsR, fluentdDS())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatalf("not idle: %v", err)
	}
	updateDeploy(t, s, setDeployImage("nginx:1.16.1"))
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatalf("not idle after a rollout: %v", err)
	}
	if !rolledOut(s, "nginx:1.16.1", 3)() || !dsRolledOut(s, "quay.io/fluentd_elasticsearch/fluentd:v2.5.2")() ||
		!allRunning(s, "tier=frontend", 2)() {
		t.Errorf("idle but not settled: %v", replicaSets(s))
	}
	if st := getRS(t, s, "frontend").Status; st.AvailableReplicas != 2 {
		t.Errorf("frontend status %+v", st)
	}
}
