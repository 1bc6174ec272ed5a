package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"

	"github.com/kubetutor/kubetutor/engine/termsafe"
)

// tableAccept asks for server-side Table rows, as kubectl get does.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

const (
	backoffFirst = time.Second
	backoffMax   = 30 * time.Second
	listChunk    = 500
)

// WatchTable lists then watches a resource in the session's namespace as server-side Table
// rows. The channel closes when ctx ends.
//
// resource is what kubectl get takes: a plural, singular or short name, optionally with its
// group ("pods", "po", "pvc", "sts", "statefulsets.apps"). selector is a label selector ("" for
// all). An unknown resource or a malformed selector is an error here; failures after that
// arrive as ERROR events while the watch retries (backing off on the session's clock). A watch
// the server ends resumes from the last resourceVersion seen, so no row is lost or repeated;
// when that version is gone (410) it relists and sends RESYNC. See TableEvent for the stream.
func (s *Session) WatchTable(ctx context.Context, resource, selector string) (<-chan TableEvent, error) {
	if _, err := labels.Parse(selector); err != nil {
		return nil, fmt.Errorf("engine: label selector %q: %w", selector, err)
	}
	gvr, namespaced, err := s.resolveResource(resource)
	if err != nil {
		return nil, err
	}
	rc, err := s.restClientFor(gvr, tableAccept)
	if err != nil {
		return nil, err
	}
	w := &tableWatch{
		s:        s,
		rc:       rc,
		resource: gvr.Resource,
		selector: selector,
		out:      make(chan TableEvent, 64),
	}
	if namespaced {
		w.ns = s.ns
	}
	go func() {
		defer close(w.out)
		runResumable(ctx, s.clk, w)
	}()
	return w.out, nil
}

// resolveResource maps what a user types to a resource through discovery.
func (s *Session) resolveResource(resource string) (schema.GroupVersionResource, bool, error) {
	resource = strings.ToLower(strings.TrimSpace(resource))
	if resource == "" || strings.ContainsAny(resource, "/ ") {
		return schema.GroupVersionResource{}, false, fmt.Errorf("engine: %q is not a resource name", resource)
	}
	mapper, disco, err := s.restMapper()
	if err != nil {
		return schema.GroupVersionResource{}, false, err
	}
	lookup := func() (schema.GroupVersionResource, bool, error) {
		full, gr := schema.ParseResourceArg(resource)
		var gvr schema.GroupVersionResource
		var err error
		if full != nil {
			gvr, err = mapper.ResourceFor(*full)
		}
		if full == nil || err != nil {
			gvr, err = mapper.ResourceFor(gr.WithVersion(""))
		}
		if err != nil {
			return gvr, false, err
		}
		gvk, err := mapper.KindFor(gvr)
		if err != nil {
			return gvr, false, err
		}
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return gvr, false, err
		}
		return m.Resource, m.Scope.Name() == meta.RESTScopeNameNamespace, nil
	}
	gvr, namespaced, err := lookup()
	if err != nil && meta.IsNoMatchError(err) {
		// The type may be new since discovery was cached (a CRD just created).
		disco.Invalidate()
		gvr, namespaced, err = lookup()
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return gvr, false, fmt.Errorf("engine: the server doesn't have a resource type %q", resource)
		}
		return gvr, false, fmt.Errorf("engine: resolving %q: %w", resource, err)
	}
	return gvr, namespaced, nil
}

type tableWatch struct {
	s        *Session
	rc       *rest.RESTClient
	ns       string
	resource string
	selector string
	out      chan TableEvent

	columns []metav1.TableColumnDefinition
	// visible and visibleIdx are columns' priority-0 names and indexes, made again only when
	// the server sends other columns (every event of a watch shares them).
	visible    []string
	visibleIdx []int
}

// errGone marks a resourceVersion the server no longer has history for.
var errGone = errors.New("resource version too old")

