package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Limits and validation errors as the real kubectl shows them, and item 62's deprecation
// warning for the boolean --cascade.
func TestItem62_LimitsAndErrorsThroughKubectl(t *testing.T) {
	tu := newTutorial(t)
	s := tu.s
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(s, "web-0", "web-1"))
	tu.transcript.Reset()

	check := func(wantStdout, wantStderr string) {
		t.Helper()
		got := tu.transcript.String()
		tu.transcript.Reset()
		if !strings.Contains(got, wantStdout) || !strings.Contains(got, wantStderr) {
			t.Errorf("transcript:\n%s\nwant stdout %q and stderr %q", got, wantStdout, wantStderr)
		}
	}

	// A million replicas: a clear error at once, and the simulator still answers.
	tu.run("scale", "sts", "web", "--replicas=1000000")
	check("", `stderr: The StatefulSet "web" is invalid: spec.replicas: Invalid value: 1000000: the kubetutor simulator runs at most 1000 replicas per StatefulSet (a real cluster would accept this)`)
	tu.run("get", "sts", "web")
	check("web    2/2", "")

	// An oversized request body: 413 as the apiserver's 3 MiB limit answers.
	big := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: " + strings.Repeat("x", 4<<20) + "\n"
	if err := os.WriteFile(filepath.Join(tu.dir, "big.yaml"), []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	tu.run("create", "-f", "big.yaml")
	check("", `Request entity too large: limit is 3145728`)

	// Validation errors keep the real wording and field paths.
	bad := strings.Replace(tutorialWebYAML, "      labels:\n        app: nginx\n    spec:\n      containers:", "      labels:\n        app: other\n    spec:\n      containers:", 1)
	bad = strings.Replace(bad, "name: web\nspec:", "name: web2\nspec:", 1)
	if err := os.WriteFile(filepath.Join(tu.dir, "bad.yaml"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	tu.run("apply", "-f", "bad.yaml")
	check("service/nginx configured", "The StatefulSet \"web2\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"other\"}: `selector` does not match template `labels`")
	tu.run("patch", "sts", "web", "-p", `{"spec":{"podManagementPolicy":"Parallel"}}`)
	check("", `The StatefulSet "web" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`)
	tu.run("scale", "sts", "web", "--replicas=-1")
	check("", "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0")

	// Item 62: the boolean --cascade still works, with a warning.
	tu.blocking(1, func() bool { _, err := s.Store().Get(stsR, "default", "web"); return err != nil }, "delete", "sts", "web", "--cascade=false")
	check(`statefulset.apps "web" deleted`, "stderr: warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.")
	if len(pods(s, "app=nginx")) != 2 {
		t.Errorf("--cascade=false must orphan the pods, left %s", podNames(pods(s, "app=nginx")))
	}
}
