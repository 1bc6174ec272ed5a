// Package kit runs a real Kubernetes control plane in-process and offline, for tests that
// compare the simulator with the real thing and exercise kubetutor's real-cluster mode:
//
//   - kube-apiserver v1.37.2 (k8s.io/kubernetes/cmd/kube-apiserver/app/testing) on an
//     embedded etcd (go.etcd.io/etcd/server/v3/embed);
//   - the real StatefulSet controller, garbage collector, namespace controller and
//     pvc-protection controller from k8s.io/kubernetes/pkg/controller, run beside it the way
//     Kubernetes' integration tests run them;
//   - our own small scheduler + kubelet (kubelet.go), which moves pods through the phases the
//     simulator shows, and a volume binder (volumes.go) that gives every claim a PV.
//
// The version the server reports comes from the linker: build the tests with
//
//	-ldflags "-X k8s.io/component-base/version.gitVersion=v1.37.2
//	          -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"
//
// (.ci/run does); without it the server says v0.0.0-master.
package kit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	cacheddiscovery "k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/klog/v2"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
	"k8s.io/kubernetes/pkg/controller/namespace"
	"k8s.io/kubernetes/pkg/controller/statefulset"
	"k8s.io/kubernetes/pkg/controller/volume/pvcprotection"
	"k8s.io/kubernetes/pkg/controller/volume/pvprotection"
)

// Cluster is a running control plane with its controllers, fake kubelet and volume binder.
type Cluster struct {
	// Config is an admin (system:masters) client configuration.
	Config *rest.Config
	Kube   kubernetes.Interface
	// Kubeconfig is a kubeconfig file for Config, with one context named "kit".
	Kubeconfig string
	Stats      Stats

	Kubelet *Kubelet
}

// Stats are what starting the kit cost.
type Stats struct {
	EtcdReady      time.Duration // from Start to etcd ready
	APIServerReady time.Duration // from Start to /healthz ok
	Ready          time.Duration // from Start to controllers synced and nodes Ready
	HeapAfterStart uint64        // Go heap in use after start, bytes
	MaxRSS         uint64        // peak resident set of the process so far, bytes (VmHWM)
}

