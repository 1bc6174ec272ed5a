package sandbox

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
	errNotExist     = errors.New("No such file or directory")
	errExist        = errors.New("File exists")
	errNotDir       = errors.New("Not a directory")
	errIsDir        = errors.New("Is a directory")
	errNotEmpty     = errors.New("Directory not empty")
	errNoSpace      = errors.New("No space left on device (the simulator caps each volume at 8 MiB and 4000 files, and each file at 1 MiB)")
	errNoSpaceTotal = errors.New("No space left on device (the simulator caps all files together at 64 MiB; delete some, or PersistentVolumes you no longer need)")
	errReadOnly     = errors.New("Read-only file system")
	errBusy         = errors.New("Device or resource busy")
)

// node is a file or directory. prog names the simulated program an executable runs.
type node struct {
	mode     fs.FileMode
	data     []byte
	prog     string
	children map[string]*node
	mtime    time.Time
}

func (n *node) isDir() bool { return n.mode.IsDir() }

func newDir(perm fs.FileMode, t time.Time) *node {
	return &node{mode: fs.ModeDir | perm, children: map[string]*node{}, mtime: t}
}

// volume is one tree of files with its own accounting: a PVC's data, an emptyDir, a
// container's root filesystem.
type volume struct {
	root  *node
	bytes int64
	nodes int
	ro    bool   // configMap volumes
	total *int64 // the sandbox's bytes across volumes, when the volume is kept
}

func newVolume(t time.Time) *volume {
	return &volume{root: newDir(0o755, t), nodes: 1}
}

func (v *volume) charge(bytes int64, nodes int) error {
	if v.bytes+bytes > MaxVolumeBytes || v.nodes+nodes > MaxVolumeNodes {
		return errNoSpace
	}
	if v.total != nil {
		if bytes > 0 && *v.total+bytes > MaxTotalBytes {
			return errNoSpaceTotal
		}
		*v.total += bytes
	}
	v.bytes += bytes
	v.nodes += nodes
	return nil
}

// release gives back what a removed subtree used.
func (v *volume) release(bytes int64, nodes int) {
	v.bytes -= bytes
	v.nodes -= nodes
	if v.total != nil {
		*v.total -= bytes
	}
}

// usage counts a subtree's bytes and nodes.
func usage(n *node) (int64, int) {
	b, c := int64(len(n.data)), 1
	for _, ch := range n.children {
		cb, cc := usage(ch)
		b += cb
		c += cc
	}
	return b, c
}

func cloneNode(n *node) *node {
	c := &node{mode: n.mode, prog: n.prog, mtime: n.mtime, data: append([]byte(nil), n.data...)}
	if n.children != nil {
		c.children = make(map[string]*node, len(n.children))
		for k, ch := range n.children {
			c.children[k] = cloneNode(ch)
		}
	}
	return c
}

// mount puts (a subdirectory of) a volume at an absolute path of a container's view.
type mount struct {
	path string // clean, absolute
	vol  *volume
	sub  []string // subPath components inside vol
	ro   bool
}

// view is what one container sees: its root volume and the pod's volume mounts.
type view struct {
	mounts []mount // longest path first
	now    func() time.Time
}

func splitPath(p string) []string {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil
	}
	return strings.Split(p[1:], "/")
}

// abs makes p absolute against cwd and cleans it.
func abs(cwd, p string) string {
	if p == "" {
		return cwd
	}
	if !strings.HasPrefix(p, "/") {
		p = cwd + "/" + p
	}
	return path.Clean(p)
}

func (v *view) addMount(m mount) {
	v.mounts = append(v.mounts, m)
	sort.SliceStable(v.mounts, func(i, j int) bool { return len(v.mounts[i].path) > len(v.mounts[j].path) })
}

// locate finds the mount holding absolute path p and the components below the mount's root.
func (v *view) locate(p string) (*mount, []string) {
	for i := range v.mounts {
		m := &v.mounts[i]
		if m.path == "/" || p == m.path || strings.HasPrefix(p, m.path+"/") {
			rest := splitPath(strings.TrimPrefix(p, m.path))
			if m.path == "/" {
				rest = splitPath(p)
			}
			return m, rest
		}
	}
	return nil, nil
}

