package sandbox

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// webCluster is web.yaml by hand: headless Service nginx, web-0 and web-1 with their claims,
// and the Endpoints the controller would write.
func webCluster(t *testing.T) (*fixture, []*corev1.Pod) {
	f := newFixture(t)
	f.create(svcRes, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "nginx"},
			Ports: []corev1.ServicePort{{Name: "web", Port: 80}}}})
	var pods []*corev1.Pod
	for i, ip := range []string{"10.244.1.6", "10.244.2.6"} {
		name := []string{"web-0", "web-1"}[i]
		f.claim("www-"+name, "pvc-"+name)
		pods = append(pods, f.pod(name, "registry.k8s.io/nginx-slim:0.24", withClaim("www", "www-"+name, "/usr/share/nginx/html"),
			func(p *corev1.Pod) {
				p.Labels = map[string]string{"app": "nginx"}
				p.Spec.Hostname, p.Spec.Subdomain = name, "nginx"
				p.Status.PodIP = ip
			}))
	}
	f.endpoints("nginx", pods...)
	return f, pods
}

func (f *fixture) endpoints(svc string, pods ...*corev1.Pod) {
	f.t.Helper()
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: svc, Namespace: "default"}}
	var addrs []corev1.EndpointAddress
	for _, p := range pods {
		addrs = append(addrs, corev1.EndpointAddress{IP: p.Status.PodIP, Hostname: p.Spec.Hostname,
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: p.Name, Namespace: p.Namespace, UID: p.UID}})
	}
	port := map[string]int32{"nginx": 80, "kubia": 8080}[svc]
	if port == 0 {
		port = 3306
	}
	if len(addrs) > 0 {
		ep.Subsets = []corev1.EndpointSubset{{Addresses: addrs, Ports: []corev1.EndpointPort{{Name: "web", Port: port}}}}
	}
	if old, err := f.st.Get(epRes, "default", svc); err == nil {
		ep.ResourceVersion = old.(*corev1.Endpoints).ResourceVersion
		if _, err := f.st.Update(epRes, ep, store.UpdateOptions{}); err != nil {
			f.t.Fatal(err)
		}
		return
	}
	f.create(epRes, ep)
}

// Item 30: hostname, and DNS names of a headless Service's members.
func TestItem30_HostnameAndDNS(t *testing.T) {
	f, pods := webCluster(t)
	for i, p := range pods {
		if r := f.run(p, "", "sh", "-c", "hostname"); r.out != []string{"web-0\n", "web-1\n"}[i] {
			t.Fatalf("hostname: %+v", r)
		}
	}
	dns := f.pod("dns-test", "busybox:1.28")
	r := f.run(dns, "", "nslookup", "web-0.nginx")
	want := "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n" +
		"Name:      web-0.nginx\nAddress 1: 10.244.1.6 web-0.nginx.default.svc.cluster.local\n"
	if r.out != want || r.code != 0 {
		t.Fatalf("nslookup web-0.nginx:\n%s\nwant\n%s (%+v)", r.out, want, r)
	}
	r = f.run(dns, "", "nslookup", "nginx")
	if !strings.Contains(r.out, "Address 1: 10.244.1.6") || !strings.Contains(r.out, "Address 2: 10.244.2.6") {
		t.Fatalf("nslookup nginx: %+v", r)
	}
	if r := f.run(dns, "", "nslookup", "kubernetes.default"); !strings.Contains(r.out, "Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local") {
		t.Fatalf("nslookup kubernetes.default: %+v", r)
	}
	r = f.run(dns, "", "nslookup", "web-9.nginx")
	if r.code != 1 || r.err != "nslookup: can't resolve 'web-9.nginx'\n" {
		t.Fatalf("unknown name: %+v", r)
	}
	// The pod comes back with a new IP: DNS follows.
	f.deletePod(pods[0])
	p0 := f.pod("web-0", "nginx", withClaim("www", "www-web-0", "/usr/share/nginx/html"), func(p *corev1.Pod) {
		p.Spec.Hostname, p.Spec.Subdomain = "web-0", "nginx"
		p.Status.PodIP = "10.244.1.7"
	})
	f.endpoints("nginx", p0, pods[1])
	r = f.run(dns, "", "nslookup", "web-0.nginx")
	if !strings.Contains(r.out, "Address 1: 10.244.1.7 web-0.nginx.default.svc.cluster.local") {
		t.Fatalf("after re-creation: %+v", r)
	}
	// Not Ready: no record.
	f.endpoints("nginx", pods[1])
	if r := f.run(dns, "", "nslookup", "web-0.nginx"); r.code != 1 {
		t.Fatalf("unready pod resolved: %+v", r)
	}
}

