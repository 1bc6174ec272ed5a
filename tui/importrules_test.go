package tui

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportRules keeps DESIGN.md's first rule checkable: tui and lessons (tests and
// benchmarks included) reach the cluster through engine and a *rest.Config, never by
// importing the simulator.
func TestImportRules(t *testing.T) {
	const sim = "github.com/kubetutor/kubetutor/engine/sim"
	checked := 0
	for _, root := range []string{".", "../lessons"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			checked++
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if p == sim || strings.HasPrefix(p, sim+"/") {
					t.Errorf("%s imports %s: tui and lessons reach the simulator only through engine's *rest.Config (DESIGN.md)", path, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d Go files checked: the walk missed the packages", checked)
	}
}
