package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/creack/pty"
	corev1 "k8s.io/api/core/v1"
)

// The exec and DNS parts of the seed tutorial: kubectl exec (plain and -it, through a pty, as a
// learner's terminal runs it) and kubectl run -i --tty with lines typed into the shell.

// ptySession is kubectl running on a pseudo-terminal, as in a learner's terminal.
type ptySession struct {
	tu   *tutorial
	args []string
	c    *exec.Cmd
	f    *os.File

	mu     sync.Mutex
	out    strings.Builder // everything the terminal showed, \r removed
	seen   int             // expect consumed out up to here
	grew   chan struct{}
	readEr chan struct{} // closed when the reader stops (EIO once kubectl exited)
	exited chan error
	cancel context.CancelFunc
}

func (tu *tutorial) startPty(args ...string) *ptySession {
	tu.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	c := exec.CommandContext(ctx, tu.bin, args...)
	c.Dir = tu.dir
	c.Env = []string{"HOME=" + filepath.Join(tu.dir, "home"), "KUBECONFIG=" + tu.kubeconfig, "PATH=/usr/bin:/bin", "TERM=xterm"}
	f, err := pty.StartWithSize(c, &pty.Winsize{Rows: 50, Cols: 200})
	if err != nil {
		cancel()
		tu.t.Fatalf("kubectl %s on a pty: %v", quoteArgs(args), err)
	}
	p := &ptySession{tu: tu, args: args, c: c, f: f, grew: make(chan struct{}, 1), readEr: make(chan struct{}), exited: make(chan error, 1), cancel: cancel}
	go func() {
		defer close(p.readEr)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				p.mu.Lock()
				p.out.WriteString(strings.ReplaceAll(string(buf[:n]), "\r", ""))
				p.mu.Unlock()
				poke(p.grew)
			}
			if err != nil {
				return
			}
		}
	}()
	go func() { p.exited <- c.Wait() }()
	tu.t.Cleanup(func() { cancel(); _ = f.Close() })
	return p
}

// expect waits (bounded, in real time) until the output not yet consumed matches re, and
// returns the match's submatches; it consumes the output up to the match's end.
func (p *ptySession) expect(re string) []string {
	p.tu.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		rest := p.out.String()[p.seen:]
		if loc := rx.FindStringSubmatchIndex(rest); loc != nil {
			var subs []string
			for i := 0; i < len(loc); i += 2 {
				if loc[i] < 0 {
					subs = append(subs, "")
					continue
				}
				subs = append(subs, rest[loc[i]:loc[i+1]])
			}
			p.seen += loc[1]
			p.mu.Unlock()
			return subs
		}
		p.mu.Unlock()
		select {
		case <-p.grew:
		case <-p.readEr:
			// Nothing more will come; one last look, then give up.
			p.mu.Lock()
			rest = p.out.String()[p.seen:]
			p.mu.Unlock()
			if rx.MatchString(rest) {
				continue
			}
			p.tu.t.Fatalf("kubectl %s ended without printing %q; it printed:\n%s", quoteArgs(p.args), re, p.output())
		case <-deadline:
			p.tu.t.Fatalf("kubectl %s did not print %q within 30s; it printed:\n%s", quoteArgs(p.args), re, p.output())
		}
	}
}

func (p *ptySession) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// typeLine types a line as a learner does (the terminal sends \r for Enter).
func (p *ptySession) typeLine(s string) {
	p.tu.t.Helper()
	if _, err := p.f.Write([]byte(s + "\r")); err != nil {
		p.tu.t.Fatalf("typing into kubectl %s: %v", quoteArgs(p.args), err)
	}
}

// finish waits for kubectl to exit and for the terminal to show everything, then records the
// session in the transcript.
func (p *ptySession) finish() error {
	p.tu.t.Helper()
	var err error
	select {
	case err = <-p.exited:
	case <-time.After(60 * time.Second):
		p.tu.t.Fatalf("kubectl %s did not exit; it printed:\n%s", quoteArgs(p.args), p.output())
	}
	select {
	case <-p.readEr:
	case <-time.After(10 * time.Second):
		p.tu.t.Fatalf("the terminal of kubectl %s did not close", quoteArgs(p.args))
	}
	p.cancel()
	out := p.output()
	fmt.Fprintf(&p.tu.transcript, "$ kubectl %s   # in a terminal\n%s", quoteArgs(p.args), out)
	if !strings.HasSuffix(out, "\n") && out != "" {
		p.tu.transcript.WriteString("\n")
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		fmt.Fprintf(&p.tu.transcript, "exit: %v\n", err)
	} else if err != nil {
		p.tu.t.Fatalf("kubectl %s: %v", quoteArgs(p.args), err)
	}
	return err
}

