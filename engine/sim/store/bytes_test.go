package store

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	testingclock "k8s.io/utils/clock/testing"
)

func cm(name string, n int) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Data: map[string]string{"k": strings.Repeat("x", n)}}
}

// TestMaxBytesRefusesLikeAQuota: the objects' data is capped; a create past it is Forbidden
// with "exceeded quota", a delete frees room, and an update may not grow an object past the
// cap's slack.
func TestMaxBytesRefusesLikeAQuota(t *testing.T) {
	clk := testingclock.NewFakeClock(metav1.Now().Time)
	s := New(Options{Clock: clk, Seed: 1, Limits: Limits{MaxBytes: 64 << 10}})
	res := MustLookup("configmaps")
	base := s.Bytes()
	if base <= 0 {
		t.Fatalf("the fresh store's namespaces count %d bytes", base)
	}
	if _, err := s.Create(res, cm("a", 40<<10)); err != nil {
		t.Fatal(err)
	}
	if got := s.Bytes() - base; got < 40<<10 || got > 41<<10 {
		t.Fatalf("a 40 KiB ConfigMap counts %d bytes", got)
	}
	_, err := s.Create(res, cm("b", 40<<10))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota: kubetutor-simulator") ||
		!strings.Contains(err.Error(), "limited: simulator-memory=64Ki") {
		t.Fatalf("create past the cap: %v", err)
	}
	// Growing an object far past the cap is refused too.
	big := cm("a", 80<<10)
	if _, err := s.Update(res, big, UpdateOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("update past the cap: %v", err)
	}
	if _, err := s.Delete(res, "default", "a", DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if s.Bytes() != base {
		t.Fatalf("after the delete: %d bytes, want %d", s.Bytes(), base)
	}
	if _, err := s.Create(res, cm("b", 40<<10)); err != nil {
		t.Fatalf("after freeing room: %v", err)
	}
}

// TestMaxBytesZeroIsNoCap: the default store has no byte cap.
func TestMaxBytesZeroIsNoCap(t *testing.T) {
	s, _ := newStore(t)
	for i := 0; i < 3; i++ {
		if _, err := s.Create(MustLookup("configmaps"), cm(string(rune('a'+i)), 1<<20)); err != nil {
			t.Fatal(err)
		}
	}
}
