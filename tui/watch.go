package tui

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// maxStream bounds the event stream the watch pane keeps.
const maxStream = 500

// watchRetry is how long the pane waits before opening a watch again after it failed to open.
const watchRetry = 2 * time.Second

// maxBatch bounds how many ready events one message carries, so a flood still lets the UI
// breathe between batches.
const maxBatch = 256

// watchPane shows one watched resource twice: a table updated in place (one row per object)
// above the raw event stream as `kubectl get -w` prints it.
type watchPane struct {
	st *Styles
	t  text

	spec    lessons.Watch
	gen     int64
	ctx     context.Context
	cancel  context.CancelFunc
	cluster Cluster
	ch      <-chan engine.TableEvent
	loaded  bool
	ended   bool
	lastErr string

	columns []string
	rows    map[string][]string
	names   []string // the keys of rows, sorted: kept per event, not re-sorted per frame
	stream  [][]string
	// streamW holds each stream row's cell widths (measured once), dropped how many rows
	// the stream has shed from its front, and streamFmt the stream's formatted lines, which
	// a batch extends instead of re-formatting all of them (see streamText).
	streamW   [][]int
	dropped   int
	streamFmt streamLines
	// created holds each row's creationTimestamp and now the cluster's clock as of the last
	// tick or batch, so the table's AGE counts up between events (the server's AGE cell is a
	// snapshot). The stream keeps the AGE each line was printed with, as kubectl -w does.
	created map[string]time.Time
	now     time.Time

	// view holds the stream's scroll position only: its content is one blank line per
	// stream line (set when their number changes), and lines are the lines themselves, the
	// header first, of which View draws the visible window. A batch so neither joins nor
	// measures the whole stream, and a frame measures only what it shows.
	view  viewport.Model
	lines []string
	// rowW holds each table row's cell widths (measured once, when the row arrives) and tab
	// the table's formatted lines by row, for the columns and widths they were made with.
	rowW          map[string][]int
	tab           tableCache
	lastBatch     time.Time // when the last batch of events was shown (watchPace)
	width, height int
	focused       bool

	// The views v cycles through (watch_views.go): which one shows, the step's own watch
	// (what viewStep follows), and the last poll of a picture view.
	mode       watchView
	stepSpec   lessons.Watch
	lister     Lister
	data       viewData
	polledOnce bool
	polling    bool
	pollCtx    context.Context

	// Row inspection (inspect.go): every version of each object seen by the object watch,
	// the object version behind each stream line, and the selected line (-1: none).
	objects ObjectWatcher
	objCh   <-chan ObjectEvent
	// objCtx and objCancel are the object watch's own; rowObjects: the table watch's rows
	// carry their objects, so versions come from them and the object watch has ended.
	objCtx     context.Context
	objCancel  context.CancelFunc
	rowObjects bool
	versions   map[string][]ObjectEvent // by object name, oldest first (Name, ResourceVersion set)
	refs       []rowRef
	selected   int
	// lineRows maps stream lines to rows when the events view wraps messages (nil: one
	// line per row); unseen: rows arrived below while the reader was scrolled up.
	lineRows []int
	unseen   bool

	km WatchKeyMap
	// onSelect is told that the selected row changed (or the selection ended), so the lesson
	// view can show the row's object beside the stream.
	onSelect func()
}

// WatchKeyMap holds the watch pane's bindings.
type WatchKeyMap struct {
	// Up and Down scroll the stream, or move the selected row while one is selected.
	scrollKeyMap
	// View cycles the views; Inspect selects a stream row to show its object at that moment.
	// Both work whichever pane has the focus (Reach).
	View, Inspect key.Binding
	// Leave ends the row selection (esc, which otherwise leaves the lesson).
	Leave key.Binding
}

func defaultWatchKeyMap(t text) WatchKeyMap {
	return WatchKeyMap{
		scrollKeyMap: defaultScrollKeyMap(t),
		View:         key.NewBinding(key.WithKeys("v"), key.WithHelp("v", t.KeyView)),
		Inspect:      key.NewBinding(key.WithKeys("y"), key.WithHelp("y", t.KeyInspect)),
		Leave:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", t.KeyLeaveRow)),
	}
}

func newWatchPane(st *Styles, t text) *watchPane {
	return &watchPane{st: st, t: t, rows: map[string][]string{}, rowW: map[string][]int{}, created: map[string]time.Time{}, view: viewport.New(0, 0),
		versions: map[string][]ObjectEvent{}, selected: -1, km: defaultWatchKeyMap(t)}
}

