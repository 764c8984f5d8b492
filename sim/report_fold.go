package sim

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/leasesim/leasesim/entityid"
	"github.com/leasesim/leasesim/model"
)

// EntityListing says how report.json lists the run's entities: one by
// one, or folded into groups with the entities that matter individually
// (docs/run-report.md). A fleet over a year issues millions of credential
// generations; listing each made `-o json` of a 1M-lease cascade 790 MB.
type EntityListing uint8

const (
	// EntitiesAuto lists every entity of a run that issued at most
	// FoldEntitiesAbove, and folds a larger one.
	EntitiesAuto EntityListing = iota
	// EntitiesAll lists every entity, however many.
	EntitiesAll
	// EntitiesFolded always folds.
	EntitiesFolded
)

// FoldEntitiesAbove is the number of entities above which EntitiesAuto
// folds: about 4.5 MB of listed entities, and every library scenario of
// a handful of actors still listed whole.
const FoldEntitiesAbove = 10_000

// EntityListings are the names ParseEntityListing takes, in order.
var EntityListings = []string{"auto", "all", "folded"}

func (l EntityListing) String() string { return EntityListings[l] }

// ParseEntityListing reads an --entities value.
func ParseEntityListing(s string) (EntityListing, error) {
	for i, n := range EntityListings {
		if s == n {
			return EntityListing(i), nil
		}
	}
	return 0, fmt.Errorf("--entities %q: want auto (every entity up to %d, folded above), all or folded", s, FoldEntitiesAbove)
}

// Folds says whether a run of n entities is folded.
func (l EntityListing) Folds(n int) bool {
	return l == EntitiesFolded || (l == EntitiesAuto && n > FoldEntitiesAbove)
}

// listEach is how many tokens of one kind of a small actor the reports
// list one by one at each end of the run — the first and the last issued
// (those in use at the horizon among them); the generations in between
// are folded. A broker re-authenticating weekly for ten years stays 100
// lines, not 520.
const listEach = 50

// listedTokens returns, in issue order, the positions in r.kept of the
// entities the reports list one by one as tokens: tokens and child tokens
// of actors of at most foldReplicas replicas, the first and last listEach
// of each actor and kind. Credentials and large actors are folded. A
// recycling run keeps those (recycle_tokens.go): the first and last of
// the kept are the first and last of all.
func listedTokens(r *Result) []int {
	type key struct {
		actor int32
		kind  EntityKind
	}
	small := func(n model.NodeID) (key, bool) {
		kind, actor := r.engine.who(n)
		return key{actor, kind}, kind != KindLease && r.Scenario.Actors[actor].Replicas <= foldReplicas
	}
	total := map[key]int{}
	for _, n := range r.kept {
		if k, ok := small(n); ok {
			total[k]++
		}
	}
	seen := map[key]int{}
	var out []int
	for i, n := range r.kept {
		k, ok := small(n)
		if !ok {
			continue
		}
		if c := seen[k]; c < listEach || c >= total[k]-listEach {
			out = append(out, i)
		}
		seen[k]++
	}
	return out
}

func actorReplicas(r *Result) map[string]int {
	replicas := map[string]int{}
	for _, a := range r.Scenario.Actors {
		replicas[a.Name] = a.Replicas
	}
	return replicas
}

// inList walks a sorted list of positions in Result.kept alongside a
// loop over them.
type inList struct {
	idx  []int
	next int
}

// has reports whether i is listed; calls must come in increasing i.
func (l *inList) has(i int) bool {
	for l.next < len(l.idx) && l.idx[l.next] < i {
		l.next++
	}
	return l.next < len(l.idx) && l.idx[l.next] == i
}

// Reasons an entity is listed one by one in a folded report.json.
const (
	listedToken       = "token"                // a first or last token of a small actor, as the text report lists it
	listedCliffRoot   = "cliff-root"           // its end caused a cliff
	listedOutageStart = "outage-start"         // it ended in use as its service's outage began
	listedFirstCapped = "first-capped-renewal" // the earliest capped renewal of its group
)

// cliffRootsListed and outageEndsListed bound what one cliff or outage
// adds to a folded list: a cap hitting 100,000 leases at once has 100,000
// roots, all alike.
const (
	cliffRootsListed = 10
	outageEndsListed = 3
)

