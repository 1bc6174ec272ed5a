package sim

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

// TestKubectlSurface: the kubectl commands a learner reaches for beside the seed's own (issue 4):
// every output format of get, describe, logs, the three patch types, edit through $EDITOR,
// each --cascade, delete by label, api-resources, explain, and commands the simulator cannot
// run, which must say so and return.
//
//	go test ./engine/sim -run TestKubectlSurface -update   # rewrite the golden file
func TestKubectlSurface(t *testing.T) {
	tu := newTutorial(t)
	s := tu.s
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(s, "web-0", "web-1"))

	// get, every output format.
	tu.run("get", "statefulset", "web", "-o", "yaml")
	tu.run("get", "pod", "web-0", "-o", "json")
	tu.run("get", "pvc", "www-web-0", "-o", "yaml")
	tu.run("get", "pods", "-l", "app=nginx", "-o", `jsonpath={range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\t"}{.spec.hostname}.{.spec.subdomain}{"\n"}{end}`)
	tu.run("get", "sts", "web", "-o", "jsonpath={.status.readyReplicas}/{.spec.replicas}")
	tu.transcript.WriteString("\n")
	tu.run("get", "sts", "web", "--template", "{{.spec.serviceName}} {{.status.currentRevision}}")
	tu.transcript.WriteString("\n")
	tu.run("get", "pods", "-o", "wide")
	tu.run("get", "pods", "--show-labels")
	tu.run("get", "sts", "-o", "wide")
	tu.run("get", "pvc", "-o", "wide")
	tu.run("get", "svc", "nginx", "-o", "wide")
	tu.run("get", "sts", "web", "-o", "name")

	// describe and logs.
	tu.run("describe", "pod", "web-0")
	tu.run("describe", "statefulset", "web")
	tu.run("describe", "pvc", "www-web-0")
	tu.run("describe", "service", "nginx")
	tu.run("logs", "web-0")
	tu.run("logs", "statefulset/web")

	// The three patch types, then edit through an editor that changes replicas with sed.
	tu.run("patch", "statefulset", "web", "-p", `{"metadata":{"labels":{"tier":"frontend"}}}`)
	tu.run("patch", "statefulset", "web", "--type=merge", "-p", `{"spec":{"replicas":3}}`)
	tu.drive(nginxPodsRunning(s, "web-0", "web-1", "web-2"))
	tu.run("patch", "statefulset", "web", "--type=json", "-p", `[{"op":"replace","path":"/spec/replicas","value":2}]`)
	tu.drive(podGone(s, "web-2"))
	tu.run("get", "sts", "web", "--show-labels")
	editor := filepath.Join(tu.dir, "editor.sh")
	if err := os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/replicas: 2/replicas: 3/' \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tu.env = []string{"EDITOR=" + editor}
	tu.run("edit", "statefulset", "web")
	tu.env = nil
	tu.drive(nginxPodsRunning(s, "web-0", "web-1", "web-2"))
	tu.run("get", "sts", "web")
	tu.run("rollout", "status", "statefulset/web")
	tu.run("rollout", "history", "statefulset/web")
	tu.run("rollout", "undo", "statefulset/web")

	// Every --cascade. orphan keeps the pods; re-creating adopts them.
	tu.blocking(1, func() bool {
		_, err := s.Store().Get(stsR, "default", "web")
		return err != nil
	}, "delete", "statefulset", "web", "--cascade=orphan")
	tu.run("get", "pods", "-l", "app=nginx")
	tu.run("apply", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(s, "web-0", "web-1"))
	tu.drive(podGone(s, "web-2")) // adopted, then scaled back to web.yaml's 2
	tu.run("get", "pods", "-l", "app=nginx")
	// foreground: kubectl returns once the StatefulSet is gone, after its pods.
	tu.blocking(1, func() bool {
		_, err := s.Store().Get(stsR, "default", "web")
		return err != nil && podGone(s, "web-0", "web-1")()
	}, "delete", "statefulset", "web", "--cascade=foreground")
	tu.run("get", "pods", "-l", "app=nginx")
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(s, "web-0", "web-1"))
	tu.blocking(1, podGone(s, "web-0", "web-1"), "delete", "statefulset", "web", "--cascade=background")
	// Claims carry kubernetes.io/pvc-protection; the volume controller drops it (no pod uses
	// them any more) while kubectl waits.
	tu.blocking(0, func() bool {
		l, _ := s.Store().List(pvcR, "default", labels.Everything(), fields.Everything())
		return len(l) == 0
	}, "delete", "pvc", "-l", "app=nginx")
	tu.run("get", "pvc")
	tu.run("delete", "service", "-l", "app=nginx")

	// Discovery and schema.
	tu.run("api-resources")
	tu.run("explain", "statefulset")
	tu.run("explain", "statefulset.spec.updateStrategy")
	tu.run("explain", "pod")
	tu.run("explain", "pvc.spec.accessModes")

	// What the simulator does not run: a clear message, and kubectl returns.
	tu.run("create", "-f", "web.yaml")
	tu.drive(nginxPodsRunning(s, "web-0", "web-1"))
	tu.run("exec", "web-0", "--", "ps", "aux")
	tu.run("exec", "web-0", "--", "sh", "-c", "vi /usr/share/nginx/html/index.html")
	tu.run("exec", "web-0", "--", "sh", "-c", "echo hi > /usr/share/nginx/html/index.html")
	tu.run("cp", "web-0:/usr/share/nginx/html/index.html", "index.html")
	tu.run("top", "pod")

	got := surfaceMasks(mask(tu.transcript.String()))
	compareGolden(t, "testdata/kubectl-surface.golden", got)
}

// surfaceMasks hides what -o yaml/json shows beyond kubectl's tables: resourceVersions and
// timestamps (they follow the simulated clock, which runs as fast as the test drives it).
func surfaceMasks(s string) string {
	for _, m := range []struct{ re, with string }{
		{`(resourceVersion"?: )"\d+"`, `$1"<rv>"`},
		{`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`, "<time>"},
		{`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000`, "<time>"},
		{`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`, "<time>"},
		{`(containerd://|sha256:)[0-9a-f]{64}`, "$1<id>"},
	} {
		s = regexp.MustCompile(m.re).ReplaceAllString(s, m.with)
	}
	return s
}
