package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubetutor/kubetutor/engine"
)

// ObjectEvent is one version of a watched object, for showing a stream row's object as it
// was at that moment.
type ObjectEvent = engine.ObjectEvent

// ObjectWatcher lists then watches full objects of a resource in the session's namespace.
type ObjectWatcher func(ctx context.Context, resource, selector string) (<-chan ObjectEvent, error)

// maxVersions bounds the versions kept per object.
const maxVersions = 64

// rowRef ties a stream line to the object version it printed.
type rowRef struct{ name, rv string }

type objWatchStartedMsg struct {
	gen int64
	ch  <-chan ObjectEvent
}

type objBatchMsg struct {
	gen    int64
	events []ObjectEvent
	ended  bool
}

// openObjects starts the object watch beside the table watch, when the player has one. It
// ends as soon as the table watch's rows turn out to carry their objects (rowObjects).
func (w *watchPane) openObjects() tea.Cmd {
	if w.objects == nil || w.ctx == nil || w.spec.Resource == "" {
		return nil
	}
	w.objCtx, w.objCancel = context.WithCancel(w.ctx)
	ctx, gen, watch, spec := w.objCtx, w.gen, w.objects, w.spec
	return func() tea.Msg {
		ch, err := watch(ctx, spec.Resource, spec.Selector)
		if err != nil || ctx.Err() != nil {
			return nil // rows then simply have no YAML to show
		}
		return objWatchStartedMsg{gen: gen, ch: ch}
	}
}

func waitObjects(ctx context.Context, gen int64, ch <-chan ObjectEvent, notBefore time.Time) tea.Cmd {
	return func() tea.Msg {
		batch, ended, ok := gather(ctx, ch, notBefore)
		if !ok {
			return nil
		}
		return objBatchMsg{gen: gen, events: batch, ended: ended}
	}
}

func (w *watchPane) handleObjStarted(msg objWatchStartedMsg) tea.Cmd {
	if msg.gen != w.gen || w.ctx == nil || w.rowObjects {
		return nil
	}
	w.objCh = msg.ch
	return waitObjects(w.objCtx, w.gen, w.objCh, time.Time{})
}

func (w *watchPane) handleObjBatch(msg objBatchMsg) tea.Cmd {
	if msg.gen != w.gen || w.ctx == nil || w.rowObjects {
		return nil
	}
	for _, ev := range msg.events {
		w.keepVersion(ev)
	}
	if msg.ended {
		return nil
	}
	return waitObjects(w.objCtx, w.gen, w.objCh, time.Now().Add(objectPace))
}

// keepVersion keeps an object version for the stream rows that printed it.
func (w *watchPane) keepVersion(ev ObjectEvent) {
	if ev.Object == nil && ev.Raw == nil {
		return
	}
	name, rv := ev.Key()
	vs := w.versions[name]
	if n := len(vs); n > 0 && vs[n-1].ResourceVersion == rv {
		return
	}
	ev.Name, ev.ResourceVersion = name, rv
	vs = append(vs, ev)
	if len(vs) > maxVersions {
		vs = vs[len(vs)-maxVersions:]
	}
	w.versions[name] = vs
}

// keepRowObject keeps the object a table row brought. The first one shows the table watch
// carries the objects: the object watch, a second stream of the same objects, ends.
func (w *watchPane) keepRowObject(ev engine.TableEvent) {
	if ev.Object == nil || ev.Name == "" {
		return
	}
	if !w.rowObjects {
		w.rowObjects = true
		if w.objCancel != nil {
			w.objCancel()
		}
		w.objCh = nil
	}
	typ := ev.Type
	if typ == "LIST" {
		typ = "ADDED" // as the object watch's list gives them
	}
	w.keepVersion(ObjectEvent{Type: typ, Raw: ev.Object, Name: ev.Name, ResourceVersion: ev.ResourceVersion})
}

// canInspect reports whether stream rows can show their objects.
func (w *watchPane) canInspect() bool {
	return (w.objects != nil || w.rowObjects) && len(w.refs) > 0 && !w.mode.polled()
}

// toggleInspect turns row selection on (at the newest row) or off.
func (w *watchPane) toggleInspect() {
	if w.selected >= 0 {
		w.selected = -1
	} else if len(w.refs) > 0 {
		w.selected = len(w.refs) - 1
	}
	w.refresh()
	w.showSelected()
}

