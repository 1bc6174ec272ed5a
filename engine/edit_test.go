package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// scriptedEditor answers each opening of the editor with the next function of the script, and
// records what each opening showed.
type scriptedEditor struct {
	shown  []string
	script []func(string) string
}

func (e *scriptedEditor) edit(ctx context.Context, text []byte, ext string) ([]byte, error) {
	e.shown = append(e.shown, string(text))
	if len(e.shown) > len(e.script) {
		return nil, errors.New("the editor opened more often than the test expected")
	}
	return []byte(e.script[len(e.shown)-1](string(text))), nil
}

func runEdit(t *testing.T, s *Session, line string, e *scriptedEditor) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := s.RunKubectl(WithEditor(testCtx(t), e.edit), line, nil, &out, &errOut)
	return out.String(), errOut.String(), err
}

// noHostPrograms makes any program this test might start fail loudly: no PATH, and editors
// that name a program that does not exist.
func noHostPrograms(t *testing.T) {
	t.Setenv("PATH", "")
	t.Setenv("EDITOR", "/nonexistent/kubetutor-test-editor-must-not-run")
	t.Setenv("KUBE_EDITOR", "/nonexistent/kubetutor-test-editor-must-not-run")
}

const editSTS = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: registry.k8s.io/nginx-slim:0.8
`

func TestEditWithBuiltinEditorPatchesTheObject(t *testing.T) {
	s, _ := newTestSession(t)
	if _, errOut, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(editSTS)); err != nil {
		t.Fatalf("apply: %v %s", err, errOut)
	}
	noHostPrograms(t)
	e := &scriptedEditor{script: []func(string) string{func(s string) string {
		return strings.Replace(s, "replicas: 1", "replicas: 3", 1)
	}}}
	out, errOut, err := runEdit(t, s, "kubectl edit statefulset web", e)
	if err != nil {
		t.Fatalf("edit: %v\n%s%s", err, out, errOut)
	}
	if out != "statefulset.apps/web edited\n" {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
	if !strings.HasPrefix(e.shown[0], "# Please edit the object below.") || !strings.Contains(e.shown[0], "kind: StatefulSet") ||
		strings.Contains(e.shown[0], "managedFields") {
		t.Fatalf("the editor showed:\n%s", e.shown[0])
	}
	mustKubectl(t, s, "kubectl get statefulset web -o jsonpath={.spec.replicas}", "3")
}

func TestEditWithBuiltinEditorUnchangedIsCancelled(t *testing.T) {
	s, _ := newTestSession(t)
	if _, errOut, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(editSTS)); err != nil {
		t.Fatalf("apply: %v %s", err, errOut)
	}
	noHostPrograms(t)
	e := &scriptedEditor{script: []func(string) string{func(s string) string { return s }}}
	out, errOut, err := runEdit(t, s, "kubectl edit sts/web -o json", e)
	if err != nil || out != "" || errOut != "Edit cancelled, no changes made.\n" {
		t.Fatalf("err %v, stdout %q, stderr %q", err, out, errOut)
	}
	if !strings.HasPrefix(e.shown[0], "{") {
		t.Fatalf("-o json showed:\n%s", e.shown[0])
	}
}

func TestEditWithBuiltinEditorReopensInvalidText(t *testing.T) {
	s, _ := newTestSession(t)
	if _, errOut, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(editSTS)); err != nil {
		t.Fatalf("apply: %v %s", err, errOut)
	}
	noHostPrograms(t)
	e := &scriptedEditor{script: []func(string) string{
		func(s string) string { return strings.Replace(s, "replicas: 1", "replicas: [1", 1) },  // not YAML
		func(s string) string { return strings.Replace(s, "replicas: [1", "replicas: -2", 1) }, // refused by the server
		func(s string) string { return strings.Replace(s, "replicas: -2", "replicas: 2", 1) },
	}}
	out, errOut, err := runEdit(t, s, "kubectl edit statefulset web", e)
	if err != nil {
		t.Fatalf("edit: %v\n%s%s", err, out, errOut)
	}
	if len(e.shown) != 3 {
		t.Fatalf("the editor opened %d times", len(e.shown))
	}
	if !strings.Contains(e.shown[1], "# * : The edited file failed validation: yaml:") || !strings.Contains(e.shown[1], "replicas: [1") {
		t.Fatalf("reopened after the syntax error:\n%s", e.shown[1])
	}
	if !strings.Contains(e.shown[2], `# statefulsets.apps "web" was not valid:`) || !strings.Contains(e.shown[2], "# * spec.replicas") {
		t.Fatalf("reopened after the invalid object:\n%s", e.shown[2])
	}
	if !strings.Contains(errOut, `error: statefulsets.apps "web" is invalid`) || !strings.HasSuffix(out, "statefulset.apps/web edited\n") {
		t.Fatalf("stdout %q, stderr %q", out, errOut)
	}
	mustKubectl(t, s, "kubectl get statefulset web -o jsonpath={.spec.replicas}", "2")
}

func TestEditWithoutEditorStaysRefused(t *testing.T) {
	s, _ := newTestSession(t)
	noHostPrograms(t)
	for _, line := range []string{"kubectl edit statefulset web", "kubectl apply edit-last-applied statefulset web"} {
		if _, _, err := kubectl(t, s, line); err == nil || !strings.Contains(err.Error(), "text editor") {
			t.Errorf("%s: %v", line, err)
		}
	}
}

func TestEditLastAppliedWithBuiltinEditor(t *testing.T) {
	s, _ := newTestSession(t)
	if _, errOut, err := kubectlIn(t, s, "kubectl apply -f -", strings.NewReader(editSTS)); err != nil {
		t.Fatalf("apply: %v %s", err, errOut)
	}
	noHostPrograms(t)
	e := &scriptedEditor{script: []func(string) string{func(s string) string {
		return strings.Replace(s, "replicas: 1", "replicas: 4", 1)
	}}}
	out, errOut, err := runEdit(t, s, "kubectl apply edit-last-applied statefulset web", e)
	if err != nil || out != "statefulset.apps/web edited\n" {
		t.Fatalf("err %v, stdout %q, stderr %q\nshown:\n%s", err, out, errOut, e.shown)
	}
	// The annotation changed, not the object: that is what edit-last-applied does.
	last, _, err := kubectl(t, s, "kubectl apply view-last-applied statefulset web -o json")
	if err != nil || !strings.Contains(last, `"replicas": 4`) {
		t.Fatalf("last applied: %v\n%s", err, last)
	}
	mustKubectl(t, s, "kubectl get statefulset web -o jsonpath={.spec.replicas}", "1")
}
