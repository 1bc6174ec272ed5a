package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

func TestShellScripts(t *testing.T) {
	f := newFixture(t)
	web := f.pod("web-0", "registry.k8s.io/nginx-slim:0.24")
	cases := []struct {
		name, script string
		out, errSub  string
		code         int
	}{
		{"echo", `echo hello world`, "hello world\n", "", 0},
		{"quotes", `echo 'a  b' "c  d" e\ f`, "a  b c  d e f\n", "", 0},
		{"vars", `x=1; y="$x two"; echo "$y" ${x}`, "1 two 1\n", "", 0},
		{"hostname var", `echo $HOSTNAME`, "web-0\n", "", 0},
		{"command subst", `echo $(hostname) ` + "`echo b`", "web-0 b\n", "", 0},
		{"arith", `o=3; echo $((100 + $o)) $(($o-1)) $(( o * 2 ))`, "103 2 6\n", "", 0},
		{"and or", `false && echo no || echo yes; true && echo ok`, "yes\nok\n", "", 0},
		{"status", `false; echo $?`, "1\n", "", 0},
		{"pipeline", `printf 'b\na\n' | sort | head -n 1`, "a\n", "", 0},
		{"redirect", `echo one > /tmp/f; echo two >> /tmp/f; cat < /tmp/f`, "one\ntwo\n", "", 0},
		{"stderr redirect", `ls /nope 2>/dev/null; echo $?`, "2\n", "", 0},
		{"2>&1", `ls /nope 2>&1 | wc -l`, "1\n", "", 0},
		{"heredoc", "cat <<EOF\nhi $HOSTNAME\nEOF", "hi web-0\n", "", 0},
		{"quoted heredoc", "cat <<'EOF'\nhi $HOSTNAME\nEOF", "hi $HOSTNAME\n", "", 0},
		{"if", `if [ -d /tmp ]; then echo dir; elif true; then echo no; else echo no; fi`, "dir\n", "", 0},
		{"elif", `if false; then echo a; elif [ 1 -eq 1 ]; then echo b; fi`, "b\n", "", 0},
		{"while", `i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done`, "0\n1\n2\n", "", 0},
		{"until", `i=0; until [ $i -ge 2 ]; do i=$((i+1)); done; echo $i`, "2\n", "", 0},
		{"for", `for i in 0 1; do echo web-$i; done`, "web-0\nweb-1\n", "", 0},
		{"regex", `[[ $HOSTNAME =~ -([0-9]+)$ ]] && echo ${BASH_REMATCH[1]}`, "0\n", "", 0},
		{"regex backquote", "[[ `hostname` =~ -([0-9]+)$ ]] || exit 1; echo ${BASH_REMATCH[0]}", "-0\n", "", 0},
		{"cond eq", `o=0; [[ $o -eq 0 ]] && echo zero`, "zero\n", "", 0},
		{"cond and", `[[ -d /tmp && "x" != "y" ]] && echo both`, "both\n", "", 0},
		{"cond glob", `[[ web-0 == web-* ]] && echo m`, "m\n", "", 0},
		{"test cmd", `test -f /etc/hostname && echo f; [ -z "" ] && echo z`, "f\nz\n", "", 0},
		{"exit", `echo a; exit 3; echo b`, "a\n", "", 3},
		{"set -e", "set -e\nfalse\necho unreachable", "", "", 1},
		{"set -e condition", "set -e\nif false; then :; fi\nfalse || true\n[[ 1 -eq 0 ]] && exit 0\necho reached", "reached\n", "", 0},
		{"set -x", "set -x\nx=$((1+1))\necho $x", "2\n", "+ x=2\n+ echo 2\n", 0},
		{"not found", `nosuch`, "", "sh: line 1: nosuch: command not found", 127},
		{"not simulated", `ps aux`, "", "the simulator does not provide ps", 127},
		{"syntax error", `if then`, "", "syntax error", 2},
		{"unterminated", `echo "abc`, "", "unexpected", 2},
		{"cd pwd", `cd /etc && pwd && cd .. && pwd`, "/etc\n/\n", "", 0},
		{"mkdir ls", `mkdir -p /a/b && touch /a/b/c /a/d && ls /a`, "b\nd\n", "", 0},
		{"cp mv rm", `echo x > /t1; cp /t1 /t2; mv /t2 /t3; rm /t1; ls /t1 /t2 2>/dev/null; cat /t3`, "x\n", "", 0},
		{"chmod ls -l", `echo x > /f; chmod 600 /f; ls -l /f`, "-rw------- 1 root root     2 Jan  1 00:00 /f\n", "", 0},
		{"sed", `echo "CHANGE MASTER TO x;" | sed -E 's/;$//g'`, "CHANGE MASTER TO x\n", "", 0},
		{"file subst", `echo hi > /f; echo "x$(</f)"`, "xhi\n", "", 0},
		{"braces", `echo ${NOPE:-def} ${#HOSTNAME}`, "def 5\n", "", 0},
		{"group", `{ echo a; echo b; } | wc -l`, "2\n", "", 0},
		{"subshell", `x=1; (x=2; echo $x); echo $x`, "2\n1\n", "", 0},
		{"function", `f() { echo "in $1"; }; f arg`, "in arg\n", "", 0},
		{"continuation", "echo a \\\n b", "a b\n", "", 0},
		{"glob", `touch /tmp/a.cnf /tmp/b.cnf; echo /tmp/*.cnf`, "/tmp/a.cnf /tmp/b.cnf\n", "", 0},
		{"env", `FOO=bar env | grep FOO`, "FOO=bar\n", "", 0},
		{"printf", `printf '%s-%d\n' a 1 b 2`, "a-1\nb-2\n", "", 0},
		{"read", `echo "a b c" | { read x y; echo "$y"; }`, "b c\n", "", 0},
		{"break", `for i in 1 2 3; do [ $i = 2 ] && break; echo $i; done`, "1\n", "", 0},
		{"negate", `! false && echo neg`, "neg\n", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.run(web, "", "bash", "-c", c.script)
			if r.out != c.out || r.code != c.code || (c.errSub != "" && !strings.Contains(r.err, c.errSub)) {
				t.Errorf("script %q\n got out %q err %q code %d\nwant out %q err~%q code %d", c.script, r.out, r.err, r.code, c.out, c.errSub, c.code)
			}
		})
	}
}

