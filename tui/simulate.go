package tui

import tea "github.com/charmbracelet/bubbletea"

// simulateMsg reports what a step's simulate action did.
type simulateMsg struct {
	gen  int64
	step int
	said string
	err  error
}

// simulateStep runs the current step's simulate action (e.g. cut off a node) the first time
// the step is entered and not done: the simulator does for the learner what a real cluster's
// operator would do by hand.
func (v *lessonView) simulateStep() tea.Cmd {
	s := v.cur()
	if s.Simulate == nil || v.replaying || v.deps.simulate == nil || !v.play.MarkSimulated() {
		return nil
	}
	do, ctx, gen, step := v.deps.simulate, v.ctx, v.gen, v.curStep()
	return func() tea.Msg {
		said, err := do(ctx, s)
		if ctx.Err() != nil {
			return nil
		}
		return simulateMsg{gen: gen, step: step, said: said, err: err}
	}
}

// onSimulate shows what the simulator did, or why it could not, in the output pane.
func (v *lessonView) onSimulate(m simulateMsg) tea.Cmd {
	if m.gen != v.gen {
		return nil
	}
	if m.err != nil {
		v.outP.prose(v.t.Simulator, m.err.Error())
	} else {
		v.outP.prose(v.t.Simulator, m.said)
	}
	return v.evalNow()
}
