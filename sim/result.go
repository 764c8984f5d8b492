package sim

import (
	"cmp"
	"slices"

	"github.com/leasesim/leasesim/entityid"
	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Cliff is a mass end: in-use tokens and leases ending at one instant for
// one root cause — a token reaching its hard end and taking its subtree
// with it, many leases hitting their own cap, an operator's revoke.
// Entities their holders had already replaced are counted apart: their end
// harms nobody.
type Cliff struct {
	At model.Instant
	// Roots are the entities whose end is the cause, in processing order
	// (cliffs: in issue order); a run that recycles (Options.Recycle)
	// keeps the first cliffRootsListed only, and NumRoots counts them all.
	Roots        []model.NodeID
	Cause        EndCause       // of the roots: max-ttl, expired, revoked
	BoundBy      model.Layer    // what set the roots' end
	Lifetime     model.Duration // the first root's issue-to-end span
	Tokens       int            // in-use tokens ended (roots included)
	Leases       int            // in-use leases ended
	Retired      int            // already-replaced entities ended with them
	Services     []int          // services that lost credentials, by service index
	servicesSeen []bool
	rootsTotal   int      // the roots, when Roots lists the first only (decidePins)
	restRoots    []string // then, when the run streams its log, the others' names in order
}

// NumRoots is how many entities' ends caused the cliff.
func (c *Cliff) NumRoots() int { return max(len(c.Roots), c.rootsTotal) }

// Size is the number of in-use entities the cliff ended.
func (c *Cliff) Size() int { return c.Tokens + c.Leases }

// cliffTracker groups ends into cliffs as they happen. It reuses its
// buffers: most ends (a replaced lease expiring) touch nothing in use and
// must cost no allocation.
type cliffTracker struct {
	cur      Cliff
	root     model.NodeID
	active   bool
	marked   int32  // the actor marked last, -1 for none: a cascade's ends come actor by actor
	seen     []bool // services marked in cur, by service index
	services []int  // the marked services, in marking order
	all      []Cliff
	// pending are already-replaced entities that ended at the current
	// instant for a cause no group in use shares yet, by cause and layer:
	// a cliff of the same cause at that instant counts them (Retired).
	pending []Cliff
}

func (t *cliffTracker) begin(e *Engine, root model.NodeID, cause EndCause, by model.Layer) {
	t.cur = Cliff{At: e.loop.Now, Cause: cause, BoundBy: by, Lifetime: e.loop.Now.Sub(e.issueTime(root))}
	t.root, t.marked = root, -1
	if len(t.seen) < len(e.services) {
		t.seen = make([]bool, len(e.services))
	}
	t.active = true
}

func (t *cliffTracker) add(e *Engine, m model.NodeID) {
	if !t.active {
		return
	}
	en := &e.ents[m]
	if en.retired {
		t.cur.Retired++
		return
	}
	if en.kind == entLease {
		t.cur.Leases++
	} else {
		t.cur.Tokens++
	}
	// Which services lose what they use: this entity's actor, and for a
	// token, every actor drawing on it through via.
	ai := int(en.actor)
	if en.actor != t.marked { // marking is idempotent: once per run of one actor's ends
		t.mark(e, ai)
		t.marked = en.actor
	}
	if en.kind != entLease && e.actors[ai].reps[en.replica].token == m {
		for _, d := range e.actors[ai].dependents {
			t.mark(e, d)
		}
	}
}

func (t *cliffTracker) mark(e *Engine, ai int) {
	if s := e.actors[ai].service; s >= 0 && !t.seen[s] {
		t.seen[s] = true
		t.services = append(t.services, s)
	}
}

// end closes the group begun by begin, merging it into a cliff at the same
// instant with the same cause and binding layer.
func (t *cliffTracker) end(e *Engine) {
	t.active = false
	c := t.cur
	svcs := t.services
	for _, s := range svcs {
		t.seen[s] = false
	}
	t.services = t.services[:0]
	if len(t.pending) > 0 && t.pending[0].At != c.At {
		t.pending = t.pending[:0]
	}
	if c.Size() == 0 && c.Retired == 0 {
		return
	}
	for i := len(t.all) - 1; i >= 0 && t.all[i].At == c.At; i-- {
		p := &t.all[i]
		if p.Cause == c.Cause && p.BoundBy == c.BoundBy {
			if c.Size() > 0 {
				p.Roots = append(p.Roots, t.root)
			}
			p.Tokens += c.Tokens
			p.Leases += c.Leases
			p.Retired += c.Retired
			for _, s := range svcs {
				if !slices.Contains(p.Services, s) {
					p.Services = append(p.Services, s)
				}
			}
			return
		}
	}
	if c.Size() == 0 {
		// Only replaced entities: nobody is harmed unless a group in use
		// of the same cause forms at this instant.
		for i := range t.pending {
			if p := &t.pending[i]; p.Cause == c.Cause && p.BoundBy == c.BoundBy {
				p.Retired += c.Retired
				return
			}
		}
		t.pending = append(t.pending, c)
		return
	}
	for _, p := range t.pending {
		if p.Cause == c.Cause && p.BoundBy == c.BoundBy {
			c.Retired += p.Retired
		}
	}
	t.pending = slices.DeleteFunc(t.pending, func(p Cliff) bool { return p.Cause == c.Cause && p.BoundBy == c.BoundBy })
	c.Roots = []model.NodeID{t.root}
	c.Services = slices.Clone(svcs)
	t.all = append(t.all, c)
}

// cliffs returns the groups that are cliffs: at least two in-use
// entities ending together, or an in-use token reaching its hard end — the
// seed incident's event, whatever hangs under the token (an imported live
// token's subtree is unknown). Roots are listed in issue order, services
// by index. The reports name roots by their slots: a run that recycles
// keeps the slots of the roots it lists (recycle_pins.go).
func (t *cliffTracker) cliffs(e *Engine) []Cliff {
	var out []Cliff
	for _, c := range t.all {
		if c.isCliff() {
			slices.SortFunc(c.Roots, func(a, b model.NodeID) int { return cmp.Compare(e.serialOf(a), e.serialOf(b)) })
			slices.Sort(c.Services)
			out = append(out, c)
		}
	}
	return out
}

// isCliff reports whether group c is a cliff (cliffs).
func (c *Cliff) isCliff() bool { return c.Size() >= 2 || (c.Cause == MaxTTL && c.Tokens > 0) }

func (e *Engine) issueTime(n model.NodeID) model.Instant {
	if e.ents[n].kind == entLease {
		return e.lease(n).IssueTime()
	}
	return e.token(n).IssueTime
}

// LogKind is what a logged event records.
type LogKind uint8

// Logged event kinds (docs/run-report.md).
const (
	LogIssue LogKind = iota + 1
	LogIssueFailed
	LogRenew
	LogRenewFailed
	LogDone
	LogReplace
	LogReauth
	LogEnd
	LogScript
	LogScriptFailed
	LogOutageEnd
	LogService
)

func (k LogKind) String() string {
	return [...]string{"", "issue", "issue-failed", "renew", "renew-failed", "renewal-done", "replace", "reauth",
		"end", "script", "script-failed", "backend-up", "service"}[k]
}

// LogEvent is one entry of the event log (events.jsonl).
type LogEvent struct {
	At      model.Instant
	Kind    LogKind
	Entity  model.NodeID // None when the event is not about one entity
	Actor   int32        // for events without an entity
	Replica int32
	Cause   EndCause
	By      model.Layer
	Root    model.NodeID
	Err     string
	Note    string

	// The entity's lifetime state after the event (issue, renew, end).
	TTL        model.Duration
	Expire     model.Instant
	HasHardEnd bool
	HardEnd    model.Instant
	NoExpiry   bool

	Failing int32 // LogService: replicas without a valid credential now

	// Warnings the backend returned with the grant (issue, renew).
	Warnings model.Warnings
}

// CappedRenewal is the first renewal of an entity that its hard end cut
// short: Vault answers it with "TTL of … exceeded the effective max_ttl of
// …; TTL value is capped accordingly", the earliest sign in an operator's
// logs that the entity will end whatever its holder does.
type CappedRenewal struct {
	At       model.Instant
	HardEnd  model.Instant
	Warnings model.Warnings
}

// Before is how long before the hard end the warning came.
func (c CappedRenewal) Before() model.Duration { return c.HardEnd.Sub(c.At) }

// noteCapped keeps entity n's first capped renewal: where a year of a
// million leases caps every one of them in its last hour, a position kept
// with the entity's past, not a map of a million.
func (e *Engine) noteCapped(n model.NodeID, cr CappedRenewal) {
	e.pastFor(n).capped = e.newCapped(cr)
}

// firstCapped is entity n's first capped renewal, or nil.
func (e *Engine) firstCapped(n model.NodeID) *CappedRenewal {
	if k := e.pastOf(n).capped; k > 0 {
		return &e.capped[k-1]
	}
	return nil
}

// grant is the entity's latest grant: what its last issue or renewal gave.
func (e *Engine) grant(n model.NodeID) model.Grant {
	if e.ents[n].kind == entLease {
		return e.forms.Grant(*e.lease(n))
	}
	return e.token(n).Grant
}

// logging reports whether the run keeps or streams its events: record
// does nothing more than note capped renewals when it does not.
func (e *Engine) logging() bool { return e.opts.RecordLog || e.stream != nil }

// record logs an event (when the run keeps its log) and notes an entity's
// first capped renewal (always: the report lists it).
func (e *Engine) record(ev LogEvent) {
	if ev.Kind == LogRenew {
		g := e.grant(ev.Entity)
		e.noteIfCapped(ev.Entity, &g)
	}
	if !e.logging() {
		return
	}
	ev.At = e.loop.Now
	if n := ev.Entity; n != model.None {
		ev.Actor, ev.Replica = e.ents[n].actor, e.ents[n].replica
		g := e.grant(n)
		if e.ents[n].kind == entLease {
			l := e.lease(n)
			ev.TTL, ev.Expire = l.TTL(), l.ExpireTime()
		} else {
			t := e.token(n)
			ev.TTL, ev.Expire, ev.NoExpiry = t.TTL, t.ExpireTime, t.NoExpiry
		}
		ev.HasHardEnd, ev.HardEnd = g.HasHardEnd, g.HardEnd
		if ev.Kind == LogIssue || ev.Kind == LogRenew {
			ev.Warnings = g.Warnings
		}
	}
	if !e.keeps(e.opts.LogLevel, &ev) {
		return
	}
	if e.stream != nil {
		if e.streamErr == nil {
			e.streamErr = e.stream.event(ev)
		}
		return
	}
	e.log = append(e.log, ev)
}

// recordRenew is record of lease or token n's renewal, which granted g
// (its grant now): without a log, only the first capped renewal is noted,
// with no event built and no grant looked up again (a fleet re-read at
// its caps makes one or two capped renewals per lease and cap).
func (e *Engine) recordRenew(n model.NodeID, g *model.Grant) {
	if e.logging() {
		e.record(LogEvent{Kind: LogRenew, Entity: n, By: g.TTLBy})
		return
	}
	e.noteIfCapped(n, g)
}

// noteIfCapped notes entity n's first capped renewal, if the renewal that
// granted g now is one: the one place both record and recordRenew ask.
func (e *Engine) noteIfCapped(n model.NodeID, g *model.Grant) {
	if g.Warnings.TTLCapped && !e.opts.NoFirstCapped && e.firstCapped(n) == nil {
		e.noteCapped(n, CappedRenewal{At: e.loop.Now, HardEnd: g.HardEnd, Warnings: g.Warnings})
	}
}

// BoundByName names what set the roots' end, as every output says it:
// the layer, or "operator" for a revoke.
func (c *Cliff) BoundByName() string {
	if c.Cause == Revoked {
		return "operator"
	}
	return c.BoundBy.String()
}

// EntityID names an entity in the scheme of package entityid:
// "broker#1" (first token of actor broker), "core-api[3].token#2" (second
// child token of replica 3), "core-api[3].credential#5" (fifth credential
// of replica 3). Replica numbers appear only for actors with more than one
// replica.
func (e *Engine) EntityID(n model.NodeID) string {
	if n == model.None {
		return ""
	}
	en := &e.ents[n]
	ac := &e.actors[en.actor]
	id := entityid.ID{Actor: ac.a.Name, Gen: int(en.gen)}
	if len(ac.reps) > 1 {
		id.Replica = int(en.replica) + 1
	}
	switch en.kind {
	case entChildToken:
		id.Sub = entityid.SubToken
	case entLease:
		id.Sub = entityid.SubCredential
	}
	return id.String()
}

// Fate is what became of one entity, with the names of it and its kin.
type Fate struct {
	ID, Parent string
	Root       string // the entity whose end ended it, for cascades
	Facts
}

// Facts is what became of one entity, without names: all a fold or a
// tally reads, and nothing to format or allocate per entity (a year of a
// million leases has two million of them).
type Facts struct {
	Kind     EntityKind
	Actor    string
	IssuedAt model.Instant
	Ending
	HardEnd model.End
	// FirstCapped is its first renewal cut short by the hard end, if any.
	FirstCapped *CappedRenewal
}

// Ending is whether and how an entity ended, and whether its holder had
// replaced it.
type Ending struct {
	Ended      bool
	EndedAt    model.Instant
	Cause      EndCause
	BoundBy    model.Layer
	Replaced   bool
	ReplacedAt model.Instant
}

// ServiceSummary is one service's totals over the run.
type ServiceSummary struct {
	Name           string
	Replicas       int
	Demand         float64
	FailedRequests float64
	Down           model.Duration
	Outages        int
}

// Result is everything a run produced.
type Result struct {
	Scenario *scenarios.Scenario
	Seed     uint64
	Outcome  Outcome
	Events   int64 // events processed
	Horizon  model.Instant
	Cliffs   []Cliff
	Outages  []Outage
	Impacts  []Impact
	Services []ServiceSummary
	Log      []LogEvent
	LogErr   error    // the first error writing Options.LogTo
	Notes    []string // where observed live tokens disagree with the model
	// Revocation is the expiration manager's work (docs/revocation.md);
	// nil with the instant model.
	Revocation *Revocation

	engine *Engine
	fates  []Fate         // Fates, once asked for
	kept   []model.NodeID // the entities still holding a slot, in issue order
}

// NumEntities is the number of tokens and leases the run issued: those
// it kept and those whose slots it recycled, folded (Options.Recycle).
func (r *Result) NumEntities() int { return len(r.kept) + r.engine.fold.n }

// Recycled is the number of entities whose slots the run recycled: the
// reports read them folded (fold.go), and nothing reads them by NodeID.
func (r *Result) Recycled() int { return r.engine.fold.n }

// Facts is what became of the entity of NodeID i, without names. Fate,
// Facts, Fates and Ending read entities by NodeID: all of them in issue
// order in a run that did not recycle — as check, compare and explain
// never do — and the slot's last entity in one that did.
func (r *Result) Facts(i int) Facts { return r.engine.facts(model.NodeID(i)) }

// Fate is what became of entity i, named.
func (r *Result) Fate(i int) Fate {
	if r.fates != nil {
		return r.fates[i]
	}
	return r.engine.fate(model.NodeID(i))
}

// Fates is every slot's entity's fate by NodeID (every entity's in issue
// order when the run recycled nothing), built on the first call: what a
// consumer looking entities up by id needs. Reports and tallies walk
// Facts of the kept entities and the fold instead, which name nothing.
func (r *Result) Fates() []Fate {
	if r.fates == nil {
		r.fates = make([]Fate, len(r.engine.ents))
		for i := range r.fates {
			r.fates[i] = r.engine.fate(model.NodeID(i))
		}
	}
	return r.fates
}

// EntityID names an entity of this run (see Engine.EntityID).
func (r *Result) EntityID(n model.NodeID) string { return r.engine.EntityID(n) }

// ServiceName is the actor name of service index i.
func (r *Result) ServiceName(i int) string { return r.Services[i].Name }

// ActorName names actor index i.
func (r *Result) ActorName(i int32) string { return r.Scenario.Actors[i].Name }

func (e *Engine) result(o Outcome) *Result {
	now := e.loop.Now
	if o == HorizonReached || o == Drained {
		now = e.loop.Horizon
	}
	r := &Result{Scenario: e.s, Seed: e.seed, Outcome: o, Events: e.loop.Processed, Horizon: now, Log: e.log, Notes: e.notes, engine: e}
	r.Cliffs = e.cliffs.cliffs(e)
	r.kept = e.kept()
	for i := range e.services {
		s := &e.services[i]
		s.finish(now)
		a := e.actors[s.actor].a
		sum := ServiceSummary{Name: a.Name, Replicas: s.replicas, Demand: a.Demand, FailedRequests: s.failed, Outages: len(s.outages)}
		for _, o := range s.outages {
			o.Service = a.Name
			sum.Down += o.Duration()
			r.Outages = append(r.Outages, o)
		}
		r.Services = append(r.Services, sum)
	}
	sortOutages(r.Outages)
	r.Impacts = impacts(r.Outages)
	if e.rev != nil {
		e.rev.finish(now)
		r.Revocation = e.rev.summary(e, now)
	}
	return r
}

// facts is what became of entity n, as the run left it.
func (e *Engine) facts(n model.NodeID) Facts {
	en := &e.ents[n]
	p := e.pastOf(n)
	f := Facts{Kind: en.kind.EntityKind(), Actor: e.actors[en.actor].a.Name, IssuedAt: e.issueTime(n),
		Ending: e.ending(n, &p), HardEnd: e.grant(n).End()}
	if p.capped > 0 {
		f.FirstCapped = &e.capped[p.capped-1]
	}
	return f
}

// ending is how entity n, with past p, ended and was replaced.
func (e *Engine) ending(n model.NodeID, p *entityPast) Ending {
	en := &e.ents[n]
	return Ending{Ended: en.ended, EndedAt: p.endAt.Instant(), Cause: p.cause, BoundBy: e.layers.at(p.endBy),
		Replaced: en.retired, ReplacedAt: p.replacedAt.Instant()}
}

// Ending is how entity i ended and was replaced (Facts' part of it): what
// a tally over every entity of a long run reads, without the names,
// grant and capped renewal Facts looks up (sweep.Measure).
func (r *Result) Ending(i int) Ending {
	p := r.engine.pastOf(model.NodeID(i))
	return r.engine.ending(model.NodeID(i), &p)
}

// who is entity n's kind and actor index.
func (e *Engine) who(n model.NodeID) (EntityKind, int32) {
	en := &e.ents[n]
	return en.kind.EntityKind(), en.actor
}

// fate is facts with the names of n, its parent and its cascade's root.
func (e *Engine) fate(n model.NodeID) Fate {
	f := Fate{ID: e.EntityID(n), Facts: e.facts(n)}
	if p := e.parentOf(n); p != model.None {
		f.Parent = e.EntityID(p)
	}
	if c := f.Cause; c == Cascade || c == Orphaned {
		f.Root = e.EntityID(e.pastOf(n).root)
	}
	return f
}

// Impact is a window in which at least one service was down: overlapping
// outages merged, the picture an incident timeline draws.
type Impact struct {
	From, To       model.Instant
	Ongoing        bool
	Services       []string
	FailedRequests float64
}

// impacts merges outages (sorted by start) that overlap or touch.
func impacts(os []Outage) []Impact {
	var out []Impact
	for _, o := range os {
		if n := len(out); n > 0 && o.From <= out[n-1].To {
			w := &out[n-1]
			w.To = max(w.To, o.To)
			w.Ongoing = w.Ongoing || o.Ongoing
			w.FailedRequests += o.FailedRequests
			if !slices.Contains(w.Services, o.Service) {
				w.Services = append(w.Services, o.Service)
			}
			continue
		}
		out = append(out, Impact{From: o.From, To: o.To, Ongoing: o.Ongoing, Services: []string{o.Service}, FailedRequests: o.FailedRequests})
	}
	return out
}

func sortOutages(os []Outage) {
	// Insertion sort by (From, Service): few outages, and stable.
	for i := 1; i < len(os); i++ {
		for j := i; j > 0 && (os[j].From < os[j-1].From || (os[j].From == os[j-1].From && os[j].Service < os[j-1].Service)); j-- {
			os[j], os[j-1] = os[j-1], os[j]
		}
	}
}
