package engine

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/termsafe"
)

// hostile holds what a curious learner or a hostile manifest can put in object data: a
// window title (OSC 0 and 2), the clipboard (OSC 52), a DCS, a screen clear (CSI non-SGR).
const hostile = "a\x1b]0;t0\x07b\x1b]2;t2\x1b\\c\x1b]52;c;cm0gLXJmIH4=\x07d\x1bP+q544e\x1b\\e\x1b[2J\x1b[Hf"

// escapes reports control bytes a terminal would act on: ESC anywhere, BEL, CR.
func escapes(s string) bool { return strings.ContainsAny(s, "\x1b\x07\r\x9b\x9d") }

// The real data path: an annotation and an Event message carrying escape sequences.
// kubectl get -o yaml, describe and tables print them escaped; jsonpath prints them raw, and
// termsafe removes them; the watch pane's cells (Events included) come out clean.
func TestHostileObjectDataThroughKubectlAndWatch(t *testing.T) {
	s, _ := newTestSession(t)
	ctx := testCtx(t)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "evil", Namespace: "default",
		Annotations: map[string]string{"note": hostile}}, Data: map[string]string{"k": hostile}}
	if _, err := s.Kube().CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "evil.1", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "ConfigMap", Name: "evil", Namespace: "default"},
		Reason:         "Evil", Message: hostile, Type: "Warning"}
	if _, err := s.Kube().CoreV1().Events("default").Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	out, _, err := kubectl(t, s, "kubectl get configmap evil -o yaml")
	if err != nil {
		t.Fatal(err)
	}
	if escapes(out) || !strings.Contains(out, `\e]52;c;cm0gLXJmIH4=\a`) {
		t.Errorf("kubectl get -o yaml should print the bytes escaped:\n%s", out)
	}
	// describe and get (tables) escape ESC themselves, in caret notation, but not BEL;
	// jsonpath prints the bytes raw. After termsafe, none reaches the terminal.
	for _, c := range []struct {
		line string
		raw  bool
	}{
		{"kubectl describe configmap evil", false},
		{"kubectl get events", false},
		{"kubectl get configmap evil -o jsonpath={.metadata.annotations.note}", true},
	} {
		out, _, err := kubectl(t, s, c.line)
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		// kubectl escapes ESC (as ^[) in describe and tables, yet lets BEL through.
		if rawESC := strings.Contains(out, "\x1b"); rawESC != c.raw {
			t.Errorf("%s: kubectl printed a raw ESC: %v, want %v: %q", c.line, rawESC, c.raw, out)
		}
		if clean := termsafe.String(out); escapes(clean) || c.raw && clean != "abcdef" {
			t.Errorf("%s: after termsafe %q", c.line, clean)
		}
	}

	// The watch pane's rows: Events and ConfigMaps.
	for _, res := range []string{"events", "configmaps"} {
		ch, err := s.WatchTable(ctx, res, "")
		if err != nil {
			t.Fatal(err)
		}
		seen := false
		for !seen {
			var e TableEvent
			select {
			case e = <-ch:
			case <-ctx.Done():
				t.Fatalf("%s: no row for evil", res)
			}
			for _, c := range e.Cells {
				if escapes(c) {
					t.Errorf("%s: cell %q reaches the screen raw", res, c)
				}
				if strings.Contains(c, "abcdef") {
					seen = true
				}
			}
			if e.Name == "evil" && res == "configmaps" {
				seen = true
			}
		}
	}
}
