package plots

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// BarStyle is how a bar of the timeline is drawn: the fate of the entity
// it stands for.
type BarStyle int

// Bar styles, in painting order: later ones are drawn over earlier ones,
// so the rare, telling ends stay visible in a crowded lane.
const (
	Idle     BarStyle = iota // still valid after its holder replaced it
	Replaced                 // in use until its holder moved on
	Alive                    // still in use at the horizon
	Expired                  // its TTL ran out
	HardEnd                  // it reached its hard end (max TTL)
	Operator                 // an operator revoked it
	Cascade                  // revoked because an ancestor ended
	numBarStyles
)

var barStyleNames = [numBarStyles]string{"idle", "replaced", "alive", "expired", "hard-end", "operator", "cascade"}

func (s BarStyle) String() string { return barStyleNames[s] }

// Describe is the legend text of a bar style.
func (s BarStyle) Describe() string {
	return [numBarStyles]string{
		"still valid, no longer used",
		"replaced by its holder",
		"alive at the end of the run",
		"expired (TTL ran out)",
		"hard end reached (max TTL)",
		"revoked by an operator",
		"revoked by cascade",
	}[s]
}

// endStyle maps an end cause of the log to a bar style.
func endStyle(cause uint8) BarStyle {
	switch cause {
	case causeExpired:
		return Expired
	case causeMaxTTL:
		return HardEnd
	case causeRevoked:
		return Operator
	case causeCascade, causeParentRevoked:
		return Cascade
	}
	return Alive
}

// Bar is a span of a lane drawn in one style.
type Bar struct {
	From, To int64
	Style    BarStyle
}

// Lane is one row of the timeline: the generations of one token or
// credential of one replica, or of all replicas of an actor when it has
// more than the aggregation threshold.
type Lane struct {
	Label    string // the entity IDs without #G: "broker-core-a", "sso[2].credential", or "sso.credential" aggregated
	Kind     string // token, child-token, lease
	Depth    int    // 0 for root tokens, +1 per parent
	Replicas int    // replicas drawn in this lane (>1 when aggregated)
	Entities int    // generations with a bar in the window
	Merged   bool   // bars of one style that touch were joined
	Orphan   bool   // freed by a revoke-orphan: drawn from then on as a root
	Bars     []Bar  // in painting order
	HardEnds []int64
	parent   int // index of the parent lane, -1 for none
	first    int // position of the first entity in issue order
	added    int // bars added, before any were joined
	// joinAt, hardAt: when to join bars, or drop repeated hard ends, as
	// they come (a lane of a fleet's year gets a million).
	joinAt, hardAt int
}

// TimelineOptions choose what the timeline shows.
type TimelineOptions struct {
	// Window is the span of the run drawn; zero means FocusWindow.
	Window Window
	// Aggregate is the replica count above which an actor's replicas
	// share one lane; 0 means DefaultAggregate, negative never.
	Aggregate int
}

// DefaultAggregate: actors with more replicas than this share a lane.
const DefaultAggregate = 5

// maxBarsPerLane: a lane with more bars in the window has touching bars
// of one style joined, so long runs stay readable and quick to draw.
const maxBarsPerLane = 40

// laneKey identifies a lane: actor, kind of entity and replica (0 when
// aggregated or the actor has no replicas).
type laneKey struct {
	actor, sub string
	replica    int
	orphan     bool // freed from its parent by a revoke-orphan
}

// maxLanes: with the default threshold, a fleet that would need more
// lanes than this aggregates every actor with more than one replica.
const maxLanes = 48