// runTTY runs a command that needs no input (kubectl exec -it … curl localhost) in a terminal.
// A run that hit an exec race (see execRace) is run again, and counted.
func (tu *tutorial) runTTY(args ...string) {
	tu.t.Helper()
	for try := 0; ; try++ {
		mark := tu.transcript.Len()
		p := tu.startPty(args...)
		_ = p.finish()
		if !execRace.MatchString(p.output()) || try == 10 {
			return
		}
		tu.execRaces++
		tu.t.Logf("known bug, retrying: kubectl %s printed\n%s", quoteArgs(args), p.output())
		rest := tu.transcript.String()[:mark]
		tu.transcript.Reset()
		tu.transcript.WriteString(rest)
	}
}

// dnsTest is the tutorial's `kubectl run -i --tty --image busybox:1.28 dns-test --restart=Never
// --rm [/bin/sh]` with `nslookup NAME` typed for each name, then `exit`. It returns the
// addresses each name resolved to, in order (one per "Address N:" line after the server's).
func (tu *tutorial) dnsTest(extra []string, names ...string) map[string][]string {
	tu.t.Helper()
	args := append([]string{"run", "-i", "--tty", "--image", "busybox:1.28", "dns-test", "--restart=Never", "--rm"}, extra...)
	tu.reset()
	p := tu.startPty(args...)
	// kubectl creates the pod and waits for it to run; the simulator starts it.
	tu.waitFor("kubectl run to create dns-test", func() bool {
		for _, r := range tu.reqs {
			if strings.HasPrefix(r, "POST /api/v1/namespaces/default/pods") {
				return true
			}
		}
		return false
	})
	tu.drive(func() bool {
		pod := getPod(tu.s, "dns-test")
		return pod != nil && pod.Status.Phase == corev1.PodRunning
	})
	p.expect(`/ # $`)
	got := map[string][]string{}
	for _, n := range names {
		p.typeLine("nslookup " + n)
		m := p.expect(`(?s)\nName:\s+` + regexp.QuoteMeta(n) + `\n(.*?)/ # $`)
		for _, l := range strings.Split(m[1], "\n") {
			if f := strings.Fields(l); len(f) >= 3 && f[0] == "Address" {
				got[n] = append(got[n], f[2])
			}
		}
	}
	tu.reset()
	p.typeLine("exit")
	// kubectl run --rm deletes the pod once it has completed and waits until it is gone.
	tu.waitFor("kubectl run --rm to delete dns-test", func() bool {
		for _, r := range tu.reqs {
			if strings.HasPrefix(r, "DELETE /api/v1/namespaces/default/pods/dns-test") {
				return true
			}
		}
		return false
	})
	tu.drive(podGone(tu.s, "dns-test"))
	if err := p.finish(); err != nil {
		tu.t.Fatalf("kubectl %s failed: %v\n%s", quoteArgs(args), err, p.output())
	}
	return got
}

// hostnames is the tutorial's `for i in 0 1; do kubectl exec web-$i -- sh -c 'hostname'; done`.
func (tu *tutorial) hostnames(n int) {
	tu.t.Helper()
	for i := 0; i < n; i++ {
		tu.run("exec", fmt.Sprintf("web-%d", i), "--", "sh", "-c", "hostname")
	}
}

// curlAll is `for i in …; do kubectl exec -it web-$i -- curl localhost; done` in a terminal.
func (tu *tutorial) curlAll(ordinals ...int) {
	tu.t.Helper()
	for _, i := range ordinals {
		tu.runTTY("exec", "-it", fmt.Sprintf("web-%d", i), "--", "curl", "localhost")
	}
}

// execRace matches what kubectl logs when a command the simulator ran in microseconds beat
// kubectl's own setup (see known_bugs_test.go): its resize writer writing after the stream
// closed (client-go remotecommand v3.go: "websocket: close sent", "broken pipe", "EOF"), or
// output arriving before kubectl registered the stream ("Unknown stream", then the output is
// lost). A real container starts slower than that, so a learner on a real cluster never sees
// these; the tests retry such runs so the goldens hold what a real cluster prints.
var execRace = regexp.MustCompile(`(?m)^E\d{4} [^\n]*(v3\.go:\d+\]|Unknown stream)`)

// podIPs are the pods' current IPs by name.
func podIPs(s *Sim, names ...string) map[string]string {
	out := map[string]string{}
	for _, n := range names {
		if p := getPod(s, n); p != nil {
			out[n] = p.Status.PodIP
		}
	}
	return out
}
