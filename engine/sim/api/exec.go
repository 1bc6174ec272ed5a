package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/apimachinery/pkg/util/httpstream/spdy"
	"k8s.io/apimachinery/pkg/util/httpstream/wsstream"
	"k8s.io/apimachinery/pkg/util/remotecommand"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// Exec and attach are served the way a real apiserver and kubelet serve them together: the
// apiserver's checks (container name, host assigned) answer as metav1.Status JSON before any
// upgrade; the kubelet's (container running) answer as plain text, which clients report as
// "unable to upgrade connection: …". The stream itself is the kubelet's remotecommand
// protocol over WebSocket (v5/v4 channel.k8s.io, what kubectl ≥ 1.30 tries first) or SPDY
// (the fallback), and the command runs through the configured container.Runner.

// streamIdleTimeout ends a session that sees no traffic at all, as the kubelet's
// --streaming-connection-idle-timeout (default 4h) does.
const streamIdleTimeout = 4 * time.Hour

// execStartLatency models a container runtime's exec start (real clock: it is about the
// client's stream set-up on the wire, not simulated time).
const execStartLatency = 50 * time.Millisecond

// streamCreationTimeout bounds how long a SPDY client may take to open its streams.
const streamCreationTimeout = 30 * time.Second

// streamOptions are the query parameters of an exec or attach request.
type streamOptions struct {
	stdin, stdout, stderr, tty bool
	container                  string
	command                    []string
}

func boolParam(v string) bool { return v == "true" || v == "1" }

// streamSession is one connected exec/attach, whatever the transport.
type streamSession struct {
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	resize   chan container.Size
	protocol string
	// status reports the outcome on the error channel.
	status func(*metav1.Status)
	// gone is closed when the client disconnects.
	gone <-chan struct{}
	done func()
}

func (s *server) serveStream(w http.ResponseWriter, r *http.Request, req resourceRequest, attach bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, methodNotSupported(req, strings.ToLower(r.Method)))
		return
	}
	q := r.URL.Query()
	o := streamOptions{stdin: boolParam(q.Get("stdin")), stdout: boolParam(q.Get("stdout")),
		stderr: boolParam(q.Get("stderr")), tty: boolParam(q.Get("tty")), container: q.Get("container"), command: q["command"]}
	obj, err := s.st.Get(podsResource, req.namespace, req.name)
	if err != nil {
		writeError(w, err)
		return
	}
	pod := obj.(*corev1.Pod)
	if !attach && len(o.command) == 0 {
		writeError(w, apierrors.NewBadRequest("you must specify at least 1 command"))
		return
	}
	if !o.stdin && !o.stdout && !o.stderr {
		writeError(w, apierrors.NewBadRequest("you must specify at least one of stdin, stdout, stderr"))
		return
	}
	name, err := pickContainer(pod, o.container)
	if err != nil {
		writeError(w, err)
		return
	}
	o.container = name
	if pod.Spec.NodeName == "" {
		writeError(w, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name)))
		return
	}
	// From here on the kubelet answers.
	if containerRunning(pod, name) == nil {
		kubeletError(w, http.StatusInternalServerError, fmt.Sprintf("container not found (%q)", name))
		return
	}
	var sess *streamSession
	if wsstream.IsWebSocketRequest(r) {
		sess = s.openWebSocket(w, r, o)
	} else {
		sess = s.openSPDY(w, r, o)
	}
	if sess == nil {
		return
	}
	defer sess.done()
	if sess.stdin != nil {
		sess.stdin = bufferStdin(sess.stdin)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	// A container runtime takes a moment to start a process; clients rely on that: kubectl
	// sets up its output streams and sends the terminal size right after the upgrade, and data
	// or a close arriving before that is dropped ("Unknown stream id 1") or logged as an error.
	select {
	case <-time.After(execStartLatency):
	case <-ctx.Done():
	}
	if attach {
		s.runAttach(ctx, pod, o, sess)
		return
	}
	s.runExec(ctx, pod, o, sess)
}

