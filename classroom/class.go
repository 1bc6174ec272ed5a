// Package classroom serves the player over SSH to a workshop: each student gets their own
// simulator and player, instructors get a live view of the class.
//
// The package knows nothing of how a player or a cluster is built: main hands it a
// SeatFactory. What it owns is who gets in, which seat a connection sits at, how long a seat
// outlives its connections, and what the instructor sees and may do.
package classroom

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"k8s.io/utils/clock"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// Seat is one student's cluster and the way to build their player. It outlives a
// connection: a student who reconnects sits down at the same seat.
type Seat interface {
	// Player builds the player for one SSH connection.
	Player(ctx context.Context, t Terminal) tea.Model
	// StepHolds evaluates a step's checks on the student's cluster.
	StepHolds(ctx context.Context, lessonID, stepID string) (bool, error)
	// Close stops the student's cluster.
	Close()
}

// Terminal is what a player needs to know of the connection it draws on.
type Terminal struct {
	// Renderer is this connection's own: its colour profile is the student's terminal's.
	Renderer *lipgloss.Renderer
	// MarkdownStyle is "dark" or "notty" (no colour).
	MarkdownStyle string
	Lang          string
	// StepGate, when lockstep holds, refuses steps past the one the instructor released.
	StepGate func(lessonID string, stepIndex int) (ok bool, why string)
}

// SeatSpec is what a SeatFactory gets for a new seat.
type SeatSpec struct {
	Name     string
	Progress *progress.Store
	// Scratch is the student's own folder for files kubectl may read and write.
	Scratch string
}

// SeatFactory builds a student's seat.
type SeatFactory func(ctx context.Context, spec SeatSpec) (Seat, error)

// Options configures a classroom.
type Options struct {
	StudentsFile    string // authorized_keys of the students
	InstructorsFile string // authorized_keys of the instructors
	PasswordFile    string // optional: the class password, for students without a key
	// StateDir keeps progress and statistics per student; "" keeps them in memory.
	StateDir    string
	MaxStudents int
	// IdleTimeout closes a connection that sent nothing for that long (0: 30 min).
	IdleTimeout time.Duration
	// ReconnectWindow is how long a seat waits for its student after the last connection
	// closed (0: 30 min). Progress is kept on disk beyond it; the cluster is not.
	ReconnectWindow time.Duration

	// Store, when set, keeps each student's progress and statistics instead of StateDir
	// (--real: a ConfigMap in the student's namespace, so several front ends share them).
	Store StudentStore

	Seats   SeatFactory
	Lessons func(lang string) []lessons.Lesson
	Logf    func(format string, args ...any)
	Clock   Clock
}

// Clock is the time the class runs on; tests pass a fake one.
type Clock interface {
	clock.WithTicker
	AfterFunc(d time.Duration, f func()) clock.Timer
}

// Class is a running classroom.
type Class struct {
	o        Options
	clock    Clock
	students keySet
	teachers keySet
	password string
	names    *nameBook

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	seats    map[string]*student
	lock     lockstep
	watchers map[*tea.Program]struct{} // instructor views to refresh
	closed   bool
	// elsewhere are the students of the StudentStore without a seat here (served by another
	// front end, or gone), read from the store every few seconds (real.go).
	elsewhere []StudentStatus
}

type lockstep struct {
	On       bool
	Released map[string]int // lesson id → the last step index students may open
}

