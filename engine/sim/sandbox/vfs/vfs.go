// Package vfs is the sandbox's in-memory filesystem: volumes (a container's root, a PVC's data, an
// emptyDir, a ConfigMap) with their own size accounting, and the view one container has of them
// through its mounts. Errors carry the text a Linux tool prints after "name: ". Callers lock.
package vfs

import (
	"errors"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"
)

// Limits keep one learner's files from exhausting a shared simulator's memory.
const (
	MaxFileSize    = 1 << 20  // bytes in one file
	MaxVolumeBytes = 8 << 20  // bytes in one volume (PVC, emptyDir, container root)
	MaxVolumeNodes = 4000     // files and directories in one volume
	MaxTotalBytes  = 64 << 20 // bytes across every volume of one sandbox
	maxSymlinkHops = 8
)

// Errors carry the text a Linux tool would print after "name: ".
var (
	ErrNotExist     = errors.New("No such file or directory")
	ErrExist        = errors.New("File exists")
	ErrNotDir       = errors.New("Not a directory")
	ErrIsDir        = errors.New("Is a directory")
	ErrNotEmpty     = errors.New("Directory not empty")
	ErrNoSpace      = errors.New("No space left on device (the simulator caps each volume at 8 MiB and 4000 files, and each file at 1 MiB)")
	ErrNoSpaceTotal = errors.New("No space left on device (the simulator caps all files together at 64 MiB; delete some, or PersistentVolumes you no longer need)")
	ErrReadOnly     = errors.New("Read-only file system")
	ErrBusy         = errors.New("Device or resource busy")
)

// Node is a file or directory. prog names the simulated program an executable runs.
type Node struct {
	Mode     fs.FileMode
	Data     []byte
	Prog     string
	children map[string]*Node
	MTime    time.Time
}

func (n *Node) IsDir() bool { return n.Mode.IsDir() }

func NewDir(perm fs.FileMode, t time.Time) *Node {
	return &Node{Mode: fs.ModeDir | perm, children: map[string]*Node{}, MTime: t}
}

// Volume is one tree of files with its own accounting: a PVC's data, an emptyDir, a
// container's root filesystem.
type Volume struct {
	Root  *Node
	Bytes int64
	nodes int
	RO    bool   // configMap volumes
	Total *int64 // the sandbox's bytes across volumes, when the volume is kept
}

func NewVolume(t time.Time) *Volume {
	return &Volume{Root: NewDir(0o755, t), nodes: 1}
}

func (v *Volume) charge(bytes int64, nodes int) error {
	if v.Bytes+bytes > MaxVolumeBytes || v.nodes+nodes > MaxVolumeNodes {
		return ErrNoSpace
	}
	if v.Total != nil {
		if bytes > 0 && *v.Total+bytes > MaxTotalBytes {
			return ErrNoSpaceTotal
		}
		*v.Total += bytes
	}
	v.Bytes += bytes
	v.nodes += nodes
	return nil
}

// release gives back what a removed subtree used.
func (v *Volume) release(bytes int64, nodes int) {
	v.Bytes -= bytes
	v.nodes -= nodes
	if v.Total != nil {
		*v.Total -= bytes
	}
}

// Usage counts a subtree's bytes and nodes.
func Usage(n *Node) (int64, int) {
	b, c := int64(len(n.Data)), 1
	for _, ch := range n.children {
		cb, cc := Usage(ch)
		b += cb
		c += cc
	}
	return b, c
}

func cloneNode(n *Node) *Node {
	c := &Node{Mode: n.Mode, Prog: n.Prog, MTime: n.MTime, Data: append([]byte(nil), n.Data...)}
	if n.children != nil {
		c.children = make(map[string]*Node, len(n.children))
		for k, ch := range n.children {
			c.children[k] = cloneNode(ch)
		}
	}
	return c
}

// Mount puts (a subdirectory of) a volume at an absolute path of a container's view.
type Mount struct {
	Path string // clean, absolute
	Vol  *Volume
	Sub  []string // subPath components inside vol
	RO   bool
}

// View is what one container sees: its root volume and the pod's volume mounts.
type View struct {
	Mounts []Mount // longest path first
	Now    func() time.Time
}

