package conformance

// `kubetutor classroom --real` and deploy/ against the kit's real kube-apiserver: the
// manifests pass a server-side dry run, and a class runs end to end as the front end's own
// ServiceAccount from deploy/rbac.yaml (so its ClusterRole is proven enough, and its
// ValidatingAdmissionPolicy proven not in the way). The classroom's label and ConfigMap names
// are spelled out (classroom/real.go): importing the package would bring the player's UI
// libraries into this module.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsscheme "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/scheme"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	validatingpolicy "k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/openapi/resolver"
	"k8s.io/apiserver/pkg/quota/v1/generic"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	k8sscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/kubernetes/pkg/controller"
	resourcequotacontroller "k8s.io/kubernetes/pkg/controller/resourcequota"
	vapstatus "k8s.io/kubernetes/pkg/controller/validatingadmissionpolicystatus"
	generatedopenapi "k8s.io/kubernetes/pkg/generated/openapi"
	quotainstall "k8s.io/kubernetes/pkg/quota/v1/install"

	"github.com/kubetutor/kubetutor/conformance/kit"
)

const realKubectl = "/usr/bin/kubectl"

func needKubectl(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(realKubectl); err != nil {
		t.Fatalf("this test needs the real kubectl at %s (apt-get install kubectl): %v", realKubectl, err)
	}
}

func kubectl(t *testing.T, kubeconfig string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(realKubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestDeployManifestsDryRunOnTheKit: every object of deploy/ passes the real API server's
// validation and admission (server-side dry run). Namespaced objects need their namespace to
// exist, so deploy/namespace.yaml is applied first, for real.
func TestDeployManifestsDryRunOnTheKit(t *testing.T) {
	needKubectl(t)
	c := kit.Start(t)
	if out, err := kubectl(t, c.Kubeconfig, "apply", "-f", "../deploy/namespace.yaml"); err != nil {
		t.Fatalf("applying deploy/namespace.yaml: %v\n%s", err, out)
	}
	out, err := kubectl(t, c.Kubeconfig, "apply", "--dry-run=server", "-f", "../deploy/")
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server -f deploy/: %v\n%s", err, out)
	}
	for _, want := range []string{
		"serviceaccount/kubetutor-classroom", "clusterrole.rbac.authorization.k8s.io/kubetutor-classroom",
		"clusterrolebinding.rbac.authorization.k8s.io/kubetutor-classroom", "secret/kubetutor-classroom",
		"deployment.apps/kubetutor-classroom", "service/kubetutor-classroom",
		"validatingadmissionpolicy.admissionregistration.k8s.io/kubetutor-classroom-confine",
		"validatingadmissionpolicybinding.admissionregistration.k8s.io/kubetutor-classroom-confine",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run did not cover %s:\n%s", want, out)
		}
	}
	// A dry run persists nothing.
	if _, err := c.Kube.AppsV1().Deployments("kubetutor").Get(context.Background(), "kubetutor-classroom", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the dry run created the Deployment: %v", err)
	}
}

// startQuotaController runs the real ResourceQuota controller beside the kit (which does not
// run it): quota admission refuses every pod in a namespace whose quota has no status yet.
func startQuotaController(t *testing.T, ctx context.Context, cfg *rest.Config) {
	t.Helper()
	rc := rest.AddUserAgent(rest.CopyConfig(cfg), "resourcequota-controller")
	client := kubernetes.NewForConfigOrDie(rc)
	inf := informers.NewSharedInformerFactory(client, 0)
	metaInf := metadatainformer.NewSharedInformerFactory(metadata.NewForConfigOrDie(rc), 0)
	qc, err := quotainstall.NewQuotaConfigurationForControllers(generic.ListerFuncForResourceFunc(inf.ForResource), inf)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	discover := client.Discovery().ServerPreferredNamespacedResources
	rq, err := resourcequotacontroller.NewController(ctx, &resourcequotacontroller.ControllerOptions{
		QuotaClient: client.CoreV1(), ResourceQuotaInformer: inf.Core().V1().ResourceQuotas(),
		ResyncPeriod: controller.StaticResyncPeriodFunc(time.Minute), Registry: generic.NewRegistry(qc.Evaluators()),
		DiscoveryFunc: discover, IgnoredResourcesFunc: qc.IgnoredResources, InformersStarted: started,
		InformerFactory:           informerfactory.NewInformerFactory(inf, metaInf),
		ReplenishmentResyncPeriod: controller.StaticResyncPeriodFunc(time.Hour), UpdateFilter: quotainstall.DefaultUpdateFilter(),
	})
	if err != nil {
		t.Fatal(err)
	}
	inf.Start(ctx.Done())
	metaInf.Start(ctx.Done())
	close(started)
	go rq.Run(ctx, 2)
	go rq.Sync(ctx, discover, 30*time.Second)
}

