package sim

// Failure injection for lessons: things a learner does to a node or a container on a real
// cluster outside the API (pull a network cable, kill a process).

// ExitContainer makes the main process of a running container exit with code, as if it
// crashed: the kubelet restarts it (Error, then CrashLoopBackOff on repeats).
func (s *Sim) ExitContainer(namespace, pod, container string, code int) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	defer s.poke()
	return s.ctrls.Kubelet.ExitContainer(namespace, pod, container, code)
}

// FailNode cuts the named node off from the API server, like pulling its network cable: its
// kubelet stops reporting; after the node-monitor grace period (50s) the node turns NotReady and
// its pods not ready; after their 300s toleration of the unreachable taint the pods are deleted
// but stay Terminating, because no kubelet confirms they stopped. All delays follow the
// simulator's clock and speed.
func (s *Sim) FailNode(name string) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	defer s.poke()
	return s.ctrls.Nodes.FailNode(name)
}

// RecoverNode reconnects a node cut off by FailNode: it turns Ready again and its kubelet
// finishes what happened meanwhile (pods deleted while it was away terminate and go).
func (s *Sim) RecoverNode(name string) error {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	defer s.poke()
	return s.ctrls.Nodes.RecoverNode(name)
}
