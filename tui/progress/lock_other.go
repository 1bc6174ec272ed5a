//go:build !unix

package progress

import "os"

// lockFile without flock (Windows): saves still merge with the file (shared.go), leaving
// only the few milliseconds between reading and renaming unguarded.
func lockFile(path string) (unlock func(), err error) {
	if err := os.MkdirAll(dirOf(path), 0o700); err != nil {
		return nil, err
	}
	return func() {}, nil
}