// setText switches the pane's words to another language.
func (w *watchPane) setText(t text) {
	w.t, w.km = t, defaultWatchKeyMap(t)
}

// keys is the pane's key map as it stands.
func (w *watchPane) keys() WatchKeyMap {
	k := w.km
	k.scrollKeyMap = k.at(&w.view)
	if w.selected >= 0 {
		k.Up.SetEnabled(w.selected > 0)
		k.Down.SetEnabled(w.selected < len(w.refs)-1)
	}
	k.View.SetEnabled(w.cluster != nil && w.pollCtx != nil)
	k.Inspect.SetEnabled(w.canInspect() || w.selected >= 0)
	k.Leave.SetEnabled(w.selected >= 0)
	return k
}

// Init implements Component.
func (w *watchPane) Init() tea.Cmd { return nil }

// Update implements Component: the pane's keys, clicks and wheel (in pane coordinates), and
// the results of its own watches and polls.
func (w *watchPane) Update(msg tea.Msg) (Component, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return w, w.key(msg)
	case tea.MouseMsg:
		if a, ok := wheelAction(msg); ok {
			scrollBy(&w.view, a)
			w.scrolled()
		} else if msg.Action == tea.MouseActionPress && msg.Button == tea.MouseButtonLeft && w.selectAt(msg.Y) {
			// A click on a stream row shows that row's object as it was then.
			w.selected_()
		}
	case tickMsg:
		if w.cluster != nil {
			w.setNow(w.cluster.Now())
		}
		return w, w.poll()
	case watchStartedMsg:
		return w, w.handleStarted(msg)
	case watchBatchMsg:
		return w, w.handleBatch(msg)
	case watchRetryMsg:
		return w, w.handleRetry(msg)
	case viewDataMsg:
		return w, w.handleViewData(msg)
	case objWatchStartedMsg:
		return w, w.handleObjStarted(msg)
	case objBatchMsg:
		return w, w.handleObjBatch(msg)
	}
	return w, nil
}

// selected_ tells the lesson view that the selection changed.
func (w *watchPane) selected_() {
	if w.onSelect != nil {
		w.onSelect()
	}
}

func (w *watchPane) key(msg tea.KeyMsg) tea.Cmd {
	k := w.keys()
	switch {
	case key.Matches(msg, k.View):
		return w.nextView(w.pollCtx)
	case key.Matches(msg, k.Inspect), key.Matches(msg, k.Leave):
		w.toggleInspect()
		w.selected_()
	case w.selected >= 0 && key.Matches(msg, k.Up):
		w.moveSelection(-1)
		w.selected_()
	case w.selected >= 0 && key.Matches(msg, k.Down):
		w.moveSelection(1)
		w.selected_()
	default:
		if a, ok := k.action(msg); ok {
			scrollBy(&w.view, a)
			w.scrolled()
		}
	}
	return nil
}

// ShortHelp implements help.KeyMap.
func (w *watchPane) ShortHelp() []key.Binding { return nil }

// FullHelp implements help.KeyMap.
func (w *watchPane) FullHelp() [][]key.Binding {
	k := w.keys()
	return [][]key.Binding{append(k.list(), k.View, k.Inspect, k.Leave, k.Wheel)}
}

// Reach implements reacher: v and y work from any pane.
func (w *watchPane) Reach() []key.Binding {
	k := w.keys()
	return []key.Binding{k.View, k.Inspect}
}

// start replaces the current watch (if the spec changed) and returns the Cmd that opens the
// new one. The watch lives until stop or until parent ends.
func (w *watchPane) start(parent context.Context, c Cluster, step lessons.Watch) tea.Cmd {
	w.stepSpec, w.pollCtx, w.cluster = step, parent, c
	spec := w.effectiveSpec(step)
	if w.gen != 0 && spec == w.spec {
		return nil
	}
	w.polling = false
	w.stop()
	w.spec = spec
	w.gen = nextGen()
	w.ch, w.loaded, w.ended, w.lastErr = nil, false, false, ""
	w.columns, w.rows, w.names, w.stream = nil, map[string][]string{}, nil, nil
	w.rowW, w.tab = map[string][]int{}, tableCache{}
	w.streamW, w.dropped, w.streamFmt = nil, 0, streamLines{}
	w.created = map[string]time.Time{}
	w.cluster = c
	w.objCh, w.versions, w.refs, w.selected = nil, map[string][]ObjectEvent{}, nil, -1
	w.objCtx, w.objCancel, w.rowObjects = nil, nil, false
	w.refresh()
	if spec.Resource == "" || c == nil {
		return nil
	}
	w.ctx, w.cancel = context.WithCancel(parent)
	return tea.Batch(w.open(), w.openObjects())
}

