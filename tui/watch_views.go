package tui

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubetutor/kubetutor/lessons"
)

// Lister reads the objects of a resource in the session's namespace (every namespace for a
// cluster-scoped one) once; the picture views of the watch pane poll it.
type Lister func(ctx context.Context, resource, selector string) ([]unstructured.Unstructured, error)

// watchView is what the watch pane shows; v cycles through them.
type watchView int

const (
	viewStep    watchView = iota // the step's own watch: table + -w stream
	viewSet                      // one box per StatefulSet ordinal
	viewVolumes                  // PVCs and PVs
	viewEvents                   // Events, the simulator's "why" marked
	viewStatus                   // the StatefulSets' status fields
	viewCount
)

// whyReasonPrefix starts the reason of every explanatory Event the simulator writes.
const whyReasonPrefix = "Why"

// pollTimeout bounds one poll of a picture view.
const pollTimeout = 5 * time.Second

// viewDataMsg carries one poll of a picture view.
type viewDataMsg struct {
	gen  int64
	view watchView
	data viewData
}

type viewData struct {
	sets, pods, pvcs, pvs []unstructured.Unstructured
	err                   error
}

func (w *watchPane) viewName(v watchView) string {
	switch v {
	case viewSet:
		return w.t.ViewSet
	case viewVolumes:
		return w.t.ViewVolumes
	case viewEvents:
		return w.t.ViewEvents
	case viewStatus:
		return w.t.ViewStatus
	}
	if w.stepSpec.Resource != "" {
		return w.stepSpec.Resource
	}
	return w.t.ViewPods
}

// polled reports whether a view is drawn from polled objects rather than a table watch.
func (v watchView) polled() bool { return v == viewSet || v == viewVolumes || v == viewStatus }

// nextView is the v key: the next view, with its watch or first poll.
func (w *watchPane) nextView(ctx context.Context) tea.Cmd {
	w.mode = (w.mode + 1) % viewCount
	if w.mode.polled() && w.lister == nil {
		w.mode = viewEvents // nothing to poll with: the table views still work
	}
	w.data = viewData{}
	w.polledOnce = false
	return tea.Batch(w.start(ctx, w.cluster, w.stepSpec), w.poll())
}

// effectiveSpec is what the table watch follows in the current view.
func (w *watchPane) effectiveSpec(step lessons.Watch) lessons.Watch {
	switch {
	case w.mode == viewEvents:
		return lessons.Watch{Resource: "events"}
	case w.mode.polled():
		return lessons.Watch{} // no table watch
	}
	return step
}

// poll lists what the current picture view draws, in a Cmd; one poll at a time.
func (w *watchPane) poll() tea.Cmd {
	if !w.mode.polled() || w.lister == nil || w.polling {
		return nil
	}
	ctx := w.pollCtx
	if ctx == nil {
		return nil
	}
	w.polling = true
	list, gen, view, sel := w.lister, w.gen, w.mode, w.stepSpec.Selector
	return func() tea.Msg {
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		defer cancel()
		var d viewData
		get := func(res, selector string) []unstructured.Unstructured {
			if d.err != nil {
				return nil
			}
			items, err := list(pctx, res, selector)
			if err != nil {
				d.err = err
			}
			return items
		}
		d.sets = get("statefulsets", "")
		switch view {
		case viewSet:
			d.pods = get("pods", sel)
			d.pvcs = get("persistentvolumeclaims", "")
		case viewVolumes:
			d.pvcs = get("persistentvolumeclaims", "")
			d.pvs = get("persistentvolumes", "")
		}
		if ctx.Err() != nil {
			return nil
		}
		return viewDataMsg{gen: gen, view: view, data: d}
	}
}

func (w *watchPane) handleViewData(msg viewDataMsg) tea.Cmd {
	if msg.gen != w.gen {
		return nil
	}
	w.polling = false
	if msg.view != w.mode {
		return nil
	}
	w.data, w.polledOnce = msg.data, true
	w.refresh()
	return nil
}

// pictureLines renders a polled view.
func (w *watchPane) pictureLines() []string {
	if !w.polledOnce {
		return []string{w.st.Dim.Render(w.t.Loading)}
	}
	var lines []string
	if w.data.err != nil {
		lines = append(lines, w.st.Error.Render(w.data.err.Error()))
	}
	switch w.mode {
	case viewSet:
		lines = append(lines, w.setPicture()...)
	case viewVolumes:
		lines = append(lines, w.volumeLines()...)
	case viewStatus:
		lines = append(lines, w.statusLines()...)
	}
	return lines
}

