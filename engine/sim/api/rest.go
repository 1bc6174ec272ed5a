package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

func methodNotSupported(req resourceRequest, verb string) error {
	return apierrors.NewMethodNotSupported(req.res.GVR().GroupResource(), verb)
}

func (s *server) serveResource(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	q := r.URL.Query()
	isWatch := req.watchPath || q.Get("watch") == "true" || q.Get("watch") == "1"
	if req.watchPath && r.Method != http.MethodGet {
		writeError(w, methodNotSupported(req, strings.ToLower(r.Method)))
		return
	}
	if q.Get("dryRun") != "" && r.Method != http.MethodGet {
		writeError(w, apierrors.NewBadRequest("dryRun is not supported by the kubetutor simulator"))
		return
	}
	switch req.subresource {
	case "":
	case "status":
		if !req.res.HasStatus {
			writeNotFoundPath(w, r)
			return
		}
		s.serveStatus(w, r, req)
		return
	case "scale":
		if !req.res.HasScale {
			writeNotFoundPath(w, r)
			return
		}
		s.serveScale(w, r, req)
		return
	case "exec", "attach", "log":
		// Pod subresources served like the kubelet behind the apiserver (exec.go, log.go).
		if req.res.Name != "pods" || req.name == "" {
			writeNotFoundPath(w, r)
			return
		}
		if req.subresource == "log" {
			s.serveLog(w, r, req)
		} else {
			s.serveStream(w, r, req, req.subresource == "attach")
		}
		return
	case "eviction":
		if req.res.Name != "pods" {
			writeNotFoundPath(w, r)
			return
		}
		s.serveEviction(w, r, req)
		return
	default:
		writeNotFoundPath(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		switch {
		case isWatch:
			s.serveWatch(w, r, req)
		case req.name == "":
			s.serveList(w, r, req)
		default:
			s.serveGet(w, r, req)
		}
	case http.MethodPost:
		if req.name != "" {
			writeError(w, methodNotSupported(req, "create"))
			return
		}
		s.serveCreate(w, r, req)
	case http.MethodPut:
		if req.name == "" {
			writeError(w, methodNotSupported(req, "update"))
			return
		}
		s.serveUpdate(w, r, req, false)
	case http.MethodPatch:
		if req.name == "" {
			writeError(w, methodNotSupported(req, "patch"))
			return
		}
		s.servePatch(w, r, req, false)
	case http.MethodDelete:
		if req.name == "" {
			if req.res.Name == "namespaces" {
				writeError(w, methodNotSupported(req, "deletecollection"))
				return
			}
			s.serveDeleteCollection(w, r, req)
			return
		}
		s.serveDelete(w, r, req)
	default:
		writeError(w, methodNotSupported(req, strings.ToLower(r.Method)))
	}
}

// selectors parses labelSelector and fieldSelector, rejecting field labels the resource
// does not support, as the apiserver does.
func selectors(r *http.Request, res store.Resource) (labels.Selector, fields.Selector, error) {
	q := r.URL.Query()
	lsel, err := labels.Parse(q.Get("labelSelector"))
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(err.Error())
	}
	fsel, err := fields.ParseSelector(q.Get("fieldSelector"))
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(err.Error())
	}
	known := store.FieldSet(res.New())
	for _, req := range fsel.Requirements() {
		if _, ok := known[req.Field]; !ok {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("field label not supported: %s", req.Field))
		}
	}
	return lsel, fsel, nil
}

func (s *server) serveGet(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	// The store's own object, read-only: it is only encoded, so no deep copy.
	obj, ok := s.st.Peek(req.res, req.namespace, req.name)
	if !ok {
		got, err := s.st.Get(req.res, req.namespace, req.name) // the store's NotFound error
		if err != nil {
			writeError(w, err)
			return
		}
		obj = got // created in between
	}
	s.writeObject(w, r, req.res, http.StatusOK, obj)
}

