package store

import (
	"github.com/google/btree"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
)

// The store's indexes, in the spirit of client-go's informer indexers: every committed event
// updates them under the store's lock, so a reader sees its own writes at once. They hold the
// stored objects themselves, which the store never mutates after storing (every write stores a
// fresh copy): readers get them without a deep copy and must copy before changing anything.
//
// Each index keeps keys ("namespace/name") in a B-tree, so a query walks its matches in the
// order List returns them (namespace, then name) without sorting, and one namespace is a key
// range.

// keySet is an ordered set of object keys.
type keySet = btree.BTreeG[string]

func keyLess(a, b string) bool { return a < b }

// newKeySet makes a set drawing its nodes from fl. btree.NewG gives every tree a free list of
// its own (a 32-slot array): one per owner, node, claim and involved object, most holding a
// key or two, so those lists were a tenth of what indexing allocated. The store's lock guards
// every set of one index, so they can share one list.
func newKeySet(fl *btree.FreeListG[string]) *keySet {
	return btree.NewWithFreeListG[string](16, keyLess, fl)
}

// resIndex indexes one resource.
type resIndex struct {
	all      *keySet
	byOwner  map[types.UID]*keySet // any ownerReference's uid (the garbage collector's view)
	orphans  *keySet               // objects without a controller reference (adoption candidates)
	byNode   map[string]*keySet    // pods by spec.nodeName ("" = not scheduled)
	byClaim  map[string]*keySet    // pods by "namespace/claim" of each PVC volume
	byTarget map[string]*keySet    // events by "namespace/kind/name" of the involved object
	free     *btree.FreeListG[string]
}

func newResIndex() *resIndex {
	fl := btree.NewFreeListG[string](btree.DefaultFreeListSize)
	return &resIndex{all: newKeySet(fl), byOwner: map[types.UID]*keySet{}, orphans: newKeySet(fl),
		byNode: map[string]*keySet{}, byClaim: map[string]*keySet{}, byTarget: map[string]*keySet{}, free: fl}
}

func addTo[K comparable](fl *btree.FreeListG[string], m map[K]*keySet, k K, key string) {
	set := m[k]
	if set == nil {
		set = newKeySet(fl)
		m[k] = set
	}
	set.ReplaceOrInsert(key)
}

func delFrom[K comparable](m map[K]*keySet, k K, key string) {
	if set := m[k]; set != nil {
		set.Delete(key)
		if set.Len() == 0 {
			set.Clear(true) // its empty root goes back to the shared free list
			delete(m, k)
		}
	}
}

// terms are the index terms of one object.
type terms struct {
	owners  []types.UID
	orphan  bool
	node    *string
	claims  []string
	target  string
	indexed bool
}

func termsOf(obj runtime.Object) terms {
	var t terms
	if obj == nil {
		return t
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return t
	}
	t.indexed = true
	t.orphan = true
	for _, r := range m.GetOwnerReferences() {
		t.owners = append(t.owners, r.UID)
		if r.Controller != nil && *r.Controller {
			t.orphan = false
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		n := o.Spec.NodeName
		t.node = &n
		for _, v := range o.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				t.claims = append(t.claims, o.Namespace+"/"+v.PersistentVolumeClaim.ClaimName)
			}
		}
	case *corev1.Event:
		t.target = o.InvolvedObject.Namespace + "/" + o.InvolvedObject.Kind + "/" + o.InvolvedObject.Name
	}
	return t
}

