package store

import (
	"bytes"
	"reflect"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

// SemanticEqual answers what equality.Semantic.DeepEqual answers (nil and empty slices and maps
// are equal, quantities compare by value, times by instant in UTC), without its costs: the
// apimachinery version boxes every scalar through reflect's Interface, calls the custom
// comparisons through reflect.Call and records every visited struct in a map. API objects are
// trees, so no cycle bookkeeping is needed; subtrees shared by both sides (the same slice,
// map or pointer) are equal at once, which makes comparing an object with its own
// copy-on-write successor cheap. TestSemanticEqualMatchesApimachinery checks the two agree.
func SemanticEqual(a, b any) bool {
	if a == nil || b == nil {
		return a == b
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	return eqValue(va, vb)
}

var (
	quantityType  = reflect.TypeFor[resource.Quantity]()
	timeType      = reflect.TypeFor[metav1.Time]()
	microTimeType = reflect.TypeFor[metav1.MicroTime]()
	fieldsV1Type  = reflect.TypeFor[metav1.FieldsV1]()
	labelSelType  = reflect.TypeFor[labels.Selector]()
	fieldSelType  = reflect.TypeFor[fields.Selector]()
)

// as returns v's value as a T without boxing when v is addressable.
func as[T any](v reflect.Value) T {
	if v.CanAddr() {
		return *(*T)(v.Addr().UnsafePointer())
	}
	return v.Interface().(T)
}

func eqValue(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	t := a.Type()
	if t != b.Type() {
		return false
	}
	switch t {
	case quantityType:
		x, y := as[resource.Quantity](a), as[resource.Quantity](b)
		return x.Cmp(y) == 0
	case timeType:
		return as[metav1.Time](a).UTC() == as[metav1.Time](b).UTC()
	case microTimeType:
		return as[metav1.MicroTime](a).UTC() == as[metav1.MicroTime](b).UTC()
	case fieldsV1Type:
		return bytes.Equal(as[metav1.FieldsV1](a).Raw, as[metav1.FieldsV1](b).Raw)
	case labelSelType:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		return as[labels.Selector](a).String() == as[labels.Selector](b).String()
	case fieldSelType:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		return as[fields.Selector](a).String() == as[fields.Selector](b).String()
	}
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return a.Float() == b.Float()
	case reflect.Complex64, reflect.Complex128:
		return a.Complex() == b.Complex()
	case reflect.String:
		return a.String() == b.String()
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		if a.Pointer() == b.Pointer() {
			return true
		}
		return eqValue(a.Elem(), b.Elem())
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() && b.IsNil()
		}
		return eqValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i, n := 0, a.NumField(); i < n; i++ {
			if !eqValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Array:
		for i, n := 0, a.Len(); i < n; i++ {
			if !eqValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false // nil and empty have length 0 alike
		}
		if a.Len() == 0 || a.Pointer() == b.Pointer() {
			return true
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return bytes.Equal(a.Bytes(), b.Bytes())
		}
		for i, n := 0, a.Len(); i < n; i++ {
			if !eqValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		if a.Len() == 0 || a.Pointer() == b.Pointer() {
			return true
		}
		if t.ConvertibleTo(stringMapType) && a.CanInterface() && b.CanInterface() {
			// Labels and annotations: no reflection per entry.
			x, y := a.Convert(stringMapType).Interface().(map[string]string), b.Convert(stringMapType).Interface().(map[string]string)
			for k, v := range x {
				if w, ok := y[k]; !ok || w != v {
					return false
				}
			}
			return true
		}
		it := a.MapRange()
		for it.Next() {
			if !eqValue(it.Value(), b.MapIndex(it.Key())) {
				return false
			}
		}
		return true
	case reflect.Func:
		return a.IsNil() && b.IsNil()
	case reflect.Chan, reflect.UnsafePointer:
		return a.Pointer() == b.Pointer()
	}
	return false
}

var stringMapType = reflect.TypeFor[map[string]string]()
