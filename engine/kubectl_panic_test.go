package engine

import (
	"bytes"
	"log"
	"strings"
	"testing"
)

// panicWriter panics inside kubectl's own code, as a kubectl bug would.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom\nsecond line") }

// A panic inside the in-process kubectl becomes one line for the learner and a log entry
// with the stack; the next run works.
func TestKubectlPanicIsOneLinePlusLog(t *testing.T) {
	s, _ := newTestSession(t)
	var logBuf bytes.Buffer
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(&logBuf)
	defer func() { log.SetOutput(prevOut); log.SetFlags(prevFlags) }()

	var errOut bytes.Buffer
	err := s.RunKubectl(testCtx(t), "kubectl version --client", nil, panicWriter{}, &errOut)
	if err == nil {
		t.Fatal("no error from a panicking run")
	}
	if msg := err.Error(); msg != "kubectl failed unexpectedly: boom (details in the log)" {
		t.Errorf("error shown to the learner: %q", msg)
	}
	if strings.Contains(errOut.String(), "goroutine") {
		t.Errorf("stack on the run's stderr: %s", errOut.String())
	}
	if l := logBuf.String(); !strings.Contains(l, "kubectl panicked: boom") || !strings.Contains(l, "goroutine ") {
		t.Errorf("log lacks the stack: %s", l)
	}
	mustKubectl(t, s, "kubectl get pods -o name", "")
}
