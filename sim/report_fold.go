package sim

import (
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

// listedTokens returns, in entity order, the indices of the entities the
// reports list one by one as tokens: tokens and child tokens of actors of
// at most foldReplicas replicas, the first and last listEach of each
// actor and kind. Credentials and large actors are folded.
func listedTokens(r *Result) []int {
	type key struct {
		actor int32
		kind  EntityKind
	}
	small := func(i int) (key, bool) {
		kind, actor := r.engine.who(model.NodeID(i))
		return key{actor, kind}, kind != KindLease && r.Scenario.Actors[actor].Replicas <= foldReplicas
	}
	total := map[key]int{}
	for i := range r.NumEntities() {
		if k, ok := small(i); ok {
			total[k]++
		}
	}
	seen := map[key]int{}
	var out []int
	for i := range r.NumEntities() {
		k, ok := small(i)
		if !ok {
			continue
		}
		if n := seen[k]; n < listEach || n >= total[k]-listEach {
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

// inList walks a sorted index list alongside a loop over entities.
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
// the order the groups first appear. Their counts add up to every entity.
func foldGroups(r *Result) []groupJSON {
	c := Clock{r.Scenario.Start}
	type endKey struct {
		cause    EndCause
		by       model.Layer
		replaced bool
	}
	type end struct {
		key         endKey
		by          layerName
		n           int
		first, last model.Instant
	}
	type group struct {
		groupJSON
		firstIssue, lastIssue model.Instant
		firstEnd, lastEnd     model.Instant
		anyEnded              bool
		ends                  []end
		capped                *CappedRenewal
		cappedAt              int // the entity of capped
	}
	type key struct {
		actor string
		kind  EntityKind
	}
	replicas := actorReplicas(r)
	var groups []*group
	byKey := map[key]*group{}
	var g *group // the last entity's: runs of one actor and kind skip the map
	for i := range r.NumEntities() {
		f := r.Facts(i)
		if g == nil || g.Actor != f.Actor || g.Kind != string(f.Kind) {
			g = byKey[key{f.Actor, f.Kind}]
		}
		if g == nil {
			g = &group{groupJSON: groupJSON{Group: groupID(f.Actor, f.Kind), Actor: f.Actor, Kind: string(f.Kind), Replicas: replicas[f.Actor]},
				firstIssue: f.IssuedAt, lastIssue: f.IssuedAt}
			byKey[key{f.Actor, f.Kind}] = g
			groups = append(groups, g)
		}
		g.Entities++
		g.firstIssue, g.lastIssue = min(g.firstIssue, f.IssuedAt), max(g.lastIssue, f.IssuedAt)
		if f.Replaced {
			g.Replaced++
		}
		k := endKey{f.Cause, foldLayer(f.BoundBy), f.Replaced}
		if !f.Ended {
			g.Alive++
		}
		if !f.Ended || f.Cause == Revoked {
			k.by = model.Layer{}
		}
		if f.Ended {
			if !g.anyEnded {
				g.firstEnd, g.lastEnd, g.anyEnded = f.EndedAt, f.EndedAt, true
			}
			g.firstEnd, g.lastEnd = min(g.firstEnd, f.EndedAt), max(g.lastEnd, f.EndedAt)
		}
		j := 0
		for j < len(g.ends) && g.ends[j].key != k {
			j++
		}
		if j == len(g.ends) {
			g.ends = append(g.ends, end{key: k, first: f.EndedAt, last: f.EndedAt})
		}
		e := &g.ends[j]
		e.n++
		e.by.add(f.BoundBy)
		e.first, e.last = min(e.first, f.EndedAt), max(e.last, f.EndedAt)
		if fc := f.FirstCapped; fc != nil {
			if g.capped == nil {
				g.Capped = &groupCapJSON{LeastBefore: fc.Before().Seconds(), MostBefore: fc.Before().Seconds()}
			}
			if g.capped == nil || fc.At < g.capped.At {
				g.capped, g.cappedAt = fc, i
			}
			g.Capped.Entities++
			g.Capped.LeastBefore = min(g.Capped.LeastBefore, fc.Before().Seconds())
			g.Capped.MostBefore = max(g.Capped.MostBefore, fc.Before().Seconds())
		}
	}
	out := make([]groupJSON, 0, len(groups))
	for _, g := range groups {
		j := g.groupJSON
		j.FirstIssuedAt, j.LastIssuedAt = c.RFC3339(g.firstIssue), c.RFC3339(g.lastIssue)
		if g.anyEnded {
			j.FirstEndedAt, j.LastEndedAt = ptr(c.RFC3339(g.firstEnd)), ptr(c.RFC3339(g.lastEnd))
		}
		j.Ends = []groupEndJSON{}
		for _, e := range g.ends {
			ej := groupEndJSON{EndCause: e.key.cause.String(), Replaced: e.key.replaced, Entities: e.n}
			if e.key.cause != Alive {
				ej.FirstEndedAt, ej.LastEndedAt = ptr(c.RFC3339(e.first)), ptr(c.RFC3339(e.last))
				if e.key.cause != Revoked {
					ej.BoundBy = ptr(e.by.String())
				}
			}
			j.Ends = append(j.Ends, ej)
		}
		if g.capped != nil {
			j.Capped.Entity, j.Capped.capJSON = r.EntityID(model.NodeID(g.cappedAt)), capOf(c, g.capped)
		}
		out = append(out, j)
	}
	return out
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
// (ancestor broker: one of broker's tokens).
type layerName struct {
	exact model.Layer
	mixed bool
	any   bool
}

func (n *layerName) add(l model.Layer) {
	if !n.any {
		n.exact, n.any = l, true
	}
	n.mixed = n.mixed || l != n.exact
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

// listedIndividually returns the entities a folded report lists one by
// one, in entity order, each with why: the tokens the text report lists,
// the first roots of each cliff, the entities whose end in use began an
// outage, and each group's earliest capped renewal. Every reason is
// bounded by the scenario (actors, cliffs, outages), not by the fleet's
// size or the horizon's length.
func listedIndividually(r *Result) (idx []int, why map[int][]string) {
	why = map[int][]string{}
	add := func(i int, reason string) {
		if len(why[i]) == 0 {
			idx = append(idx, i)
		}
		why[i] = append(why[i], reason)
	}
	for _, i := range listedTokens(r) {
		add(i, listedToken)
	}
	for _, cl := range r.Cliffs {
		for _, n := range cl.Roots[:min(len(cl.Roots), cliffRootsListed)] {
			add(int(n), listedCliffRoot)
		}
	}
	if len(r.Outages) > 0 {
		starts := map[string][]model.Instant{}
		for _, o := range r.Outages {
			starts[o.Service] = append(starts[o.Service], o.From)
		}
		listed := map[string]int{} // per service and start
		for i := range r.NumEntities() {
			f := r.Facts(i)
			if !f.Ended || f.Replaced {
				continue
			}
			for _, at := range starts[f.Actor] {
				if f.EndedAt != at {
					continue
				}
				if k := fmt.Sprint(f.Actor, "@", at); listed[k] < outageEndsListed {
					listed[k]++
					add(i, listedOutageStart)
				}
			}
		}
	}
	type group struct {
		actor int32
		kind  EntityKind
	}
	first := map[group]int{} // group → entity with the earliest capped renewal
	var order []group
	for i := range r.NumEntities() {
		fc := r.engine.firstCapped(model.NodeID(i))
		if fc == nil {
			continue
		}
		kind, actor := r.engine.who(model.NodeID(i))
		g := group{actor, kind}
		j, ok := first[g]
		if !ok {
			order = append(order, g)
		}
		if !ok || fc.At < r.engine.firstCapped(model.NodeID(j)).At {
			first[g] = i
		}
	}
	for _, g := range order {
		add(first[g], listedFirstCapped)
	}
	slices.Sort(idx)
	return idx, why
}