// startPolicyStatusController runs the real ValidatingAdmissionPolicy status controller beside
// the kit (kube-controller-manager runs it on a cluster; the kit does not): it type-checks a
// policy's CEL against the resources it matches and records the result in the status.
func startPolicyStatusController(t *testing.T, ctx context.Context, cfg *rest.Config) {
	t.Helper()
	rc := rest.AddUserAgent(rest.CopyConfig(cfg), "validatingadmissionpolicy-status-controller")
	client := kubernetes.NewForConfigOrDie(rc)
	cached := memory.NewMemCacheClient(client.Discovery())
	checker := &validatingpolicy.TypeChecker{
		SchemaResolver: resolver.NewDefinitionsSchemaResolver(generatedopenapi.GetOpenAPIDefinitions, k8sscheme.Scheme, apiextensionsscheme.Scheme).
			Combine(&resolver.ClientDiscoveryResolver{Discovery: client.Discovery()}),
		RestMapper: restmapper.NewDeferredDiscoveryRESTMapper(cached),
	}
	inf := informers.NewSharedInformerFactory(client, 0)
	sc, err := vapstatus.NewController(inf.Admissionregistration().V1().ValidatingAdmissionPolicies(),
		client.AdmissionregistrationV1().ValidatingAdmissionPolicies(), checker)
	if err != nil {
		t.Fatal(err)
	}
	inf.Start(ctx.Done())
	go sc.Run(ctx, 1)
}

// tokenKubeconfig is the kit's kubeconfig with a ServiceAccount's token instead of the admin.
func tokenKubeconfig(t *testing.T, ctx context.Context, c *kit.Cluster, ns, sa, path string) {
	t.Helper()
	ttl := int64(3600)
	tr, err := c.Kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.LoadFromFile(c.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ai := kc.AuthInfos["kit"]
	ai.ClientCertificateData, ai.ClientKeyData, ai.Token = nil, nil, tr.Status.Token
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
}

// saClient is a client that carries a ServiceAccount's token: what a student's kubectl sends.
func saClient(t *testing.T, ctx context.Context, c *kit.Cluster, ns, sa string) kubernetes.Interface {
	t.Helper()
	ttl := int64(3600)
	tr, err := c.Kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &ttl}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(c.Config)
	cfg.BearerToken = tr.Status.Token
	return kubernetes.NewForConfigOrDie(cfg)
}

// buildKubetutor builds the player binary from the main module (KUBETUTOR_BIN names one
// already built from this checkout, to save the link when iterating).
func buildKubetutor(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KUBETUTOR_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "kubetutor")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building kubetutor: %v\n%s", err, out)
	}
	return bin
}