// open asks the cluster for the watch in a Cmd (opening resolves the resource through
// discovery, which is network I/O).
func (w *watchPane) open() tea.Cmd {
	ctx, gen, c, spec := w.ctx, w.gen, w.cluster, w.spec
	return func() tea.Msg {
		ch, err := c.WatchTable(ctx, spec.Resource, spec.Selector)
		if ctx.Err() != nil {
			return nil
		}
		return watchStartedMsg{gen: gen, ch: ch, err: err}
	}
}

// stop ends the watch; its pending Cmd returns nil once the context is done.
func (w *watchPane) stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.ctx, w.cancel = nil, nil
}

// waitWatch waits for one event, then takes whatever else is already queued, so a burst of
// controller activity is one message and one redraw. It is re-armed after every batch.
func waitWatch(ctx context.Context, gen int64, ch <-chan engine.TableEvent) tea.Cmd {
	return waitWatchPaced(ctx, gen, ch, time.Time{})
}

// waitWatchPaced is waitWatch that, when the first event comes before notBefore, also takes
// what arrives until then.
func waitWatchPaced(ctx context.Context, gen int64, ch <-chan engine.TableEvent, notBefore time.Time) tea.Cmd {
	return func() tea.Msg {
		batch, ended, ok := gather(ctx, ch, notBefore)
		if !ok {
			return nil
		}
		return watchBatchMsg{gen: gen, events: batch, ended: ended}
	}
}

// watchPace is the shortest time between two batches of one watch: events that come within
// it of the last batch wait for the rest of it and go out together. Every message re-renders
// the lesson screen (Bubble Tea calls View after each), so a burst of 1,000 events a second
// costs at most 1/watchPace frames a second instead of one per few events, while a lone
// event, or the first of a burst, is on screen at once. Half a 60 Hz frame.
const watchPace = 8 * time.Millisecond

// objectPace is the same for the object watch, whose batches change nothing on screen (they
// keep the versions a selected row shows).
const objectPace = 50 * time.Millisecond

// gather waits for one value of ch, then takes what else arrives until notBefore (if it is
// still ahead) and what is queued after it, up to maxBatch. ended: ch closed; ok false: ctx
// ended first.
func gather[T any](ctx context.Context, ch <-chan T, notBefore time.Time) (batch []T, ended, ok bool) {
	select {
	case <-ctx.Done():
		return nil, false, false
	case first, open := <-ch:
		if !open {
			return nil, true, true
		}
		batch = append(batch, first)
	}
	var deadline <-chan time.Time
	if wait := time.Until(notBefore); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < maxBatch {
		if deadline == nil {
			select {
			case ev, open := <-ch:
				if !open {
					return batch, true, true
				}
				batch = append(batch, ev)
				continue
			default:
				return batch, false, true
			}
		}
		select {
		case ev, open := <-ch:
			if !open {
				return batch, true, true
			}
			batch = append(batch, ev)
		case <-deadline:
			deadline = nil
		case <-ctx.Done():
			return nil, false, false
		}
	}
	return batch, false, true
}

// rearm waits for the next batch of the running watch.
func (w *watchPane) rearm() tea.Cmd {
	if w.ch == nil || w.ended || w.ctx == nil {
		return nil
	}
	return waitWatchPaced(w.ctx, w.gen, w.ch, w.lastBatch.Add(watchPace))
}

func (w *watchPane) handleStarted(msg watchStartedMsg) tea.Cmd {
	if msg.gen != w.gen {
		return nil
	}
	if msg.err != nil {
		// Opening can fail while the cluster is still starting (discovery not ready): say
		// so and try again, until the step's watch goes away.
		w.lastErr = msg.err.Error()
		w.refresh()
		gen := w.gen
		return tea.Tick(watchRetry, func(time.Time) tea.Msg { return watchRetryMsg{gen: gen} })
	}
	w.ch = msg.ch
	return w.rearm()
}

func (w *watchPane) handleRetry(msg watchRetryMsg) tea.Cmd {
	if msg.gen != w.gen || w.ctx == nil || w.ctx.Err() != nil || w.ch != nil {
		return nil
	}
	return w.open()
}

