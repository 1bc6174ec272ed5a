package coreutils

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// sys is a container made of one vfs volume, enough to run the programs alone.
type sys struct{ v *vfs.View }

func newSys(t *testing.T) *sys {
	v := &vfs.View{Now: func() time.Time { return t0 }}
	v.AddMount(vfs.Mount{Path: "/", Vol: vfs.NewVolume(t0)})
	for _, d := range []string{"/bin", "/tmp"} {
		if err := v.Mkdir(d, true); err != nil {
			t.Fatal(err)
		}
	}
	for name := range Programs {
		_ = v.WriteFile("/bin/"+name, nil, false)
		n, _ := v.Stat("/bin/" + name)
		n.Mode, n.Prog = 0o755, name
	}
	return &sys{v: v}
}

func info(name string, n *vfs.Node) Info {
	return Info{Name: name, Mode: n.Mode, Size: len(n.Data), Prog: n.Prog, MTime: n.MTime}
}

func (s *sys) Stat(p string) (Info, error) {
	n, err := s.v.Stat(p)
	if err != nil {
		return Info{}, err
	}
	return info(p[strings.LastIndex(p, "/")+1:], n), nil
}
func (s *sys) ReadFile(p string) ([]byte, error) { return s.v.ReadFile(p) }
func (s *sys) WriteFile(p string, data []byte, appendTo bool) error {
	return s.v.WriteFile(p, data, appendTo)
}
func (s *sys) Mkdir(p string, parents bool) error           { return s.v.Mkdir(p, parents) }
func (s *sys) Remove(p string, recursive bool) error        { return s.v.Remove(p, recursive) }
func (s *sys) Rename(src, dst string) error                 { return s.v.Rename(src, dst) }
func (s *sys) CopyTo(src, dst string, recursive bool) error { return s.v.CopyTo(src, dst, recursive) }
func (s *sys) Chmod(p string, mode fs.FileMode) error {
	n, err := s.v.Stat(p)
	if err == nil {
		n.Mode = n.Mode&^fs.ModePerm | mode
	}
	return err
}
func (s *sys) Touch(p string) error { return s.v.WriteFile(p, nil, true) }
func (s *sys) ReadDir(p string) ([]Info, bool, error) {
	names, n, err := s.v.List(p)
	if err != nil {
		return nil, false, err
	}
	var out []Info
	for _, name := range names {
		c, _ := s.v.Stat(p + "/" + name)
		out = append(out, info(name, c))
	}
	return out, n.IsDir(), nil
}
func (s *sys) Usage(p string) (int64, error) {
	n, err := s.v.Stat(p)
	if err != nil {
		return 0, err
	}
	b, _ := vfs.Usage(n)
	return b, nil
}
func (s *sys) Mounts() []MountUsage                   { return []MountUsage{{Path: "/", Bytes: 0}} }
func (s *sys) Now() time.Time                         { return t0 }
func (s *sys) After(d time.Duration) <-chan time.Time { return time.After(0) }
func (s *sys) Hostname() string                       { return "web-0" }
func (s *sys) FQDN() string                           { return "web-0.nginx.default.svc.cluster.local" }
func (s *sys) PodIP() string                          { return "10.244.1.10" }
func (s *sys) LookPath(p *Proc, name string) (string, string, bool) {
	if in, err := s.Stat("/bin/" + name); err == nil {
		return "/bin/" + name, in.Prog, true
	}
	return "", "", false
}
func (s *sys) Exec(p *Proc, argv []string) int {
	_, prog, ok := s.LookPath(p, argv[0])
	if !ok {
		return 127
	}
	c := *p
	c.Args = argv
	return Programs[prog](&c)
}

func run(s *sys, stdin string, argv ...string) (string, string, int) {
	var out, errb bytes.Buffer
	p := &Proc{Ctx: context.Background(), Sys: s, Args: argv, Stdin: strings.NewReader(stdin),
		Stdout: &out, Stderr: &errb, Cwd: "/tmp", Vars: map[string]string{"A": "1"}}
	code := Programs[argv[0]](p)
	return out.String(), errb.String(), code
}

func TestPrograms(t *testing.T) {
	s := newSys(t)
	cases := []struct {
		stdin string
		argv  []string
		out   string
		code  int
	}{
		{"", []string{"echo", "-n", "a", "b"}, "a b", 0},
		{"", []string{"printf", "%s-%03d\\n", "x", "7"}, "x-007\n", 0},
		{"", []string{"test", "3", "-gt", "2"}, "", 0},
		{"", []string{"[", "-d", "/tmp", "]"}, "", 0},
		{"", []string{"mkdir", "-p", "d/e"}, "", 0},
		{"", []string{"touch", "d/b", "d/a"}, "", 0},
		{"", []string{"ls", "d"}, "a\nb\ne\n", 0},
		{"b\na\nb\n", []string{"sort", "-u"}, "a\nb\n", 0},
		{"apple\nbanana\n", []string{"grep", "-c", "an"}, "1\n", 0},
		{"x;\n", []string{"sed", "-E", "s/;$//"}, "x\n", 0},
		{"1\n2\n3\n", []string{"tail", "-n", "2"}, "2\n3\n", 0},
		{"a b\nc\n", []string{"wc", "-l"}, "2\n", 0},
		{"hello\n", []string{"tr", "a-z", "A-Z"}, "HELLO\n", 0},
		{"a:b:c\n", []string{"cut", "-d:", "-f2"}, "b\n", 0},
		{"", []string{"hostname", "-f"}, "web-0.nginx.default.svc.cluster.local\n", 0},
		{"", []string{"date", "+%Y-%m-%d"}, "2026-01-01\n", 0},
		{"", []string{"env", "B=2", "printenv-missing"}, "", 127},
		{"", []string{"env"}, "", 0},
		{"", []string{"cat", "nosuch"}, "", 1},
		{"", []string{"seq", "2"}, "1\n2\n", 0},
		{"", []string{"expr", "2", "+", "3"}, "5\n", 0},
	}
	for _, c := range cases {
		out, errs, code := run(s, c.stdin, c.argv...)
		if len(c.argv) == 1 && c.argv[0] == "env" {
			if !strings.Contains(out, "A=1\n") {
				t.Errorf("env lists the environment: %q", out)
			}
			continue
		}
		if out != c.out || code != c.code {
			t.Errorf("%v: out %q err %q code %d, want %q %d", c.argv, out, errs, code, c.out, c.code)
		}
	}
	if _, errs, _ := run(s, "", "cat", "nosuch"); errs != "cat: nosuch: No such file or directory\n" {
		t.Errorf("cat's error: %q", errs)
	}
	if out, _, code := run(s, "", "env", "A=9", "echo", "via-env"); out != "via-env\n" || code != 0 {
		t.Errorf("env runs a program: %q %d", out, code)
	}
}
