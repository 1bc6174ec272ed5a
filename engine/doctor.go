package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/manifests"
)

// Doctor check outcomes.
const (
	DoctorOK   = "ok"
	DoctorWarn = "warn"
	DoctorFail = "fail"
	DoctorSkip = "skip"
)

// DoctorCheck is one finding of Doctor: what was checked, how it went, and a plain fix.
type DoctorCheck struct {
	Name   string
	Status string // DoctorOK, DoctorWarn, DoctorFail, DoctorSkip
	Detail string
	Fix    string // empty when OK
}

// AccessNeed is one permission a lesson needs in its namespace (or cluster-wide).
type AccessNeed struct {
	Verb        string
	Group       string
	Resource    string
	Subresource string
	ClusterWide bool
}

func (a AccessNeed) String() string {
	r := a.Resource
	if a.Group != "" {
		r += "." + a.Group
	}
	if a.Subresource != "" {
		r += "/" + a.Subresource
	}
	return a.Verb + " " + r
}

// DoctorOptions say what the lesson needs.
type DoctorOptions struct {
	Namespace string       // the lesson namespace (LessonNamespaceName unless named)
	Needs     []AccessNeed // see LessonNeeds
	// Images the lesson's pods use. With PullTest, Doctor starts one short-lived pod per
	// image in Namespace (which must exist) and watches whether the node can pull it; only
	// with the learner's consent, since it changes the cluster.
	Images      []string
	PullTest    bool
	PullTimeout time.Duration // 0: two minutes
	// NeedsStorage: the lesson creates PVCs, so it needs a default StorageClass.
	NeedsStorage bool
}

// simulatorFix ends every failed check's fix: the simulator always works.
const simulatorFix = " Or play the lesson on the built-in simulator: run kubetutor without --kubeconfig/--context."

// Doctor checks that this (real) cluster can run a lesson: the server answers and its
// version, the learner may do everything the lesson does (SelfSubjectAccessReview), a default
// StorageClass exists, and (with consent) that the lesson's images can be pulled.
func (s *Session) Doctor(ctx context.Context, o DoctorOptions) []DoctorCheck {
	var out []DoctorCheck
	v, err := s.kube.Discovery().ServerVersion()
	if err != nil {
		return append(out, DoctorCheck{Name: "server", Status: DoctorFail,
			Detail: fmt.Sprintf("the server at %s does not answer: %v", s.cfg.Host, err),
			Fix: "Check the context (kubectl config current-context), that the cluster is running, and your network or VPN." +
				simulatorFix})
	}
	vc := DoctorCheck{Name: "server", Status: DoctorOK, Detail: fmt.Sprintf("%s answers, Kubernetes %s", s.cfg.Host, v.GitVersion)}
	var major, minor int
	if _, err := fmt.Sscanf(strings.TrimPrefix(v.GitVersion, "v"), "%d.%d", &major, &minor); err == nil && major == 1 && minor < 28 {
		vc.Status = DoctorWarn
		vc.Detail += "; before 1.28 pods have no apps.kubernetes.io/pod-index label and some output differs from the lesson"
		vc.Fix = "Use a cluster of Kubernetes 1.28 or later for identical output."
	}
	out = append(out, vc)

	out = append(out, s.doctorAccess(ctx, o)...)
	out = append(out, s.doctorIdentity(ctx, o))
	if o.NeedsStorage {
		out = append(out, s.doctorStorage(ctx))
	}
	if len(o.Images) > 0 {
		out = append(out, s.doctorImages(ctx, o)...)
	}
	return out
}

