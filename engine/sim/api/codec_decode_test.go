package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// decodeTwoPass is decodeInto as it was before the one-pass decode: the apiserver's kind
// sniff (encoding/json into TypeMeta) first, then the strict decode. The test below holds
// the one-pass decode to the same answers.
func decodeTwoPass(w http.ResponseWriter, data []byte, obj runtime.Object, gvk schema.GroupVersionKind, directive string) error {
	wrap := func(err error) error {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return wrap(errors.New("empty request body"))
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return wrap(err)
	}
	if err := checkTypeMeta(tm.APIVersion, tm.Kind, gvk); err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(data, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return wrap(err)
	}
	if len(strictErrs) > 0 {
		switch directive {
		case "Strict":
			return wrap(runtime.NewStrictDecodingError(strictErrs))
		case "Warn":
			for _, e := range strictErrs {
				addWarning(w, e.Error())
			}
		}
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}

func TestDecodeIntoMatchesTwoPass(t *testing.T) {
	gvk := corev1.SchemeGroupVersion.WithKind("Pod")
	bodies := []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"metadata":{"name":"a"}}`,
		`{"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"a"}}`,
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}}`,
		`{"apiVersion":"a/b/c","kind":"Pod"}`,
		`{"apiVersion":"v1","Kind":"Service","metadata":{"name":"a"}}`,
		`{"apiVersion":"v1","KIND":"Pod","metadata":{"name":"a"}}`,
		`{"apiVersion":"V1","kind":"Pod"}`,
		`{"kind":"Service","kind":"Pod","metadata":{"name":"a"}}`,
		`{"kind":"Pod","kind":"Service","metadata":{"name":"a"}}`,
		`{"kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"bogus":1}}`,
		`{"kind":"Service","spec":{"bogus":1}}`,
		`{"kind":"Pod","spec":{"containers":"x"}}`,
		`{"kind":"Service","spec":{"containers":"x"}}`,
		`{"kind":5}`,
		`{"apiVersion":true,"kind":"Pod"}`,
		`{"metadata":{"name":"a"},"Metadata":{"name":"b"}}`,
		`{"kind":"Pod"`,
		`[]`,
		`null`,
		`"pod"`,
		"  \n\t",
		``,
		`{"kind":"Pod","metadata":{"name":"a","labels":{"x":"1","x":"2"}},"status":{"phase":"Running","bogus":{}}}`,
	}
	for _, body := range bodies {
		for _, directive := range []string{"Strict", "Warn", "Ignore"} {
			wOld, wNew := httptest.NewRecorder(), httptest.NewRecorder()
			// A stale TypeMeta on the target must not stand in for the body's.
			oldObj := &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Service", APIVersion: "v9"}}
			newObj := oldObj.DeepCopy()
			errOld := decodeTwoPass(wOld, []byte(body), oldObj, gvk, directive)
			errNew := decodeInto(wNew, []byte(body), newObj, gvk, directive)
			if fmt.Sprint(errOld) != fmt.Sprint(errNew) {
				t.Errorf("%s %s: error %v, want %v", directive, body, errNew, errOld)
				continue
			}
			if !reflect.DeepEqual(wOld.Header()["Warning"], wNew.Header()["Warning"]) {
				t.Errorf("%s %s: warnings %q, want %q", directive, body, wNew.Header()["Warning"], wOld.Header()["Warning"])
			}
			if errOld == nil && !reflect.DeepEqual(oldObj, newObj) {
				t.Errorf("%s %s: decoded %+v, want %+v", directive, body, newObj, oldObj)
			}
		}
	}
}
