package main

// `kubetutor classroom --real`: the classroom's students work on a real cluster, each in
// their own namespace, and the classroom keeps what it knows of them in that namespace, so
// several front ends (deploy/) can serve one class. `kubetutor classroom cleanup` removes
// what a class created.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubetutor/kubetutor/classroom"
	"github.com/kubetutor/kubetutor/engine"
	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui"
)

// classRealFlags choose the cluster of a --real class and its per-student limits.
type classRealFlags struct {
	real       bool
	kubeconfig string
	context    string
	class      string
	limits     classroom.Limits
}

func (r *classRealFlags) active() bool { return r.real || r.kubeconfig != "" || r.context != "" }

// addClassClusterFlags are the flags that pick a class on a cluster (classroom, cleanup, report).
func addClassClusterFlags(fs *pflag.FlagSet, r *classRealFlags) {
	fs.StringVar(&r.kubeconfig, "kubeconfig", "", "with --real: the kubeconfig `FILE` of the cluster (as kubectl: KUBECONFIG, then ~/.kube/config; in a pod, its ServiceAccount)")
	fs.StringVar(&r.context, "context", "", "with --real: the kubeconfig context of the cluster")
	fs.StringVar(&r.class, "class", "workshop", "with --real: the class's `NAME`, on the labels of everything it creates (one cluster can hold several classes)")
}

func addClassRealFlags(fs *pflag.FlagSet, r *classRealFlags) {
	fs.BoolVar(&r.real, "real", false, "students work on a real cluster (each in namespace kubetutor-NAME), not on simulators; progress lives in the cluster")
	addClassClusterFlags(fs, r)
	d := classroom.DefaultLimits()
	r.limits = d
	fs.IntVar(&r.limits.Pods, "quota-pods", d.Pods, "with --real: the most pods in a student's namespace")
	fs.IntVar(&r.limits.PVCs, "quota-pvcs", d.PVCs, "with --real: the most PersistentVolumeClaims in a student's namespace")
	fs.IntVar(&r.limits.Objects, "quota-objects", d.Objects, "with --real: the most objects of each counted kind (services, configmaps, statefulsets …) per student")
	fs.StringVar(&r.limits.CPU, "quota-cpu", d.CPU, "with --real: CPU requests per student (limits: twice)")
	fs.StringVar(&r.limits.Memory, "quota-memory", d.Memory, "with --real: memory requests per student (limits: twice)")
	fs.StringVar(&r.limits.Storage, "quota-storage", d.Storage, "with --real: storage requests of a student's claims")
	fs.StringVar(&r.limits.DefaultCPU, "default-cpu", d.DefaultCPU, "with --real: a container's CPU request when it names none (limit: twice)")
	fs.StringVar(&r.limits.DefaultMemory, "default-memory", d.DefaultMemory, "with --real: a container's memory request when it names none (limit: twice)")
}

// validate checks the flags; cmd tells which were given, to refuse real-only flags without --real.
func (r *classRealFlags) validate(cmd *cobra.Command, state string) error {
	if !classroom.ValidClassName(r.class) {
		return usageError{fmt.Sprintf("--class %q: use lowercase letters, digits and '-', at most 42", r.class)}
	}
	if !r.active() {
		for _, f := range []string{"quota-pods", "quota-pvcs", "quota-objects", "quota-cpu", "quota-memory", "quota-storage", "default-cpu", "default-memory", "class", "kubeconfig", "context"} {
			if cmd.Flags().Lookup(f) != nil && cmd.Flags().Changed(f) {
				return usageError{"--" + f + " is for a class on a real cluster: add --real"}
			}
		}
		return nil
	}
	if state != "" {
		return usageError{"--state is for simulator classes: with --real the students' progress lives in the cluster (kubetutor classroom report --real)"}
	}
	if cmd.Flags().Lookup("quota-pods") == nil {
		return nil // cleanup and report set no limits
	}
	if err := r.limits.Validate(); err != nil {
		return usageError{err.Error()}
	}
	return nil
}

// connect opens the front end's own session on the cluster (setup, saves, cleanup).
func (r *classRealFlags) connect(ctx context.Context) (*engine.Session, error) {
	cctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	return engine.NewKubeconfigSession(cctx, engine.KubeconfigOptions{Path: r.kubeconfig, Context: r.context})
}

// allCommands are the command lines of every lesson: a student's Role allows what any lesson
// does, in their namespace only.
func allCommands(catalog []lessons.Lesson) []string {
	var out []string
	for _, l := range catalog {
		out = append(out, lessonLines(l)...)
	}
	return out
}