// New checks the options and loads the key files; Serve starts taking connections.
func New(o Options) (*Class, error) {
	if o.Seats == nil || o.Lessons == nil {
		return nil, errors.New("classroom: Seats and Lessons are required")
	}
	if o.StudentsFile == "" && o.PasswordFile == "" {
		return nil, errors.New("--students (an authorized_keys file) or --password-file is required: nobody could log in as a student")
	}
	if o.InstructorsFile == "" {
		return nil, errors.New("--instructors (an authorized_keys file) is required")
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.ReconnectWindow <= 0 {
		o.ReconnectWindow = 30 * time.Minute
	}
	if o.MaxStudents <= 0 {
		o.MaxStudents = 60
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	c := &Class{o: o, clock: o.Clock, seats: map[string]*student{}, watchers: map[*tea.Program]struct{}{},
		lock: lockstep{Released: map[string]int{}}}
	if c.clock == nil {
		c.clock = clock.RealClock{}
	}
	var err error
	if c.students, err = loadKeys(o.StudentsFile); err != nil {
		return nil, fmt.Errorf("--students: %w", err)
	}
	if c.teachers, err = loadKeys(o.InstructorsFile); err != nil {
		return nil, fmt.Errorf("--instructors: %w", err)
	}
	if len(c.teachers) == 0 {
		return nil, fmt.Errorf("--instructors: %s holds no key", o.InstructorsFile)
	}
	if c.password, err = loadPassword(o.PasswordFile); err != nil {
		return nil, fmt.Errorf("--password-file: %w", err)
	}
	if o.StateDir != "" {
		if err := os.MkdirAll(filepath.Join(o.StateDir, "students"), 0o700); err != nil {
			return nil, err
		}
	}
	if c.names, err = openNameBook(o.StateDir); err != nil {
		return nil, err
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// student is one seat and what the class knows of it.
type student struct {
	name    string
	prog    *progress.Store
	stats   *stats
	seat    Seat
	scratch string

	// Guarded by Class.mu.
	programs  map[*tea.Program]*studentModel
	pending   int // connections seated but whose program is not registered yet
	lang      string
	lastSeen  time.Time
	lesson    string
	step      string
	stepSince time.Time
	holds     string // "yes", "no", "" (not known yet)
	notice    string
	pushed    int // hints pushed by an instructor
	view      string
	farewell  clock.Timer
}

// join seats a student, or sits them down again at their seat.
func (c *Class) join(name, cred string) (*student, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errors.New("the classroom is closing")
	}
	if st, ok := c.seats[name]; ok {
		if st.farewell != nil {
			st.farewell.Stop()
			st.farewell = nil
		}
		st.pending++
		c.mu.Unlock()
		return st, nil
	}
	if len(c.seats) >= c.o.MaxStudents {
		c.mu.Unlock()
		return nil, fmt.Errorf("the class is full (%d students); ask your instructor", c.o.MaxStudents)
	}
	// Hold the place while the seat is built, outside the lock.
	st := &student{name: name, programs: map[*tea.Program]*studentModel{}, pending: 1}
	c.seats[name] = st
	c.mu.Unlock()

	err := c.buildSeat(st, cred)
	if err != nil {
		c.mu.Lock()
		delete(c.seats, name)
		c.mu.Unlock()
		return nil, err
	}
	return st, nil
}

func (c *Class) buildSeat(st *student, cred string) error {
	var err error
	dir := ""
	if c.o.Store != nil {
		if err := c.openStored(st, cred); err != nil {
			return err
		}
	} else if c.o.StateDir != "" {
		dir = filepath.Join(c.o.StateDir, "students", st.name)
		if err := os.MkdirAll(filepath.Join(dir, "scratch"), 0o700); err != nil {
			return err
		}
		st.scratch = filepath.Join(dir, "scratch")
	} else {
		if st.scratch, err = os.MkdirTemp("", "kubetutor-class-"+st.name+"-"); err != nil {
			return err
		}
	}
	switch {
	case c.o.Store != nil:
	case dir != "":
		var warn string
		st.prog, warn, err = progress.Open(filepath.Join(dir, "progress.json"))
		if err != nil {
			return err
		}
		if warn != "" {
			c.o.Logf("classroom: %s: %s", st.name, warn)
		}
		st.stats = openStats(dir)
	default:
		st.prog = progress.Memory()
		st.stats = openStats(dir)
	}
	st.lang = st.stats.Lang
	seat, err := c.o.Seats(c.ctx, SeatSpec{Name: st.name, Progress: st.prog, Scratch: st.scratch})
	if err != nil {
		return fmt.Errorf("starting your cluster: %w", err)
	}
	c.mu.Lock()
	st.seat = seat
	c.mu.Unlock()
	return nil
}

// leave is called when one of a student's connections ends. The last one starts the
// reconnect window, after which the seat's cluster stops.
func (c *Class) leave(st *student, p *tea.Program) {
	c.mu.Lock()
	delete(st.programs, p)
	st.lastSeen = c.clock.Now()
	st.stats.touch(st.lastSeen)
	if len(st.programs) > 0 || st.pending > 0 || c.closed {
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	// Save before the reconnect window starts, so a dismissal (which saves too) never
	// writes at the same time as this save.
	st.save(c.o.Logf)
	c.mu.Lock()
	if len(st.programs) == 0 && st.pending == 0 && !c.closed && st.farewell == nil {
		// On its own goroutine: a clock may run the function while holding its own lock (the
		// tests' fake clock does), and dismiss takes c.mu, which others hold while reading
		// the clock.
		st.farewell = c.clock.AfterFunc(c.o.ReconnectWindow, func() { go c.dismiss(st) })
	}
	c.mu.Unlock()
}

// waiting reports whether a seat's reconnect window has started.
func (c *Class) waiting(name string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.seats[name]
	return ok && st.farewell != nil
}

// save writes what a seat knows to the state directory (a no-op in memory).
func (st *student) save(logf func(string, ...any)) {
	st.stats.save()
	if st.prog != nil && st.prog.Path() != "" {
		if err := st.prog.Save(); err != nil {
			logf("classroom: saving %s's progress: %v", st.name, err)
		}
	}
}

// dismiss stops a seat whose student did not come back in time.
func (c *Class) dismiss(st *student) {
	c.mu.Lock()
	if cur, ok := c.seats[st.name]; !ok || cur != st || len(st.programs) > 0 || st.pending > 0 {
		c.mu.Unlock()
		return
	}
	delete(c.seats, st.name)
	seat := st.seat
	c.mu.Unlock()
	st.save(c.o.Logf)
	if seat != nil {
		seat.Close()
	}
	if c.o.StateDir == "" && st.scratch != "" {
		os.RemoveAll(st.scratch)
	}
	c.o.Logf("classroom: %s's seat closed after the reconnect window", st.name)
}

// Close ends every connection's program and stops every seat.
func (c *Class) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	var progs []*tea.Program
	var seats []*student
	for _, st := range c.seats {
		for p := range st.programs {
			progs = append(progs, p)
		}
		if st.farewell != nil {
			st.farewell.Stop()
		}
		seats = append(seats, st)
	}
	for p := range c.watchers {
		progs = append(progs, p)
	}
	c.seats = map[string]*student{}
	c.mu.Unlock()
	c.cancel()
	for _, p := range progs {
		p.Kill()
	}
	c.wg.Wait()
	for _, st := range seats {
		st.save(c.o.Logf)
		if st.seat != nil {
			st.seat.Close()
		}
		if c.o.StateDir == "" && st.scratch != "" {
			os.RemoveAll(st.scratch)
		}
	}
}

// Seats is the number of seats with a live cluster (connected or in their reconnect window).
func (c *Class) Seats() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seats)
}

// StudentStatus is one row of the instructor's view.
type StudentStatus struct {
	Name        string
	Connected   bool
	Lesson      string // lesson id
	LessonTitle string
	Step        string // step id
	StepIndex   int    // 0-based; -1 on the menu
	Steps       int
	StepTitle   string
	OnStep      time.Duration
	Hints       int // hints revealed on the current step
	Solutions   int // steps of the lesson whose solution was shown or run
	Done        int
	Holds       string // "yes", "no" or ""
	Pushed      int
	Idle        time.Duration
}

// Stuck ranks students for the instructor: long on one step, many hints.
func (s StudentStatus) Stuck() float64 {
	if !s.Connected || s.StepIndex < 0 {
		return -1
	}
	score := s.OnStep.Minutes() + 3*float64(s.Hints)
	if s.Holds == "no" {
		score += 1
	}
	return score
}

// IsStuck is the threshold the view marks.
func (s StudentStatus) IsStuck() bool { return s.Stuck() >= 8 }

// Status is the class as the instructor sees it, stuck students first.
func (c *Class) Status() []StudentStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	out := make([]StudentStatus, 0, len(c.seats))
	for _, st := range c.seats {
		out = append(out, c.statusLocked(st, now))
	}
	for _, s := range c.elsewhere {
		if _, here := c.seats[s.Name]; !here {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].Stuck(), out[j].Stuck(); a != b {
			return a > b
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func (c *Class) statusLocked(st *student, now time.Time) StudentStatus {
	s := StudentStatus{Name: st.name, Connected: len(st.programs) > 0, Lesson: st.lesson, Step: st.step,
		StepIndex: -1, Holds: st.holds, Pushed: st.pushed}
	if !s.Connected {
		s.Idle = now.Sub(st.lastSeen)
	}
	if st.lesson == "" || st.prog == nil {
		return s
	}
	l, ok := c.lessonByID(st.lesson, st.lang)
	if !ok {
		return s
	}
	s.LessonTitle = l.Title
	s.Steps = len(l.Steps)
	rec := st.prog.Lesson(st.lesson)
	for i, step := range l.Steps {
		if step.ID == st.step {
			s.StepIndex = i
			s.StepTitle = step.Title
		}
		if r := rec.Steps[step.ID]; r != nil {
			if r.Done {
				s.Done++
			}
			if r.Solution || r.Solved {
				s.Solutions++
			}
			if step.ID == st.step {
				s.Hints = r.Hints
			}
		}
	}
	if !st.stepSince.IsZero() {
		s.OnStep = now.Sub(st.stepSince)
	}
	return s
}

func (c *Class) lessonByID(id, lang string) (lessons.Lesson, bool) {
	if lang == "" {
		lang = "en"
	}
	for _, l := range c.o.Lessons(lang) {
		if l.ID == id {
			return l, true
		}
	}
	return lessons.Lesson{}, false
}

// observe reads each seat's progress: which lesson and step the student is on, since when,
// and adds the elapsed time to their lesson's total. It runs once a second.
func (c *Class) observe(elapsed time.Duration) {
	c.mu.Lock()
	now := c.clock.Now()
	for _, st := range c.seats {
		if st.prog == nil {
			continue
		}
		lesson, step := currentPlace(st.prog)
		if lesson != st.lesson || step != st.step {
			st.lesson, st.step, st.stepSince, st.holds = lesson, step, now, ""
		}
		if len(st.programs) > 0 && lesson != "" {
			st.stats.add(lesson, elapsed)
		}
	}
	progs := make([]*tea.Program, 0, len(c.watchers))
	for p := range c.watchers {
		progs = append(progs, p)
	}
	c.mu.Unlock()
	for _, p := range progs {
		p.Send(refreshMsg{})
	}
}

// checkSteps evaluates every connected student's current step on their cluster.
func (c *Class) checkSteps(ctx context.Context) {
	type job struct {
		st           *student
		seat         Seat
		lesson, step string
	}
	var jobs []job
	c.mu.Lock()
	for _, st := range c.seats {
		if len(st.programs) > 0 && st.seat != nil && st.lesson != "" && st.step != "" {
			jobs = append(jobs, job{st, st.seat, st.lesson, st.step})
		}
	}
	c.mu.Unlock()
	for _, j := range jobs {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		ok, err := j.seat.StepHolds(cctx, j.lesson, j.step)
		cancel()
		holds := "no"
		if err != nil {
			holds = ""
		} else if ok {
			holds = "yes"
		}
		c.mu.Lock()
		if j.st.lesson == j.lesson && j.st.step == j.step {
			j.st.holds = holds
		}
		c.mu.Unlock()
	}
}

// currentPlace is the lesson the student touched last and the step they are on in it.
func currentPlace(p *progress.Store) (lesson, step string) {
	var newest time.Time
	for _, id := range p.LessonIDs() {
		l := p.Lesson(id)
		if lesson == "" || l.Updated.After(newest) {
			lesson, step, newest = id, l.Step, l.Updated
		}
	}
	return lesson, step
}

// run is the class's clock: observe every second, evaluate steps every three.
func (c *Class) run() {
	defer c.wg.Done()
	t := c.clock.NewTicker(time.Second)
	defer t.Stop()
	n := 0
	last := c.clock.Now()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C():
			c.observe(now.Sub(last))
			last = now
			n++
			if n%3 == 0 && c.watched() {
				// Only an instructor's view shows whether steps hold: nobody watching, no
				// evaluation of every student's cluster.
				c.checkSteps(c.ctx)
			}
			if n%5 == 1 && c.o.Store != nil {
				c.readElsewhere(c.ctx)
			}
		}
	}
}

// watched reports whether an instructor's view is open.
func (c *Class) watched() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.watchers) > 0
}

