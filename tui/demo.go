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
//
// It is a Component: it owns its keys and its pace, and asks the lesson view for what it
// does through messages (demoTypedMsg, demoRunMsg, demoGoMsg); the view tells it the lesson's
// state before each update (sync).
type demoState struct {
	phase  demoPhase
	typed  int
	ticks  int
	paused bool
	tick   func(gen int64) tea.Cmd
	keys   DemoKeyMap

	// What the lesson view last told it (sync).
	gen                      int64
	step, steps              int
	next                     string // the next command to run; "" when none is left
	running, replaying, done bool
	runs                     int // commands the view started for the demo
	wantRuns                 int // runs once the asked-for command started
	t                        text
	width                    int
}

// demoTypedMsg shows the command being typed (typed is "" once it is typed in full).
type demoTypedMsg struct {
	gen   int64
	typed string
}

// demoRunMsg asks the lesson view to run the step's next command.
type demoRunMsg struct{ gen int64 }

// demoGoMsg asks the lesson view to open step.
type demoGoMsg struct {
	gen  int64
	step int
}

// sync tells the demo the lesson view's state.
func (d *demoState) sync(t text, gen int64, step, steps int, next string, running, replaying, done bool, runs int) {
	d.t, d.gen, d.step, d.steps, d.next = t, gen, step, steps, next
	d.running, d.replaying, d.done, d.runs = running, replaying, done, runs
}

func (d *demoState) say(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

func (d *demoState) Init() tea.Cmd { return d.tick(d.gen) }

// SetSize: the demo has no area of its own; it speaks through the status line.
func (d *demoState) SetSize(width, _ int) { d.width = width }

// ShortHelp and FullHelp: ← and → only where there is a step to go to.
func (d *demoState) ShortHelp() []key.Binding  { return d.keyMap().ShortHelp() }
func (d *demoState) FullHelp() [][]key.Binding { return d.keyMap().FullHelp() }

func (d *demoState) keyMap() DemoKeyMap {
	k := d.keys
	back := d.step > 0 && !d.running
	on := d.step < d.steps-1 && !d.running
	k.Back.SetEnabled(back)
	k.On.SetEnabled(on)
	k.Skip = oneOrBoth(k.Skip, back, on, "←", "→")
	return k
}

// View is the status line's word on the demo.
func (d *demoState) View() string {
	if d.paused {
		return d.t.DemoPaused
	}
	return "demo"
}

// Update handles the demo's keys and ticks.
func (d *demoState) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		k := d.keyMap()
		switch {
		case key.Matches(msg, k.Pause):
			d.paused = !d.paused
		case key.Matches(msg, k.Back), key.Matches(msg, k.On):
			step := d.step + 1
			if key.Matches(msg, k.Back) {
				step = d.step - 1
			}
			d.phase, d.typed, d.ticks = demoTyping, 0, 0
			return d, d.say(demoGoMsg{gen: d.gen, step: step})
		}
	case demoTickMsg:
		if msg.gen != d.gen {
			return d, nil
		}
		cmd := d.advance()
		if d.phase == demoEnd {
			return d, cmd
		}
		return d, tea.Batch(cmd, d.tick(d.gen))
	}
	return d, nil
}

// advance moves the demo one tick on.
func (d *demoState) advance() tea.Cmd {
	if d.paused || d.replaying || d.steps == 0 {
		return nil
	}
	d.ticks++
	switch d.phase {
	case demoTyping:
		if d.next == "" {
			d.phase, d.ticks = demoChecking, 0
			return nil
		}
		if d.ticks < demoTypeTicks {
			return nil
		}
		d.ticks = 0
		d.typed++
		if line := []rune(d.next); d.typed < len(line) {
			return d.say(demoTypedMsg{gen: d.gen, typed: string(line[:d.typed])})
		}
		d.phase, d.typed = demoRunning, 0
		d.wantRuns = d.runs + 1
		return d.say(demoRunMsg{gen: d.gen})
	case demoRunning:
		// Done once the command the demo asked for started and ended.
		if d.runs >= d.wantRuns && !d.running {
			d.phase, d.ticks = demoReading, 0
		}
	case demoReading:
		if d.ticks >= demoReadTicks {
			d.phase, d.ticks = demoTyping, 0
		}
	case demoChecking:
		if d.done || d.ticks >= demoCheckTicks {
			d.phase, d.ticks = demoFinished, 0
		}
	case demoFinished:
		if d.ticks >= demoStepTicks {
			if d.step == d.steps-1 {
				d.phase = demoEnd
				return nil
			}
			d.phase, d.ticks = demoTyping, 0
			return d.say(demoGoMsg{gen: d.gen, step: d.step + 1})
		}
	}
	return nil
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

// syncDemo tells the demo where the lesson stands.
func (v *lessonView) syncDemo() {
	d := v.demo
	if d == nil {
		return
	}
	next := ""
	if len(v.lesson.Steps) > 0 {
		if i := v.nextCmd(); i >= 0 {
			next = v.cur().Cmds[i].Line
		}
	}
	d.sync(v.t, v.gen, v.curStep(), len(v.lesson.Steps), next, v.running, v.replaying,
		len(v.lesson.Steps) > 0 && v.play.State(v.curStep()).Done, v.demoRuns)
	d.SetSize(v.width, 0)
}

// demoKeys is the demo's key map as it stands.
func (v *lessonView) demoKeys() DemoKeyMap {
	v.syncDemo()
	return v.demo.keyMap()
}

// demoKey routes a key to the demo before any pane's.
func (v *lessonView) demoKey(msg tea.KeyMsg) tea.Cmd {
	v.syncDemo()
	_, cmd := v.demo.Update(msg)
	return cmd
}

// demoMsg does what the demo asks (demoTypedMsg, demoRunMsg, demoGoMsg) and feeds it its
// ticks; handled is false for any other message.
func (v *lessonView) demoMsg(msg tea.Msg) (cmd tea.Cmd, handled bool) {
	switch msg := msg.(type) {
	case demoTickMsg:
		if msg.gen != v.gen || v.demo == nil {
			return nil, true
		}
		v.syncDemo()
		_, cmd := v.demo.Update(msg)
		return cmd, true
	case demoTypedMsg:
		if msg.gen == v.gen && v.demo != nil {
			v.outP.noteText("$ "+msg.typed+"▌", "", "", false)
			v.stepP.typing = msg.typed
		}
		return nil, true
	case demoRunMsg:
		if msg.gen != v.gen || v.demo == nil {
			return nil, true
		}
		v.stepP.typing = ""
		v.demoRuns++
		return v.runNext(), true
	case demoGoMsg:
		if msg.gen != v.gen || v.demo == nil || msg.step < 0 || msg.step >= len(v.lesson.Steps) {
			return nil, true
		}
		v.stepP.typing = ""
		return v.goStep(msg.step), true
	}
	return nil, false
}

// demoStatus is the status line's word on the demo.
func (v *lessonView) demoStatus() string {
	if v.demo == nil {
		return ""
	}
	v.syncDemo()
	return v.demo.View()
}
