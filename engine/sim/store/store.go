package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"
)

// Finalizers the garbage collector acts on (the apiserver's names).
const (
	FinalizerOrphan     = metav1.FinalizerOrphanDependents // "orphan"
	FinalizerForeground = metav1.FinalizerDeleteDependents // "foregroundDeletion"
)

// Hooks let the API layer plug in what a real apiserver's registry strategies do.
type Hooks struct {
	// Default fills defaults and resets fields a client may not set. old is nil on create.
	Default func(res Resource, old, obj runtime.Object)
	// Validate returns field errors; old is nil on create.
	Validate func(res Resource, old, obj runtime.Object) field.ErrorList
}

// Limits keep one learner from exhausting a shared simulator.
type Limits struct {
	MaxObjects int // total objects across all resources; 0 means 20000
	// MaxPerNamespace caps the objects of one resource in one namespace (events excepted,
	// which a real cluster expires after an hour); 0 means 1000. Beyond it a create fails
	// as a ResourceQuota would: Forbidden, "exceeded quota".
	MaxPerNamespace int
	// MaxBytes caps the objects' data (their protobuf size, about what etcd would keep); 0
	// means no cap. Beyond it a create fails as a ResourceQuota would: Forbidden, "exceeded
	// quota". Updates may grow past it by a tenth, so controllers keep their status current
	// in a full cluster; a learner's growing object still meets the cap.
	MaxBytes int64
}

// QuotaName is the name the simulator's built-in object-count quota reports.
const QuotaName = "kubetutor-simulator"

// Event is one committed change. Object (and Old, for MODIFIED) are the stored objects
// themselves, shared between all consumers and the store's indexes: never mutate them.
type Event struct {
	Type     watch.EventType
	Resource Resource
	Object   runtime.Object
	Old      runtime.Object // previous state for MODIFIED and DELETED, else nil
	RV       uint64
}

// Store is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	clock   clock.PassiveClock
	rand    *rand.Rand
	hooks   Hooks
	limits  Limits
	rv      uint64
	count   int
	bytes   int64                                // the stored objects' sizes (objSize), for Limits.MaxBytes
	nsCount map[string]int                       // "resource/namespace" -> objects, for Limits.MaxPerNamespace
	objs    map[string]map[string]runtime.Object // resource name -> "ns/name" -> object
	// history is a ring of the latest events: it grows to histCap, then each event overwrites
	// the oldest, at histHead (a slice that dropped its oldest part and was copied again cost
	// a megabyte of copying every thousand writes). histEvent(i) is the i-th oldest.
	history   []histEntry
	histHead  int
	histCap   int
	histRes   map[string]*Resource // the Resource of history entries, one per name
	watchers  map[*Watcher]struct{}
	listeners []func(Event)
	onWatch   []func(Resource)
	idx       map[string]*resIndex // resource name -> indexes (index.go)
}

// Options configure a Store.
type Options struct {
	Clock clock.PassiveClock
	Hooks Hooks
	// Seed makes generated names and uids repeatable; 0 picks a random seed.
	Seed   int64
	Limits Limits
	// HistorySize is how many events a watch can resume across; older resourceVersions get 410 Gone.
	HistorySize int
}

// New makes an empty store with the namespaces a fresh cluster has.
func New(o Options) *Store {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	seed := o.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	if o.Limits.MaxObjects == 0 {
		o.Limits.MaxObjects = 20000
	}
	if o.Limits.MaxPerNamespace == 0 {
		o.Limits.MaxPerNamespace = 1000
	}
	if o.HistorySize == 0 {
		o.HistorySize = 4096
	}
	s := &Store{
		clock:    o.Clock,
		rand:     rand.New(rand.NewSource(seed)),
		hooks:    o.Hooks,
		limits:   o.Limits,
		objs:     map[string]map[string]runtime.Object{},
		nsCount:  map[string]int{},
		histCap:  o.HistorySize,
		watchers: map[*Watcher]struct{}{},
		idx:      map[string]*resIndex{},
	}
	for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
			Labels: map[string]string{"kubernetes.io/metadata.name": ns}},
			Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
			Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
		if _, err := s.Create(MustLookup("namespaces"), obj); err != nil {
			panic(err)
		}
	}
	return s
}

// SetHooks replaces the hooks (the API layer installs them after construction).
func (s *Store) SetHooks(h Hooks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = h
}

// Subscribe registers fn for every committed event. fn runs with the store locked: it must
// return quickly and must not call the store (controllers only enqueue work there).
func (s *Store) Subscribe(fn func(Event)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// Now is the store's clock, for callers that stamp objects.
func (s *Store) Now() time.Time { return s.clock.Now() }

// ResourceVersion is the current value of the global counter.
func (s *Store) ResourceVersion() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rv
}

