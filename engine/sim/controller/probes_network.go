package controller

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// probeNetwork runs an httpGet or tcpSocket probe the way the kubelet's prober does: HTTP
// succeeds on a status from 200 to 399, TCP when the port accepts; the failure texts are the
// kubelet's. The Runner (the sandbox) says what listens; one that cannot tell passes the probe.
func (k *Kubelet) probeNetwork(p *corev1.Pod, name string, probe *corev1.Probe) (bool, string) {
	pr, ok := k.env.runner().(container.Prober)
	if !ok {
		return true, ""
	}
	var c *corev1.Container
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == name {
			c = &p.Spec.Containers[i]
		}
	}
	if c == nil {
		return true, ""
	}
	host := p.Status.PodIP
	if h := probeHost(probe); h != "" {
		host = h
	}
	if g := probe.HTTPGet; g != nil {
		port, err := probePort(g.Port, c)
		if err != nil {
			return false, err.Error()
		}
		path := g.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		scheme := strings.ToLower(string(g.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		url := fmt.Sprintf("%s://%s:%d%s", scheme, host, port, path)
		status, refused, known := pr.ProbeHTTP(p, port, path)
		switch {
		case !known:
			return true, ""
		case refused:
			return false, fmt.Sprintf("Get %q: dial tcp %s:%d: connect: connection refused", url, host, port)
		case status < 200 || status >= 400:
			return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", status)
		}
		return true, ""
	}
	port, err := probePort(probe.TCPSocket.Port, c)
	if err != nil {
		return false, err.Error()
	}
	if up, known := pr.ProbeTCP(p, port); known && !up {
		return false, fmt.Sprintf("dial tcp %s:%d: connect: connection refused", host, port)
	}
	return true, ""
}

func probeHost(probe *corev1.Probe) string {
	if probe.HTTPGet != nil {
		return probe.HTTPGet.Host
	}
	return probe.TCPSocket.Host
}

// probePort resolves a probe's port, by number or by the name of one of the container's ports.
func probePort(port intstr.IntOrString, c *corev1.Container) (int, error) {
	if port.Type == intstr.Int {
		if port.IntVal <= 0 || port.IntVal > 65535 {
			return 0, fmt.Errorf("invalid port number: %v", port.IntVal)
		}
		return int(port.IntVal), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == port.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("couldn't find port: %v in %v", port.StrVal, c.Name)
}