func (w *watchPane) handleBatch(msg watchBatchMsg) tea.Cmd {
	if msg.gen != w.gen {
		return nil
	}
	for _, ev := range msg.events {
		w.apply(ev)
	}
	if w.cluster != nil {
		w.now = w.cluster.Now()
	}
	if msg.ended {
		w.ended = true
	}
	w.refresh()
	w.lastBatch = time.Now()
	return w.rearm()
}

// apply folds one event into the table and the stream.
func (w *watchPane) apply(ev engine.TableEvent) {
	if len(ev.Columns) > 0 && !slices.Equal(ev.Columns, w.columns) {
		w.columns = append(w.columns[:0:0], ev.Columns...) // a copy: events share theirs
	}
	switch ev.Type {
	case "ERROR":
		// The engine's watch retries on its own (resume, relist, backoff): say so, so a slow
		// or vanished cluster reads as "reconnecting", not as a dead pane.
		msg := "watch error"
		if ev.Err != nil {
			msg = ev.Err.Error()
		}
		w.lastErr = fmt.Sprintf(w.t.Reconnecting, msg)
		return
	case "RESYNC":
		w.rows, w.names = map[string][]string{}, nil
		w.created = map[string]time.Time{}
		w.rowW, w.tab.lines = map[string][]int{}, nil
		return
	}
	w.lastErr = ""
	w.loaded = true
	if ev.Name == "" {
		return // the empty-list marker
	}
	w.keepRowObject(ev)
	cells := append([]string(nil), ev.Cells...)
	if ev.Type == "DELETED" {
		if _, ok := w.rows[ev.Name]; ok {
			i := sort.SearchStrings(w.names, ev.Name)
			w.names = append(w.names[:i], w.names[i+1:]...)
		}
		delete(w.rows, ev.Name)
		delete(w.created, ev.Name)
		delete(w.rowW, ev.Name)
		delete(w.tab.lines, ev.Name)
	} else {
		if _, ok := w.rows[ev.Name]; !ok {
			i := sort.SearchStrings(w.names, ev.Name)
			w.names = append(w.names, "")
			copy(w.names[i+1:], w.names[i:])
			w.names[i] = ev.Name
		}
		w.rows[ev.Name] = cells
		w.rowW[ev.Name] = cellWidths(cells)
		delete(w.tab.lines, ev.Name)
		if ev.Created.IsZero() {
			delete(w.created, ev.Name)
		} else {
			w.created[ev.Name] = ev.Created
		}
	}
	w.stream = append(w.stream, cells)
	if cw, ok := w.rowW[ev.Name]; ok && ev.Type != "DELETED" {
		w.streamW = append(w.streamW, cw) // the same cells: measured once for both
	} else {
		w.streamW = append(w.streamW, cellWidths(cells))
	}
	w.refs = append(w.refs, rowRef{name: ev.Name, rv: ev.ResourceVersion})
	if len(w.stream) > maxStream {
		// In place: a flood past the bound shifts the slices instead of allocating anew.
		cut := len(w.stream) - maxStream
		w.stream = w.stream[:copy(w.stream, w.stream[cut:])]
		w.streamW = w.streamW[:copy(w.streamW, w.streamW[cut:])]
		w.refs = w.refs[:copy(w.refs, w.refs[cut:])]
		w.dropped += cut
		if w.selected >= 0 {
			w.selected = max(0, w.selected-cut)
		}
	}
}

// setNow moves the table's clock (on the lesson's tick), so AGE cells count up.
func (w *watchPane) setNow(now time.Time) { w.now = now }

// ageIndex is the AGE column's index, or -1.
func (w *watchPane) ageIndex() int {
	for i, c := range w.columns {
		if c == "AGE" {
			return i
		}
	}
	return -1
}

// rowCells is a table row with its AGE recomputed from the object's creationTimestamp, the way
// the server computes it, when both the timestamp and the clock are known.
func (w *watchPane) rowCells(name string, age int) []string {
	cells := w.rows[name]
	a, ok := w.ageCell(name, age)
	if !ok {
		return cells
	}
	out := append([]string(nil), cells...)
	out[age] = a
	return out
}