func objKey(ns, name string) string { return ns + "/" + name }

func groupResource(res Resource) (gr struct{ Group, Resource string }) {
	gr.Group, gr.Resource = res.Group, res.Name
	return
}

func notFound(res Resource, name string) error {
	return apierrors.NewNotFound(res.GVR().GroupResource(), name)
}

// Get returns a copy of one object.
func (s *Store) Get(res Resource, ns, name string) (runtime.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.objs[res.Name][objKey(nsFor(res, ns), name)]
	if !ok {
		return nil, notFound(res, name)
	}
	return obj.DeepCopyObject(), nil
}

func nsFor(res Resource, ns string) string {
	if !res.Namespaced {
		return ""
	}
	return ns
}

// List returns copies of the matching objects sorted by namespace and name, and the
// resourceVersion to watch from. ns "" means all namespaces. Nil selectors match everything.
func (s *Store) List(res Resource, ns string, lsel labels.Selector, fsel fields.Selector) ([]runtime.Object, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k, obj := range s.objs[res.Name] {
		if matches(res, obj, ns, lsel, fsel) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]runtime.Object, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.objs[res.Name][k].DeepCopyObject())
	}
	return out, s.rv
}

func matches(res Resource, obj runtime.Object, ns string, lsel labels.Selector, fsel fields.Selector) bool {
	m, err := meta.Accessor(obj)
	if err != nil {
		return false
	}
	if ns != "" && res.Namespaced && m.GetNamespace() != ns {
		return false
	}
	if lsel != nil && !lsel.Empty() && !lsel.Matches(labels.Set(m.GetLabels())) {
		return false
	}
	if fsel != nil && !fsel.Empty() && !fsel.Matches(FieldSet(obj)) {
		return false
	}
	return true
}

// FieldSet is what field selectors see of an object (metadata.name, metadata.namespace and,
// for pods, the fields kubectl and controllers select on).
func FieldSet(obj runtime.Object) fields.Set {
	m, err := meta.Accessor(obj)
	if err != nil {
		return fields.Set{}
	}
	set := fields.Set{"metadata.name": m.GetName(), "metadata.namespace": m.GetNamespace()}
	switch o := obj.(type) {
	case *corev1.Pod:
		set["spec.nodeName"] = o.Spec.NodeName
		set["spec.restartPolicy"] = string(o.Spec.RestartPolicy)
		set["spec.schedulerName"] = o.Spec.SchedulerName
		set["spec.serviceAccountName"] = o.Spec.ServiceAccountName
		set["status.phase"] = string(o.Status.Phase)
		set["status.podIP"] = o.Status.PodIP
	case *corev1.Event:
		set["involvedObject.kind"] = o.InvolvedObject.Kind
		set["involvedObject.name"] = o.InvolvedObject.Name
		set["involvedObject.namespace"] = o.InvolvedObject.Namespace
		set["involvedObject.uid"] = string(o.InvolvedObject.UID)
		set["reason"] = o.Reason
		set["type"] = o.Type
	case *corev1.PersistentVolumeClaim:
		set["status.phase"] = string(o.Status.Phase)
	case *corev1.Node:
		// The e2e framework lists schedulable nodes with spec.unschedulable=false.
		set["spec.unschedulable"] = strconv.FormatBool(o.Spec.Unschedulable)
	case *corev1.Namespace:
		set["status.phase"] = string(o.Status.Phase)
	}
	return set
}

const nameChars = "bcdfghjklmnpqrstvwxz2456789"

// maxGeneratedNameBase: the apiserver cuts a generateName to 63-5 characters before adding
// the random suffix, so generated names fit a DNS label.
const maxGeneratedNameBase = 58

func (s *Store) randomSuffix(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = nameChars[s.rand.Intn(len(nameChars))]
	}
	return string(b)
}

func (s *Store) newUID() types.UID {
	var b [16]byte
	for i := range b {
		b[i] = byte(s.rand.Intn(256))
	}
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return uidString(b)
}

func uidString(b [16]byte) types.UID {
	// The 8-4-4-4-12 form, as fmt's %x of each part would spell it (without its reflection).
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return types.UID(out[:])
}

// Create stores a new object: it fills generateName, uid, creationTimestamp, resourceVersion
// and generation, runs the hooks, and returns a copy of what was stored.
func (s *Store) Create(res Resource, in runtime.Object) (runtime.Object, error) {
	return s.CreateWith(res, in, CreateOptions{})
}

