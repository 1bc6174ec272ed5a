package classroom

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// stats is what the classroom itself records of a student, beside their progress file:
// time spent per lesson, hints pushed by an instructor, the language they chose.
type stats struct {
	mu   sync.Mutex
	path string
	// sink, when set, receives every save instead of path (a StudentStore).
	sink func([]byte)

	Lang     string             `json:"lang,omitempty"`
	Seconds  map[string]float64 `json:"seconds,omitempty"` // lesson id → connected time in it
	Pushed   int                `json:"pushedHints,omitempty"`
	LastSeen time.Time          `json:"lastSeen,omitempty"`
}

func openStats(dir string) *stats {
	s := &stats{Seconds: map[string]float64{}}
	if dir == "" {
		return s
	}
	s.path = filepath.Join(dir, "class.json")
	if b, err := os.ReadFile(s.path); err == nil {
		// A damaged file is started afresh: it holds only statistics, never progress.
		_ = json.Unmarshal(b, s)
		if s.Seconds == nil {
			s.Seconds = map[string]float64{}
		}
		for k, v := range s.Seconds {
			if v < 0 || v != v {
				delete(s.Seconds, k)
			}
		}
	}
	return s
}

func (s *stats) add(lesson string, d time.Duration) {
	if d <= 0 || d > time.Minute {
		// A jump (a suspended laptop, a fake clock stepping far) is not time spent.
		return
	}
	s.mu.Lock()
	s.Seconds[lesson] += d.Seconds()
	s.mu.Unlock()
}

func (s *stats) setLang(lang string) {
	s.mu.Lock()
	s.Lang = lang
	s.mu.Unlock()
	s.save()
}

func (s *stats) save() {
	if s == nil || (s.path == "" && s.sink == nil) {
		return
	}
	s.mu.Lock()
	b, err := json.MarshalIndent(s, "", "  ")
	s.mu.Unlock()
	if err == nil && s.sink != nil {
		s.sink(b)
		return
	}
	if err == nil {
		_ = writeAtomic(s.path, b)
	}
}

func (s *stats) touch(t time.Time) {
	s.mu.Lock()
	s.LastSeen = t
	s.mu.Unlock()
}

func (s *stats) pushed() {
	s.mu.Lock()
	s.Pushed++
	s.mu.Unlock()
}
