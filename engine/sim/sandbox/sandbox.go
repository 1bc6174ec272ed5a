// Package sandbox runs commands inside the simulated cluster's containers: a small shell
// (enough for the tutorials and the MySQL init scripts), the common file tools over an
// in-memory filesystem whose volume mounts are backed by PVC, emptyDir and ConfigMap data,
// and the network tools the lessons use (curl against nginx, nslookup and dig against the
// cluster's Services and Endpoints, a tiny MySQL with replication and xtrabackup cloning).
// It implements container.Runner.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/clock"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox/coreutils"
	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

var (
	podsRes                   = store.MustLookup("pods")
	svcRes                    = store.MustLookup("services")
	epRes                     = store.MustLookup("endpoints")
	pvcRes                    = store.MustLookup("persistentvolumeclaims")
	pvRes                     = store.MustLookup("persistentvolumes")
	cmRes                     = store.MustLookup("configmaps")
	_                         = container.Nop{}
	_        container.Runner = (*Sandbox)(nil)
	defaultP                  = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Sandbox keeps every container's files and runs commands in them. Safe for concurrent use.
type Sandbox struct {
	st  *store.Store
	clk clock.PassiveClock

	mu    sync.Mutex // guards the maps and every file tree
	rand  *rand.Rand
	vols  map[string]*vfs.Volume // PVC data by bound PV ("pv/NAME") or claim ("claim/UID")
	empty map[string]*vfs.Volume // emptyDir by "POD-UID/VOLUME"
	roots map[string]*vfs.Volume // container root by "POD-UID/CONTAINER"
	total int64                  // bytes in kept volumes, against vfs.MaxTotalBytes

	dirty atomic.Bool // something was deleted since the last garbage collection

	maxRun atomic.Int64 // a time.Duration: SetMaxRun
}

// SetMaxRun caps how long one command may run, in real time (0: no cap): a command run by
// exec, a probe or an init container, or each command typed in an interactive shell. It is
// the sandbox's CPU cap: Go cannot count the CPU time of one goroutine, so wall time, which
// is never less, stands for it (a sleep counts too). A command stopped by it exits with 137
// and says why.
func (s *Sandbox) SetMaxRun(d time.Duration) { s.maxRun.Store(int64(d)) }

// errRunLimit is the cause of a command's context that SetMaxRun ended.
var errRunLimit = errors.New("the command ran too long")

type runLimitKey struct{}

// runLimit is the per-command cap an interactive shell applies, carried by ctx.
func runLimit(ctx context.Context) time.Duration {
	d, _ := ctx.Value(runLimitKey{}).(time.Duration)
	return d
}

func runLimitMessage(d time.Duration) string {
	return fmt.Sprintf("command terminated: it ran longer than %v, the most one command may run in this simulator\n", d)
}

// New makes a sandbox reading cluster objects from st. clk supplies NOW() and, when it can
// (clock.Clock), the timers behind sleep; otherwise sleep uses real time.
func New(st *store.Store, clk clock.PassiveClock) *Sandbox {
	if clk == nil {
		clk = clock.RealClock{}
	}
	s := &Sandbox{st: st, clk: clk, rand: rand.New(rand.NewSource(1)),
		vols: map[string]*vfs.Volume{}, empty: map[string]*vfs.Volume{}, roots: map[string]*vfs.Volume{}}
	s.dirty.Store(true)
	// Files are dropped when their owner goes; only deletions can make garbage.
	st.Subscribe(func(ev store.Event) {
		if ev.Type == watch.Deleted {
			switch ev.Resource.Name {
			case podsRes.Name, pvRes.Name, pvcRes.Name:
				s.dirty.Store(true)
			}
		}
	})
	return s
}

// SetSeed makes the choice of a Service's endpoint repeatable (mysql-read).
func (s *Sandbox) SetSeed(seed int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rand = rand.New(rand.NewSource(seed))
}

// after waits d on the injected clock when it has timers.
func (s *Sandbox) after(d time.Duration) <-chan time.Time {
	if c, ok := s.clk.(interface {
		After(time.Duration) <-chan time.Time
	}); ok {
		return c.After(d)
	}
	return time.After(d)
}

// env is one container of one pod as a command sees it.
type env struct {
	sb    *Sandbox
	pod   *corev1.Pod
	c     *corev1.Container
	init  bool
	image *image
	view  *vfs.View
}

func findContainer(pod *corev1.Pod, name string) (*corev1.Container, bool) {
	if name == "" && len(pod.Spec.Containers) > 0 {
		return &pod.Spec.Containers[0], false
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], false
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], true
		}
	}
	return nil, false
}

