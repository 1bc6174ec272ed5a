package tui

import (
	"testing"

	"github.com/kubetutor/kubetutor/lessons"
)

// TestMenuSummariesFollowTheWidth: the menu keeps its wrapped summaries, but a resize wraps
// them again: after going 120 → 40 columns the menu draws what a menu opened at 40 draws.
func TestMenuSummariesFollowTheWidth(t *testing.T) {
	catalog, err := lessons.Catalog("en")
	if err != nil {
		t.Fatal(err)
	}
	st := DefaultStyles(nil)
	tx := textFor("en")
	m := newMenuView(&st, tx, catalog, "", nil, "", false)
	m.setSize(120, 40)
	wide := m.View()
	m.setSize(40, 40)
	got := m.View()
	fresh := newMenuView(&st, tx, catalog, "", nil, "", false)
	fresh.setSize(40, 40)
	if want := fresh.View(); got != want {
		t.Fatalf("after a resize to 40 columns the menu drew\n%s\nbut a menu opened at 40 draws\n%s", got, want)
	}
	m.setSize(120, 40)
	if again := m.View(); again != wide {
		t.Fatalf("back at 120 columns the menu drew\n%s\nnot\n%s", again, wide)
	}
}
