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