// groupJSON is one actor's entities of one kind, folded.
type groupJSON struct {
	Group         string         `json:"group"`
	Actor         string         `json:"actor"`
	Kind          string         `json:"kind"`
	Replicas      int            `json:"replicas"`
	Entities      int            `json:"count"`
	Alive         int            `json:"alive"`
	Replaced      int            `json:"replaced"`
	FirstIssuedAt string         `json:"first_issued_at"`
	LastIssuedAt  string         `json:"last_issued_at"`
	FirstEndedAt  *string        `json:"first_ended_at"`
	LastEndedAt   *string        `json:"last_ended_at"`
	Ends          []groupEndJSON `json:"ends"`
	Capped        *groupCapJSON  `json:"first_capped_renewal,omitempty"`
}

// groupEndJSON counts a group's entities that share a fate: end cause,
// binding layer, and whether their holder had replaced them.
type groupEndJSON struct {
	EndCause     string  `json:"end_cause"`
	BoundBy      *string `json:"bound_by"`
	Replaced     bool    `json:"replaced"`
	Entities     int     `json:"count"`
	FirstEndedAt *string `json:"first_ended_at"`
	LastEndedAt  *string `json:"last_ended_at"`
}

// groupCapJSON is a group's earliest first capped renewal, and how many of
// the group had one.
type groupCapJSON struct {
	Entity string `json:"entity"`
	capJSON
	Entities    int   `json:"count"`
	LeastBefore int64 `json:"least_before_hard_end_seconds"`
	MostBefore  int64 `json:"most_before_hard_end_seconds"`
}

