package lessons

import (
	"context"
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/kubetutor/kubetutor/engine"
)

// A command line or a jsonpath check's name may say {node-of:POD}: the node the pod ran on
// when the step began. Node names differ between clusters (the simulator's sim-node-3, a real
// cluster's own), so a lesson that drains "the node of mysql-2" cannot write the name. The
// value is read once, at the baseline, because the step itself moves the pod away (a drain)
// and its later commands (uncordon) mean the old node.
var placeholderRE = regexp.MustCompile(`\{node-of:([a-z0-9]([-a-z0-9]*[a-z0-9])?)\}`)

var podsGVR = schema.GroupVersionResource{Version: "v1", Resource: "pods"}

// stepPlaceholders lists the pods whose node a step's commands or checks name.
func stepPlaceholders(st Step) []string {
	seen := map[string]bool{}
	var pods []string
	add := func(s string) {
		for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				pods = append(pods, m[1])
			}
		}
	}
	for _, c := range st.Cmds {
		add(c.Line)
	}
	for _, c := range st.Checks {
		if c.JSONPath != nil {
			add(c.JSONPath.Name)
		}
	}
	return pods
}

// resolveNodes reads the node of each pod.
func resolveNodes(ctx context.Context, dyn dynamic.Interface, ns string, pods []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pods {
		obj, err := dyn.Resource(podsGVR).Namespace(ns).Get(ctx, p, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("the node of pod %s: %v", p, err)
		}
		node, _, _ := unstructured.NestedString(obj.Object, "spec", "nodeName")
		if node == "" {
			return nil, fmt.Errorf("pod %s is not on a node yet", p)
		}
		out[p] = node
	}
	return out, nil
}

func expandWith(nodes map[string]string, s string) (string, error) {
	var missing error
	out := placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		pod := placeholderRE.FindStringSubmatch(m)[1]
		n, ok := nodes[pod]
		if !ok {
			missing = fmt.Errorf("%s: the node of pod %s is not known", m, pod)
			return m
		}
		return n
	})
	return out, missing
}

// Expand fills the step's placeholders ({node-of:POD}) in a command line with what the
// baseline found. A line without placeholders comes back as it is.
func (o *StepObserver) Expand(line string) (string, error) {
	if !placeholderRE.MatchString(line) {
		return line, nil
	}
	if o == nil {
		return line, fmt.Errorf("%s: no baseline to fill it in from", line)
	}
	o.mu.Lock()
	nodes, err := o.nodes, o.nodesErr
	o.mu.Unlock()
	if err != nil {
		return line, err
	}
	return expandWith(nodes, line)
}

// ExpandNow fills placeholders from the cluster as it is now (for RunStep, which plays a step
// without a baseline).
func ExpandNow(ctx context.Context, s *engine.Session, line string) (string, error) {
	if !placeholderRE.MatchString(line) {
		return line, nil
	}
	var pods []string
	for _, m := range placeholderRE.FindAllStringSubmatch(line, -1) {
		pods = append(pods, m[1])
	}
	nodes, err := resolveNodes(ctx, s.Dynamic(), s.Namespace(), pods)
	if err != nil {
		return line, err
	}
	return expandWith(nodes, line)
}

// expandCheck fills placeholders in a check's object name.
func (o *StepObserver) expandCheck(c Check) (Check, error) {
	if c.JSONPath == nil || !placeholderRE.MatchString(c.JSONPath.Name) {
		return c, nil
	}
	name, err := o.Expand(c.JSONPath.Name)
	if err != nil {
		return c, err
	}
	j := *c.JSONPath
	j.Name = name
	c.JSONPath = &j
	return c, nil
}
