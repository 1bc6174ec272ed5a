package controller

import (
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// GarbageCollector deletes dependents whose owners are gone (Background), deletes the
// blocking dependents of an owner being deleted in the foreground before letting it go
// (Foreground), and strips an owner from its dependents before letting it go (Orphan).
// Dependents are deleted one by one in the same sync, so a StatefulSet's pods start
// terminating together, as they have since 1.11 (item 73).
type GarbageCollector struct {
	env Env
}

// NewGarbageCollector makes the collector.
func NewGarbageCollector(env Env) *GarbageCollector { return &GarbageCollector{env: env} }

func (g *GarbageCollector) Name() string { return "garbagecollector" }

func (g *GarbageCollector) key(ns, kind, rest string) Key {
	return Key{Controller: g.Name(), Namespace: ns, Name: kind + "/" + rest}
}

func (g *GarbageCollector) Observe(ev store.Event) {
	if ev.Resource.Name == eventRes.Name {
		return
	}
	m := objMeta(ev.Object)
	if m == nil {
		return
	}
	ns := m.GetNamespace()
	if ev.Type != "DELETED" && m.GetDeletionTimestamp() != nil {
		for _, f := range m.GetFinalizers() {
			if f == store.FinalizerOrphan || f == store.FinalizerForeground {
				g.env.Queue.Add(g.key(ns, "owner", ev.Resource.Name+"/"+m.GetName()))
				break
			}
		}
	}
	switch ev.Type {
	case "ADDED":
		if len(m.GetOwnerReferences()) > 0 {
			g.env.Queue.Add(g.key(ns, "item", ev.Resource.Name+"/"+m.GetName()))
		}
	case "MODIFIED":
		// New or changed owner references (a claim handed to a pod, a hand-edited ref) are
		// checked as the GC's graph builder does on update.
		if old := objMeta(ev.Old); old != nil && len(m.GetOwnerReferences()) > 0 &&
			!sameOwnerUIDs(old.GetOwnerReferences(), m.GetOwnerReferences()) {
			g.env.Queue.Add(g.key(ns, "item", ev.Resource.Name+"/"+m.GetName()))
		}
	case "DELETED":
		g.env.Queue.Add(g.key(ns, "gone", string(m.GetUID())))
		// An owner waiting in the foreground may now be free to go.
		for _, r := range m.GetOwnerReferences() {
			if res, ok := resourceForRef(r); ok {
				g.env.Queue.Add(g.key(ns, "owner", res.Name+"/"+r.Name))
			}
		}
	}
}

func sameOwnerUIDs(a, b []metav1.OwnerReference) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].UID != b[i].UID {
			return false
		}
	}
	return true
}

func resourceForRef(r metav1.OwnerReference) (store.Resource, bool) {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return store.Resource{}, false
	}
	for _, res := range allResources {
		if res.Kind == r.Kind && res.Group == gv.Group {
			return res, true
		}
	}
	return store.Resource{}, false
}

func (g *GarbageCollector) Sync(k Key) error {
	kind, rest, _ := strings.Cut(k.Name, "/")
	switch kind {
	case "gone":
		for _, d := range g.dependents(k.Namespace, types.UID(rest)) {
			g.env.Queue.Add(g.key(k.Namespace, "item", d.res.Name+"/"+d.meta.GetName()))
		}
		return nil
	case "item":
		resName, name, _ := strings.Cut(rest, "/")
		res, ok := store.Lookup(groupOf(resName), resName)
		if !ok {
			return nil
		}
		return g.syncItem(res, k.Namespace, name)
	case "owner":
		resName, name, _ := strings.Cut(rest, "/")
		res, ok := store.Lookup(groupOf(resName), resName)
		if !ok {
			return nil
		}
		return g.syncOwner(res, k.Namespace, name)
	}
	return nil
}

// allResources is store.Resources() once: that call copies and sorts the table.
var allResources = store.Resources()

func groupOf(resName string) string {
	for _, r := range allResources {
		if r.Name == resName {
			return r.Group
		}
	}
	return ""
}

type dependent struct {
	res  store.Resource
	obj  runtime.Object
	meta metav1.Object
	ref  metav1.OwnerReference
}

// dependents lists the namespaced objects that name uid as an owner, from the store's owner
// index. They are read-only: copy one before writing it.
func (g *GarbageCollector) dependents(ns string, uid types.UID) []dependent {
	var out []dependent
	for _, res := range allResources {
		if !res.Namespaced || res.Name == eventRes.Name {
			continue
		}
		objs := g.env.Store.Select(res, store.Query{Namespace: ns, Owner: uid})
		for _, o := range objs {
			m, err := meta.Accessor(o)
			if err != nil {
				continue
			}
			for _, r := range m.GetOwnerReferences() {
				if r.UID == uid {
					out = append(out, dependent{res: res, obj: o, meta: m, ref: r})
					break
				}
			}
		}
	}
	return out
}

