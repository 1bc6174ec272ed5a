package main

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// TestRunTurnsQueueKubectlRuns: no more runs go at once than the class has turns; a run that
// keeps going (a watch) gives its turn up after hold; a queued run that is stopped returns at
// once with its context's error.
func TestRunTurnsQueueKubectlRuns(t *testing.T) {
	turns := &runTurns{slots: make(chan struct{}, 2), hold: time.Hour}
	ctx := context.Background()
	var running, most atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 5)
	done := make(chan error, 5)
	for i := 0; i < 5; i++ {
		go func() {
			done <- turns.run(ctx, func() error {
				n := running.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				started <- struct{}{}
				<-release
				running.Add(-1)
				return nil
			})
		}()
	}
	<-started
	<-started
	// Two run; a third cannot start until one ends.
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	if err := turns.run(stopped, func() error { t.Error("a stopped run started"); return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("a stopped run waiting for its turn: %v, want context.Canceled", err)
	}
	close(release)
	for i := 0; i < 5; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := most.Load(); got != 2 {
		t.Fatalf("%d runs at once, want 2", got)
	}

	// A run that outlasts hold gives its turn to the next one while it goes on.
	long := &runTurns{slots: make(chan struct{}, 1), hold: time.Millisecond}
	watch := make(chan struct{})
	watching := make(chan struct{})
	go func() {
		_ = long.run(ctx, func() error { close(watching); <-watch; return nil })
	}()
	<-watching
	if err := long.run(ctx, func() error { return nil }); err != nil {
		t.Fatal(err)
	}
	close(watch)
}