func (s *server) serveList(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	opts, err := listOptions(r) // listopts.go: the apiserver's checks, continue token included
	if err != nil {
		writeError(w, err)
		return
	}
	lsel, fsel, err := selectors(r, req.res)
	if err != nil {
		writeError(w, err)
		return
	}
	limit := 0
	if opts.Limit > 0 { // a negative limit means no limit, as on the apiserver
		limit = int(min(opts.Limit, 1<<30))
	}
	var after string
	var tokenRV uint64
	if opts.Continue != "" {
		after, tokenRV = continueStart(opts.Continue)
	}
	// Straight from the store's index: the objects are the store's own (read-only), so nothing
	// is deep-copied; items are encoded from value copies without their TypeMeta.
	objs, rv, more := s.st.Page(req.res, store.Query{Namespace: req.namespace, Labels: lsel, Fields: fsel, After: after, Limit: limit})
	if tokenRV != 0 {
		rv = tokenRV // every page of one list reports the first page's resourceVersion
	}
	rvs := strconv.FormatUint(rv, 10)
	next := ""
	if more && len(objs) > 0 {
		next = encodeContinue(rv, store.Key(objs[len(objs)-1]))
	}
	switch asKind(r) {
	case "Table":
		t, err := s.toTable(req.res, objs, includeObject(r), true)
		if err != nil {
			writeError(w, err)
			return
		}
		t.ResourceVersion = rvs
		t.Continue = next
		markListTable(req.res, objs, t)
		writeTable(w, http.StatusOK, t)
		return
	case "PartialObjectMetadata":
		list := &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadataList", APIVersion: "meta.k8s.io/v1"}}
		list.ResourceVersion = rvs
		list.Continue = next
		for _, o := range objs {
			list.Items = append(list.Items, *partialMetadata(o))
		}
		writeJSON(w, http.StatusOK, list)
		return
	}
	lm := metav1.ListMeta{ResourceVersion: rvs, Continue: next}
	if items, metaJSON, ok := s.listParts(req.res, objs, lm); ok {
		// Straight from the cached encodings to the connection, a chunk at a time.
		writeStreamed(w, http.StatusOK, "application/json", func(b jsonSink) { writeList(b, req.res, items, metaJSON) })
		return
	}
	data, err := typedListJSON(req.res, objs, lm)
	if err != nil {
		writeError(w, err)
		return
	}
	writeRawJSON(w, http.StatusOK, data)
}

// typedListJSON marshals res's typed list holding objs, items without their TypeMeta: the
// general path for what listJSON cannot build from cached encodings.
func typedListJSON(res store.Resource, objs []runtime.Object, lm metav1.ListMeta) ([]byte, error) {
	list := res.NewList()
	if err := meta.SetList(list, objs); err != nil {
		return nil, err
	}
	clearItemTypeMeta(list)
	acc, err := meta.ListAccessor(list)
	if err != nil {
		return nil, err
	}
	acc.SetResourceVersion(lm.ResourceVersion)
	acc.SetContinue(lm.Continue)
	list.GetObjectKind().SetGroupVersionKind(res.GVK().GroupVersion().WithKind(res.Kind + "List"))
	data, err := json.Marshal(list)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return data, nil
}

// clearItemTypeMeta drops kind and apiVersion from a typed list's items, as the apiserver
// sends them. SetList stored value copies, so the store's objects keep theirs.
func clearItemTypeMeta(list runtime.Object) {
	items := reflect.ValueOf(list).Elem().FieldByName("Items")
	if !items.IsValid() || items.Kind() != reflect.Slice {
		return
	}
	for i := 0; i < items.Len(); i++ {
		if tm := items.Index(i).FieldByName("TypeMeta"); tm.IsValid() && tm.CanSet() {
			tm.Set(reflect.Zero(tm.Type()))
		}
	}
}

// continueToken is the apiserver's continue token: base64 of {"v","rv","start"}.
type continueToken struct {
	APIVersion      string `json:"v"`
	ResourceVersion uint64 `json:"rv"`
	StartKey        string `json:"start"`
}

