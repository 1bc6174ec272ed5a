// Package sim is the embedded simulated cluster: a store with apiserver semantics, the real
// Kubernetes HTTP API on 127.0.0.1, and controllers (statefulset, garbage collector, volume,
// endpoints, a scheduler and kubelets) driven by one control loop on an injected clock.
package sim

import (
	"container/heap"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/kubetutor/kubetutor/engine/sim/api"
	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/controller"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// Config configures a simulator.
type Config struct {
	Clock clock.WithTicker // nil: the real clock (or Fake when set)
	// Fake is the fake clock tests run on (then Clock is Fake).
	Fake *testingclock.FakeClock
	// AutoAdvance, with Fake: when no work is due, the loop jumps Fake to the next due timer,
	// so whole lessons play in milliseconds of real time and in a repeatable order.
	AutoAdvance bool
	// Speed divides every controller delay when it is scheduled; 1 is a real cluster's pace.
	Speed float64
	// Seed makes names, uids and everything derived from them repeatable; 0 picks one.
	Seed int64
	Addr string // listen address; default "127.0.0.1:0"
	Logf func(string, ...any)
	// Runner runs commands in containers: kubectl exec and attach, init containers and exec
	// probes; nil: the sandbox. The kubelet calls it on the control loop, so it must not call
	// back into Sim methods that act on the loop (ExitContainer, FailNode, ...) synchronously;
	// the HTTP API is fine.
	Runner container.Runner
	// Logs supplies container output for kubectl logs; nil: api.DefaultLogs.
	Logs api.LogSource
	// MaxReplicas caps spec.replicas of every workload; 0 means api.DefaultMaxReplicas (1000).
	MaxReplicas int
	// MaxObjects caps the objects of the whole cluster; 0 means DefaultMaxObjects (20000).
	MaxObjects int
	// MaxBytes caps the objects' data (store.Limits.MaxBytes); 0: no cap.
	MaxBytes int64
	// MaxRun caps how long one command may run in a container (sandbox.SetMaxRun); 0: no cap.
	MaxRun time.Duration
}

// DefaultMaxObjects is the object cap of a simulator whose Config leaves MaxObjects at 0.
const DefaultMaxObjects = 20000

// Sim is one simulated cluster.
type Sim struct {
	cfg    Config
	clock  clock.WithTicker
	fake   *testingclock.FakeClock
	st     *store.Store
	ctrls  *controller.Set
	byName map[string]controller.Controller
	logf   func(string, ...any)

	mu sync.Mutex
	// queue[qhead:] are the queued keys; the array is reused once drained (it empties after
	// every busy instant), where popping by reslicing gave up its front and reallocated.
	queue    []controller.Key
	qhead    int
	queued   map[controller.Key]bool
	failures map[controller.Key]int // consecutive Sync errors, for backoff
	timers   timerHeap
	bgTimers int    // timers marked background (periodic probes): they do not block idleness
	fired    uint64 // timers run so far: the loop's wakeups, for the idleness tests
	seq      uint64
	paused   bool
	speed    float64
	busy     bool
	running  bool // a loop goroutine is processing
	wake     chan struct{}
	idle     []chan struct{}

	runMu sync.Mutex // one action at a time, whoever drives

	startOnce sync.Once
	token     string
	url       string
	srv       *http.Server
	caPEM     []byte
	cancel    context.CancelFunc
	done      chan struct{}
}

// backgroundTick is the real time an AutoAdvance loop waits before jumping to a background
// timer when nothing else is pending.
const backgroundTick = 20 * time.Millisecond

// maxSettle bounds one Settle so a controller bug shows up as a log line, not a hang.
const maxSettle = 200000

// New builds the store, controllers and nodes. Nothing runs until Start (or, in tests on a
// fake clock without AutoAdvance, until Settle/Advance/RunUntil).
func New(cfg Config) (*Sim, error) {
	if cfg.Speed < 0 {
		return nil, fmt.Errorf("sim: speed must be positive, got %v", cfg.Speed)
	}
	if cfg.Speed == 0 {
		cfg.Speed = 1
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Fake != nil {
		cfg.Clock = cfg.Fake
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.AutoAdvance && cfg.Fake == nil {
		return nil, errors.New("sim: AutoAdvance needs a Fake clock")
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	s := &Sim{
		cfg: cfg, clock: cfg.Clock, fake: cfg.Fake, logf: logf,
		queued: map[controller.Key]bool{}, failures: map[controller.Key]int{}, speed: cfg.Speed,
		wake: make(chan struct{}, 1), done: make(chan struct{}),
		byName: map[string]controller.Controller{},
	}
	if cfg.MaxReplicas < 0 || cfg.MaxObjects < 0 {
		return nil, fmt.Errorf("sim: the replica and object caps must be positive, got %d and %d", cfg.MaxReplicas, cfg.MaxObjects)
	}
	if cfg.MaxReplicas == 0 {
		cfg.MaxReplicas = api.DefaultMaxReplicas
	}
	if cfg.MaxObjects == 0 {
		cfg.MaxObjects = DefaultMaxObjects
	}
	// A rolling update surges past spec.replicas and old pods linger while terminating, so one
	// namespace may hold twice the replica cap of one kind (never less than the store's 1000).
	perNS := max(1000, 2*cfg.MaxReplicas)
	s.cfg = cfg
	s.st = store.New(store.Options{Clock: cfg.Clock, Hooks: api.HooksWith(api.HookOptions{MaxReplicas: cfg.MaxReplicas}), Seed: cfg.Seed,
		Limits: store.Limits{MaxObjects: cfg.MaxObjects, MaxPerNamespace: perNS, MaxBytes: cfg.MaxBytes}})
	if s.cfg.Runner == nil {
		// The sandbox gives exec, init containers and probes a small shell and per-pod files.
		sb := sandbox.New(s.st, cfg.Clock)
		sb.SetSeed(cfg.Seed)
		sb.SetMaxRun(cfg.MaxRun)
		s.cfg.Runner = sb
	}
	s.ctrls = controller.NewSet(controller.Env{Store: s.st, Queue: loopQueue{s}, Logf: logf, Runner: s.cfg.Runner})
	all := s.ctrls.All()
	for _, c := range all {
		s.byName[c.Name()] = c
	}
	s.st.Subscribe(func(ev store.Event) {
		for _, c := range all {
			c.Observe(ev)
		}
	})
	// A new watch of pods may look at a pod whose probes are parked (controller/probes.go).
	kl := s.ctrls.Kubelet
	s.st.OnWatch(func(r store.Resource) {
		if r.Name == "pods" {
			kl.WakeProbes()
		}
	})
	if err := s.ctrls.Kubelet.Bootstrap(); err != nil {
		return nil, err
	}
	if err := s.ctrls.Volume.BootstrapStorage(); err != nil {
		return nil, err
	}
	return s, nil
}

// Now is the simulator's current time: its clock, which stamps creationTimestamps.
func (s *Sim) Now() time.Time { return s.clock.Now() }

// Store is the simulator's object store (for tests and in-process tools).
func (s *Sim) Store() *store.Store { return s.st }

// Start serves the API on cfg.Addr with a fresh bearer token and starts the control loop
// (except in manual test mode: Fake without AutoAdvance). It returns once serving; everything
// stops when ctx ends or Close is called.
func (s *Sim) Start(ctx context.Context) error {
	err := errors.New("sim: already started")
	s.startOnce.Do(func() { err = s.start(ctx) })
	return err
}

func (s *Sim) start(ctx context.Context) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("sim: token: %w", err)
	}
	s.token = hex.EncodeToString(b[:])
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("sim: listen on %s: %w", s.cfg.Addr, err)
	}
	cert, caPEM, err := selfSignedCert(time.Now())
	if err != nil {
		_ = ln.Close()
		return err
	}
	s.caPEM = caPEM
	s.ctrls.ServiceAccounts.SetRootCA(caPEM)
	s.url = "https://" + ln.Addr().String()
	ctx, s.cancel = context.WithCancel(ctx)
	h := api.New(s.st, api.Options{Token: s.token, Clock: s.clock, Logf: s.logf, Runner: execRunner{s.cfg.Runner, s.ctrls.Kubelet}, Logs: s.cfg.Logs, Context: ctx})
	s.srv = &http.Server{Handler: h,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		// The TLS handshake errors of a client that distrusts us go to the log, not stderr.
		ErrorLog: log.New(logWriter(s.logf), "", 0)}
	ln = api.DefaultConnLimits.Apply(s.srv, ln) // idle timeouts and a connection cap
	go func() {
		if err := s.srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("sim: serve: %v", err)
		}
	}()
	manual := s.fake != nil && !s.cfg.AutoAdvance
	if manual {
		close(s.done)
	} else {
		s.mu.Lock()
		s.running = true
		s.mu.Unlock()
		go s.run(ctx)
	}
	go func() {
		<-ctx.Done()
		_ = s.srv.Close()
	}()
	return nil
}

