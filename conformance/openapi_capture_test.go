package conformance

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"

	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/kubetutor/kubetutor/conformance/kit"
	"github.com/kubetutor/kubetutor/engine/sim/api"
)

var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite the simulator's captured OpenAPI documents from the kit's kube-apiserver")

// capturedDir is where the simulator embeds its OpenAPI documents (engine/sim/api).
const capturedDir = "../engine/sim/api/openapi/captured"

// TestOpenAPICapturedFromKit is the generator of the simulator's OpenAPI documents and the
// proof they are current: it fetches /openapi/v3/<group-version> for every group version the
// simulator serves, and /openapi/v2 cut down to those groups' paths, from the kit's real
// kube-apiserver v1.37.2, and compares them (as canonical JSON) with the compressed files the
// simulator embeds. With -update-openapi it writes them instead:
//
//	go test -run TestOpenAPICapturedFromKit -ldflags "…" . -args -update-openapi
func TestOpenAPICapturedFromKit(t *testing.T) {
	c := kit.Start(t)
	kube, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		t.Fatal(err)
	}
	rc := kube.Discovery().RESTClient()
	get := func(path string) []byte {
		t.Helper()
		raw, err := rc.Get().AbsPath(path).SetHeader("Accept", "application/json").Do(context.Background()).Raw()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return raw
	}
	want := map[string][]byte{}
	for _, gv := range api.OpenAPIGroupVersions() {
		want[api.CapturedOpenAPIFile(gv)] = canonical(t, get("/openapi/v3/"+gv))
	}
	want[api.CapturedOpenAPIFile("v2")] = canonical(t, cutV2(t, get("/openapi/v2"), api.OpenAPIGroupVersions()))

	if *updateOpenAPI {
		for name, doc := range want {
			if err := os.WriteFile(filepath.Join(capturedDir, name), gz(t, doc), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for name, doc := range want {
		f, err := os.ReadFile(filepath.Join(capturedDir, name))
		if err != nil {
			t.Errorf("%s: %v (run with -args -update-openapi)", name, err)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(f))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		have, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(have, doc) {
			t.Errorf("%s is not what kube-apiserver v1.37.2 serves now (run with -args -update-openapi)", name)
		}
	}
}

// cutV2 keeps the v2 document's paths of the served group versions (the definitions stay
// whole: they are shared by reference).
func cutV2(t *testing.T, doc []byte, gvs []string) []byte {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	paths, _ := m["paths"].(map[string]any)
	for p := range paths {
		keep := false
		for _, gv := range gvs {
			if strings.HasPrefix(p, "/"+gv+"/") || p == "/"+gv+"/" {
				keep = true
			}
		}
		if !keep {
			delete(paths, p)
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// canonical re-encodes JSON with sorted keys, so a capture is stable byte for byte.
func canonical(t *testing.T, doc []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
