package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	"sigs.k8s.io/yaml"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Server-side apply runs on apimachinery's own field manager, typed by the captured v1.37
// OpenAPI v3 schemas, so merges, managedFields and conflict messages are the apiserver's.
// The type converter and field managers hold no per-session state (they are pure functions
// of the schema), so one set serves every simulator in the process.
var (
	typeConverterOnce sync.Once
	typeConverter     managedfields.TypeConverter
	typeConverterErr  error

	fieldManagersMu sync.Mutex
	fieldManagers   = map[fieldManagerKey]*managedfields.FieldManager{}
)

type fieldManagerKey struct {
	gvk         schema.GroupVersionKind
	subresource string
}

func ssaTypeConverter() (managedfields.TypeConverter, error) {
	typeConverterOnce.Do(func() {
		// The v3 documents, unlike v2, carry defaults, which key fields need: a port applied
		// without protocol is the live port whose protocol defaulted to TCP.
		defs := map[string]*spec.Schema{}
		for _, gv := range servedOpenAPIPaths {
			doc, ok := capturedOpenAPI(gv)
			if !ok {
				continue
			}
			var d struct {
				Components struct {
					Schemas map[string]spec.Schema `json:"schemas"`
				} `json:"components"`
			}
			if err := json.Unmarshal(doc, &d); err != nil {
				typeConverterErr = fmt.Errorf("decoding the OpenAPI v3 document of %s: %w", gv, err)
				return
			}
			for name, s := range d.Components.Schemas {
				s := s
				defs[name] = &s
			}
		}
		if len(defs) == 0 {
			typeConverterErr = fmt.Errorf("no captured OpenAPI v3 documents")
			return
		}
		typeConverter, typeConverterErr = managedfields.NewTypeConverter(defs, false)
	})
	return typeConverter, typeConverterErr
}

// fieldManagerFor returns the field manager of a kind (and subresource), built on first use.
func fieldManagerFor(gvk schema.GroupVersionKind, subresource string) (*managedfields.FieldManager, error) {
	tc, err := ssaTypeConverter()
	if err != nil {
		return nil, err
	}
	key := fieldManagerKey{gvk, subresource}
	fieldManagersMu.Lock()
	defer fieldManagersMu.Unlock()
	if fm, ok := fieldManagers[key]; ok {
		return fm, nil
	}
	fm, err := managedfields.NewDefaultFieldManager(tc, scheme.Scheme, ssaDefaulter{}, scheme.Scheme, gvk, gvk.GroupVersion(), subresource, nil)
	if err != nil {
		return nil, err
	}
	fieldManagers[key] = fm
	return fm, nil
}

// patchOptions reads fieldManager and force from the query and checks them as the
// apiserver's ValidatePatchOptions does.
func patchOptions(r *http.Request, isApply bool) (manager string, force bool, err error) {
	q := r.URL.Query()
	manager = q.Get("fieldManager")
	var errs field.ErrorList
	if v := q.Get("force"); v != "" {
		force = v == "true" || v == "1"
		if !isApply {
			errs = append(errs, field.Forbidden(field.NewPath("force"), "may not be specified for non-apply patch"))
		}
	}
	if isApply && manager == "" {
		errs = append(errs, field.Required(field.NewPath("fieldManager"), "is required for apply patch"))
	}
	if len(manager) > 128 {
		errs = append(errs, field.TooLong(field.NewPath("fieldManager"), "", 128))
	}
	if len(errs) > 0 {
		return "", false, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "PatchOptions"}, "", errs)
	}
	return manager, force, nil
}

// serverSideApply merges an apply configuration (YAML or JSON) into live, which is nil
// when the object does not exist yet: apply then creates it, as the apiserver's
// applyPatcher does.
func serverSideApply(patch []byte, live runtime.Object, newObj func() runtime.Object, gvk schema.GroupVersionKind, subresource, manager string, force bool) (runtime.Object, error) {
	if len(patch) == 0 {
		return nil, apierrors.NewBadRequest("the body of the patch is empty")
	}
	applied := &unstructured.Unstructured{Object: map[string]any{}}
	if err := yaml.Unmarshal(patch, &applied.Object); err != nil {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("error decoding YAML: %v", err))
	}
	fm, err := fieldManagerFor(gvk, subresource)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if live == nil {
		live = newObj()
		live.GetObjectKind().SetGroupVersionKind(gvk)
	} else {
		live = live.DeepCopyObject()
		live.GetObjectKind().SetGroupVersionKind(gvk)
	}
	out, err := fm.Apply(live, applied, manager, force)
	if err == nil {
		keepManagedFieldsTimes(live, out)
	}
	if err != nil {
		if _, ok := err.(apierrors.APIStatus); ok {
			return nil, err
		}
		// The apiserver turns the field manager's plain errors (an applied field the schema
		// does not declare) into a bare 500, as ErrorToAPIStatus does (kubernetes#139253).
		return nil, &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure,
			Code: http.StatusInternalServerError, Message: err.Error()}}
	}
	return out, nil
}