func encodeContinue(rv uint64, lastKey string) string {
	raw, _ := json.Marshal(continueToken{APIVersion: "meta.k8s.io/v1", ResourceVersion: rv, StartKey: lastKey + "\x00"})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// continueStart reads a token that listOptions has checked: the key the next page starts
// after, and the resourceVersion of the list's first page.
func continueStart(c string) (after string, rv uint64) {
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	var t continueToken
	_ = json.Unmarshal(raw, &t)
	return strings.TrimSuffix(t.StartKey, "\x00"), t.ResourceVersion
}

// writeObject sends one object, as JSON or as a one-row Table when asked.
func (s *server) writeObject(w http.ResponseWriter, r *http.Request, res store.Resource, code int, obj runtime.Object) {
	switch asKind(r) {
	case "Table":
		t, err := s.toTable(res, []runtime.Object{obj}, includeObject(r), true)
		if err != nil {
			writeError(w, err)
			return
		}
		if m, err := meta.Accessor(obj); err == nil {
			t.ResourceVersion = m.GetResourceVersion()
		}
		writeTable(w, code, t)
		return
	case "PartialObjectMetadata":
		writeJSON(w, code, partialMetadata(obj))
		return
	}
	if obj.GetObjectKind().GroupVersionKind() != res.GVK() {
		// Objects read straight from the store already name their kind and are never changed.
		obj.GetObjectKind().SetGroupVersionKind(res.GVK())
	}
	data, err := s.encodeObject(res, obj)
	if err != nil {
		writeError(w, apierrors.NewInternalError(err))
		return
	}
	writeRawJSON(w, code, data)
}

func (s *server) serveCreate(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	obj, err := s.decodeBody(w, r, req.res.GVK(), req.res.New())
	if err != nil {
		writeError(w, err)
		return
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		writeError(w, apierrors.NewBadRequest(err.Error()))
		return
	}
	if req.res.Namespaced {
		if req.namespace == "" {
			writeError(w, methodNotSupported(req, "create"))
			return
		}
		if m.GetNamespace() == "" {
			m.SetNamespace(req.namespace)
		} else if m.GetNamespace() != req.namespace {
			writeError(w, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request"))
			return
		}
	}
	// Clients cannot choose these; the apiserver clears them on create.
	m.SetResourceVersion("")
	m.SetUID("")
	obj = recordUpdate(r, req.res.New, req.res.GVK(), nil, obj)
	out, err := s.st.CreateWith(req.res, obj, store.CreateOptions{ManagedFields: true})
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeObject(w, r, req.res, http.StatusCreated, out)
}

// decodeBody reads and decodes a full object body for create/update.
func (s *server) decodeBody(w http.ResponseWriter, r *http.Request, gvk schema.GroupVersionKind, into runtime.Object) (runtime.Object, error) {
	directive, err := fieldValidation(r)
	if err != nil {
		return nil, err
	}
	data, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	data, err = toJSON(r, data)
	if err != nil {
		return nil, err
	}
	if err := decodeInto(w, data, into, gvk, directive); err != nil {
		return nil, err
	}
	return into, nil
}

// checkIdentity makes sure a PUT body names the object in the URL.
func checkIdentity(req resourceRequest, obj runtime.Object) error {
	m, err := meta.Accessor(obj)
	if err != nil {
		return apierrors.NewBadRequest(err.Error())
	}
	if m.GetName() == "" {
		m.SetName(req.name)
	}
	if m.GetName() != req.name {
		return apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), req.name))
	}
	if req.res.Namespaced {
		if m.GetNamespace() == "" {
			m.SetNamespace(req.namespace)
		}
		if m.GetNamespace() != req.namespace {
			return apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	return nil
}

func (s *server) serveUpdate(w http.ResponseWriter, r *http.Request, req resourceRequest, status bool) {
	obj, err := s.decodeBody(w, r, req.res.GVK(), req.res.New())
	if err != nil {
		writeError(w, err)
		return
	}
	if err := checkIdentity(req, obj); err != nil {
		writeError(w, err)
		return
	}
	if !status {
		if live, err := s.st.Get(req.res, req.namespace, req.name); err == nil {
			obj = recordUpdate(r, req.res.New, req.res.GVK(), live, obj)
		}
	}
	out, err := s.st.Update(req.res, obj, store.UpdateOptions{Status: status, ManagedFields: !status})
	if err != nil {
		writeError(w, err)
		return
	}
	s.writeObject(w, r, req.res, http.StatusOK, out)
}

func (s *server) serveStatus(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	switch r.Method {
	case http.MethodGet:
		s.serveGet(w, r, req)
	case http.MethodPut:
		s.serveUpdate(w, r, req, true)
	case http.MethodPatch:
		s.servePatch(w, r, req, true)
	default:
		writeError(w, methodNotSupported(req, strings.ToLower(r.Method)))
	}
}

// servePatch applies a JSON, merge or strategic-merge patch to the stored object and writes
// it back, retrying on conflicts unless the patch itself pinned a resourceVersion.
func (s *server) servePatch(w http.ResponseWriter, r *http.Request, req resourceRequest, status bool) {
	directive, err := fieldValidation(r)
	if err != nil {
		writeError(w, err)
		return
	}
	patch, err := readBody(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	pt := types.PatchType(mediaType(r))
	isApply := pt == types.ApplyYAMLPatchType
	manager, force, err := patchOptions(r, isApply)
	if err != nil {
		writeError(w, err)
		return
	}
	subresource := ""
	if status {
		subresource = "status"
	}
	// Patches of one object take turns here, so concurrent patches (50 clients labelling one
	// pod) do not each re-apply after losing a race to another: the loop below then retries
	// only after a controller's write, as the apiserver's GuaranteedUpdate retries a patch
	// until it lands (a conflict means some other write did).
	unlock := s.lockObject(req)
	defer unlock()
	var out runtime.Object
	for attempt := 0; ; attempt++ {
		cur, err := s.st.Get(req.res, req.namespace, req.name)
		if isApply && !status && apierrors.IsNotFound(err) {
			// Apply creates a missing object, as the apiserver's applyPatcher does.
			created, err := s.applyCreate(req, patch, manager, force)
			if err != nil {
				if apierrors.IsAlreadyExists(err) && attempt < 5 {
					continue
				}
				writeError(w, err)
				return
			}
			s.writeObject(w, r, req.res, http.StatusCreated, created)
			return
		}
		if err != nil {
			writeError(w, err)
			return
		}
		curRV := mustAccessor(cur).GetResourceVersion()
		var obj runtime.Object
		if isApply {
			obj, err = serverSideApply(patch, cur, req.res.New, req.res.GVK(), subresource, manager, force)
		} else {
			obj, err = applyPatch(w, pt, patch, cur, req.res.New(), req.res.GVK(), directive)
			if err == nil && !status {
				obj = recordUpdate(r, req.res.New, req.res.GVK(), cur, obj)
			}
		}
		if err != nil {
			writeError(w, err)
			return
		}
		m := mustAccessor(obj)
		if m.GetName() != req.name {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), req.name)))
			return
		}
		pinned := m.GetResourceVersion() != curRV
		out, err = s.st.Update(req.res, obj, store.UpdateOptions{Status: status, ManagedFields: !status})
		if err != nil {
			if apierrors.IsConflict(err) && !pinned && attempt < maxPatchAttempts && r.Context().Err() == nil {
				continue
			}
			writeError(w, err)
			return
		}
		break
	}
	s.writeObject(w, r, req.res, http.StatusOK, out)
}

