package conformance

import "strings"

// knownDifferences are differences between the simulator and the real control plane that are
// understood and accepted, each with its reason; KNOWN_DIFFERENCES.md explains them at length.
// Keys are "step|substring&&substring…": every substring must occur in the difference (a
// "\n" marks its end); "*" matches every step.
var knownDifferences = map[string]string{
	// D2: the kubelet's final grace-0 delete of a terminated pod is an update, then a delete.
	`*|"MODIFIED READY=0/1 STATUS=Completed" "MODIFIED READY=0/1 STATUS=Completed" "DELETED`: "D2 real shows a second Completed row before DELETED",
	// D4: pods deleted together (garbage collector, delete -l) finish in no defined order.
	"cascade-delete|order of pods DELETED":  "D4 pods deleted together finish in no defined order",
	"replace-pods|order of pods DELETED":    "D4 pods deleted together finish in no defined order",
	"delete-again|order of pods DELETED":    "D4 pods deleted together finish in no defined order",
	"parallel-delete|order of pods DELETED": "D4 pods deleted together finish in no defined order",
	// D3: the real controllers write to bound claims again (same STATUS column).
	`*|"MODIFIED STATUS=Bound" "MODIFIED STATUS=Bound"]`: "D3 real shows extra MODIFIED rows for Bound claims",
	`*|simulator [], real ["MODIFIED STATUS=Bound"]`:     "D3 real shows extra MODIFIED rows for Bound claims",
}

func knownDifference(step, diff string) (string, bool) {
	for k, why := range knownDifferences {
		s, subs, _ := strings.Cut(k, "|")
		if s != "*" && s != step {
			continue
		}
		all := true
		for _, sub := range strings.Split(subs, "&&") {
			all = all && strings.Contains(diff+"\n", sub)
		}
		if all {
			return why, true
		}
	}
	return "", false
}
