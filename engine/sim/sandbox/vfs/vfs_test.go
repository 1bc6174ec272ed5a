package vfs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newView(mounts ...Mount) *View {
	v := &View{Now: func() time.Time { return t0 }}
	for _, m := range mounts {
		v.AddMount(m)
	}
	return v
}

func TestFilesAndDirectories(t *testing.T) {
	v := newView(Mount{Path: "/", Vol: NewVolume(t0)})
	if err := v.Mkdir("/a/b", true); err != nil {
		t.Fatal(err)
	}
	if err := v.Mkdir("/a", false); !errors.Is(err, ErrExist) {
		t.Fatalf("mkdir of an existing dir: %v", err)
	}
	if err := v.WriteFile("/a/b/f", []byte("one\n"), false); err != nil {
		t.Fatal(err)
	}
	if err := v.WriteFile("/a/b/f", []byte("two\n"), true); err != nil {
		t.Fatal(err)
	}
	if data, err := v.ReadFile("/a/b/f"); err != nil || string(data) != "one\ntwo\n" {
		t.Fatalf("read %q %v", data, err)
	}
	if _, err := v.ReadFile("/a/b"); !errors.Is(err, ErrIsDir) {
		t.Fatalf("reading a directory: %v", err)
	}
	if _, err := v.ReadFile("/a/b/f/x"); !errors.Is(err, ErrNotDir) {
		t.Fatalf("a file as a directory: %v", err)
	}
	if err := v.WriteFile("/nodir/f", nil, false); !errors.Is(err, ErrNotExist) {
		t.Fatalf("writing under a missing directory: %v", err)
	}
	if err := v.Remove("/a", false); err == nil {
		t.Fatal("removing a non-empty directory without -r")
	}
	if err := v.Rename("/a/b/f", "/a/g"); err != nil {
		t.Fatal(err)
	}
	if err := v.CopyTo("/a/g", "/a/h", false); err != nil {
		t.Fatal(err)
	}
	names, n, err := v.List("/a")
	if err != nil || !n.IsDir() || strings.Join(names, ",") != "b,g,h" {
		t.Fatalf("list: %v %v", names, err)
	}
	if err := v.Remove("/a", true); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Stat("/a"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("after rm -r: %v", err)
	}
}

func TestMountsAndReadOnly(t *testing.T) {
	root, data, cm := NewVolume(t0), NewVolume(t0), NewVolume(t0)
	cm.RO = true
	v := newView(Mount{Path: "/", Vol: root})
	_ = v.Mkdir("/data", false)
	_ = v.Mkdir("/etc/config", true)
	v.AddMount(Mount{Path: "/data", Vol: data})
	v.AddMount(Mount{Path: "/etc/config", Vol: cm})
	if err := v.WriteFile("/data/x", []byte("kept"), false); err != nil {
		t.Fatal(err)
	}
	// The file lives in the mounted volume, not in the root.
	other := newView(Mount{Path: "/", Vol: data})
	if b, err := other.ReadFile("/x"); err != nil || string(b) != "kept" {
		t.Fatalf("the volume's own view: %q %v", b, err)
	}
	if err := v.WriteFile("/etc/config/f", nil, false); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("writing a read-only mount: %v", err)
	}
	if err := v.Remove("/data", true); !errors.Is(err, ErrBusy) {
		t.Fatalf("removing a mount point: %v", err)
	}
}

func TestLimits(t *testing.T) {
	var total int64
	vol := NewVolume(t0)
	vol.Total = &total
	v := newView(Mount{Path: "/", Vol: vol})
	if err := v.WriteFile("/big", make([]byte, MaxFileSize+1), false); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("a file over the cap: %v", err)
	}
	chunk := make([]byte, MaxFileSize)
	var err error
	for i := 0; err == nil && i < 20; i++ {
		err = v.WriteFile("/f"+strings.Repeat("x", i), chunk, false)
	}
	if !errors.Is(err, ErrNoSpace) || vol.Bytes > MaxVolumeBytes || total != vol.Bytes {
		t.Fatalf("volume cap: err %v, %d bytes, total %d", err, vol.Bytes, total)
	}
	if Abs("/a/b", "../c") != "/a/c" || Abs("/x", "/y/./z") != "/y/z" {
		t.Fatal("Abs")
	}
}