// realSeats builds each student's seat on the cluster: a session of its own (its own kubectl
// runner) entered into the student's namespace, which runs as the namespace's lesson
// ServiceAccount (engine/rbac.go); the player is the same as on a simulator seat.
func realSeats(catalog func(lang string) []lessons.Lesson, r *classRealFlags, store *classroom.ClusterStore, logger *log.Logger) classroom.SeatFactory {
	commands := allCommands(catalog("en"))
	md := tui.NewMarkdownCache()
	return func(ctx context.Context, spec classroom.SeatSpec) (classroom.Seat, error) {
		sctx, cancel := context.WithTimeout(ctx, startTimeout)
		defer cancel()
		sess, err := r.connect(sctx)
		if err != nil {
			return nil, err
		}
		ns := classroom.StudentNamespace(spec.Name)
		plan, err := sess.PlanLessonNamespace(sctx, "classroom", ns)
		if err == nil && !plan.Ours {
			// The store made it, labelled; anything else is not this class's.
			err = fmt.Errorf("namespace %s is not kubetutor's", ns)
		}
		if err == nil {
			plan.Commands = commands
			err = sess.EnterLessonNamespace(sctx, plan)
		}
		if err == nil {
			err = checkSeatIdentity(sctx, sess, ns)
		}
		if err == nil {
			err = store.LabelClusterRBAC(sctx, spec.Name)
		}
		if err != nil {
			sess.Close()
			return nil, err
		}
		logger.Printf("classroom: %s seated in namespace %s: %s", spec.Name, ns, sess.Identity())
		return &simSeat{live: engine.NewLiveReal(sess), base: lessons.NewBaselines(ctx), catalog: catalog, spec: spec, md: md}, nil
	}
}

// checkSeatIdentity asks the API server who the seat's requests run as: a student's kubectl
// must carry their namespace's ServiceAccount token, so that RBAC, not only kubetutor's
// guard, keeps them in their namespace. A class never falls back to the guard alone.
func checkSeatIdentity(ctx context.Context, sess *engine.Session, ns string) error {
	want := "system:serviceaccount:" + ns + ":" + engine.LessonServiceAccount
	r, err := sess.Kube().AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("checking the student's identity: %w (%s)", err, sess.Identity())
	}
	if got := r.Status.UserInfo.Username; got != want {
		return fmt.Errorf("a student's commands would run as %q, not as %s: %s", got, want, sess.Identity())
	}
	return nil
}

// realClassOptions fills a classroom's options for --real: seats on the cluster, records in
// the students' ConfigMaps. close ends the front end's own session.
func realClassOptions(ctx context.Context, o *classroom.Options, catalog func(string) []lessons.Lesson, r *classRealFlags, logger *log.Logger) (close func(), err error) {
	admin, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	store := &classroom.ClusterStore{Kube: admin.Kube(), Class: r.class, Limits: r.limits}
	o.Store = store
	o.Seats = realSeats(catalog, r, store, logger)
	return admin.Close, nil
}

// newClassroomCleanupCmd is `kubetutor classroom cleanup`.
func newClassroomCleanupCmd(stdout io.Writer) *cobra.Command {
	r := &classRealFlags{}
	var yes bool
	var logPath string
	cmd := &cobra.Command{
		Use:   "cleanup [--kubeconfig FILE] [--context NAME] [--class NAME] [--yes]",
		Short: "Delete every namespace and cluster-wide object a --real class created (only those labelled as its own)",
		Example: `  kubetutor classroom cleanup --class ws1            # prints the plan and asks
  kubetutor classroom cleanup --class ws1 --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r.real = true
			if err := r.validate(cmd, ""); err != nil {
				return err
			}
			return withRuntime(logPath, func(ctx context.Context, logger *log.Logger, _ *os.File) error {
				admin, err := r.connect(ctx)
				if err != nil {
					return err
				}
				defer admin.Close()
				store := &classroom.ClusterStore{Kube: admin.Kube(), Class: r.class}
				plan, err := store.CleanupPlan(ctx)
				if err != nil {
					return err
				}
				if len(plan) == 0 {
					fmt.Fprintf(stdout, "Class %q left nothing on %s.\n", r.class, admin.Label())
					return nil
				}
				fmt.Fprintf(stdout, "Class %q on %s created (labelled %s=%s, %s=%s):\n", r.class, admin.Label(),
					classroom.LabelManagedBy, classroom.ManagedBy, classroom.LabelClass, r.class)
				for _, it := range plan {
					extra := ""
					if it.Kind == "namespace" {
						extra = " (and everything in it: the student's work and progress)"
					}
					fmt.Fprintf(stdout, "  %s%s\n", it, extra)
				}
				if !yes && !ask(stdout, bufio.NewReader(promptIn), "Delete all of it?", false) {
					return fmt.Errorf("nothing was deleted")
				}
				cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
				defer cancel()
				if err := store.Cleanup(cctx, plan); err != nil {
					return err
				}
				fmt.Fprintf(stdout, "Deleted %d objects; nothing of class %q is left.\n", len(plan), r.class)
				logger.Printf("classroom cleanup of %q: %d objects", r.class, len(plan))
				return nil
			})
		},
	}
	addClassClusterFlags(cmd.Flags(), r)
	cmd.Flags().BoolVar(&yes, "yes", false, "delete without asking")
	addLogFlag(cmd.Flags(), &logPath)
	return cmd
}

// realReportRows reads a --real class's records from the cluster.
func realReportRows(ctx context.Context, r *classRealFlags, catalog []lessons.Lesson) ([]classroom.ReportRow, error) {
	admin, err := r.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer admin.Close()
	recs, err := (&classroom.ClusterStore{Kube: admin.Kube(), Class: r.class}).Records(ctx)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("class %q has no students on %s", r.class, strings.TrimSpace(admin.Label()))
	}
	return classroom.RecordRows(recs, catalog), nil
}
