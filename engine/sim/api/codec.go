package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

var protoSerializer = protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)

// maxBodyBytes caps request bodies, as the apiserver's 3 MiB limit does.
const maxBodyBytes = 3 << 20

// readBody reads the request body within the size cap.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := readAll(http.MaxBytesReader(w, r.Body, maxBodyBytes), r.ContentLength)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("limit is %d", maxBodyBytes))
		}
		return nil, apierrors.NewBadRequest("unable to read request body: " + err.Error())
	}
	return data, nil
}

// readAll is io.ReadAll with the buffer sized from the request's Content-Length (within the
// cap; the reader still enforces it), so a pod body is read into one allocation instead of
// io.ReadAll's doubling from 512 bytes. One spare byte lets the final read see EOF
// without growing.
func readAll(rd io.Reader, contentLength int64) ([]byte, error) {
	size := int64(512)
	if contentLength > 0 && contentLength < maxBodyBytes {
		size = contentLength + 1
	}
	buf := make([]byte, 0, size)
	for {
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "application/json"
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return ct
	}
	return mt
}

// toJSON accepts JSON or YAML bodies (by Content-Type) and returns JSON.
func toJSON(r *http.Request, data []byte) ([]byte, error) {
	switch mt := mediaType(r); mt {
	case "application/json", "*/*":
		return data, nil
	case "application/vnd.kubernetes.protobuf":
		// client-go's typed clients send protobuf for built-in types; decode with the
		// apimachinery serializer and carry on as JSON.
		obj, _, err := protoSerializer.Decode(data, nil, nil)
		if err != nil {
			return nil, apierrors.NewBadRequest("the body of the request could not be decoded as protobuf: " + err.Error())
		}
		j, err := json.Marshal(obj)
		if err != nil {
			return nil, apierrors.NewInternalError(err)
		}
		return j, nil
	case "application/yaml", "application/x-yaml", "text/yaml":
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, apierrors.NewBadRequest("the body of the request could not be decoded as YAML: " + err.Error())
		}
		return j, nil
	default:
		return nil, apierrors.NewGenericServerResponse(http.StatusUnsupportedMediaType, "", schema.GroupResource{}, "", fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf"), 0, false)
	}
}

// fieldValidation is the request's fieldValidation directive: Strict, Warn (default) or Ignore.
func fieldValidation(r *http.Request) (string, error) {
	v := r.URL.Query().Get("fieldValidation")
	switch strings.ToLower(v) {
	case "":
		return "Warn", nil
	case "strict":
		return "Strict", nil
	case "warn":
		return "Warn", nil
	case "ignore":
		return "Ignore", nil
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\", got %q", v))
}

// decodeInto unmarshals JSON into obj, the way the apiserver's decoder does: case-sensitive,
// and with unknown or duplicate fields rejected (Strict), reported as warnings (Warn) or
// dropped (Ignore). gvk is what the endpoint serves; a body naming another kind is rejected.
//
// The body is decoded once: a clean body (no error, no strict-field finding) carries its
// apiVersion and kind in obj's TypeMeta, read after the decode. Only a body with a finding
// gets the apiserver's separate kind sniff (encoding/json, case-insensitive, last duplicate
// wins), so a mismatched kind is still reported before, and instead of, the field errors.
func decodeInto(w http.ResponseWriter, data []byte, obj runtime.Object, gvk schema.GroupVersionKind, directive string) error {
	wrap := func(err error) error {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return wrap(errors.New("empty request body"))
	}
	// obj's TypeMeta (a *metav1.TypeMeta for every built-in type) must come from the body
	// alone; it holds the body's strings as sent, where GroupVersionKind() would drop a
	// malformed apiVersion.
	tm, typed := obj.GetObjectKind().(*metav1.TypeMeta)
	if typed {
		*tm = metav1.TypeMeta{}
	}
	strictErrs, err := kjson.UnmarshalStrict(data, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if typed && err == nil && len(strictErrs) == 0 {
		if terr := checkTypeMeta(tm.APIVersion, tm.Kind, gvk); terr != nil {
			return terr
		}
	} else {
		var sniffed metav1.TypeMeta
		if terr := json.Unmarshal(data, &sniffed); terr != nil {
			return wrap(terr)
		}
		if terr := checkTypeMeta(sniffed.APIVersion, sniffed.Kind, gvk); terr != nil {
			return terr
		}
	}
	if err != nil {
		return wrap(err)
	}
	if err := strictFindings(w, strictErrs, directive); err != nil {
		return wrap(err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}

// strictFindings applies fieldValidation's directive to the strict decoder's findings:
// Strict makes them the error, Warn sends each as a Warning header, Ignore drops them.
func strictFindings(w http.ResponseWriter, findings []error, directive string) error {
	if len(findings) == 0 {
		return nil
	}
	switch directive {
	case "Strict":
		return runtime.NewStrictDecodingError(findings)
	case "Warn":
		for _, e := range findings {
			addWarning(w, e.Error())
		}
	}
	return nil
}

// checkTypeMeta rejects a body whose apiVersion or kind (when given) is not the endpoint's.
func checkTypeMeta(apiVersion, kind string, gvk schema.GroupVersionKind) error {
	if apiVersion != "" && apiVersion != gvk.GroupVersion().String() {
		return apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", apiVersion, gvk.GroupVersion().String()))
	}
	if kind != "" && kind != gvk.Kind {
		return apierrors.NewBadRequest(fmt.Sprintf("the kind in the data (%s) does not match the expected kind (%s)", kind, gvk.Kind))
	}
	return nil
}

// addWarning sends a Warning header as the apiserver does (kubectl prints "Warning: ...").
func addWarning(w http.ResponseWriter, msg string) {
	w.Header().Add("Warning", `299 - "`+strings.ReplaceAll(msg, `"`, `\"`)+`"`)
}

// writeJSON writes v with the given status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		code = http.StatusInternalServerError
		data, _ = json.Marshal(statusFor(apierrors.NewInternalError(err)))
	}
	writeRawJSON(w, code, data)
}

// writeRawJSON writes JSON that is already encoded, followed by a newline as
// json.Encoder (and so the apiserver) ends a body.
func writeRawJSON(w http.ResponseWriter, code int, data []byte) {
	if h := w.Header(); len(h["Content-Type"]) == 0 {
		h["Content-Type"] = jsonContentType
	}
	w.WriteHeader(code)
	_, _ = w.Write(data)
	_, _ = w.Write(newline)
}

var newline = []byte("\n")

// jsonContentType is the Content-Type value of every JSON answer, shared: Header.Set would
// allocate it for each request, and net/http only reads (and clones) a header's values.
var jsonContentType = []string{"application/json"}

// statusFor turns any error into the metav1.Status the apiserver would send.
func statusFor(err error) *metav1.Status {
	var st metav1.Status
	if s, ok := err.(apierrors.APIStatus); ok {
		st = s.Status()
	} else {
		st = apierrors.NewInternalError(err).Status()
	}
	st.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	if st.Status == "" {
		st.Status = metav1.StatusFailure
	}
	return &st
}

func writeError(w http.ResponseWriter, err error) {
	st := statusFor(err)
	code := int(st.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	writeJSON(w, code, st)
}
