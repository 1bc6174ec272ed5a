package lessons

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/engine"
)

// Simulate is something a step does to the cluster that no kubectl command can: what the
// learner would do on a real cluster outside Kubernetes (pull a node's network cable, reset
// the machine). It runs before the step's commands, in the solver and in the player, through
// the simulator's controls; on a real cluster the step's text says what to do by hand.
// Exactly one field is set.
//
//	simulate: {failNodeOf: kubia-0}    # cut off the node that runs pod kubia-0
//	simulate: {recoverNodes: true}     # reconnect every node that was cut off
type Simulate struct {
	// FailNodeOf names a pod; the node it is scheduled to stops reaching the API server.
	FailNodeOf string `json:"failNodeOf,omitempty"`
	// RecoverNodes reconnects every node cut off before.
	RecoverNodes bool `json:"recoverNodes,omitempty"`
}

// ErrNotSimulated is returned by RunSimulate on a real cluster, where only the learner can do
// what the step describes.
var ErrNotSimulated = errors.New("only the simulator can do this for you; on a real cluster do it by hand as the step says")

// RunSimulate does what the step's simulate field asks, on the session's simulator, and
// returns a sentence saying what it did (in the step's language). A step without simulate
// does nothing and returns "".
func RunSimulate(ctx context.Context, s *engine.Session, st Step) (string, error) {
	sim := st.Simulate
	if sim == nil {
		return "", nil
	}
	if s == nil || s.Sim() == nil {
		return "", ErrNotSimulated
	}
	faults, ok := s.Sim().(engine.SimFaults)
	if !ok {
		return "", errors.New("this simulator cannot inject node failures")
	}
	m := messagesFor(st.Lang)
	switch {
	case sim.FailNodeOf != "":
		pod, err := s.Kube().CoreV1().Pods(s.Namespace()).Get(ctx, sim.FailNodeOf, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("finding the node of pod %s: %w", sim.FailNodeOf, err)
		}
		node := pod.Spec.NodeName
		if node == "" {
			return "", fmt.Errorf("pod %s is not scheduled to a node yet", sim.FailNodeOf)
		}
		if err := faults.FailNode(node); err != nil {
			return "", fmt.Errorf("cutting off node %s: %w", node, err)
		}
		return m.nodeFailed(node, sim.FailNodeOf), nil
	case sim.RecoverNodes:
		nodes, err := s.Kube().CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return "", fmt.Errorf("listing nodes: %w", err)
		}
		var back []string
		for _, n := range nodes.Items {
			if nodeReady(n) {
				continue // reconnecting a connected node is a no-op anyway
			}
			if err := faults.RecoverNode(n.Name); err != nil {
				return "", fmt.Errorf("reconnecting node %s: %w", n.Name, err)
			}
			back = append(back, n.Name)
		}
		return m.nodesRecovered(strings.Join(back, ", ")), nil
	}
	return "", errors.New("simulate: nothing to do")
}

// lintSimulate checks a step's simulate field.
func lintSimulate(sim *Simulate) []fieldMsg {
	if sim == nil {
		return nil
	}
	var out []fieldMsg
	n := 0
	if sim.FailNodeOf != "" {
		n++
		if !idPattern.MatchString(sim.FailNodeOf) {
			out = append(out, fieldMsg{"simulate.failNodeOf", fmt.Sprintf("%q is not a pod name", sim.FailNodeOf)})
		}
	}
	if sim.RecoverNodes {
		n++
	}
	if n != 1 {
		out = append(out, fieldMsg{"simulate", fmt.Sprintf("want exactly one of failNodeOf, recoverNodes; have %d", n)})
	}
	return out
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