func TestBusyboxShellMessages(t *testing.T) {
	f := newFixture(t)
	bb := f.pod("dns-test", "busybox:1.28")
	r := f.sh(bb, "nosuch")
	if r.code != 127 || r.err != "sh: nosuch: not found\n" {
		t.Fatalf("got %+v", r)
	}
	if r := f.run(bb, "", "bash", "-c", "true"); r.code != 127 || !strings.Contains(r.err, "executable file not found") {
		t.Fatalf("busybox has no bash: %+v", r)
	}
}

func TestExecDirectNotFound(t *testing.T) {
	f := newFixture(t)
	web := f.pod("web-0", "nginx")
	r := f.run(web, "", "nosuch", "x")
	if r.code != 127 || !strings.Contains(r.err, `exec: "nosuch": executable file not found in $PATH`) {
		t.Fatalf("got %+v", r)
	}
	if _, err := f.sb.Run(context.Background(), web, "other", []string{"ls"}, container.Streams{}); !errors.Is(err, container.ErrNotFound) {
		t.Fatalf("unknown container: %v", err)
	}
	done := web.DeepCopy()
	done.Status.Phase = "Succeeded"
	if _, err := f.sb.Run(context.Background(), done, "", []string{"ls"}, container.Streams{}); err == nil || !strings.Contains(err.Error(), "completed pod") {
		t.Fatalf("completed pod: %v", err)
	}
}

// A loop that never ends stops when the exec's context is cancelled, sleeping or not.
func TestWhileTrueStopsOnCancel(t *testing.T) {
	f := newFixture(t)
	web := f.pod("web-0", "nginx")
	for _, script := range []string{"while true; do sleep 1; done", "while true; do :; done", "yes | cat > /dev/null", "sleep infinity"} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		go func() {
			code, _ := f.sb.Run(ctx, web, "", []string{"sh", "-c", script}, container.Streams{Stdout: io.Discard})
			done <- code
		}()
		select {
		case <-done:
			t.Fatalf("%q ended before cancel", script)
		case <-time.After(20 * time.Millisecond):
		}
		cancel()
		select {
		case code := <-done:
			if code == 0 {
				t.Errorf("%q: exit 0 after cancel", script)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q did not stop after cancel", script)
		}
	}
}

// sleep waits on the injected clock.
func TestSleepUsesClock(t *testing.T) {
	f := newFixture(t)
	web := f.pod("web-0", "nginx")
	done := make(chan result, 1)
	go func() { done <- f.sh(web, "sleep 5; echo woke") }()
	waitFor(t, f.clk.HasWaiters) // the goroutine blocks on the fake clock
	select {
	case <-done:
		t.Fatal("sleep returned before the clock moved")
	default:
	}
	f.clk.Step(5 * time.Second)
	if r := <-done; r.out != "woke\n" {
		t.Fatalf("got %+v", r)
	}
}

func TestInteractiveTTY(t *testing.T) {
	f := newFixture(t)
	bb := f.pod("dns-test", "busybox:1.28")
	var out bytes.Buffer
	in := strings.NewReader("echo hi\rexitx\x7f\r")
	code, err := f.sb.Run(context.Background(), bb, "", []string{"sh"}, container.Streams{Stdin: in, Stdout: &out, Stderr: &out, TTY: true})
	if err != nil || code != 0 {
		t.Fatalf("code %d err %v out %q", code, err, out.String())
	}
	want := "/ # echo hi\r\nhi\r\n/ # exitx\b \b\r\n"
	if out.String() != want {
		t.Fatalf("got %q want %q", out.String(), want)
	}
}

