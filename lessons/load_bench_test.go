package lessons

import (
	"io/fs"
	"testing"
)

// BenchmarkLoadEmbedded decodes and validates every built-in lesson in every language
// (Embedded: lint and the tests).
func BenchmarkLoadEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(embedded); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadEmbeddedIn is what the player does before its first frame (EmbeddedIn): the
// built-in lessons in one language, English here, decoded and validated.
func BenchmarkLoadEmbeddedIn(b *testing.B) {
	for _, lang := range []string{"en", "ko"} {
		b.Run(lang, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := load(embedded, manifestSet(), map[string]bool{BaseLang: true, lang: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeEmbedded is the decoding part of BenchmarkLoadEmbedded alone.
func BenchmarkDecodeEmbedded(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		entries, err := fs.ReadDir(embedded, ".")
		if err != nil {
			b.Fatal(err)
		}
		decodeAll(embedded, entries, nil)
	}
}
