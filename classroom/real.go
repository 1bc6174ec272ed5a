package classroom

// Real-cluster mode (`kubetutor classroom --real`): each student works in their own namespace
// on the instructor's cluster, and what the classroom knows of them (progress, time per
// lesson) lives in a ConfigMap in that namespace, so several front ends can serve one class.
// This file is the cluster side of it: the namespace with its ResourceQuota and LimitRange,
// the ConfigMap store, and the class-wide cleanup. The student's ServiceAccount and Role are
// engine's (engine/rbac.go), created by the seat factory.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// Labels and names of what a class creates on a cluster. LabelManagedBy/ManagedBy are the
// same as engine's (engine.LabelManagedBy), kept here so this package does not link kubectl;
// a test in main checks they agree.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubetutor"
	LabelClass     = "kubetutor.dev/class"
	LabelStudent   = "kubetutor.dev/student"
	// AnnotationCredential binds a student's namespace to the credential that first used the
	// name (a key fingerprint, or "password"): the cluster-wide twin of the state folder's
	// name book, so no front end lets another key take the seat.
	AnnotationCredential = "kubetutor.dev/credential"

	ProgressConfigMap = "kubetutor-progress"
	QuotaName         = "kubetutor-quota"
	LimitRangeName    = "kubetutor-limits"

	progressKey = "progress.json"
	statsKey    = "class.json"
)

var classNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?$`)

// ValidClassName reports whether name can label a class's objects (a label value kept short
// and plain).
func ValidClassName(name string) bool { return classNameRE.MatchString(name) }

// StudentNamespace is a student's namespace: "kubetutor-<name>". A valid student name is a
// DNS label of at most 32 characters, so the result is one too and two names never share a
// namespace. Any other string is cut to a DNS label and given a hash of the original, so even
// then two different names cannot meet.
func StudentNamespace(name string) string {
	if ValidName(name) {
		return "kubetutor-" + name
	}
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := strings.Trim(b.String(), "-")
	if len(s) > 30 {
		s = strings.TrimRight(s[:30], "-")
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	return fmt.Sprintf("kubetutor-%s-%012x", s, h.Sum64()&0xffffffffffff)
}

// clusterReadName is the name engine gives the ClusterRole and ClusterRoleBinding that let a
// lesson namespace's ServiceAccount read nodes and volumes (engine/rbac.go).
func clusterReadName(ns string) string { return "kubetutor-read-" + ns }

// Limits are each student namespace's ResourceQuota and LimitRange.
type Limits struct {
	Pods    int    // pods at once
	PVCs    int    // PersistentVolumeClaims
	Objects int    // objects of each counted kind (services, configmaps, secrets, statefulsets …)
	CPU     string // requests.cpu in the namespace; limits.cpu is twice it
	Memory  string // requests.memory; limits.memory is twice it
	Storage string // requests.storage of all claims
	// Container defaults the LimitRange fills in (request; the limit is twice it).
	DefaultCPU    string
	DefaultMemory string
}

// DefaultLimits fit the lessons (StatefulSet Basics runs up to 5 small pods with a 1Gi claim
// each) with room to experiment, and keep one student from filling a cluster.
func DefaultLimits() Limits {
	return Limits{Pods: 10, PVCs: 10, Objects: 30, CPU: "2", Memory: "2Gi", Storage: "20Gi",
		DefaultCPU: "50m", DefaultMemory: "64Mi"}
}

// Validate checks every quantity.
func (l Limits) Validate() error {
	if l.Pods < 1 || l.PVCs < 0 || l.Objects < 1 {
		return fmt.Errorf("quota: pods and objects must be at least 1, claims at least 0")
	}
	for _, q := range []struct{ flag, v string }{
		{"--quota-cpu", l.CPU}, {"--quota-memory", l.Memory}, {"--quota-storage", l.Storage},
		{"--default-cpu", l.DefaultCPU}, {"--default-memory", l.DefaultMemory},
	} {
		v, err := resource.ParseQuantity(q.v)
		if err != nil {
			return fmt.Errorf("%s %q: %v", q.flag, q.v, err)
		}
		if v.Sign() <= 0 {
			return fmt.Errorf("%s must be above 0", q.flag)
		}
	}
	return nil
}

func twice(q string) resource.Quantity {
	v := resource.MustParse(q)
	v.Add(v)
	return v
}

func (l Limits) quota() corev1.ResourceQuotaSpec {
	n := func(i int) resource.Quantity { return *resource.NewQuantity(int64(i), resource.DecimalSI) }
	hard := corev1.ResourceList{
		corev1.ResourcePods:                   n(l.Pods),
		corev1.ResourcePersistentVolumeClaims: n(l.PVCs),
		corev1.ResourceRequestsCPU:            resource.MustParse(l.CPU),
		corev1.ResourceLimitsCPU:              twice(l.CPU),
		corev1.ResourceRequestsMemory:         resource.MustParse(l.Memory),
		corev1.ResourceLimitsMemory:           twice(l.Memory),
		corev1.ResourceRequestsStorage:        resource.MustParse(l.Storage),
		corev1.ResourceServices:               n(l.Objects),
		corev1.ResourceConfigMaps:             n(l.Objects),
		corev1.ResourceSecrets:                n(l.Objects),
		"count/statefulsets.apps":             n(l.Objects),
		"count/deployments.apps":              n(l.Objects),
		"count/replicasets.apps":              n(l.Objects),
		"count/daemonsets.apps":               n(l.Objects),
		"count/jobs.batch":                    n(l.Objects),
	}
	return corev1.ResourceQuotaSpec{Hard: hard}
}

func (l Limits) limitRange() corev1.LimitRangeSpec {
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(l.DefaultCPU), corev1.ResourceMemory: resource.MustParse(l.DefaultMemory)}
	lim := corev1.ResourceList{corev1.ResourceCPU: twice(l.DefaultCPU), corev1.ResourceMemory: twice(l.DefaultMemory)}
	return corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer, DefaultRequest: req, Default: lim,
	}}}
}

// ClusterStore keeps a class on a cluster: every student's namespace, quota, limits and
// ConfigMap. It is the classroom's StudentStore in --real mode.
type ClusterStore struct {
	Kube   kubernetes.Interface // the front end's own credentials
	Class  string
	Limits Limits
	// Timeout bounds each save (0: 20 s).
	Timeout time.Duration
}

// StudentStore keeps each student's progress and the classroom's statistics of them somewhere
// other than the state folder.
type StudentStore interface {
	// Open prepares the student's place (in --real mode: their namespace) and returns what
	// was kept of them. cred is the credential they logged in with: a name belongs to the
	// first credential that used it.
	Open(ctx context.Context, name, cred string) (Record, error)
	// Exchange is one read-merge-write of a student's record (progress or statistics):
	// merge gets what is stored and returns what to store; if another writer came in
	// between, the store reads again and merges again.
	Exchange(ctx context.Context, name string, kind RecordKind, merge func(stored []byte) ([]byte, error)) error
	// Records reads every student's records, for reports and the instructor's view.
	Records(ctx context.Context) ([]Record, error)
	// Where names a student's record for messages ("configmap kubetutor-alice/kubetutor-progress").
	Where(name string) string
}

// RecordKind is which of a student's records a save writes.
type RecordKind int

const (
	RecordProgress RecordKind = iota
	RecordStats
)

// Record is what a store keeps of one student.
type Record struct {
	Name     string
	Progress []byte // a progress file
	Stats    []byte // the classroom's statistics (class.json)
}

var _ StudentStore = (*ClusterStore)(nil)

func (s *ClusterStore) labels(student string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedBy, LabelClass: s.Class, LabelStudent: student}
}

// Selector matches everything of this class.
func (s *ClusterStore) Selector() string {
	return labels.SelectorFromSet(labels.Set{LabelManagedBy: ManagedBy, LabelClass: s.Class}).String()
}

// Where names a student's ConfigMap.
func (s *ClusterStore) Where(name string) string {
	return "configmap " + StudentNamespace(name) + "/" + ProgressConfigMap
}

// Open makes sure the student's namespace exists and is this class's seat for them (creating
// it, its ResourceQuota, LimitRange and ConfigMap on first entry) and reads their records.
func (s *ClusterStore) Open(ctx context.Context, name, cred string) (Record, error) {
	ns, err := s.ensureNamespace(ctx, name, cred)
	if err != nil {
		return Record{}, err
	}
	if err := s.ensureLimits(ctx, ns, name); err != nil {
		return Record{}, err
	}
	cm, err := s.Kube.CoreV1().ConfigMaps(ns).Get(ctx, ProgressConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm, err = s.Kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: ProgressConfigMap, Labels: s.labels(name)}}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // another front end was quicker
			cm, err = s.Kube.CoreV1().ConfigMaps(ns).Get(ctx, ProgressConfigMap, metav1.GetOptions{})
		}
	}
	if err != nil {
		return Record{}, fmt.Errorf("reading %s: %w", s.Where(name), err)
	}
	return Record{Name: name, Progress: []byte(cm.Data[progressKey]), Stats: []byte(cm.Data[statsKey])}, nil
}

func (s *ClusterStore) ensureNamespace(ctx context.Context, name, cred string) (string, error) {
	ns := StudentNamespace(name)
	want := s.labels(name)
	// Pod Security admission keeps student pods from the node's host, as in `play --real`.
	want["pod-security.kubernetes.io/enforce"] = "baseline"
	for attempt := 0; attempt < 3; attempt++ {
		got, err := s.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: want,
				Annotations: map[string]string{AnnotationCredential: cred}}}
			_, err = s.Kube.CoreV1().Namespaces().Create(ctx, obj, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue // another front end created it: check it like any existing one
			}
			if err != nil {
				return "", fmt.Errorf("creating namespace %s: %w", ns, err)
			}
			return ns, nil
		}
		if err != nil {
			return "", fmt.Errorf("reading namespace %s: %w", ns, err)
		}
		if got.Labels[LabelManagedBy] != ManagedBy || got.Labels[LabelClass] != s.Class || got.Labels[LabelStudent] != name {
			return "", fmt.Errorf("namespace %s already exists and is not class %q's seat for %s: choose another name", ns, s.Class, name)
		}
		if got.DeletionTimestamp != nil {
			return "", fmt.Errorf("namespace %s is being deleted (classroom cleanup?); try again in a minute", ns)
		}
		if owner := got.Annotations[AnnotationCredential]; owner != "" && cred != "" && owner != cred {
			return "", errNameTaken
		}
		return ns, nil
	}
	return "", fmt.Errorf("namespace %s: created and deleted under us; try again", ns)
}

// ensureLimits creates or updates the namespace's ResourceQuota and LimitRange, so a class
// restarted with other limits applies them.
func (s *ClusterStore) ensureLimits(ctx context.Context, ns, name string) error {
	meta := func(n string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: n, Namespace: ns, Labels: s.labels(name)}
	}
	q := &corev1.ResourceQuota{ObjectMeta: meta(QuotaName), Spec: s.Limits.quota()}
	if got, err := s.Kube.CoreV1().ResourceQuotas(ns).Get(ctx, QuotaName, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := s.Kube.CoreV1().ResourceQuotas(ns).Create(ctx, q, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating ResourceQuota %s/%s: %w", ns, QuotaName, err)
		}
	} else if err != nil {
		return fmt.Errorf("reading ResourceQuota %s/%s: %w", ns, QuotaName, err)
	} else if !equalResources(got.Spec.Hard, q.Spec.Hard) {
		got.Spec = q.Spec
		if _, err := s.Kube.CoreV1().ResourceQuotas(ns).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating ResourceQuota %s/%s: %w", ns, QuotaName, err)
		}
	}
	lr := &corev1.LimitRange{ObjectMeta: meta(LimitRangeName), Spec: s.Limits.limitRange()}
	if got, err := s.Kube.CoreV1().LimitRanges(ns).Get(ctx, LimitRangeName, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		if _, err := s.Kube.CoreV1().LimitRanges(ns).Create(ctx, lr, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating LimitRange %s/%s: %w", ns, LimitRangeName, err)
		}
	} else if err != nil {
		return fmt.Errorf("reading LimitRange %s/%s: %w", ns, LimitRangeName, err)
	} else if len(got.Spec.Limits) != 1 || !equalResources(got.Spec.Limits[0].Default, lr.Spec.Limits[0].Default) ||
		!equalResources(got.Spec.Limits[0].DefaultRequest, lr.Spec.Limits[0].DefaultRequest) {
		got.Spec = lr.Spec
		if _, err := s.Kube.CoreV1().LimitRanges(ns).Update(ctx, got, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating LimitRange %s/%s: %w", ns, LimitRangeName, err)
		}
	}
	return nil
}

func equalResources(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || v.Cmp(w) != 0 {
			return false
		}
	}
	return true
}

// Exchange updates one record in the student's ConfigMap: read, merge with what is there,
// update with the read's resourceVersion, and on a conflict (another front end, or this
// student's other record, wrote in between) read again and merge again.
func (s *ClusterStore) Exchange(ctx context.Context, name string, kind RecordKind, merge func(stored []byte) ([]byte, error)) error {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ns := StudentNamespace(name)
	key := progressKey
	if kind == RecordStats {
		key = statsKey
	}
	err := retry.RetryOnConflict(saveBackoff, func() error {
		cm, err := s.Kube.CoreV1().ConfigMaps(ns).Get(ctx, ProgressConfigMap, metav1.GetOptions{})
		if err != nil {
			return err
		}
		b, err := merge([]byte(cm.Data[key]))
		if err != nil {
			return err
		}
		if next := string(b); cm.Data[key] != next {
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			cm.Data[key] = next
			// Update carries cm's resourceVersion: the server refuses it (409) if anyone
			// wrote since the Get.
			_, err = s.Kube.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{})
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("saving to %s: %w", s.Where(name), err)
	}
	return nil
}

// saveStats stores a student's statistics, merged with what is stored (mergeStats).
func saveStats(ctx context.Context, store StudentStore, name string, b []byte) error {
	return store.Exchange(ctx, name, RecordStats, func(stored []byte) ([]byte, error) { return mergeStats(stored, b), nil })
}

// backedProgress is a student's progress store kept in the class's StudentStore: each save
// merges lesson by lesson with what is stored, as two players of one progress file do
// (tui/progress's shared.go), so a reset is kept and no front end's steps are lost.
func backedProgress(ctx context.Context, store StudentStore, name string, stored []byte, logf func(string, ...any)) (*progress.Store, string) {
	return progress.Backed(store.Where(name), stored, func(merge func([]byte) ([]byte, error)) error {
		err := store.Exchange(ctx, name, RecordProgress, merge)
		if err != nil {
			// The player shows it to the student; the instructor's log keeps it too.
			logf("classroom: %v", err)
		}
		return err
	})
}

// saveBackoff spaces the retries of a conflicting save. A student's progress and statistics
// are two keys of one ConfigMap, saved independently, so their updates conflict with each
// other as well as with another front end's; client-go's DefaultRetry (5 tries 10 ms apart)
// gives up within 50 ms, and a save that gives up is a step change lost.
// Ten tries over about five seconds (no Cap: a Backoff that reaches its Cap stops retrying).
var saveBackoff = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.5}

// mergeStats keeps the larger time per lesson and count of pushed hints, and ours otherwise.
func mergeStats(theirs, ours []byte) []byte {
	var t, o stats
	if json.Unmarshal(theirs, &t) != nil {
		return ours
	}
	if json.Unmarshal(ours, &o) != nil {
		return theirs
	}
	if o.Seconds == nil {
		o.Seconds = map[string]float64{}
	}
	for k, v := range t.Seconds {
		if v > o.Seconds[k] {
			o.Seconds[k] = v
		}
	}
	o.Pushed = max(o.Pushed, t.Pushed)
	if t.LastSeen.After(o.LastSeen) {
		o.LastSeen = t.LastSeen
	}
	b, err := json.MarshalIndent(&o, "", "  ")
	if err != nil {
		return ours
	}
	return b
}

// Records reads every student of the class from their namespace's ConfigMap.
func (s *ClusterStore) Records(ctx context.Context) ([]Record, error) {
	nss, err := s.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: s.Selector()})
	if err != nil {
		return nil, fmt.Errorf("listing class %q's namespaces: %w", s.Class, err)
	}
	var out []Record
	for _, ns := range nss.Items {
		name := ns.Labels[LabelStudent]
		if !ValidName(name) || ns.Name != StudentNamespace(name) {
			continue
		}
		r := Record{Name: name}
		cm, err := s.Kube.CoreV1().ConfigMaps(ns.Name).Get(ctx, ProgressConfigMap, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("reading %s: %w", s.Where(name), err)
		default:
			r.Progress, r.Stats = []byte(cm.Data[progressKey]), []byte(cm.Data[statsKey])
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// LabelClusterRBAC puts the class's labels on the cluster-wide read role engine created for
// a student's namespace, so cleanup finds it by label. Objects without kubetutor's label
// are left alone.
func (s *ClusterStore) LabelClusterRBAC(ctx context.Context, name string) error {
	n := clusterReadName(StudentNamespace(name))
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": s.labels(name)}})
	if cr, err := s.Kube.RbacV1().ClusterRoles().Get(ctx, n, metav1.GetOptions{}); err != nil {
		return fmt.Errorf("reading ClusterRole %s: %w", n, err)
	} else if cr.Labels[LabelManagedBy] == ManagedBy {
		if _, err := s.Kube.RbacV1().ClusterRoles().Patch(ctx, n, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("labelling ClusterRole %s: %w", n, err)
		}
	}
	if crb, err := s.Kube.RbacV1().ClusterRoleBindings().Get(ctx, n, metav1.GetOptions{}); err != nil {
		return fmt.Errorf("reading ClusterRoleBinding %s: %w", n, err)
	} else if crb.Labels[LabelManagedBy] == ManagedBy {
		if _, err := s.Kube.RbacV1().ClusterRoleBindings().Patch(ctx, n, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("labelling ClusterRoleBinding %s: %w", n, err)
		}
	}
	return nil
}

// CleanupItem is one object cleanup deletes.
type CleanupItem struct {
	Kind string // "namespace", "clusterrole", "clusterrolebinding"
	Name string
	UID  types.UID
}

func (i CleanupItem) String() string { return i.Kind + "/" + i.Name }

// CleanupPlan lists what the class created on the cluster: its namespaces (with everything
// in them) and the cluster-wide roles and bindings, found by the class's labels only.
func (s *ClusterStore) CleanupPlan(ctx context.Context) ([]CleanupItem, error) {
	sel := metav1.ListOptions{LabelSelector: s.Selector()}
	var out []CleanupItem
	nss, err := s.Kube.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("listing namespaces: %w", err)
	}
	for _, o := range nss.Items {
		out = append(out, CleanupItem{"namespace", o.Name, o.UID})
	}
	crbs, err := s.Kube.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("listing ClusterRoleBindings: %w", err)
	}
	for _, o := range crbs.Items {
		out = append(out, CleanupItem{"clusterrolebinding", o.Name, o.UID})
	}
	crs, err := s.Kube.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("listing ClusterRoles: %w", err)
	}
	for _, o := range crs.Items {
		out = append(out, CleanupItem{"clusterrole", o.Name, o.UID})
	}
	return out, nil
}

// Cleanup deletes the plan's objects, each only if it is still the same object (UID
// precondition), and waits until the namespaces are gone or ctx ends.
func (s *ClusterStore) Cleanup(ctx context.Context, plan []CleanupItem) error {
	var errs []error
	var nss []string
	for _, it := range plan {
		uid := it.UID
		opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}
		var err error
		switch it.Kind {
		case "namespace":
			err = s.Kube.CoreV1().Namespaces().Delete(ctx, it.Name, opts)
			nss = append(nss, it.Name)
		case "clusterrolebinding":
			err = s.Kube.RbacV1().ClusterRoleBindings().Delete(ctx, it.Name, opts)
		case "clusterrole":
			err = s.Kube.RbacV1().ClusterRoles().Delete(ctx, it.Name, opts)
		default:
			err = fmt.Errorf("unknown kind %q", it.Kind)
		}
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting %s: %w", it, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		for _, ns := range nss {
			if _, err := s.Kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false, nil
			}
		}
		return true, nil
	})
}

// openStored gives a seat its records from the class's StudentStore: a progress store and
// statistics whose saves go back to it. Saves outlive the class's context (the last ones
// happen while the class closes); the store bounds each one.
func (c *Class) openStored(st *student, cred string) error {
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	rec, err := c.o.Store.Open(ctx, st.name, cred)
	if errors.Is(err, errNameTaken) {
		return fmt.Errorf("%s: %w; log in under your own name", st.name, err)
	}
	if err != nil {
		return fmt.Errorf("preparing your place on the cluster: %w", err)
	}
	if st.scratch, err = os.MkdirTemp("", "kubetutor-class-"+st.name+"-"); err != nil {
		return err
	}
	store, name, logf := c.o.Store, st.name, c.o.Logf
	bg := context.WithoutCancel(c.ctx)
	var warn string
	st.prog, warn = backedProgress(bg, store, name, rec.Progress, logf)
	if warn != "" {
		logf("classroom: %s: %s", name, warn)
	}
	st.stats = &stats{Seconds: map[string]float64{}}
	if len(rec.Stats) > 0 {
		_ = json.Unmarshal(rec.Stats, st.stats) // statistics only: damaged ones start afresh
		if st.stats.Seconds == nil {
			st.stats.Seconds = map[string]float64{}
		}
	}
	st.stats.sink = func(b []byte) {
		if err := saveStats(bg, store, name, b); err != nil {
			logf("classroom: %v", err)
		}
	}
	return nil
}

// readElsewhere reads the store's students for the instructor's view: those seated at
// another front end (or not connected) appear with their lesson, step and help from their
// ConfigMap; their "connected" state and live checks are that front end's to know.
func (c *Class) readElsewhere(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	recs, err := c.o.Store.Records(ctx)
	if err != nil {
		c.o.Logf("classroom: reading the class from the cluster: %v", err)
		return
	}
	now := c.clock.Now()
	out := make([]StudentStatus, 0, len(recs))
	for _, r := range recs {
		p, _ := progress.Backed("", r.Progress, nil)
		st := &student{name: r.Name, prog: p, stats: &stats{Seconds: map[string]float64{}}}
		_ = json.Unmarshal(r.Stats, st.stats)
		st.lang = st.stats.Lang
		st.lesson, st.step = currentPlace(p)
		st.lastSeen = st.stats.LastSeen
		if l := p.Lesson(st.lesson); !l.Updated.IsZero() && l.Updated.After(st.lastSeen) {
			st.lastSeen = l.Updated
		}
		c.mu.Lock()
		s := c.statusLocked(st, now)
		c.mu.Unlock()
		out = append(out, s)
	}
	c.mu.Lock()
	c.elsewhere = out
	c.mu.Unlock()
}
