package main

// Real-cluster mode: `kubetutor --kubeconfig PATH | --context NAME | --real [-n NS]` plays a
// lesson on a real cluster in its own namespace, and `kubetutor doctor` checks that cluster.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
)

// realFlags select a real cluster as kubectl does.
type realFlags struct {
	kubeconfig string
	context    string
	namespace  string
	real       bool
	lesson     string
	pull       bool
	yes        bool
}

// addRealFlags registers the real-cluster flags on the main flag set.
func addRealFlags(fs *flag.FlagSet) *realFlags {
	r := &realFlags{}
	fs.StringVar(&r.kubeconfig, "kubeconfig", "", "play on the real cluster of this kubeconfig (as kubectl; KUBECONFIG and ~/.kube/config otherwise)")
	fs.StringVar(&r.context, "context", "", "play on the real cluster of this kubeconfig context")
	fs.StringVar(&r.namespace, "namespace", "", "on a real cluster: the lesson's namespace (default kubetutor-<lesson>)")
	fs.StringVar(&r.namespace, "n", "", "short for --namespace")
	fs.BoolVar(&r.real, "real", false, "play on the real cluster of the current kubeconfig context")
	fs.StringVar(&r.lesson, "lesson", "", "on a real cluster or with doctor: the lesson to play or check (default: the first)")
	fs.BoolVar(&r.pull, "pull", false, "doctor: start a short-lived pod per image to see whether the cluster can pull it")
	fs.BoolVar(&r.yes, "yes", false, "on a real cluster: do not ask before creating the namespace (cleanup is still asked)")
	return r
}

// active reports whether the learner asked for a real cluster.
func (r *realFlags) active() bool { return r.real || r.kubeconfig != "" || r.context != "" }

// promptIn is where yes/no answers come from (tests replace it).
var promptIn io.Reader = os.Stdin

func ask(out io.Writer, in *bufio.Reader, question string, def bool) bool {
	hint := " [y/N] "
	if def {
		hint = " [Y/n] "
	}
	fmt.Fprint(out, question+hint)
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(out)
		return false // no answer (closed input): never change a real cluster by default
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	case "n", "no":
		return false
	}
	return def
}

func pickLesson(lang, id string) (lessons.Lesson, error) {
	cat, err := lessons.Catalog(lang)
	if err != nil {
		return lessons.Lesson{}, fmt.Errorf("loading lessons: %w", err)
	}
	if len(cat) == 0 {
		return lessons.Lesson{}, fmt.Errorf("no lessons")
	}
	if id == "" {
		return cat[0], nil
	}
	for _, l := range cat {
		if l.ID == id {
			return l, nil
		}
	}
	return lessons.Lesson{}, unknownLesson(id, cat)
}

func lessonLines(l lessons.Lesson) []string {
	var lines []string
	for _, st := range l.Steps {
		lines = append(lines, st.Commands...)
	}
	return lines
}

func connectReal(ctx context.Context, r *realFlags) (*engine.Session, error) {
	cctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	return engine.NewKubeconfigSession(cctx, engine.KubeconfigOptions{Path: r.kubeconfig, Context: r.context})
}

// doctorReport runs the checks and prints them; ok is false when one failed.
func doctorReport(ctx context.Context, sess *engine.Session, l lessons.Lesson, ns string, pull bool, out io.Writer) bool {
	lines := lessonLines(l)
	needs := engine.LessonNeeds(lines)
	plan, err := sess.PlanLessonNamespace(ctx, l.ID, ns)
	if err == nil && plan.Create {
		needs = append(needs, engine.AccessNeed{Verb: "create", Resource: "namespaces", ClusterWide: true})
	}
	if err != nil {
		fmt.Fprintf(out, "  [fail] namespace: %v\n", err)
		return false
	}
	checks := sess.Doctor(ctx, engine.DoctorOptions{
		Namespace: plan.Namespace, Needs: needs, Images: engine.LessonImages(lines),
		PullTest: pull, NeedsStorage: engine.LessonNeedsStorage(lines),
	})
	ok := true
	fmt.Fprintf(out, "Checking %s for the lesson %q (namespace %s):\n", sess.Label(), l.Title, plan.Namespace)
	for _, c := range checks {
		fmt.Fprintf(out, "  [%s] %s: %s\n", c.Status, c.Name, c.Detail)
		if c.Fix != "" && c.Status != engine.DoctorOK {
			fmt.Fprintf(out, "         fix: %s\n", c.Fix)
		}
		if c.Status == engine.DoctorFail {
			ok = false
		}
	}
	return ok
}