func (s *Session) doctorAccess(ctx context.Context, o DoctorOptions) []DoctorCheck {
	var denied []string
	var failed error
	for _, n := range o.Needs {
		ra := &authorizationv1.ResourceAttributes{Verb: n.Verb, Group: n.Group, Resource: n.Resource, Subresource: n.Subresource}
		if !n.ClusterWide {
			ra.Namespace = o.Namespace
		}
		r, err := s.kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: ra}},
			metav1.CreateOptions{})
		if err != nil {
			failed = err
			break
		}
		if !r.Status.Allowed {
			denied = append(denied, n.String())
		}
	}
	if failed != nil {
		return []DoctorCheck{{Name: "permissions", Status: DoctorWarn,
			Detail: fmt.Sprintf("could not ask the server what you may do: %v", failed),
			Fix:    "The lesson may stop at a step you are not allowed to do."}}
	}
	if len(denied) > 0 {
		return []DoctorCheck{{Name: "permissions", Status: DoctorFail,
			Detail: fmt.Sprintf("in namespace %q you may not: %s", o.Namespace, strings.Join(denied, ", ")),
			Fix: fmt.Sprintf("Ask your cluster admin for a Role in %q that allows these (or 'kubectl create rolebinding ... --clusterrole=edit'), "+
				"or pick a namespace where you have them with -n.", o.Namespace) + simulatorFix}}
	}
	return []DoctorCheck{{Name: "permissions", Status: DoctorOK,
		Detail: fmt.Sprintf("you may do all %d things the lesson does in %q", len(o.Needs), o.Namespace)}}
}

// doctorIdentity asks whether the learner may set up the lesson's own ServiceAccount and
// RBAC objects (rbac.go); without them the lesson runs on the guard alone, which it says.
func (s *Session) doctorIdentity(ctx context.Context, o DoctorOptions) DoctorCheck {
	var denied []string
	for _, n := range RBACNeeds() {
		ra := &authorizationv1.ResourceAttributes{Verb: n.Verb, Group: n.Group, Resource: n.Resource, Subresource: n.Subresource}
		if !n.ClusterWide {
			ra.Namespace = o.Namespace
		}
		r, err := s.kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: ra}},
			metav1.CreateOptions{})
		if err != nil {
			return DoctorCheck{Name: "lesson identity", Status: DoctorWarn,
				Detail: fmt.Sprintf("could not ask the server whether you may create RBAC objects: %v", err),
				Fix:    "If you may not, the lesson runs with your own credentials, limited by kubetutor's command guard only."}
		}
		if !r.Status.Allowed {
			denied = append(denied, n.String())
		}
	}
	if len(denied) > 0 {
		return DoctorCheck{Name: "lesson identity", Status: DoctorWarn,
			Detail: fmt.Sprintf("you may not give the lesson its own ServiceAccount (you may not: %s); "+
				"the lesson will run with your own credentials, limited by kubetutor's command guard only", strings.Join(denied, ", ")),
			Fix: "Ask your cluster admin for permission to create ServiceAccounts, Roles and RoleBindings in the lesson namespace " +
				"and a ClusterRole and ClusterRoleBinding, so the API server itself keeps the lesson inside its namespace."}
	}
	return DoctorCheck{Name: "lesson identity", Status: DoctorOK,
		Detail: fmt.Sprintf("the lesson will run as ServiceAccount %s/%s, which may change only %q", o.Namespace, LessonServiceAccount, o.Namespace)}
}

func (s *Session) doctorStorage(ctx context.Context) DoctorCheck {
	scs, err := s.kube.StorageV1().StorageClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return DoctorCheck{Name: "storage", Status: DoctorWarn,
			Detail: fmt.Sprintf("cannot list StorageClasses: %v", err),
			Fix:    "If the cluster has no default StorageClass, the lesson's PVCs stay Pending and its pods never start."}
	}
	var defaults, all []string
	for _, sc := range scs.Items {
		all = append(all, sc.Name)
		if sc.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" ||
			sc.Annotations["storageclass.beta.kubernetes.io/is-default-class"] == "true" {
			defaults = append(defaults, sc.Name+" ("+sc.Provisioner+")")
		}
	}
	sort.Strings(defaults)
	if len(defaults) == 0 {
		fix := "The lesson's PVCs would stay Pending and its pods would never start. Mark a StorageClass as default: " +
			"kubectl patch storageclass NAME -p '{\"metadata\":{\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}}}'"
		if len(all) == 0 {
			fix = "The cluster has no StorageClass at all, so the lesson's PVCs would stay Pending. Install a provisioner " +
				"(kind and k3s ship one; for others e.g. rancher/local-path-provisioner)."
		}
		return DoctorCheck{Name: "storage", Status: DoctorFail, Detail: "no default StorageClass", Fix: fix + simulatorFix}
	}
	return DoctorCheck{Name: "storage", Status: DoctorOK, Detail: "default StorageClass " + strings.Join(defaults, ", ")}
}

