package api

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

const tableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io"

// asKind reads the Accept header the way the apiserver negotiates: the first media range
// it can serve wins. It returns "Table", "PartialObjectMetadata" or "" for the plain object.
func asKind(r *http.Request) string {
	accept := r.Header.Get("Accept")
	switch accept {
	case "", "application/json", "*/*", "application/json, */*":
		// What client-go and kubectl ask for a plain object: answered without parsing.
		return ""
	}
	return negotiateKind(accept)
}

// negotiateKind is asKind for any Accept header.
func negotiateKind(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		as := params["as"]
		if as == "" {
			if mt == "application/json" || mt == "*/*" || mt == "application/*" || strings.Contains(mt, "protobuf") || mt == "application/yaml" {
				return ""
			}
			continue
		}
		if params["g"] != "meta.k8s.io" || (params["v"] != "v1" && params["v"] != "v1beta1") {
			continue
		}
		switch as {
		case "Table":
			return "Table"
		case "PartialObjectMetadata", "PartialObjectMetadataList":
			return "PartialObjectMetadata"
		}
	}
	return ""
}

// includeObject is the Table's includeObject policy: None, Metadata (default) or Object.
func includeObject(r *http.Request) metav1.IncludeObjectPolicy {
	switch metav1.IncludeObjectPolicy(r.URL.Query().Get("includeObject")) {
	case metav1.IncludeNone:
		return metav1.IncludeNone
	case metav1.IncludeObject:
		return metav1.IncludeObject
	}
	return metav1.IncludeMetadata
}

func partialMetadata(obj runtime.Object) *metav1.PartialObjectMetadata {
	m := mustAccessor(obj)
	pm := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}}
	pm.ObjectMeta = metav1.ObjectMeta{
		Name: m.GetName(), GenerateName: m.GetGenerateName(), Namespace: m.GetNamespace(), UID: m.GetUID(),
		ResourceVersion: m.GetResourceVersion(), Generation: m.GetGeneration(), CreationTimestamp: m.GetCreationTimestamp(),
		DeletionTimestamp: m.GetDeletionTimestamp(), DeletionGracePeriodSeconds: m.GetDeletionGracePeriodSeconds(),
		Labels: m.GetLabels(), Annotations: m.GetAnnotations(), OwnerReferences: m.GetOwnerReferences(),
		Finalizers: m.GetFinalizers(), ManagedFields: m.GetManagedFields(),
	}
	return pm
}

// toTable renders objects as a meta.k8s.io/v1 Table. withColumns=false leaves
// columnDefinitions null, as watch events after the first do.
func (s *server) toTable(res store.Resource, objs []runtime.Object, incl metav1.IncludeObjectPolicy, withColumns bool) (*metav1.Table, error) {
	p := printerFor(res.Name)
	now := s.clock.Now()
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}, Rows: []metav1.TableRow{}}
	if withColumns {
		t.ColumnDefinitions = p.columns
	}
	for _, obj := range objs {
		cells, conds := p.row(obj, now)
		row := metav1.TableRow{Cells: cells, Conditions: conds}
		var raw []byte
		var err error
		switch incl {
		case metav1.IncludeMetadata:
			raw, err = s.encodeMeta(res, obj)
		case metav1.IncludeObject:
			if obj.GetObjectKind().GroupVersionKind() != res.GVK() {
				obj = obj.DeepCopyObject()
				obj.GetObjectKind().SetGroupVersionKind(res.GVK())
			}
			raw, err = s.encodeObject(res, obj)
		}
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		if raw != nil {
			row.Object = runtime.RawExtension{Raw: raw}
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// marshalTable encodes t exactly as json.Marshal does, but copies each row's object (JSON
// already encoded and compact, usually shared from the encoding cache) instead of letting
// encoding/json re-scan it: for a list of 1000 pods that re-scan was most of the time.
func marshalTable(t *metav1.Table) ([]byte, error) {
	size := 1024
	for i := range t.Rows {
		size += len(t.Rows[i].Object.Raw) + 256 // the cells are a line of text
	}
	var b bytes.Buffer
	b.Grow(size)
	if err := encodeTable(&b, t); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encodeTable writes marshalTable's encoding of t to b. It writes nothing when it fails.
func encodeTable(b jsonSink, t *metav1.Table) error {
	for i := range t.Rows {
		if t.Rows[i].Object.Raw == nil && t.Rows[i].Object.Object != nil {
			// Not produced by toTable; leave such rows to encoding/json.
			data, err := json.Marshal(t)
			if err != nil {
				return err
			}
			_, _ = b.Write(data)
			return nil
		}
	}
	// The small parts (metadata, each row's cells) go through one encoder and one scratch
	// buffer, so that each does not allocate its own result; Encode ends each value with a
	// newline, which is dropped.
	var scratch bytes.Buffer
	enc := json.NewEncoder(&scratch)
	encode := func(v any) ([]byte, error) {
		scratch.Reset()
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return scratch.Bytes()[:scratch.Len()-1], nil
	}
	head, err := encode(&struct {
		metav1.TypeMeta `json:",inline"`
		metav1.ListMeta `json:"metadata,omitempty"`
	}{t.TypeMeta, t.ListMeta})
	if err != nil {
		return err
	}
	head = append([]byte(nil), head[:len(head)-1]...) // without its closing brace
	cols, err := encode(t.ColumnDefinitions)
	if err != nil {
		return err
	}
	// Nothing is written before the parts that can fail have been encoded, except the cells
	// of each row, which are plain values (strings, numbers, booleans) that always encode.
	_, _ = b.Write(head)
	_, _ = b.WriteString(`,"columnDefinitions":`)
	_, _ = b.Write(cols)
	_, _ = b.WriteString(`,"rows":`)
	if t.Rows == nil {
		_, _ = b.WriteString("null")
	} else {
		_ = b.WriteByte('[')
		for i := range t.Rows {
			row := &t.Rows[i]
			if i > 0 {
				_ = b.WriteByte(',')
			}
			_, _ = b.WriteString(`{"cells":`)
			cells, err := encode(row.Cells)
			if err != nil {
				return err
			}
			_, _ = b.Write(cells)
			if len(row.Conditions) > 0 {
				_, _ = b.WriteString(`,"conditions":`)
				conds, err := encode(row.Conditions)
				if err != nil {
					return err
				}
				_, _ = b.Write(conds)
			}
			_, _ = b.WriteString(`,"object":`)
			if row.Object.Raw == nil {
				_, _ = b.WriteString("null")
			} else {
				_, _ = b.Write(row.Object.Raw)
			}
			_ = b.WriteByte('}')
		}
		_ = b.WriteByte(']')
	}
	_ = b.WriteByte('}')
	return nil
}

// writeTable sends a Table with the given status code.
func writeTable(w http.ResponseWriter, code int, t *metav1.Table) {
	if len(t.Rows) < 8 {
		data, err := marshalTable(t)
		if err != nil {
			writeError(w, apierrors.NewInternalError(err))
			return
		}
		w.Header().Set("Content-Type", tableContentType)
		writeRawJSON(w, code, data)
		return
	}
	// A long table goes to the connection a chunk at a time (rows' cells are plain values,
	// so it does not fail half way).
	w.Header().Set("Content-Type", tableContentType)
	writeStreamed(w, code, tableContentType, func(b jsonSink) { _ = encodeTable(b, t) })
}
