package tui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// The demo's pace, in ticks of demoEvery: typing a character, reading a command's output,
// reading a finished step, and how long to wait for a step's checks before moving on.
const (
	demoEvery      = 50 * time.Millisecond
	demoTypeTicks  = 1
	demoReadTicks  = 30  // 1.5 s after each command
	demoStepTicks  = 60  // 3 s on a finished step
	demoCheckTicks = 600 // 30 s for the checks to hold
)

type demoPhase int

const (
	demoTyping demoPhase = iota
	demoRunning
	demoReading
	demoChecking
	demoFinished
	demoEnd
)

// demoState plays a lesson by itself (kubetutor demo): it types each command, runs it,
// waits for the step's checks, pauses, and goes on. Space pauses it, ← and → skip.
type demoState struct {
	phase  demoPhase
	typed  int
	ticks  int
	paused bool
	tick   func(gen int64) tea.Cmd
	keys   DemoKeyMap
}

// demoTickMsg drives the demo.
type demoTickMsg struct{ gen int64 }

// DemoKeyMap holds the demo's bindings.
type DemoKeyMap struct {
	Pause, Skip key.Binding
	// Back and On tell Skip's two keys apart.
	Back, On key.Binding
}

func defaultDemoKeyMap(t text) DemoKeyMap {
	return DemoKeyMap{
		Pause: key.NewBinding(key.WithKeys(" "), key.WithHelp("space", t.KeyPause)),
		Skip:  key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("← →", t.KeyPrev+" / "+t.KeyNext)),
		Back:  key.NewBinding(key.WithKeys("left")),
		On:    key.NewBinding(key.WithKeys("right")),
	}
}

// ShortHelp implements help.KeyMap.
func (k DemoKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Pause, k.Skip} }

// FullHelp implements help.KeyMap.
func (k DemoKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

func defaultDemoTick(gen int64) tea.Cmd {
	return tea.Tick(demoEvery, func(time.Time) tea.Msg { return demoTickMsg{gen: gen} })
}

// demoKeys is the demo's key map as it stands: ← and → only where there is a step to go to.
func (v *lessonView) demoKeys() DemoKeyMap {
	k := v.demo.keys
	back := v.curStep() > 0 && !v.running
	on := v.curStep() < len(v.lesson.Steps)-1 && !v.running
	k.Back.SetEnabled(back)
	k.On.SetEnabled(on)
	k.Skip = oneOrBoth(k.Skip, back, on, "←", "→")
	return k
}

// demoKey handles the demo's keys before any pane's.
func (v *lessonView) demoKey(msg tea.KeyMsg) tea.Cmd {
	d, k := v.demo, v.demoKeys()
	switch {
	case key.Matches(msg, k.Pause):
		d.paused = !d.paused
		return nil
	case key.Matches(msg, k.Back), key.Matches(msg, k.On):
		step := v.curStep() + 1
		if key.Matches(msg, k.Back) {
			step = v.curStep() - 1
		}
		d.phase, d.typed, d.ticks = demoTyping, 0, 0
		v.stepP.typing = ""
		return v.goStep(step)
	}
	return nil
}

// demoAdvance moves the demo one tick on.
func (v *lessonView) demoAdvance() tea.Cmd {
	d := v.demo
	if d.paused || v.replaying || len(v.lesson.Steps) == 0 {
		return nil
	}
	d.ticks++
	switch d.phase {
	case demoTyping:
		idx := v.nextCmd()
		if idx < 0 {
			d.phase, d.ticks = demoChecking, 0
			return nil
		}
		line := v.cur().Cmds[idx].Line
		if d.ticks < demoTypeTicks {
			return nil
		}
		d.ticks = 0
		d.typed++
		if d.typed < len([]rune(line)) {
			typed := string([]rune(line)[:d.typed])
			v.outP.noteText("$ "+typed+"▌", "", "", false)
			v.stepP.typing = typed
			return nil
		}
		d.phase, d.typed = demoRunning, 0
		v.stepP.typing = ""
		return v.runNext()
	case demoRunning:
		if !v.running {
			d.phase, d.ticks = demoReading, 0
		}
	case demoReading:
		if d.ticks >= demoReadTicks {
			d.phase, d.ticks = demoTyping, 0
		}
	case demoChecking:
		if v.play.State(v.curStep()).Done || d.ticks >= demoCheckTicks {
			d.phase, d.ticks = demoFinished, 0
		}
	case demoFinished:
		if d.ticks >= demoStepTicks {
			if v.curStep() == len(v.lesson.Steps)-1 {
				d.phase = demoEnd
				return nil
			}
			d.phase, d.ticks = demoTyping, 0
			return v.goStep(v.curStep() + 1)
		}
	}
	return nil
}

// demoStatus is the status line's word on the demo.
func (v *lessonView) demoStatus() string {
	if v.demo == nil {
		return ""
	}
	if v.demo.paused {
		return v.t.DemoPaused
	}
	return "demo"
}
