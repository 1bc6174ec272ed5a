package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const hpaRSYAML = `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata:
  name: frontend-scaler
spec:
  scaleTargetRef:
    kind: ReplicaSet
    name: frontend
  minReplicas: 3
  maxReplicas: 10
  targetCPUUtilizationPercentage: 50
`

// The walkthrough's HPA steps. Its hpa-rs.yaml names no apiVersion in scaleTargetRef, so a
// real controller cannot find the target (FailedGetScale); `kubectl autoscale` writes
// apps/v1 and works. Without metrics the HPA only enforces minReplicas/maxReplicas.
func TestKubectlHorizontalPodAutoscaler(t *testing.T) {
	k := newSimKubectl(t)
	for name, body := range map[string]string{"frontend.yaml": frontendYAML, "hpa-rs.yaml": hpaRSYAML} {
		if err := os.WriteFile(filepath.Join(k.dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	k.must(t, "apply", "-f", "frontend.yaml")
	k.idle(t)
	if out := k.must(t, "apply", "-f", "hpa-rs.yaml"); out != "horizontalpodautoscaler.autoscaling/frontend-scaler created\n" {
		t.Fatalf("apply hpa: %q", out)
	}
	k.idle(t)
	out := k.must(t, "get", "events", "--field-selector", "involvedObject.name=frontend-scaler", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}")
	if !strings.Contains(out, `FailedGetScale: no matches for kind "ReplicaSet" in group ""`) {
		t.Errorf("events of frontend-scaler: %q", out)
	}
	if out := k.must(t, "autoscale", "rs", "frontend", "--max=10", "--min=3", "--cpu-percent=50"); out != "horizontalpodautoscaler.autoscaling/frontend autoscaled\n" {
		t.Fatalf("autoscale: %q", out)
	}
	k.idle(t)
	out = k.must(t, "get", "hpa", "frontend")
	if h := header(out); h != "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE" {
		t.Errorf("header %q", h)
	}
	if row := table(out)[1]; strings.Join(row[:7], " ") != "frontend ReplicaSet/frontend cpu: <unknown>/50% 3 10 3" {
		t.Errorf("row %q", row)
	}
	k.must(t, "scale", "rs", "frontend", "--replicas=1")
	k.idle(t)
	if row := table(k.must(t, "get", "rs", "frontend"))[1]; strings.Join(row[:4], " ") != "frontend 3 3 3" {
		t.Errorf("HPA did not restore minReplicas: %q", row)
	}
	out = k.must(t, "get", "events", "--field-selector", "involvedObject.name=frontend,involvedObject.kind=HorizontalPodAutoscaler", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}")
	for _, want := range []string{"SuccessfulRescale: New size: 3; reason: Current number of replicas below Spec.MinReplicas",
		"FailedGetResourceMetric: failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)"} {
		if !strings.Contains(out, want) {
			t.Errorf("events lack %q:\n%s", want, out)
		}
	}
}
