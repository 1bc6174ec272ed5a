package engine

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitCommandLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"kubectl get pods -l app=nginx", []string{"kubectl", "get", "pods", "-l", "app=nginx"}},
		{"  kubectl\tget   po  ", []string{"kubectl", "get", "po"}},
		{`kubectl patch sts web -p '{"spec":{"replicas":3}}'`,
			[]string{"kubectl", "patch", "sts", "web", "-p", `{"spec":{"replicas":3}}`}},
		{`kubectl patch statefulset web --type='json' -p='[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"gcr.io/google_containers/nginx-slim:0.8"}]'`,
			[]string{"kubectl", "patch", "statefulset", "web", "--type=json",
				`-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value":"gcr.io/google_containers/nginx-slim:0.8"}]`}},
		{`kubectl get po web-0 --template '{{range $i, $c := .spec.containers}}{{$c.image}}{{end}}'`,
			[]string{"kubectl", "get", "po", "web-0", "--template", `{{range $i, $c := .spec.containers}}{{$c.image}}{{end}}`}},
		{`kubectl exec web-0 -- sh -c "echo \"hi\" \\ there"`,
			[]string{"kubectl", "exec", "web-0", "--", "sh", "-c", `echo "hi" \ there`}},
		{`kubectl annotate po web-0 a=b\ c`, []string{"kubectl", "annotate", "po", "web-0", "a=b c"}},
		{"kubectl get \\\n  pods", []string{"kubectl", "get", "pods"}},
		{`kubectl get pods -o jsonpath="{.items[*].metadata.name}"`,
			[]string{"kubectl", "get", "pods", "-o", "jsonpath={.items[*].metadata.name}"}},
		{`kubectl label po web-0 x=''`, []string{"kubectl", "label", "po", "web-0", "x="}},
		{`kubectl get pods # all of them`, []string{"kubectl", "get", "pods"}},
		{`kubectl get pods a#b`, []string{"kubectl", "get", "pods", "a#b"}},
		{`kubectl get pods -l 'app in (nginx)'`, []string{"kubectl", "get", "pods", "-l", "app in (nginx)"}},
		{"", nil},
	} {
		got, err := SplitCommandLine(tc.line)
		if err != nil {
			t.Errorf("SplitCommandLine(%q): %v", tc.line, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitCommandLine(%q)\n got %q\nwant %q", tc.line, got, tc.want)
		}
	}
}

func TestSplitCommandLineRefusesShell(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{`kubectl get pods -l 'app=nginx`, "unterminated single quote"},
		{`kubectl patch -p "{`, "unterminated double quote"},
		{`kubectl get pods | grep web`, "pipes"},
		{`for p in 0 1 2; do kubectl get po web-$p; done`, "pipes"},
		{`kubectl get pods > out.txt`, "pipes"},
		{`kubectl get po web-$p`, "shell expansion"},
		{`kubectl get po "$(hostname)"`, "shell expansion"},
		{"kubectl get po `hostname`", "command substitution"},
		{`kubectl get pods \`, "lone backslash"},
	} {
		_, err := SplitCommandLine(tc.line)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SplitCommandLine(%q) error = %v, want it to mention %q", tc.line, err, tc.want)
		}
	}
}
