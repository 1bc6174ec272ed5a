package api

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// encCache keeps the JSON of stored objects, so that an object is encoded once per
// resourceVersion however many GETs, list pages, watchers and Table rows send it. The store
// never changes an object it holds (every write stores a new object with a new
// resourceVersion), so (resource, namespace, name, resourceVersion) names one encoding.
// One entry per object name: a newer version replaces the older one. The cache belongs to
// one server (one session), and is dropped whole when it holds more than maxBytes, so a
// long session that deletes many objects does not keep their encodings.
type encCache struct {
	mu       sync.RWMutex
	m        map[encKey]*encEntry
	size     int
	maxBytes int
}

type encKey struct{ res, ns, name string }

// encEntry is immutable once published in the map.
type encEntry struct {
	rv   string
	full []byte // the object as GET sends it, kind and apiVersion included, no newline
	meta []byte // as a PartialObjectMetadata (Table rows' object), filled on first use
}

const defaultEncCacheBytes = 8 << 20

func newEncCache(maxBytes int) *encCache {
	return &encCache{m: map[encKey]*encEntry{}, maxBytes: maxBytes}
}

// cacheable: an object read from the store names its kind and has a resourceVersion. One
// that does not (built by hand, or not yet stamped) is encoded every time.
func cacheable(res store.Resource, obj runtime.Object) (encKey, string, bool) {
	if obj.GetObjectKind().GroupVersionKind() != res.GVK() {
		return encKey{}, "", false
	}
	m, err := meta.Accessor(obj)
	if err != nil || m.GetResourceVersion() == "" {
		return encKey{}, "", false
	}
	return encKey{res.Name, m.GetNamespace(), m.GetName()}, m.GetResourceVersion(), true
}

func (c *encCache) lookup(k encKey, rv string) *encEntry {
	c.mu.RLock()
	e := c.m[k]
	c.mu.RUnlock()
	if e != nil && e.rv == rv {
		return e
	}
	return nil
}

// store publishes e, merged with what a request filled in meanwhile for the same version.
func (c *encCache) store(k encKey, e *encEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[k]; old != nil {
		if old.rv == e.rv {
			merged := *e
			if merged.full == nil {
				merged.full = old.full
			}
			if merged.meta == nil {
				merged.meta = old.meta
			}
			e = &merged
		}
		c.size -= len(old.full) + len(old.meta)
	}
	n := len(e.full) + len(e.meta)
	if c.size+n > c.maxBytes {
		c.m = map[encKey]*encEntry{}
		c.size = 0
	}
	c.m[k] = e
	c.size += n
}

// encodeObject returns the JSON of a stored object as GET sends it (without the final newline).
// The result is shared: callers must not change it.
func (s *server) encodeObject(res store.Resource, obj runtime.Object) ([]byte, error) {
	k, rv, ok := cacheable(res, obj)
	if ok {
		if e := s.enc.lookup(k, rv); e != nil && e.full != nil {
			return e.full, nil
		}
	}
	data, err := json.Marshal(obj)
	if err != nil || !ok {
		return data, err
	}
	s.enc.store(k, &encEntry{rv: rv, full: data})
	return data, nil
}

// encodeMeta returns the JSON of obj's PartialObjectMetadata (a Table row's object under
// includeObject=Metadata), shared like encodeObject's.
func (s *server) encodeMeta(res store.Resource, obj runtime.Object) ([]byte, error) {
	k, rv, ok := cacheable(res, obj)
	if ok {
		if e := s.enc.lookup(k, rv); e != nil && e.meta != nil {
			return e.meta, nil
		}
	}
	data, err := json.Marshal(partialMetadata(obj))
	if err != nil || !ok {
		return data, err
	}
	s.enc.store(k, &encEntry{rv: rv, meta: data})
	return data, nil
}

// typePrefix is how the JSON of a stored object of res starts: its TypeMeta. A list's items
// are sent without it, as the apiserver does.
func typePrefix(res store.Resource) string {
	gvk := res.GVK()
	return `{"kind":"` + gvk.Kind + `","apiVersion":"` + gvk.GroupVersion().String() + `",`
}

// standardList: the typed list of res is {TypeMeta inline, ListMeta "metadata", Items
// "items" of the object's own type}, the shape listJSON writes; checked once per resource.
func standardList(res store.Resource) bool {
	if v, ok := listShapes.Load(res.Name); ok {
		return v.(bool)
	}
	ok := false
	lt := reflect.TypeOf(res.NewList())
	ot := reflect.TypeOf(res.New())
	if lt.Kind() == reflect.Pointer && lt.Elem().Kind() == reflect.Struct && ot.Kind() == reflect.Pointer && lt.Elem().NumField() == 3 {
		l := lt.Elem()
		tm, lm, it := l.Field(0), l.Field(1), l.Field(2)
		ok = tm.Type == reflect.TypeOf(metav1.TypeMeta{}) && tm.Anonymous && strings.SplitN(tm.Tag.Get("json"), ",", 2)[0] == "" &&
			lm.Type == reflect.TypeOf(metav1.ListMeta{}) && strings.HasPrefix(lm.Tag.Get("json"), "metadata,") &&
			it.Type == reflect.SliceOf(ot.Elem()) && it.Tag.Get("json") == "items"
	}
	listShapes.Store(res.Name, ok)
	return ok
}

var listShapes sync.Map // resource name → bool

// listJSON returns a typed list of stored objects exactly as encoding/json marshals
// res.NewList() holding them with their TypeMeta cleared (as serveList did), built from the
// cached encodings. It reports false when the list or an object does not fit that shape.
func (s *server) listJSON(res store.Resource, objs []runtime.Object, lm metav1.ListMeta) ([]byte, bool) {
	items, metaJSON, ok := s.listParts(res, objs, lm)
	if !ok {
		return nil, false
	}
	var b bytes.Buffer
	writeList(&b, res, items, metaJSON)
	return b.Bytes(), true
}

// listParts are the pieces listJSON joins: each item's cached JSON without its TypeMeta
// (and without its opening brace), and the list's metadata.
func (s *server) listParts(res store.Resource, objs []runtime.Object, lm metav1.ListMeta) (items [][]byte, metaJSON []byte, ok bool) {
	if !standardList(res) {
		return nil, nil, false
	}
	prefix := typePrefix(res)
	items = make([][]byte, len(objs))
	for i, o := range objs {
		if _, _, ok := cacheable(res, o); !ok {
			return nil, nil, false
		}
		data, err := s.encodeObject(res, o)
		if err != nil || !bytes.HasPrefix(data, []byte(prefix)) {
			return nil, nil, false
		}
		items[i] = data[len(prefix):]
	}
	metaJSON, err := json.Marshal(&lm)
	if err != nil {
		return nil, nil, false
	}
	return items, metaJSON, true
}

// writeList writes the list listParts describes.
func writeList(b jsonSink, res store.Resource, items [][]byte, metaJSON []byte) {
	gvk := res.GVK()
	_, _ = b.WriteString(`{"kind":"`)
	_, _ = b.WriteString(gvk.Kind)
	_, _ = b.WriteString(`List","apiVersion":"`)
	_, _ = b.WriteString(gvk.GroupVersion().String())
	_, _ = b.WriteString(`","metadata":`)
	_, _ = b.Write(metaJSON)
	_, _ = b.WriteString(`,"items":[`)
	for i, it := range items {
		if i > 0 {
			_ = b.WriteByte(',')
		}
		_ = b.WriteByte('{')
		_, _ = b.Write(it)
	}
	_, _ = b.WriteString("]}")
}