// Message shows text on one student's status line, or on everyone's when name is "".
func (c *Class) Message(name, text string) int {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0
	}
	c.mu.Lock()
	var targets []*tea.Program
	n := 0
	for _, st := range c.seats {
		if name != "" && st.name != name {
			continue
		}
		n++
		st.notice = text
		for p := range st.programs {
			targets = append(targets, p)
		}
	}
	c.mu.Unlock()
	for _, p := range targets {
		p.Send(noticeMsg{text: text})
	}
	return n
}

// PushHint sends a student the next hint of the step they are on.
func (c *Class) PushHint(name string) (string, error) {
	c.mu.Lock()
	st, ok := c.seats[name]
	if !ok {
		c.mu.Unlock()
		return "", fmt.Errorf("no student %q", name)
	}
	lesson, step, lang := st.lesson, st.step, st.lang
	c.mu.Unlock()
	l, ok := c.lessonByID(lesson, lang)
	if !ok || step == "" {
		return "", fmt.Errorf("%s is not in a lesson", name)
	}
	for _, s := range l.Steps {
		if s.ID != step {
			continue
		}
		if len(s.Hints) == 0 {
			return "", fmt.Errorf("step %q has no hints", s.Title)
		}
		c.mu.Lock()
		i := st.pushed % len(s.Hints)
		st.pushed++
		st.stats.pushed()
		c.mu.Unlock()
		hint := s.Hints[i]
		c.Message(name, hintPrefix(lang)+hint)
		return hint, nil
	}
	return "", fmt.Errorf("%s's step %q is not in lesson %q", name, step, lesson)
}

