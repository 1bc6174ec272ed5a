package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/kubetutor/kubetutor/engine"
)

// editCluster answers `kubectl edit` as engine's edit flow does: it opens the editor the run's
// context carries and prints what came back.
type editCluster struct{ *fakeCluster }

func (c editCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	if line != "kubectl edit sts web" {
		return c.fakeCluster.RunKubectl(ctx, line, in, out, errOut)
	}
	ed := engine.EditorFrom(ctx)
	if ed == nil {
		return fmt.Errorf("no built-in editor on the run's context")
	}
	text, err := ed(ctx, []byte("# header\nreplicas: 1\n"), ".yaml")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "saved: %q\n", text)
	return nil
}

func TestBuiltinEditorSavesAndDiscards(t *testing.T) {
	c := editCluster{newFakeCluster()}
	a := New(Options{Context: context.Background(), Cluster: c, Lessons: testLessons("en"), Lang: "en",
		MarkdownStyle: "notty", BuiltinEditor: true})
	tm := teatest.NewTestModel(t, a, teatest.WithInitialTermSize(100, 30))
	t.Cleanup(func() { _ = tm.Quit() })
	wait := func(want ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			for _, w := range want {
				if !bytes.Contains(b, []byte(w)) {
					return false
				}
			}
			return true
		},
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	}
	tm.Send(keyRunes(":"))
	tm.Type("edit sts web")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("replicas: 1", "save and apply") // the help line shows the editor's keys
	// Second line, end of it: replace 1 with 3, then save.
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	tm.Send(tea.KeyMsg{Type: tea.KeyBackspace})
	tm.Type("3")
	wait("(modified)")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlS})
	wait(`saved: "# header\nreplicas: 3\n"`)

	// Changed text and esc: asked first; y discards, and the edit gets the text unchanged.
	tm.Send(tea.KeyMsg{Type: tea.KeyUp}) // history: the same line
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	wait("replicas: 1")
	tm.Type("x")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	wait("Discard your changes?")
	tm.Type("y")
	wait(`saved: "# header\nreplicas: 1\n"`)
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Send(keyRunes("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
