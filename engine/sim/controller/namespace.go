package controller

import (
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// NamespaceController empties a namespace that is being deleted, as the real namespace
// controller does: every object in it is deleted (pods terminate gracefully), and once nothing
// is left the "kubernetes" finalizer is dropped and the namespace goes. Until then it reads
// Terminating and refuses new content.
type NamespaceController struct {
	env Env
}

// NewNamespaceController makes the controller.
func NewNamespaceController(env Env) *NamespaceController { return &NamespaceController{env: env} }

func (n *NamespaceController) Name() string { return "namespace" }

// Observe wakes the namespace when it is marked for deletion and whenever something in any
// namespace disappears (Sync ignores namespaces that are not terminating).
func (n *NamespaceController) Observe(ev store.Event) {
	m := objMeta(ev.Object)
	if m == nil {
		return
	}
	switch {
	case ev.Resource.Name == "namespaces" && m.GetDeletionTimestamp() != nil:
		n.env.Queue.Add(Key{Controller: n.Name(), Name: m.GetName()})
	case ev.Type == "DELETED" && ev.Resource.Namespaced:
		n.env.Queue.Add(Key{Controller: n.Name(), Name: m.GetNamespace()})
	}
}

func (n *NamespaceController) Sync(k Key) error {
	nsRes := store.MustLookup("namespaces")
	obj, err := n.env.Store.Get(nsRes, "", k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ns := obj.(*corev1.Namespace)
	if ns.DeletionTimestamp == nil {
		return nil
	}
	remaining := 0
	bg := metav1.DeletePropagationBackground
	for _, res := range store.Resources() {
		if !res.Namespaced {
			continue
		}
		objs, _ := n.env.Store.List(res, ns.Name, nil, nil)
		for _, o := range objs {
			m := objMeta(o)
			remaining++
			if m.GetDeletionTimestamp() != nil {
				continue // already on its way out; its DELETED event wakes us again
			}
			uid := m.GetUID()
			if _, err := n.env.Store.Delete(res, ns.Name, m.GetName(), store.DeleteOptions{PropagationPolicy: &bg, PreconditionUID: &uid, Owned: true}); err != nil &&
				!apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
				return err
			}
		}
	}
	if remaining > 0 {
		return nil
	}
	ns.Spec.Finalizers = nil
	if _, err := n.env.Store.Update(nsRes, ns, store.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
