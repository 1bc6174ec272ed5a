package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// defaultWatchTimeout ends watches that did not ask for a timeout; clients re-watch from
// their last resourceVersion, as they do against a real apiserver.
const defaultWatchTimeout = 30 * time.Minute

// serveWatch streams events as chunked JSON, one watch event per line. With
// sendInitialEvents=true (client-go's watch-list) the current objects come first as ADDED,
// followed by a BOOKMARK marked k8s.io/initial-events-end.
func (s *server) serveWatch(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	if n := s.watches.Add(1); n > int64(s.o.MaxWatches) {
		s.watches.Add(-1)
		// No Retry-After: client-go would silently retry; the learner should see the error.
		writeError(w, apierrors.NewTooManyRequests(fmt.Sprintf("Too many requests, please try again later. (the kubetutor simulator serves at most %d watches at once)", s.o.MaxWatches), 0))
		return
	}
	defer s.watches.Add(-1)
	lsel, fsel, err := selectors(r, req.res)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.name != "" {
		fsel = fields.AndSelectors(fsel, fields.OneTermEqualSelector("metadata.name", req.name))
	}
	q := r.URL.Query()
	timeout := defaultWatchTimeout
	if v := q.Get("timeoutSeconds"); v != "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 {
			writeError(w, apierrors.NewBadRequest("invalid timeoutSeconds "+strconv.Quote(v)))
			return
		}
		if secs > 0 {
			timeout = time.Duration(secs) * time.Second
		}
	}
	rv := q.Get("resourceVersion")
	sendInitial := q.Get("sendInitialEvents") == "true"
	var initial []runtime.Object
	if sendInitial {
		var listRV uint64
		initial, listRV, _ = s.st.Page(req.res, store.Query{Namespace: req.namespace, Labels: lsel, Fields: fsel}) // read-only
		rv = strconv.FormatUint(listRV, 10)
	}
	table := asKind(r) == "Table"
	incl := includeObject(r)
	if table {
		w.Header().Set("Content-Type", tableContentType)
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	watcher, err := s.st.Watch(req.res, store.WatchOptions{Namespace: req.namespace, LabelSelector: lsel, FieldSelector: fsel, ResourceVersion: rv})
	if err != nil && !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
		w.Header().Del("Content-Type")
		writeError(w, err)
		return
	}
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush() // clients wait for the headers before they read events
	}
	// One frame per event, {"type":T,"object":O} and a newline, byte for byte what
	// json.Encoder writes for a metav1.WatchEvent; O is the object's shared encoding.
	var frame []byte
	sendRaw := func(typ watch.EventType, raw []byte) bool {
		frame = appendWatchFrame(frame[:0], typ, raw)
		if _, err := w.Write(frame); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	send := func(typ watch.EventType, obj any) bool {
		raw, err := json.Marshal(obj)
		if err != nil {
			return false
		}
		return sendRaw(typ, raw)
	}
	if err != nil {
		// A too-old resourceVersion is an ERROR event carrying a 410 Expired Status, which
		// client-go turns into a relist.
		send(watch.Error, statusFor(err))
		return
	}
	defer watcher.Stop()

	first := true
	encode := func(typ watch.EventType, obj runtime.Object) bool {
		if !table {
			// Events carry the store's own objects, which already name their kind; one that
			// does not is copied before it is stamped.
			if obj.GetObjectKind().GroupVersionKind() != req.res.GVK() {
				obj = obj.DeepCopyObject()
				obj.GetObjectKind().SetGroupVersionKind(req.res.GVK())
			}
			raw, err := s.encodeObject(req.res, obj)
			if err != nil {
				return false
			}
			return sendRaw(typ, raw)
		}
		t, err := s.toTable(req.res, []runtime.Object{obj}, incl, first)
		if err != nil {
			return send(watch.Error, statusFor(err))
		}
		first = false
		if m, err := meta.Accessor(obj); err == nil {
			t.ResourceVersion = m.GetResourceVersion()
		}
		raw, err := marshalTable(t)
		if err != nil {
			return false
		}
		return sendRaw(typ, raw)
	}
	for _, obj := range initial {
		if !encode(watch.Added, obj) {
			return
		}
	}
	if sendInitial && !table {
		bm := req.res.New()
		m := mustAccessor(bm)
		m.SetResourceVersion(rv)
		m.SetAnnotations(map[string]string{metav1.InitialEventsAnnotationKey: "true"})
		bm.GetObjectKind().SetGroupVersionKind(req.res.GVK())
		if !send(watch.Bookmark, bm) {
			return
		}
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-watcher.ResultChan():
			if !ok {
				return
			}
			if !encode(ev.Type, ev.Object) { // read-only: encode copies before any change
				return
			}
		case <-r.Context().Done():
			return
		case <-timer.C:
			return
		}
	}
}

// appendWatchFrame appends one watch event as json.Encoder encodes a metav1.WatchEvent
// whose object is raw (already compact JSON): {"type":T,"object":raw} and a newline.
func appendWatchFrame(dst []byte, typ watch.EventType, raw []byte) []byte {
	dst = append(dst, `{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","object":`...)
	dst = append(dst, raw...)
	return append(dst, "}\n"...)
}
