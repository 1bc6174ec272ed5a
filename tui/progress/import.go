package progress

import (
	"fmt"
	"sort"
	"time"
)

// ImportReport says what an import did: which lessons it took, and which it left because
// the progress here was newer (only when the caller chose to keep those).
type ImportReport struct {
	Imported []string
	Kept     []string
}

// NewerHere lists the lessons of the file at path whose progress here is newer than the
// file's, so a caller can ask before replacing them. A foreign or corrupt file is an error.
func (s *Store) NewerHere(path string) ([]string, error) {
	f, _, err := loadImport(path, nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for id, in := range f.Lessons {
		if cur := s.f.Lessons[id]; cur != nil && cur.Updated.After(in.Updated) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// ImportReplacing merges the file at path into the store like ImportReport (checked
// against cat when it is not nil), and also replaces the lessons whose progress here is
// newer when replaceNewer is set; the report names what was taken and what was kept, the
// warning what the checks dropped. Nothing changes on error.
func (s *Store) ImportReplacing(path string, cat Catalog, replaceNewer bool) (ImportReport, string, error) {
	var rep ImportReport
	f, warning, err := loadImport(path, cat)
	if err != nil {
		return rep, "", err
	}
	s.mu.Lock()
	ids := make([]string, 0, len(f.Lessons))
	for id := range f.Lessons {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		in := f.Lessons[id]
		if cur := s.f.Lessons[id]; cur != nil && cur.Updated.After(in.Updated) && !replaceNewer {
			rep.Kept = append(rep.Kept, id)
			continue
		}
		s.f.Lessons[id] = in
		s.sync.changed(id)
		rep.Imported = append(rep.Imported, id)
	}
	s.mu.Unlock()
	return rep, warning, s.Save()
}

// loadImport reads, decodes and checks an export as ImportReport does.
func loadImport(path string, cat Catalog) (File, string, error) {
	b, err := readFile(path)
	if err != nil {
		return File{}, "", fmt.Errorf("progress: %w", err)
	}
	f, err := decode(b)
	if err != nil {
		return File{}, "", fmt.Errorf("%s: %w", path, err)
	}
	var r report
	sanitize(&f, time.Now(), &r)
	if cat != nil {
		checkAgainst(&f, cat, true, &r)
	}
	return f, joinWarnings(r.warnings()), nil
}
