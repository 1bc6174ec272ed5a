package engine

import (
	"encoding/json"
	"strings"
	"testing"
)

// decodeTable decodes a Table in one pass and keeps the errors it gave when it looked at the
// kind first: another kind is named, broken JSON and trailing bytes are undecodable, and a
// Table whose rows do not fit is an undecodable Table.
func TestDecodeTable(t *testing.T) {
	tbl, err := decodeTable([]byte(`{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"7"},` +
		`"columnDefinitions":[{"name":"Name","type":"string","format":"name","description":"","priority":0}],` +
		`"rows":[{"cells":["web-0",3],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"web-0"}}}]}` + "\n"))
	if err != nil || tbl.ResourceVersion != "7" || len(tbl.Rows) != 1 || tbl.Rows[0].Cells[0] != "web-0" {
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
