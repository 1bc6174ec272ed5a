package classroom

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/kubetutor/kubetutor/lessons"
	"github.com/kubetutor/kubetutor/tui/progress"
)

// ReportRow is one student's record in one lesson.
type ReportRow struct {
	Student     string  `json:"student"`
	Lesson      string  `json:"lesson"`
	Title       string  `json:"title"`
	Steps       int     `json:"steps"`
	Done        int     `json:"done"`
	WithoutHelp int     `json:"doneWithoutHelp"`
	WithHelp    int     `json:"doneWithHelp"`
	QuizRight   int     `json:"quizRight"`
	QuizTotal   int     `json:"quizTotal"`
	Minutes     float64 `json:"minutes"`
	Warning     string  `json:"warning,omitempty"`
}

// ReportRows reads a classroom's state directory: every student's progress and the time the
// classroom counted, one row per student and lesson they started. It only reads.
func ReportRows(stateDir string, catalog []lessons.Lesson) ([]ReportRow, error) {
	dir := filepath.Join(stateDir, "students")
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no classroom state (no students folder)", stateDir)
	}
	if err != nil {
		return nil, err
	}
	var recs []Record
	var warns []string
	for _, e := range ents {
		if !e.IsDir() || !ValidName(e.Name()) {
			continue
		}
		name := e.Name()
		r := Record{Name: name}
		r.Stats, _ = os.ReadFile(filepath.Join(dir, name, "class.json"))
		b, err := os.ReadFile(filepath.Join(dir, name, "progress.json"))
		warn := ""
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			warn = err.Error()
		default:
			r.Progress = b
		}
		recs = append(recs, r)
		warns = append(warns, warn)
	}
	return reportRows(recs, warns, catalog), nil
}

// RecordRows is ReportRows for records kept elsewhere than a state folder (--real: the
// students' ConfigMaps).
func RecordRows(recs []Record, catalog []lessons.Lesson) []ReportRow {
	return reportRows(recs, make([]string, len(recs)), catalog)
}

func reportRows(recs []Record, warns []string, catalog []lessons.Lesson) []ReportRow {
	byID := map[string]lessons.Lesson{}
	for _, l := range catalog {
		byID[l.ID] = l
	}
	var rows []ReportRow
	for i, rec := range recs {
		name, warn := rec.Name, warns[i]
		st := &stats{Seconds: map[string]float64{}}
		if len(rec.Stats) > 0 {
			_ = json.Unmarshal(rec.Stats, st) // statistics only: damaged ones count nothing
		}
		for k, v := range st.Seconds {
			if v < 0 || v != v {
				delete(st.Seconds, k)
			}
		}
		var f progress.File
		if len(rec.Progress) > 0 {
			var err error
			if f, err = progress.Parse(rec.Progress); err != nil {
				warn = "progress file unreadable: " + err.Error()
			}
		}
		ids := map[string]bool{}
		for id := range f.Lessons {
			ids[id] = true
		}
		for id := range st.Seconds {
			ids[id] = true
		}
		if len(ids) == 0 {
			rows = append(rows, ReportRow{Student: name, Warning: warn})
			continue
		}
		for id := range ids {
			r := ReportRow{Student: name, Lesson: id, Minutes: math.Round(st.Seconds[id]/6) / 10, Warning: warn}
			l, known := byID[id]
			var stepIDs []string
			if known {
				r.Title = l.Title
				for _, s := range l.Steps {
					stepIDs = append(stepIDs, s.ID)
				}
				r.QuizTotal = len(l.Quiz)
			}
			if rec := f.Lessons[id]; rec != nil {
				if !known {
					for sid := range rec.Steps {
						stepIDs = append(stepIDs, sid)
					}
				}
				sum := rec.Summarize(stepIDs)
				r.Steps, r.Done, r.WithHelp, r.QuizRight = sum.Total, sum.Done, sum.Helped, sum.QuizRight
				r.WithoutHelp = sum.Done - sum.Helped
				if !known {
					r.QuizTotal = sum.QuizDone
				}
			} else {
				r.Steps = len(stepIDs)
			}
			rows = append(rows, r)
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Student != rows[j].Student {
			return rows[i].Student < rows[j].Student
		}
		return rows[i].Lesson < rows[j].Lesson
	})
	return rows
}

// WriteReport prints rows as text (a table), csv or json.
func WriteReport(w io.Writer, rows []ReportRow, format string) error {
	switch format {
	case "", "text":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "STUDENT\tLESSON\tSTEPS DONE\tWITHOUT HELP\tWITH HELP\tQUIZ\tMINUTES")
		for _, r := range rows {
			lesson := r.Title
			if lesson == "" {
				lesson = r.Lesson
			}
			if lesson == "" {
				lesson = "(not started)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d\t%d\t%d/%d\t%.1f\n", r.Student, lesson, r.Done, r.Steps, r.WithoutHelp, r.WithHelp, r.QuizRight, r.QuizTotal, r.Minutes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, r := range rows {
			if r.Warning != "" {
				fmt.Fprintf(w, "warning: %s: %s\n", r.Student, r.Warning)
			}
		}
		return nil
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"student", "lesson", "title", "steps", "done", "done_without_help", "done_with_help", "quiz_right", "quiz_total", "minutes"})
		for _, r := range rows {
			_ = cw.Write([]string{r.Student, r.Lesson, r.Title, strconv.Itoa(r.Steps), strconv.Itoa(r.Done), strconv.Itoa(r.WithoutHelp),
				strconv.Itoa(r.WithHelp), strconv.Itoa(r.QuizRight), strconv.Itoa(r.QuizTotal), strconv.FormatFloat(r.Minutes, 'f', 1, 64)})
		}
		cw.Flush()
		return cw.Error()
	case "json":
		if rows == nil {
			rows = []ReportRow{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	return fmt.Errorf("unknown --format %q (known: text, csv, json)", format)
}
