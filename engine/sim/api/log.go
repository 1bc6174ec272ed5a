package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// LogSource supplies what containers have written, for `kubectl logs` and attach. The
// sandbox can implement it; DefaultLogs is used otherwise.
type LogSource interface {
	// Log returns the lines the container of pod has written so far, without newlines.
	Log(pod *corev1.Pod, container string) []string
}

// DefaultLogs knows no real output: nginx images print nginx's start-up notices, other
// containers print nothing.
type DefaultLogs struct{}

// Log implements LogSource.
func (DefaultLogs) Log(pod *corev1.Pod, name string) []string {
	c := specContainer(pod, name)
	if c == nil || !strings.Contains(c.Image, "nginx") {
		return nil
	}
	started := pod.CreationTimestamp.Time
	if st := containerStatus(pod, name); st != nil && st.State.Running != nil {
		started = st.State.Running.StartedAt.Time
	}
	ts := started.UTC().Format("2006/01/02 15:04:05")
	var out []string
	for _, l := range []string{
		`using the "epoll" event method`,
		"nginx/1.27.3",
		"OS: Linux 6.8.0",
		"getrlimit(RLIMIT_NOFILE): 1048576:1048576",
		"start worker processes",
		"start worker process 29",
	} {
		out = append(out, ts+" [notice] 1#1: "+l)
	}
	return out
}

// serveLog answers GET pods/NAME/log like the apiserver (container choice, no host → empty)
// and the kubelet (container state checks, tailLines, timestamps, follow).
func (s *server) serveLog(w http.ResponseWriter, r *http.Request, req resourceRequest) {
	if r.Method != http.MethodGet {
		writeError(w, methodNotSupported(req, strings.ToLower(r.Method)))
		return
	}
	q := r.URL.Query()
	obj, err := s.st.Get(podsResource, req.namespace, req.name)
	if err != nil {
		writeError(w, err)
		return
	}
	pod := obj.(*corev1.Pod)
	name, err := pickContainer(pod, q.Get("container"))
	if err != nil {
		writeError(w, err)
		return
	}
	tail := -1
	if v := q.Get("tailLines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("invalid tailLines %q: must be a non-negative integer", v)))
			return
		}
		tail = n
	}
	follow, previous, stamps := boolParam(q.Get("follow")), boolParam(q.Get("previous")), boolParam(q.Get("timestamps"))
	if pod.Spec.NodeName == "" {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		return
	}
	st := containerStatus(pod, name)
	switch {
	case previous:
		if st == nil || st.LastTerminationState.Terminated == nil {
			writeError(w, apierrors.NewBadRequest(fmt.Sprintf("previous terminated container %q in pod %q not found", name, pod.Name)))
			return
		}
		// The simulator keeps no output of earlier runs.
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		return
	case st == nil:
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", name, pod.Name)))
		return
	case st.State.Waiting != nil:
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: %s", name, pod.Name, st.State.Waiting.Reason)))
		return
	}
	lines := s.logs.Log(pod, name)
	if tail >= 0 && tail < len(lines) {
		lines = lines[len(lines)-tail:]
	}
	var stamp string
	if stamps {
		at := pod.CreationTimestamp.Time
		if st.State.Running != nil {
			at = st.State.Running.StartedAt.Time
		} else if st.State.Terminated != nil {
			at = st.State.Terminated.StartedAt.Time
		}
		stamp = at.UTC().Format(time.RFC3339Nano) + " "
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusOK)
	for _, l := range lines {
		if _, err := w.Write([]byte(stamp + l + "\n")); err != nil {
			return
		}
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	if follow && st.State.Running != nil {
		ctx, cancel := context.WithCancel(s.ctx)
		defer cancel()
		go func() {
			select {
			case <-r.Context().Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		s.waitContainerStops(ctx, pod, name)
	}
}
