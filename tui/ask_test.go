package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/kubetutor/kubetutor/lessons"
)

// TestAskPaneIsAComponent: the yes/no question owns its keys and size (Component): y runs
// yes, any other key runs no (or the "kept" default), a message that is no key leaves it
// open, each question answers once, and its help is the ConfirmKeyMap's.
func TestAskPaneIsAComponent(t *testing.T) {
	st := DefaultStyles(lipgloss.DefaultRenderer())
	tx := textFor("en")
	type calls struct{ yes, no, kept int }
	open := func(withNo bool) (*askPane, *calls) {
		c := &calls{}
		q := question{text: "Leave the lesson? Everything you did on the simulator is lost.", yes: func() tea.Cmd { c.yes++; return nil }}
		if withNo {
			q.no = func() tea.Cmd { c.no++; return nil }
		}
		return &askPane{q: q, keys: defaultConfirmKeyMap(tx), st: &st, kept: func() tea.Cmd { c.kept++; return nil }}, c
	}
	for _, tc := range []struct {
		key    string
		withNo bool
		want   calls
	}{
		{"y", false, calls{yes: 1}},
		{"n", false, calls{kept: 1}},
		{"esc", false, calls{kept: 1}},
		{"y", true, calls{yes: 1}},
		{"x", true, calls{no: 1}},
	} {
		p, c := open(tc.withNo)
		var comp Component = p
		comp, _ = comp.Update(tea.WindowSizeMsg{Width: 10, Height: 10}) // no key: still open
		if *c != (calls{}) || p.done {
			t.Fatalf("%s: a non-key message answered the question: %+v", tc.key, *c)
		}
		comp.Update(keyMsg(tc.key))
		comp.Update(keyMsg("y")) // answered already: nothing more runs
		if *c != tc.want {
			t.Errorf("key %q (own no %v): calls %+v, want %+v", tc.key, tc.withNo, *c, tc.want)
		}
	}
	p, _ := open(false)
	p.SetSize(30, 0)
	for _, l := range strings.Split(p.View(), "\n") {
		if w := lipgloss.Width(l); w != 30 {
			t.Errorf("line %q is %d cells wide at SetSize(30)", l, w)
		}
	}
	if n := len(strings.Split(p.View(), "\n")); n < 2 || n > 3 {
		t.Errorf("at 30 columns the question takes %d lines, want it wrapped to 2–3", n)
	}
	if got := keysOf(p); len(got) != 2 || got[0].Help().Key != defaultConfirmKeyMap(tx).Yes.Help().Key {
		t.Errorf("help %v, want the ConfirmKeyMap's y and no", got)
	}
}

// TestPredictPaneIsAComponent: the prediction prompt owns its answers and its keys: the
// number keys of its choices work only while the step waits (not in the demo, not once the
// commands ran), the first answer is kept, and its text says the answer once given.
func TestPredictPaneIsAComponent(t *testing.T) {
	tx := textFor("en")
	s := lessons.Step{ID: "s", Predict: &lessons.Predict{Question: "What happens?", Choices: []lessons.Choice{
		{Text: "web-0 first"}, {Text: "all at once", Correct: true}, {Text: "nothing"}}}}
	p := newPredictPane(tx)
	var c Component = p
	p.sync(tx, 1, s, "en", true, true) // the demo: no prompt
	if md, _ := p.markdown(); md != "" || p.keys.Choose.Enabled() {
		t.Fatalf("demo: prompt %q, keys enabled %v", md, p.keys.Choose.Enabled())
	}
	p.sync(tx, 1, s, "en", false, false) // the commands ran: nothing to wait for
	if p.pending || p.keys.Choose.Enabled() {
		t.Fatal("a step with no command left waits for a prediction")
	}
	p.sync(tx, 1, s, "en", false, true)
	if md, before := p.markdown(); !p.pending || !before || !strings.Contains(md, "What happens?") || !strings.Contains(md, "3. nothing") {
		t.Fatalf("waiting: pending %v, before %v, prompt %q", p.pending, before, md)
	}
	if got := p.keys.Choose.Keys(); strings.Join(got, "") != "123" || p.keys.Choose.Help().Key != "1-3" {
		t.Fatalf("keys %v (help %q), want 1 2 3", got, p.keys.Choose.Help().Key)
	}
	c.Update(keyMsg("4"))
	if p.answers[1] != nil {
		t.Fatal("4 answered a three-choice prediction")
	}
	c.Update(keyMsg("2"))
	c.Update(keyMsg("3")) // answered: the first answer stays
	if a := p.answers[1]; a == nil || a.choice != 1 || p.pending || p.keys.Choose.Enabled() {
		t.Fatalf("after 2: answer %+v, pending %v", a, p.pending)
	}
	p.sync(tx, 1, s, "en", false, true)
	if md := p.View(); p.pending || !strings.Contains(md, "all at once") {
		t.Errorf("answered: pending %v, text %q", p.pending, md)
	}
	p.reset()
	p.sync(tx, 1, s, "en", false, true)
	if !p.pending {
		t.Error("after a lesson reset the prediction does not wait again")
	}
}