// streamSource is one kind of list-then-watch stream (table rows, full objects) for
// runResumable, which owns the retry policy both share.
type streamSource interface {
	// list reads the current state and its resourceVersion; deliver sends it, after a
	// resync marker when resync is set.
	list(ctx context.Context) (rv string, deliver func(resync bool) bool, err error)
	// request is the GET both the list and the watch are built on.
	request() *rest.Request
	// newObject is where a watch frame's object is decoded, in the same pass as the frame.
	newObject() frameObject
	// event handles one ADDED/MODIFIED/DELETED frame's object (from newObject) and returns
	// the version to resume after ("" keeps the last one); false stops the stream (ctx ended).
	event(ctx context.Context, typ string, obj frameObject) (rv string, ok bool, err error)
	// fail reports an error to the stream's reader; false when ctx ended.
	fail(ctx context.Context, err error) bool
	name() string
}

// runResumable lists, then watches from the list's version, resuming from the last version
// seen when the server ends the stream, relisting (with a resync) on 410 Gone, and backing
// off on the session's clock after errors, until ctx ends.
func runResumable(ctx context.Context, clk clock.Clock, src streamSource) {
	backoff := time.Duration(0)
	listed, resync := false, false
	rv := ""
	// fail reports err and waits out the next backoff; false when ctx ended. The timer is
	// armed before the ERROR event is sent, so a test that sees the event can step a fake
	// clock past it.
	fail := func(err error) bool {
		backoff = nextBackoff(backoff)
		t := clk.NewTimer(backoff)
		defer t.Stop()
		if err != nil && !src.fail(ctx, err) {
			return false
		}
		select {
		case <-t.C():
			return true
		case <-ctx.Done():
			return false
		}
	}
	for ctx.Err() == nil {
		if !listed {
			v, deliver, err := src.list(ctx)
			if err != nil {
				if ctx.Err() != nil || !fail(err) {
					return
				}
				continue
			}
			if !deliver(resync) {
				return
			}
			rv, listed, backoff = v, true, 0
		}
		got, err := watchFrom(ctx, src, &rv)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, errGone):
			listed, resync, backoff = false, true, 0
		case err != nil:
			if !fail(err) {
				return
			}
		case got:
			// The server ended a healthy watch (timeout, restart): resume at once.
			backoff = 0
		default:
			// Ended before any event: resume, but do not hammer a server that closes at once.
			if !fail(nil) {
				return
			}
		}
	}
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return backoffFirst
	}
	return min(2*d, backoffMax)
}

func (w *tableWatch) send(ctx context.Context, ev TableEvent) bool {
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *tableWatch) name() string { return w.resource }

func (w *tableWatch) fail(ctx context.Context, err error) bool {
	return w.send(ctx, TableEvent{Type: "ERROR", Err: err})
}

func (w *tableWatch) newObject() frameObject { return &tableObject{} }

func (w *tableWatch) request() *rest.Request {
	// Each row brings its whole object: the player keeps the versions rows printed from
	// these, instead of from a second watch (an object watch) of the same objects, whose
	// stream cost as much again per event.
	return listRequest(w.rc, w.resource, w.ns, w.selector, tableAccept).Param("includeObject", "Object")
}

// listRequest is a GET of a resource's collection in ns (all namespaces when empty), with a
// label selector when one is given.
func listRequest(rc *rest.RESTClient, resource, ns, selector, accept string) *rest.Request {
	r := rc.Get().Resource(resource).SetHeader("Accept", accept)
	if ns != "" {
		r = r.Namespace(ns)
	}
	if selector != "" {
		r = r.Param("labelSelector", selector)
	}
	return r
}

// listPages reads a list in chunks of listChunk, following continue tokens; page decodes
// one response and returns its resourceVersion and continue token. The list's
// resourceVersion is the first page's, as every page of one list reports it.
func listPages(ctx context.Context, resource string, req func() *rest.Request, page func(raw []byte) (rv, cont string, err error)) (string, error) {
	rv, cont := "", ""
	for {
		r := req().Param("limit", fmt.Sprint(listChunk))
		if cont != "" {
			r = r.Param("continue", cont)
		}
		raw, err := r.Do(ctx).Raw()
		if err != nil {
			return "", fmt.Errorf("listing %s: %w", resource, err)
		}
		prv, next, err := page(raw)
		if err != nil {
			return "", fmt.Errorf("listing %s: %w", resource, err)
		}
		if rv == "" {
			rv = prv
		}
		if cont = next; cont == "" {
			return rv, nil
		}
	}
}