func TestDigSRV(t *testing.T) {
	f, _ := webCluster(t)
	du := f.pod("srvlookup", "tutum/dnsutils")
	r := f.run(du, "", "dig", "SRV", "nginx.default.svc.cluster.local")
	for _, want := range []string{
		"nginx.default.svc.cluster.local.\t30\tIN\tSRV\t0 50 80 web-0.nginx.default.svc.cluster.local.",
		"web-1.nginx.default.svc.cluster.local.\t30\tIN\tA\t10.244.2.6",
		"status: NOERROR",
	} {
		if !strings.Contains(r.out, want) {
			t.Fatalf("dig output lacks %q:\n%s", want, r.out)
		}
	}
	r = f.run(du, "", "nslookup", "-type=srv", "nginx")
	if !strings.Contains(r.out, "service = 0 50 80 web-1.nginx.default.svc.cluster.local.") {
		t.Fatalf("nslookup -type=srv: %+v", r)
	}
}

// The stable-storage steps: empty html dir → 403; index.html → hostname; survives re-creation.
func TestCurlNginx(t *testing.T) {
	f, pods := webCluster(t)
	r := f.run(pods[0], "", "curl", "localhost")
	if !strings.Contains(r.out, "<title>403 Forbidden</title>") || r.code != 0 {
		t.Fatalf("empty html dir: %+v", r)
	}
	for _, p := range pods {
		if r := f.run(p, "", "sh", "-c", "echo $(hostname) > /usr/share/nginx/html/index.html"); r.code != 0 {
			t.Fatalf("write: %+v", r)
		}
		if r := f.run(p, "", "chmod", "755", "/usr/share/nginx/html"); r.code != 0 {
			t.Fatalf("chmod: %+v", r)
		}
	}
	if r := f.run(pods[0], "", "curl", "localhost"); r.out != "web-0\n" {
		t.Fatalf("curl localhost: %+v", r)
	}
	if r := f.run(pods[0], "", "curl", "-s", "http://web-1.nginx/"); r.out != "web-1\n" {
		t.Fatalf("curl web-1.nginx: %+v", r)
	}
	if r := f.run(pods[0], "", "curl", "-s", "localhost/nope"); !strings.Contains(r.out, "404 Not Found") {
		t.Fatalf("404: %+v", r)
	}
	if r := f.run(pods[0], "", "curl", "nosuch"); r.code != 6 || r.err != "curl: (6) Could not resolve host: nosuch\n" {
		t.Fatalf("unknown host: %+v", r)
	}
	if r := f.run(pods[0], "", "chmod", "700", "/usr/share/nginx/html"); r.code != 0 {
		t.Fatal(r)
	}
	if r := f.run(pods[0], "", "curl", "localhost"); !strings.Contains(r.out, "403 Forbidden") {
		t.Fatalf("unreadable dir served: %+v", r)
	}
	bb := f.pod("dns-test", "busybox:1.28")
	if r := f.run(bb, "", "wget", "-qO-", "web-1.nginx"); r.out != "web-1\n" {
		t.Fatalf("wget: %+v", r)
	}
	if r := f.run(bb, "", "curl", "web-1.nginx"); r.code != 127 {
		t.Fatalf("busybox has no curl: %+v", r)
	}
}

// Kubernetes in Action's kubia-pet-peers: data per pod on its PVC, peers found through SRV.
func TestKubiaPeers(t *testing.T) {
	f := newFixture(t)
	f.create(svcRes, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "kubia", Namespace: "default"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": "kubia"},
			Ports: []corev1.ServicePort{{Port: 80}}}})
	var pods []*corev1.Pod
	for i, ip := range []string{"10.244.1.4", "10.244.2.6"} {
		name := fmt.Sprintf("kubia-%d", i)
		f.claim("data-"+name, "pv-"+name)
		pods = append(pods, f.pod(name, "luksa/kubia-pet-peers", withClaim("data", "data-"+name, "/var/data"), func(p *corev1.Pod) {
			p.Spec.Hostname, p.Spec.Subdomain = name, "kubia"
			p.Status.PodIP = ip
		}))
	}
	f.endpoints("kubia", pods...)
	if r := f.run(pods[0], "", "curl", "-s", "-d", "The weather is sweet", "localhost:8080"); r.out != "Data stored on pod kubia-0\n" {
		t.Fatalf("POST: %+v", r)
	}
	resp, ok := f.sb.ProxyHTTP(pods[1], 8080, "GET", "/", nil)
	want := "You've hit kubia-1\nData stored in the cluster:\n" +
		"- kubia-0.kubia.default.svc.cluster.local: The weather is sweet\n" +
		"- kubia-1.kubia.default.svc.cluster.local: No data posted yet\n"
	if !ok || resp.Status != 200 || string(resp.Body) != want {
		t.Fatalf("GET through the proxy: %v %d %q\nwant %q", ok, resp.Status, resp.Body, want)
	}
	if _, ok := f.sb.ProxyHTTP(pods[1], 9999, "GET", "/", nil); ok {
		t.Fatal("answered on a port nothing listens on")
	}
}
