package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
)

// decodeAll decodes every document of a manifest into typed objects, strictly.
func decodeAll(t *testing.T, name string) []runtime.Object {
	t.Helper()
	b, err := Read(name)
	if err != nil {
		t.Fatal(err)
	}
	r := utilyaml.NewYAMLReader(bufioReader(b))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		objs = append(objs, obj)
	}
	return objs
}

func TestNames(t *testing.T) {
	want := []string{"frontend.yaml", "kubia-public.yaml", "kubia.yaml", "ledger-fixed.yaml", "ledger.yaml",
		"mysql-configmap.yaml", "mysql-services.yaml", "mysql-statefulset.yaml", "nginx-deployment.yaml",
		"node-agent.yaml", "phonebook-fixed.yaml", "phonebook.yaml", "pod-rs.yaml", "shop-v2.yaml", "shop.yaml", "web-parallel.yaml", "web.yaml"}
	got := Names()
	if len(got) != len(want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Names() = %v, want %v", got, want)
		}
	}
}

func TestReadRejectsUnknownAndBadNames(t *testing.T) {
	for _, n := range []string{"nope.yaml", "../go.mod", "", "."} {
		if _, err := Read(n); err == nil {
			t.Errorf("Read(%q) succeeded", n)
		}
	}
}

func TestWebManifests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy appsv1.PodManagementPolicyType
	}{{"web.yaml", ""}, {"web-parallel.yaml", appsv1.ParallelPodManagement}} {
		objs := decodeAll(t, tc.name)
		if len(objs) != 2 {
			t.Fatalf("%s: %d objects, want 2", tc.name, len(objs))
		}
		svc, ok := objs[0].(*corev1.Service)
		if !ok || svc.Name != "nginx" || svc.Spec.ClusterIP != "None" {
			t.Errorf("%s: first object is not the headless Service nginx: %#v", tc.name, objs[0])
		}
		sts, ok := objs[1].(*appsv1.StatefulSet)
		if !ok {
			t.Fatalf("%s: second object is %T", tc.name, objs[1])
		}
		if sts.Name != "web" || *sts.Spec.Replicas != 2 || sts.Spec.ServiceName != "nginx" ||
			sts.Spec.PodManagementPolicy != tc.policy {
			t.Errorf("%s: unexpected StatefulSet %s replicas=%d service=%s policy=%q", tc.name,
				sts.Name, *sts.Spec.Replicas, sts.Spec.ServiceName, sts.Spec.PodManagementPolicy)
		}
		if img := sts.Spec.Template.Spec.Containers[0].Image; img != "registry.k8s.io/nginx-slim:0.24" {
			t.Errorf("%s: image %q", tc.name, img)
		}
		vct := sts.Spec.VolumeClaimTemplates
		if len(vct) != 1 || vct[0].Name != "www" || vct[0].Spec.Resources.Requests.Storage().String() != "1Gi" {
			t.Errorf("%s: volumeClaimTemplates %v", tc.name, vct)
		}
	}
}

func TestMySQLManifests(t *testing.T) {
	if cm, ok := decodeAll(t, "mysql-configmap.yaml")[0].(*corev1.ConfigMap); !ok || cm.Data["primary.cnf"] == "" || cm.Data["replica.cnf"] == "" {
		t.Errorf("mysql-configmap.yaml: %#v", cm)
	}
	svcs := decodeAll(t, "mysql-services.yaml")
	if len(svcs) != 2 || svcs[0].(*corev1.Service).Name != "mysql" || svcs[1].(*corev1.Service).Name != "mysql-read" {
		t.Errorf("mysql-services.yaml: %v", svcs)
	}
	sts := decodeAll(t, "mysql-statefulset.yaml")[0].(*appsv1.StatefulSet)
	spec := sts.Spec.Template.Spec
	if *sts.Spec.Replicas != 3 || len(spec.InitContainers) != 2 || len(spec.Containers) != 2 ||
		spec.Containers[0].ReadinessProbe == nil || sts.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Errorf("mysql-statefulset.yaml: unexpected spec %+v", sts.Spec)
	}
}

// The manifests of the "why StatefulSets" and "Deployment vs StatefulSet" lessons, from
// Kubernetes in Action (kubia, moved to apps/v1) and the workloads post (ReplicaSet, pods,
// Deployment).
func TestKubiaAndWorkloadManifests(t *testing.T) {
	objs := decodeAll(t, "kubia.yaml")
	if svc, ok := objs[0].(*corev1.Service); !ok || svc.Name != "kubia" || svc.Spec.ClusterIP != "None" {
		t.Errorf("kubia.yaml: first object is not the headless Service kubia: %#v", objs[0])
	}
	sts, ok := objs[1].(*appsv1.StatefulSet)
	if !ok || sts.Name != "kubia" || sts.Spec.ServiceName != "kubia" || *sts.Spec.Replicas != 2 ||
		sts.Spec.Selector == nil || sts.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Errorf("kubia.yaml: unexpected StatefulSet %#v", objs[1])
	}
	if svc, ok := decodeAll(t, "kubia-public.yaml")[0].(*corev1.Service); !ok || svc.Spec.ClusterIP != "" || svc.Spec.Ports[0].TargetPort.IntValue() != 8080 {
		t.Errorf("kubia-public.yaml: %#v", svc)
	}
	if rs, ok := decodeAll(t, "frontend.yaml")[0].(*appsv1.ReplicaSet); !ok || *rs.Spec.Replicas != 3 || rs.Spec.Selector.MatchLabels["tier"] != "frontend" {
		t.Errorf("frontend.yaml: %#v", rs)
	}
	pods := decodeAll(t, "pod-rs.yaml")
	if len(pods) != 2 || pods[0].(*corev1.Pod).Labels["tier"] != "frontend" || pods[1].(*corev1.Pod).Name != "pod2" {
		t.Errorf("pod-rs.yaml: %v", pods)
	}
	if d, ok := decodeAll(t, "nginx-deployment.yaml")[0].(*appsv1.Deployment); !ok || d.Name != "nginx-deployment" || *d.Spec.Replicas != 3 ||
		d.Spec.Template.Spec.Containers[0].Image != "nginx:1.14.2" {
		t.Errorf("nginx-deployment.yaml: %#v", d)
	}
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
