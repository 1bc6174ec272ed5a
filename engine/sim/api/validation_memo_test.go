package api

import (
	"reflect"
	"strings"
	"testing"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The memo answers exactly as apimachinery does, on first sight and on repeats, for valid and
// invalid labels and annotations, and still enforces the annotations' total size once their
// keys are known.
func TestMetaMemoMatchesApimachinery(t *testing.T) {
	m := newMetaMemo()
	big := strings.Repeat("x", apivalidation.TotalAnnotationSizeLimitB)
	cases := []map[string]string{
		{"app": "nginx", "statefulset.kubernetes.io/pod-name": "web-0"},
		{"app": "nginx", "statefulset.kubernetes.io/pod-name": "web-0"},
		{"app": "bad value!", "x/y": "ok"},
		{"app": "bad value!", "x/y": "ok"},
		{"-bad-key": "v"},
		{"app": "nginx", "Example.COM/Key": "v"},
		{"app": strings.Repeat("v", 64)},
		{"pv.kubernetes.io/bind-completed": big},
		{},
	}
	for round := 0; round < 2; round++ {
		for _, c := range cases {
			wantL := metavalidation.ValidateLabels(c, field.NewPath("metadata", "labels"))
			if got := m.labels(c); !reflect.DeepEqual(got, wantL) && !(len(got) == 0 && len(wantL) == 0) {
				t.Errorf("labels %v: got %v, want %v", c, got, wantL)
			}
			wantA := apivalidation.ValidateAnnotations(c, field.NewPath("metadata", "annotations"))
			if got := m.annotations(c); !reflect.DeepEqual(got, wantA) && !(len(got) == 0 && len(wantA) == 0) {
				t.Errorf("annotations %v: got %v, want %v", c, got, wantA)
			}
		}
		// Known keys, oversize total: still refused.
		if errs := m.annotations(map[string]string{"app": big}); len(errs) == 0 {
			t.Error("oversize annotations with a known key passed")
		}
	}
}