// base is the directory node a mount shows, creating a missing subPath as the kubelet does.
func (m *mount) base(t time.Time) (*node, error) {
	n := m.vol.root
	for _, c := range m.sub {
		ch, ok := n.children[c]
		if !ok {
			if err := m.vol.charge(0, 1); err != nil {
				return nil, err
			}
			ch = newDir(0o755, t)
			n.children[c] = ch
		}
		if !ch.isDir() {
			return nil, errNotDir
		}
		n = ch
	}
	return n, nil
}

// isMountPoint says whether p is exactly where something is mounted (rename/remove refuse it).
func (v *view) isMountPoint(p string) bool {
	for _, m := range v.mounts {
		if m.path == p && p != "/" {
			return true
		}
	}
	return false
}

// lookup returns the node at absolute path p, its parent directory and the mount.
func (v *view) lookup(p string) (n, parent *node, m *mount, err error) {
	p = path.Clean(p)
	m, rest := v.locate(p)
	if m == nil {
		return nil, nil, nil, errNotExist
	}
	n, err = m.base(v.now())
	if err != nil {
		return nil, nil, m, err
	}
	for _, c := range rest {
		if !n.isDir() {
			return nil, nil, m, errNotDir
		}
		parent = n
		ch, ok := n.children[c]
		if !ok {
			return nil, parent, m, errNotExist
		}
		n = ch
	}
	return n, parent, m, nil
}

func (v *view) stat(p string) (*node, error) {
	n, _, _, err := v.lookup(p)
	return n, err
}

// parentDir returns the directory that holds p (which itself may not exist).
func (v *view) parentDir(p string) (*node, *mount, string, error) {
	p = path.Clean(p)
	dir, name := path.Split(p)
	if name == "" {
		return nil, nil, "", errIsDir
	}
	d, _, m, err := v.lookup(path.Clean(dir))
	if err != nil {
		return nil, nil, "", err
	}
	if !d.isDir() {
		return nil, nil, "", errNotDir
	}
	// Something mounted at p lives in another volume than its parent.
	if v.isMountPoint(p) {
		mm, _ := v.locate(p)
		return nil, mm, name, errBusy
	}
	return d, m, name, nil
}

func (v *view) readFile(p string) ([]byte, error) {
	n, err := v.stat(p)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, errIsDir
	}
	return append([]byte(nil), n.data...), nil
}

// writeFile creates or replaces (or, with appendTo, extends) a regular file.
func (v *view) writeFile(p string, data []byte, appendTo bool) error {
	if n, _, m, err := v.lookup(p); err == nil {
		if n.isDir() {
			return errIsDir
		}
		if m.ro || m.vol.ro {
			return errReadOnly
		}
		size := len(data)
		if appendTo {
			size += len(n.data)
		}
		if size > MaxFileSize {
			return errNoSpace
		}
		delta := int64(size - len(n.data))
		if err := m.vol.charge(delta, 0); err != nil {
			return err
		}
		if appendTo {
			n.data = append(n.data, data...)
		} else {
			n.data = append([]byte(nil), data...)
			n.prog = "" // overwriting a binary makes it a plain file
		}
		n.mtime = v.now()
		return nil
	}
	d, m, name, err := v.parentDir(p)
	if err != nil {
		return err
	}
	if m.ro || m.vol.ro {
		return errReadOnly
	}
	if len(data) > MaxFileSize {
		return errNoSpace
	}
	if err := m.vol.charge(int64(len(data)), 1); err != nil {
		return err
	}
	d.children[name] = &node{mode: 0o644, data: append([]byte(nil), data...), mtime: v.now()}
	return nil
}

