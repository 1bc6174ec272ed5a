package api

import (
	"compress/gzip"
	"embed"
	"io"
	"strings"
)

// The simulator's OpenAPI documents come from a real kube-apiserver of the version it reports
// (captured by conformance/openapi_capture_test.go), one gzip file per group version served
// (TestOpenAPIEveryServedGroupVersionIsCaptured).
//
//go:embed openapi/captured
var capturedOpenAPIFS embed.FS

// OpenAPIGroupVersions are the group versions whose OpenAPI v3 documents the simulator serves.
func OpenAPIGroupVersions() []string { return append([]string(nil), servedOpenAPIPaths...) }

// CapturedOpenAPIFile names the embedded file of a group version ("apis/apps/v1") or "v2".
func CapturedOpenAPIFile(gv string) string {
	return strings.ReplaceAll(gv, "/", "__") + ".json.gz"
}

func capturedOpenAPIPath(gv string) string { return "openapi/captured/" + CapturedOpenAPIFile(gv) }

// capturedOpenAPI returns the captured document, uncompressed.
func capturedOpenAPI(gv string) ([]byte, bool) {
	f, err := capturedOpenAPIFS.Open(capturedOpenAPIPath(gv))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, false
	}
	doc, err := io.ReadAll(zr)
	if err != nil {
		return nil, false
	}
	return doc, true
}
