package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// TestClassroomCapsRefuseWithClearErrors builds a student's seat from the classroom's flags
// and goes past each per-student cap: replicas, objects, object memory and the run time of one
// command in a container. Each is refused with an error that says which cap, and the seat
// keeps working.
func TestClassroomCapsRefuseWithClearErrors(t *testing.T) {
	o := &classroomOptions{}
	fs := pflag.NewFlagSet("classroom", pflag.ContinueOnError)
	o.addFlags(fs)
	if err := fs.Parse([]string{"--max-replicas", "3", "--max-objects", "60", "--max-memory", "1Mi", "--max-exec-time", "200ms", "--speed", "100"}); err != nil {
		t.Fatal(err)
	}
	lib, err := lessons.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	seat, err := simSeats(lib.Catalog, o.seatOptions, log.New(io.Discard, "", 0))(ctx, classroom.SeatSpec{})
	if err != nil {
		t.Fatal(err)
	}
	defer seat.Close()
	live := seat.(*simSeat).live
	kubectl := func(line, stdin string) (string, error) {
		var out bytes.Buffer
		var in io.Reader
		if stdin != "" {
			in = strings.NewReader(stdin)
		}
		err := live.RunKubectl(ctx, line, in, &out, &out)
		return out.String(), err
	}

	// Replicas.
	out, err := kubectl("kubectl create deployment web --image=nginx --replicas=4", "")
	if err == nil || !strings.Contains(out, "at most 3 replicas per Deployment") {
		t.Errorf("4 replicas with --max-replicas 3: %v\n%s", err, out)
	}

	// Memory: two ConfigMaps of 600 KiB do not fit in 1 MiB.
	var big strings.Builder
	for i := 0; i < 2; i++ {
		fmt.Fprintf(&big, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big%d\ndata:\n  k: %s\n---\n", i, strings.Repeat("x", 600<<10))
	}
	out, err = kubectl("kubectl create -f -", big.String())
	if err == nil || !strings.Contains(out, "configmap/big0 created") ||
		!strings.Contains(out, `configmaps "big1" is forbidden: exceeded quota: kubetutor-simulator`) || !strings.Contains(out, "limited: simulator-memory=1Mi") {
		t.Errorf("past --max-memory: %v\n%.600s", err, out)
	}
	if out, err := kubectl("kubectl delete configmap big0", ""); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	// Objects: the cluster starts with some (namespaces, nodes, accounts); 60 ConfigMaps more
	// cannot fit under 60.
	var many strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&many, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\n---\n", i)
	}
	out, err = kubectl("kubectl create -f -", many.String())
	if err == nil || !strings.Contains(out, "the simulator holds at most 60 objects") {
		t.Errorf("past --max-objects: %v\n%s", err, out)
	}
	if out, err := kubectl("kubectl delete configmaps --all", ""); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	// Run time of one command in a container.
	if out, err := kubectl("kubectl run busy --image=busybox -- sleep 3600", ""); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if out, err := kubectl("kubectl wait --for=condition=Ready pod/busy --timeout=60s", ""); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	out, err = kubectl("kubectl exec busy -- sh -c 'while true; do :; done'", "")
	var ke *engine.KubectlError
	if !errors.As(err, &ke) || ke.Code != 137 || !strings.Contains(out, "command terminated: it ran longer than 200ms") {
		t.Errorf("a busy loop with --max-exec-time 200ms: %v\n%s", err, out)
	}
	if out, err := kubectl("kubectl exec busy -- echo fine", ""); err != nil || out != "fine\n" {
		t.Errorf("after the stopped command: %v %q", err, out)
	}
}

// TestClassroomCapFlags: the caps' flags refuse nonsense with a usage error.
func TestClassroomCapFlags(t *testing.T) {
	base := []string{"classroom", "--host-key", "k", "--instructors", "i", "--students", "s"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-memory", "lots"}, `--max-memory must be a quantity of at least 1Mi`},
		{[]string{"--max-memory", "100Ki"}, `--max-memory must be a quantity of at least 1Mi`},
		{[]string{"--max-exec-time", "0s"}, "--max-exec-time must be above 0"},
		{[]string{"--max-replicas", "0"}, "--max-replicas must be at least 1"},
		{[]string{"--max-objects", "0"}, "--max-objects must be at least 1"},
	} {
		var out, errOut bytes.Buffer
		args := append(append([]string{}, base...), c.args...)
		if code := run(args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.want)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"classroom", "-h"}, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), `--max-replicas int`) || !strings.Contains(out.String(), "(default 50)") {
		t.Errorf("classroom -h: exit %d, %q", code, out.String())
	}
}
