package sim

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	testingclock "k8s.io/utils/clock/testing"
)

// simKubectl runs the real kubectl binary against a served simulator on a fake clock that
// jumps ahead whenever the cluster is idle, so rollouts finish in milliseconds.
type simKubectl struct {
	s   *Sim
	dir string
	kc  string
}

func newSimKubectl(t *testing.T) *simKubectl {
	t.Helper()
	const bin = "/usr/bin/kubectl"
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("the kubectl binary is required at %s for this test: %v", bin, err)
	}
	// Not startSim: its 30s bound is too short for a whole walkthrough under -race.
	s, err := New(Config{Fake: testingclock.NewFakeClock(t0), AutoAdvance: true, Seed: 11, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	dir := t.TempDir()
	kc := writeKubeconfig(t, s, dir)
	return &simKubectl{s: s, dir: dir, kc: kc}
}

func (k *simKubectl) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return runKubectlIn(60*time.Second, k.dir, k.kc, nil, args...)
}

func (k *simKubectl) must(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := k.run(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// stepUntil runs the paused simulator one action at a time until the deployment satisfies cond.
func (k *simKubectl) stepUntil(t *testing.T, name string, cond func(*appsv1.Deployment) bool) {
	t.Helper()
	for i := 0; i < 100000; i++ {
		o, err := k.s.Store().Get(deployR, "default", name)
		if err != nil {
			t.Fatal(err)
		}
		if cond(o.(*appsv1.Deployment)) {
			return
		}
		if !k.s.StepOnce() {
			break
		}
	}
	o, _ := k.s.Store().Get(deployR, "default", name)
	t.Fatalf("deployment never reached the state: %+v", o.(*appsv1.Deployment).Status)
}

func (k *simKubectl) idle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := k.s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
}

// table turns kubectl's table output into rows of fields, header first.
func table(out string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		rows = append(rows, strings.Fields(l))
	}
	return rows
}

func header(out string) string { return strings.Join(table(out)[0], " ") }

const nginxDeploymentYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`

const frontendYAML = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: frontend
  labels:
    app: guestbook
    tier: frontend
spec:
  replicas: 3
  selector:
    matchLabels:
      tier: frontend
  template:
    metadata:
      labels:
        tier: frontend
    spec:
      containers:
      - name: php-redis
        image: gcr.io/google_samples/gb-frontend:v3
`

