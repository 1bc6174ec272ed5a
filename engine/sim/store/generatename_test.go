package store

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGenerateNameCutTo58(t *testing.T) {
	s := New(Options{Seed: 1})
	base := strings.Repeat("a", 60) + "-"
	obj, err := s.Create(MustLookup("configmaps"), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", GenerateName: base}})
	if err != nil {
		t.Fatal(err)
	}
	name := obj.(*corev1.ConfigMap).Name
	if len(name) != 63 || !strings.HasPrefix(name, strings.Repeat("a", 58)) {
		t.Errorf("generated name %q (%d chars), want 58 of the base plus 5", name, len(name))
	}
}