// foldGroups folds every entity into one group per actor and kind, in
// the order the groups first appear in issue order: the kept entities
// one by one, then the fold of the recycled ones (fold.go), each group
// and end placed by the least serial it holds. Their counts add up to
// every entity.
func foldGroups(r *Result) []groupJSON {
	c := Clock{r.Scenario.Start}
	e := r.engine
	type end struct {
		key         groupEndKey
		by          layerName
		n           int
		first, last model.Instant
		serial      uint32 // the least of its entities'
	}
	type group struct {
		groupJSON
		serial                uint32 // the least of its entities'
		firstIssue, lastIssue model.Instant
		firstEnd, lastEnd     model.Instant
		anyEnded              bool
		ends                  []end
		capped                *CappedRenewal
		cappedSerial          uint32
		cappedAt              model.NodeID // the entity of capped, when kept
		cappedFate            *Fate        // its fate, when recycled
	}
	type key struct {
		actor string
		kind  EntityKind
	}
	replicas := actorReplicas(r)
	var groups []*group
	byKey := map[key]*group{}
	groupOf := func(actor string, kind EntityKind, s uint32, issue model.Instant) *group {
		g := byKey[key{actor, kind}]
		if g == nil {
			g = &group{groupJSON: groupJSON{Group: groupID(actor, kind), Actor: actor, Kind: string(kind), Replicas: replicas[actor]},
				serial: s, firstIssue: issue, lastIssue: issue}
			byKey[key{actor, kind}] = g
			groups = append(groups, g)
		}
		g.serial = min(g.serial, s)
		return g
	}
	// count adds n entities that ended alike to g.
	count := func(g *group, k groupEndKey, ended bool, by layerName, s uint32, n int, firstEnd, lastEnd model.Instant) {
		if ended {
			if !g.anyEnded {
				g.firstEnd, g.lastEnd, g.anyEnded = firstEnd, lastEnd, true
			}
			g.firstEnd, g.lastEnd = min(g.firstEnd, firstEnd), max(g.lastEnd, lastEnd)
		}
		j := 0
		for j < len(g.ends) && g.ends[j].key != k {
			j++
		}
		if j == len(g.ends) {
			g.ends = append(g.ends, end{key: k, first: firstEnd, last: lastEnd, serial: s})
		}
		en := &g.ends[j]
		en.n += n
		en.by.merge(by)
		en.first, en.last = min(en.first, firstEnd), max(en.last, lastEnd)
		en.serial = min(en.serial, s)
	}
	var g *group // the last entity's: runs of one actor and kind skip the map
	for _, n := range r.kept {
		f := e.facts(n)
		s := e.serialOf(n)
		if g == nil || g.Actor != f.Actor || g.Kind != string(f.Kind) {
			g = groupOf(f.Actor, f.Kind, s, f.IssuedAt)
		}
		g.Entities++
		g.firstIssue, g.lastIssue = min(g.firstIssue, f.IssuedAt), max(g.lastIssue, f.IssuedAt)
		if f.Replaced {
			g.Replaced++
		}
		if !f.Ended {
			g.Alive++
		}
		count(g, groupEnd(f.Ended, f.Cause, f.BoundBy, f.Replaced), f.Ended, layerName{exact: f.BoundBy, any: true}, s, 1, f.EndedAt, f.EndedAt)
		if fc := f.FirstCapped; fc != nil {
			if g.capped == nil {
				g.Capped = &groupCapJSON{LeastBefore: fc.Before().Seconds(), MostBefore: fc.Before().Seconds()}
			}
			if g.capped == nil || fc.At < g.capped.At {
				g.capped, g.cappedAt, g.cappedSerial = fc, n, s
			}
			g.Capped.Entities++
			g.Capped.LeastBefore = min(g.Capped.LeastBefore, fc.Before().Seconds())
			g.Capped.MostBefore = max(g.Capped.MostBefore, fc.Before().Seconds())
		}
	}
	for _, b := range e.fold.buckets {
		actor, kind, by := r.ActorName(b.actor), b.kind.EntityKind(), b.name
		g := groupOf(actor, kind, b.serial, b.firstIssue)
		g.Entities += b.n
		g.firstIssue, g.lastIssue = min(g.firstIssue, b.firstIssue), max(g.lastIssue, b.lastIssue)
		if b.replaced {
			g.Replaced += b.n
		}
		if !b.ended {
			g.Alive += b.n
		}
		count(g, groupEnd(b.ended, b.cause, by.exact, b.replaced), b.ended, by, b.serial, b.n, b.firstEnd, b.lastEnd)
	}
	for i := range e.fold.caps {
		fc := &e.fold.caps[i]
		g := byKey[key{r.ActorName(fc.actor), fc.kind.EntityKind()}]
		if g.capped == nil {
			g.Capped = &groupCapJSON{LeastBefore: fc.least.Seconds(), MostBefore: fc.most.Seconds()}
		}
		if g.capped == nil || cappedBefore(fc.first.At, fc.firstSerial, g.capped.At, g.cappedSerial) {
			g.capped, g.cappedSerial, g.cappedFate = &fc.first, fc.firstSerial, &fc.fate
		}
		g.Capped.Entities += fc.n
		g.Capped.LeastBefore = min(g.Capped.LeastBefore, fc.least.Seconds())
		g.Capped.MostBefore = max(g.Capped.MostBefore, fc.most.Seconds())
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return cmp.Compare(a.serial, b.serial) })
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		j := g.groupJSON
		j.FirstIssuedAt, j.LastIssuedAt = c.RFC3339(g.firstIssue), c.RFC3339(g.lastIssue)
		if g.anyEnded {
			j.FirstEndedAt, j.LastEndedAt = ptr(c.RFC3339(g.firstEnd)), ptr(c.RFC3339(g.lastEnd))
		}
		slices.SortStableFunc(g.ends, func(a, b end) int { return cmp.Compare(a.serial, b.serial) })
		j.Ends = []groupEndJSON{}
		for _, en := range g.ends {
			ej := groupEndJSON{EndCause: en.key.cause.String(), Replaced: en.key.replaced, Entities: en.n}
			if en.key.cause != Alive {
				ej.FirstEndedAt, ej.LastEndedAt = ptr(c.RFC3339(en.first)), ptr(c.RFC3339(en.last))
				if en.key.cause != Revoked {
					ej.BoundBy = ptr(en.by.String())
				}
			}
			j.Ends = append(j.Ends, ej)
		}
		if g.capped != nil {
			id := r.EntityID(g.cappedAt)
			if g.cappedFate != nil {
				id = g.cappedFate.ID
			}
			j.Capped.Entity, j.Capped.capJSON = id, capOf(c, g.capped)
		}
		out = append(out, j)
	}
	return out
}

// groupEndKey is the end a group counts an entity under: its cause, the
// folded layer that bound it (none for one alive or revoked), and
// whether its holder had replaced it.
type groupEndKey struct {
	cause    EndCause
	by       model.Layer
	replaced bool
}

func groupEnd(ended bool, cause EndCause, by model.Layer, replaced bool) groupEndKey {
	k := groupEndKey{cause, foldLayer(by), replaced}
	if !ended || cause == Revoked {
		k.by = model.Layer{}
	}
	return k
}

// foldLayer is the layer a fold groups by: an ancestor stands for its
// group (ancestor core-api[3]#2 → ancestor core-api), so the cascades of
// a thousand replicas' tokens fold into one line, not one per token.
func foldLayer(l model.Layer) model.Layer {
	if l.Kind == model.LayerAncestor {
		if id, err := entityid.Parse(l.Name); err == nil {
			l.Name = id.Group()
		}
	}
	return l
}

// layerName names the layer of a fold: the exact layer while every
// entity folded agrees on it (ancestor broker#1), else the folded one
// (ancestor broker: one of broker's tokens). Its entities share their
// folded layer, so the order they are added in does not change the name.
type layerName struct {
	exact model.Layer
	mixed bool
	any   bool
}

