// Package kubectlmsgs keeps kubectl's message catalog from being loaded when it would change
// nothing. kubectl translates its help and messages through gettext, and the first
// translated string (a package-level variable of k8s.io/kubectl/pkg/cmd/options, at program
// start) loads the catalog for the locale: for English (en_US, or "default" for any locale
// kubectl has no catalog for) that is 350 kB of .po and .mo copied into a zip and parsed,
// about 4.4 MB allocated and 10–20 ms of start-up, to map every string to itself.
//
// Importing this package installs a loader (kubectl's own hook, i18n.SetLoadTranslationsFunc)
// that skips the English catalog and calls kubectl's own loader for any other language, so
// Korean, Japanese, … learners still get kubectl's translations. Go initialises packages
// in import-path order among those whose imports are ready, so this package (github.com/…)
// runs right after k8s.io/kubectl/pkg/util/i18n and before any k8s.io/kubectl package that
// translates at init.
package kubectlmsgs

import (
	"os"
	"strings"

	"k8s.io/kubectl/pkg/util/i18n"
)

func init() {
	_ = i18n.SetLoadTranslationsFunc(func() error {
		if english(os.Getenv) {
			return nil // the English catalog maps each string to itself
		}
		return i18n.LoadTranslations("kubectl", nil)
	})
}

// english reports whether kubectl would pick an English catalog for this environment. It
// reads the variables in kubectl's order (LC_ALL, LC_MESSAGES, LANG); kubectl uses its
// "default" (English) catalog when none is set or the value is not LANGUAGE.ENCODING, and
// every en_* locale is either its en_US catalog or unknown to it (default again).
func english(getenv func(string) string) bool {
	v := getenv("LC_ALL")
	if v == "" {
		v = getenv("LC_MESSAGES")
	}
	if v == "" {
		v = getenv("LANG")
	}
	lang, _, ok := strings.Cut(v, ".")
	if v == "" || !ok || strings.Contains(v[len(lang)+1:], ".") {
		return true
	}
	// C and POSIX name no language: kubectl finds no catalog for them and uses default.
	return lang == "en" || strings.HasPrefix(lang, "en_") || lang == "C" || lang == "POSIX"
}
