package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kubetutor/kubetutor/manifests"
)

// exportManifests writes every manifest into dir. It never overwrites a different file of the
// same name: a learner's edited web.yaml is theirs.
func exportManifests(dir string, stdout io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("manifests: %w", err)
	}
	names := manifests.Names()
	for _, n := range names {
		data, err := manifests.Read(n)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, n)
		old, err := os.ReadFile(path)
		switch {
		case err == nil && bytes.Equal(old, data):
			continue
		case err == nil:
			return fmt.Errorf("manifests: %s already exists and differs from the built-in one; remove it or choose another directory", path)
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("manifests: %w", err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("manifests: %w", err)
		}
	}
	fmt.Fprintf(stdout, "Wrote %d manifests to %s: use them with kubectl apply -f %s\n",
		len(names), dir, filepath.Join(dir, "web.yaml"))
	return nil
}