// URL is the API server's address ("https://127.0.0.1:port"); empty before Start.
func (s *Sim) URL() string { return s.url }

// CAData is the PEM certificate that signs the simulator's serving certificate.
func (s *Sim) CAData() []byte { return append([]byte(nil), s.caPEM...) }

// logWriter adapts Logf to an io.Writer for net/http's error log.
type logWriter func(string, ...any)

func (w logWriter) Write(p []byte) (int, error) {
	w("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Token is the bearer token every request must carry.
func (s *Sim) Token() string { return s.token }

// RESTConfig points client-go at the simulator. It asks for JSON: the simulator's API speaks
// JSON and YAML only, while client-go's typed clientset would otherwise send protobuf.
func (s *Sim) RESTConfig() *rest.Config {
	return &rest.Config{Host: s.url, BearerToken: s.token, QPS: 1000, Burst: 2000,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), s.caPEM...)},
		ContentConfig:   rest.ContentConfig{ContentType: "application/json", AcceptContentTypes: "application/json"}}
}

// Close stops the server and the control loop and waits for the loop to end.
func (s *Sim) Close() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	<-s.done
}

// --- time controls -------------------------------------------------------------------------

// Pause stops processing; API writes still land and queue up.
func (s *Sim) Pause() {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
}

// Resume continues processing.
func (s *Sim) Resume() {
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	s.poke()
}