func hintPrefix(lang string) string {
	if lang == "ko" {
		return "강사의 힌트: "
	}
	return "Hint from your instructor: "
}

// SetLockstep turns lockstep on or off. Turned on, each lesson is released up to the
// furthest step a student is on now, so nobody is pulled back.
func (c *Class) SetLockstep(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lock.On = on
	if !on {
		return
	}
	c.lock.Released = map[string]int{}
	for _, st := range c.seats {
		s := c.statusLocked(st, c.clock.Now())
		if s.Lesson != "" && s.StepIndex > c.lock.Released[s.Lesson] {
			c.lock.Released[s.Lesson] = s.StepIndex
		}
	}
}

// Release lets everyone in a lesson go one step further; it returns the new last step
// index students may open.
func (c *Class) Release(lessonID string) int {
	c.mu.Lock()
	c.lock.Released[lessonID]++
	n := c.lock.Released[lessonID]
	var targets []*tea.Program
	for _, st := range c.seats {
		if st.lesson == lessonID {
			for p := range st.programs {
				targets = append(targets, p)
			}
		}
	}
	c.mu.Unlock()
	for _, p := range targets {
		p.Send(releasedMsg{lesson: lessonID, upTo: n})
	}
	return n
}

// Lockstep reports whether lockstep holds and each lesson's released step index.
func (c *Class) Lockstep() (bool, map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.lock.Released))
	for k, v := range c.lock.Released {
		m[k] = v
	}
	return c.lock.On, m
}

// gate is a student's StepGate.
func (c *Class) gate(lang string) func(lessonID string, stepIndex int) (bool, string) {
	return func(lessonID string, stepIndex int) (bool, string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if !c.lock.On || stepIndex <= c.lock.Released[lessonID] {
			return true, ""
		}
		if lang == "ko" {
			return false, "강사가 다음 단계를 열 때까지 기다려 주세요."
		}
		return false, "Wait for your instructor to open the next step."
	}
}

// Screen is the last frame a student's player drew, for the instructor's read-only view.
func (c *Class) Screen(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.seats[name]
	if !ok {
		return "", false
	}
	return st.view, true
}

func (c *Class) setView(st *student, v string) {
	c.mu.Lock()
	st.view = v
	c.mu.Unlock()
}
