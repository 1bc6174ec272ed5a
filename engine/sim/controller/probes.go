package controller

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubetutor/kubetutor/engine/sim/container"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

type containerStreams = container.Streams

var storeStatus = store.UpdateOptions{Status: true}

// probeWorker probes one container of one pod incarnation, like the kubelet's prober worker:
// readiness flips after successThreshold successes / failureThreshold failures in a row;
// liveness kills the container after failureThreshold failures.
type probeWorker struct {
	key         string
	ns, pod     string
	uid         types.UID
	container   string
	liveness    bool
	containerID string
	// startup: a readiness worker whose container was never ready yet. Its ticks are ordinary
	// timers, since the pod's start (and an OrderedReady StatefulSet) waits on them; later
	// ticks are background work.
	startup   bool
	successes int
	failures  int
}

func (w *probeWorker) kind() string {
	if w.liveness {
		return "Liveness"
	}
	return "Readiness"
}

// ensureProbes starts a worker for every running container with a probe that has none for
// its current container ID (a restart gives it a new one).
func (k *Kubelet) ensureProbes(p *corev1.Pod) {
	if p.DeletionTimestamp != nil || p.Status.Phase != corev1.PodRunning {
		return
	}
	for _, c := range p.Spec.Containers {
		var st *corev1.ContainerStatus
		for i := range p.Status.ContainerStatuses {
			if p.Status.ContainerStatuses[i].Name == c.Name {
				st = &p.Status.ContainerStatuses[i]
			}
		}
		if st == nil || st.State.Running == nil {
			continue
		}
		for _, live := range []bool{false, true} {
			probe := c.ReadinessProbe
			if live {
				probe = c.LivenessProbe
			}
			if probe == nil {
				continue
			}
			w := &probeWorker{ns: p.Namespace, pod: p.Name, uid: p.UID, container: c.Name, liveness: live,
				containerID: st.ContainerID, startup: !live && !st.Ready}
			w.key = podKey(p) + "/" + c.Name + "/" + w.kind()
			if old := k.probes[w.key]; old != nil && old.uid == p.UID && old.containerID == st.ContainerID {
				continue
			}
			k.probes[w.key] = w
			// The prober skips ticks until initialDelaySeconds have passed since the start.
			d := time.Duration(probe.InitialDelaySeconds)*time.Second - k.env.Store.Now().Sub(st.State.Running.StartedAt.Time)
			if !live {
				d = max(d, DefaultProbeDelay)
			}
			k.scheduleProbe(w, max(d, 0))
		}
	}
}

func (k *Kubelet) stopProbes(p *corev1.Pod) {
	for _, c := range p.Spec.Containers {
		for _, kind := range []string{"Readiness", "Liveness"} {
			delete(k.probes, podKey(p)+"/"+c.Name+"/"+kind)
		}
	}
}

func (k *Kubelet) scheduleProbe(w *probeWorker, d time.Duration) {
	if w.startup {
		k.env.Queue.After(d, func() { k.probeTick(w) })
		return
	}
	k.env.afterBackground(d, func() { k.probeTick(w) })
}

// probeTick runs one probe and reschedules itself every periodSeconds while the container runs.
func (k *Kubelet) probeTick(w *probeWorker) {
	if k.probes[w.key] != w {
		return // superseded by a worker for a newer container or pod
	}
	stop := func() { delete(k.probes, w.key) }
	obj, err := k.env.Store.Get(podsRes, w.ns, w.pod)
	if err != nil {
		stop()
		return
	}
	p := obj.(*corev1.Pod)
	idx := -1
	for i, s := range p.Status.ContainerStatuses {
		if s.Name == w.container {
			idx = i
		}
	}
	if p.UID != w.uid || p.DeletionTimestamp != nil || k.down[p.Spec.NodeName] || idx < 0 ||
		p.Status.ContainerStatuses[idx].ContainerID != w.containerID || p.Status.ContainerStatuses[idx].State.Running == nil {
		stop()
		return
	}
	var spec corev1.Container
	for _, c := range p.Spec.Containers {
		if c.Name == w.container {
			spec = c
		}
	}
	probe := spec.ReadinessProbe
	if w.liveness {
		probe = spec.LivenessProbe
	}
	if probe == nil {
		stop()
		return
	}
	ok, out := k.runProbe(p, w.container, probe)
	now := metav1.NewTime(k.env.Store.Now())
	if ok {
		w.successes++
		w.failures = 0
	} else {
		w.failures++
		w.successes = 0
		if w.failures >= int(probe.FailureThreshold) {
			w.startup = false // a probe that keeps failing is background work, not a start-up
		}
		k.rec.Eventf(p, "kubelet", p.Spec.NodeName, corev1.EventTypeWarning, "Unhealthy", "%s probe failed: %s", w.kind(), out)
	}
	s := &p.Status.ContainerStatuses[idx]
	write := false
	switch {
	case w.liveness && w.failures >= int(probe.FailureThreshold):
		k.rec.Eventf(p, "kubelet", p.Spec.NodeName, corev1.EventTypeNormal, "Killing",
			"Container %s failed liveness probe, will be restarted", w.container)
		s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error",
			StartedAt: s.State.Running.StartedAt, FinishedAt: now, ContainerID: s.ContainerID}}
		s.Ready, s.Started = false, ptrTo(false)
		stop()
		write = true
	case !w.liveness && !s.Ready && w.successes >= int(probe.SuccessThreshold):
		s.Ready = true
		w.startup = false
		write = true
	case !w.liveness && s.Ready && w.failures >= int(probe.FailureThreshold):
		s.Ready = false
		write = true
	}
	if write {
		k.readiness(p, now)
		if _, err := k.env.Store.Update(podsRes, p, storeStatus); err != nil && !apierrors.IsConflict(err) {
			k.env.logf("kubelet: probe %s: %v", w.key, err)
		}
		if k.probes[w.key] != w {
			return
		}
	}
	if ok && !write && k.park(w, p, w.liveness || s.Ready) {
		return
	}
	k.scheduleProbe(w, time.Duration(probe.PeriodSeconds)*time.Second)
}

