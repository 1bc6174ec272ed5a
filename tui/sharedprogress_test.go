package tui

import (
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kubetutor/kubetutor/tui/progress"
)

// TestSecondPlayerOfOneLearner: a learner opens a second player (another terminal, the same
// progress file) while the first is on step 3. The second resumes at step 3, and first
// replays the earlier steps' commands on its own fresh cluster, so that cluster is in step
// 3's state rather than empty. Both players then save; the file keeps both players' records.
func TestSecondPlayerOfOneLearner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "progress.json")
	storeA, warn, err := progress.Open(path)
	if err != nil || warn != "" {
		t.Fatal(err, warn)
	}
	a := newProgressApp(t, "en", newFakeCluster(), storeA)
	openAndRun(t, a, 100, 30)
	run(a, send(a, keyMsg("n")))
	run(a, send(a, keyMsg("enter"))) // kubectl apply -f web.yaml
	run(a, send(a, keyMsg("enter"))) // kubectl get statefulset web
	run(a, send(a, keyMsg("n")))     // step 3, saved

	storeB, warn, err := progress.Open(path) // a is still playing
	if err != nil || warn != "" {
		t.Fatal(err, warn)
	}
	c := newFakeCluster()
	b := newProgressApp(t, "en", c, storeB)
	send(b, tea.WindowSizeMsg{Width: 100, Height: 30})
	start := send(b, keyMsg("enter"))
	init := send(b, start())
	if !b.lesson.replaying {
		t.Fatal("the second player resumes at step 3 without rebuilding its cluster")
	}
	run(b, init)
	c.mu.Lock()
	ran := strings.Join(c.ran, "|")
	c.mu.Unlock()
	if b.lesson.play.Step() != 2 || ran != "kubectl apply -f web.yaml|kubectl get statefulset web" {
		t.Fatalf("second player at step %d after replaying %q", b.lesson.play.Step()+1, ran)
	}

	// a goes back a step (saved), then b records its step (saved): both saves merge.
	run(a, send(a, keyMsg("p")))
	run(b, b.lesson.recordStep())
	file, _, err := progress.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := file.Lesson("statefulset-basics")
	if rec.Step != "pvc" || !rec.Steps["intro"].Done || !rec.Steps["create"].Done {
		t.Fatalf("file after both players saved: %+v", rec)
	}
}