// Paused reports whether processing is paused.
func (s *Sim) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// SetSpeed sets the pace for delays scheduled from now on; values ≤ 0 are ignored.
func (s *Sim) SetSpeed(v float64) {
	if v <= 0 {
		return
	}
	s.mu.Lock()
	s.speed = v
	s.mu.Unlock()
}

// Speed is the current pace.
func (s *Sim) Speed() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.speed
}

// StepOnce runs one pending action even when paused: the next queued key, else the earliest
// timer (moving a fake clock to its due time). It reports whether anything ran.
func (s *Sim) StepOnce() bool {
	fn, ok := s.take(true, true)
	if !ok {
		return false
	}
	s.exec(fn)
	return true
}

// --- deterministic driving (tests) ---------------------------------------------------------

// Settle runs every action due now, and what they trigger, until quiet.
func (s *Sim) Settle() {
	for i := 0; i < maxSettle; i++ {
		fn, ok := s.take(false, true)
		if !ok {
			return
		}
		s.exec(fn)
	}
	s.logf("sim: Settle stopped after %d actions; a controller keeps requeueing", maxSettle)
}

// Advance moves the fake clock forward by d, running every due action in time order.
func (s *Sim) Advance(d time.Duration) {
	if s.fake == nil {
		s.logf("sim: Advance needs a fake clock")
		s.Settle()
		return
	}
	target := s.fake.Now().Add(d)
	for {
		s.Settle()
		at, ok := s.nextTimer()
		if !ok || at.After(target) {
			break
		}
		if at.After(s.fake.Now()) {
			s.fake.SetTime(at)
		}
	}
	if target.After(s.fake.Now()) {
		s.fake.SetTime(target)
	}
	s.Settle()
}

// RunUntil advances the fake clock timer by timer until cond holds or limit of simulated
// time has passed; it reports cond.
func (s *Sim) RunUntil(cond func() bool, limit time.Duration) bool {
	if s.fake == nil {
		s.Settle()
		return cond()
	}
	deadline := s.fake.Now().Add(limit)
	s.Settle()
	for !cond() {
		at, ok := s.nextTimer()
		if !ok || at.After(deadline) {
			return cond()
		}
		if at.After(s.fake.Now()) {
			s.fake.SetTime(at)
		}
		s.Settle()
	}
	return true
}

