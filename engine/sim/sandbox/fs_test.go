package sandbox

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine/sim/sandbox/vfs"
	"github.com/kubetutor/kubetutor/engine/sim/store"
)

// claim creates a PVC bound to a PV of the given name.
func (f *fixture) claim(name, pv string) *corev1.PersistentVolumeClaim {
	f.t.Helper()
	if pv != "" {
		f.create(pvRes, &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: pv}})
	}
	return f.create(pvcRes, &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: corev1.PersistentVolumeClaimSpec{VolumeName: pv}}).(*corev1.PersistentVolumeClaim)
}

func withClaim(volName, claim, mountPath string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: volName, VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}})
		p.Spec.Containers[0].VolumeMounts = append(p.Spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: volName, MountPath: mountPath})
	}
}

func (f *fixture) deletePod(p *corev1.Pod) {
	f.t.Helper()
	zero := int64(0)
	if _, err := f.st.Delete(podsRes, p.Namespace, p.Name, store.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		f.t.Fatal(err)
	}
}

// Item 31: a re-created pod keeps its PVC and so its data; a re-created PVC starts empty.
func TestItem31_DataFollowsTheVolume(t *testing.T) {
	f := newFixture(t)
	f.claim("www-web-0", "pvc-1")
	html := "/usr/share/nginx/html"
	web := f.pod("web-0", "nginx", withClaim("www", "www-web-0", html))
	if r := f.run(web, "", "sh", "-c", "echo $(hostname) > "+html+"/index.html; touch /tmp/scratch"); r.code != 0 {
		t.Fatalf("write: %+v", r)
	}
	f.deletePod(web)
	web = f.pod("web-0", "nginx", withClaim("www", "www-web-0", html))
	if r := f.run(web, "", "cat", html+"/index.html"); r.out != "web-0\n" {
		t.Fatalf("after re-creation: %+v", r)
	}
	if r := f.run(web, "", "ls", "/tmp/scratch"); r.code == 0 {
		t.Fatal("the container's own files survived the pod")
	}
	// Delete the claim and its volume, make a new one: empty.
	f.deletePod(web)
	zero := int64(0)
	f.st.Delete(pvcRes, "default", "www-web-0", store.DeleteOptions{GracePeriodSeconds: &zero})
	f.st.Delete(pvRes, "", "pvc-1", store.DeleteOptions{GracePeriodSeconds: &zero})
	f.claim("www-web-0", "pvc-2")
	web = f.pod("web-0", "nginx", withClaim("www", "www-web-0", html))
	if r := f.run(web, "", "ls", html); r.out != "" || r.code != 0 {
		t.Fatalf("new claim not empty: %+v", r)
	}
	if n := len(f.sb.vols); n != 1 {
		t.Fatalf("%d volumes kept, want 1 (the deleted PV's data must be dropped)", n)
	}
}

func TestVolumesSharedAndConfigMap(t *testing.T) {
	f := newFixture(t)
	f.create(cmRes, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "mysql", Namespace: "default"},
		Data: map[string]string{"primary.cnf": "[mysqld]\nlog-bin\n", "replica.cnf": "[mysqld]\nsuper-read-only\n"}})
	p := f.pod("mysql-0", "mysql:5.7", func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{
			{Name: "conf", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "config-map", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
				LocalObjectReference: corev1.LocalObjectReference{Name: "mysql"}}}},
		}
		p.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "mysql:5.7", VolumeMounts: []corev1.VolumeMount{
			{Name: "conf", MountPath: "/mnt/conf.d"}, {Name: "config-map", MountPath: "/mnt/config-map"}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "conf", MountPath: "/etc/mysql/conf.d"}}
	})
	if r := f.run(p, "init", "bash", "-c", "cp /mnt/config-map/primary.cnf /mnt/conf.d/ && ls /mnt/config-map"); r.code != 0 || r.out != "primary.cnf\nreplica.cnf\n" {
		t.Fatalf("init: %+v", r)
	}
	if r := f.run(p, "init", "bash", "-c", "echo x > /mnt/config-map/new"); r.code == 0 || !strings.Contains(r.err, "Read-only file system") {
		t.Fatalf("configMap volume writable: %+v", r)
	}
	if r := f.run(p, "main", "cat", "/etc/mysql/conf.d/primary.cnf"); r.out != "[mysqld]\nlog-bin\n" {
		t.Fatalf("main container does not see the emptyDir: %+v", r)
	}
}

func TestFileLimits(t *testing.T) {
	f := newFixture(t)
	p := f.pod("web-0", "nginx")
	r := f.sh(p, "yes 0123456789abcdef > /tmp/big")
	if r.code == 0 || !strings.Contains(r.err, "No space left on device") {
		t.Fatalf("unbounded file: code %d err %q", r.code, r.err)
	}
	r = f.sh(p, "i=0; while [ $i -lt 5000 ]; do touch /tmp/f$i || exit 1; i=$((i+1)); done")
	if r.code == 0 || !strings.Contains(r.err, "No space left on device") {
		t.Fatalf("unbounded file count: code %d err %q", r.code, r.err)
	}
}

func TestReadinessProbeMvTrick(t *testing.T) {
	f := newFixture(t)
	p := f.pod("mysql-2", "mysql:5.7")
	if r := f.run(p, "", "mv", "/usr/bin/mysql", "/usr/bin/mysql.off"); r.code != 0 {
		t.Fatalf("mv: %+v", r)
	}
	r := f.run(p, "", "mysql", "-h", "127.0.0.1", "-e", "SELECT 1")
	if r.code != 127 {
		t.Fatalf("probe after mv: %+v", r)
	}
	if r := f.run(p, "", "mv", "/usr/bin/mysql.off", "/usr/bin/mysql"); r.code != 0 {
		t.Fatalf("mv back: %+v", r)
	}
	if _, prog, ok := lookPath(&Proc{Sys: mustEnv(t, f, p), Vars: map[string]string{}}, "mysql"); !ok || prog != "mysql" {
		t.Fatal("mysql not back on PATH")
	}
}

func mustEnv(t *testing.T, f *fixture, p *corev1.Pod) *env {
	e, err := f.sb.envFor(p, "")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// The sandbox-wide byte count follows writes, removals, moves and dropped volumes.
func TestTotalAccounting(t *testing.T) {
	f := newFixture(t)
	f.claim("www-web-0", "pvc-1")
	web := f.pod("web-0", "nginx", withClaim("www", "www-web-0", "/data"))
	sum := func() int64 {
		var n int64
		for _, m := range []map[string]*vfs.Volume{f.sb.vols, f.sb.empty, f.sb.roots} {
			for _, v := range m {
				n += v.Bytes
			}
		}
		return n
	}
	check := func(step string) {
		t.Helper()
		if f.sb.total != sum() {
			t.Fatalf("%s: total %d, volumes hold %d", step, f.sb.total, sum())
		}
	}
	check("start")
	f.sh(web, "seq 1 1000 > /data/a; cp /data/a /tmp/b; mv /tmp/b /data/c; echo more >> /data/a")
	check("writes")
	f.sh(web, "rm /data/a")
	check("rm")
	f.deletePod(web)
	other := f.pod("other", "busybox")
	f.sh(other, "true")
	check("pod gone")
	if _, ok := f.sb.vols["pv/pvc-1"]; !ok {
		t.Fatal("the PV's data went with the pod")
	}
}
