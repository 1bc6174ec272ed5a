package kubectlmsgs

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"k8s.io/kubectl/pkg/util/i18n"
)

func TestEnglish(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, true},
		{map[string]string{"LANG": "C"}, true},
		{map[string]string{"LANG": "C.UTF-8"}, true},
		{map[string]string{"LANG": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "en_GB.UTF-8"}, true},
		{map[string]string{"LANG": "ko_KR.UTF-8"}, false},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "ja_JP.UTF-8"}, false},
		{map[string]string{"LANG": "ko_KR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, true},
		{map[string]string{"LANG": "ko_KR"}, true},          // no encoding: kubectl uses default
		{map[string]string{"LANG": "ko_KR.UTF-8.x"}, true},  // two dots: kubectl uses default
		{map[string]string{"LANG": "english.UTF-8"}, false}, // not an en_ locale: left to kubectl
	} {
		if got := english(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("english(%v) = %v, want %v", c.env, got, c.want)
		}
	}
}

// TestTranslationsStillLoad runs this test binary again under a Korean and an English locale
// and checks what kubectl's i18n.T answers for a string its Korean catalog translates, and
// that the English run did not load a catalog (loading one allocates megabytes).
func TestTranslationsStillLoad(t *testing.T) {
	if os.Getenv("KUBECTLMSGS_CHILD") != "" {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s := i18n.T("Describe one or many contexts") // the first T loads the catalog
		runtime.ReadMemStats(&after)
		fmt.Printf("%d\n%s", after.TotalAlloc-before.TotalAlloc, s)
		os.Exit(0)
	}
	for lang, want := range map[string]string{
		"ko_KR.UTF-8": "하나 또는 여러 컨텍스트를 설명합니다",
		"en_US.UTF-8": "Describe one or many contexts",
		"C.UTF-8":     "Describe one or many contexts",
	} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestTranslationsStillLoad$")
		cmd.Env = append(os.Environ(), "KUBECTLMSGS_CHILD=1", "LC_ALL=", "LC_MESSAGES=", "LANG="+lang)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		alloc, got, _ := strings.Cut(string(out), "\n")
		if got != want {
			t.Errorf("LANG=%s: i18n.T = %q, want %q", lang, got, want)
		}
		n, err := strconv.Atoi(alloc)
		if err != nil {
			t.Fatalf("LANG=%s: child printed %q", lang, out)
		}
		if english := !strings.HasPrefix(lang, "ko"); english && n > 256<<10 {
			t.Errorf("LANG=%s: the first i18n.T allocated %d bytes: a catalog was loaded", lang, n)
		} else if !english && n < 256<<10 {
			t.Errorf("LANG=%s: the first i18n.T allocated only %d bytes: no catalog loaded?", lang, n)
		}
	}
}