// WaitIdle blocks until no work and no timers are pending, or ctx ends. With a running loop
// (AutoAdvance or real clock) it waits for the loop; in manual fake-clock mode it drives the
// fake clock itself.
func (s *Sim) WaitIdle(ctx context.Context) error {
	s.mu.Lock()
	running := s.running
	s.mu.Unlock()
	if !running {
		if s.fake == nil {
			return errors.New("sim: WaitIdle needs Start or a fake clock")
		}
		for ctx.Err() == nil {
			s.Settle()
			s.mu.Lock()
			fg := len(s.timers) - s.bgTimers
			s.mu.Unlock()
			if fg == 0 {
				return nil
			}
			at, ok := s.nextTimer()
			if !ok {
				return nil
			}
			if at.After(s.fake.Now()) {
				s.fake.SetTime(at)
			}
		}
		return ctx.Err()
	}
	s.mu.Lock()
	if s.isIdleLocked() {
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	s.idle = append(s.idle, ch)
	s.mu.Unlock()
	s.poke()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Sim) isIdleLocked() bool {
	return len(s.queue) == s.qhead && len(s.timers) == s.bgTimers && !s.busy
}

// execRunner is the Runner the API's exec and attach use: while a learner's command runs, the
// kubelet keeps every probe on its timer, since the command may change what a probe sees.
type execRunner struct {
	container.Runner
	k *controller.Kubelet
}

func (r execRunner) Run(ctx context.Context, pod *corev1.Pod, name string, argv []string, st container.Streams) (int, error) {
	r.k.ExecStarted()
	defer r.k.ExecDone()
	return r.Runner.Run(ctx, pod, name, argv, st)
}

// --- the loop ------------------------------------------------------------------------------

type timer struct {
	at  time.Time
	seq uint64
	fn  func()
	bg  bool
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// loopQueue is the controller.Queue the simulator hands its controllers.
type loopQueue struct{ s *Sim }

func (q loopQueue) Add(k controller.Key) {
	s := q.s
	s.mu.Lock()
	if !s.queued[k] {
		s.queued[k] = true
		s.queue = append(s.queue, k)
	}
	s.mu.Unlock()
	s.poke()
}

func (q loopQueue) AddAfter(d time.Duration, k controller.Key) {
	q.After(d, func() { q.Add(k) })
}

func (q loopQueue) After(d time.Duration, fn func()) { q.after(d, fn, false) }

// AfterBackground is After for periodic work (probes) that must not keep WaitIdle waiting.
func (q loopQueue) AfterBackground(d time.Duration, fn func()) { q.after(d, fn, true) }

func (q loopQueue) after(d time.Duration, fn func(), bg bool) {
	s := q.s
	s.mu.Lock()
	if s.speed > 0 {
		d = time.Duration(float64(d) / s.speed)
	}
	s.seq++
	heap.Push(&s.timers, timer{at: s.clock.Now().Add(d), seq: s.seq, fn: fn, bg: bg})
	if bg {
		s.bgTimers++
	}
	s.mu.Unlock()
	s.poke()
}

func (s *Sim) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Sim) nextTimer() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.timers) == 0 {
		return time.Time{}, false
	}
	return s.timers[0].at, true
}

// take pops the next action: queued work first, then the earliest due timer. force takes the
// earliest timer even if it is not due yet (moving a fake clock to it); ignorePause is for
// explicit driving (tests, StepOnce).
func (s *Sim) take(force, ignorePause bool) (func(), bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.paused && !ignorePause {
		return nil, false
	}
	now := s.clock.Now()
	if len(s.queue) > s.qhead && !s.manyDueLocked(now) {
		k := s.popLocked()
		s.busy = true
		return func() { s.sync(k) }, true
	}
	if len(s.timers) == 0 {
		return nil, false
	}
	if s.timers[0].at.After(now) {
		if !force {
			return nil, false
		}
		if s.fake != nil {
			s.fake.SetTime(s.timers[0].at)
		}
	}
	t := heap.Pop(&s.timers).(timer)
	s.fired++
	if t.bg {
		s.bgTimers--
	}
	s.busy = true
	return t.fn, true
}

// popLocked takes the first queued key (there is one). Lock held.
func (s *Sim) popLocked() controller.Key {
	k := s.queue[s.qhead]
	s.queue[s.qhead] = controller.Key{}
	s.qhead++
	if s.qhead == len(s.queue) {
		s.queue, s.qhead = s.queue[:0], 0
	} else if s.qhead >= 64 && 2*s.qhead >= len(s.queue) {
		// Never drained for a while: move the live keys to the front.
		n := copy(s.queue, s.queue[s.qhead:])
		clear(s.queue[n:])
		s.queue, s.qhead = s.queue[:n], 0
	}
	delete(s.queued, k)
	return k
}