func str(o unstructured.Unstructured, path ...string) string {
	v, found, err := unstructured.NestedFieldNoCopy(o.Object, path...)
	if !found || err != nil || v == nil {
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func byName(items []unstructured.Unstructured) map[string]unstructured.Unstructured {
	m := make(map[string]unstructured.Unstructured, len(items))
	for _, o := range items {
		m[o.GetName()] = o
	}
	return m
}

// shortRev is a revision name without its "<set>-" prefix: the hash learners compare.
func shortRev(set, rev string) string {
	return strings.TrimPrefix(rev, set+"-")
}

// podStatus is a pod's state in a word, as the STATUS column would say it.
func podStatus(p unstructured.Unstructured) (string, bool) {
	if p.GetDeletionTimestamp() != nil {
		return "Terminating", false
	}
	phase := str(p, "status", "phase")
	ready := false
	conds, _, _ := unstructured.NestedSlice(p.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Ready" && m["status"] == "True" {
			ready = true
		}
	}
	if phase == "Pending" {
		cs, _, _ := unstructured.NestedSlice(p.Object, "status", "containerStatuses")
		for _, c := range cs {
			if m, ok := c.(map[string]any); ok {
				if st, ok := m["state"].(map[string]any); ok {
					if wt, ok := st["waiting"].(map[string]any); ok {
						if r, ok := wt["reason"].(string); ok && r != "" {
							phase = r
						}
					}
				}
			}
		}
	}
	if phase == "" {
		phase = "Pending"
	}
	return phase, ready
}

// setPicture draws one box per ordinal of each StatefulSet: the pod's status, its revision
// (★ when it is the update revision) and its claims, with the partition drawn as a bar, so
// ordering and staged updates can be seen at a glance.
func (w *watchPane) setPicture() []string {
	if len(w.data.sets) == 0 {
		return []string{w.st.Dim.Render(w.t.NoSet)}
	}
	pods, pvcs := byName(w.data.pods), byName(w.data.pvcs)
	const boxW = 16
	var out []string
	for _, set := range w.data.sets {
		name := set.GetName()
		replicas, _, _ := unstructured.NestedInt64(set.Object, "spec", "replicas")
		partition, hasPartition, _ := unstructured.NestedInt64(set.Object, "spec", "updateStrategy", "rollingUpdate", "partition")
		update := str(set, "status", "updateRevision")
		current := str(set, "status", "currentRevision")
		head := fmt.Sprintf("%s · %s/%d ready · %s %s", name, orZero(str(set, "status", "readyReplicas")), replicas,
			w.t.Revision, shortRev(name, update))
		if hasPartition && partition > 0 {
			head += fmt.Sprintf(" · %s %d", w.t.Partition, partition)
		}
		out = append(out, w.st.TableHeader.Render(truncate(head, w.width)))
		var templates []string
		vcts, _, _ := unstructured.NestedSlice(set.Object, "spec", "volumeClaimTemplates")
		for _, t := range vcts {
			if m, ok := t.(map[string]any); ok {
				if md, ok := m["metadata"].(map[string]any); ok {
					if n, ok := md["name"].(string); ok {
						templates = append(templates, n)
					}
				}
			}
		}
		// Ordinals: every wanted one, plus pods still around above it (scaling down).
		n := int(replicas)
		for pn := range pods {
			if ord, ok := ordinalOf(name, pn); ok && ord+1 > n {
				n = ord + 1
			}
		}
		var boxes []string
		for i := 0; i < n; i++ {
			pn := fmt.Sprintf("%s-%d", name, i)
			lines := []string{}
			style := w.st.Dim
			if p, ok := pods[pn]; ok {
				status, ready := podStatus(p)
				mark := ""
				if ready {
					mark = " ✓"
				}
				if s, ok := w.st.statusStyle(status); ok {
					style = s
				} else {
					style = w.st.NewStyle()
				}
				lines = append(lines, status+mark)
				rev := p.GetLabels()["controller-revision-hash"]
				r := w.t.Revision + " " + shortRev(name, rev)
				if rev != "" && rev == update && update != current {
					r += " ★"
				}
				lines = append(lines, r)
			} else {
				lines = append(lines, "–", "")
			}
			for _, t := range templates {
				c, ok := pvcs[fmt.Sprintf("%s-%s-%d", t, name, i)]
				phase := "–"
				if ok {
					phase = str(c, "status", "phase")
				}
				lines = append(lines, w.t.Claim+" "+phase)
			}
			if hasPartition && partition > 0 && int64(i) == partition {
				lines = append(lines, "▲ "+w.t.Partition)
			}
			box := w.st.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(style.GetForeground()).
				Width(boxW - 2).Render(fitLines(pn, lines, boxW-2))
			boxes = append(boxes, box)
		}
		out = append(out, wrapBoxes(boxes, w.width)...)
	}
	return out
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// fitLines is a box's text: the pod name, then its lines, each cut to w cells.
func fitLines(title string, lines []string, w int) string {
	out := []string{truncate(title, w)}
	for _, l := range lines {
		out = append(out, truncate(l, w))
	}
	return strings.Join(out, "\n")
}

// wrapBoxes lays boxes left to right, starting a new row when the width is used up.
func wrapBoxes(boxes []string, width int) []string {
	var out []string
	var row []string
	rowW := 0
	flush := func() {
		if len(row) > 0 {
			out = append(out, strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, row...), "\n")...)
		}
		row, rowW = nil, 0
	}
	for _, b := range boxes {
		bw := lipgloss.Width(b)
		if rowW > 0 && rowW+bw > width {
			flush()
		}
		row = append(row, b)
		rowW += bw
	}
	flush()
	return out
}

