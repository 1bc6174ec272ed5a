package lessons

import (
	"io/fs"
	"testing"
)

// BenchmarkLoadEmbedded is what the player does at every start before its first frame:
// decode and validate every built-in lesson in every language.
func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEmbedded is the decoding part of BenchmarkLoadEmbedded alone.
func BenchmarkDecodeEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		lessonFiles, err := embeddedEntries()
		if err != nil {
			b.Fatal(err)
		}
		decodeAll(embedded, lessonFiles)
	}
}

func embeddedEntries() ([]fs.DirEntry, error) { return fs.ReadDir(embedded, ".") }