// The walkthrough's Deployment commands, with the real kubectl: apply, get deploy/rs, set
// image, rollout status/history/undo/pause/resume and scale.
func TestKubectlDeploymentWalkthrough(t *testing.T) {
	k := newSimKubectl(t)
	if err := os.WriteFile(filepath.Join(k.dir, "nginx-deployment.yaml"), []byte(nginxDeploymentYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := k.must(t, "apply", "-f", "nginx-deployment.yaml"); out != "deployment.apps/nginx-deployment created\n" {
		t.Fatalf("apply: %q", out)
	}
	if out := k.must(t, "rollout", "status", "deployment/nginx-deployment"); !strings.HasSuffix(out, "deployment \"nginx-deployment\" successfully rolled out\n") {
		t.Fatalf("rollout status: %q", out)
	}
	k.idle(t)
	out := k.must(t, "get", "deployments")
	if h := header(out); h != "NAME READY UP-TO-DATE AVAILABLE AGE" {
		t.Errorf("get deployments header %q", h)
	}
	if row := table(out)[1]; strings.Join(row[:4], " ") != "nginx-deployment 3/3 3 3" {
		t.Errorf("get deployments row %q", row)
	}
	out = k.must(t, "get", "rs")
	if h := header(out); h != "NAME DESIRED CURRENT READY AGE" {
		t.Errorf("get rs header %q", h)
	}
	rows := table(out)
	if len(rows) != 2 || !strings.HasPrefix(rows[1][0], "nginx-deployment-") || strings.Join(rows[1][1:4], " ") != "3 3 3" {
		t.Fatalf("get rs: %q", out)
	}
	firstRS := rows[1][0]
	hash := strings.TrimPrefix(firstRS, "nginx-deployment-")
	out = k.must(t, "get", "pods", "--show-labels")
	if n := strings.Count(out, "app=nginx,pod-template-hash="+hash); n != 3 {
		t.Errorf("pods with the hash label: %d\n%s", n, out)
	}
	out = k.must(t, "get", "deploy", "-o", "wide")
	if h := header(out); h != "NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR" {
		t.Errorf("wide header %q", h)
	}
	if row := table(out)[1]; strings.Join(row[5:], " ") != "nginx nginx:1.14.2 app=nginx" {
		t.Errorf("wide row %q", row)
	}
	out = k.must(t, "get", "rs", "-o", "wide")
	if row := table(out)[1]; strings.Join(row[5:], " ") != "nginx nginx:1.14.2 app=nginx,pod-template-hash="+hash {
		t.Errorf("rs wide row %q", row)
	}

	// Hold the cluster still at chosen points of the rollout and compare what
	// `rollout status --watch=false` prints there with the real messages.
	k.s.Pause()
	if out := k.must(t, "set", "image", "deployment/nginx-deployment", "nginx=nginx:1.16.1"); out != "deployment.apps/nginx-deployment image updated\n" {
		t.Fatalf("set image: %q", out)
	}
	k.stepUntil(t, "nginx-deployment", func(d *appsv1.Deployment) bool {
		return d.Status.ObservedGeneration == d.Generation && d.Status.UpdatedReplicas == 1
	})
	if out := k.must(t, "rollout", "status", "deployment.v1.apps/nginx-deployment", "--watch=false"); out != "Waiting for deployment \"nginx-deployment\" rollout to finish: 1 out of 3 new replicas have been updated...\n" {
		t.Errorf("rollout status, 1 updated: %q", out)
	}
	k.stepUntil(t, "nginx-deployment", func(d *appsv1.Deployment) bool {
		return d.Status.UpdatedReplicas == 3 && d.Status.Replicas > 3
	})
	if out := k.must(t, "rollout", "status", "deployment.v1.apps/nginx-deployment", "--watch=false"); out != "Waiting for deployment \"nginx-deployment\" rollout to finish: 1 old replicas are pending termination...\n" {
		t.Errorf("rollout status, old pending: %q", out)
	}
	k.s.Resume()
	out = k.must(t, "rollout", "status", "deployment.v1.apps/nginx-deployment")
	if !strings.HasSuffix(out, "deployment \"nginx-deployment\" successfully rolled out\n") {
		t.Errorf("rollout status during an update: %q", out)
	}
	k.idle(t)
	out = k.must(t, "get", "rs")
	rows = table(out)
	if len(rows) != 3 {
		t.Fatalf("get rs after update: %q", out)
	}
	for _, r := range rows[1:] {
		want := "3 3 3"
		if r[0] == firstRS {
			want = "0 0 0"
		}
		if got := strings.Join(r[1:4], " "); got != want {
			t.Errorf("rs %s: %s, want %s", r[0], got, want)
		}
	}

	k.must(t, "annotate", "deployment/nginx-deployment", "kubernetes.io/change-cause=image updated to 1.16.1")
	k.idle(t)
	out = k.must(t, "rollout", "history", "deployment.v1.apps/nginx-deployment")
	want := "deployment.apps/nginx-deployment \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image updated to 1.16.1\n\n"
	if out != want {
		t.Errorf("rollout history:\n%q\nwant\n%q", out, want)
	}
	out = k.must(t, "rollout", "history", "deployment/nginx-deployment", "--revision=2")
	if !strings.Contains(out, "deployment.apps/nginx-deployment with revision #2") || !strings.Contains(out, "Image:\tnginx:1.16.1") && !strings.Contains(out, "nginx:1.16.1") {
		t.Errorf("history --revision=2: %q", out)
	}

	if out := k.must(t, "rollout", "undo", "deployment/nginx-deployment"); out != "deployment.apps/nginx-deployment rolled back\n" {
		t.Fatalf("undo: %q", out)
	}
	k.must(t, "rollout", "status", "deployment/nginx-deployment")
	k.idle(t)
	if img := k.must(t, "get", "deploy", "nginx-deployment", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.metadata.annotations.deployment\\.kubernetes\\.io/revision}"); img != "nginx:1.14.2 3" {
		t.Errorf("after undo: %q", img)
	}
	if out := k.must(t, "rollout", "undo", "deployment/nginx-deployment", "--to-revision=2"); out != "deployment.apps/nginx-deployment rolled back\n" {
		t.Fatalf("undo --to-revision: %q", out)
	}
	k.must(t, "rollout", "status", "deployment/nginx-deployment")
	k.idle(t)

	if out := k.must(t, "scale", "deployment.v1.apps/nginx-deployment", "--replicas=10"); out != "deployment.apps/nginx-deployment scaled\n" {
		t.Fatalf("scale: %q", out)
	}
	k.must(t, "rollout", "status", "deployment/nginx-deployment")
	k.idle(t)
	if row := table(k.must(t, "get", "deploy"))[1]; strings.Join(row[:4], " ") != "nginx-deployment 10/10 10 10" {
		t.Errorf("after scale: %q", row)
	}

	if out := k.must(t, "rollout", "pause", "deployment.v1.apps/nginx-deployment"); out != "deployment.apps/nginx-deployment paused\n" {
		t.Fatalf("pause: %q", out)
	}
	k.must(t, "set", "image", "deployment.v1.apps/nginx-deployment", "nginx=nginx:1.17")
	k.idle(t)
	before := k.must(t, "rollout", "history", "deployment/nginx-deployment")
	if strings.Contains(before, "\n5 ") {
		t.Errorf("paused deployment rolled out a new revision:\n%s", before)
	}
	if _, errOut, err := k.run(t, "rollout", "undo", "deployment/nginx-deployment"); err == nil || !strings.Contains(errOut, "you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again") {
		t.Errorf("undo while paused: %v %q", err, errOut)
	}
	if out := k.must(t, "rollout", "resume", "deployment.v1.apps/nginx-deployment"); out != "deployment.apps/nginx-deployment resumed\n" {
		t.Fatalf("resume: %q", out)
	}
	k.must(t, "rollout", "status", "deployment/nginx-deployment")
	k.idle(t)
	if img := k.must(t, "get", "pods", "-l", "app=nginx", "-o", "jsonpath={range .items[*]}{.spec.containers[0].image} {end}"); strings.Count(img, "nginx:1.17") != 10 {
		t.Errorf("after resume: %q", img)
	}
}

func TestKubectlReplicaSetAndCreateDeployment(t *testing.T) {
	k := newSimKubectl(t)
	if err := os.WriteFile(filepath.Join(k.dir, "frontend.yaml"), []byte(frontendYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := k.must(t, "apply", "-f", "frontend.yaml"); out != "replicaset.apps/frontend created\n" {
		t.Fatalf("apply: %q", out)
	}
	k.idle(t)
	for _, name := range []string{"rs", "replicaset", "replicasets.apps"} {
		out := k.must(t, "get", name)
		if h := header(out); h != "NAME DESIRED CURRENT READY AGE" {
			t.Errorf("get %s header %q", name, h)
		}
		if row := table(out)[1]; strings.Join(row[:4], " ") != "frontend 3 3 3" {
			t.Errorf("get %s row %q", name, row)
		}
	}
	out := k.must(t, "describe", "rs/frontend")
	for _, want := range []string{"Replicas:     3 current / 3 desired", "Pods Status:  3 Running / 0 Waiting / 0 Succeeded / 0 Failed",
		"SuccessfulCreate", "replicaset-controller", "Created pod: frontend-"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
	if out := k.must(t, "scale", "rs", "frontend", "--replicas=1"); out != "replicaset.apps/frontend scaled\n" {
		t.Errorf("scale rs: %q", out)
	}
	k.idle(t)
	if row := table(k.must(t, "get", "rs", "frontend"))[1]; strings.Join(row[:4], " ") != "frontend 1 1 1" {
		t.Errorf("after scale: %q", row)
	}
	if out := k.must(t, "get", "all"); !strings.Contains(out, "replicaset.apps/frontend") {
		t.Errorf("get all lacks the replica set:\n%s", out)
	}

	k.s.Pause()
	if out := k.must(t, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=2"); out != "deployment.apps/web created\n" {
		t.Fatalf("create deployment: %q", out)
	}
	k.stepUntil(t, "web", func(d *appsv1.Deployment) bool {
		return d.Status.UpdatedReplicas == 2 && d.Status.Replicas == 2 && d.Status.AvailableReplicas == 0
	})
	if out := k.must(t, "rollout", "status", "deploy/web", "--watch=false"); out != "Waiting for deployment \"web\" rollout to finish: 0 of 2 updated replicas are available...\n" {
		t.Errorf("rollout status, none available: %q", out)
	}
	k.s.Resume()
	k.must(t, "rollout", "status", "deploy/web")
	k.idle(t)
	if row := table(k.must(t, "get", "deploy", "web"))[1]; strings.Join(row[:4], " ") != "web 2/2 2 2" {
		t.Errorf("get deploy web: %q", row)
	}
	out = k.must(t, "describe", "deploy", "web")
	for _, want := range []string{"RollingUpdateStrategy:  25% max unavailable, 25% max surge", "Available      True    MinimumReplicasAvailable",
		"Progressing    True    NewReplicaSetAvailable", "ScalingReplicaSet", "Scaled up replica set web-"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe deploy lacks %q:\n%s", want, out)
		}
	}
	if _, errOut, err := k.run(t, "delete", "rs", "frontend", "--cascade=orphan"); err != nil {
		t.Fatalf("orphan delete: %v %s", err, errOut)
	}
	k.idle(t)
	if out := k.must(t, "get", "pods", "-l", "tier=frontend", "-o", "name"); strings.Count(out, "pod/frontend-") != 1 {
		t.Errorf("orphaned pods: %q", out)
	}
}
