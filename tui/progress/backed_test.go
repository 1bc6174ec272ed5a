package progress

import (
	"fmt"
	"sync"
	"testing"
)

// casRecord is a record kept outside a file with optimistic concurrency, as a ConfigMap is:
// a write succeeds only if nobody wrote since the read it was merged with.
type casRecord struct {
	mu        sync.Mutex
	b         []byte
	version   int
	conflicts int
}

func (r *casRecord) exchange(merge func([]byte) ([]byte, error)) error {
	for {
		r.mu.Lock()
		b, v := r.b, r.version
		r.mu.Unlock()
		next, err := merge(b)
		if err != nil {
			return err
		}
		r.mu.Lock()
		if r.version == v {
			r.b, r.version = next, v+1
			r.mu.Unlock()
			return nil
		}
		r.conflicts++
		r.mu.Unlock()
	}
}

// TestBackedConcurrentSaversLoseNothing: two Backed stores (two front ends serving one
// learner) save from many goroutines at once through one optimistic record; every step
// either recorded is stored afterwards, and a reset at one stays reset.
func TestBackedConcurrentSaversLoseNothing(t *testing.T) {
	rec := &casRecord{}
	stores := make([]*Store, 2)
	for i := range stores {
		stores[i], _ = Backed("record", nil, rec.exchange)
	}
	const per = 20
	saveAtOnce(t, stores, per)
	read := func() File {
		t.Helper()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		f, err := Parse(rec.b)
		if err != nil {
			t.Fatalf("%v: %s", err, rec.b)
		}
		return f
	}
	l := read().Lessons["shared"]
	if l == nil {
		t.Fatal("nothing stored")
	}
	for i := range stores {
		for k := 0; k < per; k++ {
			if st := l.Steps[fmt.Sprintf("p%d-%02d", i, k)]; st == nil || !st.Done {
				t.Errorf("step p%d-%02d lost", i, k)
			}
		}
	}

	// A reset at one front end stays reset after the other's next save of another lesson.
	if err := stores[0].ResetLesson("shared"); err != nil {
		t.Fatal(err)
	}
	if err := stores[1].Update("other", func(l *Lesson) { l.StepOf("x").Done = true }); err != nil {
		t.Fatal(err)
	}
	if f := read(); f.Lessons["shared"] != nil || f.Lessons["other"] == nil {
		t.Fatalf("after a reset and the other front end's save: %+v", f.Lessons)
	}
	if got := stores[1].Lesson("shared"); len(got.Steps) != 0 {
		t.Fatalf("the other front end still shows the reset lesson: %+v", got)
	}
}

// A Backed store without an exchange (the instructor's read of another front end's
// student) never saves.
func TestBackedWithoutExchangeIsReadOnly(t *testing.T) {
	s, warn := Backed("", []byte(`{"format":"kubetutor-progress","version":1,"lessons":{"a":{"step":"s"}}}`), nil)
	if warn != "" {
		t.Fatal(warn)
	}
	if got := s.Lesson("a").Step; got != "s" {
		t.Fatalf("step = %q", got)
	}
	if err := s.Update("a", func(l *Lesson) { l.Step = "t" }); err != nil {
		t.Fatalf("a read-only store's save: %v", err)
	}
}