// frontEnd is one `kubetutor classroom --real` process.
type frontEnd struct {
	cmd  *exec.Cmd
	addr string
	out  *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listenRE = regexp.MustCompile(`kubetutor classroom on (127\.0\.0\.1:\d+)`)

func startFrontEnd(t *testing.T, bin string, args ...string) *frontEnd {
	t.Helper()
	fe := &frontEnd{cmd: exec.Command(bin, append([]string{"classroom", "--real", "--listen", "127.0.0.1:0"}, args...)...),
		out: &syncBuffer{}, done: make(chan error, 1)}
	fe.cmd.Stdout, fe.cmd.Stderr = fe.out, fe.out
	if err := fe.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { fe.done <- fe.cmd.Wait() }()
	t.Cleanup(func() { fe.stop(t) })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listenRE.FindStringSubmatch(fe.out.String()); m != nil {
			fe.addr = m[1]
			return fe
		}
		select {
		case err := <-fe.done:
			fe.done <- err
			t.Fatalf("the classroom ended at start: %v\n%s", err, fe.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the classroom did not start listening:\n%s", fe.out.String())
		}
	}
}

// stop ends the process as Ctrl+C does (the class saves and closes its seats).
func (fe *frontEnd) stop(t *testing.T) {
	if fe.cmd.ProcessState != nil {
		return
	}
	_ = fe.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-fe.done:
		fe.done <- err
	case <-time.After(30 * time.Second):
		_ = fe.cmd.Process.Kill()
		t.Errorf("the classroom did not end within 30 s of an interrupt")
		<-fe.done
	}
}

// student is one SSH client with a pty; screen is everything it received, without escapes.
type student struct {
	client *gossh.Client
	in     io.WriteCloser
	out    syncBuffer
	closed chan struct{}
}

func sshKey(t *testing.T) (gossh.Signer, string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, string(gossh.MarshalAuthorizedKey(s.PublicKey()))
}

func connect(t *testing.T, addr, user string, key gossh.Signer) *student {
	t.Helper()
	client, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: user, Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("%s connecting: %v", user, err)
	}
	t.Cleanup(func() { client.Close() })
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	_ = sess.Setenv("LANG", "en_US.UTF-8")
	s := &student{client: client, closed: make(chan struct{})}
	sess.Stdout, sess.Stderr = &s.out, &s.out
	if s.in, err = sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 40, 160, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = sess.Wait(); close(s.closed) }()
	return s
}

func (s *student) screen() string { return ansi.Strip(s.out.String()) }

func (s *student) keys(t *testing.T, k string) {
	t.Helper()
	if _, err := io.WriteString(s.in, k); err != nil {
		t.Fatalf("typing %q: %v", k, err)
	}
}

// dump writes everything the student received to $CLASSROOM_E2E_DUMP/WHO.txt, when set: the
// failure message shows only the end, and a redrawn screen is hard to read from it.
func (s *student) dump(t *testing.T, who string) {
	dir := os.Getenv("CLASSROOM_E2E_DUMP")
	if dir == "" {
		return
	}
	p := filepath.Join(dir, strings.ReplaceAll(who, " ", "-")+".txt")
	if err := os.WriteFile(p, []byte(s.out.String()), 0o644); err != nil {
		t.Logf("dumping %s's screen: %v", who, err)
	}
}

// podRow is a web pod's row in a watch pane or kubectl get: the name, then READY.
var podRow = regexp.MustCompile(`web-[01]\s+[01]/1\s`)

// waitRE polls what the student received until re matches it (after mark).
func (s *student) waitRE(t *testing.T, who string, re *regexp.Regexp, mark int) {
	t.Helper()
	s.waitFor(t, who, re.String(), re.MatchString, mark)
}

// wait polls what the student received until it holds want (after mark, an offset into it).
func (s *student) wait(t *testing.T, who, want string, mark int) {
	t.Helper()
	s.waitFor(t, who, strconv.Quote(want), func(sc string) bool { return strings.Contains(sc, want) }, mark)
}