// maxPatchAttempts bounds a patch's retries on conflicts with other writers (controllers,
// since patches of one object take turns). The apiserver retries without a bound; each
// conflict means another write landed, so this is only reached by a write storm.
const maxPatchAttempts = 100

// objectLocks stripes the per-object lock that patches take.
const objectLocks = 256

// lockObject takes the patch lock of req's object and returns its release.
func (s *server) lockObject(req resourceRequest) func() {
	h := fnv.New32a()
	_, _ = h.Write([]byte(req.res.Name))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(req.namespace))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(req.name))
	mu := &s.objLocks[h.Sum32()%objectLocks]
	mu.Lock()
	return mu.Unlock
}

// applyCreate creates the object an apply names when it does not exist yet.
func (s *server) applyCreate(req resourceRequest, patch []byte, manager string, force bool) (runtime.Object, error) {
	obj, err := serverSideApply(patch, nil, req.res.New, req.res.GVK(), "", manager, force)
	if err != nil {
		return nil, err
	}
	m := mustAccessor(obj)
	if m.GetName() == "" {
		m.SetName(req.name)
	}
	if m.GetName() != req.name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", m.GetName(), req.name))
	}
	if req.res.Namespaced {
		if m.GetNamespace() == "" {
			m.SetNamespace(req.namespace)
		} else if m.GetNamespace() != req.namespace {
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
	}
	m.SetResourceVersion("")
	m.SetUID("")
	return s.st.CreateWith(req.res, obj, store.CreateOptions{ManagedFields: true})
}

func mustAccessor(obj runtime.Object) metav1.Object {
	m, err := meta.Accessor(obj)
	if err != nil {
		panic(err) // store objects always have metadata
	}
	return m
}