// pullFailures are container waiting reasons that mean the image will not come.
var pullFailures = map[string]bool{"ErrImagePull": true, "ImagePullBackOff": true, "InvalidImageName": true, "ErrImageNeverPull": true}

func (s *Session) doctorImages(ctx context.Context, o DoctorOptions) []DoctorCheck {
	if !o.PullTest {
		return []DoctorCheck{{Name: "images", Status: DoctorSkip,
			Detail: "not checked: " + strings.Join(o.Images, ", "),
			Fix:    "Run `kubetutor doctor --pull` to start one short-lived pod per image in the lesson namespace and see whether it starts."}}
	}
	var out []DoctorCheck
	for _, img := range o.Images {
		out = append(out, s.pullCheck(ctx, o, img))
	}
	return out
}

// pullCheck starts a pod with image and waits for its container to run (pulled) or to wait
// with an image pull error; the pod is deleted in any case.
func (s *Session) pullCheck(ctx context.Context, o DoctorOptions, image string) DoctorCheck {
	name := "kubetutor-pull-check-" + rand.String(5)
	c := DoctorCheck{Name: "image " + image}
	timeout := o.PullTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	zero := int64(0)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelManagedBy: ManagedByValue}},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &zero,
			Containers:                    []corev1.Container{{Name: "pull", Image: image}},
		},
	}
	pods := s.kube.CoreV1().Pods(o.Namespace)
	created, err := pods.Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		c.Status, c.Detail = DoctorWarn, fmt.Sprintf("could not start a test pod in %q: %v", o.Namespace, err)
		c.Fix = "Without it kubetutor cannot tell whether the image can be pulled."
		return c
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = pods.Delete(dctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	}()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w, err := pods.Watch(wctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(),
		ResourceVersion: created.ResourceVersion})
	if err != nil {
		c.Status, c.Detail = DoctorWarn, fmt.Sprintf("could not watch the test pod: %v", err)
		return c
	}
	defer w.Stop()
	for {
		select {
		case <-wctx.Done():
			c.Status = DoctorWarn
			c.Detail = fmt.Sprintf("the test pod did not start within %v (still pulling, or not scheduled)", timeout)
			c.Fix = "A slow first pull is normal; if it never starts, check the node's access to the registry."
			return c
		case ev, ok := <-w.ResultChan():
			if !ok {
				c.Status, c.Detail = DoctorWarn, "the watch on the test pod ended early"
				return c
			}
			if ev.Type == watch.Error {
				c.Status, c.Detail = DoctorWarn, fmt.Sprintf("watching the test pod: %v", apierrors.FromObject(ev.Object))
				return c
			}
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			for _, cs := range p.Status.ContainerStatuses {
				switch {
				case cs.State.Running != nil || cs.State.Terminated != nil:
					c.Status, c.Detail = DoctorOK, "the node pulled it and started a container"
					return c
				case cs.State.Waiting != nil && pullFailures[cs.State.Waiting.Reason]:
					c.Status = DoctorFail
					c.Detail = fmt.Sprintf("the node cannot pull it: %s %s", cs.State.Waiting.Reason, cs.State.Waiting.Message)
					c.Fix = "Check that the node can reach the registry (proxy, firewall, air gap) or load the image onto the node " +
						"(kind load docker-image IMAGE)." + simulatorFix
					return c
				}
			}
			if p.Status.Phase == corev1.PodFailed {
				c.Status, c.Detail = DoctorWarn, "the test pod failed: "+p.Status.Reason+" "+p.Status.Message
				return c
			}
		}
	}
}