// list reads every row (in chunks) and the list's resourceVersion.
func (w *tableWatch) list(ctx context.Context) (string, func(bool) bool, error) {
	var rows []tableRow
	rv, err := listPages(ctx, w.resource, w.request, func(raw []byte) (string, string, error) {
		t, err := decodeTable(raw)
		if err != nil {
			return "", "", err
		}
		w.setColumns(t.ColumnDefinitions)
		rows = append(rows, t.Rows...)
		return t.Metadata.ResourceVersion, t.Metadata.Continue, nil
	})
	if err != nil {
		return "", nil, err
	}
	return rv, func(resync bool) bool {
		if resync && !w.send(ctx, TableEvent{Type: "RESYNC"}) {
			return false
		}
		return w.sendRows(ctx, "LIST", rows, true)
	}, nil
}

func (w *tableWatch) event(ctx context.Context, typ string, obj frameObject) (string, bool, error) {
	t := obj.(*tableObject)
	if err := t.check(nil); err != nil {
		return "", true, err
	}
	w.setColumns(t.ColumnDefinitions)
	if !w.sendRows(ctx, typ, t.Rows, false) {
		return "", false, nil
	}
	// Resume after this event; the rows carry their own versions, the Table's metadata is a
	// fallback for servers that leave objects out.
	if v := lastRowRV(t.Rows); v != "" {
		return v, true, nil
	}
	return t.Metadata.ResourceVersion, true, nil
}

// watchFrame is one watch event. Object holds the source's newObject, so the event's object
// is decoded in the frame's own pass: a Table event used to be scanned five times (the frame,
// the Table twice, each row's metadata twice), which was most of a Table watch's CPU.
type watchFrame struct {
	Type   string      `json:"type"`
	Object frameObject `json:"object"`
}

// frameObject is a watch frame's decoded object: what a BOOKMARK and an ERROR frame need of
// it, and the reading of a decoding error.
type frameObject interface {
	// bookmark is the object's metadata.resourceVersion.
	bookmark() string
	// status is an ERROR frame's Status.
	status() (metav1.Status, error)
	// check says what a frame's decoding error (or, with nil, a decoded object) means for an
	// ADDED/MODIFIED/DELETED frame; nil when the object is usable.
	check(decodeErr error) error
}

// rawObject keeps an object's JSON as it came (a json.RawMessage) for a source that decodes
// it later or never.
type rawObject []byte

func (r *rawObject) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

func (r *rawObject) bookmark() string {
	var m struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if json.Unmarshal(*r, &m) != nil {
		return ""
	}
	return m.Metadata.ResourceVersion
}

func (r *rawObject) status() (metav1.Status, error) {
	var st metav1.Status
	err := json.Unmarshal(*r, &st)
	return st, err
}

func (r *rawObject) check(err error) error { return err }

// tableObject is a Table as a watch or list sends it, with each row's object metadata, and
// the fields of a Status so that an ERROR frame decodes into it too.
type tableObject struct {
	Kind     string `json:"kind"`
	Metadata struct {
		ResourceVersion string `json:"resourceVersion"`
		Continue        string `json:"continue"`
	} `json:"metadata"`
	ColumnDefinitions []metav1.TableColumnDefinition `json:"columnDefinitions"`
	Rows              []tableRow                     `json:"rows"`

	// Status stays raw: in an object that is not a Status (a server that ignored the Table
	// request, a bookmark) it is an object, which must not fail the frame's decoding.
	Status  json.RawMessage       `json:"status"`
	Message string                `json:"message"`
	Reason  metav1.StatusReason   `json:"reason"`
	Details *metav1.StatusDetails `json:"details"`
	Code    int32                 `json:"code"`
}