// ageCell is the AGE rowCells shows for a row; ok is false when the row keeps the server's.
func (w *watchPane) ageCell(name string, age int) (string, bool) {
	created, ok := w.created[name]
	if age < 0 || age >= len(w.rows[name]) || !ok || w.now.IsZero() || w.now.Before(created) {
		return "", false
	}
	return duration.HumanDuration(w.now.Sub(created)), true
}

// tableCache is the watch table's formatted lines by row name, for the styles, columns and
// column widths they were made with. apply drops a row's line when its cells change; a line
// whose AGE moved is made again.
type tableCache struct {
	st     *Styles
	cols   []string
	widths []int
	header string
	lines  map[string]tableLine
}

type tableLine struct{ age, line string }

// tableRows is w.formatRows(w.columns, rows of names through rowCells), from the cached
// cell widths and lines: a frame formats only the rows that changed since the last.
func (w *watchPane) tableRows(names []string) []string {
	age, status := w.ageIndex(), w.statusIndex()
	widths := make([]int, len(w.columns))
	for i, h := range w.columns {
		widths[i] = cellWidth(h)
	}
	ages := make([]string, len(names)) // "" where the row keeps the server's AGE
	rowW := make([][]int, len(names))
	for j, n := range names {
		cw := w.rowW[n]
		if len(cw) != len(w.rows[n]) {
			cw = cellWidths(w.rows[n])
		}
		if a, ok := w.ageCell(n, age); ok {
			ages[j] = a
			cw = slices.Clone(cw)
			cw[age] = cellWidth(a)
		}
		rowW[j] = cw
		for i := 0; i < len(cw) && i < len(widths); i++ {
			widths[i] = max(widths[i], cw[i])
		}
	}
	c := &w.tab
	if c.st != w.st || !slices.Equal(c.cols, w.columns) || !slices.Equal(c.widths, widths) {
		*c = tableCache{st: w.st, cols: slices.Clone(w.columns), widths: widths,
			header: w.formatLine(widths, status, w.columns, nil, true)}
	}
	if c.lines == nil {
		c.lines = map[string]tableLine{}
	}
	out := make([]string, 0, 1+len(names))
	out = append(out, c.header)
	for j, n := range names {
		if l, ok := c.lines[n]; ok && l.age == ages[j] {
			out = append(out, l.line)
			continue
		}
		cells := w.rows[n]
		if ages[j] != "" {
			cells = slices.Clone(cells)
			cells[age] = ages[j]
		}
		l := w.formatLine(widths, status, cells, rowW[j], false)
		c.lines[n] = tableLine{age: ages[j], line: l}
		out = append(out, l)
	}
	return out
}

// SetSize implements Component.
func (w *watchPane) SetSize(width, height int) {
	w.width, w.height = width, height
	w.refresh()
}

// layout splits the pane's height below its header: table first, then a label line, then
// the stream, which gets what is left.
func (w *watchPane) layout() (tableH, labelH, streamH int) {
	avail := max(0, w.height-1)
	switch {
	case w.mode.polled():
		return avail, 0, 0
	case w.mode == viewEvents:
		// Events are read as a stream, newest last.
		if avail < 2 {
			return 0, 0, avail
		}
		return 0, 1, avail - 1
	}
	if avail < 3 {
		return avail, 0, 0
	}
	want := 1 + max(1, len(w.rows))
	if w.lastErr != "" {
		want++
	}
	tableH = clamp(want, 1, max(1, avail*3/5))
	labelH = 1
	streamH = avail - tableH - labelH
	return tableH, labelH, streamH
}

// refresh rebuilds the stream viewport after data or size changed, keeping the reader's
// scroll position unless they were following the newest line.
func (w *watchPane) refresh() {
	_, _, streamH := w.layout()
	follow := w.view.AtBottom() || w.view.TotalLineCount() == 0
	before := w.view.TotalLineCount()
	w.view.Width, w.view.Height = max(0, w.width), streamH
	w.setLines(w.streamLines())
	switch {
	case follow:
		w.view.GotoBottom()
		w.unseen = false
	case w.view.TotalLineCount() > before:
		// The reader scrolled up: keep their place and say that rows arrived below.
		w.unseen = true
	}
}

// setLines makes lines the stream and the viewport's content as many blank lines (one
// when there are none, as SetContent("") makes), set only when the count changes: the
// viewport then scrolls them without measuring or splitting any.
func (w *watchPane) setLines(lines []string) {
	w.lines = lines
	if n := max(1, len(lines)); w.view.TotalLineCount() != n {
		w.view.SetContent(strings.Repeat("\n", n-1))
	}
}