func ordinalOf(set, pod string) (int, bool) {
	rest, ok := strings.CutPrefix(pod, set+"-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n >= 0
}

// volumeLines lists the claims and the volumes bound to them.
func (w *watchPane) volumeLines() []string {
	if len(w.data.pvcs) == 0 && len(w.data.pvs) == 0 {
		return []string{w.st.Dim.Render(w.t.NoClaims)}
	}
	sortByName(w.data.pvcs)
	sortByName(w.data.pvs)
	var rows [][]string
	for _, c := range w.data.pvcs {
		rows = append(rows, []string{c.GetName(), str(c, "status", "phase"), str(c, "spec", "volumeName"), str(c, "status", "capacity", "storage")})
	}
	out := w.formatRows([]string{"PVC", "STATUS", "VOLUME", "CAPACITY"}, rows)
	rows = nil
	for _, v := range w.data.pvs {
		claim := str(v, "spec", "claimRef", "name")
		rows = append(rows, []string{v.GetName(), str(v, "status", "phase"), claim, str(v, "spec", "persistentVolumeReclaimPolicy")})
	}
	if len(rows) > 0 {
		out = append(out, "")
		out = append(out, w.formatRows([]string{"PV", "STATUS", "CLAIM", "RECLAIM"}, rows)...)
	}
	return out
}

func sortByName(items []unstructured.Unstructured) {
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
}

// statusLines shows each StatefulSet's spec knobs and status fields, the numbers the
// controller reports as it works.
func (w *watchPane) statusLines() []string {
	if len(w.data.sets) == 0 {
		return []string{w.st.Dim.Render(w.t.NoSet)}
	}
	var out []string
	for _, s := range w.data.sets {
		out = append(out, w.st.TableHeader.Render("statefulset/"+s.GetName()))
		field := func(k, v string) {
			if v != "" {
				out = append(out, fmt.Sprintf("  %-20s %s", k, v))
			}
		}
		field("spec.replicas", str(s, "spec", "replicas"))
		field("podManagementPolicy", str(s, "spec", "podManagementPolicy"))
		field("updateStrategy", str(s, "spec", "updateStrategy", "type"))
		field("partition", str(s, "spec", "updateStrategy", "rollingUpdate", "partition"))
		field("generation", fmt.Sprint(s.GetGeneration()))
		field("observedGeneration", str(s, "status", "observedGeneration"))
		for _, k := range []string{"replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"} {
			field(k, orZero(str(s, "status", k)))
		}
		field("currentRevision", str(s, "status", "currentRevision"))
		field("updateRevision", str(s, "status", "updateRevision"))
		field("collisionCount", str(s, "status", "collisionCount"))
	}
	return out
}

// isWhyRow reports whether an Events row is one of the simulator's explanations.
func (w *watchPane) isWhyRow(cells []string) bool {
	for i, c := range w.columns {
		if c == "REASON" && i < len(cells) {
			return strings.HasPrefix(cells[i], whyReasonPrefix)
		}
	}
	return false
}
