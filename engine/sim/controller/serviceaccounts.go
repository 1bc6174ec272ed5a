package controller

import (
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var (
	saRes = store.MustLookup("serviceaccounts")
	cmRes = store.MustLookup("configmaps")
)

// RootCAConfigMap is the ConfigMap kube-controller-manager's root-ca-cert-publisher keeps in
// every namespace, for pods (and the service-account token volume) to trust the API server.
const RootCAConfigMap = "kube-root-ca.crt"

// ServiceAccountsController does the work of two kube-controller-manager loops: the
// serviceaccount controller, which keeps a `default` ServiceAccount in every active namespace
// (recreated if deleted), and the root-ca-cert-publisher, which keeps the kube-root-ca.crt
// ConfigMap there holding the API server's CA. Clients such as Kubernetes' e2e framework wait
// for both before using a new namespace.
type ServiceAccountsController struct {
	env Env

	mu sync.Mutex
	ca string // PEM; empty until the API server has a certificate (SetRootCA)
}

// NewServiceAccountsController makes the controller and queues the namespaces that already
// exist (the store creates default, kube-system, ... before any controller listens).
func NewServiceAccountsController(env Env) *ServiceAccountsController {
	c := &ServiceAccountsController{env: env}
	c.enqueueAll()
	return c
}

func (c *ServiceAccountsController) Name() string { return "serviceaccount" }

func (c *ServiceAccountsController) enqueueAll() {
	objs, _ := c.env.Store.List(store.MustLookup("namespaces"), "", nil, nil)
	for _, o := range objs {
		c.env.Queue.Add(Key{Controller: c.Name(), Name: objMeta(o).GetName()})
	}
}

// SetRootCA publishes the API server's CA (PEM) to every namespace.
func (c *ServiceAccountsController) SetRootCA(pem []byte) {
	c.mu.Lock()
	c.ca = string(pem)
	c.mu.Unlock()
	c.enqueueAll()
}

func (c *ServiceAccountsController) rootCA() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ca
}

// Observe queues a namespace when it appears and when its default ServiceAccount or root CA
// ConfigMap is deleted or changed.
func (c *ServiceAccountsController) Observe(ev store.Event) {
	m := objMeta(ev.Object)
	if m == nil {
		return
	}
	switch {
	case ev.Resource.Name == "namespaces" && ev.Type != "DELETED":
		c.env.Queue.Add(Key{Controller: c.Name(), Name: m.GetName()})
	case ev.Resource.Name == "serviceaccounts" && ev.Type == "DELETED" && m.GetName() == "default",
		ev.Resource.Name == "configmaps" && m.GetName() == RootCAConfigMap:
		c.env.Queue.Add(Key{Controller: c.Name(), Name: m.GetNamespace()})
	}
}

func (c *ServiceAccountsController) Sync(k Key) error {
	obj, err := c.env.Store.Get(store.MustLookup("namespaces"), "", k.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	ns := obj.(*corev1.Namespace)
	if ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating {
		return nil // the namespace controller is emptying it; creating would be refused
	}
	if _, err := c.env.Store.Get(saRes, ns.Name, "default"); apierrors.IsNotFound(err) {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns.Name}}
		if _, err := c.env.Store.Create(saRes, sa); err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsForbidden(err) {
			return err
		}
	}
	ca := c.rootCA()
	if ca == "" {
		return nil
	}
	cur, err := c.env.Store.Get(cmRes, ns.Name, RootCAConfigMap)
	switch {
	case apierrors.IsNotFound(err):
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: RootCAConfigMap, Namespace: ns.Name,
				// The real publisher marks it so; kubectl describe shows the annotation.
				Annotations: map[string]string{"kubernetes.io/description": rootCADescription}},
			Data: map[string]string{"ca.crt": ca},
		}
		if _, err := c.env.Store.Create(cmRes, cm); err != nil && !apierrors.IsAlreadyExists(err) && !apierrors.IsForbidden(err) {
			return err
		}
	case err != nil:
		return err
	default:
		cm := cur.(*corev1.ConfigMap)
		if cm.Data["ca.crt"] != ca || len(cm.Data) != 1 || cm.Annotations["kubernetes.io/description"] == "" {
			// The publisher puts back what was edited, as upstream does.
			cm.Data = map[string]string{"ca.crt": ca}
			if cm.Annotations == nil {
				cm.Annotations = map[string]string{}
			}
			cm.Annotations["kubernetes.io/description"] = rootCADescription
			if _, err := c.env.Store.Update(cmRes, cm, store.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

const rootCADescription = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."
