package api_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubectlServerSideApply drives `kubectl apply --server-side` through create, update,
// a conflict with another field manager and --force-conflicts, as a real apiserver answers.
func TestKubectlServerSideApply(t *testing.T) {
	k := newKubectlEnv(t)
	write := func(replicas string) {
		t.Helper()
		y := strings.Replace(webYAML, "replicas: 2", "replicas: "+replicas, 1)
		if err := os.WriteFile(filepath.Join(k.dir, "web.yaml"), []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	replicas := func() string {
		t.Helper()
		return strings.TrimSpace(k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.spec.replicas}"))
	}

	write("2")
	out := k.mustRun(t, "apply", "--server-side", "-f", "web.yaml")
	for _, want := range []string{"service/nginx serverside-applied", "statefulset.apps/web serverside-applied"} {
		if !strings.Contains(out, want) {
			t.Fatalf("first apply: want %q in:\n%s", want, out)
		}
	}
	if got := replicas(); got != "2" {
		t.Fatalf("replicas after create = %q, want 2", got)
	}

	rv := k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.metadata.resourceVersion}")
	if out := k.mustRun(t, "apply", "--server-side", "-f", "web.yaml"); !strings.Contains(out, "statefulset.apps/web serverside-applied") {
		t.Fatalf("unchanged apply: %s", out)
	}
	if got := k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.metadata.resourceVersion}"); got != rv {
		t.Fatalf("an apply that changes nothing moved resourceVersion %s to %s", rv, got)
	}

	write("3")
	k.mustRun(t, "apply", "--server-side", "-f", "web.yaml")
	if got := replicas(); got != "3" {
		t.Fatalf("replicas after second apply = %q, want 3", got)
	}

	k.mustRun(t, "scale", "sts", "web", "--replicas=5")
	// kubectl scale sends no fieldManager, so the apiserver names it after the User-Agent
	// ("kubectl") and records spec.replicas under the scale subresource. Another manager
	// applying only the replica count conflicts with that owner.
	const mine = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: web\nspec:\n  replicas: 4\n"
	if err := os.WriteFile(filepath.Join(k.dir, "mine.yaml"), []byte(mine), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := k.run(t, "apply", "--server-side", "--field-manager=other", "-f", "mine.yaml")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("apply by another manager: err %v, want exit code 1\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	for _, want := range []string{"error: Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas", ": .spec.replicas", "--force-conflicts"} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("conflict: want %q in stderr:\n%s", want, stderr)
		}
	}
	if got := replicas(); got != "5" {
		t.Fatalf("a refused apply changed replicas to %q", got)
	}

	k.mustRun(t, "apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", "mine.yaml")
	if got := replicas(); got != "4" {
		t.Fatalf("replicas after --force-conflicts = %q, want 4", got)
	}
	// The first manager lost the field: applying its own file again now conflicts with "other".
	_, stderr, err = k.run(t, "apply", "--server-side", "-f", "web.yaml")
	if err == nil || !strings.Contains(stderr, `conflict with "other": .spec.replicas`) {
		t.Fatalf("re-apply by kubectl: err %v, want a conflict with \"other\"; stderr:\n%s", err, stderr)
	}

	y := k.mustRun(t, "get", "sts", "web", "-o", "yaml", "--show-managed-fields")
	for _, want := range []string{"managedFields:", "manager: other", "operation: Apply", "manager: kubectl", "f:replicas: {}", "fieldsType: FieldsV1"} {
		if !strings.Contains(y, want) {
			t.Fatalf("managedFields: want %q in:\n%s", want, y)
		}
	}
	if y := k.mustRun(t, "get", "sts", "web", "-o", "yaml"); strings.Contains(y, "managedFields") {
		t.Fatalf("managedFields shown without --show-managed-fields:\n%s", y)
	}
}

// TestKubectlManagedFieldsOfUpdates: ordinary writes record their manager (operation Update)
// under the name kubectl sends, as a real apiserver does.
func TestKubectlManagedFieldsOfUpdates(t *testing.T) {
	k := newKubectlEnv(t)
	if err := os.WriteFile(filepath.Join(k.dir, "web.yaml"), []byte(webYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	k.mustRun(t, "create", "-f", "web.yaml")
	k.mustRun(t, "label", "sts", "web", "tier=web")
	y := k.mustRun(t, "get", "sts", "web", "-o", "yaml", "--show-managed-fields")
	for _, want := range []string{"manager: kubectl-create", "manager: kubectl-label", "operation: Update", "f:tier: {}", "f:serviceName: {}"} {
		if !strings.Contains(y, want) {
			t.Fatalf("want %q in:\n%s", want, y)
		}
	}
	// A label patch that changes nothing is still a no-op.
	rv := k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.metadata.resourceVersion}")
	k.mustRun(t, "label", "--overwrite", "sts", "web", "tier=web")
	if got := k.mustRun(t, "get", "sts", "web", "-o", "jsonpath={.metadata.resourceVersion}"); got != rv {
		t.Fatalf("a no-op label moved resourceVersion %s to %s", rv, got)
	}
}
