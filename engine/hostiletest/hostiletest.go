// Package hostiletest is the hostile-command corpus and the loop that runs it, shared by the
// engine's test on the simulator served as a cluster (guard alone) and the conformance
// module's test on a real kube-apiserver with RBAC. It does not import engine (engine's own
// tests use it): the caller hands in how to run a line and how to judge its refusal.
package hostiletest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

//go:embed hostile-commands.txt
var corpusText string

// MinLines is the least the corpus must hold (a guard against an accidentally cut file).
const MinLines = 60

// Corpus returns the corpus's command lines with the placeholders replaced (LESSON_NS,
// OTHER_NS, NODE, HOME_KUBECONFIG, EVIL_FILE, EVIL_DIR; see hostile-commands.txt).
func Corpus(repl map[string]string) []string {
	pairs := make([]string, 0, 2*len(repl))
	for k, v := range repl {
		pairs = append(pairs, k, v)
	}
	r := strings.NewReplacer(pairs...)
	var out []string
	sc := bufio.NewScanner(strings.NewReader(corpusText))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, r.Replace(line))
		}
	}
	return out
}

// EvilManifest is what the corpus's local files and standard input hold: a Namespace, and a
// ConfigMap for namespace other whose kind and namespace keys are doubled in another case.
func EvilManifest(other string) string {
	return "apiVersion: v1\nkind: Namespace\nmetadata: {name: evil}\n---\n" +
		`{"apiVersion":"v1","kind":"ConfigMap","Kind":"Namespace","metadata":{"name":"evil","namespace":"` + other +
		`","Namespace":"kube-system"}}` + "\n"
}

// Env is what the corpus reaches for on the host: a home kubeconfig with an admin "victim"
// context (if the in-process kubectl ever read it, --context victim would work), and a local
// manifest and kustomization folder.
type Env struct {
	Other          string // the namespace whose objects must survive
	HomeKubeconfig string
	EvilFile       string
	EvilDir        string
	kubeconfigs    []string
}