// Start brings the control plane up and stops it when the test ends.
func Start(t testing.TB) *Cluster {
	t.Helper()
	begin := time.Now()
	// The control plane logs a lot through klog; KIT_LOG=1 keeps it.
	if os.Getenv("KIT_LOG") == "" {
		klog.SetLogger(logr.Discard())
	}

	dir := t.TempDir()
	etcd, err := startEtcd(filepath.Join(dir, "etcd"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(etcd.Close)
	etcdReady := time.Since(begin)

	storage := storagebackend.NewDefaultConfig("/registry-kit", nil)
	storage.Transport.ServerList = []string{etcd.clientURL}
	flags := []string{
		// No Endpoints reconciler: it would keep failing on 127.0.0.1 as a Service endpoint.
		"--endpoint-reconciler-type=none",
		// No token controller runs, so ServiceAccount admission would reject every pod.
		"--disable-admission-plugins=ServiceAccount",
		// RBAC as on a real cluster, so doctor's access reviews mean something.
		"--authorization-mode=RBAC",
	}
	server, err := kubeapiservertesting.StartTestServer(t, nil, flags, storage)
	if err != nil {
		t.Fatalf("kit: starting kube-apiserver: %v", err)
	}
	t.Cleanup(server.TearDownFn)
	apiReady := time.Since(begin)

	cfg := rest.CopyConfig(server.ClientConfig)
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)

	if err := runControllers(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Config: cfg, Kube: kube}
	if err := bootstrap(ctx, kube); err != nil {
		t.Fatal(err)
	}
	c.Kubelet = startKubelet(ctx, kube)
	startVolumeBinder(ctx, kube)

	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(cfg, c.Kubeconfig); err != nil {
		t.Fatal(err)
	}
	c.Stats.EtcdReady = etcdReady
	c.Stats.APIServerReady = apiReady
	c.Stats.Ready = time.Since(begin)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.Stats.HeapAfterStart = ms.HeapInuse
	c.Stats.MaxRSS = maxRSS()
	return c
}

// runControllers starts the kube-controller-manager controllers the lessons depend on.
func runControllers(ctx context.Context, cfg *rest.Config) error {
	client := func(agent string) kubernetes.Interface {
		return kubernetes.NewForConfigOrDie(rest.AddUserAgent(rest.CopyConfig(cfg), agent))
	}
	inf := informers.NewSharedInformerFactory(client("kit-informers"), 0)

	ssc := statefulset.NewStatefulSetController(ctx,
		inf.Core().V1().Pods(), inf.Apps().V1().StatefulSets(),
		inf.Core().V1().PersistentVolumeClaims(), inf.Apps().V1().ControllerRevisions(),
		client("statefulset-controller"))

	pvcp, err := pvcprotection.NewPVCProtectionController(klog.FromContext(ctx),
		inf.Core().V1().PersistentVolumeClaims(), inf.Core().V1().Pods(), client("pvc-protection-controller"))
	if err != nil {
		return fmt.Errorf("kit: pvc-protection controller: %w", err)
	}

	pvp, err := pvprotection.NewPVProtectionController(klog.FromContext(ctx),
		inf.Core().V1().PersistentVolumes(), client("pv-protection-controller"))
	if err != nil {
		return fmt.Errorf("kit: pv-protection controller: %w", err)
	}

	nsCfg := rest.AddUserAgent(rest.CopyConfig(cfg), "namespace-controller")
	nsMeta, err := metadata.NewForConfig(nsCfg)
	if err != nil {
		return err
	}
	nsClient := kubernetes.NewForConfigOrDie(nsCfg)
	nsc := namespace.NewNamespaceController(ctx, nsClient, nsMeta,
		nsClient.Discovery().ServerPreferredNamespacedResources,
		inf.Core().V1().Namespaces(), 10*time.Hour, corev1.FinalizerKubernetes)

	gcCfg := rest.AddUserAgent(rest.CopyConfig(cfg), "generic-garbage-collector")
	gcClient := kubernetes.NewForConfigOrDie(gcCfg)
	gcMeta, err := metadata.NewForConfig(gcCfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(cacheddiscovery.NewMemCacheClient(gcClient.Discovery()))
	mapper.Reset()
	metaInf := metadatainformer.NewSharedInformerFactory(gcMeta, 0)
	started := make(chan struct{})
	gc, err := garbagecollector.NewGarbageCollector(ctx, gcClient, gcMeta, mapper,
		garbagecollector.DefaultIgnoredResources(), informerfactory.NewInformerFactory(inf, metaInf), started)
	if err != nil {
		return fmt.Errorf("kit: garbage collector: %w", err)
	}

	inf.Start(ctx.Done())
	metaInf.Start(ctx.Done())
	close(started)
	go ssc.Run(ctx, 5)
	go pvcp.Run(ctx, 1)
	go pvp.Run(ctx, 1)
	go nsc.Run(ctx, 5)
	go gc.Run(ctx, 5, 30*time.Second)
	go gc.Sync(ctx, gcClient.Discovery(), 5*time.Second)
	go wait.Until(mapper.Reset, 5*time.Second, ctx.Done())
	return nil
}

// Node names match the simulator's, so objects that mention them compare equal.
var nodeNames = []string{"sim-node-1", "sim-node-2", "sim-node-3"}

// StorageClassName is the default class the kit creates, like kind's (and the simulator's).
const StorageClassName = "standard"

// bootstrap creates what a fresh cluster has: Ready nodes and a default StorageClass.
func bootstrap(ctx context.Context, kube kubernetes.Interface) error {
	for i, name := range nodeNames {
		res := corev1.ResourceList{
			corev1.ResourceCPU:    resource.MustParse("8"),
			corev1.ResourceMemory: resource.MustParse("16Gi"),
			corev1.ResourcePods:   resource.MustParse("110"),
		}
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}}}
		created, err := kube.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("kit: node %s: %w", name, err)
		}
		now := metav1.Now()
		created.Status = corev1.NodeStatus{
			Capacity: res, Allocatable: res.DeepCopy(), Phase: corev1.NodeRunning,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
				Reason: "KubeletReady", Message: "kubelet is posting ready status", LastHeartbeatTime: now, LastTransitionTime: now}},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("172.18.0.%d", i+2)}},
			NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64"},
		}
		if _, err := kube.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("kit: node %s status: %w", name, err)
		}
	}
	immediate := storagev1.VolumeBindingImmediate
	del := corev1.PersistentVolumeReclaimDelete
	sc := &storagev1.StorageClass{
		ObjectMeta: metav1.ObjectMeta{Name: StorageClassName,
			Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner:       Provisioner,
		ReclaimPolicy:     &del,
		VolumeBindingMode: &immediate,
	}
	if _, err := kube.StorageV1().StorageClasses().Create(ctx, sc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("kit: storage class: %w", err)
	}
	return nil
}

// writeKubeconfig writes cfg as a kubeconfig with one context, "kit".
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	cl := clientcmdapi.NewCluster()
	cl.Server = cfg.Host
	cl.CertificateAuthorityData = cfg.CAData
	cl.TLSServerName = cfg.ServerName
	cl.InsecureSkipTLSVerify = cfg.Insecure
	u := clientcmdapi.NewAuthInfo()
	u.Token = cfg.BearerToken
	u.ClientCertificateData = cfg.CertData
	u.ClientKeyData = cfg.KeyData
	ctx := clientcmdapi.NewContext()
	ctx.Cluster, ctx.AuthInfo, ctx.Namespace = "kit", "kit", "default"
	kc.Clusters["kit"], kc.AuthInfos["kit"], kc.Contexts["kit"] = cl, u, ctx
	kc.CurrentContext = "kit"
	return clientcmd.WriteToFile(*kc, path)
}

// maxRSS reads the process's peak resident set size from /proc (0 where there is none).
func maxRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// MaxRSS is the process's peak resident set so far, bytes.
func MaxRSS() uint64 { return maxRSS() }