// visibleStream is the viewport's window on the stream, each line cut to the pane's width
// and its tabs expanded, as viewport.View draws it, without that view's lipgloss pass (a
// grapheme scan of every line, every frame).
func (w *watchPane) visibleStream() string {
	top := max(0, w.view.YOffset)
	bottom := clamp(w.view.YOffset+w.view.Height, top, len(w.lines))
	if top >= bottom {
		return ""
	}
	var b strings.Builder
	for i, l := range w.lines[top:bottom] {
		if strings.IndexByte(l, '\t') >= 0 {
			l = strings.ReplaceAll(l, "\t", "    ")
		}
		if cellWidth(l) > w.width {
			l = ansi.Truncate(l, w.width, "")
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}

// scrolled is called after the learner scrolled the stream: at the bottom the mark goes.
func (w *watchPane) scrolled() {
	if w.view.AtBottom() {
		w.unseen = false
	}
}

func (w *watchPane) statusIndex() int {
	for i, c := range w.columns {
		if c == "STATUS" {
			return i
		}
	}
	return -1
}

// formatRows aligns cells into columns three spaces apart, as kubectl's tabwriter does, and
// colours the STATUS cell.
func (w *watchPane) formatRows(header []string, rows [][]string) []string {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = cellWidth(h)
	}
	for _, r := range rows {
		for i := 0; i < len(r) && i < len(widths); i++ {
			widths[i] = max(widths[i], cellWidth(r[i]))
		}
	}
	status := w.statusIndex()
	out := make([]string, 0, 1+len(rows))
	out = append(out, w.formatLine(widths, status, header, nil, true))
	for _, r := range rows {
		out = append(out, w.formatLine(widths, status, r, nil, false))
	}
	return out
}

// formatLine is one line of formatRows; cellW, when known, are the cells' widths.
func (w *watchPane) formatLine(widths []int, status int, cells []string, cellW []int, head bool) string {
	var b strings.Builder
	for i := 0; i < len(widths); i++ {
		cell, cw := "", 0
		if i < len(cells) {
			cell = cells[i]
			if i < len(cellW) {
				cw = cellW[i]
			} else {
				cw = cellWidth(cell)
			}
		}
		pad := ""
		if i < len(widths)-1 {
			pad = strings.Repeat(" ", widths[i]-cw+3)
		}
		switch {
		case head:
			b.WriteString(w.st.TableHeader.Render(cell))
		case i == status:
			if s, ok := w.st.statusStyle(cell); ok {
				cell = s.Render(cell)
			}
			b.WriteString(cell)
		default:
			b.WriteString(cell)
		}
		b.WriteString(pad)
	}
	return strings.TrimRight(b.String(), " ")
}

// cellWidths measures a row's cells once, when it enters the stream.
func cellWidths(cells []string) []int {
	ws := make([]int, len(cells))
	for i, c := range cells {
		ws[i] = cellWidth(c)
	}
	return ws
}

// streamLines is the plain stream formatted as formatRows would: the header, then one line
// per stream row, for the columns, widths and styles it was made with. first is the index
// (counting every row the stream ever held) of the row behind lines[1].
type streamLines struct {
	st     *Styles
	cols   []string
	widths []int
	first  int
	lines  []string
}

// plainStreamText is strings.Join(w.formatRows(w.columns, w.stream), "\n"), kept between
// batches (see plainStreamLines).
func (w *watchPane) plainStreamText() string { return strings.Join(w.plainStreamLines(), "\n") }

// plainStreamLines is w.formatRows(w.columns, w.stream), kept between batches: a batch
// formats only its new rows, unless a wider cell (or a shed widest one) moved the columns,
// which re-formats all of them, as a tabwriter would. The slice is the cache's own: callers
// read it and do not keep it past the next batch.
func (w *watchPane) plainStreamLines() []string {
	if len(w.streamW) != len(w.stream) {
		return w.formatRows(w.columns, w.stream)
	}
	widths := make([]int, len(w.columns))
	for i, h := range w.columns {
		widths[i] = cellWidth(h)
	}
	for _, cw := range w.streamW {
		for i := 0; i < len(cw) && i < len(widths); i++ {
			widths[i] = max(widths[i], cw[i])
		}
	}
	c := &w.streamFmt
	status := w.statusIndex()
	if c.st != w.st || !slices.Equal(c.cols, w.columns) || !slices.Equal(c.widths, widths) || c.first > w.dropped || len(c.lines) == 0 {
		lines := make([]string, 1, 1+len(w.stream))
		lines[0] = w.formatLine(widths, status, w.columns, nil, true)
		*c = streamLines{st: w.st, cols: slices.Clone(w.columns), widths: widths, first: w.dropped, lines: lines}
	}
	if d := w.dropped - c.first; d > 0 {
		rows := c.lines[1:]
		c.lines = c.lines[:1+copy(rows, rows[min(d, len(rows)):])]
		c.first = w.dropped
	}
	if len(c.lines)-1 > len(w.stream) {
		c.lines = c.lines[:1]
	}
	for i := len(c.lines) - 1; i < len(w.stream); i++ {
		c.lines = append(c.lines, w.formatLine(widths, status, w.stream[i], w.streamW[i], false))
	}
	return c.lines
}

// streamText is the stream as one text (streamLines joined).
func (w *watchPane) streamText() string { return strings.Join(w.streamLines(), "\n") }

// streamLines is the stream's lines as the current view draws them, the header first; nil
// when there is nothing to draw.
func (w *watchPane) streamLines() []string {
	if len(w.columns) == 0 || len(w.stream) == 0 {
		if w.mode == viewEvents && w.loaded {
			return []string{w.st.Dim.Render(w.t.NoEvents)}
		}
		return nil
	}
	w.lineRows = nil
	if w.selected >= 0 {
		lines := w.formatRows(w.columns, w.stream)
		if w.mode == viewEvents {
			lines = w.eventLines()
		}
		if i := w.rowLine(w.selected); i < len(lines) {
			lines[i] = w.st.Selected.Render("▶ " + ansiPlain(lines[i]))
		}
		return lines
	}
	if w.mode == viewEvents {
		return w.eventLines()
	}
	return w.plainStreamLines()
}

// eventLines formats the Events stream with its "by" column.
func (w *watchPane) eventLines() []string {
	w.lineRows = nil
	{
		// A first column says which rows are the simulator's explanations rather than what
		// a real controller would write.
		cols := append([]string{""}, w.columns...)
		rows := make([][]string, len(w.stream))
		for i, r := range w.stream {
			by := ""
			if w.isWhyRow(r) {
				by = "[" + w.t.SimMark + "]"
			}
			rows[i] = append([]string{by}, r...)
		}
		lines := w.formatRows(cols, rows)
		if w.width <= 0 || maxLineWidth(lines) <= w.width {
			return lines
		}
		// A narrow pane: what happened and why (the message) matters more than when, and the
		// type only when some row is not Normal.
		drop := map[string]bool{"LAST SEEN": true, "TYPE": true}
		for _, r := range rows {
			for i, c := range cols {
				if c == "TYPE" && i < len(r) && r[i] != "" && r[i] != "Normal" {
					drop["TYPE"] = false
				}
			}
		}
		var keep []int
		for i, c := range cols {
			if !drop[c] {
				keep = append(keep, i)
			}
		}
		pick := func(r []string) []string {
			out := make([]string, 0, len(keep))
			for _, i := range keep {
				if i < len(r) {
					out = append(out, r[i])
				}
			}
			return out
		}
		narrow := make([][]string, len(rows))
		for i, r := range rows {
			narrow[i] = pick(r)
		}
		return w.wrapMessages(w.formatRows(pick(cols), narrow), narrow)
	}
}

// wrapMessages wraps the last column (an event's message, prose) of rows wider than the
// pane under its own start, so a [sim] explanation is read whole at any width (issue 13,
// item 10); lineRows maps each stream line after the header to its row.
func (w *watchPane) wrapMessages(lines []string, rows [][]string) []string {
	if w.width <= 0 || maxLineWidth(lines) <= w.width {
		return lines
	}
	out := []string{lines[0]}
	w.lineRows = nil
	for i, l := range lines[1:] {
		r := rows[i]
		if lipgloss.Width(l) <= w.width || len(r) == 0 {
			out = append(out, l)
			w.lineRows = append(w.lineRows, i)
			continue
		}
		msg := r[len(r)-1]
		at := lipgloss.Width(l) - lipgloss.Width(msg)
		first := ansi.Truncate(l, at, "")
		if at > w.width/2 {
			// Little room beside the other columns: they keep their line, the message
			// goes below them.
			out = append(out, ansi.Truncate(strings.TrimRight(first, " "), w.width, "…"))
			w.lineRows = append(w.lineRows, i)
			first, at = "", min(4, w.width/4)
		}
		wrapped := strings.Split(ansi.Wrap(msg, max(8, w.width-at), " "), "\n")
		pad := strings.Repeat(" ", at)
		for j, part := range wrapped {
			if j == 0 && first != "" {
				out = append(out, first+part)
			} else {
				out = append(out, pad+part)
			}
			w.lineRows = append(w.lineRows, i)
		}
	}
	return out
}

// rowLine is the stream line (the header is line 0) where row starts.
func (w *watchPane) rowLine(row int) int {
	for i, r := range w.lineRows {
		if r == row {
			return i + 1
		}
	}
	return row + 1
}

// lineRow is the row drawn on stream line y (the header is line 0), or -1.
func (w *watchPane) lineRow(y int) int {
	if w.lineRows == nil {
		return y - 1
	}
	if y < 1 || y-1 >= len(w.lineRows) {
		return -1
	}
	return w.lineRows[y-1]
}

func maxLineWidth(lines []string) int {
	m := 0
	for _, l := range lines {
		m = max(m, lipgloss.Width(l))
	}
	return m
}

func (w *watchPane) tableLines(h int) []string {
	if w.mode.polled() {
		lines := w.pictureLines()
		if len(lines) > h && h >= 2 {
			more := len(lines) - (h - 1)
			lines = append(lines[:h-1], w.st.Dim.Render(fmt.Sprintf("… +%d", more)))
		}
		return lines
	}
	switch {
	case w.spec.Resource == "":
		return []string{w.st.Dim.Render(w.t.NoWatch)}
	case w.lastErr != "" && !w.loaded:
		return []string{w.st.Error.Render(w.lastErr)}
	case !w.loaded:
		return []string{w.st.Dim.Render(w.t.Loading)}
	case len(w.rows) == 0 || len(w.columns) == 0:
		if w.lastErr != "" {
			return []string{w.st.Dim.Render(w.t.NoResources), w.st.Error.Render(w.lastErr)}
		}
		return []string{w.st.Dim.Render(w.t.NoResources)}
	}
	names := w.names
	// A watch error after the first list goes under the rows: the rows are still the last
	// known state, and the error says they may be stale.
	tail := ""
	if w.lastErr != "" {
		tail = w.st.Error.Render(w.lastErr)
	}
	room := h
	if tail != "" {
		room--
	}
	// Only the rows that fit are formatted (and size the columns): with 1,000 pods the
	// others would cost a frame's budget for nothing.
	more := 0
	if 1+len(names) > room && room >= 2 {
		more = 1 + len(names) - (room - 1)
		names = names[: room-2 : room-2]
	}
	lines := w.tableRows(names)
	if more > 0 {
		lines = append(lines, w.st.Dim.Render(fmt.Sprintf("… +%d", more)))
	}
	if tail != "" {
		lines = append(lines, tail)
	}
	return lines
}

func (w *watchPane) title() string {
	t := w.t.Watch
	if w.mode != viewStep {
		return t + ": " + w.viewName(w.mode) + " (v)"
	}
	if w.spec.Resource != "" {
		t += ": " + w.spec.Resource
		if w.spec.Selector != "" {
			t += " -l " + w.spec.Selector
		}
	}
	if w.ended && w.loaded {
		t += " · " + w.t.WatchEnded
	}
	return t
}

func (w *watchPane) View() string {
	if w.width <= 0 || w.height <= 0 {
		return ""
	}
	tableH, labelH, streamH := w.layout()
	suffix := ""
	if w.unseen && !w.view.AtBottom() {
		suffix = w.st.CmdNext.Render(w.t.NewRowsBelow)
	}
	parts := []string{paneHeader(w.st, w.title(), suffix, w.width, w.focused)}
	if tableH > 0 {
		parts = append(parts, fit(strings.Join(w.tableLines(tableH), "\n"), w.width, tableH))
	}
	if labelH > 0 {
		label := ""
		if w.spec.Resource != "" {
			label = "$ kubectl get " + w.spec.Resource
			if w.spec.Selector != "" {
				label += " -l " + w.spec.Selector
			}
			label += " -w"
		}
		parts = append(parts, fitWidth(w.st.WatchLabel.Render(truncate(label, w.width)), w.width))
	}
	if streamH > 0 {
		parts = append(parts, fit(w.visibleStream(), w.width, streamH))
	}
	return strings.Join(parts, "\n")
}
