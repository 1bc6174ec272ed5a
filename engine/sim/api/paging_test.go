package api_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/pager"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Lists honour limit and continue as the apiserver does: pages in order, a continue token
// while more remain, every page at the first page's resourceVersion, and client-go's pager
// reassembles the whole list; a bad token is a 400.
func TestListLimitAndContinue(t *testing.T) {
	e := newEnv(t, store.Options{})
	ctx := context.Background()
	for i := 0; i < 23; i++ {
		name := fmt.Sprintf("cm-%02d", i)
		if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := e.cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Items) != 10 || first.Continue == "" || first.Items[0].Name != "cm-00" {
		t.Fatalf("first page: %d items, continue %q", len(first.Items), first.Continue)
	}
	if _, err := e.cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "zz-later"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	second, err := e.cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{Limit: 10, Continue: first.Continue})
	if err != nil {
		t.Fatal(err)
	}
	if second.ResourceVersion != first.ResourceVersion || second.Items[0].Name != "cm-10" || second.Continue == "" {
		t.Fatalf("second page: rv %s (first %s), first item %s, continue %q", second.ResourceVersion, first.ResourceVersion, second.Items[0].Name, second.Continue)
	}

	var got []string
	p := pager.New(pager.SimplePageFunc(func(o metav1.ListOptions) (runtime.Object, error) {
		return e.cs.CoreV1().ConfigMaps("default").List(ctx, o)
	}))
	p.PageSize = 7
	if err := p.EachListItem(ctx, metav1.ListOptions{}, func(o runtime.Object) error {
		got = append(got, o.(*corev1.ConfigMap).Name)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	full, err := e.cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, cm := range full.Items {
		all = append(all, cm.Name)
	}
	if len(got) != 24 && len(got) != 25 || fmt.Sprint(got) != fmt.Sprint(all) {
		t.Fatalf("paged list (7 a page):\n%v\nwhole list:\n%v", got, all)
	}

	_, err = e.cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{Limit: 5, Continue: "not-a-token"})
	if !apierrors.IsBadRequest(err) {
		t.Fatalf("bad continue token: %v", err)
	}
}