// ownerState: absent (gone or replaced by a new uid), present, or deleting in the foreground.
func (g *GarbageCollector) ownerState(ns string, r metav1.OwnerReference) (present, foreground bool) {
	res, ok := resourceForRef(r)
	if !ok {
		return true, false // unknown kinds are left alone rather than collected by mistake
	}
	obj, ok := g.env.Store.Peek(res, ns, r.Name)
	if !ok {
		return false, false
	}
	m, _ := meta.Accessor(obj)
	if m.GetUID() != r.UID {
		return false, false
	}
	if m.GetDeletionTimestamp() != nil {
		for _, f := range m.GetFinalizers() {
			if f == store.FinalizerForeground {
				return true, true
			}
		}
	}
	return true, false
}

func (g *GarbageCollector) syncItem(res store.Resource, ns, name string) error {
	obj, ok := g.env.Store.Peek(res, ns, name)
	if !ok {
		return nil
	}
	m, _ := meta.Accessor(obj) // read-only until copied below
	refs := m.GetOwnerReferences()
	if len(refs) == 0 {
		return nil
	}
	var kept []metav1.OwnerReference
	deleteNow := false
	for _, r := range refs {
		present, fg := g.ownerState(ns, r)
		if present {
			kept = append(kept, r)
			if fg && r.BlockOwnerDeletion != nil && *r.BlockOwnerDeletion {
				deleteNow = true
			}
		}
	}
	if len(kept) == 0 || deleteNow {
		if m.GetDeletionTimestamp() != nil {
			return nil
		}
		uid := m.GetUID()
		bg := metav1.DeletePropagationBackground
		_, err := g.env.Store.Delete(res, ns, name, store.DeleteOptions{PropagationPolicy: &bg, PreconditionUID: &uid, Owned: true})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if len(kept) < len(refs) {
		// Some owners remain: drop only the dangling references.
		obj = obj.DeepCopyObject()
		m, _ = meta.Accessor(obj)
		m.SetOwnerReferences(kept)
		_, err := g.env.Store.Update(res, obj, store.UpdateOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return err
	}
	return nil
}

func (g *GarbageCollector) syncOwner(res store.Resource, ns, name string) error {
	obj, ok := g.env.Store.Peek(res, ns, name)
	if !ok {
		return nil
	}
	m, _ := meta.Accessor(obj) // read-only: dropFinalizer copies it
	if m.GetDeletionTimestamp() == nil {
		return nil
	}
	fins := m.GetFinalizers()
	switch {
	case hasString(fins, store.FinalizerOrphan):
		for _, d := range g.dependents(ns, m.GetUID()) {
			var kept []metav1.OwnerReference
			for _, r := range d.meta.GetOwnerReferences() {
				if r.UID != m.GetUID() {
					kept = append(kept, r)
				}
			}
			cp := d.obj.DeepCopyObject()
			objMeta(cp).SetOwnerReferences(kept)
			if _, err := g.env.Store.Update(d.res, cp, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
		return g.dropFinalizer(res, obj, m, store.FinalizerOrphan)
	case hasString(fins, store.FinalizerForeground):
		blocking := 0
		for _, d := range g.dependents(ns, m.GetUID()) {
			if d.ref.BlockOwnerDeletion != nil && *d.ref.BlockOwnerDeletion {
				blocking++
			}
			if d.meta.GetDeletionTimestamp() == nil {
				uid := d.meta.GetUID()
				bg := metav1.DeletePropagationBackground
				if _, err := g.env.Store.Delete(d.res, ns, d.meta.GetName(), store.DeleteOptions{PropagationPolicy: &bg, PreconditionUID: &uid, Owned: true}); err != nil &&
					!apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
					return err
				}
			}
		}
		if blocking > 0 {
			return nil // the DELETED event of the last blocking dependent brings us back
		}
		return g.dropFinalizer(res, obj, m, store.FinalizerForeground)
	}
	return nil
}

func (g *GarbageCollector) dropFinalizer(res store.Resource, obj runtime.Object, m metav1.Object, f string) error {
	obj = obj.DeepCopyObject()
	m = objMeta(obj)
	var keep []string
	for _, x := range m.GetFinalizers() {
		if x != f {
			keep = append(keep, x)
		}
	}
	m.SetFinalizers(keep)
	_, err := g.env.Store.Update(res, obj, store.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func hasString(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
