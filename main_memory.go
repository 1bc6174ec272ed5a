package main

import (
	"context"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// quietRelease is how long the player waits after the last command or cluster change before
// it hands the heap's free pages back to the operating system.
const quietRelease = 3 * time.Second

// memoryReleaser returns the heap's free pages to the operating system once the player has
// been quiet for a while: no command, and the cluster's revision has stopped moving.
//
// Why: a kubectl run in the player allocates about 6 MB that is garbage a moment later (its
// command tree, discovery, decoding), and start-up decodes every lesson. Go keeps freed heap
// pages until its background scavenger slowly returns them, so a learner reading a step
// holds twice the live heap or more. One forced collection when things go quiet (about
// 15 ms of CPU, once per burst) brings the resident heap back to what is live, at no cost
// while commands run (a lower GOGC would instead tax every run: +28 % CPU playing a lesson).
// While nothing happens it schedules nothing: a timer is armed only by activity.
type memoryReleaser struct {
	clock   afterFuncer
	quiet   time.Duration
	rev     func() (uint64, bool) // the cluster's revision; ok false where unknown
	release func()

	mu      sync.Mutex
	timer   clock.Timer // armed while a release is pending
	gen     uint64      // which arming the pending timer belongs to
	lastRev uint64
}

// afterFuncer is the part of a clock the releaser uses (clock.RealClock; tests fire by hand).
type afterFuncer interface {
	AfterFunc(d time.Duration, f func()) clock.Timer
}

func newMemoryReleaser(rev func() (uint64, bool)) *memoryReleaser {
	return &memoryReleaser{clock: clock.RealClock{}, quiet: quietRelease, rev: rev, release: debug.FreeOSMemory}
}

// Touch records activity (a command ran, the player started): a release follows once
// quiet has passed with the cluster's revision unchanged.
func (m *memoryReleaser) Touch() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.arm()
}

// arm (re)starts the wait; m.mu held.
func (m *memoryReleaser) arm() {
	if m.rev != nil {
		m.lastRev, _ = m.rev()
	}
	if m.timer != nil {
		m.timer.Stop()
	}
	m.gen++
	gen := m.gen
	m.timer = m.clock.AfterFunc(m.quiet, func() { m.fire(gen) })
}

// fire runs when the wait is over: while the cluster is still changing (a rollout after a
// command) it waits once more, otherwise it releases and stops.
func (m *memoryReleaser) fire(gen uint64) {
	m.mu.Lock()
	if gen != m.gen { // a later Touch re-armed: that timer decides
		m.mu.Unlock()
		return
	}
	if m.rev != nil {
		if rev, ok := m.rev(); ok && rev != m.lastRev {
			m.arm()
			m.mu.Unlock()
			return
		}
	}
	m.timer = nil
	m.mu.Unlock()
	m.release()
}

// releasingCluster is the player's cluster with a memoryReleaser touched after everything
// that allocates in bursts: commands and resets.
type releasingCluster struct {
	playerCluster
	mem *memoryReleaser
}

func (c releasingCluster) RunKubectl(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	defer c.mem.Touch()
	return c.playerCluster.RunKubectl(ctx, line, in, out, errOut)
}

func (c releasingCluster) RunKubectlAsLearner(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	defer c.mem.Touch()
	return c.playerCluster.RunKubectlAsLearner(ctx, line, in, out, errOut)
}

func (c releasingCluster) RunKubectlTerminal(ctx context.Context, line string, in io.Reader, out, errOut io.Writer) error {
	defer c.mem.Touch()
	return c.playerCluster.RunKubectlTerminal(ctx, line, in, out, errOut)
}

func (c releasingCluster) Reset(ctx context.Context) error {
	defer c.mem.Touch()
	return c.playerCluster.Reset(ctx)
}

// Stop cancels a pending release (the player is ending).
func (m *memoryReleaser) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	if m.timer != nil {
		m.timer.Stop()
		m.timer = nil
	}
}
