// Package manifests holds the tutorial's YAML files, embedded so the simulator and
// `kubectl apply -f web.yaml` work offline and without files on disk.
package manifests

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

// FS holds every manifest at its root, by file name.
//
//go:embed *.yaml
var FS embed.FS

// Names lists the embedded manifests' file names, sorted.
func Names() []string {
	entries, err := fs.ReadDir(FS, ".")
	if err != nil {
		// The embedded root always exists; an error here is a build problem.
		panic(fmt.Sprintf("manifests: reading embedded root: %v", err))
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// Read returns one manifest by file name ("web.yaml").
func Read(name string) ([]byte, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, fmt.Errorf("manifests: invalid name %q", name)
	}
	b, err := FS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("manifests: no manifest named %q (have %v)", name, Names())
	}
	return b, nil
}