// LessonNeeds lists the permissions a lesson's command lines need, plus what the player
// itself does (watch pods, PVCs and StatefulSets; read revisions and events).
func LessonNeeds(lines []string) []AccessNeed {
	seen := map[AccessNeed]bool{}
	var out []AccessNeed
	add := func(verb, group, resource, sub string) {
		n := AccessNeed{Verb: verb, Group: group, Resource: resource, Subresource: sub}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, r := range []struct{ g, r string }{{"", "pods"}, {"", "persistentvolumeclaims"}, {"apps", "statefulsets"}, {"apps", "controllerrevisions"}} {
		add("list", r.g, r.r, "")
		add("watch", r.g, r.r, "")
		add("get", r.g, r.r, "")
	}
	add("list", "", "events", "")
	for _, line := range lines {
		args, err := SplitCommandLine(line)
		if err != nil || len(args) < 2 || args[0] != "kubectl" {
			continue
		}
		l, err := ParseKubectl(args[1:])
		if err != nil {
			continue
		}
		sub := l.Sub()
		if l.Path == "rollout restart" || l.Path == "rollout undo" || l.Path == "rollout pause" || l.Path == "rollout resume" {
			sub = "patch"
		}
		for _, t := range lineResources(l) {
			g, r := canonicalResource(t)
			if r == "" {
				continue
			}
			switch sub {
			case "get", "describe", "wait", "events", "top":
				add("get", g, r, "")
				add("list", g, r, "")
			case "apply":
				add("get", g, r, "")
				add("create", g, r, "")
				add("patch", g, r, "")
			case "create", "run", "expose", "autoscale":
				add("create", g, r, "")
			case "delete":
				add("delete", g, r, "")
				add("list", g, r, "")
			case "patch", "label", "annotate", "set", "replace":
				add("get", g, r, "")
				add("patch", g, r, "")
			case "scale":
				add("get", g, r, "")
				add("patch", g, r, "scale")
			case "rollout":
				add("get", g, r, "")
				add("watch", g, r, "")
			case "logs":
				add("get", "", "pods", "log")
			case "exec":
				add("create", "", "pods", "exec")
			case "attach":
				add("create", "", "pods", "attach")
			case "port-forward":
				add("create", "", "pods", "portforward")
			}
		}
		if sub == "exec" {
			add("create", "", "pods", "exec")
		}
		if sub == "run" {
			if v, _ := l.Flag("attach"); v == "true" || l.Set["stdin"] == "true" || l.Set["tty"] == "true" {
				add("create", "", "pods", "attach")
			}
			if l.Set["rm"] == "true" {
				add("delete", "", "pods", "")
			}
		}
		if strings.HasPrefix(l.Path, "rollout ") {
			add("list", "apps", "controllerrevisions", "")
		}
	}
	return out
}

// canonicalResource maps what lessons type (plural, singular, short name, kind, or
// plural.group) to (group, plural) for the namespaced resources lessons use.
func canonicalResource(t string) (string, string) {
	t = strings.ToLower(t)
	if name, group, ok := strings.Cut(t, "."); ok {
		if g, r := canonicalResource(name); r != "" && g == group {
			return g, r
		}
		return "", ""
	}
	for _, r := range lessonResourceNames {
		for _, n := range r.names {
			if n == t {
				return r.group, r.resource
			}
		}
	}
	return "", ""
}

// lessonResourceNames are the namespaced resources lesson commands may name, with every
// spelling kubectl accepts for them.
var lessonResourceNames = []struct {
	group, resource string
	names           []string
}{
	{"", "pods", []string{"pods", "pod", "po"}},
	{"", "persistentvolumeclaims", []string{"persistentvolumeclaims", "persistentvolumeclaim", "pvc"}},
	{"", "services", []string{"services", "service", "svc"}},
	{"", "configmaps", []string{"configmaps", "configmap", "cm"}},
	{"", "secrets", []string{"secrets", "secret"}},
	{"", "endpoints", []string{"endpoints", "endpoint", "ep"}},
	{"", "events", []string{"events", "event", "ev"}},
	{"", "serviceaccounts", []string{"serviceaccounts", "serviceaccount", "sa"}},
	{"apps", "statefulsets", []string{"statefulsets", "statefulset", "sts"}},
	{"apps", "deployments", []string{"deployments", "deployment", "deploy"}},
	{"apps", "replicasets", []string{"replicasets", "replicaset", "rs"}},
	{"apps", "daemonsets", []string{"daemonsets", "daemonset", "ds"}},
	{"apps", "controllerrevisions", []string{"controllerrevisions", "controllerrevision"}},
	{"batch", "jobs", []string{"jobs", "job"}},
	{"batch", "cronjobs", []string{"cronjobs", "cronjob", "cj"}},
	{"autoscaling", "horizontalpodautoscalers", []string{"horizontalpodautoscalers", "horizontalpodautoscaler", "hpa"}},
	{"policy", "poddisruptionbudgets", []string{"poddisruptionbudgets", "poddisruptionbudget", "pdb"}},
	{"networking.k8s.io", "ingresses", []string{"ingresses", "ingress", "ing"}},
	{"networking.k8s.io", "networkpolicies", []string{"networkpolicies", "networkpolicy", "netpol"}},
}

// lineResources lists the resource names a parsed line touches: its resource arguments,
// the resources it implies (run: pods), and the kinds in the embedded manifests it reads.
func lineResources(l *KubectlLine) []string {
	var out []string
	switch {
	case resourceArgCommands[l.Path]:
		out = append(out, resourceArgTypes(l.Args)...)
	case podTargetCommands[l.Path] && len(l.Args) > 0:
		if typ, _, ok := strings.Cut(l.Args[0], "/"); ok {
			out = append(out, typ)
		}
	case strings.HasPrefix(l.Path, "create ") && impliedResources[l.Path] == "":
		out = append(out, strings.Fields(l.Path)[1])
	}
	if r := impliedResources[l.Path]; r != "" {
		out = append(out, r)
	}
	for _, f := range l.Values("filename") {
		out = append(out, manifestResources(f)...)
	}
	return out
}

// manifestResources lists the resource types in an embedded manifest (other files: none).
func manifestResources(f string) []string {
	name, ok := embeddedManifestName(f)
	if !ok {
		return nil
	}
	kinds, err := manifestKinds(name)
	if err != nil {
		return nil
	}
	return kinds
}

// manifestKinds lists the kinds (lower case) of the objects in an embedded manifest.
func manifestKinds(name string) ([]string, error) {
	data, err := manifests.Read(name)
	if err != nil {
		return nil, err
	}
	var out []string
	dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var obj struct {
			Kind string `json:"kind"`
		}
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		if obj.Kind != "" {
			out = append(out, strings.ToLower(obj.Kind))
		}
	}
}