func (v *view) mkdir(p string, parents bool) error {
	p = path.Clean(p)
	if parents {
		cur := "/"
		for _, c := range splitPath(p) {
			cur = path.Join(cur, c)
			n, err := v.stat(cur)
			if err == nil {
				if !n.isDir() {
					return errNotDir
				}
				continue
			}
			if err := v.mkdir(cur, false); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := v.stat(p); err == nil {
		return errExist
	}
	d, m, name, err := v.parentDir(p)
	if err != nil {
		return err
	}
	if m.ro || m.vol.ro {
		return errReadOnly
	}
	if err := m.vol.charge(0, 1); err != nil {
		return err
	}
	d.children[name] = newDir(0o755, v.now())
	return nil
}

func (v *view) remove(p string, recursive bool) error {
	p = path.Clean(p)
	if p == "/" || v.isMountPoint(p) {
		return errBusy
	}
	n, parent, m, err := v.lookup(p)
	if err != nil {
		return err
	}
	if parent == nil {
		return errBusy
	}
	if m.ro || m.vol.ro {
		return errReadOnly
	}
	if n.isDir() && len(n.children) > 0 && !recursive {
		return errNotEmpty
	}
	b, c := usage(n)
	m.vol.release(b, c)
	delete(parent.children, path.Base(p))
	return nil
}

// rename moves src to dst (a new name, or into dst when dst is a directory); across volumes it
// copies and removes, as mv does.
func (v *view) rename(src, dst string) error {
	src, dst = path.Clean(src), path.Clean(dst)
	if v.isMountPoint(src) {
		return errBusy
	}
	n, parent, sm, err := v.lookup(src)
	if err != nil {
		return err
	}
	if parent == nil {
		return errBusy
	}
	if d, err := v.stat(dst); err == nil && d.isDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if dst == src {
		return nil
	}
	if strings.HasPrefix(dst, src+"/") {
		return errors.New("Invalid argument")
	}
	if old, err := v.stat(dst); err == nil {
		if old.isDir() && !n.isDir() {
			return errIsDir
		}
		if old.isDir() && len(old.children) > 0 {
			return errNotEmpty
		}
		if err := v.remove(dst, true); err != nil {
			return err
		}
	}
	d, dm, name, err := v.parentDir(dst)
	if err != nil {
		return err
	}
	if sm.ro || sm.vol.ro || dm.ro || dm.vol.ro {
		return errReadOnly
	}
	if dm.vol != sm.vol {
		b, c := usage(n)
		if err := dm.vol.charge(b, c); err != nil {
			return err
		}
		sm.vol.release(b, c)
	}
	delete(parent.children, path.Base(src))
	d.children[name] = n
	return nil
}

// copyTo copies a file or (recursive) directory tree.
func (v *view) copyTo(src, dst string, recursive bool) error {
	src, dst = path.Clean(src), path.Clean(dst)
	n, err := v.stat(src)
	if err != nil {
		return err
	}
	if d, err := v.stat(dst); err == nil && d.isDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if n.isDir() {
		if !recursive {
			return errIsDir
		}
		if strings.HasPrefix(dst+"/", src+"/") {
			return errors.New("cannot copy a directory into itself")
		}
		if _, err := v.stat(dst); err != nil {
			if err := v.mkdir(dst, false); err != nil {
				return err
			}
		}
		names := make([]string, 0, len(n.children))
		for k := range n.children {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := v.copyTo(path.Join(src, k), path.Join(dst, k), true); err != nil {
				return err
			}
		}
		return nil
	}
	if err := v.writeFile(dst, n.data, false); err != nil {
		return err
	}
	if c, err := v.stat(dst); err == nil {
		c.mode = n.mode
		c.prog = n.prog
	}
	return nil
}

// list returns a directory's entries sorted by name (or the file itself).
func (v *view) list(p string) ([]string, *node, error) {
	n, err := v.stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !n.isDir() {
		return nil, n, nil
	}
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	// Mount points show up in their parent directory even when the parent volume lacks them.
	for _, m := range v.mounts {
		if m.path != "/" && path.Dir(m.path) == path.Clean(p) {
			if _, ok := n.children[path.Base(m.path)]; !ok {
				names = append(names, path.Base(m.path))
			}
		}
	}
	sort.Strings(names)
	return names, n, nil
}