// sameTerms: old and obj have the same index terms, checked in place. termsOf builds the
// terms (a slice of owners, the node, claim keys), and building them for both versions of
// every modified object was most of what indexing allocated; a copy-on-write successor
// shares its owner and volume lists with the stored version, so this is a few comparisons.
func sameTerms(old, obj runtime.Object) bool {
	om, err1 := meta.Accessor(old)
	nm, err2 := meta.Accessor(obj)
	if err1 != nil || err2 != nil {
		return false
	}
	or, nr := om.GetOwnerReferences(), nm.GetOwnerReferences()
	if len(or) != len(nr) {
		return false
	}
	for i := range or {
		oc := or[i].Controller != nil && *or[i].Controller
		nc := nr[i].Controller != nil && *nr[i].Controller
		if or[i].UID != nr[i].UID || oc != nc {
			return false
		}
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		p, ok := old.(*corev1.Pod)
		if !ok || p.Spec.NodeName != o.Spec.NodeName || p.Namespace != o.Namespace || len(p.Spec.Volumes) != len(o.Spec.Volumes) {
			return false
		}
		for i := range o.Spec.Volumes {
			a, b := p.Spec.Volumes[i].PersistentVolumeClaim, o.Spec.Volumes[i].PersistentVolumeClaim
			if (a == nil) != (b == nil) || (a != nil && a.ClaimName != b.ClaimName) {
				return false
			}
		}
	case *corev1.Event:
		e, ok := old.(*corev1.Event)
		if !ok || e.InvolvedObject.Namespace != o.InvolvedObject.Namespace || e.InvolvedObject.Kind != o.InvolvedObject.Kind ||
			e.InvolvedObject.Name != o.InvolvedObject.Name {
			return false
		}
	default:
		if _, ok := old.(*corev1.Pod); ok {
			return false
		}
		if _, ok := old.(*corev1.Event); ok {
			return false
		}
	}
	return true
}

func sameUIDs(a, b []types.UID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (x *resIndex) remove(key string, t terms) {
	for _, u := range t.owners {
		delFrom(x.byOwner, u, key)
	}
	if t.orphan {
		x.orphans.Delete(key)
	}
	if t.node != nil {
		delFrom(x.byNode, *t.node, key)
	}
	for _, c := range t.claims {
		delFrom(x.byClaim, c, key)
	}
	if t.target != "" {
		delFrom(x.byTarget, t.target, key)
	}
}

func (x *resIndex) insert(key string, t terms) {
	for _, u := range t.owners {
		addTo(x.free, x.byOwner, u, key)
	}
	if t.orphan {
		x.orphans.ReplaceOrInsert(key)
	}
	if t.node != nil {
		addTo(x.free, x.byNode, *t.node, key)
	}
	for _, c := range t.claims {
		addTo(x.free, x.byClaim, c, key)
	}
	if t.target != "" {
		addTo(x.free, x.byTarget, t.target, key)
	}
}

// index applies one committed event to the indexes. Lock held.
func (s *Store) index(ev Event) {
	x := s.idx[ev.Resource.Name]
	if x == nil {
		x = newResIndex()
		s.idx[ev.Resource.Name] = x
	}
	m, err := meta.Accessor(ev.Object)
	if err != nil {
		return
	}
	key := objKey(m.GetNamespace(), m.GetName())
	switch ev.Type {
	case "ADDED":
		x.all.ReplaceOrInsert(key)
		x.insert(key, termsOf(ev.Object))
	case "DELETED":
		x.all.Delete(key)
		x.remove(key, termsOf(ev.Object))
	default:
		if sameTerms(ev.Old, ev.Object) {
			return // the common case: a status or label change moves no index entry
		}
		nt := termsOf(ev.Object)
		ot := termsOf(ev.Old)
		if ot.orphan == nt.orphan && sameUIDs(ot.owners, nt.owners) && sameStrings(ot.claims, nt.claims) &&
			ot.target == nt.target && ((ot.node == nil) == (nt.node == nil)) && (ot.node == nil || *ot.node == *nt.node) {
			return // the common case: a status or label change moves no index entry
		}
		x.remove(key, ot)
		x.insert(key, nt)
	}
}

// Query selects objects of one resource from the indexes. The zero Query is every object.
// Several fields narrow the result together.
type Query struct {
	Namespace string    // "" for all namespaces
	Owner     types.UID // objects with an ownerReference to this uid
	// Orphans: objects without a controller ownerReference.
	Orphans bool
	// Node: pods bound to this node; set NodeSet to select it ("" = pods not yet scheduled).
	Node    string
	NodeSet bool
	// Claim: pods with a volume of this PersistentVolumeClaim (in Namespace).
	Claim string
	// Involved: events about this object ("kind/name" in Namespace).
	Involved string
	Labels   labels.Selector // nil or empty: any
	Fields   fields.Selector // nil or empty: any
	// After: only keys ("namespace/name") after this one, for paged lists.
	After string
	// Limit: at most this many objects (0: all); Page reports whether more match.
	Limit int
}

// Peek returns the stored object itself, without a copy. It is read-only: never mutate it
// (DeepCopy it first to write).
func (s *Store) Peek(res Resource, ns, name string) (runtime.Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	obj, ok := s.objs[res.Name][objKey(nsFor(res, ns), name)]
	return obj, ok
}

// Select returns the stored objects (read-only, never to be mutated: no copies are made) of
// res that match q, in List's order.
func (s *Store) Select(res Resource, q Query) []runtime.Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.selectLocked(res, q, nil)
}