func (s *server) runExec(ctx context.Context, pod *corev1.Pod, o streamOptions, sess *streamSession) {
	streams := sess.streams(o)
	code, err := s.runner.Run(ctx, pod, o.container, o.command, streams)
	sess.report(code, err, o.command)
}

// streams turns a session into the Runner's view: with a TTY, stderr shares the terminal.
func (sess *streamSession) streams(o streamOptions) container.Streams {
	st := container.Streams{Stdin: sess.stdin, Stdout: sess.stdout, Stderr: sess.stderr, TTY: o.tty}
	if o.tty {
		st.Stderr = sess.stdout
		st.Resize = sess.resize
	}
	return st
}

// report writes the command's outcome on the error channel, as the kubelet does: success,
// NonZeroExitCode with the code as an ExitCode cause (kubectl exits with it), or an internal
// error when the command could not run.
func (sess *streamSession) report(code int, err error, argv []string) {
	switch {
	case err != nil:
		st := apierrors.NewInternalError(err).Status()
		sess.status(&st)
	case code != 0:
		sess.status(&metav1.Status{Status: metav1.StatusFailure, Reason: remotecommand.NonZeroExitCodeReason,
			Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: remotecommand.ExitCodeCauseType, Message: strconv.Itoa(code)}}},
			Message: fmt.Sprintf("command terminated with non-zero exit code: error executing command %v, exit code %d", argv, code)})
	default:
		sess.status(&metav1.Status{Status: metav1.StatusSuccess})
	}
}

// pickContainer applies the apiserver's rules for the container parameter of exec, attach and
// log: default to the only container, otherwise require a valid name.
func pickContainer(pod *corev1.Pod, name string) (string, error) {
	if name == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			msg := fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", pod.Name, strings.Join(containerNameList(pod.Spec.Containers), " "))
			if len(pod.Spec.InitContainers) > 0 {
				msg += fmt.Sprintf(" or one of the init containers: [%s]", strings.Join(containerNameList(pod.Spec.InitContainers), " "))
			}
			return "", apierrors.NewBadRequest(msg)
		}
	}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for _, c := range cs {
			if c.Name == name {
				return name, nil
			}
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if c.Name == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

func containerNameList(cs []corev1.Container) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// containerStatus finds a container's status among the regular and init containers.
func containerStatus(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	for _, ss := range [][]corev1.ContainerStatus{pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses} {
		for i := range ss {
			if ss[i].Name == name {
				return &ss[i]
			}
		}
	}
	return nil
}

// containerRunning is the container's status when it runs, else nil.
func containerRunning(pod *corev1.Pod, name string) *corev1.ContainerStatus {
	if pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodRunning {
		return nil
	}
	if st := containerStatus(pod, name); st != nil && st.State.Running != nil {
		return st
	}
	return nil
}

// kubeletError answers as the kubelet's streaming server does: plain text.
func kubeletError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, msg)
}

// --- SPDY ----------------------------------------------------------------------------------

var spdyProtocols = []string{remotecommand.StreamProtocolV4Name, remotecommand.StreamProtocolV3Name,
	remotecommand.StreamProtocolV2Name, remotecommand.StreamProtocolV1Name}

