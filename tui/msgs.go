package tui

import (
	"sync/atomic"
	"time"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// lastGen numbers every async owner (a lesson visit, a watch) so results of one that has gone
// away are recognised and dropped, as bubbles' spinner tags its ticks.
var lastGen atomic.Int64

func nextGen() int64 { return lastGen.Add(1) }

// startLessonMsg asks the root to open a lesson (sent by the menu).
type startLessonMsg struct{ index int }

// backToMenuMsg asks the root to close the lesson view.
type backToMenuMsg struct{}

// tickMsg drives periodic check evaluation while a lesson is open.
type tickMsg struct {
	gen  int64
	time time.Time
}

// checksMsg carries the results of one evaluation of a step's checks.
type checksMsg struct {
	gen     int64
	step    int
	inc     int // the cluster incarnation the checks ran on
	results []lessons.CheckResult
}

// cmdDoneMsg carries the combined output of one finished kubectl run.
type cmdDoneMsg struct {
	gen    int64
	step   int
	inc    int // the cluster incarnation the command ran on
	cmd    int // index into Step.Cmds
	out    int // the output pane's entry for it
	line   string
	output string
	err    error
}

// watchStartedMsg reports that a watch was opened (or failed to open).
type watchStartedMsg struct {
	gen int64
	ch  <-chan engine.TableEvent
	err error
}

// watchBatchMsg is every event that was ready on a watch channel, coalesced so a burst costs
// one redraw.
type watchBatchMsg struct {
	gen    int64
	events []engine.TableEvent
	ended  bool // the channel closed after these events
}

// Its source paces it (at most one batch per watchPace): the Redrawer draws it at once.
func (watchBatchMsg) selfPaced() {}

// kubeconfigMsg reports that the K key's kubeconfig was written (or why not).
type kubeconfigMsg struct {
	gen  int64
	path string
	err  error
}

// watchRetryMsg asks the watch pane to try opening its watch again.
type watchRetryMsg struct{ gen int64 }
