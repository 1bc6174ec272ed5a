package controller

import "testing"

// bits.next and bits.prev find the nearest member on either side, across words.
func TestBitsNextPrev(t *testing.T) {
	b := newBits(200)
	members := []int{0, 5, 63, 64, 130, 199}
	for _, i := range members {
		b.set(i)
	}
	b.set(7)
	b.unset(7)
	for i := -1; i <= 200; i++ {
		wantNext, wantPrev := -1, -1
		for _, m := range members {
			if m >= i && wantNext < 0 {
				wantNext = m
			}
			if m <= i {
				wantPrev = m
			}
		}
		if got := b.next(i); got != wantNext {
			t.Errorf("next(%d) = %d, want %d", i, got, wantNext)
		}
		if i >= 0 {
			if got := b.prev(i); got != wantPrev {
				t.Errorf("prev(%d) = %d, want %d", i, got, wantPrev)
			}
		}
	}
	if b.has(7) || !b.has(64) {
		t.Error("has")
	}
}