// Steady implements container.StableResults: a container's files, its mysqld and what it
// listens on change only through commands run here and the cluster's objects. The one input
// that moves by itself is the clock (date, NOW()); a probe whose answer depends on the time
// alone is re-run only once something changes or someone watches the pod (BENCHMARKS.md).
func (s *Sandbox) Steady() bool { return true }

// Run implements container.Runner. An empty argv runs the container's own command (or its
// image's default), as attach does.
func (s *Sandbox) Run(ctx context.Context, pod *corev1.Pod, containerName string, argv []string, st container.Streams) (int, error) {
	if pod == nil {
		return 0, fmt.Errorf("%w: no pod", container.ErrNotFound)
	}
	if ph := pod.Status.Phase; ph == corev1.PodSucceeded || ph == corev1.PodFailed {
		return 0, fmt.Errorf("cannot exec into a container in a completed pod; current phase is %s", ph)
	}
	e, err := s.envFor(pod, containerName)
	if err != nil {
		return 0, err
	}
	if len(argv) == 0 {
		argv = containerArgv(e.c, e.image)
	}
	if st.Stdout == nil {
		st.Stdout = io.Discard
	}
	if st.Stderr == nil {
		st.Stderr = io.Discard
	}
	if st.Stdin == nil {
		st.Stdin = strings.NewReader("")
	}
	// Pipeline stages write concurrently; the caller's writers need not be safe for that.
	var wmu sync.Mutex
	stdout, stderr := io.Writer(&syncWriter{mu: &wmu, w: st.Stdout}), io.Writer(&syncWriter{mu: &wmu, w: st.Stderr})
	if st.TTY {
		// A terminal's line discipline turns "\n" into "\r\n" on output.
		stdout, stderr = &crlfWriter{w: stdout}, &crlfWriter{w: stderr}
	}
	limit := time.Duration(s.maxRun.Load())
	switch {
	case limit > 0 && st.TTY:
		// An interactive shell: each command it runs gets the cap (shell.go).
		ctx = context.WithValue(ctx, runLimitKey{}, limit)
	case limit > 0:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, limit, errRunLimit)
		defer cancel()
	}
	p := &Proc{Ctx: ctx, Sys: e, Args: argv, Stdin: st.Stdin, Stdout: stdout, Stderr: stderr,
		TTY: st.TTY, Cwd: "/", Vars: e.baseEnv(st.TTY)}
	if e.c.WorkingDir != "" {
		p.Cwd = path.Clean(e.c.WorkingDir)
	}
	if st.Resize != nil {
		// Nothing here draws to the terminal's width; keep the sender from blocking.
		done := make(chan struct{})
		defer close(done)
		go func() {
			for {
				select {
				case _, ok := <-st.Resize:
					if !ok {
						return
					}
				case <-done:
					return
				}
			}
		}()
	}
	code := execProgram(p, argv)
	if errors.Is(context.Cause(ctx), errRunLimit) {
		io.WriteString(stderr, runLimitMessage(limit))
		return 137, nil
	}
	if ctx.Err() != nil && code == 0 {
		code = 130
	}
	return code, nil
}

// containerArgv is what a container runs: its command and args; args alone replace the
// image's default command (the images' entrypoints pass a non-option command through), while
// args that are options go to the default command (mysqld --flag).
func containerArgv(c *corev1.Container, im *image) []string {
	switch {
	case len(c.Command) > 0:
		return append(append([]string(nil), c.Command...), c.Args...)
	case len(c.Args) > 0 && !strings.HasPrefix(c.Args[0], "-"):
		return append([]string(nil), c.Args...)
	default:
		return append(append([]string(nil), im.cmd...), c.Args...)
	}
}

type syncWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

type crlfWriter struct{ w io.Writer }

