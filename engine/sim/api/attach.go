package api

import (
	"context"
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// runAttach connects to a container's main process. The simulator has no process running in
// the background, so a container that asked for stdin (what `kubectl run -i` creates) gets
// its main command started through the Runner now, wired to the attached streams; its exit is
// the container's exit. Any other container only shows its log and stays attached until the
// client leaves or the container stops, as attaching to a server process does.
func (s *server) runAttach(ctx context.Context, pod *corev1.Pod, o streamOptions, sess *streamSession) {
	c := specContainer(pod, o.container)
	if c == nil || !c.Stdin {
		if sess.stdout != nil {
			for _, l := range s.logs.Log(pod, o.container) {
				_, _ = sess.stdout.Write([]byte(l + "\n"))
			}
		}
		s.waitContainerStops(ctx, pod, o.container)
		sess.report(0, nil, nil)
		return
	}
	argv := mainCommand(c)
	streams := sess.streams(o)
	code, err := s.runner.Run(ctx, pod, o.container, argv, streams)
	// With stdinOnce the runtime closes stdin when the first client detaches, so the
	// process ends with the session either way; otherwise only a process that ended on its
	// own has exited.
	if err == nil && s.ctx.Err() == nil && (ctx.Err() == nil || c.StdinOnce) {
		s.containerExited(pod.Namespace, pod.Name, pod.UID, o.container, code)
	}
	if err == nil {
		// A kubelet's attach ends as a success whatever the process's exit code: kubectl reads
		// the code from the pod's status ("pod default/dns-test terminated (Error)").
		code = 0
	}
	sess.report(code, err, argv)
}

func specContainer(pod *corev1.Pod, name string) *corev1.Container {
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range cs {
			if cs[i].Name == name {
				return &cs[i]
			}
		}
	}
	return nil
}

// mainCommand is what the container runs: its command and args, or the image's default.
func mainCommand(c *corev1.Container) []string {
	if len(c.Command) > 0 {
		return append(append([]string(nil), c.Command...), c.Args...)
	}
	entry, cmd := imageDefaults(c.Image)
	if len(c.Args) > 0 {
		cmd = c.Args
	}
	return append(entry, cmd...)
}

// imageDefaults are the ENTRYPOINT and CMD of the images the tutorials use; anything else is
// taken for a shell image.
func imageDefaults(image string) (entry, cmd []string) {
	base := path.Base(image)
	if i := strings.IndexAny(base, ":@"); i >= 0 {
		base = base[:i]
	}
	switch {
	case strings.Contains(base, "nginx"):
		return nil, []string{"nginx", "-g", "daemon off;"}
	case base == "mysql":
		return []string{"docker-entrypoint.sh"}, []string{"mysqld"}
	case base == "xtrabackup":
		return nil, []string{"bash"}
	case base == "ubuntu" || base == "debian":
		return nil, []string{"bash"}
	}
	return nil, []string{"sh"}
}

// containerExited records that a container's main process ended, as the kubelet would: a
// restart (Always, or OnFailure after a failure) or a terminated state, and a terminal pod
// phase once no container runs.
func (s *server) containerExited(ns, name string, uid types.UID, cname string, code int) {
	for range 5 {
		obj, err := s.st.Get(podsResource, ns, name)
		if err != nil {
			return
		}
		p := obj.(*corev1.Pod)
		if p.UID != uid || p.DeletionTimestamp != nil {
			return
		}
		var st *corev1.ContainerStatus
		for i := range p.Status.ContainerStatuses {
			if p.Status.ContainerStatuses[i].Name == cname {
				st = &p.Status.ContainerStatuses[i]
			}
		}
		if st == nil || st.State.Running == nil {
			return
		}
		now := metav1.NewTime(s.clock.Now())
		term := &corev1.ContainerStateTerminated{ExitCode: int32(code), Reason: "Completed",
			StartedAt: st.State.Running.StartedAt, FinishedAt: now, ContainerID: st.ContainerID}
		if code != 0 {
			term.Reason = "Error"
		}
		restart := p.Spec.RestartPolicy == corev1.RestartPolicyAlways || p.Spec.RestartPolicy == "" ||
			(p.Spec.RestartPolicy == corev1.RestartPolicyOnFailure && code != 0)
		if restart {
			st.LastTerminationState = corev1.ContainerState{Terminated: term}
			st.RestartCount++
			st.State = corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}
		} else {
			f := false
			st.State = corev1.ContainerState{Terminated: term}
			st.Ready, st.Started = false, &f
			terminal, failed := true, false
			for _, cs := range p.Status.ContainerStatuses {
				if cs.State.Terminated == nil {
					terminal = false
				} else if cs.State.Terminated.ExitCode != 0 {
					failed = true
				}
			}
			reason := "ContainersNotReady"
			if terminal {
				reason = "PodCompleted"
				p.Status.Phase = corev1.PodSucceeded
				if failed {
					p.Status.Phase = corev1.PodFailed
				}
			}
			setPodCondition(p, corev1.ContainersReady, reason, now)
			setPodCondition(p, corev1.PodReady, reason, now)
		}
		_, err = s.st.Update(podsResource, p, store.UpdateOptions{Status: true})
		if !apierrors.IsConflict(err) {
			if err != nil {
				s.logf("attach: record exit of %s/%s %s: %v", ns, name, cname, err)
			}
			return
		}
	}
}

// setPodCondition sets a condition False with reason, moving its transition time on change.
func setPodCondition(p *corev1.Pod, t corev1.PodConditionType, reason string, now metav1.Time) {
	for i := range p.Status.Conditions {
		c := &p.Status.Conditions[i]
		if c.Type == t {
			if c.Status != corev1.ConditionFalse {
				c.LastTransitionTime = now
			}
			c.Status, c.Reason = corev1.ConditionFalse, reason
			return
		}
	}
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, LastTransitionTime: now})
}

// waitContainerStops returns when ctx ends, the pod goes away (or is replaced), or the
// container no longer runs. It watches from the resourceVersion of the pod the caller read, so
// a change made meanwhile is not missed.
func (s *server) waitContainerStops(ctx context.Context, pod *corev1.Pod, cname string) {
	w, err := s.st.Watch(podsResource, store.WatchOptions{Namespace: pod.Namespace, ResourceVersion: pod.ResourceVersion,
		FieldSelector: fields.OneTermEqualSelector("metadata.name", pod.Name)})
	if err != nil {
		// Too old to watch from: look again, then watch what is there now.
		obj, gerr := s.st.Get(podsResource, pod.Namespace, pod.Name)
		if gerr != nil {
			return
		}
		if p := obj.(*corev1.Pod); p.UID != pod.UID || p.DeletionTimestamp != nil || containerRunning(p, cname) == nil {
			return
		}
		if w, err = s.st.Watch(podsResource, store.WatchOptions{Namespace: pod.Namespace, ResourceVersion: obj.(*corev1.Pod).ResourceVersion,
			FieldSelector: fields.OneTermEqualSelector("metadata.name", pod.Name)}); err != nil {
			return
		}
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Deleted {
				return
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod || p.UID != pod.UID || p.DeletionTimestamp != nil || containerRunning(p, cname) == nil {
				return
			}
		}
	}
}