// imageRE finds image references written out in command lines (JSON patches, --image=).
var imageRE = regexp.MustCompile(`\b(?:registry\.k8s\.io|k8s\.gcr\.io|docker\.io|gcr\.io|quay\.io|ghcr\.io)/[A-Za-z0-9._/-]+(?::[A-Za-z0-9._-]+)?`)

// LessonImages lists the container images a lesson's command lines use: those in the
// embedded manifests they apply and those written in the lines (patches), sorted.
func LessonImages(lines []string) []string {
	seen := map[string]bool{}
	for _, line := range lines {
		for _, m := range imageRE.FindAllString(line, -1) {
			seen[m] = true
		}
		for _, f := range lineFiles(line) {
			name, ok := embeddedManifestName(f)
			if !ok {
				continue
			}
			data, err := manifests.Read(name)
			if err != nil {
				continue
			}
			for _, m := range manifestImageRE.FindAllStringSubmatch(string(data), -1) {
				seen[strings.Trim(m[1], `"'`)] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var manifestImageRE = regexp.MustCompile(`(?m)^\s*-?\s*image:\s*(\S+)\s*$`)

// LessonNeedsStorage reports whether the lesson's manifests ask for volumes (claims).
func LessonNeedsStorage(lines []string) bool {
	for _, line := range lines {
		for _, f := range lineFiles(line) {
			if name, ok := embeddedManifestName(f); ok {
				if data, err := manifests.Read(name); err == nil &&
					(strings.Contains(string(data), "volumeClaimTemplates") || strings.Contains(string(data), "PersistentVolumeClaim")) {
					return true
				}
			}
		}
	}
	return false
}

// lineFiles returns the -f values of a kubectl command line as kubectl parses them.
func lineFiles(line string) []string {
	args, err := SplitCommandLine(line)
	if err != nil || len(args) < 2 || args[0] != "kubectl" {
		return nil
	}
	l, err := ParseKubectl(args[1:])
	if err != nil {
		return nil
	}
	return l.Values("filename")
}