func (c *crlfWriter) Write(b []byte) (int, error) {
	out := make([]byte, 0, len(b)+8)
	for i, ch := range b {
		if ch == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, ch)
	}
	if _, err := c.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (s *Sandbox) envFor(pod *corev1.Pod, name string) (*env, error) {
	c, init := findContainer(pod, name)
	if c == nil {
		if name == "" {
			return nil, fmt.Errorf("%w: pod %s has no containers", container.ErrNotFound, pod.Name)
		}
		return nil, fmt.Errorf("%w: container %s is not valid for pod %s", container.ErrNotFound, name, pod.Name)
	}
	e := &env{sb: s, pod: pod, c: c, init: init, image: imageFor(c.Image)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gcLocked()
	now := s.clk.Now()
	key := string(pod.UID) + "/" + c.Name
	root, ok := s.roots[key]
	if !ok {
		root = s.keep(e.image.rootfs(now))
		s.roots[key] = root
	}
	v := &vfs.View{Now: s.clk.Now}
	v.AddMount(vfs.Mount{Path: "/", Vol: root})
	rootView := &vfs.View{Mounts: []vfs.Mount{{Path: "/", Vol: root}}, Now: s.clk.Now}
	// Files the runtime writes into every container.
	host := hostnameOf(pod)
	_ = rootView.WriteFile("/etc/hostname", []byte(host+"\n"), false)
	_ = rootView.WriteFile("/etc/hosts", []byte(hostsFile(pod)), false)
	_ = rootView.WriteFile("/etc/resolv.conf", []byte(fmt.Sprintf(
		"search %s.svc.cluster.local svc.cluster.local cluster.local\nnameserver %s\noptions ndots:5\n",
		pod.Namespace, dnsServerIP)), false)
	for _, vm := range c.VolumeMounts {
		vol, ro, err := s.volumeLocked(pod, vm.Name, now)
		if err != nil {
			return nil, err
		}
		mp := path.Clean("/" + vm.MountPath)
		_ = rootView.Mkdir(mp, true)
		v.AddMount(vfs.Mount{Path: mp, Vol: vol, Sub: vfs.SplitPath(vm.SubPath), RO: ro || vm.ReadOnly})
	}
	e.view = v
	return e, nil
}

func (s *Sandbox) volumeLocked(pod *corev1.Pod, name string, now time.Time) (*vfs.Volume, bool, error) {
	for _, vs := range pod.Spec.Volumes {
		if vs.Name != name {
			continue
		}
		switch {
		case vs.PersistentVolumeClaim != nil:
			key, err := s.claimKey(pod.Namespace, vs.PersistentVolumeClaim.ClaimName)
			if err != nil {
				return nil, false, err
			}
			vol, ok := s.vols[key]
			if !ok {
				vol = s.keep(vfs.NewVolume(now))
				s.vols[key] = vol
			}
			return vol, vs.PersistentVolumeClaim.ReadOnly, nil
		case vs.EmptyDir != nil:
			key := string(pod.UID) + "/" + name
			vol, ok := s.empty[key]
			if !ok {
				vol = s.keep(vfs.NewVolume(now))
				vol.Root.Mode = fs.ModeDir | 0o777
				s.empty[key] = vol
			}
			return vol, false, nil
		case vs.ConfigMap != nil:
			return s.configMapVolume(pod.Namespace, vs.ConfigMap, now), true, nil
		case vs.HostPath != nil:
			key := "host/" + pod.Spec.NodeName + path.Clean("/"+vs.HostPath.Path)
			vol, ok := s.vols[key]
			if !ok {
				vol = s.keep(vfs.NewVolume(now))
				s.vols[key] = vol
			}
			return vol, false, nil
		default:
			// Secrets, projected and downward API volumes: present but empty here.
			vol := vfs.NewVolume(now)
			vol.RO = true
			return vol, true, nil
		}
	}
	return nil, false, fmt.Errorf("pod %s/%s: volumeMount %q has no volume of that name", pod.Namespace, pod.Name, name)
}

// claimKey names a claim's data by the PersistentVolume bound to it, so the data follows the
// volume (surviving pod and StatefulSet re-creation) and a re-created claim starts empty.
func (s *Sandbox) claimKey(ns, claim string) (string, error) {
	obj, err := s.st.Get(pvcRes, ns, claim)
	if err != nil {
		return "", fmt.Errorf("persistentvolumeclaim %q not found", claim)
	}
	pvc := obj.(*corev1.PersistentVolumeClaim)
	if pvc.Spec.VolumeName != "" {
		return "pv/" + pvc.Spec.VolumeName, nil
	}
	return "claim/" + string(pvc.UID), nil
}

func (s *Sandbox) configMapVolume(ns string, src *corev1.ConfigMapVolumeSource, now time.Time) *vfs.Volume {
	vol := vfs.NewVolume(now)
	v := &vfs.View{Mounts: []vfs.Mount{{Path: "/", Vol: vol}}, Now: func() time.Time { return now }}
	obj, err := s.st.Get(cmRes, ns, src.Name)
	if err == nil {
		cm := obj.(*corev1.ConfigMap)
		keys := map[string]string{}
		if len(src.Items) > 0 {
			for _, it := range src.Items {
				if d, ok := cm.Data[it.Key]; ok {
					keys[it.Path] = d
				}
			}
		} else {
			for k, d := range cm.Data {
				keys[k] = d
			}
			for k, d := range cm.BinaryData {
				keys[k] = string(d)
			}
		}
		for k, d := range keys {
			_ = v.Mkdir(path.Dir("/"+k), true)
			_ = v.WriteFile("/"+k, []byte(d), false)
		}
	}
	vol.RO = true
	return vol
}

// keep counts a volume against the sandbox's total from now on.
func (s *Sandbox) keep(v *vfs.Volume) *vfs.Volume {
	s.total += v.Bytes
	v.Total = &s.total
	return v
}

func (s *Sandbox) drop(m map[string]*vfs.Volume, k string) {
	s.total -= m[k].Bytes
	delete(m, k)
}

// gcLocked drops files whose owner is gone: data of deleted PersistentVolumes (reclaim policy
// Delete) and the emptyDirs and container roots of deleted pods.
func (s *Sandbox) gcLocked() {
	if !s.dirty.Swap(false) {
		return
	}
	pvs, _ := s.st.List(pvRes, "", nil, nil)
	livePV := map[string]bool{}
	for _, o := range pvs {
		livePV["pv/"+o.(*corev1.PersistentVolume).Name] = true
	}
	pvcs, _ := s.st.List(pvcRes, "", nil, nil)
	for _, o := range pvcs {
		livePV["claim/"+string(o.(*corev1.PersistentVolumeClaim).UID)] = true
	}
	for k := range s.vols {
		if (strings.HasPrefix(k, "pv/") || strings.HasPrefix(k, "claim/")) && !livePV[k] {
			s.drop(s.vols, k)
		}
	}
	pods, _ := s.st.List(podsRes, "", nil, nil)
	livePod := map[string]bool{}
	for _, o := range pods {
		livePod[string(o.(*corev1.Pod).UID)] = true
	}
	for _, m := range []map[string]*vfs.Volume{s.empty, s.roots} {
		for k := range m {
			if uid, _, _ := strings.Cut(k, "/"); !livePod[uid] {
				s.drop(m, k)
			}
		}
	}
}

func hostnameOf(pod *corev1.Pod) string {
	if pod.Spec.Hostname != "" {
		return pod.Spec.Hostname
	}
	return pod.Name
}

func fqdnOf(pod *corev1.Pod) string {
	if pod.Spec.Subdomain != "" {
		return fmt.Sprintf("%s.%s.%s.svc.cluster.local", hostnameOf(pod), pod.Spec.Subdomain, pod.Namespace)
	}
	return ""
}

func hostsFile(pod *corev1.Pod) string {
	b := "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if pod.Status.PodIP != "" {
		if f := fqdnOf(pod); f != "" {
			b += fmt.Sprintf("%s\t%s\t%s\n", pod.Status.PodIP, f, hostnameOf(pod))
		} else {
			b += fmt.Sprintf("%s\t%s\n", pod.Status.PodIP, hostnameOf(pod))
		}
	}
	return b
}

