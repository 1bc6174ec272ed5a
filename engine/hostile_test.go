package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// evilManifest is what the corpus's local files and standard input hold: a Namespace, and a
// ConfigMap whose kind and namespace keys are doubled in another case.
const evilManifest = "apiVersion: v1\nkind: Namespace\nmetadata: {name: evil}\n---\n" +
	`{"apiVersion":"v1","kind":"ConfigMap","Kind":"Namespace","metadata":{"name":"evil","namespace":"OTHER","Namespace":"kube-system"}}` + "\n"

// loadHostileCorpus reads testdata/hostile-commands.txt with its placeholders replaced.
func loadHostileCorpus(t testing.TB, repl map[string]string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "hostile-commands.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pairs := make([]string, 0, 2*len(repl))
	for k, v := range repl {
		pairs = append(pairs, k, v)
	}
	r := strings.NewReplacer(pairs...)
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, r.Replace(line))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// clusterSnapshot lists, with resourceVersions, every namespace but skip and the objects in
// it, and the cluster-wide objects the simulator serves.
func clusterSnapshot(t *testing.T, ctx context.Context, kube kubernetes.Interface, skip string) []string {
	t.Helper()
	var out []string
	nss, err := kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		out = append(out, "namespace/"+n.Name+"@"+n.ResourceVersion+fmt.Sprint(n.Labels))
		if n.Name == skip {
			continue
		}
		cms, _ := kube.CoreV1().ConfigMaps(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range cms.Items {
			out = append(out, "configmap/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		pods, _ := kube.CoreV1().Pods(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range pods.Items {
			out = append(out, "pod/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		svcs, _ := kube.CoreV1().Services(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range svcs.Items {
			out = append(out, "service/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
		sets, _ := kube.AppsV1().StatefulSets(n.Name).List(ctx, metav1.ListOptions{})
		for _, o := range sets.Items {
			out = append(out, "sts/"+n.Name+"/"+o.Name+"@"+o.ResourceVersion)
		}
	}
	nodes, _ := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	for _, o := range nodes.Items {
		out = append(out, "node/"+o.Name+"@"+o.ResourceVersion)
	}
	pvs, _ := kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	for _, o := range pvs.Items {
		out = append(out, "pv/"+o.Name+"@"+o.ResourceVersion)
	}
	sort.Strings(out)
	return out
}

func fileSums(t *testing.T, paths ...string) []string {
	t.Helper()
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %x", p, sha256.Sum256(b)))
	}
	return out
}

// TestHostileCorpusOnServedSimulator runs the hostile corpus through the real-cluster path
// (a kubeconfig session in a lesson namespace) against the simulator served as a cluster.
// The simulator has no RBAC, so the session falls back to the guard alone: every line must
// be refused before it runs, and nothing outside the lesson namespace, no cluster-wide
// object and no kubeconfig file may change.
func TestHostileCorpusOnServedSimulator(t *testing.T) {
	ctx := testCtx(t)
	sim, _ := newTestSession(t)
	const other = "team-a"
	admin := sim.Kube()
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ConfigMaps(other).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "keep"}, Data: map[string]string{"a": "b"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Pods(other).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "keeper"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, sim)

	// The learner's kubeconfig, and a ~/.kube/config with an admin "victim" context: if the
	// in-process kubectl ever read it, --context victim would work.
	dir := t.TempDir()
	learnerKC := filepath.Join(dir, "learner.kubeconfig")
	if err := sim.WriteKubeconfig(learnerKC); err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.LoadFromFile(learnerKC)
	if err != nil {
		t.Fatal(err)
	}
	kc.Contexts["victim"] = kc.Contexts[kc.CurrentContext]
	home := filepath.Join(dir, "home")
	homeKC := filepath.Join(home, ".kube", "config")
	if err := os.MkdirAll(filepath.Dir(homeKC), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := clientcmd.WriteToFile(*kc, homeKC); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("KUBECONFIG", homeKC)
	evilDir := filepath.Join(dir, "evil")
	if err := os.MkdirAll(evilDir, 0o700); err != nil {
		t.Fatal(err)
	}
	evilFile := filepath.Join(evilDir, "evil.yaml")
	if err := os.WriteFile(evilFile, []byte(strings.ReplaceAll(evilManifest, "OTHER", other)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(evilDir, "kustomization.yaml"), []byte("resources: [evil.yaml]\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	s, err := NewKubeconfigSession(ctx, KubeconfigOptions{Path: learnerKC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	plan, err := s.PlanLessonNamespace(ctx, "statefulset-basics", "")
	if err != nil {
		t.Fatal(err)
	}
	plan.Commands = []string{"kubectl apply -f web.yaml", "kubectl scale sts web --replicas=5", "kubectl delete pvc -l app=nginx"}
	if err := s.EnterLessonNamespace(ctx, plan); err != nil {
		t.Fatal(err)
	}
	t.Logf("identity: %s", s.Identity())
	ns := plan.Namespace

	nodes, err := admin.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	corpus := loadHostileCorpus(t, map[string]string{"LESSON_NS": ns, "OTHER_NS": other, "NODE": nodes.Items[0].Name,
		"HOME_KUBECONFIG": homeKC, "EVIL_FILE": evilFile, "EVIL_DIR": evilDir})
	if len(corpus) < 60 {
		t.Fatalf("the corpus has %d lines, want at least 60", len(corpus))
	}
	before := clusterSnapshot(t, ctx, admin, ns)
	kcBefore := fileSums(t, learnerKC, homeKC)
	guarded := 0
	for _, line := range corpus {
		var out, errOut bytes.Buffer
		err := s.RunKubectl(ctx, line, strings.NewReader(strings.ReplaceAll(evilManifest, "OTHER", other)), &out, &errOut)
		var ge *GuardError
		switch {
		case err == nil:
			t.Errorf("%s: ran:\n%s%s", line, out.String(), errOut.String())
		case errors.As(err, &ge):
			guarded++
		default:
			// Refused otherwise: the shell-like splitter or kubectl's own parser.
			t.Logf("%s: %v %s", line, err, strings.TrimSpace(errOut.String()))
			var ke *KubectlError
			if errors.As(err, &ke) && !strings.Contains(errOut.String(), "unknown") {
				t.Errorf("%s: the guard let it through and kubectl ran it: %v %s", line, err, errOut.String())
			}
		}
	}
	waitIdle(t, sim)
	after := clusterSnapshot(t, ctx, admin, ns)
	if d := diffLines(before, after); d != "" {
		t.Errorf("objects outside the lesson namespace changed:\n%s", d)
	}
	if a, b := strings.Join(kcBefore, "\n"), strings.Join(fileSums(t, learnerKC, homeKC), "\n"); a != b {
		t.Errorf("a kubeconfig file changed:\n%s\n%s", a, b)
	}
	for _, p := range []string{"/tmp/kubetutor-evil-copy", "/tmp/kubetutor-evil-dump", "/tmp/kubetutor-evil-cache"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s was written", p)
		}
	}
	t.Logf("corpus: %d lines, %d refused by the guard, %d by kubectl's parser or the splitter", len(corpus), guarded, len(corpus)-guarded)
}

func diffLines(a, b []string) string {
	in := func(s []string) map[string]bool {
		m := map[string]bool{}
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
	return strings.Join(d, "\n")
}
