package store

import (
	"math/rand"
	"reflect"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// filler sets random values in API objects: short strings and small numbers so that two
// fills often agree, nil/empty/filled slices and maps alike, quantities in several spellings.
type filler struct {
	r     *rand.Rand
	depth int
}

var quantities = []string{"0", "1", "1Gi", "1024Mi", "100m", "0.1", "1k", "1000"}

func (f *filler) fill(v reflect.Value) {
	switch v.Type() {
	case quantityType:
		v.Set(reflect.ValueOf(resource.MustParse(quantities[f.r.Intn(len(quantities))])))
		return
	case timeType:
		v.Set(reflect.ValueOf(metav1.NewTime(time.Unix(int64(f.r.Intn(3)), int64(f.r.Intn(2))))))
		return
	case microTimeType:
		v.Set(reflect.ValueOf(metav1.NewMicroTime(time.Unix(int64(f.r.Intn(3)), 0))))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(f.r.Intn(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(f.r.Intn(3)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.r.Intn(3)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.r.Intn(3)))
	case reflect.String:
		v.SetString([]string{"", "a", "b"}[f.r.Intn(3)])
	case reflect.Pointer:
		if f.r.Intn(3) == 0 || f.depth > 6 {
			return
		}
		p := reflect.New(v.Type().Elem())
		f.depth++
		f.fill(p.Elem())
		f.depth--
		v.Set(p)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				f.fill(v.Field(i))
			}
		}
	case reflect.Slice:
		switch f.r.Intn(4) {
		case 0:
			return // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
			return
		}
		if f.depth > 6 {
			return
		}
		n := 1 + f.r.Intn(2)
		s := reflect.MakeSlice(v.Type(), n, n)
		f.depth++
		for i := 0; i < n; i++ {
			f.fill(s.Index(i))
		}
		f.depth--
		v.Set(s)
	case reflect.Map:
		switch f.r.Intn(4) {
		case 0:
			return
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
			return
		}
		if f.depth > 6 {
			return
		}
		m := reflect.MakeMap(v.Type())
		f.depth++
		for i := 0; i < 1+f.r.Intn(2); i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			f.fill(k)
			f.fill(e)
			m.SetMapIndex(k, e)
		}
		f.depth--
		v.Set(m)
	}
}

// TestSemanticEqualMatchesApimachinery compares SemanticEqual with equality.Semantic.DeepEqual
// on random pairs of the objects the controllers write: independent fills (which often agree
// on small parts), copies, and copies with one random fill redone.
func TestSemanticEqualMatchesApimachinery(t *testing.T) {
	f := &filler{r: rand.New(rand.NewSource(1))}
	kinds := []runtime.Object{&corev1.Pod{}, &appsv1.StatefulSet{}, &corev1.PersistentVolumeClaim{}, &corev1.Endpoints{},
		&discoveryv1.EndpointSlice{}, &corev1.Node{}, &corev1.Service{}, &corev1.Event{}, &corev1.Namespace{}, &corev1.PersistentVolume{}}
	counts := map[bool]int{}
	for _, k := range kinds {
		typ := reflect.TypeOf(k).Elem()
		for i := 0; i < 3000; i++ {
			a, b := reflect.New(typ), reflect.New(typ)
			f.fill(a.Elem())
			switch i % 3 {
			case 0:
				f.fill(b.Elem())
			case 1:
				b = reflect.ValueOf(a.Interface().(interface{ DeepCopyObject() runtime.Object }).DeepCopyObject())
			default:
				// Same object, one top-level field filled again.
				b.Elem().Set(a.Elem())
				j := f.r.Intn(typ.NumField())
				if typ.Field(j).IsExported() {
					f.fill(b.Elem().Field(j))
				}
			}
			want := equality.Semantic.DeepEqual(a.Interface(), b.Interface())
			if got := SemanticEqual(a.Interface(), b.Interface()); got != want {
				t.Fatalf("%s #%d: SemanticEqual = %v, apimachinery says %v\na: %#v\nb: %#v", typ, i, got, want, a.Interface(), b.Interface())
			}
			counts[want]++
		}
	}
	if counts[true] < 1000 || counts[false] < 1000 {
		t.Fatalf("the random pairs should be equal and different often enough to mean something: %v", counts)
	}
}
