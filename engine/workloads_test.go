package engine

import (
	"strings"
	"testing"
)

// The learner's in-process kubectl drives Deployments: create, rollout status, set image,
// rollout history and undo, as the workloads walkthrough does.
func TestKubectlDeploymentInSession(t *testing.T) {
	s, _ := newTestSession(t)
	mustKubectl(t, s, "kubectl create deployment nginx --image=nginx:1.14.2 --replicas=3", "deployment.apps/nginx created\n")
	out, errOut, err := kubectl(t, s, "kubectl rollout status deployment/nginx")
	if err != nil || !strings.HasSuffix(out, "deployment \"nginx\" successfully rolled out\n") {
		t.Fatalf("rollout status: %v %q %q", err, out, errOut)
	}
	waitIdle(t, s)
	out, _, err = kubectl(t, s, "kubectl get deploy nginx")
	if rows := tableRows(out); err != nil || len(rows) != 2 || strings.Join(rows[1][:4], " ") != "nginx 3/3 3 3" {
		t.Fatalf("get deploy: %v %q", err, out)
	}
	mustKubectl(t, s, "kubectl set image deployment/nginx nginx=nginx:1.16.1", "deployment.apps/nginx image updated\n")
	if _, _, err := kubectl(t, s, "kubectl rollout status deployment/nginx"); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, s)
	mustKubectl(t, s, "kubectl rollout history deployment/nginx",
		"deployment.apps/nginx \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n")
	mustKubectl(t, s, "kubectl rollout undo deployment/nginx --to-revision=1", "deployment.apps/nginx rolled back\n")
	waitIdle(t, s)
	mustKubectl(t, s, "kubectl get deploy nginx -o 'jsonpath={.spec.template.spec.containers[0].image}'", "nginx:1.14.2")
	out, _, err = kubectl(t, s, "kubectl get rs")
	rows := tableRows(out)
	if err != nil || len(rows) != 3 {
		t.Fatalf("get rs: %v %q", err, out)
	}
	for _, r := range rows[1:] {
		if got := strings.Join(r[1:4], " "); got != "3 3 3" && got != "0 0 0" {
			t.Errorf("rs row %q", r)
		}
	}
}
