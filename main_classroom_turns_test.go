package main

import (
	"context"
	"errors"
	"io"
	"log"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
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

// TestSeatsStartInTurns: a student's seat (their simulator, its discovery read) starts in a
// turn of the class's queue, so a class logging in at once leaves a core to the keys of the
// students already in: with the only turn taken, a seat waits; given the turn, it starts.
func TestSeatsStartInTurns(t *testing.T) {
	lib, err := lessons.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, 1)
	turns := &runTurns{slots: make(chan struct{}, 1), hold: time.Hour, queued: func() { waiting <- struct{}{} }}
	seats := simSeatsOn(turns, lib.Catalog, func(logf func(string, ...any)) engine.SimOptions { return engine.SimOptions{Speed: 10, Logf: logf} }, log.New(io.Discard, "", 0))

	held, release := make(chan struct{}), make(chan struct{})
	go func() { _ = turns.run(context.Background(), func() error { close(held); <-release; return nil }) }()
	<-held
	type result struct {
		seat classroom.Seat
		err  error
	}
	done := make(chan result, 1)
	go func() {
		s, err := seats(context.Background(), classroom.SeatSpec{Name: "ada"})
		done <- result{s, err}
	}()
	select {
	case <-waiting: // the seat queued behind the run holding the turn
	case r := <-done:
		if r.seat != nil {
			r.seat.Close()
		}
		t.Fatalf("the seat started (err %v) while another run held the class's only turn", r.err)
	}
	close(release)
	r := <-done
	if r.err != nil {
		t.Fatalf("the seat did not start once it had its turn: %v", r.err)
	}
	r.seat.Close()
}
