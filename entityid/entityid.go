// Package entityid is leasesim's one naming scheme for tokens and
// credentials, shared by every command that prints or takes an entity:
//
//	broker#1                    the first token of actor broker
//	core-api[3].token#2         the second child token of replica 3
//	core-api[3].credential#1    the first credential of replica 3
//	core-api.credential         the group: every credential of core-api
//
// A concrete id names one entity of a run; its group, the id without
// replica and generation, names the kind of entity `explain` analyses.
// Replica numbers appear only for actors with more than one replica.
// Wherever an entity is named, either form is accepted.
package entityid

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Subs are the kinds of entity after the actor: "" for the actor's own
// token, token for a per-replica child token, credential for a lease.
const (
	SubToken      = "token"
	SubCredential = "credential"
)

// ID is an entity id taken apart. Replica and Gen are 0 when absent: a
// group, or an actor with one replica.
type ID struct {
	Actor   string
	Replica int
	Sub     string
	Gen     int
}

// String renders the id: ACTOR[R].SUB#G without the parts that are absent.
func (id ID) String() string {
	var b strings.Builder
	b.WriteString(id.Actor)
	if id.Replica > 0 {
		fmt.Fprintf(&b, "[%d]", id.Replica)
	}
	if id.Sub != "" {
		b.WriteString("." + id.Sub)
	}
	if id.Gen > 0 {
		fmt.Fprintf(&b, "#%d", id.Gen)
	}
	return b.String()
}

// Group is the id without replica and generation: ACTOR or ACTOR.SUB.
func (id ID) Group() string { return ID{Actor: id.Actor, Sub: id.Sub}.String() }

// Parse reads a concrete id or a group. "cred", the old name of the
// credential sub, is read as credential.
func Parse(s string) (ID, error) {
	const want = "want ACTOR, ACTOR.token, ACTOR.credential, or one entity: ACTOR#G, ACTOR[R].token#G, ACTOR[R].credential#G"
	var id ID
	rest := s
	if hash := strings.LastIndexByte(rest, '#'); hash >= 0 {
		g, err := strconv.Atoi(rest[hash+1:])
		if err != nil || g <= 0 || strings.HasPrefix(rest[hash+1:], "+") {
			return ID{}, fmt.Errorf("%q: the generation after # is not a positive number; %s", s, want)
		}
		id.Gen, rest = g, rest[:hash]
	}
	if dot := strings.LastIndexByte(rest, '.'); dot >= 0 {
		id.Sub, rest = rest[dot+1:], rest[:dot]
		if id.Sub == "cred" {
			id.Sub = SubCredential
		}
		if id.Sub != SubToken && id.Sub != SubCredential {
			return ID{}, fmt.Errorf("%q: %q after the actor is not token or credential%s; %s", s, id.Sub, DidYouMean(id.Sub, []string{SubToken, SubCredential}), want)
		}
	}
	if strings.HasSuffix(rest, "]") {
		open := strings.LastIndexByte(rest, '[')
		r, err := strconv.Atoi(rest[max(open, 0)+1 : len(rest)-1])
		if open < 0 || err != nil || r <= 0 {
			return ID{}, fmt.Errorf("%q: the replica in [] is not a positive number; %s", s, want)
		}
		id.Replica, rest = r, rest[:open]
	}
	if rest == "" || strings.ContainsAny(rest, "[]#.") {
		return ID{}, fmt.Errorf("%q: no actor name before the replica, token or credential; %s", s, want)
	}
	id.Actor = rest
	return id, nil
}

// Matches reports whether the entity named concrete is one query names:
// the same actor and sub, and the same replica and generation where the
// query gives them.
func (q ID) Matches(concrete ID) bool {
	return q.Actor == concrete.Actor && q.Sub == concrete.Sub &&
		(q.Replica == 0 || q.Replica == concrete.Replica) &&
		(q.Gen == 0 || q.Gen == concrete.Gen)
}

// Find returns the ids among have that query names, in their order. When
// none matches, the error lists the groups there are and the closest one.
func Find(query string, have []string) ([]string, error) {
	q, err := Parse(query)
	if err != nil {
		return nil, err
	}
	var out, groups []string
	seen := map[string]bool{}
	for _, h := range have {
		id, err := Parse(h)
		if err != nil {
			continue
		}
		if q.Matches(id) {
			out = append(out, h)
		}
		if g := id.Group(); !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	return nil, fmt.Errorf("no entity %q; there are: %s%s", query, strings.Join(groups, ", "), DidYouMean(q.Group(), groups))
}

// DidYouMean suggests the candidate closest to s, as " (did you mean
// X?)", or "" when none is close.
func DidYouMean(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if d := distance(s, c); d < bestD && c != s {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
