package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// deployObjects decodes every document of deploy/*.yaml into kind → raw documents.
func deployObjects(t *testing.T) map[string][][]byte {
	t.Helper()
	files, err := filepath.Glob("deploy/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy/*.yaml: %v", err)
	}
	out := map[string][][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
		for {
			var raw map[string]any
			if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if raw == nil {
				continue
			}
			kind, _ := raw["kind"].(string)
			doc, err := json.Marshal(raw)
			if err != nil {
				t.Fatal(err)
			}
			out[kind] = append(out[kind], doc)
		}
	}
	return out
}

// allows reports whether rules grant verb on group/resource.
func allows(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if !has(r.APIGroups, group) || !has(r.Resources, resource) {
			continue
		}
		if has(r.Verbs, verb) || has(r.Verbs, "*") {
			return true
		}
	}
	return false
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The front end holds every permission the lesson Role grants (RBAC lets it create the Role
// only then, since it has no `escalate`), and never escalate or bind. The lesson Role is
// engine's lessonRules of every lesson's commands: every verb on each resource the lessons
// use, the verb and get on each subresource, and what every lesson needs (pods, logs, exec,
// events). If a lesson starts using a new resource, this test names it.
func TestDeployClusterRoleCoversTheLessonRole(t *testing.T) {
	objs := deployObjects(t)
	var role *rbacv1.ClusterRole
	for _, doc := range objs["ClusterRole"] {
		var cr rbacv1.ClusterRole
		if err := json.Unmarshal(doc, &cr); err != nil {
			t.Fatal(err)
		}
		if cr.Name == "kubetutor-classroom" {
			role = &cr
		}
	}
	if role == nil {
		t.Fatal("deploy/ has no ClusterRole kubetutor-classroom")
	}
	lib, err := lessons.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	for _, lang := range []string{"en", "ko"} {
		for _, n := range engine.LessonNeeds(allCommands(lib.Catalog(lang))) {
			if n.ClusterWide {
				continue
			}
			if n.Subresource != "" {
				for _, v := range []string{n.Verb, "get"} {
					if !allows(role.Rules, n.Group, n.Resource+"/"+n.Subresource, v) {
						t.Errorf("the front end cannot grant %s on %s/%s (group %q)", v, n.Resource, n.Subresource, n.Group)
					}
				}
				continue
			}
			for _, v := range all {
				if !allows(role.Rules, n.Group, n.Resource, v) {
					t.Errorf("the front end cannot grant %s on %s (group %q)", v, n.Resource, n.Group)
				}
			}
		}
	}
	for _, x := range []struct{ g, r, v string }{
		{"", "pods", "watch"}, {"", "pods/log", "get"}, {"", "pods/exec", "get"}, {"", "pods/exec", "create"},
		{"", "events", "watch"}, {"events.k8s.io", "events", "list"},
		{"", "nodes", "list"}, {"", "persistentvolumes", "watch"}, {"storage.k8s.io", "storageclasses", "get"}, {"", "namespaces", "watch"},
		{"", "serviceaccounts/token", "create"}, {"", "namespaces", "create"}, {"", "resourcequotas", "update"}, {"", "limitranges", "create"},
		{"rbac.authorization.k8s.io", "clusterroles", "patch"}, {"rbac.authorization.k8s.io", "roles", "update"},
	} {
		if !allows(role.Rules, x.g, x.r, x.v) {
			t.Errorf("the front end lacks %s on %s (group %q)", x.v, x.r, x.g)
		}
	}
	for _, r := range role.Rules {
		for _, v := range r.Verbs {
			if v == "escalate" || v == "bind" || v == "impersonate" || v == "*" {
				t.Errorf("the front end's ClusterRole grants %q on %v: least privilege says no", v, r.Resources)
			}
		}
		if has(r.Resources, "secrets") || has(r.Resources, "*") {
			t.Errorf("the front end's ClusterRole reaches %v", r.Resources)
		}
		if has(r.Resources, "namespaces") && has(r.Verbs, "delete") {
			t.Error("the front end may delete namespaces; cleanup is the instructor's")
		}
	}
}

// The Deployment runs the classroom in --real mode with flags the command has, and the
// namespaces and labels agree with the code.
func TestDeployDeploymentRunsTheRealClassroom(t *testing.T) {
	objs := deployObjects(t)
	if len(objs["Deployment"]) != 1 {
		t.Fatalf("deploy/ has %d Deployments", len(objs["Deployment"]))
	}
	var d appsv1.Deployment
	if err := json.Unmarshal(objs["Deployment"][0], &d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "classroom" || !has(c.Args, "--real") {
		t.Fatalf("the Deployment does not run `classroom --real`: %v", c.Args)
	}
	cmd := newClassroomCmd(io.Discard)
	if err := cmd.ParseFlags(c.Args[1:]); err != nil {
		t.Fatalf("the Deployment's flags: %v", err)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("replicas = %v: the point is several front ends", d.Spec.Replicas)
	}
	if sc := c.SecurityContext; sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("the container's root filesystem is writable")
	}
	if d.Namespace != "kubetutor" || strings.HasPrefix(d.Namespace, "kubetutor-") {
		t.Errorf("the front end's namespace %q could be a student's", d.Namespace)
	}
	if classroom.LabelManagedBy != engine.LabelManagedBy || classroom.ManagedBy != engine.ManagedByValue {
		t.Error("classroom's and engine's managed-by labels differ: cleanup would miss what engine made")
	}
}

func TestClassroomRealFlags(t *testing.T) {
	base := []string{"classroom", "--host-key", "k", "--instructors", "i", "--students", "s"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append(base, "--quota-pods", "3"), "--quota-pods is for a class on a real cluster: add --real"},
		{append(base, "--class", "ws1"), "--class is for a class on a real cluster"},
		{append(base, "--real", "--state", "d"), "--state is for simulator classes"},
		{append(base, "--real", "--quota-cpu", "lots"), `--quota-cpu "lots"`},
		{append(base, "--real", "--quota-pods", "0"), "pods and objects must be at least 1"},
		{append(base, "--real", "--class", "Bad_Name"), `--class "Bad_Name"`},
		{[]string{"classroom", "cleanup", "--class", "-x"}, `--class "-x"`},
		{[]string{"classroom", "cleanup", "--quota-pods", "3"}, "does not take --quota-pods"},
		{[]string{"classroom", "report", "--real", "--state", "d"}, "--state is for simulator classes"},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"classroom", "cleanup", "-h"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "--yes") {
		t.Errorf("classroom cleanup -h: exit %d, %q", code, out.String())
	}
}
