package lessons

import "sort"

// Merge returns a library holding the lessons of base and then those of extra; a lesson in
// extra with the id of one in base replaces it (so a lesson being edited on disk can be tried
// in place of the built-in one). Neither argument is changed; nil libraries are skipped.
func Merge(base, extra *Library) *Library {
	out := &Library{byID: map[string]map[string]Lesson{}}
	for _, lib := range []*Library{base, extra} {
		if lib == nil {
			continue
		}
		for _, id := range lib.ids {
			if _, seen := out.byID[id]; !seen {
				out.ids = append(out.ids, id)
			}
			out.byID[id] = lib.byID[id]
		}
	}
	sort.SliceStable(out.ids, func(i, j int) bool {
		a, b := out.byID[out.ids[i]][BaseLang], out.byID[out.ids[j]][BaseLang]
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.ID < b.ID
	})
	return out
}
