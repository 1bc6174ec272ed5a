package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// decodeTable decodes a Table in one pass and keeps the errors it gave when it looked at the
// kind first: another kind is named, broken JSON and trailing bytes are undecodable, and a
// Table whose rows do not fit is an undecodable Table.
func TestDecodeTable(t *testing.T) {
	tbl, err := decodeTable([]byte(`{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},` +
		`"columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"","priority":0}],` +
		`"rows":[{"cells":["web-0",3],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"web-0"}}}]}` + "\n"))
	if err != nil || tbl.Metadata.ResourceVersion != "7" || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "web-0" {
		t.Fatalf("valid Table: %+v, %v", tbl, err)
	}
	if n, ok := tbl.Rows[0].Cells[1].(json.Number); !ok || n.String() != "3" {
		t.Fatalf("numbers are kept as written: %T %v", tbl.Rows[0].Cells[1], tbl.Rows[0].Cells[1])
	}
	for _, c := range []struct{ raw, want string }{
		{`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}`, `the server answered "Pod", not a Table`},
		{`{"kind":"Status","rows":"nope"}`, `the server answered "Status", not a Table`},
		{`{"kind":"Table","rows":"nope"}`, `undecodable Table`},
		{`{"kind":"Table"`, `undecodable response`},
		{`{"kind":"Table"} garbage`, `undecodable response: invalid character 'g' after top-level value`},
		{`<html>`, `undecodable response`},
	} {
		if _, err := decodeTable([]byte(c.raw)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.raw, err, c.want)
		}
	}
}

// watchFrames runs watchFrom of a Table watch over a server that sends body as the watch
// stream, and returns the events it sent, the resume version and watchFrom's error.
func watchFrames(t *testing.T, body string) ([]TableEvent, string, error) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	rc, err := rest.RESTClientFor(&rest.Config{Host: srv.URL, APIPath: "/api",
		ContentConfig: rest.ContentConfig{GroupVersion: &schema.GroupVersion{Version: "v1"},
			NegotiatedSerializer: scheme.Codecs.WithoutConversion()}})
	if err != nil {
		t.Fatal(err)
	}
	w := &tableWatch{rc: rc, resource: "pods", ns: "default", out: make(chan TableEvent, 16)}
	rv := "1"
	_, err = watchFrom(context.Background(), w, &rv)
	close(w.out)
	var evs []TableEvent
	for ev := range w.out {
		evs = append(evs, ev)
	}
	return evs, rv, err
}

// A Table watch decodes each frame in one pass and reads it as it did frame by frame: rows
// with their metadata and numbers as written, columns kept from an earlier event, the
// resume version from the last row, a bookmark's version whatever its object, a Status in
// an ERROR frame, and the errors of a frame that is not a Table.
func TestWatchTableFrames(t *testing.T) {
	cols := `"columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"","priority":0},` +
		`{"name":"Restarts","type":"integer","format":"","description":"","priority":0},` +
		`{"name":"IP","type":"string","format":"","description":"","priority":1}]`
	row := func(name, rv string, restarts int) string {
		return fmt.Sprintf(`{"cells":[%q,%d,"10.0.0.1"],"object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",`+
			`"metadata":{"name":%q,"resourceVersion":%q,"creationTimestamp":"2026-12-07T10:00:00Z",`+
			`"managedFields":[{"manager":"m","fieldsV1":{"f:status":{}}}]}}}`, name, restarts, name, rv)
	}
	evs, rv, err := watchFrames(t,
		`{"type":"ADDED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"5"},`+cols+`,"rows":[`+row("web-0", "5", 0)+`]}}`+"\n"+
			`{"type":"MODIFIED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},"rows":[`+row("web-0", "6", 1)+","+row("web-1", "7", 2)+`]}}`+"\n"+
			`{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"9"},"status":{"phase":"Running"}}}`+"\n")
	if err != nil {
		t.Fatalf("watchFrom: %v", err)
	}
	if rv != "9" {
		t.Errorf("resume version %q, want the bookmark's 9", rv)
	}
	if len(evs) != 3 {
		t.Fatalf("events %+v, want 3", evs)
	}
	created := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i, want := range []struct{ typ, name, rv, restarts string }{{"ADDED", "web-0", "5", "0"}, {"MODIFIED", "web-0", "6", "1"}, {"MODIFIED", "web-1", "7", "2"}} {
		ev := evs[i]
		if ev.Type != want.typ || ev.Name != want.name || ev.ResourceVersion != want.rv || !ev.Created.Equal(created) ||
			!slices.Equal(ev.Columns, []string{"NAME", "RESTARTS"}) || !slices.Equal(ev.Cells, []string{want.name, want.restarts}) {
			t.Errorf("event %d: %+v, want %+v", i, ev, want)
		}
	}

	for i, ev := range evs {
		if ev.Object != nil {
			t.Errorf("event %d: a row with only its metadata carries Object %s", i, ev.Object)
		}
	}
	// includeObject=Object: the row's whole object comes with the event, as sent.
	pod := `{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","resourceVersion":"8","creationTimestamp":"2026-12-07T10:00:00Z"},"status":{"phase":"Running"}}`
	evs, _, err = watchFrames(t, `{"type":"MODIFIED","object":{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"8"},`+cols+
		`,"rows":[{"cells":["web-0",0,"10.0.0.1"],"object":`+pod+`}]}}`+"\n")
	if err != nil || len(evs) != 1 || string(evs[0].Object) != pod || evs[0].Name != "web-0" || evs[0].ResourceVersion != "8" {
		t.Fatalf("row with its whole object: %+v, %v", evs, err)
	}

	_, _, err = watchFrames(t, `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old","reason":"Expired","code":410}}`+"\n")
	if !errors.Is(err, errGone) {
		t.Errorf("410 ERROR frame: %v, want errGone", err)
	}
	_, _, err = watchFrames(t, `{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"no way","reason":"Forbidden","code":403}}`+"\n")
	var st *apierrors.StatusError
	if !errors.As(err, &st) || st.ErrStatus.Code != 403 || st.ErrStatus.Message != "no way" || st.ErrStatus.Status != "Failure" {
		t.Errorf("403 ERROR frame: %v, want its Status", err)
	}
	for _, c := range []struct{ body, want string }{
		{`{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"},"status":{"phase":"Running"}}}`, `the server answered "Pod", not a Table`},
		{`{"type":"ADDED","object":{"kind":"Table","rows":"nope"}}`, `undecodable Table`},
		{`{"type":"ERROR","object":{"kind":"Status","code":"x"}}`, `undecodable error event`},
		{`{"type":"ADDED","object":{"kind":"Table"`, ``}, // cut: the stream ended, resume
		{`{"type":"ADDED","object":<html>}`, `undecodable event`},
		{`{"type":"SURPRISE","object":{}}`, `unknown event type "SURPRISE"`},
	} {
		_, _, err := watchFrames(t, c.body+"\n")
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: error %v, want %q", c.body, err, c.want)
		}
	}
}
