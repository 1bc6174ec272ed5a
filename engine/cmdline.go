package engine

import (
	"fmt"
	"strings"
)

// SplitCommandLine splits one command line into words the way a POSIX shell would for the
// commands a tutorial shows: blanks separate words, 'single quotes' keep everything literal,
// "double quotes" keep blanks and honour \" \\ \$ \` escapes, a backslash outside quotes
// escapes the next character, and backslash-newline continues the line.
//
// It runs no shell: pipes, redirections, command lists, substitutions and variables are
// refused with an error naming them, instead of being passed to kubectl as odd arguments.
func SplitCommandLine(line string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		rs      = []rune(line)
		quoteAt = -1
	)
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("command ends with a lone backslash")
			}
			i++
			if rs[i] == '\n' {
				continue // line continuation
			}
			cur.WriteRune(rs[i])
			inWord = true
		case r == '\'':
			quoteAt = i
			inWord = true
			i++
			for i < len(rs) && rs[i] != '\'' {
				cur.WriteRune(rs[i])
				i++
			}
			if i >= len(rs) {
				return nil, fmt.Errorf("unterminated single quote at column %d", quoteAt+1)
			}
		case r == '"':
			quoteAt = i
			inWord = true
			i++
			for ; i < len(rs) && rs[i] != '"'; i++ {
				c := rs[i]
				if c == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`\n", rs[i+1]) {
					i++
					if rs[i] != '\n' {
						cur.WriteRune(rs[i])
					}
					continue
				}
				if err := checkExpansion(rs, i); err != nil {
					return nil, err
				}
				cur.WriteRune(c)
			}
			if i >= len(rs) {
				return nil, fmt.Errorf("unterminated double quote at column %d", quoteAt+1)
			}
		case strings.ContainsRune("|&;<>", r):
			return nil, fmt.Errorf("%q at column %d: pipes, redirections and command lists need a shell; "+
				"run this one in your own terminal (see `kubetutor serve`)", string(r), i+1)
		case r == '#' && !inWord:
			// A comment runs to the end of the line, as in a shell.
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
		default:
			if err := checkExpansion(rs, i); err != nil {
				return nil, err
			}
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	return words, nil
}

// checkExpansion refuses what a shell would expand: $(…), `…`, ${…} and $NAME.
func checkExpansion(rs []rune, i int) error {
	switch rs[i] {
	case '`':
		return fmt.Errorf("command substitution (`…`) at column %d needs a shell; run it in your own terminal", i+1)
	case '$':
		if i+1 < len(rs) {
			n := rs[i+1]
			if n == '(' || n == '{' || n == '_' || n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z' {
				return fmt.Errorf("shell expansion ($…) at column %d is not supported here; "+
					"quote it with '…' or run it in your own terminal", i+1)
			}
		}
	}
	return nil
}