func (s *server) openSPDY(w http.ResponseWriter, r *http.Request, o streamOptions) *streamSession {
	protocol, err := httpstream.Handshake(r, w, spdyProtocols)
	if err != nil {
		// Handshake has answered 403 with the reason.
		return nil
	}
	type arrived struct {
		st        httpstream.Stream
		replySent <-chan struct{}
	}
	arrivals := make(chan arrived, 8)
	conn := spdy.NewResponseUpgrader().UpgradeResponse(w, r, func(st httpstream.Stream, replySent <-chan struct{}) error {
		select {
		case arrivals <- arrived{st, replySent}:
			return nil
		default:
			return fmt.Errorf("unexpected stream %q", st.Headers().Get(corev1.StreamType))
		}
	})
	if conn == nil {
		return nil // the upgrader has answered
	}
	conn.SetIdleTimeout(streamIdleTimeout)
	expected := 1 // error
	if o.stdin {
		expected++
	}
	if o.stdout {
		expected++
	}
	if o.stderr && (!o.tty || protocol == remotecommand.StreamProtocolV1Name) {
		expected++
	}
	if o.tty && (protocol == remotecommand.StreamProtocolV3Name || protocol == remotecommand.StreamProtocolV4Name) {
		expected++
	}
	gone := make(chan struct{})
	go func() {
		<-conn.CloseChan()
		close(gone)
	}()
	sess := &streamSession{protocol: protocol, gone: gone}
	var errStream, resizeStream httpstream.Stream
	timeout := time.NewTimer(streamCreationTimeout)
	defer timeout.Stop()
	var replies []<-chan struct{}
	for got := 0; got < expected; got++ {
		select {
		case a := <-arrivals:
			replies = append(replies, a.replySent)
			switch a.st.Headers().Get(corev1.StreamType) {
			case corev1.StreamTypeError:
				errStream = a.st
			case corev1.StreamTypeStdin:
				sess.stdin = a.st
			case corev1.StreamTypeStdout:
				sess.stdout = a.st
			case corev1.StreamTypeStderr:
				sess.stderr = a.st
			case corev1.StreamTypeResize:
				resizeStream = a.st
			default:
				s.logf("exec: unexpected stream type %q", a.st.Headers().Get(corev1.StreamType))
				got--
			}
		case <-timeout.C:
			s.logf("exec: timed out waiting for client streams")
			_ = conn.Close()
			return nil
		case <-conn.CloseChan():
			return nil
		}
	}
	for _, rs := range replies {
		select {
		case <-rs:
		case <-conn.CloseChan():
			return nil
		}
	}
	if errStream == nil {
		_ = conn.Close()
		return nil
	}
	sess.status = statusWriter(protocol, errStream)
	if resizeStream != nil {
		sess.resize = decodeResizes(resizeStream)
	}
	sess.done = func() {
		_ = errStream.Close()
		if sess.stdout != nil {
			_ = sess.stdout.(httpstream.Stream).Close()
		}
		if sess.stderr != nil {
			_ = sess.stderr.(httpstream.Stream).Close()
		}
		_ = conn.Close()
	}
	return sess
}

// statusWriter writes the outcome on the error stream: JSON Status from v4 on, plain text
// (and nothing on success) before.
func statusWriter(protocol string, w io.Writer) func(*metav1.Status) {
	var once sync.Once
	v4 := protocol == remotecommand.StreamProtocolV4Name || protocol == remotecommand.StreamProtocolV5Name ||
		protocol == "v4.base64.channel.k8s.io"
	return func(st *metav1.Status) {
		once.Do(func() {
			if v4 {
				b, err := json.Marshal(st)
				if err == nil {
					_, _ = w.Write(b)
				}
				return
			}
			if st.Status != metav1.StatusSuccess {
				_, _ = io.WriteString(w, st.Message)
			}
		})
	}
}

// decodeResizes reads TerminalSize JSON objects and keeps only the latest unread size, so a
// Runner that ignores resizes never stalls the stream.
func decodeResizes(r io.Reader) chan container.Size {
	ch := make(chan container.Size, 1)
	go func() {
		dec := json.NewDecoder(r)
		for {
			var ts struct{ Width, Height uint16 } // remotecommand.TerminalSize on the wire
			if err := dec.Decode(&ts); err != nil {
				return
			}
			size := container.Size{Width: ts.Width, Height: ts.Height}
			select {
			case ch <- size:
			default:
				select {
				case <-ch:
				default:
				}
				select {
				case ch <- size:
				default:
				}
			}
		}
	}()
	return ch
}

// --- WebSocket -----------------------------------------------------------------------------