// tableRow is a Table row: its cells (numbers kept as written) and its object, kept as JSON
// with its metadata decoded once.
type tableRow struct {
	Cells  []any     `json:"cells"`
	Object rowObject `json:"object"`
}

// rowObject is a row's object: its JSON as sent (whole with includeObject=Object, its
// metadata with Metadata) and the metadata the watch reads.
type rowObject struct {
	raw []byte
	rowMeta
}

func (o *rowObject) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*o = rowObject{}
		return nil
	}
	o.raw = append(o.raw[:0:0], b...)
	o.rowMeta = rowMeta{}
	_ = json.Unmarshal(b, &o.rowMeta) // a row without readable metadata still shows its cells
	return nil
}

// whole is the object's JSON when the row carries the whole object, not only its metadata.
func (o *rowObject) whole() json.RawMessage {
	if o.Kind == "" || o.Kind == "PartialObjectMetadata" {
		return nil
	}
	return o.raw
}

func (t *tableObject) bookmark() string { return t.Metadata.ResourceVersion }

func (t *tableObject) status() (metav1.Status, error) {
	st := metav1.Status{Message: t.Message, Reason: t.Reason, Details: t.Details, Code: t.Code}
	if len(t.Status) > 0 {
		if err := json.Unmarshal(t.Status, &st.Status); err != nil {
			return st, err
		}
	}
	return st, nil
}

// check: another kind is named; a Table whose fields do not fit is an undecodable Table.
func (t *tableObject) check(err error) error {
	if t.Kind != "Table" {
		return notTable(t.Kind)
	}
	if err != nil {
		return fmt.Errorf("undecodable Table: %w", err)
	}
	return nil
}

// watchFrom streams src's events from *rv until the stream ends, moving *rv past each
// event. got reports whether any event came.
func watchFrom(ctx context.Context, src streamSource, rv *string) (got bool, err error) {
	body, err := src.request().
		Param("watch", "true").
		Param("resourceVersion", *rv).
		Stream(ctx)
	if err != nil {
		if apierrors.IsResourceExpired(err) || apierrors.IsGone(err) {
			return false, errGone
		}
		return false, fmt.Errorf("watching %s: %w", src.name(), err)
	}
	defer body.Close()
	dec := json.NewDecoder(body)
	dec.UseNumber() // a Table's cells keep their numbers as written
	for {
		f := watchFrame{Object: src.newObject()}
		err := dec.Decode(&f)
		if typ := (*json.UnmarshalTypeError)(nil); err != nil && ctx.Err() == nil && errors.As(err, &typ) {
			// The frame was read whole, but its object does not fit what the stream carries.
			switch f.Type {
			case "ADDED", "MODIFIED", "DELETED":
				if cerr := f.Object.check(err); cerr != err {
					return got, fmt.Errorf("watching %s: %w", src.name(), cerr)
				}
			case "ERROR":
				return got, fmt.Errorf("watching %s: undecodable error event: %w", src.name(), err)
			case "BOOKMARK":
				err = nil // only its resourceVersion is read, as before
			}
		}
		if err != nil {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			if ctx.Err() == nil && (errors.As(err, &syn) || errors.As(err, &typ)) {
				return got, fmt.Errorf("watching %s: undecodable event: %w", src.name(), err)
			}
			// The server ended the stream or the connection was cut: resume from *rv.
			return got, nil
		}
		got = true
		switch f.Type {
		case "ADDED", "MODIFIED", "DELETED":
			v, ok, err := src.event(ctx, f.Type, f.Object)
			if err != nil {
				return got, fmt.Errorf("watching %s: %w", src.name(), err)
			}
			if !ok {
				return got, nil
			}
			if v != "" {
				*rv = v
			}
		case "BOOKMARK":
			if v := f.Object.bookmark(); v != "" {
				*rv = v
			}
		case "ERROR":
			st, err := f.Object.status()
			if err != nil {
				return got, fmt.Errorf("watching %s: undecodable error event: %w", src.name(), err)
			}
			if st.Code == http.StatusGone || st.Reason == metav1.StatusReasonExpired || st.Reason == metav1.StatusReasonGone {
				return got, errGone
			}
			return got, fmt.Errorf("watching %s: %w", src.name(), &apierrors.StatusError{ErrStatus: st})
		default:
			return got, fmt.Errorf("watching %s: unknown event type %q", src.name(), f.Type)
		}
	}
}