// doctorCmd is `kubetutor doctor`: check a real cluster for a lesson. With --pull it starts
// test pods, in the lesson namespace (created and removed again if it did not exist).
func doctorCmd(ctx context.Context, c config, r *realFlags, stdout io.Writer) error {
	l, err := pickLesson(c.lang, r.lesson)
	if err != nil {
		return err
	}
	sess, err := connectReal(ctx, r)
	if err != nil {
		fmt.Fprintf(stdout, "  [fail] server: %v\n         fix: check the context (kubectl config current-context) and that the cluster runs.\n"+
			"         Or play on the built-in simulator: run kubetutor without --kubeconfig/--context.\n", err)
		return fmt.Errorf("the cluster is not ready for the lesson")
	}
	defer sess.Close()
	if r.pull {
		plan, err := sess.PlanLessonNamespace(ctx, l.ID, r.namespace)
		if err != nil {
			return err
		}
		if err := sess.EnterLessonNamespace(ctx, plan); err != nil {
			return err
		}
		if plan.Create {
			defer func() {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
				defer cancel()
				_ = sess.Cleanup(cctx)
			}()
		}
	}
	if !doctorReport(ctx, sess, l, r.namespace, r.pull, stdout) {
		return fmt.Errorf("the cluster is not ready for the lesson (see the fixes above)")
	}
	fmt.Fprintln(stdout, "The cluster is ready for the lesson.")
	return nil
}

// playReal runs a lesson on a real cluster: doctor, the learner's consent, the lesson in its
// own namespace, and the offer to clean up.
func playReal(ctx context.Context, c config, r *realFlags, logger *log.Logger, logFile *os.File, stdout io.Writer) error {
	in := bufio.NewReader(promptIn)
	l, err := pickLesson(c.lang, r.lesson)
	if err != nil {
		return err
	}
	sess, err := connectReal(ctx, r)
	if err != nil {
		fmt.Fprintf(stdout, "Cannot reach the cluster: %v\n", err)
		if ask(stdout, in, "Play on the built-in simulator instead?", true) {
			return play(ctx, c, logger, logFile, "")
		}
		return err
	}
	defer sess.Close()
	if !doctorReport(ctx, sess, l, r.namespace, false, stdout) {
		if ask(stdout, in, "The cluster is not ready. Play on the built-in simulator instead?", true) {
			sess.Close()
			return play(ctx, c, logger, logFile, "")
		}
		if !ask(stdout, in, "Continue on this cluster anyway?", false) {
			return fmt.Errorf("the cluster is not ready for the lesson")
		}
	}
	plan, err := sess.PlanLessonNamespace(ctx, l.ID, r.namespace)
	if err != nil {
		return err
	}
	// The lesson runs as its own ServiceAccount with a Role derived from these (engine/rbac.go).
	plan.Commands = lessonLines(l)
	fmt.Fprint(stdout, "\n"+plan.Describe())
	if !r.yes && !ask(stdout, in, "Go ahead?", false) {
		return fmt.Errorf("nothing was changed on the cluster")
	}
	if err := sess.EnterLessonNamespace(ctx, plan); err != nil {
		return err
	}
	fmt.Fprintln(stdout, sess.Identity())
	logger.Printf("real cluster %s, namespace %s: %s", sess.Label(), sess.Namespace(), sess.Identity())

	// The same player as on the simulator; what a real cluster cannot do (time control,
	// reset) the player leaves out and its help says why.
	runErr := runTUI(ctx, c, engine.NewLiveReal(sess), launch{catalog: []lessons.Lesson{l}, in: in, out: stdout}, logger, logFile)

	// Offer cleanup whatever ended the player (not after Ctrl+C of the prompt itself).
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Minute)
	defer cancel()
	items, err := sess.CleanupPlan(cctx)
	if err != nil {
		fmt.Fprintf(stdout, "Cannot list what the lesson created: %v\n", err)
		return runErr
	}
	if len(items) == 0 {
		return runErr
	}
	fmt.Fprintf(stdout, "\nThe lesson left on the cluster:\n  %s\n", strings.Join(items, "\n  "))
	if ask(stdout, in, "Delete all of it (PVCs too)?", true) {
		if err := sess.Cleanup(cctx); err != nil {
			fmt.Fprintf(stdout, "Cleanup failed: %v\n", err)
		} else {
			fmt.Fprintln(stdout, "Cleaned up.")
		}
	} else {
		fmt.Fprintf(stdout, "Left in place. Remove it later with: kubectl delete namespace %s (if kubetutor created it)\n", sess.Namespace())
	}
	return runErr
}