// probeWakeKey is the kubelet's work-queue key that resumes every parked probe.
var probeWakeKey = Key{Controller: "kubelet"}

// park stops the timer of a worker whose probe just passed and changed nothing (steady:
// liveness passing, or readiness passing on a Ready container), when running it again could
// not change anything: the Runner's answers change only through commands and cluster writes
// (container.StableResults), no exec or attach session is open and no watch sees the pod.
// An idle lesson then has no probe wakeups. Any store event, a new watch or an exec resumes
// the parked workers (WakeProbes), each a period later, so what continuous probing would have
// shown is shown the same, shifted by less than one period (a real kubelet's probe phase is
// arbitrary too). A probe that depends on the clock alone is the exception (sandbox.Steady).
func (k *Kubelet) park(w *probeWorker, p *corev1.Pod, steady bool) bool {
	if w.startup || !steady {
		return false
	}
	if st, ok := k.env.runner().(container.StableResults); !ok || !st.Steady() {
		return false
	}
	// Parked first, then the checks: a watch or exec starting meanwhile sees nParked > 0 and
	// wakes it (its hook runs after it registered, which the checks below would see).
	k.parked[w.key] = w
	k.nParked.Store(int32(len(k.parked)))
	if k.execs.Load() == 0 && !k.env.Store.Watched(podsRes, p) {
		return true
	}
	delete(k.parked, w.key)
	k.nParked.Store(int32(len(k.parked)))
	return false
}

// WakeProbes asks the loop to resume parked probe workers. Safe from any goroutine (store
// listeners, watch hooks, API exec).
func (k *Kubelet) WakeProbes() {
	if k.nParked.Load() > 0 {
		k.env.Queue.Add(probeWakeKey)
	}
}

// ExecStarted and ExecDone bracket a learner's exec or attach session: its commands may change
// what a probe sees at any moment, so no probe stays parked meanwhile.
func (k *Kubelet) ExecStarted() { k.execs.Add(1); k.WakeProbes() }

// ExecDone: see ExecStarted.
func (k *Kubelet) ExecDone() { k.execs.Add(-1); k.WakeProbes() }

func (k *Kubelet) resumeProbes() {
	for key, w := range k.parked {
		delete(k.parked, key)
		if k.probes[key] != w {
			continue
		}
		period := time.Second
		if obj, ok := k.env.Store.Peek(podsRes, w.ns, w.pod); ok {
			for _, c := range obj.(*corev1.Pod).Spec.Containers {
				if c.Name == w.container {
					if pr := c.ReadinessProbe; !w.liveness && pr != nil {
						period = time.Duration(pr.PeriodSeconds) * time.Second
					} else if pr := c.LivenessProbe; w.liveness && pr != nil {
						period = time.Duration(pr.PeriodSeconds) * time.Second
					}
				}
			}
		}
		k.scheduleProbe(w, period)
	}
	k.nParked.Store(0)
}

// runProbe runs an exec probe through the Runner, and httpGet/tcpSocket probes against what
// the Runner says listens in the pod (probeNetwork); gRPC probes and images the Runner does not
// know pass.
func (k *Kubelet) runProbe(p *corev1.Pod, name string, probe *corev1.Probe) (bool, string) {
	if probe.HTTPGet != nil || probe.TCPSocket != nil {
		return k.probeNetwork(p, name, probe)
	}
	if probe.Exec == nil || len(probe.Exec.Command) == 0 {
		return true, ""
	}
	timeout := time.Duration(max(probe.TimeoutSeconds, 1)) * time.Second
	ctx, cancel := context.WithTimeout(container.OnLoop(context.Background()), timeout)
	defer cancel()
	var out limitedBuffer
	code, err := k.env.runner().Run(ctx, p, name, probe.Exec.Command, container.Streams{Stdout: &out, Stderr: &out})
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (err == nil && ctx.Err() != nil):
		return false, fmt.Sprintf("command %q timed out", strings.Join(probe.Exec.Command, " "))
	case err != nil:
		return false, err.Error()
	case code != 0:
		return false, strings.TrimRight(out.String(), "\n")
	}
	return true, ""
}

// limitedBuffer keeps the first 10 KiB of a probe's output, as the kubelet does.
type limitedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 10*1024 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
