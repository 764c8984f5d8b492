package scenarios

import (
	"sort"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a scenario file: where it is, which
// field, and what would be valid.
type Problem struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown (YAML syntax errors give only a line)
	Field  string
	Msg    string
}

// String renders the problem as "file:line:col: field: msg", leaving out
// the parts that are unknown.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(p.Column))
		}
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// ValidationError lists every problem found in a scenario file, sorted by
// line then column.
type ValidationError struct {
	Problems []Problem
}

// Error returns one line per problem.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Column < ps[j].Column
	})
}

// suggest returns the one candidate within edit distance 2 of s that is
// strictly closer than any other, or "".
func suggest(s string, candidates []string) string {
	best, bestD, ties := "", 3, 0
	ls := strings.ToLower(s)
	for _, c := range candidates {
		if diff := len(c) - len(s); diff > 2 || diff < -2 {
			continue // the distance is at least the difference in length
		}
		d := editDistance(ls, strings.ToLower(c))
		switch {
		case d < bestD:
			best, bestD, ties = c, d, 0
		case d == bestD:
			ties++
		}
	}
	if ties > 0 || best == s {
		return ""
	}
	return best
}

// didYouMean formats a suggestion as a sentence suffix, or "".
func didYouMean(s string, candidates []string) string {
	if m := suggest(s, candidates); m != "" {
		return " (did you mean '" + m + "'?)"
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes. It
// gives up early (returning a large value) for very long inputs.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// quoteList renders names as "a, b, c", or "(none)"; long lists are cut.
func quoteList(names []string) string {
	const most = 20
	switch {
	case len(names) == 0:
		return "(none)"
	case len(names) > most:
		return strings.Join(names[:most], ", ") + ", … (" + strconv.Itoa(len(names)) + " in all)"
	}
	return strings.Join(names, ", ")
}
