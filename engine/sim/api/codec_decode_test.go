package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// decodeTwoPass is decodeInto as it was before the one-pass decode: the apiserver's kind
// sniff (encoding/json into TypeMeta) first, then the strict decode. The test below holds
// the one-pass decode to the same answers.
func decodeTwoPass(w http.ResponseWriter, data []byte, obj runtime.Object, gvk schema.GroupVersionKind, directive string) error {
	wrap := func(err error) error {
		return apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return wrap(errors.New("empty request body"))
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return wrap(err)
	}
	if err := checkTypeMeta(tm.APIVersion, tm.Kind, gvk); err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(data, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return wrap(err)
	}
	if err := strictFindings(w, strictErrs, directive); err != nil {
		return wrap(err)
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	return nil
}

func TestDecodeIntoMatchesTwoPass(t *testing.T) {
	gvk := corev1.SchemeGroupVersion.WithKind("Pod")
	bodies := []string{
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"i"}]}}`,
		`{"metadata":{"name":"a"}}`,
		`{"apiVersion":"apps/v1","kind":"Pod","metadata":{"name":"a"}}`,
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"a"}}`,
		`{"apiVersion":"a/b/c","kind":"Pod"}`,
		`{"apiVersion":"v1","Kind":"Service","metadata":{"name":"a"}}`,
		`{"apiVersion":"v1","KIND":"Pod","metadata":{"name":"a"}}`,
		`{"apiVersion":"V1","kind":"Pod"}`,
		`{"kind":"Service","kind":"Pod","metadata":{"name":"a"}}`,
		`{"kind":"Pod","kind":"Service","metadata":{"name":"a"}}`,
		`{"kind":"Pod","metadata":{"name":"a","name":"b"},"spec":{"bogus":1}}`,
		`{"kind":"Service","spec":{"bogus":1}}`,
		`{"kind":"Pod","spec":{"containers":"x"}}`,
		`{"kind":"Service","spec":{"containers":"x"}}`,
		`{"kind":5}`,
		`{"apiVersion":true,"kind":"Pod"}`,
		`{"metadata":{"name":"a"},"Metadata":{"name":"b"}}`,
		`{"kind":"Pod"`,
		`[]`,
		`null`,
		`"pod"`,
		"  \n\t",
		``,
		`{"kind":"Pod","metadata":{"name":"a","labels":{"x":"1","x":"2"}},"status":{"phase":"Running","bogus":{}}}`,
	}
	for _, body := range bodies {
		for _, directive := range []string{"Strict", "Warn", "Ignore"} {
			wOld, wNew := httptest.NewRecorder(), httptest.NewRecorder()
			// A stale TypeMeta on the target must not stand in for the body's.
			oldObj := &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Service", APIVersion: "v9"}}
			newObj := oldObj.DeepCopy()
			errOld := decodeTwoPass(wOld, []byte(body), oldObj, gvk, directive)
			errNew := decodeInto(wNew, []byte(body), newObj, gvk, directive)
			if fmt.Sprint(errOld) != fmt.Sprint(errNew) {
				t.Errorf("%s %s: error %v, want %v", directive, body, errNew, errOld)
				continue
			}
			if !reflect.DeepEqual(wOld.Header()["Warning"], wNew.Header()["Warning"]) {
				t.Errorf("%s %s: warnings %q, want %q", directive, body, wNew.Header()["Warning"], wOld.Header()["Warning"])
			}
			if errOld == nil && !reflect.DeepEqual(oldObj, newObj) {
				t.Errorf("%s %s: decoded %+v, want %+v", directive, body, newObj, oldObj)
			}
		}
	}
}

// BenchmarkDecodeInto is the strict decode of a running pod's body (as a status PUT sends
// it) alone: TwoPass is the decode before the one-pass change, OnePass is decodeInto.
func BenchmarkDecodeInto(b *testing.B) {
	gvk := corev1.SchemeGroupVersion.WithKind("Pod")
	body := benchPodBody
	for _, c := range []struct {
		name   string
		decode func(http.ResponseWriter, []byte, runtime.Object, schema.GroupVersionKind, string) error
	}{{"TwoPass", decodeTwoPass}, {"OnePass", decodeInto}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			w := httptest.NewRecorder()
			cpu0 := cpuNow(b)
			for i := 0; i < b.N; i++ {
				if err := c.decode(w, body, &corev1.Pod{}, gvk, "Warn"); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

// benchPodBody is a running StatefulSet pod as the apiserver serves it.
var benchPodBody = []byte(`{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-7","generateName":"web-","namespace":"default","uid":"0b7e5f4e-8f8c-4a55-9c1e-3d9f7c2a4b11","resourceVersion":"1234","creationTimestamp":"2026-01-02T03:04:05Z","labels":{"app":"nginx","apps.kubernetes.io/pod-index":"7","controller-revision-hash":"web-6d4c9b7f8","statefulset.kubernetes.io/pod-name":"web-7"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"web","uid":"5d1c2b3a-1111-2222-3333-444455556666","controller":true,"blockOwnerDeletion":true}]},"spec":{"volumes":[{"name":"www","persistentVolumeClaim":{"claimName":"www-web-7"}},{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}],"containers":[{"name":"nginx","image":"registry.k8s.io/nginx-slim:0.24","ports":[{"name":"web","containerPort":80,"protocol":"TCP"}],"resources":{},"volumeMounts":[{"name":"www","mountPath":"/usr/share/nginx/html"},{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","nodeName":"node-1","securityContext":{},"hostname":"web-7","subdomain":"nginx","schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{"phase":"Running","conditions":[{"type":"PodReadyToStartContainers","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-02T03:04:07Z"},{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-02T03:04:05Z"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-02T03:04:08Z"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-02T03:04:08Z"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-02T03:04:05Z"}],"hostIP":"172.18.0.2","hostIPs":[{"ip":"172.18.0.2"}],"podIP":"10.244.0.9","podIPs":[{"ip":"10.244.0.9"}],"startTime":"2026-01-02T03:04:05Z","containerStatuses":[{"name":"nginx","state":{"running":{"startedAt":"2026-01-02T03:04:07Z"}},"lastState":{},"ready":true,"restartCount":0,"image":"registry.k8s.io/nginx-slim:0.24","imageID":"registry.k8s.io/nginx-slim@sha256:0123456789abcdef","containerID":"containerd://abcdef0123456789","started":true}],"qosClass":"BestEffort"}}`)

// TestReadAllAnyContentLength reads bodies whole whatever Content-Length claims (absent,
// exact, short, long), in reads of any size.
func TestReadAllAnyContentLength(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 100000} {
		body := strings.Repeat("x", n)
		for _, cl := range []int64{-1, 0, int64(n), int64(n / 2), int64(n) * 2, maxBodyBytes + 1} {
			got, err := readAll(iotest.OneByteReader(strings.NewReader(body)), cl)
			if err != nil || string(got) != body {
				t.Fatalf("n=%d cl=%d: got %d bytes, err %v", n, cl, len(got), err)
			}
			got, err = readAll(strings.NewReader(body), cl)
			if err != nil || string(got) != body {
				t.Fatalf("n=%d cl=%d: got %d bytes, err %v", n, cl, len(got), err)
			}
		}
	}
	if _, err := readAll(iotest.ErrReader(errors.New("boom")), 10); err == nil || err.Error() != "boom" {
		t.Fatalf("error not passed on: %v", err)
	}
}

// cpuNow is the process's CPU time (GC workers included): on a shared machine wall time
// per op says more about the neighbours than about the code.
func cpuNow(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64((cpuNow(b)-since).Microseconds())/float64(b.N), "cpu-µs/op")
}
