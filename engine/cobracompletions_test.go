package engine

import (
	"testing"

	"github.com/spf13/cobra"
)

func registeredCompletions() int {
	cobraFlagCompletionMu.RLock()
	defer cobraFlagCompletionMu.RUnlock()
	return len(cobraFlagCompletions)
}

// TestKubectlTreesAreForgotten: cobra's process-wide completion registry is where
// cobracompletions.go reads it, and kubectl runs no longer add to it (each run's tree, with
// its factory's caches, used to stay reachable through it forever).
func TestKubectlTreesAreForgotten(t *testing.T) {
	c := &cobra.Command{Use: "probe"}
	c.Flags().String("probe", "", "")
	if err := c.RegisterFlagCompletionFunc("probe", cobra.NoFileCompletions); err != nil {
		t.Fatal(err)
	}
	cobraFlagCompletionMu.RLock()
	_, found := cobraFlagCompletions[c.Flags().Lookup("probe")]
	cobraFlagCompletionMu.RUnlock()
	if !found {
		t.Fatal("a completion registered with cobra is not in the registry cobracompletions.go links to: cobra changed, update it")
	}
	forgetCompletions(c)
	cobraFlagCompletionMu.RLock()
	_, found = cobraFlagCompletions[c.Flags().Lookup("probe")]
	cobraFlagCompletionMu.RUnlock()
	if found {
		t.Fatal("forgetCompletions left the flag's completion in cobra's registry")
	}

	s, _ := newTestSession(t)
	kubectl(t, s, "kubectl get pods")
	before := registeredCompletions()
	for _, line := range []string{"kubectl get pods", "kubectl create configmap x --from-literal=a=b", "kubectl label configmap x n=1", "kubectl get configmap x -o yaml"} {
		if _, errOut, err := kubectl(t, s, line); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, errOut)
		}
	}
	if after := registeredCompletions(); after != before {
		t.Errorf("cobra's completion registry went from %d to %d entries over 4 kubectl runs: run trees are kept", before, after)
	}
}