const (
	wsStdin = iota
	wsStdout
	wsStderr
	wsError
	wsResize
)

func (s *server) openWebSocket(w http.ResponseWriter, r *http.Request, o streamOptions) *streamSession {
	ch := func(on bool, t wsstream.ChannelType) wsstream.ChannelType {
		if on {
			return t
		}
		return wsstream.IgnoreChannel
	}
	// The resize channel is always readable: the client never writes to it without a TTY,
	// so its end-of-stream tells us the connection has gone.
	channels := []wsstream.ChannelType{ch(o.stdin, wsstream.ReadChannel), ch(o.stdout, wsstream.WriteChannel),
		ch(o.stderr, wsstream.WriteChannel), wsstream.WriteChannel, wsstream.ReadChannel}
	binary := wsstream.ChannelProtocolConfig{Binary: true, Channels: channels}
	b64 := wsstream.ChannelProtocolConfig{Binary: false, Channels: channels}
	conn := wsstream.NewConn(map[string]wsstream.ChannelProtocolConfig{
		"":                                 binary,
		remotecommand.StreamProtocolV1Name: binary,
		"base64.channel.k8s.io":            b64,
		remotecommand.StreamProtocolV4Name: binary,
		"v4.base64.channel.k8s.io":         b64,
		remotecommand.StreamProtocolV5Name: binary,
	})
	conn.SetIdleTimeout(streamIdleTimeout)
	protocol, rw, err := conn.Open(w, r)
	if err != nil {
		s.logf("exec: websocket: %v", err)
		return nil
	}
	sess := &streamSession{protocol: protocol}
	if o.stdin {
		sess.stdin = rw[wsStdin]
	}
	if o.stdout {
		sess.stdout = rw[wsStdout]
	}
	if o.stderr {
		sess.stderr = rw[wsStderr]
	}
	sess.status = statusWriter(protocol, rw[wsError])
	gone := make(chan struct{})
	sess.gone = gone
	if o.tty {
		pr, pw := io.Pipe()
		sess.resize = decodeResizes(pr)
		go func() {
			_, _ = io.Copy(pw, rw[wsResize])
			_ = pw.Close()
			close(gone)
		}()
	} else {
		go func() {
			_, _ = io.Copy(io.Discard, rw[wsResize])
			close(gone)
		}()
	}
	// The kubelet writes an empty message on the lowest writable channel so that the client
	// knows the stream is ready.
	switch {
	case o.stdout:
		_, _ = rw[wsStdout].Write(nil)
	case o.stderr:
		_, _ = rw[wsStderr].Write(nil)
	default:
		_, _ = rw[wsError].Write(nil)
	}
	sess.done = func() { _ = conn.Close() }
	return sess
}

// maxStdinBuffer bounds what a client may type ahead of a command that does not read it.
const maxStdinBuffer = 1 << 20

// bufferStdin reads the client's stdin eagerly into a bounded buffer, so a command that
// never reads its stdin cannot stall the connection's reader (which also carries resizes
// and notices the client leaving). Input beyond the bound is dropped.
func bufferStdin(src io.Reader) io.Reader {
	b := &stdinBuffer{}
	b.cond = sync.NewCond(&b.mu)
	go func() {
		buf := make([]byte, 32*1024)
		for {
			n, err := src.Read(buf)
			b.mu.Lock()
			if room := maxStdinBuffer - len(b.data); room > 0 {
				b.data = append(b.data, buf[:min(n, room)]...)
			}
			if err != nil {
				b.err = err
			}
			b.cond.Broadcast()
			b.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return b
}

type stdinBuffer struct {
	mu   sync.Mutex
	cond *sync.Cond
	data []byte
	err  error
}

func (b *stdinBuffer) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.data) == 0 && b.err == nil {
		b.cond.Wait()
	}
	if len(b.data) > 0 {
		n := copy(p, b.data)
		b.data = b.data[n:]
		return n, nil
	}
	return 0, b.err
}
