package controller

import (
	"slices"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// The Endpoints and EndpointSlice controllers keep, per Service, the pods it selects in the
// order the object lists them (epView), and update it from the pods that changed since the
// last sync (podDelta, filled by Observe) instead of walking the namespace's pods: a rolling
// update or an OrderedReady start moves one pod per step, and at a thousand pods the walks
// were most of the cost of a step. A Service change, an error or a first sync rebuilds the
// view from a list of the namespace.

// podDelta collects, per namespace, the names of the pods whose endpoint inputs changed since
// the namespace's last sync, or that the next sync must rebuild from a list (full). Observe
// fills it with the store locked; Sync takes it on the loop goroutine.
type podDelta struct {
	mu    sync.Mutex
	names map[string]map[string]struct{}
	full  map[string]bool
}

func (d *podDelta) pod(ns, name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.full[ns] {
		return
	}
	if d.names == nil {
		d.names = map[string]map[string]struct{}{}
	}
	m := d.names[ns]
	if m == nil {
		m = map[string]struct{}{}
		d.names[ns] = m
	}
	m[name] = struct{}{}
}

// all: the namespace's next sync rebuilds every view from a list.
func (d *podDelta) all(ns string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.full == nil {
		d.full = map[string]bool{}
	}
	d.full[ns] = true
	delete(d.names, ns)
}

// observe notes a pod event (when it moves an endpoint input) or a Service event (a rebuild)
// and queues the namespace for controller; it reports whether ev was either. The Endpoints and
// EndpointSlice controllers both observe through it.
func (d *podDelta) observe(ev store.Event, q Queue, controller string) bool {
	switch ev.Resource.Name {
	case podsRes.Name:
		if !endpointInputsChanged(ev) {
			return true
		}
		m := objMeta(ev.Object)
		d.pod(m.GetNamespace(), m.GetName())
		q.Add(Key{Controller: controller, Namespace: m.GetNamespace()})
		return true
	case svcRes.Name:
		ns := objMeta(ev.Object).GetNamespace()
		d.all(ns)
		q.Add(Key{Controller: controller, Namespace: ns})
		return true
	}
	return false
}

// syncWith runs sync with what changed in ns; after an error, what was taken is not applied
// everywhere, so the next sync rebuilds.
func (d *podDelta) syncWith(ns string, sync func(ns string, names []string, full bool) error) error {
	names, full := d.take(ns)
	err := sync(ns, names, full)
	if err != nil {
		d.all(ns)
	}
	return err
}

// reuseDeltaMax: a namespace's changed-name map with more entries than this is dropped, not
// cleared for reuse, once taken.
const reuseDeltaMax = 32

// take returns and forgets what changed in ns, sorted by name (a repeatable order).
func (d *podDelta) take(ns string) (names []string, full bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	full = d.full[ns]
	delete(d.full, ns)
	m := d.names[ns]
	for n := range m {
		names = append(names, n)
	}
	if len(m) > reuseDeltaMax {
		// A map never shrinks: kept after a thousand pods moved at once (a Parallel create), it
		// made every later take's walk and clear cost the thousand slots, not the one pod a
		// rolling-update step moves.
		delete(d.names, ns)
	} else {
		clear(m) // kept for the namespace's next changes: a new map per sync was most of what Observe allocated
	}
	slices.Sort(names)
	return names, full
}

// epSlot is what one selected pod version contributes to a Service's object.
type epSlot[T any] struct {
	pod *corev1.Pod
	key string // the sort key: the pod's IP
	val T      // read-only, shared with stored objects
}

// epView is one Service's selected pods, sorted by (IP, pod name).
type epView[T any] struct {
	svc    *corev1.Service // the Service version the view was built for
	byName map[string]*epSlot[T]
	order  []*epSlot[T]
	// changed: the order moved since the object was last written or found right; written is
	// the stored object the last sync left (the write's result, or the object found right).
	changed bool
	written runtime.Object
	// log: the slots taken out of and put into order since written was left.
	log changeLog[T]
	// counts (when set) picks slots to count; counted is how many slots of order it picks,
	// kept as slots come and go (the Endpoints controller counts the ready ones: counting
	// them on every sync walked a thousand slots).
	counts  func(T) bool
	counted int
}

// changeLog records the slots taken out of (drops) and put into (adds) a sorted list since
// the object holding it was last written; lost (too many, or a rebuild) means they are not
// all there. From them a sync edits the written list at the places that moved (editSorted)
// instead of gathering it again from every slot.
type changeLog[T any] struct {
	drops, adds []*epSlot[T]
	lost        bool
}

// maxTracked bounds drops and adds: past it a sync rebuilds from the slots, as it would
// cost as much.
const maxTracked = 64

func (c *changeLog[T]) drop(sl *epSlot[T]) { c.track(&c.drops, sl) }
func (c *changeLog[T]) add(sl *epSlot[T])  { c.track(&c.adds, sl) }

func (c *changeLog[T]) track(list *[]*epSlot[T], sl *epSlot[T]) {
	if c.lost {
		return
	}
	if len(*list) >= maxTracked {
		c.loseAll()
		return
	}
	*list = append(*list, sl)
}

// loseAll: what changed is no longer known (the next write gathers).
func (c *changeLog[T]) loseAll() {
	c.reset()
	c.lost = true
}

// reset: the list was just written; nothing changed since.
func (c *changeLog[T]) reset() {
	clear(c.drops) // no pointers kept to slots that are gone
	clear(c.adds)
	c.drops, c.adds, c.lost = c.drops[:0], c.adds[:0], false
}

// net: the slots in the written list that are gone (drops) and the slots it lacks (adds),
// each sorted by slotCmp; ok false when they are not known.
func (c *changeLog[T]) net() (drops, adds []*epSlot[T], ok bool) {
	if c.lost {
		return nil, nil, false
	}
	for _, d := range c.drops {
		if !slices.Contains(c.adds, d) {
			drops = append(drops, d)
		}
	}
	for _, a := range c.adds {
		if !slices.Contains(c.drops, a) {
			adds = append(adds, a)
		}
	}
	slices.SortFunc(drops, slotCmp[T])
	slices.SortFunc(adds, slotCmp[T])
	return drops, adds, true
}

// editSorted returns old (a stored list, sorted as slotCmp sorts its slots: read-only)
// without the dropped slots' elements and with the added ones', among those that in
// selects, as a new list of want elements; cmp orders an element against a slot, elem is a
// slot's element, same compares two elements. ok false when a dropped slot's element is not
// in old or the count comes out other than want (the caller then gathers). Between the
// changed places old's runs are copied as they are.
func editSorted[T, E any](old []E, drops, adds []*epSlot[T], in func(*epSlot[T]) bool, elem func(*epSlot[T]) *E,
	cmp func(E, *epSlot[T]) int, same func(a, b *E) bool, want int) ([]E, bool) {
	var cut []int // positions in old to leave out, ascending (drops are sorted)
	for _, d := range drops {
		if !in(d) {
			continue
		}
		i, found := slices.BinarySearchFunc(old, d, cmp)
		if !found || !same(&old[i], elem(d)) {
			return nil, false
		}
		cut = append(cut, i)
	}
	var put []*epSlot[T]
	for _, a := range adds {
		if in(a) {
			put = append(put, a)
		}
	}
	if len(old)-len(cut)+len(put) != want {
		return nil, false
	}
	if len(cut) == 0 && len(put) == 0 {
		return old, true // unchanged: the stored list itself
	}
	if want == 0 {
		return nil, true
	}
	out := make([]E, 0, want)
	i := 0
	for len(cut) > 0 || len(put) > 0 {
		// The next place something changes: a dropped position, or where an add goes (an
		// add sorting right before a dropped element goes first).
		next, isAdd := len(old), false
		if len(cut) > 0 {
			next = cut[0]
		}
		if len(put) > 0 {
			if p, _ := slices.BinarySearchFunc(old, put[0], cmp); p <= next {
				next, isAdd = p, true
			}
		}
		out = append(out, old[i:next]...)
		i = next
		if isAdd {
			out = append(out, *elem(put[0]))
			put = put[1:]
		} else {
			i++ // dropped
			cut = cut[1:]
		}
	}
	return append(out, old[i:]...), true
}

// editChanges: editing a list with drops and adds (net, as editSorted takes them; in
// selects the ones that count) surely changes it: their numbers differ, or an added element
// equals no dropped one. False when it may not (every add puts back a dropped value): the
// caller then compares the lists.
func editChanges[T, E any](drops, adds []*epSlot[T], in func(*epSlot[T]) bool, elem func(*epSlot[T]) *E, same func(a, b *E) bool) bool {
	nd, na := 0, 0
	for _, d := range drops {
		if in(d) {
			nd++
		}
	}
	for _, a := range adds {
		if !in(a) {
			continue
		}
		na++
		if !slices.ContainsFunc(drops, func(d *epSlot[T]) bool { return in(d) && same(elem(a), elem(d)) }) {
			return true
		}
	}
	return nd != na
}

func newEPView[T any](svc *corev1.Service) *epView[T] {
	return &epView[T]{svc: svc, byName: map[string]*epSlot[T]{}, changed: true}
}

func slotCmp[T any](a, b *epSlot[T]) int {
	if c := strings.Compare(a.key, b.key); c != 0 {
		return c
	}
	return strings.Compare(a.pod.Name, b.pod.Name)
}

// remove takes the pod named name out of the view.
func (v *epView[T]) remove(name string) {
	sl := v.byName[name]
	if sl == nil {
		return
	}
	delete(v.byName, name)
	if i, ok := slices.BinarySearchFunc(v.order, sl, slotCmp[T]); ok {
		v.order = slices.Delete(v.order, i, i+1)
		if v.counts != nil && v.counts(sl.val) {
			v.counted--
		}
	}
	v.changed = true
	v.log.drop(sl)
}

// put adds sl (no slot of its pod's name may be in the view).
func (v *epView[T]) put(sl *epSlot[T]) {
	v.byName[sl.pod.Name] = sl
	i, _ := slices.BinarySearchFunc(v.order, sl, slotCmp[T])
	v.order = slices.Insert(v.order, i, sl)
	if v.counts != nil && v.counts(sl.val) {
		v.counted++
	}
	v.changed = true
	v.log.add(sl)
}

// fill builds the view from every pod of the namespace (in store order): slot returns what a
// pod contributes, nil when it is not in.
func (v *epView[T]) fill(pods []runtime.Object, slot func(*corev1.Pod) *epSlot[T]) {
	v.order = v.order[:0]
	clear(v.byName)
	v.counted = 0
	for _, o := range pods {
		if sl := slot(o.(*corev1.Pod)); sl != nil {
			v.byName[sl.pod.Name] = sl
			v.order = append(v.order, sl)
			if v.counts != nil && v.counts(sl.val) {
				v.counted++
			}
		}
	}
	slices.SortFunc(v.order, slotCmp[T])
	v.changed = true
	v.log.loseAll()
}

// apply updates the view from the pods named in names, as the store holds them now. A pod
// whose new version contributes what the old one did (same reports so, when given) only
// takes its place: changed then means the lists differ from the ones last written.
func (v *epView[T]) apply(names []string, peek func(name string) *corev1.Pod, slot func(*corev1.Pod) *epSlot[T], same func(a, b *epSlot[T]) bool) {
	for _, name := range names {
		p := peek(name)
		old := v.byName[name]
		if old != nil && old.pod == p {
			continue
		}
		var sl *epSlot[T]
		if p != nil {
			sl = slot(p)
		}
		if old == nil && sl == nil {
			continue
		}
		if old != nil && sl != nil && same != nil && old.key == sl.key && same(old, sl) {
			old.pod = p // same place in the order, same value (kept: shared with the stored lists; counted as before)
			continue
		}
		v.remove(name)
		if sl != nil {
			v.put(sl)
		}
	}
}

// firstPod is the first pod in the namespace's order (by name) that is in: the one a named
// targetPort is looked up in. Only walked when a port is named.
func (v *epView[T]) firstPod(svc *corev1.Service) *corev1.Pod {
	named := false
	for _, sp := range svc.Spec.Ports {
		if sp.TargetPort.Type == intstr.String {
			named = true
		}
	}
	if !named {
		return nil // targetPort reads no pod
	}
	var first *corev1.Pod
	for _, sl := range v.order {
		if first == nil || sl.pod.Name < first.Name {
			first = sl.pod
		}
	}
	return first
}

// settle records the outcome of a sync's write: on success the stored object it left (the
// next sync with nothing changed and that very object stored has nothing to do).
func (v *epView[T]) settle(stored runtime.Object, err error) {
	v.log.reset()
	if err != nil {
		v.written, v.changed = nil, true
		return
	}
	v.written, v.changed = stored, false
}