// baseEnv is the environment a container process starts with.
func (e *env) baseEnv(tty bool) map[string]string {
	vars := map[string]string{"PATH": defaultP, "HOSTNAME": hostnameOf(e.pod), "HOME": "/root",
		"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
		"KUBERNETES_PORT": "tcp://10.96.0.1:443"}
	if tty {
		vars["TERM"] = "xterm"
	}
	for _, ev := range e.c.Env {
		if ev.ValueFrom == nil {
			vars[ev.Name] = expandK8sVars(ev.Value, vars)
			continue
		}
		if f := ev.ValueFrom.FieldRef; f != nil {
			switch f.FieldPath {
			case "metadata.name":
				vars[ev.Name] = e.pod.Name
			case "metadata.namespace":
				vars[ev.Name] = e.pod.Namespace
			case "status.podIP":
				vars[ev.Name] = e.pod.Status.PodIP
			case "spec.nodeName":
				vars[ev.Name] = e.pod.Spec.NodeName
			case "status.hostIP":
				vars[ev.Name] = e.pod.Status.HostIP
			}
		}
		if r := ev.ValueFrom.ConfigMapKeyRef; r != nil {
			if obj, err := e.sb.st.Get(cmRes, e.pod.Namespace, r.Name); err == nil {
				vars[ev.Name] = obj.(*corev1.ConfigMap).Data[r.Key]
			}
		}
	}
	return vars
}

