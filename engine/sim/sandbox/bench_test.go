package sandbox

import (
	"context"
	"io"
	"testing"

	"github.com/kubetutor/kubetutor/engine/sim/container"
)

// The kubelet runs the readiness probe every 2s per MySQL pod (more often at --speed > 1).
func BenchmarkReadinessProbe(b *testing.B) {
	m := newMySQL(b)
	for i := 0; i < 3; i++ {
		m.start(i)
	}
	probe := m.pods[2].Spec.Containers[0].ReadinessProbe.Exec.Command
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, _ := m.sb.Run(context.Background(), m.pods[2], "mysql", probe, container.Streams{Stdout: io.Discard}); code != 0 {
			b.Fatal(code)
		}
	}
}

func BenchmarkInitMySQLScript(b *testing.B) {
	m := newMySQL(b)
	m.start(0)
	c := m.pods[0].Spec.InitContainers[0]
	argv := containerArgv(&c, imageFor(c.Image))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, _ := m.sb.Run(context.Background(), m.pods[0], c.Name, argv, container.Streams{}); code != 0 {
			b.Fatal(code)
		}
	}
}