// SelectFunc is Select without building a slice: fn sees each match in order until it
// returns false. fn runs with the store locked and must not call the store.
func (s *Store) SelectFunc(res Resource, q Query, fn func(runtime.Object) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.selectLocked(res, q, fn)
}

// Page is Select with the store's resourceVersion, for paged lists: more reports that objects
// beyond q.Limit match; the last object's key is then where the next page starts (Query.After).
func (s *Store) Page(res Resource, q Query) (objs []runtime.Object, rv uint64, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := q.Limit
	q.Limit = 0
	s.selectLocked(res, q, func(o runtime.Object) bool {
		if limit > 0 && len(objs) == limit {
			more = true
			return false
		}
		objs = append(objs, o)
		return true
	})
	return objs, s.rv, more
}

// Key is the key Query.After takes for an object.
func Key(obj runtime.Object) string {
	m, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return objKey(m.GetNamespace(), m.GetName())
}

// Count is how many objects match q.
func (s *Store) Count(res Resource, q Query) int {
	n := 0
	s.SelectFunc(res, q, func(runtime.Object) bool { n++; return true })
	return n
}

func (s *Store) selectLocked(res Resource, q Query, fn func(runtime.Object) bool) []runtime.Object {
	x := s.idx[res.Name]
	if x == nil {
		return nil
	}
	set := x.all
	var sets []*keySet
	pick := func(k *keySet) {
		sets = append(sets, k)
	}
	if q.Owner != "" {
		pick(x.byOwner[q.Owner])
	}
	if q.Orphans {
		pick(x.orphans)
	}
	if q.NodeSet {
		pick(x.byNode[q.Node])
	}
	if q.Claim != "" {
		pick(x.byClaim[q.Namespace+"/"+q.Claim])
	}
	if q.Involved != "" {
		pick(x.byTarget[q.Namespace+"/"+q.Involved])
	}
	// Walk the smallest index; the other conditions are checked per object.
	for i, k := range sets {
		if k == nil {
			return nil
		}
		if i == 0 || k.Len() < set.Len() {
			set = k
		}
	}
	ns := nsFor(res, q.Namespace)
	objs := s.objs[res.Name]
	var out []runtime.Object
	if fn == nil && (len(sets) > 0 || ((q.Labels == nil || q.Labels.Empty()) && (q.Fields == nil || q.Fields.Empty()))) {
		// The walked set bounds the result, closely unless a selector filters it: one
		// allocation instead of a doubling slice (controllers select a set's pods every sync).
		n := set.Len()
		if q.Limit > 0 && q.Limit < n {
			n = q.Limit + 1
		}
		out = make([]runtime.Object, 0, n)
	}
	visit := func(key string) bool {
		obj := objs[key]
		if obj == nil {
			return true
		}
		if !s.queryMatches(x, res, key, obj, q, sets, set) {
			return true
		}
		if fn != nil {
			return fn(obj)
		}
		out = append(out, obj)
		return true
	}
	from, to := "", ""
	if ns != "" {
		// Keys are "namespace/name": one namespace is the range [ns+"/", ns+"0").
		from, to = ns+"/", ns+"0"
	}
	if q.After != "" && q.After+"\x00" > from {
		from = q.After + "\x00"
	}
	switch {
	case to != "":
		if from < to {
			set.AscendRange(from, to, visit)
		}
	case from != "":
		set.AscendGreaterOrEqual(from, visit)
	default:
		set.Ascend(visit)
	}
	return out
}

func (s *Store) queryMatches(x *resIndex, res Resource, key string, obj runtime.Object, q Query, sets []*keySet, walked *keySet) bool {
	for _, k := range sets {
		if k != walked && !k.Has(key) {
			return false
		}
	}
	if (q.Labels != nil && !q.Labels.Empty()) || (q.Fields != nil && !q.Fields.Empty()) {
		return matches(res, obj, "", q.Labels, q.Fields)
	}
	return true
}
