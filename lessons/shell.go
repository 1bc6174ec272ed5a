package lessons

import "strings"

// manifestArgs returns the file names given to -f/--filename in a split command line.
func manifestArgs(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == "-f" || w == "--filename":
			if i+1 < len(words) {
				out = append(out, words[i+1])
				i++
			} else {
				out = append(out, "")
			}
		case strings.HasPrefix(w, "--filename="):
			out = append(out, strings.TrimPrefix(w, "--filename="))
		case strings.HasPrefix(w, "-f="):
			out = append(out, strings.TrimPrefix(w, "-f="))
		case strings.HasPrefix(w, "-f") && len(w) > 2 && !strings.HasPrefix(w, "--"):
			out = append(out, w[2:])
		case w == "--":
			// Everything after -- belongs to the container command (kubectl exec).
			return out
		}
	}
	return out
}