// expandK8sVars does the kubelet's $(VAR) expansion in env values.
func expandK8sVars(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) && s[i+1] == '(' {
			if j := strings.IndexByte(s[i:], ')'); j > 0 {
				if v, ok := vars[s[i+2:i+j]]; ok {
					b.WriteString(v)
					i += j
					continue
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// --- locked file access for commands -------------------------------------------------------

// Info is a file's metadata as programs see it.
type Info = coreutils.Info

func infoOf(name string, n *vfs.Node) Info {
	return Info{Name: name, Mode: n.Mode, Size: len(n.Data), Prog: n.Prog, MTime: n.MTime}
}

func (e *env) lock() func() {
	e.sb.mu.Lock()
	return e.sb.mu.Unlock
}

func (e *env) Stat(p string) (Info, error) {
	defer e.lock()()
	n, err := e.view.Stat(p)
	if err != nil {
		return Info{}, err
	}
	return infoOf(path.Base(p), n), nil
}

func (e *env) ReadFile(p string) ([]byte, error) {
	defer e.lock()()
	return e.view.ReadFile(p)
}

func (e *env) WriteFile(p string, data []byte, appendTo bool) error {
	defer e.lock()()
	return e.view.WriteFile(p, data, appendTo)
}

func (e *env) Mkdir(p string, parents bool) error {
	defer e.lock()()
	return e.view.Mkdir(p, parents)
}

func (e *env) Remove(p string, recursive bool) error {
	defer e.lock()()
	return e.view.Remove(p, recursive)
}

func (e *env) Rename(src, dst string) error {
	defer e.lock()()
	return e.view.Rename(src, dst)
}

func (e *env) CopyTo(src, dst string, recursive bool) error {
	defer e.lock()()
	return e.view.CopyTo(src, dst, recursive)
}

func (e *env) Chmod(p string, mode fs.FileMode) error {
	defer e.lock()()
	n, _, m, err := e.view.Lookup(p)
	if err != nil {
		return err
	}
	if m.RO || m.Vol.RO {
		return vfs.ErrReadOnly
	}
	n.Mode = n.Mode&^fs.ModePerm | mode&fs.ModePerm
	return nil
}

func (e *env) Touch(p string) error {
	defer e.lock()()
	if n, err := e.view.Stat(p); err == nil {
		n.MTime = e.view.Now()
		return nil
	}
	return e.view.WriteFile(p, nil, false)
}

// ReadDir lists a directory (or, for a file, just that file).
func (e *env) ReadDir(p string) ([]Info, bool, error) {
	defer e.lock()()
	names, n, err := e.view.List(p)
	if err != nil {
		return nil, false, err
	}
	if !n.IsDir() {
		return []Info{infoOf(path.Base(p), n)}, false, nil
	}
	var out []Info
	for _, name := range names {
		if ch, err := e.view.Stat(path.Join(p, name)); err == nil {
			out = append(out, infoOf(name, ch))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, true, nil
}

// writable says whether p's mount accepts writes.
func (e *env) writable(p string) bool {
	defer e.lock()()
	_, _, m, err := e.view.Lookup(p)
	return err == nil && !m.RO && !m.Vol.RO
}

// The rest of coreutils.System: what programs ask of their container beyond files.

func (e *env) Usage(p string) (int64, error) {
	defer e.lock()()
	n, err := e.view.Stat(p)
	if err != nil {
		return 0, err
	}
	b, _ := vfs.Usage(n)
	return b, nil
}

func (e *env) Mounts() []coreutils.MountUsage {
	defer e.lock()()
	var out []coreutils.MountUsage
	for i := len(e.view.Mounts) - 1; i >= 0; i-- {
		m := e.view.Mounts[i]
		out = append(out, coreutils.MountUsage{Path: m.Path, Bytes: m.Vol.Bytes})
	}
	return out
}

func (e *env) Now() time.Time                                       { return e.sb.clk.Now() }
func (e *env) After(d time.Duration) <-chan time.Time               { return e.sb.after(d) }
func (e *env) Hostname() string                                     { return hostnameOf(e.pod) }
func (e *env) FQDN() string                                         { return fqdnOf(e.pod) }
func (e *env) PodIP() string                                        { return e.pod.Status.PodIP }
func (e *env) LookPath(p *Proc, name string) (string, string, bool) { return lookPath(p, name) }
func (e *env) Exec(p *Proc, argv []string) int                      { return execProgram(p, argv) }