// TestDemoIsAComponent: the demo asks the lesson view for what it does through messages
// (typing, running, going to a step), from its own ticks and keys; after asking for a run
// it waits until that run started and ended, even if a tick comes before the run starts.
func TestDemoIsAComponent(t *testing.T) {
	tx := textFor("en")
	d := &demoState{tick: func(int64) tea.Cmd { return nil }, keys: defaultDemoKeyMap(tx)}
	var c Component = d
	msgOf := func(cmd tea.Cmd) tea.Msg {
		if cmd == nil {
			return nil
		}
		m := cmd()
		if b, ok := m.(tea.BatchMsg); ok {
			for _, c := range b {
				if c != nil {
					if m := c(); m != nil {
						return m
					}
				}
			}
			return nil
		}
		return m
	}
	d.sync(tx, 7, 1, 3, "kubectl get sts", false, false, false, 0)
	var got []tea.Msg
	for i := 0; i < len("kubectl get sts"); i++ {
		_, cmd := c.Update(demoTickMsg{gen: 7})
		got = append(got, msgOf(cmd))
	}
	if m, ok := got[2].(demoTypedMsg); !ok || m.typed != "kub" {
		t.Fatalf("third tick: %#v, want typing \"kub\"", got[2])
	}
	if _, ok := got[len(got)-1].(demoRunMsg); !ok {
		t.Fatalf("last tick: %#v, want a run", got[len(got)-1])
	}
	c.Update(demoTickMsg{gen: 7}) // before the view started the run
	if d.phase != demoRunning {
		t.Fatalf("a tick before the run started ended it: phase %d", d.phase)
	}
	d.sync(tx, 7, 1, 3, "", true, false, false, 1) // running
	c.Update(demoTickMsg{gen: 7})
	d.sync(tx, 7, 1, 3, "", false, false, false, 1) // ran
	c.Update(demoTickMsg{gen: 7})
	if d.phase != demoReading {
		t.Fatalf("after the run: phase %d, want reading", d.phase)
	}
	if _, cmd := c.Update(demoTickMsg{gen: 8}); cmd != nil {
		t.Error("a tick of another view moved the demo")
	}
	_, cmd := c.Update(keyMsg("left"))
	if m, ok := msgOf(cmd).(demoGoMsg); !ok || m.step != 0 || m.gen != 7 {
		t.Errorf("←: %#v, want going to step 0", msgOf(cmd))
	}
	c.Update(keyMsg(" "))
	if !d.paused || d.View() != tx.DemoPaused {
		t.Errorf("space: paused %v, view %q", d.paused, d.View())
	}
	if ks := keysOf(d); len(ks) != 2 || ks[1].Help().Key != "← →" {
		t.Errorf("help on the middle step: %v", ks)
	}
}

// TestCommandOutputIsAMessage: a command's result reaches the output pane as a message
// (cmdOutputMsg) through its Update: it fills in the command's own entry, even after the
// learner moved to another step, and a result for an unknown entry changes nothing.
func TestCommandOutputIsAMessage(t *testing.T) {
	st := DefaultStyles(lipgloss.DefaultRenderer())
	o := newOutputPane(&st, textFor("en"))
	o.SetSize(60, 10)
	o.setStep(1)
	id := o.start("kubectl get pods")
	if !o.busy() {
		t.Fatal("a started command is not shown as running")
	}
	o.setStep(2) // the learner moved on while it ran
	var c Component = o
	c.Update(cmdOutputMsg{id: id + 100, output: "stray\n"})
	c.Update(cmdOutputMsg{id: id, output: "web-0   1/1   Running\r\n"})
	o.setStep(1)
	got := outText(o)
	if !strings.Contains(got, "web-0   1/1   Running") || strings.Contains(got, "stray") || strings.Contains(got, "\r") {
		t.Errorf("step 1's output after the result message:\n%q", got)
	}
}
