package store

import (
	"fmt"
	"sort"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// maxPending is how far a watcher may fall behind before the store ends its stream; the client
// then re-watches from its last resourceVersion, as it would after any dropped connection.
const maxPending = 20000

// Watcher streams the events of one resource that match its filters. It implements
// watch.Interface.
type Watcher struct {
	res    Resource
	ns     string
	lsel   labels.Selector
	fsel   fields.Selector
	store  *Store
	mu     sync.Mutex
	queue  []watch.Event
	closed bool
	signal chan struct{}
	out    chan watch.Event
	done   chan struct{}
	once   sync.Once
}

// WatchOptions select what a watch sees.
type WatchOptions struct {
	Namespace       string // "" for all namespaces
	LabelSelector   labels.Selector
	FieldSelector   fields.Selector
	ResourceVersion string // "" or "0": current objects as ADDED first; else events after it
}

// Watch starts a watch. A resourceVersion older than the retained history is answered with a
// 410 Gone (Expired) error, as a real apiserver does.
func (s *Store) Watch(res Resource, o WatchOptions) (*Watcher, error) {
	w := &Watcher{res: res, ns: nsFor(res, o.Namespace), lsel: o.LabelSelector, fsel: o.FieldSelector, store: s,
		signal: make(chan struct{}, 1), out: make(chan watch.Event), done: make(chan struct{})}
	s.mu.Lock()
	if o.ResourceVersion == "" || o.ResourceVersion == "0" {
		objs := s.objs[res.Name]
		keys := make([]string, 0, len(objs))
		for k := range objs {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			if matches(res, objs[k], w.ns, w.lsel, w.fsel) {
				w.queue = append(w.queue, watch.Event{Type: watch.Added, Object: objs[k]}) // shared, as events are
			}
		}
	} else {
		from, err := strconv.ParseUint(o.ResourceVersion, 10, 64)
		if err != nil {
			s.mu.Unlock()
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid resource version: %q", o.ResourceVersion))
		}
		oldest := s.rv + 1
		if len(s.history) > 0 {
			oldest = s.histRV(0)
		}
		if from+1 < oldest && from < s.rv {
			s.mu.Unlock()
			return nil, apierrors.NewResourceExpired(fmt.Sprintf("too old resource version: %d (%d)", from, oldest-1))
		}
		for i := range s.history {
			if h := &s.history[(s.histHead+i)%len(s.history)]; h.rv > from && h.res.Name == res.Name {
				if e, ok := w.translate(s.histEvent(i)); ok {
					w.queue = append(w.queue, e)
				}
			}
		}
	}
	s.watchers[w] = struct{}{}
	hooks := s.onWatch
	s.mu.Unlock()
	w.notify()
	go w.pump()
	for _, fn := range hooks {
		fn(res)
	}
	return w, nil
}

// OnWatch registers fn, called (without the store's lock, on the watcher's goroutine) each
// time a watch of some resource starts: the kubelet resumes probes it had parked (Watched).
func (s *Store) OnWatch(fn func(Resource)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onWatch = append(s.onWatch, fn)
}

// Watched says whether an open watch of res would see obj: someone (a learner's watch pane,
// kubectl get -w) is looking at it.
func (s *Store) Watched(res Resource, obj runtime.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.watchers {
		if w.res.Name == res.Name && matches(res, obj, w.ns, w.lsel, w.fsel) {
			return true
		}
	}
	return false
}

func sortStrings(a []string) { sort.Strings(a) }

// translate turns a store event into what this watcher sees: an object moving out of the
// selector is a DELETED, moving in is an ADDED (the apiserver's cacher does the same).
func (w *Watcher) translate(ev Event) (watch.Event, bool) {
	if ev.Resource.Name != w.res.Name {
		return watch.Event{}, false
	}
	cur := matches(w.res, ev.Object, w.ns, w.lsel, w.fsel)
	switch ev.Type {
	case watch.Added, watch.Deleted:
		if !cur {
			return watch.Event{}, false
		}
		return watch.Event{Type: ev.Type, Object: ev.Object}, true
	case watch.Modified:
		prev := ev.Old != nil && matches(w.res, ev.Old, w.ns, w.lsel, w.fsel)
		switch {
		case cur && prev:
			return watch.Event{Type: watch.Modified, Object: ev.Object}, true
		case cur:
			return watch.Event{Type: watch.Added, Object: ev.Object}, true
		case prev:
			return watch.Event{Type: watch.Deleted, Object: ev.Object}, true
		}
	}
	return watch.Event{}, false
}

// offer is called with the store locked.
func (w *Watcher) offer(ev Event) {
	e, ok := w.translate(ev)
	if !ok {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	if len(w.queue) >= maxPending {
		w.mu.Unlock()
		go w.Stop() // too far behind: end the stream; the client resumes from its last RV
		return
	}
	w.queue = append(w.queue, e)
	w.mu.Unlock()
	w.notify()
}

func (w *Watcher) notify() {
	select {
	case w.signal <- struct{}{}:
	default:
	}
}

func (w *Watcher) pump() {
	defer close(w.out)
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			select {
			case <-w.signal:
				continue
			case <-w.done:
				return
			}
		}
		ev := w.queue[0]
		w.queue[0] = watch.Event{}
		w.queue = w.queue[1:]
		w.mu.Unlock()
		select {
		case w.out <- ev:
		case <-w.done:
			return
		}
	}
}

// ResultChan delivers events; it is closed when the watch stops.
func (w *Watcher) ResultChan() <-chan watch.Event { return w.out }

// Stop ends the watch; safe to call more than once.
func (w *Watcher) Stop() {
	w.once.Do(func() {
		w.store.mu.Lock()
		delete(w.store.watchers, w)
		w.store.mu.Unlock()
		w.mu.Lock()
		w.closed = true
		w.queue = nil
		w.mu.Unlock()
		close(w.done)
	})
}

var _ watch.Interface = (*Watcher)(nil)