// moveSelection moves the selected row and keeps it in view.
func (w *watchPane) moveSelection(d int) {
	if w.selected < 0 {
		return
	}
	w.selected = clamp(w.selected+d, 0, len(w.refs)-1)
	w.refresh()
	w.showSelected()
}

// showSelected scrolls the stream so the selected line (the header is line 0) is visible.
func (w *watchPane) showSelected() {
	if w.selected < 0 {
		return
	}
	line := w.rowLine(w.selected)
	if line < w.view.YOffset {
		w.view.SetYOffset(line)
	} else if line >= w.view.YOffset+w.view.Height {
		w.view.SetYOffset(line - w.view.Height + 1)
	}
}

// versionYAML is objectYAML of one recorded version, decoded now if the watch kept it encoded.
func versionYAML(v ObjectEvent) string {
	o, err := v.Decode()
	if err != nil {
		return err.Error()
	}
	if o == nil {
		return ""
	}
	return objectYAML(o)
}

// objectYAML renders an object without the noise a learner does not need.
func objectYAML(o *unstructured.Unstructured) string {
	c := o.DeepCopy()
	unstructured.RemoveNestedField(c.Object, "metadata", "managedFields")
	b, err := yaml.Marshal(c.Object)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// inspection is the selected row's object at that moment, with the lines that changed
// since its previous version marked: + added or changed, - removed.
func (w *watchPane) inspection() (title, body string) {
	if w.selected < 0 || w.selected >= len(w.refs) {
		return "", ""
	}
	ref := w.refs[w.selected]
	title = fmt.Sprintf("%s/%s @%s", w.spec.Resource, ref.name, ref.rv)
	vs := w.versions[ref.name]
	at := -1
	for i, v := range vs {
		if v.ResourceVersion == ref.rv {
			at = i
		}
	}
	if at < 0 {
		return title, w.st.Dim.Render(w.t.NotRecorded)
	}
	cur := strings.Split(strings.TrimRight(versionYAML(vs[at]), "\n"), "\n")
	if at == 0 {
		return title + " · " + w.t.FirstVersion, strings.Join(cur, "\n")
	}
	prev := strings.Split(strings.TrimRight(versionYAML(vs[at-1]), "\n"), "\n")
	title += fmt.Sprintf(" · %s @%s", w.t.ChangedSince, vs[at-1].ResourceVersion)
	var out []string
	for _, d := range diffLines(prev, cur) {
		switch d.op {
		case '+':
			out = append(out, w.st.StatusOK.Bold(true).Render("+ "+d.text))
		case '-':
			out = append(out, w.st.StatusBad.Render("- "+d.text))
		default:
			out = append(out, "  "+d.text)
		}
	}
	return title, strings.Join(out, "\n")
}

type diffLine struct {
	op   byte // ' ', '+', '-'
	text string
}

// diffLines is a line diff by longest common subsequence; objects are small.
func diffLines(a, b []string) []diffLine {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []diffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{' ', b[j]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, diffLine{'-', a[i]})
			i++
		default:
			out = append(out, diffLine{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{'-', a[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{'+', b[j]})
	}
	return out
}

// onWatchSelect is the watch pane's word that its selected row changed: the row's object
// shows in the output pane, and the watch takes the focus so ↑ ↓ move the selection.
func (v *lessonView) onWatchSelect() {
	v.showInspection()
	if v.watchP.selected >= 0 {
		v.setFocus(focusWatch)
	}
}

// showInspection puts the selected row's object in the output pane.
func (v *lessonView) showInspection() {
	title, body := v.watchP.inspection()
	if title == "" {
		v.outP.unpeek()
		return
	}
	v.outP.peek(title, body, "", false)
}

// ansiPlain drops styling, so a selected line can be drawn in one style.
func ansiPlain(s string) string { return ansi.Strip(s) }

// selectAt selects the stream row drawn at pane line y (0 is the pane's header), as a mouse
// click does; it reports whether a row was there.
func (w *watchPane) selectAt(y int) bool {
	if !w.canInspect() {
		return false
	}
	tableH, labelH, streamH := w.layout()
	start := 1 + tableH + labelH
	if y < start || y >= start+streamH {
		return false
	}
	row := w.lineRow(y - start + w.view.YOffset) // the stream's first line is its column header
	if row < 0 || row >= len(w.refs) {
		return false
	}
	w.selected = row
	w.refresh()
	return true
}