func (n *layerName) add(l model.Layer) {
	if !n.any {
		n.exact, n.any = l, true
	}
	if !n.mixed && l != n.exact {
		n.mixed = true
	}
}

// merge adds the entities m names (a fold bucket's), as if one by one.
func (n *layerName) merge(m layerName) {
	if m.any {
		n.add(m.exact)
		n.mixed = n.mixed || m.mixed
	}
}

func (n *layerName) String() string {
	if n.mixed {
		return foldLayer(n.exact).String()
	}
	return n.exact.String()
}

// groupID names an actor's entities of one kind in the scheme of package
// entityid: "broker", "core-api.token", "core-api.credential".
func groupID(actor string, k EntityKind) string {
	id := entityid.ID{Actor: actor}
	switch k {
	case KindChildToken:
		id.Sub = entityid.SubToken
	case KindLease:
		id.Sub = entityid.SubCredential
	}
	return id.Group()
}

// listedEntity is an entity a folded report lists one by one, and why.
type listedEntity struct {
	serial uint32
	n      model.NodeID // its slot, when kept
	fate   *Fate        // its fate, when recycled (fold.go)
	why    []string
}

// listedIndividually returns the entities a folded report lists one by
// one, in issue order, each with why: the tokens the text report lists,
// the first roots of each cliff, the entities whose end in use began an
// outage, and each group's earliest capped renewal. Every reason is
// bounded by the scenario (actors, cliffs, outages), not by the fleet's
// size or the horizon's length. Only the last may be a recycled entity:
// a recycling run keeps the listed tokens (recycle_tokens.go) and pins
// the cliff roots and outage starts listed here (recycle_pins.go).
func listedIndividually(r *Result) []listedEntity {
	e := r.engine
	var out []listedEntity // one per reason, sorted and merged below
	add := func(n model.NodeID, reason string) {
		out = append(out, listedEntity{serial: e.serialOf(n), n: n, why: []string{reason}})
	}
	for _, i := range listedTokens(r) {
		add(r.kept[i], listedToken)
	}
	for _, cl := range r.Cliffs {
		for _, n := range cl.Roots[:min(len(cl.Roots), cliffRootsListed)] {
			add(n, listedCliffRoot)
		}
	}
	if len(r.Outages) > 0 {
		starts := map[string][]model.Instant{}
		for _, o := range r.Outages {
			starts[o.Service] = append(starts[o.Service], o.From)
		}
		listed := map[string]int{} // per service and start
		for _, n := range r.kept {
			f := e.facts(n)
			if !f.Ended || f.Replaced {
				continue
			}
			for _, at := range starts[f.Actor] {
				if f.EndedAt != at {
					continue
				}
				if k := fmt.Sprint(f.Actor, "@", at); listed[k] < outageEndsListed {
					listed[k]++
					add(n, listedOutageStart)
				}
			}
		}
	}
	type group struct {
		actor int32
		kind  entKind
	}
	first := map[group]model.NodeID{} // group → kept entity with the earliest capped renewal
	var order []group
	for _, n := range r.kept {
		fc := e.firstCapped(n)
		if fc == nil {
			continue
		}
		g := group{e.ents[n].actor, e.ents[n].kind}
		j, ok := first[g]
		if !ok {
			order = append(order, g)
		}
		if !ok || fc.At < e.firstCapped(j).At {
			first[g] = n
		}
	}
	for _, g := range order {
		n := first[g]
		if fc := e.fold.cap(g.actor, g.kind); fc != nil && cappedBefore(fc.first.At, fc.firstSerial, e.firstCapped(n).At, e.serialOf(n)) {
			out = append(out, listedEntity{serial: fc.firstSerial, fate: &fc.fate, why: []string{listedFirstCapped}})
			continue
		}
		add(n, listedFirstCapped)
	}
	for i := range e.fold.caps {
		if fc := &e.fold.caps[i]; !slices.Contains(order, group{fc.actor, fc.kind}) {
			out = append(out, listedEntity{serial: fc.firstSerial, fate: &fc.fate, why: []string{listedFirstCapped}})
		}
	}
	slices.SortStableFunc(out, func(a, b listedEntity) int { return cmp.Compare(a.serial, b.serial) })
	merged := out[:0]
	for _, l := range out {
		if k := len(merged) - 1; k >= 0 && merged[k].serial == l.serial {
			merged[k].why = append(merged[k].why, l.why...)
			continue
		}
		merged = append(merged, l)
	}
	return merged
}