// decodeTable reads a meta.k8s.io/v1 Table, keeping numbers as written.
// One pass over the bytes (a watch event is decoded once, not once for its kind and again
// for its rows); the kind is checked after, and a failed decode is explained by a look at
// the kind alone.
func decodeTable(raw []byte) (*tableObject, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var t tableObject
	if err := dec.Decode(&t); err != nil {
		var head metav1.TypeMeta
		if herr := json.Unmarshal(raw, &head); herr != nil {
			return nil, fmt.Errorf("undecodable response: %w", herr)
		}
		if head.Kind != "Table" {
			return nil, notTable(head.Kind)
		}
		return nil, fmt.Errorf("undecodable Table: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		// Trailing bytes: json.Unmarshal names them as it did before this one-pass decode.
		var head metav1.TypeMeta
		if herr := json.Unmarshal(raw, &head); herr != nil {
			return nil, fmt.Errorf("undecodable response: %w", herr)
		}
	}
	if t.Kind != "Table" {
		return nil, notTable(t.Kind)
	}
	return &t, nil
}

func notTable(kind string) error {
	return fmt.Errorf("the server answered %q, not a Table (does it support server-side printing?)", kind)
}

type rowMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name              string      `json:"name"`
		ResourceVersion   string      `json:"resourceVersion"`
		CreationTimestamp metav1.Time `json:"creationTimestamp"`
	} `json:"metadata"`
}

func lastRowRV(rows []tableRow) string {
	for i := len(rows) - 1; i >= 0; i-- {
		if v := rows[i].Object.Metadata.ResourceVersion; v != "" {
			return v
		}
	}
	return ""
}

// sendRows turns rows into events; with marker, an empty list still sends one event.
func (w *tableWatch) sendRows(ctx context.Context, typ string, rows []tableRow, marker bool) bool {
	cols, idx := w.visible, w.visibleIdx
	if len(rows) == 0 && marker {
		return w.send(ctx, TableEvent{Type: typ, Columns: cols})
	}
	for i := range rows {
		r, m := &rows[i], &rows[i].Object
		ev := TableEvent{
			Type:            typ,
			Columns:         cols,
			Name:            m.Metadata.Name,
			Cells:           make([]string, len(idx)),
			ResourceVersion: m.Metadata.ResourceVersion,
			Created:         m.Metadata.CreationTimestamp.Time,
			Object:          m.whole(),
		}
		for j, i := range idx {
			if i < len(r.Cells) {
				ev.Cells[j] = termsafe.Plain(cellString(r.Cells[i])) // object data, Event messages
			}
			if ev.Name == "" && i < len(r.Cells) && w.columns[i].Format == "name" {
				ev.Name = ev.Cells[j]
			}
		}
		if !w.send(ctx, ev) {
			return false
		}
	}
	return true
}

// setColumns keeps the server's column definitions when it sent some (a watch event may
// leave them out), and kubectl's default (priority 0) columns of them, named as kubectl
// prints them. Events share the names; a reader must not change them.
func (w *tableWatch) setColumns(defs []metav1.TableColumnDefinition) {
	if len(defs) == 0 || slices.Equal(defs, w.columns) {
		return
	}
	w.columns = defs
	w.visible, w.visibleIdx = nil, nil
	for i, c := range defs {
		if c.Priority != 0 {
			continue
		}
		w.visible = append(w.visible, strings.ToUpper(c.Name))
		w.visibleIdx = append(w.visibleIdx, i)
	}
}

func cellString(v any) string {
	switch c := v.(type) {
	case nil:
		return "<none>"
	case string:
		return c
	default:
		return fmt.Sprint(c)
	}
}