// deleteOptions reads DeleteOptions from the body (kubectl) or the query (client-go for
// some verbs).
func deleteOptions(w http.ResponseWriter, r *http.Request) (metav1.DeleteOptions, error) {
	var o metav1.DeleteOptions
	data, err := readBody(w, r)
	if err != nil {
		return o, err
	}
	if len(strings.TrimSpace(string(data))) > 0 {
		if data, err = toJSON(r, data); err != nil {
			return o, err
		}
		if err := json.Unmarshal(data, &o); err != nil {
			return o, apierrors.NewBadRequest("DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: " + err.Error())
		}
	}
	q := r.URL.Query()
	if v := q.Get("gracePeriodSeconds"); v != "" {
		g, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return o, apierrors.NewBadRequest(fmt.Sprintf("invalid gracePeriodSeconds %q", v))
		}
		o.GracePeriodSeconds = &g
	}
	if v := q.Get("propagationPolicy"); v != "" {
		p := metav1.DeletionPropagation(v)
		o.PropagationPolicy = &p
	}
	if v := q.Get("orphanDependents"); v != "" {
		b := v == "true"
		o.OrphanDependents = &b
	}
	if len(o.DryRun) > 0 {
		return o, apierrors.NewBadRequest("dryRun is not supported by the kubetutor simulator")
	}
	if o.OrphanDependents != nil && o.PropagationPolicy != nil {
		return o, apierrors.NewInvalid(schema.GroupKind{Kind: "DeleteOptions"}, "", field.ErrorList{field.Invalid(field.NewPath("propagationPolicy"), *o.PropagationPolicy, "orphanDependents and deletionPropagation cannot be both set")})
	}
	if o.OrphanDependents != nil {
		p := metav1.DeletePropagationBackground
		if *o.OrphanDependents {
			p = metav1.DeletePropagationOrphan
		}
		o.PropagationPolicy = &p
	}
	if p := o.PropagationPolicy; p != nil {
		switch *p {
		case metav1.DeletePropagationOrphan, metav1.DeletePropagationBackground, metav1.DeletePropagationForeground:
		default:
			return o, apierrors.NewInvalid(schema.GroupKind{Kind: "DeleteOptions"}, "", field.ErrorList{field.NotSupported(field.NewPath("propagationPolicy"), *p, []string{"Foreground", "Background", "Orphan", "nil"})})
		}
	}
	return o, nil
}

func toStoreDelete(o metav1.DeleteOptions) store.DeleteOptions {
	d := store.DeleteOptions{GracePeriodSeconds: o.GracePeriodSeconds, PropagationPolicy: o.PropagationPolicy}
	if o.Preconditions != nil {
		d.PreconditionUID = o.Preconditions.UID
		d.PreconditionRV = o.Preconditions.ResourceVersion
	}
	return d
}

// immortalNamespaces are the namespaces the apiserver's NamespaceLifecycle admission refuses
// to delete.
var immortalNamespaces = map[string]bool{"default": true, "kube-system": true, "kube-public": true}

func (s *server) serveDelete(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	o, err := deleteOptions(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	if req.res.Name == "namespaces" && immortalNamespaces[req.name] {
		writeError(w, apierrors.NewForbidden(req.res.GVR().GroupResource(), req.name, fmt.Errorf("this namespace may not be deleted")))
		return
	}
	res, err := s.st.Delete(req.res, req.namespace, req.name, toStoreDelete(o))
	if err != nil {
		writeError(w, err)
		return
	}
	// A lingering object (graceful pod delete, finalizers) comes back as itself; kubectl then
	// waits for it to go. A gone object is a Success Status (pods return the object, as the
	// pod registry does).
	if !res.Gone || req.res.Name == "pods" {
		s.writeObject(w, r, req.res, http.StatusOK, res.Object)
		return
	}
	writeJSON(w, http.StatusOK, &metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusSuccess,
		Details: &metav1.StatusDetails{Name: req.name, Group: req.res.Group, Kind: req.res.Name,
			UID: mustAccessor(res.Object).GetUID()},
	})
}

func (s *server) serveDeleteCollection(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	lsel, fsel, err := selectors(r, req.res)
	if err != nil {
		writeError(w, err)
		return
	}
	o, err := deleteOptions(w, r)
	if err != nil {
		writeError(w, err)
		return
	}
	objs, _ := s.st.List(req.res, req.namespace, lsel, fsel)
	var deleted []runtime.Object
	for _, obj := range objs {
		m := mustAccessor(obj)
		res, err := s.st.Delete(req.res, m.GetNamespace(), m.GetName(), toStoreDelete(o))
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			writeError(w, err)
			return
		}
		res.Object.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
		deleted = append(deleted, res.Object)
	}
	list := req.res.NewList()
	if err := meta.SetList(list, deleted); err != nil {
		writeError(w, err)
		return
	}
	if lm, err := meta.ListAccessor(list); err == nil {
		lm.SetResourceVersion(strconv.FormatUint(s.st.ResourceVersion(), 10))
	}
	list.GetObjectKind().SetGroupVersionKind(req.res.GVK().GroupVersion().WithKind(req.res.Kind + "List"))
	writeJSON(w, http.StatusOK, list)
}