// ssaDefaulter defaults the merged object as the apiserver's scheme defaulting does, so a
// field the server filled in (a port's protocol) matches the applied one. It never
// allocates: addresses and node ports are handed out when the store writes the object.
type ssaDefaulter struct{}

func (ssaDefaulter) Default(obj runtime.Object) {
	if svc, ok := obj.(*corev1.Service); ok {
		for i := range svc.Spec.Ports {
			p := &svc.Spec.Ports[i]
			if p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
			if p.TargetPort == (intstr.IntOrString{}) {
				p.TargetPort = intstr.FromInt32(p.Port)
			}
		}
		return
	}
	if ds, ok := obj.(*appsv1.DaemonSet); ok {
		// Without the template-generation annotation, which the store's own defaulting
		// keeps (a strategy's work, never owned by a field manager).
		defaultDaemonSet(ds)
		return
	}
	// As an update (old = obj), so nothing create-only (admission, finalizers) happens.
	applyDefaults(&allocator{}, obj, obj)
}

// recordUpdate fills managedFields for an ordinary create, update or patch (operation
// Update), as the apiserver's handlers do with UpdateNoErrors: the manager is the
// fieldManager parameter (kubectl sends kubectl-create, kubectl-edit, kubectl-patch…) or
// else the client's User-Agent up to its first "/". live is nil on create. Defaults are
// applied first so, as on a real apiserver, the writer owns the fields the server filled in.
func recordUpdate(r *http.Request, newObj func() runtime.Object, gvk schema.GroupVersionKind, live, obj runtime.Object) runtime.Object {
	manager := r.URL.Query().Get("fieldManager")
	if manager == "" {
		manager, _, _ = strings.Cut(r.UserAgent(), "/")
	}
	fm, err := fieldManagerFor(gvk, "")
	if err != nil {
		return obj
	}
	if live == nil {
		live = newObj()
	} else {
		live = live.DeepCopyObject()
	}
	live.GetObjectKind().SetGroupVersionKind(gvk)
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	ssaDefaulter{}.Default(obj)
	out := fm.UpdateNoErrors(live, obj, manager)
	keepManagedFieldsTimes(live, out)
	return out
}

// keepManagedFieldsTimes gives entries whose ownership did not change their stored time,
// as the apiserver's managed-fields timestamp transformer does, so a write that changes
// nothing stays a no-op (same resourceVersion).
func keepManagedFieldsTimes(live, out runtime.Object) {
	lm, err1 := meta.Accessor(live)
	om, err2 := meta.Accessor(out)
	if err1 != nil || err2 != nil {
		return
	}
	old := lm.GetManagedFields()
	entries := om.GetManagedFields()
	for i := range entries {
		e := &entries[i]
		for _, o := range old {
			if o.Manager == e.Manager && o.Operation == e.Operation && o.APIVersion == e.APIVersion &&
				o.Subresource == e.Subresource && o.FieldsType == e.FieldsType && equality.Semantic.DeepEqual(o.FieldsV1, e.FieldsV1) {
				e.Time = o.Time
				break
			}
		}
	}
	om.SetManagedFields(entries)
}

// scaleManagedFields records a write through the scale subresource as the apiserver's
// scale storage does: the parent's entries seen from the Scale, the write recorded on the
// Scale by its field manager, and mapped back with spec.replicas owned under subresource
// "scale". On any failure the parent keeps its entries.
func scaleManagedFields(r *http.Request, parent schema.GroupVersionKind, entries []metav1.ManagedFieldsEntry, cur, want *autoscalingv1.Scale) []metav1.ManagedFieldsEntry {
	gv := parent.GroupVersion()
	h := managedfields.NewScaleHandler(entries, gv, managedfields.ResourcePathMappings{gv.String(): fieldpath.MakePathOrDie("spec", "replicas")})
	sub, err := h.ToSubresource()
	if err != nil {
		return entries
	}
	live := cur.DeepCopy()
	live.ManagedFields = sub
	next := want.DeepCopy()
	next.ManagedFields = nil
	manager := r.URL.Query().Get("fieldManager")
	if manager == "" {
		manager, _, _ = strings.Cut(r.UserAgent(), "/")
	}
	fm, err := fieldManagerFor(store.ScaleGVK, "scale")
	if err != nil {
		return entries
	}
	live.SetGroupVersionKind(store.ScaleGVK)
	next.SetGroupVersionKind(store.ScaleGVK)
	out, ok := fm.UpdateNoErrors(live, next, manager).(*autoscalingv1.Scale)
	if !ok {
		return entries
	}
	keepManagedFieldsTimes(live, out)
	parentEntries, err := h.ToParent(out.ManagedFields)
	if err != nil {
		return entries
	}
	return parentEntries
}
