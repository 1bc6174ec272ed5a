package engine

// kubectl in the player loads its message catalog only for a language it translates to: see
// the package's comment (start-up time and memory for English learners).
import _ "github.com/kubetutor/kubetutor/internal/kubectlmsgs"
