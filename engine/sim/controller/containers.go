package controller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// RunTimeout bounds one init-container command in real time, so a sandbox that never returns
// shows up as a failed container instead of a stuck simulator.
var RunTimeout = 30 * time.Second

func podKey(p *corev1.Pod) string { return p.Namespace + "/" + p.Name }

// restarted is a container's status once it (re)starts: a new container ID, restartCount up by
// one when it ran before, and the previous run kept as lastState.
func restarted(c corev1.Container, old corev1.ContainerStatus, now metav1.Time, ready bool) corev1.ContainerStatus {
	s := running(c, now, ready)
	s.RestartCount = old.RestartCount
	s.LastTerminationState = old.LastTerminationState
	if t := old.State.Terminated; t != nil {
		s.RestartCount++
		s.LastTerminationState = corev1.ContainerState{Terminated: t}
	} else if old.State.Waiting != nil && old.State.Waiting.Reason == "CrashLoopBackOff" {
		s.RestartCount++
	}
	if old.ContainerID == s.ContainerID && old.ContainerID != "" {
		// Same fake-clock instant as the last start: keep container IDs distinct.
		s.ContainerID = "containerd://" + fmt.Sprintf("%064x", hashString(old.ContainerID))
	}
	return s
}

// containerStarted records the events a kubelet writes when it starts a container: the image
// pull (the first time on this node, or always for pullPolicy Always), Created and Started.
func (k *Kubelet) containerStarted(p *corev1.Pod, c corev1.Container) {
	node := p.Spec.NodeName
	if k.images[node] == nil {
		k.images[node] = map[string]bool{}
	}
	if k.images[node][c.Image] && c.ImagePullPolicy != corev1.PullAlways {
		k.rec.Eventf(p, "kubelet", node, corev1.EventTypeNormal, "Pulled",
			"Container image %q already present on machine", c.Image)
	} else {
		k.images[node][c.Image] = true
		k.rec.Eventf(p, "kubelet", node, corev1.EventTypeNormal, "Pulling", "Pulling image %q", c.Image)
		size := 20_000_000 + hashString(c.Image)%80_000_000
		k.rec.Eventf(p, "kubelet", node, corev1.EventTypeNormal, "Pulled",
			"Successfully pulled image %q in 1.2s (1.2s including waiting). Image size: %d bytes.", c.Image, size)
	}
	k.rec.Eventf(p, "kubelet", node, corev1.EventTypeNormal, "Created", "Created container: %s", c.Name)
	k.rec.Eventf(p, "kubelet", node, corev1.EventTypeNormal, "Started", "Started container %s", c.Name)
}

// runInit runs an init container's command through the Runner. A container without a command
// runs its image's entrypoint, which the simulator cannot know: it succeeds. msg is set when the
// command could not run at all.
func (k *Kubelet) runInit(p *corev1.Pod, c corev1.Container) (code int, msg string) {
	if len(c.Command) == 0 {
		return 0, ""
	}
	argv := append(append([]string(nil), c.Command...), c.Args...)
	ctx, cancel := context.WithTimeout(container.OnLoop(context.Background()), RunTimeout)
	defer cancel()
	code, err := k.env.runner().Run(ctx, p, c.Name, argv, streamsDiscard())
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return 137, ""
		}
		k.env.logf("kubelet: init container %s/%s %s: %v", p.Namespace, p.Name, c.Name, err)
		return 128, err.Error()
	}
	return code, ""
}

func backoffDelay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := BackoffInitial
	for i := 1; i < n && d < BackoffMax; i++ {
		d *= 2
	}
	return min(d, BackoffMax)
}

// backoffContainer names the container (init first) waiting in CrashLoopBackOff.
func backoffContainer(p *corev1.Pod) string {
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range list {
			if s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff" {
				return s.Name
			}
		}
	}
	return ""
}