// waitFor polls what the student received until holds is true of it (after mark), for at
// most 90 s; what names the awaited text in the failure.
func (s *student) waitFor(t *testing.T, who, what string, holds func(string) bool, mark int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		sc := s.screen()
		if mark > len(sc) {
			mark = len(sc)
		}
		if holds(sc[mark:]) {
			return
		}
		if time.Now().After(deadline) {
			tail := sc
			if len(tail) > 3000 {
				tail = tail[len(tail)-3000:]
			}
			s.dump(t, who)
			t.Fatalf("%s never saw %s; last output:\n%s", who, what, tail)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClassroomRealEndToEnd runs a --real class on the kit as deploy/'s ServiceAccount: two
// students play the first steps of StatefulSet Basics, each in their own namespace; RBAC
// keeps each out of the other's; the quota and the LimitRange apply; progress is written to
// the student's ConfigMap; a second front end serves a reconnecting student with their step
// and lists both; the report reads the cluster; cleanup leaves nothing of the class.
func TestClassroomRealEndToEnd(t *testing.T) {
	needKubectl(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	c := kit.Start(t)
	startQuotaController(t, ctx, c.Config)
	startPolicyStatusController(t, ctx, c.Config)
	bin := buildKubetutor(t)
	dir := t.TempDir()

	// The front end runs with deploy/'s ServiceAccount and ClusterRole, nothing more.
	for _, f := range []string{"namespace.yaml", "rbac.yaml"} {
		if out, err := kubectl(t, c.Kubeconfig, "apply", "-f", "../deploy/"+f); err != nil {
			t.Fatalf("applying deploy/%s: %v\n%s", f, err, out)
		}
	}
	// The policy's CEL type-checks against every resource it matches (the server records
	// problems in its status).
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := c.Kube.AdmissionregistrationV1().ValidatingAdmissionPolicies().Get(ctx, "kubetutor-classroom-confine", metav1.GetOptions{})
		if err != nil || p.Status.TypeChecking == nil {
			return false, nil
		}
		if len(p.Status.TypeChecking.ExpressionWarnings) > 0 {
			return false, fmt.Errorf("type checking: %+v", p.Status.TypeChecking.ExpressionWarnings)
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("the ValidatingAdmissionPolicy: %v", err)
	}
	feKubeconfig := filepath.Join(dir, "front-end.kubeconfig")
	tokenKubeconfig(t, ctx, c, "kubetutor", "kubetutor-classroom", feKubeconfig)
	// RBAC lets the front end write ConfigMaps and Roles anywhere (student namespaces are made
	// on the fly); the policy keeps those writes to namespaces a class owns.
	feCfg, err := clientcmd.BuildConfigFromFlags("", feKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	feKube := kubernetes.NewForConfigOrDie(feCfg)
	// The API server loads a new policy into admission asynchronously; until it has, writes
	// pass. Dry runs go through admission without leaving anything behind, so the test asks
	// with them until the policy answers (a refusal for another reason fails at once).
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := feKube.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, dry)
		switch {
		case err == nil:
			return false, nil
		case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "only what a class owns"):
			return true, nil
		default:
			return false, err
		}
	})
	if err != nil {
		t.Fatalf("the front end writing a ConfigMap in default: %v, want the policy's refusal", err)
	}
	if _, err := feKube.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("the front end writing a ConfigMap in default for real: %v, want Forbidden", err)
	}
	_, err = feKube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kubetutor-prod"}}, metav1.CreateOptions{})
	if !strings.Contains(fmt.Sprint(err), "only what a class owns") {
		t.Fatalf("the front end creating an unlabelled namespace: %v", err)
	}

	alice, aliceLine := sshKey(t)
	bob, bobLine := sshKey(t)
	teacher, teacherLine := sshKey(t)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	args := []string{"--kubeconfig", feKubeconfig, "--class", "e2e", "--host-key", filepath.Join(dir, "host_key"),
		"--students", write("students", aliceLine+bobLine), "--instructors", write("instructors", teacherLine),
		"--quota-pods", "3"}
	fe1 := startFrontEnd(t, bin, append(args, "--log", filepath.Join(dir, "fe1.log"))...)
	logs := func() string {
		b1, _ := os.ReadFile(filepath.Join(dir, "fe1.log"))
		b2, _ := os.ReadFile(filepath.Join(dir, "fe2.log"))
		return "front end 1:\n" + string(b1) + "\nfront end 2:\n" + string(b2)
	}
	defer func() {
		if t.Failed() {
			t.Log(logs())
		}
	}()

	a := connect(t, fe1.addr, "alice", alice)
	b := connect(t, fe1.addr, "bob", bob)
	a.wait(t, "alice", "StatefulSet Basics", 0)
	b.wait(t, "bob", "StatefulSet Basics", 0)
	for _, s := range []*student{a, b} {
		s.keys(t, "\r")
	}
	a.wait(t, "alice", "Step 1/", 0)
	b.wait(t, "bob", "Step 1/", 0)
	a.keys(t, "n")
	b.keys(t, "n")
	a.wait(t, "alice", "Step 2/", 0)
	b.wait(t, "bob", "Step 2/", 0)
	a.keys(t, "\r")
	a.wait(t, "alice", "statefulset.apps/web created", 0)

	// Alice's StatefulSet is in her namespace, and runs.
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Kube.CoreV1().Pods("kubetutor-alice").List(ctx, metav1.ListOptions{LabelSelector: "app=nginx"})
		if err != nil || len(pods.Items) < 2 {
			return false, nil
		}
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodRunning {
				return false, nil
			}
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("alice's web pods never ran in kubetutor-alice: %v", err)
	}
	if pods, _ := c.Kube.CoreV1().Pods("kubetutor-bob").List(ctx, metav1.ListOptions{}); len(pods.Items) != 0 {
		t.Fatalf("bob's namespace has pods he never made: %d", len(pods.Items))
	}
	// A pod's row in a watch pane (the lesson's text names web-0 too, so the row is matched
	// by its READY column): alice's pane shows hers, bob's none.
	a.waitRE(t, "alice", podRow, 0)
	if podRow.MatchString(b.screen()) {
		t.Fatalf("bob's screen shows alice's pods: %q", podRow.FindString(b.screen()))
	}

	// Each student's namespace holds their quota, limit range and lesson identity: the
	// ServiceAccount, a Role whose rules include the lesson's StatefulSets, and the binding of
	// one to the other (names from classroom/real.go and engine/rbac.go).
	for _, ns := range []string{"kubetutor-alice", "kubetutor-bob"} {
		if _, err := c.Kube.CoreV1().ResourceQuotas(ns).Get(ctx, "kubetutor-quota", metav1.GetOptions{}); err != nil {
			t.Errorf("%s's ResourceQuota: %v", ns, err)
		}
		if _, err := c.Kube.CoreV1().LimitRanges(ns).Get(ctx, "kubetutor-limits", metav1.GetOptions{}); err != nil {
			t.Errorf("%s's LimitRange: %v", ns, err)
		}
		if _, err := c.Kube.CoreV1().ServiceAccounts(ns).Get(ctx, "kubetutor-lesson", metav1.GetOptions{}); err != nil {
			t.Errorf("%s's ServiceAccount: %v", ns, err)
		}
		role, err := c.Kube.RbacV1().Roles(ns).Get(ctx, "kubetutor-lesson", metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s's Role: %v", ns, err)
		} else if !strings.Contains(fmt.Sprint(role.Rules), "statefulsets") {
			t.Errorf("%s's Role does not cover StatefulSets: %v", ns, role.Rules)
		}
		rb, err := c.Kube.RbacV1().RoleBindings(ns).Get(ctx, "kubetutor-lesson", metav1.GetOptions{})
		if err != nil {
			t.Errorf("%s's RoleBinding: %v", ns, err)
		} else if rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != "kubetutor-lesson" || len(rb.Subjects) != 1 ||
			rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Namespace != ns || rb.Subjects[0].Name != "kubetutor-lesson" {
			t.Errorf("%s's RoleBinding binds %+v to %+v", ns, rb.RoleRef, rb.Subjects)
		}
	}

	// The LimitRange gave the lesson's containers their requests.
	pod, err := c.Kube.CoreV1().Pods("kubetutor-alice").Get(ctx, "web-0", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := pod.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]; got.String() != "50m" {
		t.Errorf("web-0's CPU request = %s, want the LimitRange's 50m", got.String())
	}

	// RBAC, not only the guard: bob's identity cannot read alice's namespace, alice's can.
	bobKube := saClient(t, ctx, c, "kubetutor-bob", "kubetutor-lesson")
	if _, err := bobKube.CoreV1().Pods("kubetutor-alice").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("bob's ServiceAccount listing alice's pods: %v, want Forbidden", err)
	}
	if _, err := bobKube.CoreV1().Secrets("kubetutor-bob").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("bob's ServiceAccount listing Secrets: %v, want Forbidden (no lesson uses them)", err)
	}
	if _, err := bobKube.CoreV1().Pods("kubetutor-bob").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("bob's ServiceAccount in his own namespace: %v", err)
	}
	// Nor may it write outside any namespace: a namespace of its own, a ClusterRole to grant
	// itself more, or a binding to an existing one.
	if _, err := bobKube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bobs-own"}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("bob's ServiceAccount creating a namespace: %v, want Forbidden", err)
	}
	if _, err := bobKube.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "bob-all"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("bob's ServiceAccount creating a ClusterRole: %v, want Forbidden", err)
	}
	if _, err := bobKube.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "bob-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: "kubetutor-bob", Name: "kubetutor-lesson"}}}, metav1.CreateOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("bob's ServiceAccount binding itself to cluster-admin: %v, want Forbidden", err)
	}
	if err := bobKube.CoreV1().Nodes().Delete(ctx, "sim-node-1", metav1.DeleteOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("bob's ServiceAccount deleting a node: %v, want Forbidden", err)
	}
	// What bob types goes the same way: his command bar refuses alice's namespace before
	// anything is sent (and RBAC, above, would refuse it if it were).
	mark := len(b.screen())
	b.keys(t, ":")
	b.wait(t, "bob", "kubectl", mark)
	mark = len(b.screen())
	b.keys(t, "kubectl get pods -n kubetutor-alice")
	b.wait(t, "bob", "kubetutor-alice", mark)
	mark = len(b.screen())
	b.keys(t, "\r")
	b.wait(t, "bob", "would reach", mark)
	b.keys(t, "\x1b")
	aliceKube := saClient(t, ctx, c, "kubetutor-alice", "kubetutor-lesson")

	// The quota: 3 pods; web has 2, so one more fits and the next is refused.
	extra := func(name string) error {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}}}
		_, err := aliceKube.CoreV1().Pods("kubetutor-alice").Create(ctx, p, metav1.CreateOptions{})
		return err
	}
	if err := extra("extra-1"); err != nil {
		t.Fatalf("a third pod within the quota: %v", err)
	}
	if err := extra("extra-2"); err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Fatalf("a fourth pod over --quota-pods 3: %v", err)
	}
	big := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "big"}, Spec: corev1.PodSpec{
		Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100")},
				Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100")}}}}}}
	if _, err := bobKube.CoreV1().Pods("kubetutor-bob").Create(ctx, big, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Fatalf("a pod asking 100 CPUs: %v", err)
	}

	// Progress is in alice's ConfigMap: the lesson and her current step, step 2 ("create").
	// That save lands a second or two after the step changes on a busy machine; the second
	// front end below must read it after it has landed.
	var cmData string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		cm, err := c.Kube.CoreV1().ConfigMaps("kubetutor-alice").Get(ctx, "kubetutor-progress", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		cmData = cm.Data["progress.json"]
		return strings.Contains(cmData, `"statefulset-basics"`) && strings.Contains(cmData, `"step": "create"`), nil
	})
	if err != nil {
		t.Fatalf("alice's progress never reached her ConfigMap: %q", cmData)
	}
	ns, _ := c.Kube.CoreV1().Namespaces().Get(ctx, "kubetutor-alice", metav1.GetOptions{})
	if ns.Labels["app.kubernetes.io/managed-by"] != "kubetutor" || ns.Labels["kubetutor.dev/class"] != "e2e" {
		t.Errorf("alice's namespace labels: %v", ns.Labels)
	}

	// Alice drops and comes back through a second front end: same step, her pods still there.
	fe2 := startFrontEnd(t, bin, append(args, "--log", filepath.Join(dir, "fe2.log"))...)
	a.client.Close()
	<-a.closed
	// Bob's key cannot take alice's name at a front end that never saw her: the name is
	// bound to her key on her namespace.
	imp := connect(t, fe2.addr, "alice", bob)
	<-imp.closed
	if !strings.Contains(imp.screen(), "belongs to another student") {
		t.Fatalf("bob's key as alice at the second front end: %q", imp.screen())
	}
	a2 := connect(t, fe2.addr, "alice", alice)
	a2.wait(t, "alice at the second front end", "StatefulSet Basics", 0)
	a2.keys(t, "\r")
	a2.wait(t, "alice at the second front end", "Step 2/", 0)
	a2.waitRE(t, "alice at the second front end", podRow, 0)
	// The second front end's instructor lists both, bob read from the cluster.
	teach := connect(t, fe2.addr, "teacher", teacher)
	teach.wait(t, "the instructor", "2 students", 0)
	// Each row: the name, the lesson, then the step as "2/27 title" (classroom/instructor.go);
	// bob, never connected here, comes from his ConfigMap.
	teach.waitRE(t, "the instructor", regexp.MustCompile(`alice\s+StatefulSet Basics\s+2/\d+ `), 0)
	teach.waitRE(t, "the instructor", regexp.MustCompile(`bob\s+StatefulSet Basics\s+2/\d+ `), 0)
	fe1.stop(t)
	fe2.stop(t)

	// The report reads the cluster.
	rep, err := exec.Command(bin, "classroom", "report", "--real", "--kubeconfig", c.Kubeconfig, "--class", "e2e", "--format", "csv").CombinedOutput()
	if err != nil || !strings.Contains(string(rep), "alice,statefulset-basics") || !strings.Contains(string(rep), "bob,statefulset-basics") {
		t.Fatalf("classroom report --real: %v\n%s", err, rep)
	}

	// Cleanup: the plan, a refusal without an answer, then --yes; nothing of the class is left.
	cl := exec.Command(bin, "classroom", "cleanup", "--kubeconfig", c.Kubeconfig, "--class", "e2e")
	cl.Stdin = strings.NewReader("")
	out, err := cl.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "namespace/kubetutor-alice") || !strings.Contains(string(out), "clusterrole/kubetutor-read-kubetutor-bob") {
		t.Fatalf("cleanup without an answer: %v\n%s", err, out)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, "kubetutor-alice", metav1.GetOptions{}); err != nil {
		t.Fatalf("cleanup deleted without --yes: %v", err)
	}
	out, err = exec.Command(bin, "classroom", "cleanup", "--kubeconfig", c.Kubeconfig, "--class", "e2e", "--yes").CombinedOutput()
	if err != nil {
		t.Fatalf("cleanup --yes: %v\n%s", err, out)
	}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by" + "=kubetutor"}
	left := []string{}
	if l, _ := c.Kube.CoreV1().Namespaces().List(ctx, sel); l != nil {
		for _, o := range l.Items {
			left = append(left, "namespace/"+o.Name)
		}
	}
	if l, _ := c.Kube.RbacV1().ClusterRoles().List(ctx, sel); l != nil {
		for _, o := range l.Items {
			left = append(left, "clusterrole/"+o.Name)
		}
	}
	if l, _ := c.Kube.RbacV1().ClusterRoleBindings().List(ctx, sel); l != nil {
		for _, o := range l.Items {
			left = append(left, "clusterrolebinding/"+o.Name)
		}
	}
	for _, n := range []string{"kubetutor-alice", "kubetutor-bob"} {
		if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			left = append(left, "namespace/"+n+fmt.Sprintf(" (%v)", err))
		}
	}
	if len(left) > 0 {
		t.Fatalf("left after cleanup: %v\n%s", left, out)
	}
	if _, err := c.Kube.CoreV1().Namespaces().Get(ctx, "kubetutor", metav1.GetOptions{}); err != nil {
		t.Errorf("cleanup touched the front end's own namespace: %v", err)
	}
}