// CreateOptions tune Create.
type CreateOptions struct {
	// ManagedFields keeps the object's metadata.managedFields, computed by the server's
	// field manager (server-side apply); otherwise a new object starts without them.
	ManagedFields bool
	// Owned is for the built-in controllers: the caller hands the object over (built for this
	// write; it may be changed by the store, defaulted by the hooks, which still run, and must
	// not be changed by the caller afterwards) and gets the stored object back, read-only.
	// API requests never set it.
	Owned bool
	// Valid is for objects a built-in controller builds complete and valid (Events): the
	// registry hooks, which default and validate what clients send, do not run. API requests
	// never set it.
	Valid bool
}

// CreateWith is Create with options.
func (s *Store) CreateWith(res Resource, in runtime.Object, o CreateOptions) (runtime.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := in
	if !o.Owned {
		obj = in.DeepCopyObject()
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if !res.Namespaced {
		m.SetNamespace("")
	} else if m.GetNamespace() == "" {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if res.Namespaced {
		nsObj, ok := s.objs["namespaces"][objKey("", m.GetNamespace())]
		if !ok {
			return nil, apierrors.NewNotFound(MustLookup("namespaces").GVR().GroupResource(), m.GetNamespace())
		}
		if nsObj.(*corev1.Namespace).DeletionTimestamp != nil {
			return nil, apierrors.NewForbidden(res.GVR().GroupResource(), m.GetName(),
				fmt.Errorf("unable to create new content in namespace %s because it is being terminated", m.GetNamespace()))
		}
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		base := m.GetGenerateName()
		if len(base) > maxGeneratedNameBase {
			base = base[:maxGeneratedNameBase] // as names.SimpleNameGenerator does
		}
		for i := 0; i < 8; i++ {
			name := base + s.randomSuffix(5)
			if _, taken := s.objs[res.Name][objKey(m.GetNamespace(), name)]; !taken {
				m.SetName(name)
				break
			}
		}
	}
	if m.GetName() == "" {
		return nil, apierrors.NewInvalid(res.GVK().GroupKind(), "", field.ErrorList{
			field.Required(field.NewPath("metadata", "name"), "name or generateName is required")})
	}
	if _, exists := s.objs[res.Name][objKey(m.GetNamespace(), m.GetName())]; exists {
		return nil, apierrors.NewAlreadyExists(res.GVR().GroupResource(), m.GetName())
	}
	if s.count >= s.limits.MaxObjects {
		return nil, apierrors.NewForbidden(res.GVR().GroupResource(), m.GetName(),
			fmt.Errorf("the simulator holds at most %d objects; delete some first", s.limits.MaxObjects))
	}
	size := s.sizeOf(obj)
	if err := s.overBytes(res, m.GetName(), size, s.limits.MaxBytes); err != nil {
		return nil, err
	}
	if res.Namespaced && res.Name != "events" {
		if used := s.nsCount[res.Name+"/"+m.GetNamespace()]; used >= s.limits.MaxPerNamespace {
			q := "count/" + res.Name
			if res.Group != "" {
				q += "." + res.Group
			}
			return nil, apierrors.NewForbidden(res.GVR().GroupResource(), m.GetName(),
				fmt.Errorf("exceeded quota: %s, requested: %s=1, used: %s=%d, limited: %s=%d", QuotaName, q, q, used, q, s.limits.MaxPerNamespace))
		}
	}
	m.SetUID(s.newUID())
	m.SetCreationTimestamp(metav1.NewTime(s.clock.Now().Truncate(time.Second)))
	m.SetDeletionTimestamp(nil)
	m.SetDeletionGracePeriodSeconds(nil)
	if !o.ManagedFields {
		m.SetManagedFields(nil)
	}
	if hasSpec(obj) {
		m.SetGeneration(1)
	} else {
		m.SetGeneration(0)
	}
	hooks := s.hooks
	if o.Valid {
		hooks = Hooks{}
	}
	if hooks.Default != nil {
		hooks.Default(res, nil, obj)
	}
	if hooks.Validate != nil {
		if errs := hooks.Validate(res, nil, obj); len(errs) > 0 {
			return nil, apierrors.NewInvalid(res.GVK().GroupKind(), m.GetName(), errs)
		}
	}
	setTypeMeta(res, obj)
	s.rv++
	m.SetResourceVersion(strconv.FormatUint(s.rv, 10))
	if s.objs[res.Name] == nil {
		s.objs[res.Name] = map[string]runtime.Object{}
	}
	s.objs[res.Name][objKey(m.GetNamespace(), m.GetName())] = obj
	s.count++
	s.bytes += s.sizeOf(obj)
	if res.Namespaced {
		s.nsCount[res.Name+"/"+m.GetNamespace()]++
	}
	s.emit(Event{Type: watch.Added, Resource: res, Object: obj, RV: s.rv})
	if o.Owned {
		return obj, nil
	}
	return obj.DeepCopyObject(), nil
}

func setTypeMeta(res Resource, obj runtime.Object) {
	gvk := res.GVK()
	obj.GetObjectKind().SetGroupVersionKind(gvk)
}

// UpdateOptions choose between the main resource and the status subresource.
type UpdateOptions struct {
	// Status: write only .status (and keep the stored spec and metadata), as PUT …/status does.
	Status bool
	// ManagedFields keeps the object's metadata.managedFields, computed by the server's
	// field manager (server-side apply); otherwise the stored ones stay.
	ManagedFields bool
	// Owned is for the built-in controllers: the caller hands the object over (built for this
	// write, sharing nothing it will change later), the store keeps it without a copy and
	// returns the stored object itself, read-only like everything Peek and Select return. With
	// Status, the merged object shares the stored spec and metadata (they do not change) and
	// the registry hooks do not run: they default and validate spec and metadata, which were
	// checked when they were written, never status. API requests never set it.
	Owned bool
	// Binding is the pods/binding subresource (the scheduler's write): of the pod passed in only
	// spec.nodeName is taken, set on a copy-on-write successor of the stored pod, which must not
	// be bound yet. As the apiserver's BindingREST, it runs no update strategy or validation.
	Binding bool
	// Valid: as CreateOptions.Valid, for a controller's rewrite of an object it built (an
	// Event's count): no registry hooks.
	Valid bool
	// Differs: the caller compared what it writes with the stored object and found a
	// difference, so the store skips its own no-op check (a walk over a thousand endpoints).
	Differs bool
	// Successor (with Status and Owned): obj is a top-level copy of the stored object, made
	// at the resourceVersion it carries, with a status of its own; its spec and metadata are
	// the stored ones, unchanged. The store keeps obj itself instead of building that copy a
	// second time (a pod's start is five status writes). The resourceVersion must be the
	// stored one, else Conflict as always; without it, the store builds the successor itself.
	Successor bool
}

// Update replaces an object. A non-empty resourceVersion must match the stored one (else
// Conflict). A write that changes nothing returns the stored object without a new
// resourceVersion, as a real apiserver does.
func (s *Store) Update(res Resource, in runtime.Object, o UpdateOptions) (runtime.Object, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj := in
	if !o.Owned {
		obj = in.DeepCopyObject()
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	ns := nsFor(res, m.GetNamespace())
	k := objKey(ns, m.GetName())
	old, ok := s.objs[res.Name][k]
	if !ok {
		return nil, notFound(res, m.GetName())
	}
	om, _ := meta.Accessor(old)
	if rv := m.GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return nil, apierrors.NewConflict(res.GVR().GroupResource(), m.GetName(),
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	if m.GetUID() != "" && m.GetUID() != om.GetUID() {
		return nil, apierrors.NewConflict(res.GVR().GroupResource(), m.GetName(),
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", m.GetUID(), om.GetUID()))
	}
	hooks := s.hooks
	if o.Valid {
		hooks = Hooks{}
	}
	if o.Binding {
		in, ok := obj.(*corev1.Pod)
		stored, _ := old.(*corev1.Pod)
		if !ok || stored == nil {
			return nil, apierrors.NewBadRequest("only pods are bound")
		}
		if stored.Spec.NodeName != "" {
			return nil, apierrors.NewConflict(res.GVR().GroupResource(), m.GetName(),
				fmt.Errorf("pod %s is already assigned to node %q", m.GetName(), stored.Spec.NodeName))
		}
		if stored.DeletionTimestamp != nil {
			return nil, apierrors.NewConflict(res.GVR().GroupResource(), m.GetName(),
				fmt.Errorf("pod %s is being deleted, cannot be assigned to a host", m.GetName()))
		}
		bound := *stored // a new top level sharing the stored pod's parts; only a field of its own Spec changes
		bound.Spec.NodeName = in.Spec.NodeName
		obj, hooks = &bound, Hooks{}
		m, _ = meta.Accessor(obj)
	} else if o.Status {
		// Only status moves; everything else stays as stored.
		var merged runtime.Object
		if o.Owned {
			// Copy-on-write: a new top-level struct sharing the stored spec and metadata.
			if o.Successor && m.GetResourceVersion() == om.GetResourceVersion() {
				merged = obj // built so by the caller
			} else {
				merged = withStatusOf(old, obj)
			}
			hooks = Hooks{}
		} else {
			merged = old.DeepCopyObject()
			copyField(merged, obj, "Status")
		}
		obj = merged
		m, _ = meta.Accessor(obj)
	} else if res.HasStatus {
		copyField(obj, old, "Status")
	}
	// Fields a client cannot change.
	m.SetNamespace(om.GetNamespace())
	m.SetUID(om.GetUID())
	m.SetCreationTimestamp(om.GetCreationTimestamp())
	m.SetDeletionTimestamp(om.GetDeletionTimestamp())
	m.SetDeletionGracePeriodSeconds(om.GetDeletionGracePeriodSeconds())
	m.SetGeneration(om.GetGeneration())
	m.SetResourceVersion(om.GetResourceVersion())
	if !o.ManagedFields {
		// Writers other than the field manager keep the fields' recorded owners.
		m.SetManagedFields(om.GetManagedFields())
	}
	if om.GetDeletionTimestamp() != nil {
		// A deleting object may lose finalizers but never gain new ones.
		m.SetFinalizers(keepOnly(m.GetFinalizers(), om.GetFinalizers()))
	}
	if hooks.Default != nil {
		hooks.Default(res, old, obj)
	}
	if !o.Status && !o.Binding && hasSpec(obj) && specChanged(old, obj) { // a binding sets only spec.nodeName, which does not count
		m.SetGeneration(om.GetGeneration() + 1)
	}
	if hooks.Validate != nil {
		if errs := hooks.Validate(res, old, obj); len(errs) > 0 {
			return nil, apierrors.NewInvalid(res.GVK().GroupKind(), m.GetName(), errs)
		}
	}
	setTypeMeta(res, obj)
	out := func(o2 runtime.Object) runtime.Object {
		if o.Owned {
			return o2
		}
		return o2.DeepCopyObject()
	}
	if !o.Differs && unchanged(obj, old, o.Status && o.Owned) {
		return out(old), nil
	}
	oldSize, newSize := s.sizeOf(old), s.sizeOf(obj)
	if newSize > oldSize {
		if err := s.overBytes(res, m.GetName(), newSize-oldSize, s.limits.MaxBytes+s.limits.MaxBytes/10); err != nil {
			return nil, err
		}
	}
	s.rv++
	m.SetResourceVersion(strconv.FormatUint(s.rv, 10))
	if m.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) == 0 && zeroGrace(m) && !namespaceFinalizing(obj) {
		s.remove(res, k, obj, old)
		return out(obj), nil
	}
	s.objs[res.Name][k] = obj
	s.bytes += newSize - oldSize
	s.emit(Event{Type: watch.Modified, Resource: res, Object: obj, Old: old, RV: s.rv})
	return out(obj), nil
}

// withStatusOf is shallowCopy(old) with src's Status, spelled out for the kinds whose status
// the controllers write all the time (a pod's start is five status writes): reflection's
// field lookup by name and copy cost more than the rest of building the successor.
func withStatusOf(old, src runtime.Object) runtime.Object {
	switch o := old.(type) {
	case *corev1.Pod:
		if s, ok := src.(*corev1.Pod); ok {
			c := *o
			c.Status = s.Status
			return &c
		}
	case *corev1.PersistentVolumeClaim:
		if s, ok := src.(*corev1.PersistentVolumeClaim); ok {
			c := *o
			c.Status = s.Status
			return &c
		}
	case *corev1.PersistentVolume:
		if s, ok := src.(*corev1.PersistentVolume); ok {
			c := *o
			c.Status = s.Status
			return &c
		}
	case *corev1.Node:
		if s, ok := src.(*corev1.Node); ok {
			c := *o
			c.Status = s.Status
			return &c
		}
	}
	merged := shallowCopy(old)
	copyField(merged, src, "Status")
	return merged
}

// shallowCopy is a new *T holding a copy of the top-level struct of obj (a pointer to a
// struct): its slices, maps and pointers are shared, so it may only be changed by assigning
// whole fields.
func shallowCopy(obj runtime.Object) runtime.Object {
	v := reflect.ValueOf(obj).Elem()
	c := reflect.New(v.Type())
	c.Elem().Set(v)
	return c.Interface().(runtime.Object)
}

// namespaceFinalizing: a namespace keeps existing while spec.finalizers is set (the
// "kubernetes" finalizer its controller clears once the namespace is empty).
func namespaceFinalizing(obj runtime.Object) bool {
	ns, ok := obj.(*corev1.Namespace)
	return ok && len(ns.Spec.Finalizers) > 0
}

func zeroGrace(m metav1.Object) bool {
	g := m.GetDeletionGracePeriodSeconds()
	return g == nil || *g == 0
}

func keepOnly(list, allowed []string) []string {
	var out []string
	for _, f := range list {
		for _, a := range allowed {
			if f == a {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// DeleteOptions mirror metav1.DeleteOptions.
type DeleteOptions struct {
	GracePeriodSeconds *int64
	PropagationPolicy  *metav1.DeletionPropagation
	PreconditionUID    *types.UID
	PreconditionRV     *string
	// Owned is for the built-in controllers: DeleteResult.Object is the stored object itself
	// (or the last one stored), read-only like everything Peek and Select return, instead of
	// a copy the caller may change. API requests never set it.
	Owned bool
}

// DeleteResult says what a delete did.
type DeleteResult struct {
	Object runtime.Object // the object's last state (after the delete's own changes)
	// Gone is true when the object left the store; false when it lingers (graceful pod
	// termination, or finalizers that the garbage collector still has to clear).
	Gone bool
}

// Delete deletes as the apiserver does: pods on a node terminate gracefully
// (deletionTimestamp in the future), Orphan and Foreground add their finalizers, objects with
// finalizers linger with a deletionTimestamp, and the rest go at once.
func (s *Store) Delete(res Resource, ns, name string, o DeleteOptions) (DeleteResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := objKey(nsFor(res, ns), name)
	old, ok := s.objs[res.Name][k]
	if !ok {
		return DeleteResult{}, notFound(res, name)
	}
	om, _ := meta.Accessor(old)
	if o.PreconditionUID != nil && *o.PreconditionUID != om.GetUID() {
		return DeleteResult{}, apierrors.NewConflict(res.GVR().GroupResource(), name,
			fmt.Errorf("Precondition failed: UID in precondition: %v, UID in object meta: %v", *o.PreconditionUID, om.GetUID()))
	}
	if o.PreconditionRV != nil && *o.PreconditionRV != om.GetResourceVersion() {
		return DeleteResult{}, apierrors.NewConflict(res.GVR().GroupResource(), name,
			fmt.Errorf("Precondition failed: ResourceVersion in precondition: %v, ResourceVersion in object meta: %v", *o.PreconditionRV, om.GetResourceVersion()))
	}
	obj := deleteSuccessor(old)
	m, _ := meta.Accessor(obj)
	now := s.clock.Now()
	out := func(x runtime.Object) runtime.Object {
		if o.Owned {
			return x
		}
		return x.DeepCopyObject()
	}

	// Grace period: only pods bound to a node and not finished get one.
	var grace int64
	if pod, isPod := obj.(*corev1.Pod); isPod {
		grace = 30
		if pod.Spec.TerminationGracePeriodSeconds != nil {
			grace = *pod.Spec.TerminationGracePeriodSeconds
		}
		if o.GracePeriodSeconds != nil {
			grace = *o.GracePeriodSeconds
		}
		if pod.Spec.NodeName == "" || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			grace = 0
		}
		if grace < 0 {
			grace = 0
		}
		if cur := om.GetDeletionGracePeriodSeconds(); cur != nil && *cur < grace {
			grace = *cur // a second delete may only shorten the grace period
		}
	}

	finalizers := m.GetFinalizers()
	policy := metav1.DeletePropagationBackground
	if o.PropagationPolicy != nil {
		policy = *o.PropagationPolicy
	}
	if om.GetDeletionTimestamp() == nil {
		switch policy {
		case metav1.DeletePropagationOrphan:
			finalizers = addString(removeString(finalizers, FinalizerForeground), FinalizerOrphan)
		case metav1.DeletePropagationForeground:
			finalizers = addString(removeString(finalizers, FinalizerOrphan), FinalizerForeground)
		}
	}
	m.SetFinalizers(finalizers)

	if len(finalizers) == 0 && grace == 0 && !namespaceFinalizing(obj) {
		s.rv++
		m.SetResourceVersion(strconv.FormatUint(s.rv, 10))
		if m.GetDeletionTimestamp() == nil {
			t := metav1.NewTime(now.Truncate(time.Second))
			m.SetDeletionTimestamp(&t)
		}
		zero := int64(0)
		m.SetDeletionGracePeriodSeconds(&zero)
		s.remove(res, k, obj, old)
		return DeleteResult{Object: out(obj), Gone: true}, nil
	}
	changed := false
	if ns, ok := obj.(*corev1.Namespace); ok && ns.Status.Phase != corev1.NamespaceTerminating {
		// The namespace controller empties it, then drops spec.finalizers and it goes.
		ns.Status.Phase = corev1.NamespaceTerminating
		changed = true
	}
	if om.GetDeletionTimestamp() == nil || (om.GetDeletionGracePeriodSeconds() != nil && grace < *om.GetDeletionGracePeriodSeconds()) {
		t := metav1.NewTime(now.Add(time.Duration(grace) * time.Second).Truncate(time.Second))
		m.SetDeletionTimestamp(&t)
		g := grace
		m.SetDeletionGracePeriodSeconds(&g)
		changed = true
	}
	if !reflect.DeepEqual(finalizers, om.GetFinalizers()) {
		changed = true
	}
	if !changed {
		return DeleteResult{Object: out(old)}, nil
	}
	s.rv++
	m.SetResourceVersion(strconv.FormatUint(s.rv, 10))
	s.objs[res.Name][k] = obj
	s.bytes += s.sizeOf(obj) - s.sizeOf(old)
	s.emit(Event{Type: watch.Modified, Resource: res, Object: obj, Old: old, RV: s.rv})
	return DeleteResult{Object: out(obj)}, nil
}

// deleteSuccessor is the object a delete changes and stores in place of old. Delete changes
// only whole metadata fields (deletionTimestamp, deletionGracePeriodSeconds, finalizers,
// resourceVersion) and a namespace's status.phase, so a typed object's successor is a copy of
// its top-level struct sharing everything else with old (stored objects are never mutated):
// a pod's two deletes (graceful, then final) copied its spec and status twice each. An
// unstructured object keeps its metadata in a map, which a shallow copy would share: it is
// deep-copied.
func deleteSuccessor(old runtime.Object) runtime.Object {
	switch o := old.(type) {
	case *corev1.Pod:
		c := *o
		return &c
	case runtime.Unstructured:
		return old.DeepCopyObject()
	}
	t := reflect.TypeOf(old)
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return old.DeepCopyObject()
	}
	// Only a metadata struct held by value, directly in the object, is copied with it.
	if f, ok := t.Elem().FieldByName("ObjectMeta"); !ok || len(f.Index) != 1 || f.Type.Kind() != reflect.Struct {
		return old.DeepCopyObject()
	}
	return shallowCopy(old)
}

// remove drops an object; the caller holds the lock and has set its final resourceVersion.
func (s *Store) remove(res Resource, k string, obj, old runtime.Object) {
	if stored, ok := s.objs[res.Name][k]; ok {
		s.bytes -= s.sizeOf(stored)
	}
	delete(s.objs[res.Name], k)
	s.count--
	if res.Namespaced {
		if m, err := meta.Accessor(obj); err == nil {
			s.nsCount[res.Name+"/"+m.GetNamespace()]--
		}
	}
	s.emit(Event{Type: watch.Deleted, Resource: res, Object: obj, Old: old, RV: s.rv})
}

// addString returns list with v added; a new array when it grows, so a list shared with a
// stored object is never written through.
func addString(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(slices.Clip(list), v)
}

func removeString(list []string, v string) []string {
	var out []string
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// specChanged: the update changes what generation counts. A pod's spec.nodeName is set by
// binding (the scheduler's pods/binding), which a real apiserver does not count.
func specChanged(old, obj runtime.Object) bool {
	if op, ok := old.(*corev1.Pod); ok {
		if np, ok := obj.(*corev1.Pod); ok && op.Spec.NodeName != np.Spec.NodeName {
			a, b := op.Spec, np.Spec
			a.NodeName = b.NodeName
			return !SemanticEqual(a, b)
		}
	}
	return !SemanticEqual(fieldOf(obj, "Spec"), fieldOf(old, "Spec"))
}

func hasSpec(obj runtime.Object) bool {
	switch obj.(type) {
	// Kinds whose real apiserver strategy never sets metadata.generation, spec or not
	// (kubectl get -o yaml shows none for a Service, claim, volume or node).
	case *corev1.Event, *corev1.ConfigMap, *corev1.Endpoints, *corev1.Namespace,
		*corev1.Service, *corev1.PersistentVolumeClaim, *corev1.PersistentVolume, *corev1.Node:
		return false
	}
	return fieldOf(obj, "Spec") != nil
}

// unchanged: the write stores nothing new. An owned status write can differ from the stored
// object in its status alone (its spec and metadata are the stored ones and no hooks ran), so
// only the statuses are compared: walking a pod's spec field by field was most of the check.
func unchanged(obj, old runtime.Object, statusOnly bool) bool {
	if statusOnly {
		if a, b := statusOf(obj), statusOf(old); a != nil && b != nil {
			return SemanticEqual(a, b)
		}
	}
	return SemanticEqual(obj, old)
}

// statusOf points at obj's Status field (nil without one), without copying it.
func statusOf(obj runtime.Object) any {
	switch o := obj.(type) {
	case *corev1.Pod:
		return &o.Status
	case *corev1.PersistentVolumeClaim:
		return &o.Status
	case *corev1.PersistentVolume:
		return &o.Status
	}
	if f, ok := structField(obj, "Status"); ok {
		return f.Addr().Interface()
	}
	return nil
}

func fieldOf(obj runtime.Object, name string) any {
	if f, ok := structField(obj, name); ok {
		return f.Interface()
	}
	return nil
}

// structField is the named field of the struct obj points to (addressable); false without one.
func structField(obj runtime.Object, name string) (reflect.Value, bool) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	f := v.Elem().FieldByName(name)
	return f, f.IsValid()
}

func copyField(dst, src runtime.Object, name string) {
	d := reflect.ValueOf(dst).Elem().FieldByName(name)
	sv := reflect.ValueOf(src).Elem().FieldByName(name)
	if d.IsValid() && sv.IsValid() && d.CanSet() {
		d.Set(sv)
	}
}

// emit records an event in the history and hands it to watchers and listeners. Lock held.
func (s *Store) emit(ev Event) {
	s.index(ev)
	if len(s.history) < s.histCap {
		s.history = append(s.history, s.histEntryOf(ev))
	} else {
		s.history[s.histHead] = s.histEntryOf(ev)
		s.histHead = (s.histHead + 1) % len(s.history)
	}
	for w := range s.watchers {
		w.offer(ev)
	}
	for _, fn := range s.listeners {
		fn(ev)
	}
}

// histEntry is an Event in the history ring, its Resource (170 bytes, the same for every
// event of a resource) held once per store: a ring of 4096 Events was 0.9 MB, and growing it
// by append allocated twice that for every new simulator.
type histEntry struct {
	typ      watch.EventType
	res      *Resource
	obj, old runtime.Object
	rv       uint64
}

func (s *Store) histEntryOf(ev Event) histEntry {
	r := s.histRes[ev.Resource.Name]
	if r == nil {
		r = new(Resource)
		*r = ev.Resource
		if s.histRes == nil {
			s.histRes = map[string]*Resource{}
		}
		s.histRes[ev.Resource.Name] = r
	}
	return histEntry{typ: ev.Type, res: r, obj: ev.Object, old: ev.Old, rv: ev.RV}
}

// histEvent is the i-th oldest event of the history (0 ≤ i < len(s.history)). Lock held.
func (s *Store) histEvent(i int) Event {
	h := &s.history[(s.histHead+i)%len(s.history)]
	return Event{Type: h.typ, Resource: *h.res, Object: h.obj, Old: h.old, RV: h.rv}
}

// histRV is the resourceVersion of the i-th oldest event of the history. Lock held.
func (s *Store) histRV(i int) uint64 {
	return s.history[(s.histHead+i)%len(s.history)].rv
}

// Len is how many objects of res namespace ns holds (all namespaces for a cluster-scoped
// resource), without copying any: cheap enough to poll.
func (s *Store) Len(res Resource, ns string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !res.Namespaced {
		return len(s.objs[res.Name])
	}
	return s.nsCount[res.Name+"/"+ns]
}

// sizeOf is objSize when the store has a byte cap, else 0: without one nobody reads the
// count, and sizing every write costs a walk of the object.
func (s *Store) sizeOf(obj runtime.Object) int64 {
	if s.limits.MaxBytes <= 0 {
		return 0
	}
	return objSize(obj)
}

// objSize is an object's protobuf size, which every built-in type computes without encoding;
// other objects (custom resources) count their JSON.
func objSize(obj runtime.Object) int64 {
	switch o := obj.(type) {
	case interface{ Size() int }:
		return int64(o.Size())
	case runtime.Unstructured:
		if b, err := json.Marshal(o.UnstructuredContent()); err == nil {
			return int64(len(b))
		}
	}
	return 0
}

// overBytes refuses adding n bytes past limit (0: no cap), in a ResourceQuota's words.
func (s *Store) overBytes(res Resource, name string, n, limit int64) error {
	if s.limits.MaxBytes <= 0 || s.bytes+n <= limit {
		return nil
	}
	q := func(v int64) string { return resource.NewQuantity(v, resource.BinarySI).String() }
	return apierrors.NewForbidden(res.GVR().GroupResource(), name,
		fmt.Errorf("exceeded quota: %s, requested: %s=%s, used: %s=%s, limited: %s=%s (the simulator's memory for objects is full; delete some first)",
			QuotaName, QuotaMemory, q(n), QuotaMemory, q(s.bytes), QuotaMemory, q(s.limits.MaxBytes)))
}

// QuotaMemory is the resource name Limits.MaxBytes reports in its "exceeded quota" errors.
const QuotaMemory = "simulator-memory"

// Bytes returns the size of the stored objects, as Limits.MaxBytes counts it.
func (s *Store) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}