func SplitPath(p string) []string {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// Abs makes p absolute against cwd and cleans it.
func Abs(cwd, p string) string {
	if p == "" {
		return cwd
	}
	if !strings.HasPrefix(p, "/") {
		p = cwd + "/" + p
	}
	return path.Clean(p)
}

func (v *View) AddMount(m Mount) {
	v.Mounts = append(v.Mounts, m)
	sort.SliceStable(v.Mounts, func(i, j int) bool { return len(v.Mounts[i].Path) > len(v.Mounts[j].Path) })
}

// locate finds the mount holding absolute path p and the components below the mount's root.
func (v *View) locate(p string) (*Mount, []string) {
	for i := range v.Mounts {
		m := &v.Mounts[i]
		if m.Path == "/" || p == m.Path || strings.HasPrefix(p, m.Path+"/") {
			rest := SplitPath(strings.TrimPrefix(p, m.Path))
			if m.Path == "/" {
				rest = SplitPath(p)
			}
			return m, rest
		}
	}
	return nil, nil
}

// base is the directory node a mount shows, creating a missing subPath as the kubelet does.
func (m *Mount) base(t time.Time) (*Node, error) {
	n := m.Vol.Root
	for _, c := range m.Sub {
		ch, ok := n.children[c]
		if !ok {
			if err := m.Vol.charge(0, 1); err != nil {
				return nil, err
			}
			ch = NewDir(0o755, t)
			n.children[c] = ch
		}
		if !ch.IsDir() {
			return nil, ErrNotDir
		}
		n = ch
	}
	return n, nil
}

// isMountPoint says whether p is exactly where something is mounted (rename/remove refuse it).
func (v *View) isMountPoint(p string) bool {
	for _, m := range v.Mounts {
		if m.Path == p && p != "/" {
			return true
		}
	}
	return false
}

// Lookup returns the node at absolute path p, its parent directory and the mount.
func (v *View) Lookup(p string) (n, parent *Node, m *Mount, err error) {
	p = path.Clean(p)
	m, rest := v.locate(p)
	if m == nil {
		return nil, nil, nil, ErrNotExist
	}
	n, err = m.base(v.Now())
	if err != nil {
		return nil, nil, m, err
	}
	for _, c := range rest {
		if !n.IsDir() {
			return nil, nil, m, ErrNotDir
		}
		parent = n
		ch, ok := n.children[c]
		if !ok {
			return nil, parent, m, ErrNotExist
		}
		n = ch
	}
	return n, parent, m, nil
}

func (v *View) Stat(p string) (*Node, error) {
	n, _, _, err := v.Lookup(p)
	return n, err
}

// parentDir returns the directory that holds p (which itself may not exist).
func (v *View) parentDir(p string) (*Node, *Mount, string, error) {
	p = path.Clean(p)
	dir, name := path.Split(p)
	if name == "" {
		return nil, nil, "", ErrIsDir
	}
	d, _, m, err := v.Lookup(path.Clean(dir))
	if err != nil {
		return nil, nil, "", err
	}
	if !d.IsDir() {
		return nil, nil, "", ErrNotDir
	}
	// Something mounted at p lives in another volume than its parent.
	if v.isMountPoint(p) {
		mm, _ := v.locate(p)
		return nil, mm, name, ErrBusy
	}
	return d, m, name, nil
}

func (v *View) ReadFile(p string) ([]byte, error) {
	n, err := v.Stat(p)
	if err != nil {
		return nil, err
	}
	if n.IsDir() {
		return nil, ErrIsDir
	}
	return append([]byte(nil), n.Data...), nil
}

// WriteFile creates or replaces (or, with appendTo, extends) a regular file.
func (v *View) WriteFile(p string, data []byte, appendTo bool) error {
	if n, _, m, err := v.Lookup(p); err == nil {
		if n.IsDir() {
			return ErrIsDir
		}
		if m.RO || m.Vol.RO {
			return ErrReadOnly
		}
		size := len(data)
		if appendTo {
			size += len(n.Data)
		}
		if size > MaxFileSize {
			return ErrNoSpace
		}
		delta := int64(size - len(n.Data))
		if err := m.Vol.charge(delta, 0); err != nil {
			return err
		}
		if appendTo {
			n.Data = append(n.Data, data...)
		} else {
			n.Data = append([]byte(nil), data...)
			n.Prog = "" // overwriting a binary makes it a plain file
		}
		n.MTime = v.Now()
		return nil
	}
	d, m, name, err := v.parentDir(p)
	if err != nil {
		return err
	}
	if m.RO || m.Vol.RO {
		return ErrReadOnly
	}
	if len(data) > MaxFileSize {
		return ErrNoSpace
	}
	if err := m.Vol.charge(int64(len(data)), 1); err != nil {
		return err
	}
	d.children[name] = &Node{Mode: 0o644, Data: append([]byte(nil), data...), MTime: v.Now()}
	return nil
}

func (v *View) Mkdir(p string, parents bool) error {
	p = path.Clean(p)
	if parents {
		cur := "/"
		for _, c := range SplitPath(p) {
			cur = path.Join(cur, c)
			n, err := v.Stat(cur)
			if err == nil {
				if !n.IsDir() {
					return ErrNotDir
				}
				continue
			}
			if err := v.Mkdir(cur, false); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := v.Stat(p); err == nil {
		return ErrExist
	}
	d, m, name, err := v.parentDir(p)
	if err != nil {
		return err
	}
	if m.RO || m.Vol.RO {
		return ErrReadOnly
	}
	if err := m.Vol.charge(0, 1); err != nil {
		return err
	}
	d.children[name] = NewDir(0o755, v.Now())
	return nil
}

func (v *View) Remove(p string, recursive bool) error {
	p = path.Clean(p)
	if p == "/" || v.isMountPoint(p) {
		return ErrBusy
	}
	n, parent, m, err := v.Lookup(p)
	if err != nil {
		return err
	}
	if parent == nil {
		return ErrBusy
	}
	if m.RO || m.Vol.RO {
		return ErrReadOnly
	}
	if n.IsDir() && len(n.children) > 0 && !recursive {
		return ErrNotEmpty
	}
	b, c := Usage(n)
	m.Vol.release(b, c)
	delete(parent.children, path.Base(p))
	return nil
}

// Rename moves src to dst (a new name, or into dst when dst is a directory); across volumes it
// copies and removes, as mv does.
func (v *View) Rename(src, dst string) error {
	src, dst = path.Clean(src), path.Clean(dst)
	if v.isMountPoint(src) {
		return ErrBusy
	}
	n, parent, sm, err := v.Lookup(src)
	if err != nil {
		return err
	}
	if parent == nil {
		return ErrBusy
	}
	if d, err := v.Stat(dst); err == nil && d.IsDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if dst == src {
		return nil
	}
	if strings.HasPrefix(dst, src+"/") {
		return errors.New("Invalid argument")
	}
	if old, err := v.Stat(dst); err == nil {
		if old.IsDir() && !n.IsDir() {
			return ErrIsDir
		}
		if old.IsDir() && len(old.children) > 0 {
			return ErrNotEmpty
		}
		if err := v.Remove(dst, true); err != nil {
			return err
		}
	}
	d, dm, name, err := v.parentDir(dst)
	if err != nil {
		return err
	}
	if sm.RO || sm.Vol.RO || dm.RO || dm.Vol.RO {
		return ErrReadOnly
	}
	if dm.Vol != sm.Vol {
		b, c := Usage(n)
		if err := dm.Vol.charge(b, c); err != nil {
			return err
		}
		sm.Vol.release(b, c)
	}
	delete(parent.children, path.Base(src))
	d.children[name] = n
	return nil
}

// CopyTo copies a file or (recursive) directory tree.
func (v *View) CopyTo(src, dst string, recursive bool) error {
	src, dst = path.Clean(src), path.Clean(dst)
	n, err := v.Stat(src)
	if err != nil {
		return err
	}
	if d, err := v.Stat(dst); err == nil && d.IsDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if n.IsDir() {
		if !recursive {
			return ErrIsDir
		}
		if strings.HasPrefix(dst+"/", src+"/") {
			return errors.New("cannot copy a directory into itself")
		}
		if _, err := v.Stat(dst); err != nil {
			if err := v.Mkdir(dst, false); err != nil {
				return err
			}
		}
		names := make([]string, 0, len(n.children))
		for k := range n.children {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := v.CopyTo(path.Join(src, k), path.Join(dst, k), true); err != nil {
				return err
			}
		}
		return nil
	}
	if err := v.WriteFile(dst, n.Data, false); err != nil {
		return err
	}
	if c, err := v.Stat(dst); err == nil {
		c.Mode = n.Mode
		c.Prog = n.Prog
	}
	return nil
}

// List returns a directory's entries sorted by name (or the file itself).
func (v *View) List(p string) ([]string, *Node, error) {
	n, err := v.Stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !n.IsDir() {
		return nil, n, nil
	}
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	// Mount points show up in their parent directory even when the parent volume lacks them.
	for _, m := range v.Mounts {
		if m.Path != "/" && path.Dir(m.Path) == path.Clean(p) {
			if _, ok := n.children[path.Base(m.Path)]; !ok {
				names = append(names, path.Base(m.Path))
			}
		}
	}
	sort.Strings(names)
	return names, n, nil
}
