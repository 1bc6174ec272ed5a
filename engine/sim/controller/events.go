package controller

import (
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/lru"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Recorder writes core/v1 Events the way client-go's recorder does: one object per distinct
// (object, type, reason, message, source), whose count and lastTimestamp go up on repeats.
type Recorder struct {
	st *store.Store
	mu sync.Mutex
	// seen: aggregation key -> event name, for the latest keys only, as client-go's
	// correlator keeps them (an LRU of maxLruCacheEntries): without a bound every pod ever
	// started kept its keys for the session.
	seen *lru.Cache
	seq  int64 // keeps names unique when a fake clock stands still
}

// NewRecorder makes a recorder writing into st.
func NewRecorder(st *store.Store) *Recorder {
	return &Recorder{st: st, seen: lru.New(maxEventKeys)}
}

// maxEventKeys is client-go's maxLruCacheEntries (tools/record/events_cache.go).
const maxEventKeys = 4096

// eventKey is what client-go's aggregation compares, as a struct: no concatenated string to
// build and keep per event.
type eventKey struct {
	uid                               types.UID
	typ, reason, msg, component, host string
}

// Eventf records an event about obj from component (e.g. "statefulset-controller").
// host is the source host (the node name for kubelet events), else "".
func (r *Recorder) Eventf(obj runtime.Object, component, host, eventType, reason, format string, args ...any) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	gvk := obj.GetObjectKind().GroupVersionKind()
	ref := corev1.ObjectReference{
		Kind: gvk.Kind, APIVersion: gvk.GroupVersion().String(),
		Namespace: m.GetNamespace(), Name: m.GetName(), UID: m.GetUID(),
		ResourceVersion: m.GetResourceVersion(),
	}
	if ref.Kind == "" {
		// Objects built in code may carry no TypeMeta; the store sets it on everything it returns.
		ref.Kind = fmt.Sprintf("%T", obj)
	}
	msg := fmt.Sprintf(format, args...)
	ns := m.GetNamespace()
	if ns == "" {
		ns = "default" // events about cluster-scoped objects live in default, as on a real cluster
	}
	key := eventKey{ref.UID, eventType, reason, msg, component, host}
	now := metav1.NewTime(r.st.Now())

	if name, ok := r.seen.Get(key); ok {
		if cur, ok := r.st.Peek(eventRes, ns, name.(string)); ok {
			// A new top-level event sharing the stored one's maps and slices (read-only); only
			// whole fields change.
			ev := *cur.(*corev1.Event)
			ev.Count++
			ev.LastTimestamp = now
			ev.InvolvedObject.ResourceVersion = ref.ResourceVersion
			if _, err := r.st.Update(eventRes, &ev, store.UpdateOptions{Owned: true, Valid: true}); err == nil {
				return
			}
		}
	}
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			// client-go names events <object>.<hex nanoseconds>.
			Name:      r.name(m.GetName()),
			Namespace: ns,
		},
		InvolvedObject:      ref,
		Reason:              reason,
		Message:             msg,
		Source:              corev1.EventSource{Component: component, Host: host},
		FirstTimestamp:      now,
		LastTimestamp:       now,
		Count:               1,
		Type:                eventType,
		ReportingController: component,
		ReportingInstance:   host,
	}
	for i := 0; i < 100; i++ {
		// Handed over: the store keeps ev itself (it is only read below). Built valid here (its
		// name is the object's, which passed validation, plus a hex suffix), so no hooks.
		_, err := r.st.CreateWith(eventRes, ev, store.CreateOptions{Owned: true, Valid: true})
		if apierrors.IsAlreadyExists(err) {
			// Two events in the same nanosecond (fake clock): make the name unique.
			ev.Name = r.name(m.GetName())
			continue
		}
		if err == nil {
			r.seen.Add(key, ev.Name)
		}
		return
	}
}

func (r *Recorder) name(obj string) string {
	r.mu.Lock()
	r.seq++
	n := r.seq
	r.mu.Unlock()
	return fmt.Sprintf("%s.%x", obj, r.st.Now().UnixNano()+n)
}