// Prepare builds the Env in a temporary folder from the learner's kubeconfig, and points
// HOME and KUBECONFIG at it for the rest of the test.
func Prepare(t *testing.T, learnerKubeconfig, other string) *Env {
	t.Helper()
	dir := t.TempDir()
	kc, err := clientcmd.LoadFromFile(learnerKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	kc.Contexts["victim"] = kc.Contexts[kc.CurrentContext]
	home := filepath.Join(dir, "home")
	e := &Env{Other: other, HomeKubeconfig: filepath.Join(home, ".kube", "config"),
		EvilDir: filepath.Join(dir, "evil"), kubeconfigs: []string{learnerKubeconfig}}
	e.kubeconfigs = append(e.kubeconfigs, e.HomeKubeconfig)
	e.EvilFile = filepath.Join(e.EvilDir, "evil.yaml")
	for _, d := range []string{filepath.Dir(e.HomeKubeconfig), e.EvilDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := clientcmd.WriteToFile(*kc, e.HomeKubeconfig); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", e.HomeKubeconfig)
	if err := os.WriteFile(e.EvilFile, []byte(EvilManifest(other)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(e.EvilDir, "kustomization.yaml"), []byte("resources: [evil.yaml]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// Corpus is the corpus for a lesson namespace and a node, with this Env's paths.
func (e *Env) Corpus(t *testing.T, lessonNS, node string) []string {
	t.Helper()
	c := Corpus(map[string]string{"LESSON_NS": lessonNS, "OTHER_NS": e.Other, "NODE": node,
		"HOME_KUBECONFIG": e.HomeKubeconfig, "EVIL_FILE": e.EvilFile, "EVIL_DIR": e.EvilDir})
	if len(c) < MinLines {
		t.Fatalf("the corpus has %d lines, want at least %d", len(c), MinLines)
	}
	return c
}

// KubeconfigSums fingerprints the learner's and the home kubeconfig.
func (e *Env) KubeconfigSums(t *testing.T) string {
	t.Helper()
	var out []string
	for _, p := range e.kubeconfigs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %x", p, sha256.Sum256(b)))
	}
	return strings.Join(out, "\n")
}

// RunFunc runs one kubectl line as the session under test does.
type RunFunc func(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error

// JudgeFunc says how a line that did not run was refused ("guard", "API server", …), or
// returns problem != "" when that refusal does not count (kubectl ran it, for instance).
type JudgeFunc func(line string, err error, errOut string) (how, problem string)

// Run runs every line of corpus with the evil manifest on standard input, fails the test
// for each line that ran or whose refusal judge rejects, and returns how many lines were
// refused each way.
func (e *Env) Run(t *testing.T, ctx context.Context, corpus []string, run RunFunc, judge JudgeFunc) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, line := range corpus {
		var out, errOut bytes.Buffer
		err := run(ctx, line, strings.NewReader(EvilManifest(e.Other)), &out, &errOut)
		if err == nil {
			t.Errorf("%s: ran:\n%s%s", line, out.String(), errOut.String())
			continue
		}
		how, problem := judge(line, err, errOut.String())
		if problem != "" {
			t.Errorf("%s: %s: %v %s", line, problem, err, errOut.String())
			continue
		}
		counts[how]++
	}
	for _, p := range []string{"/tmp/kubetutor-evil-copy", "/tmp/kubetutor-evil-dump", "/tmp/kubetutor-evil-cache"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	return counts
}

// Snapshot lists, with resourceVersions, everything a hostile command could change outside
// namespace skip (whose entry, with its labels, is kept but not its objects): namespaces and
// the objects in them, nodes, PersistentVolumes, StorageClasses, ClusterRoles and
// ClusterRoleBindings. Kinds a cluster does not serve are left out.
func Snapshot(t *testing.T, ctx context.Context, kube kubernetes.Interface, skip string) []string {
	t.Helper()
	var out []string
	add := func(kind, ns, name, rv string) {
		if ns != "" {
			name = ns + "/" + name
		}
		out = append(out, kind+"/"+name+"@"+rv)
	}
	nss, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		out = append(out, "namespace/"+n.Name+"@"+n.ResourceVersion+fmt.Sprint(n.Labels))
		if n.Name == skip {
			continue
		}
		if l, err := kube.CoreV1().ConfigMaps(n.Name).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				add("configmap", n.Name, o.Name, o.ResourceVersion)
			}
		}
		if l, err := kube.CoreV1().Pods(n.Name).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				add("pod", n.Name, o.Name, o.ResourceVersion)
			}
		}
		if l, err := kube.CoreV1().Services(n.Name).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				add("service", n.Name, o.Name, o.ResourceVersion)
			}
		}
		if l, err := kube.AppsV1().StatefulSets(n.Name).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				add("statefulset", n.Name, o.Name, o.ResourceVersion)
			}
		}
		if l, err := kube.CoreV1().ServiceAccounts(n.Name).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				add("serviceaccount", n.Name, o.Name, o.ResourceVersion)
			}
		}
		if l, err := kube.RbacV1().RoleBindings(n.Name).List(ctx, metav1.ListOptions{}); err == nil {
			for _, o := range l.Items {
				add("rolebinding", n.Name, o.Name, o.ResourceVersion)
			}
		}
	}
	if l, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		for _, o := range l.Items {
			add("node", "", o.Name, o.ResourceVersion)
		}
	}
	if l, err := kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{}); err == nil {
		for _, o := range l.Items {
			add("pv", "", o.Name, o.ResourceVersion)
		}
	}
	if l, err := kube.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{}); err == nil {
		for _, o := range l.Items {
			add("storageclass", "", o.Name, o.ResourceVersion)
		}
	}
	if l, err := kube.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{}); err == nil {
		for _, o := range l.Items {
			add("clusterrole", "", o.Name, o.ResourceVersion)
		}
	}
	if l, err := kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{}); err == nil {
		for _, o := range l.Items {
			add("clusterrolebinding", "", o.Name, o.ResourceVersion)
		}
	}
	sort.Strings(out)
	return out
}

// Diff returns the lines only in a ("- ") and only in b ("+ "), in their order.
func Diff(a, b []string) []string {
	in := func(s []string) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var d []string
	for _, x := range a {
		if !mb[x] {
			d = append(d, "- "+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			d = append(d, "+ "+x)
		}
	}
	return d
}
