package tui

import (
	"strings"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// ProgressCatalog describes ls for checking a progress file: step ids and each question's
// number of choices, per lesson id.
func ProgressCatalog(ls []lessons.Lesson) progress.Catalog {
	cat := progress.Catalog{}
	for _, l := range ls {
		var shape progress.LessonShape
		for _, s := range l.Steps {
			shape.Steps = append(shape.Steps, s.ID)
		}
		for _, q := range l.Quiz {
			shape.Choices = append(shape.Choices, len(q.Choices))
		}
		cat[l.ID] = shape
	}
	return cat
}

// checkProgress drops what the progress store holds that these lessons cannot have (a step
// index, a quiz answer beyond the choices) and adds what it dropped to the menu's warning.
func checkProgress(o *Options) {
	if o.Progress == nil || len(o.Lessons) == 0 {
		return
	}
	if w := o.Progress.Check(ProgressCatalog(o.Lessons)); w != "" {
		o.ProgressWarning = strings.TrimPrefix(strings.Join([]string{o.ProgressWarning, w}, "; "), "; ")
	}
}