// TimelineLanes computes the timeline's rows: lanes in hierarchy order
// (each root token, then depth-first its children in the order they were
// first issued), with the bars and hard ends inside window w.
func TimelineLanes(r *Run, opts TimelineOptions) ([]Lane, Window, error) {
	w, _, err := r.window(opts.Window)
	if err != nil {
		return nil, w, err
	}
	threshold := effectiveAggregate(r, opts)
	replicas := actorReplicas(r)
	aggregated := func(actor string) bool { return threshold > 0 && replicas[actor] > threshold }

	var lanes []Lane
	byKey := map[laneKey]int{} // lookups only; lanes keep first-issue order
	n := r.ents.n
	// Per entity, in 12 bytes: a year of a fleet has close to a million.
	laneOf := make([]int32, n)     // the lane of each entity (its orphan lane, if it moved)
	before := make([]int32, n)     // its lane before a revoke-orphan freed it; -1 if issued after
	orphaned := make([]instant, n) // when a revoke-orphan freed its subtree, or 0
	lane := func(k laneKey, e *entity, i int32, parent int32) int32 {
		li, ok := byKey[k]
		if !ok {
			li = len(lanes)
			byKey[k] = li
			lanes = append(lanes, Lane{Label: laneLabel(k, replicas[k.actor], aggregated(k.actor)), Kind: kindNames[e.kind], Orphan: k.orphan, parent: int(parent), first: int(i)})
			lanes[li].Replicas = 1
			if aggregated(k.actor) {
				lanes[li].Replicas = replicas[k.actor]
			}
		}
		return int32(li)
	}
	for j, e := range r.ents.all() {
		i := int32(j)
		id := &r.ents.lanes[e.lane].id // validated by ReadEvents
		k := laneKey{actor: id.actor, sub: id.sub, replica: id.replica}
		if aggregated(id.actor) {
			k.replica = 0
		}
		parent, parentBefore := int32(-1), int32(-1)
		orphaned[i], before[i] = 0, -1
		if pi := e.parent; pi != noEntity {
			p := r.ents.ent(pi)
			parent, parentBefore, orphaned[i] = laneOf[pi], before[pi], orphaned[pi]
			if freedBy(p, e) {
				orphaned[i], parent, parentBefore = p.ended, -1, laneOf[pi]
			}
		}
		if orphaned[i] == 0 {
			laneOf[i] = lane(k, e, i, parent)
			before[i] = laneOf[i]
			addEntityBars(&lanes[laneOf[i]], e, r.Horizon, w)
			continue
		}
		// A revoke-orphan frees the subtree, and Vault makes the freed child
		// a root token: from that instant its bars are drawn in lanes of
		// their own, as a hierarchy of their own.
		at := orphaned[i].t()
		if e.issued.t() < at {
			before[i] = lane(k, e, i, parentBefore)
			addEntityBars(&lanes[before[i]], e, r.Horizon, Window{w.From, min(w.To, at)})
		}
		k.orphan = true
		laneOf[i] = lane(k, e, i, parent)
		addEntityBars(&lanes[laneOf[i]], e, r.Horizon, Window{max(w.From, at), w.To})
	}
	for i := range lanes {
		finishLane(&lanes[i])
	}
	return orderLanes(lanes), w, nil
}

// freedBy says whether child c outlived parent p's revoke-orphan: p was
// revoked by an operator, and c was alive at that instant and after it (a
// revoke of the tree would have ended it at the same instant).
func freedBy(p, c *entity) bool {
	ended := p.ended.t()
	return p.cause == causeRevoked && ended != None && c.issued.t() <= ended && (c.ended.t() == None || c.ended.t() > ended)
}

// effectiveAggregate is the aggregation threshold the timeline uses: the
// one asked for, or by default DefaultAggregate, lowered to 1 when that
// would leave more than maxLanes lanes.
func effectiveAggregate(r *Run, opts TimelineOptions) int {
	if opts.Aggregate != 0 {
		return opts.Aggregate
	}
	replicas := actorReplicas(r)
	keys := map[laneKey]bool{} // counted only
	for _, l := range r.ents.lanes {
		id := l.id
		k := laneKey{actor: id.actor, sub: id.sub, replica: id.replica}
		if replicas[id.actor] > DefaultAggregate {
			k.replica = 0
		}
		keys[k] = true
	}
	if len(keys) > maxLanes {
		return 1
	}
	return DefaultAggregate
}

// actorReplicas counts each actor's replicas, from the IDs issued.
func actorReplicas(r *Run) map[string]int {
	n := map[string]int{}
	for _, l := range r.ents.lanes {
		n[l.id.actor] = max(n[l.id.actor], l.id.replica, 1)
	}
	return n
}

func laneLabel(k laneKey, replicas int, aggregated bool) string {
	var b strings.Builder
	b.WriteString(k.actor)
	if k.replica > 0 {
		fmt.Fprintf(&b, "[%d]", k.replica)
	}
	if k.sub != "" {
		b.WriteString("." + k.sub)
	}
	if aggregated {
		fmt.Fprintf(&b, " ×%d", replicas)
	}
	if k.orphan {
		b.WriteString(" · orphaned")
	}
	return b.String()
}