// batchAt is how many timers must fall due at one instant before they all run ahead of the
// queued controller keys. A work queue coalesces the events of a busy moment into one sync per
// key; without this, a thousand pods moving at the same simulated instant would sync their
// StatefulSet a thousand times, each over all its pods. Below it (every lesson) the order is
// strictly one timer, then what it queued.
const batchAt = 32

// manyDueLocked: at least batchAt timers are due at now. Due timers form a subtree at the top
// of the heap, so counting stops after batchAt of them. Lock held.
func (s *Sim) manyDueLocked(now time.Time) bool {
	n := 0
	var walk func(i int)
	walk = func(i int) {
		if i >= len(s.timers) || n >= batchAt || s.timers[i].at.After(now) {
			return
		}
		n++
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
	return n >= batchAt
}

// exec runs one action; a panicking controller is logged, not fatal to the learner's session.
func (s *Sim) exec(fn func()) {
	s.runMu.Lock()
	defer func() {
		if r := recover(); r != nil {
			s.logf("sim: controller panic: %v\n%s", r, debug.Stack())
		}
		s.runMu.Unlock()
		s.mu.Lock()
		s.busy = false
		s.mu.Unlock()
	}()
	fn()
}

func (s *Sim) sync(k controller.Key) {
	c := s.byName[k.Controller]
	if c == nil {
		return
	}
	err := c.Sync(k)
	s.mu.Lock()
	n := s.failures[k]
	if err == nil {
		delete(s.failures, k)
	} else {
		s.failures[k] = n + 1
	}
	s.mu.Unlock()
	if err != nil {
		// Exponential backoff per key, as a rate-limited work queue does: 1s, 2s, 4s … 1m.
		d := time.Second << min(n, 6)
		if d > time.Minute {
			d = time.Minute
		}
		s.logf("sim: %s %s/%s: %v (retry in %v)", k.Controller, k.Namespace, k.Name, err, d)
		loopQueue{s}.AddAfter(d, k)
	}
}

func (s *Sim) run(ctx context.Context) {
	defer close(s.done)
	defer func() {
		s.mu.Lock()
		s.running = false
		for _, ch := range s.idle {
			close(ch)
		}
		s.idle = nil
		s.mu.Unlock()
	}()
	for ctx.Err() == nil {
		if fn, ok := s.take(false, false); ok {
			s.exec(fn)
			continue
		}
		s.mu.Lock()
		var wait <-chan time.Time
		var tm clock.Timer
		var bgWait *time.Timer
		// With AutoAdvance, time jumps at once only while real work is pending; background timers
		// alone (periodic probes) advance it at a throttled real pace, so probes still run without
		// spinning the fake clock (and a CPU) flat out.
		if !s.paused && s.cfg.AutoAdvance && len(s.timers) > 0 && len(s.timers) == s.bgTimers {
			bgWait = time.NewTimer(backgroundTick)
		}
		if !s.paused && len(s.timers) > 0 && (!s.cfg.AutoAdvance || len(s.timers) > s.bgTimers) {
			at := s.timers[0].at
			if s.cfg.AutoAdvance {
				s.mu.Unlock()
				if at.After(s.fake.Now()) {
					s.fake.SetTime(at)
				}
				continue
			}
			tm = s.clock.NewTimer(at.Sub(s.clock.Now()))
			wait = tm.C()
		}
		if s.isIdleLocked() {
			for _, ch := range s.idle {
				close(ch)
			}
			s.idle = nil
		}
		s.mu.Unlock()
		var bgC <-chan time.Time
		if bgWait != nil {
			bgC = bgWait.C
		}
		select {
		case <-s.wake:
		case <-wait:
		case <-bgC:
			s.mu.Lock()
			if len(s.timers) > 0 && s.timers[0].at.After(s.fake.Now()) {
				s.fake.SetTime(s.timers[0].at)
			}
			s.mu.Unlock()
		case <-ctx.Done():
		}
		if tm != nil {
			tm.Stop()
		}
		if bgWait != nil {
			bgWait.Stop()
		}
	}
}