// crashed handles the first exited container (init first): restart it at once the first time,
// later go through CrashLoopBackOff with a doubling delay, as the kubelet's back-off does.
func (k *Kubelet) crashed(p *corev1.Pod, now metav1.Time) {
	list, specs := p.Status.InitContainerStatuses, p.Spec.InitContainers
	idx := -1
	for i, s := range list {
		if t := s.State.Terminated; t != nil && t.ExitCode != 0 {
			idx = i
			break
		}
	}
	if idx < 0 {
		list, specs = p.Status.ContainerStatuses, p.Spec.Containers
		for i, s := range list {
			if t := s.State.Terminated; t != nil && restarts(p.Spec.RestartPolicy, t.ExitCode) {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		return
	}
	s := &list[idx]
	var spec corev1.Container
	for _, c := range specs {
		if c.Name == s.Name {
			spec = c
		}
	}
	key := restartKey(p, s.Name)
	if t := s.State.Terminated; t.FinishedAt.Sub(t.StartedAt.Time) >= backoffReset {
		k.restarts[key] = 0
	}
	if k.restarts[key] == 0 {
		k.restarts[key] = 1
		*s = restarted(spec, *s, now, spec.ReadinessProbe == nil && !isInit(p, s.Name))
		k.containerStarted(p, spec)
	} else {
		d := backoffDelay(k.restarts[key])
		*s = corev1.ContainerStatus{Name: s.Name, Image: s.Image, ImageID: s.ImageID, ContainerID: s.ContainerID,
			Started: ptrTo(false), RestartCount: s.RestartCount,
			LastTerminationState: corev1.ContainerState{Terminated: s.State.Terminated},
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", d, s.Name, p.Name, p.Namespace, p.UID)}}}
		k.rec.Eventf(p, "kubelet", p.Spec.NodeName, corev1.EventTypeWarning, "BackOff",
			"Back-off restarting failed container %s in pod %s_%s(%s)", s.Name, p.Name, p.Namespace, p.UID)
	}
	k.readiness(p, now)
}

// restartAfterBackoff starts the container waiting in CrashLoopBackOff.
func (k *Kubelet) restartAfterBackoff(p *corev1.Pod, now metav1.Time) {
	name := backoffContainer(p)
	for _, pair := range []struct {
		list  []corev1.ContainerStatus
		specs []corev1.Container
	}{{p.Status.InitContainerStatuses, p.Spec.InitContainers}, {p.Status.ContainerStatuses, p.Spec.Containers}} {
		for i := range pair.list {
			s := &pair.list[i]
			if s.Name != name || s.State.Waiting == nil {
				continue
			}
			for _, c := range pair.specs {
				if c.Name == name {
					k.restarts[restartKey(p, name)]++
					*s = restarted(c, *s, now, c.ReadinessProbe == nil && !isInit(p, name))
					k.containerStarted(p, c)
				}
			}
			k.readiness(p, now)
			return
		}
	}
}

// finish gives a pod whose containers all exited for good (restartPolicy Never/OnFailure) its
// terminal phase.
func (k *Kubelet) finish(p *corev1.Pod, now metav1.Time) {
	p.Status.Phase = corev1.PodSucceeded
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, s := range list {
			if s.State.Terminated != nil && s.State.Terminated.ExitCode != 0 {
				p.Status.Phase = corev1.PodFailed
			}
		}
	}
	setCond(p, corev1.PodReadyToStartContainers, corev1.ConditionFalse, "", "", now)
	setCond(p, corev1.ContainersReady, corev1.ConditionFalse, "PodCompleted", "", now)
	setCond(p, corev1.PodReady, corev1.ConditionFalse, "PodCompleted", "", now)
}

// isSidecar reports whether name is a restartable init container (restartPolicy Always).
func isSidecar(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		}
	}
	return false
}

func isInit(p *corev1.Pod, name string) bool {
	for _, c := range p.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

// ExitContainer makes a running container's main process exit with code, as if it crashed (or
// finished): the kubelet then restarts it according to the pod's restartPolicy.
func (k *Kubelet) ExitContainer(namespace, pod, container string, code int) error {
	obj, err := k.env.Store.Get(podsRes, namespace, pod)
	if err != nil {
		return err
	}
	p := obj.(*corev1.Pod)
	now := metav1.NewTime(k.env.Store.Now())
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for i := range list {
			s := &list[i]
			if s.Name != container {
				continue
			}
			if s.State.Running == nil {
				return fmt.Errorf("container %q in pod %s/%s is not running", container, namespace, pod)
			}
			reason := "Completed"
			if code != 0 {
				reason = "Error"
			}
			s.State = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: reason,
				StartedAt: s.State.Running.StartedAt, FinishedAt: now, ContainerID: s.ContainerID}}
			s.Ready, s.Started = false, ptrTo(false)
			k.readiness(p, now)
			_, err := k.env.Store.Update(podsRes, p, storeStatus)
			return err
		}
	}
	return fmt.Errorf("container %q not found in pod %s/%s", container, namespace, pod)
}

func streamsDiscard() containerStreams {
	return containerStreams{Stdout: io.Discard, Stderr: io.Discard}
}

// restartKey names a container of one pod incarnation: a recreated pod of the same name starts
// its back-off afresh.
func restartKey(p *corev1.Pod, container string) string { return string(p.UID) + "/" + container }