// addEntityBars adds e's bars clipped to w: in use from issue to its
// replacement or end, then idle until its end.
func addEntityBars(l *Lane, e *entity, horizon int64, w Window) {
	ended, replaced := e.ended.t(), e.replaced.t()
	end := ended
	if end == None {
		end = horizon
	}
	used, style := end, endStyle(e.cause)
	if replaced != None && (ended == None || replaced < ended) {
		used, style = replaced, Replaced
	}
	drew := false
	add := func(from, to int64, s BarStyle) {
		from, to = max(from, w.From), min(to, w.To)
		if from < to {
			l.addBar(Bar{From: from, To: to, Style: s})
			drew = true
		}
	}
	add(e.issued.t(), used, style)
	if used < end {
		add(used, end, Idle)
	}
	if drew {
		l.Entities++
	}
	if e.isToken() && e.hardEnd != None && w.contains(e.hardEnd) {
		l.HardEnds = append(l.HardEnds, e.hardEnd)
		if len(l.HardEnds) >= max(l.hardAt, 1024) {
			l.HardEnds = sortedSet(l.HardEnds)
			l.hardAt = 2 * len(l.HardEnds)
		}
	}
}

// addBar adds a bar to the lane. A lane whose bars finishLane joins
// joins them as they come too, into the same bars (touching spans of one
// style join the same way in any order), so it holds what it draws.
func (l *Lane) addBar(b Bar) {
	l.Bars = append(l.Bars, b)
	l.added++
	if l.joins() && len(l.Bars) >= max(l.joinAt, 1024) {
		l.Bars = joinBars(l.Bars)
		l.joinAt = 2 * len(l.Bars)
	}
}

// joins says whether the lane's touching bars of one style are joined: it
// is aggregated or too crowded to show each.
func (l *Lane) joins() bool { return l.Replicas > 1 || l.added > maxBarsPerLane }

// finishLane puts bars in painting order, joining touching bars of one
// style when the lane is aggregated or too crowded to show each.
func finishLane(l *Lane) {
	l.HardEnds = sortedSet(l.HardEnds)
	if !l.joins() {
		sortBars(l.Bars)
		return
	}
	l.Merged = true
	l.Bars = joinBars(l.Bars)
}

func sortedSet(ts []int64) []int64 {
	slices.Sort(ts)
	return slices.Compact(ts)
}

func sortBars(bars []Bar) {
	slices.SortStableFunc(bars, func(a, b Bar) int {
		return cmp.Or(cmp.Compare(a.Style, b.Style), cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
}

// joinBars sorts bars into painting order and joins touching ones of one
// style, in place.
func joinBars(bars []Bar) []Bar {
	sortBars(bars)
	out := bars[:0]
	for _, b := range bars {
		if n := len(out); n > 0 && out[n-1].Style == b.Style && b.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, b.To)
			continue
		}
		out = append(out, b)
	}
	return out
}

// orderLanes returns the lanes depth-first from each root, children in
// the order they were first issued, with their depths set. Lanes whose
// parent is missing are roots.
func orderLanes(lanes []Lane) []Lane {
	children := make([][]int, len(lanes))
	var roots []int
	for i, l := range lanes {
		if l.parent < 0 || l.parent == i {
			roots = append(roots, i)
			continue
		}
		children[l.parent] = append(children[l.parent], i)
	}
	out := make([]Lane, 0, len(lanes))
	seen := make([]bool, len(lanes))
	var visit func(i, depth int)
	visit = func(i, depth int) {
		if seen[i] {
			return
		}
		seen[i] = true
		l := lanes[i]
		l.Depth = depth
		out = append(out, l)
		for _, c := range children[i] {
			visit(c, depth+1)
		}
	}
	for _, i := range roots {
		visit(i, 0)
	}
	for i := range lanes { // a parent cycle cannot come from the log, but never drop a lane
		visit(i, 0)
	}
	// Lanes with nothing in the window are left out.
	kept := out[:0]
	for _, l := range out {
		if len(l.Bars) > 0 || len(l.HardEnds) > 0 {
			kept = append(kept, l)
		}
	}
	return kept
}