// scaleOf renders the autoscaling/v1 Scale view of a scalable object (scale_workloads.go).
func scaleOf(obj runtime.Object) (*autoscalingv1.Scale, error) {
	m, specReplicas, statusReplicas, selector, ok := scaleParts(obj)
	if !ok {
		return nil, apierrors.NewInternalError(fmt.Errorf("scale is not served for %T", obj))
	}
	sel := ""
	if selector != nil {
		if ls, err := metav1.LabelSelectorAsSelector(selector); err == nil {
			sel = ls.String()
		}
	}
	var replicas int32 = 1
	if *specReplicas != nil {
		replicas = **specReplicas
	}
	return &autoscalingv1.Scale{
		TypeMeta: metav1.TypeMeta{Kind: "Scale", APIVersion: "autoscaling/v1"},
		ObjectMeta: metav1.ObjectMeta{Name: m.GetName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
			ResourceVersion: m.GetResourceVersion(), CreationTimestamp: m.GetCreationTimestamp()},
		Spec:   autoscalingv1.ScaleSpec{Replicas: replicas},
		Status: autoscalingv1.ScaleStatus{Replicas: statusReplicas, Selector: sel},
	}, nil
}

func (s *server) serveScale(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	var body []byte
	directive := "Warn"
	if r.Method == http.MethodPut || r.Method == http.MethodPatch {
		var err error
		if directive, err = fieldValidation(r); err != nil {
			writeError(w, err)
			return
		}
		if body, err = readBody(w, r); err != nil {
			writeError(w, err)
			return
		}
	}
	// Retry on conflicts with writers such as controllers, unless the client pinned a
	// resourceVersion, as the apiserver's update loop does.
	for attempt := 0; ; attempt++ {
		retry, err := s.scaleOnce(w, r, req, body, directive)
		if retry && attempt < 5 {
			continue
		}
		if err != nil {
			writeError(w, err)
		}
		return
	}
}

// scaleOnce serves one attempt; retry reports a conflict the caller may retry.
func (s *server) scaleOnce(w http.ResponseWriter, r *http.Request, req resourceRequest, body []byte, directive string) (retry bool, err error) {
	cur, err := s.st.Get(req.res, req.namespace, req.name)
	if err != nil {
		return false, err
	}
	scale, err := scaleOf(cur)
	if err != nil {
		return false, err
	}
	var want *autoscalingv1.Scale
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, scale)
		return false, nil
	case http.MethodPut:
		data, err := toJSON(r, body)
		if err != nil {
			return false, err
		}
		want = &autoscalingv1.Scale{}
		if err := decodeInto(w, data, want, store.ScaleGVK, directive); err != nil {
			return false, err
		}
	case http.MethodPatch:
		obj, err := applyPatch(w, types.PatchType(mediaType(r)), body, scale, &autoscalingv1.Scale{}, store.ScaleGVK, directive)
		if err != nil {
			return false, err
		}
		want = obj.(*autoscalingv1.Scale)
	default:
		return false, methodNotSupported(req, strings.ToLower(r.Method))
	}
	if want.Name != "" && want.Name != req.name {
		return false, apierrors.NewBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", want.Name, req.name))
	}
	if want.Spec.Replicas < 0 {
		return false, apierrors.NewInvalid(store.ScaleGVK.GroupKind(), req.name, field.ErrorList{
			field.Invalid(field.NewPath("spec", "replicas"), want.Spec.Replicas, "must be greater than or equal to 0")})
	}
	m, specReplicas, _, _, _ := scaleParts(cur)
	curRV := m.GetResourceVersion()
	// A PUT with a resourceVersion, or a patch that sets one, pins the write to that version.
	pinned := want.ResourceVersion != "" && (r.Method == http.MethodPut || want.ResourceVersion != curRV)
	if pinned && want.ResourceVersion != curRV {
		return false, apierrors.NewConflict(req.res.GVR().GroupResource(), req.name,
			fmt.Errorf("the object has been modified; please apply your changes to the latest version and try again"))
	}
	replicas := want.Spec.Replicas
	*specReplicas = &replicas
	m.SetManagedFields(scaleManagedFields(r, req.res.GVK(), m.GetManagedFields(), scale, want))
	out, err := s.st.Update(req.res, cur, store.UpdateOptions{ManagedFields: true})
	if err != nil {
		return apierrors.IsConflict(err) && !pinned, err
	}
	if scale, err = scaleOf(out); err != nil {
		return false, err
	}
	writeJSON(w, http.StatusOK, scale)
	return false, nil
}