// Runaway scripts get errors, not a crashed or exhausted simulator.
func TestShellLimits(t *testing.T) {
	f := newFixture(t)
	p := f.pod("web-0", "nginx")
	cases := []struct{ script, errSub string }{
		{`f() { f; }; f`, "maximum function nesting level exceeded"},
		{`echo 'sh /tmp/x' > /tmp/x; sh /tmp/x`, "nests at most"},
		{`x=x; echo $((x))`, ""}, // interp evaluates a self-reference to 0 (bash: recursion error)
		{`x=0123456789; while true; do x=$x$x; done`, "caps a variable at 1 MiB"},
		{strings.Repeat("(", 1300) + "true" + strings.Repeat(")", 1300), "nested more than"},
		{`x=0123456789; for i in $(seq 40); do x=$x$x; done`, "caps a variable at 1 MiB"},
	}
	for _, c := range cases {
		r := f.sh(p, c.script)
		if r.code == 0 && c.errSub != "" || !strings.Contains(r.err, c.errSub) || r.code == 130 {
			t.Errorf("%q: code %d err %q", c.script, r.code, truncate(r.err))
		}
	}
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// FuzzShell: no input panics or hangs the shell.
func FuzzShell(f *testing.F) {
	for _, s := range []string{`echo "a$(b)c" | x > y; [[ $a =~ (b) ]] && z || w`, "if a; then b; elif c; then d; else e; fi",
		"while x; do y; done; for i in a b; do :; done", "cat <<EOF\n$x\nEOF\n", "${a:-b} ${#c} $((1+2*3)) `d` '\\''", "f() { g; }; (h); {i;}"} {
		f.Add(s)
	}
	fx := newFixture(f)
	pod := fx.pod("fuzz", "busybox")
	f.Fuzz(func(t *testing.T, script string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		fx.sb.Run(ctx, pod, "", []string{"sh", "-c", script}, container.Streams{Stdout: io.Discard, Stderr: io.Discard})
	})
}

// A program real images have but the sandbox does not run says so, also when kubectl exec
// starts it directly (issue 4: "not available in the simulator", never a bare not-found).
func TestExecDirectNotSimulated(t *testing.T) {
	f := newFixture(t)
	web := f.pod("web-0", "nginx")
	r := f.run(web, "", "ps", "aux")
	if r.code != 127 || !strings.Contains(r.err, `exec: "ps": executable file not found in $PATH`) ||
		!strings.Contains(r.err, "ps is not available in the simulator") {
		t.Fatalf("got %+v", r)
	}
	if r := f.run(web, "", "nosuch"); strings.Contains(r.err, "simulator") {
		t.Fatalf("a program no image has is plainly not found: %+v", r)
	}
}

// The shell never reaches the host: no FIFO for a process substitution (also one interp
// parses itself, in eval), no host PATH for type or command -v, no host pid in $$, and tests
// that look at ownership answer for the container.
func TestShellStaysInTheSandbox(t *testing.T) {
	f := newFixture(t)
	web := f.pod("web-0", "nginx")
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "sh-interp-*"))
	cases := []struct{ script, out string }{
		{`cat <(echo from-a-file)`, "from-a-file\n"},
		{`eval 'cat <(echo evaled)'`, "evaled\n"},
		{`type -t ls; command -v ls; type gcc >/dev/null 2>&1 || echo no-gcc`, "file\n/bin/ls\nno-gcc\n"},
		{`[ "$$" != "` + strconv.Itoa(os.Getpid()) + `" ] && eval '[ "$$" != "` + strconv.Itoa(os.Getpid()) + `" ]' && echo other-pid`, "other-pid\n"},
		{`touch /f; [ -O /f ] && [ -G /f ] && echo owned`, "owned\n"},
		{`cd /proc/kubetutor-sandbox-makes-no-fifos 2>/dev/null || echo no-dir; cat < /proc/kubetutor-sandbox-makes-no-fifos/sh-interp-1 2>/dev/null || echo no-fifo`, "no-dir\nno-fifo\n"},
		{`echo $UID $EUID ~`, "0 0 /root\n"},
	}
	for _, c := range cases {
		if r := f.sh(web, c.script); r.out != c.out {
			t.Errorf("%q: got %+v want out %q", c.script, r, c.out)
		}
	}
	after, _ := filepath.Glob(filepath.Join(os.TempDir(), "sh-interp-*"))
	if len(after) > len(before) {
		t.Fatalf("the shell made host FIFOs: %v", after)
	}
}
