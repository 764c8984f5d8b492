package sim

import (
	"fmt"
	"io"
	"math"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Event kinds of the engine.
const (
	evExpire    Kind = iota + 1 // an entity's ExpireTime: the backend ends it (and its subtree)
	evRenew                     // a client renews a token or lease (Target: entity)
	evRefresh                   // a service re-reads its credential (Target: entity being replaced)
	evReauth                    // an actor re-authenticates (Target: actor, Arg: replica)
	evStart                     // an actor starts (Target: actor)
	evScript                    // a scripted event (Arg: index into Scenario.Events)
	evOutageEnd                 // the backend is reachable again
	evRetry                     // retry a failed login/create/fetch (Target: actor, Arg: replica)
	evClient                    // an entity's client timer (Queue.SetTimer): evRenew or evRefresh (clientKind)
)

// Same-instant order (semantics.md §4, §6.2): the backend's expiry timers
// run first, because a token is unusable from its ExpireTime exactly and a
// renewal at that instant fails; operators' scripted actions next; clients
// (renewals, logins, fetches) last, so they see the world the backend and
// the operator left at that second.
const (
	orderExpire uint8 = iota
	orderScript
	orderClient
)

// End causes of an entity.
type EndCause uint8

// The ways an entity ends.
const (
	Alive    EndCause = iota // still valid at the horizon
	Expired                  // its TTL ran out before its hard end (not renewed in time)
	MaxTTL                   // it reached its hard end: renewals could not move it
	Cascade                  // revoked because an ancestor ended (semantics.md §6.1)
	Revoked                  // revoked by an operator (scripted revoke or revoke-orphan)
	Orphaned                 // a batch child whose parent was revoked with revoke-orphan
)

func (c EndCause) String() string {
	return [...]string{"alive", "expired", "max-ttl", "cascade", "revoked", "parent-revoked"}[c]
}

// replica is one running copy of an actor (16 bytes, no pointers: a
// fleet has a million). How many tokens and credentials it was issued is
// the generation of its latest (nextGen).
type replica struct {
	token    model.NodeID // the token it uses: its own, its child token, or (via, no child) none
	lease    model.NodeID // its current credential, or None
	valid    bool         // has what its demand needs
	retry    bool         // a retry is pending
	attempts uint8        // consecutive failed logins/fetches
	retries  uint32       // backoff numbers drawn for logins and fetches
}

type actor struct {
	a          *scenarios.Actor
	via        int   // index of the via actor, or -1
	dependents []int // actors that use this one's token
	reps       []replica
	started    bool
	adopted    bool // its existing token is in play
	service    int  // index into Engine.services, or -1
}

// Options tune a run.
type Options struct {
	Seed      uint64 // overrides the scenario's seed when SeedSet
	SeedSet   bool
	Budget    int64 // maximum events; 0 = DefaultBudget
	RecordLog bool  // keep every event for events.jsonl
	// LogTo, when set, receives events.jsonl as the run goes (header,
	// events, then cliffs when Run returns) instead of a log kept in
	// memory; LogLevel says which events it gets (and which RecordLog
	// keeps). A write error stops the writing: Result.LogErr has it.
	LogTo    io.Writer
	LogLevel LogLevel
	// LogSpill, with LogTo, holds the log's "revocation" lines until the
	// cliff lines before them are written (a temporary file), so that the
	// run keeps none of them; nil keeps them in memory (revocation_spill.go).
	LogSpill io.ReadWriteSeeker
	// Observe, when set, is called after every event: tests check invariants with it.
	Observe func(*Engine)
	// MaxLive and MaxEntities bound the entities alive at once and
	// holding a slot: issued in all, less those recycled (0:
	// DefaultMaxLive, DefaultMaxEntities); see budget.go.
	MaxLive, MaxEntities int64
	// Progress, when set, is called every ProgressEvery events with the
	// instant reached: the CLI shows it to people waiting on a long run.
	Progress func(now model.Instant, events int64)
	// Exact simulates every renewal as an event; otherwise steady renewals
	// nothing else can touch are elided, with the same result (elide.go).
	Exact bool
	// NoRevocation skips the expiration manager's revocation work: the
	// result has no Revocation and is otherwise the same (the revoker never
	// changes validity, TestNoRevocationChangesNothingElse). A sweep, whose
	// metrics do not read it, saves a fifth of a re-read fleet's run.
	NoRevocation bool
	// NoFirstCapped leaves each entity's first capped renewal unnoted: the
	// result lists none (the reports' "First capped renewals", Facts.
	// FirstCapped) and is otherwise the same (TestNoFirstCappedChangesNothingElse).
	// A sweep, whose metrics do not read them, saves noting and folding
	// one per credential generation of a fleet re-read at its caps.
	NoFirstCapped bool
	// Recycle lets the run reuse the slots of credentials that ended, once
	// their holders moved on, the revoker is done with them and no report
	// names them, folding what the reports need of them first (fold.go,
	// recycle.go): memory then follows the live set, not everything issued.
	// Only for reports that fold every credential: the text report, a
	// folded report.json, a sweep's tally. Recycling begins once more than
	// RecycleAfter entities were issued (a report.json of EntitiesAuto
	// folds only above FoldEntitiesAbove).
	Recycle      bool
	RecycleAfter int64
}

// Engine runs one scenario. It is single-threaded and deterministic: the
// same scenario and seed give the same result, byte for byte.
type Engine struct {
	s    *scenarios.Scenario
	b    *Backend
	seed uint64
	loop Loop
	opts Options

	hier   model.Hierarchy
	ents   []entity     // by NodeID; a lease's packed state in its own line (forms holds what leases share)
	cold   []entityCold // by NodeID, as ents
	past   []entityPast // of the entities replaced, capped, failed in an outage or ended (pastOf)
	tokens []model.Token
	toks   []tokenState // per token, as tokens
	forms  model.LeaseForms

	actors   []actor
	byName   map[string]int
	services []service

	draws [numDraws]Draws // per purpose; see draw

	outage      bool
	outageUntil model.Instant // the latest end of the outages begun so far
	cliffs      cliffTracker
	log         []LogEvent
	stream      *eventsWriter // Options.LogTo
	streamErr   error
	pendingLoss blocks[loss] // entities whose end their holders have yet to react to
	lossSpare   blocks[loss] // pendingLoss's other buffer, kept for the next cascade
	sharedPast  int32        // 1 + the past last shared by entities ending with none (endPast)
	lossBatch   lossBatch    // services' losses gathered in afterEnd (service.go)
	runs        endRuns      // a cascade's descendants ended a slice at a time (endrun.go)
	slowEnds    bool         // tests: every descendant through ended, no runs
	notes       []string     // disagreements between observed tokens and the model

	capped []CappedRenewal // first renewals the hard end cut short (entity.capped)

	budgets Budgets
	live    int64 // entities issued and not ended

	rev *revoker // the expiration manager's revocation work; nil: instant

	renewed model.Grant // a lease's grant renewOnce returns, unpacked
	layers  layerTable  // the layers entities ended by (entity.endBy)

	shapes []shape      // per actor: its leases' renewal, precomputed (hotpath.go)
	issues []issueShape // per actor: its leases' issue, precomputed (issue.go)

	el           elision       // steady renewals elided (elide.go)
	tm           timers        // expiries held while a renewal comes first (timer.go)
	nextProgress int64         // Processed at which Options.Progress is next called
	fold         entityFold    // what the reports need of recycled entities (fold.go)
	rc           recycler      // retired leases' slots recycled (recycle.go)
	check        func(*Engine) // tests: called after every event, elided runs too (with Options.Progress set)
}

// New prepares a run of a validated scenario.
func New(s *scenarios.Scenario, opts Options) *Engine {
	seed := s.Seed
	if opts.SeedSet {
		seed = opts.Seed
	}
	e := &Engine{s: s, b: NewBackend(s), seed: seed, opts: opts, byName: map[string]int{}}
	e.draws = [numDraws]Draws{
		drawRenew: NewDraws(seed, PurposeRenewJitter),
		drawGrace: NewDraws(seed, PurposeGrace),
		drawFault: NewDraws(seed, PurposeFaults),
	}
	if !opts.NoRevocation {
		e.rev = newRevoker(s, seed)
	}
	if e.rev != nil {
		e.rev.attach(e)
		e.rev.released = e.released
	}
	e.rc = newRecycler(opts, s)
	e.el = newElision(s, opts)
	e.loop.ents = &e.ents
	if e.el.resume.on {
		e.loop.Pass = e.pass
		e.loop.Warm = e.warmRun
	}
	e.loop.Horizon = model.Instant(s.Horizon)
	e.loop.Queue.BeforeRenumber = e.pushHeld
	e.loop.Queue.TimerKind = evClient
	e.budgets = opts.budgets()
	e.loop.Budget = e.budgets.Events
	for i := range s.Actors {
		e.byName[s.Actors[i].Name] = i
	}
	e.actors = make([]actor, len(s.Actors))
	for i := range s.Actors {
		a := &s.Actors[i]
		ac := &e.actors[i]
		ac.a, ac.via, ac.service = a, -1, -1
		if a.Via != "" {
			ac.via = e.byName[a.Via]
			e.actors[ac.via].dependents = append(e.actors[ac.via].dependents, i)
		}
		ac.reps = make([]replica, max(a.Replicas, 1))
		for r := range ac.reps {
			ac.reps[r] = replica{token: model.None, lease: model.None}
		}
		if a.Credential != "" || a.Via != "" || a.Demand > 0 {
			ac.service = len(e.services)
			e.services = append(e.services, service{actor: i, replicas: len(ac.reps), rate: a.Demand / float64(len(ac.reps))})
		}
	}
	e.reserve()
	for i := range s.Actors {
		e.loop.Schedule(e.startAt(i), orderClient, evStart, int32(i), 0)
	}
	for i := range s.Events {
		e.loop.Schedule(s.Events[i].At, orderScript, evScript, 0, int32(i))
	}
	return e
}

// startAt is when actor i starts: its own start, but not before the actor
// whose token it uses exists (its demand begins when it can be served).
func (e *Engine) startAt(i int) model.Instant {
	at := e.s.Actors[i].StartAt
	if v := e.actors[i].via; v >= 0 {
		at = max(at, e.startAt(v))
	}
	return at
}

// Run simulates to the horizon and returns the result.
func (e *Engine) Run() *Result {
	e.streamLog()
	outcome := e.loop.Run(e.handle)
	r := e.result(outcome)
	e.endStream(r)
	return r
}

// Now is the current virtual instant.
func (e *Engine) Now() model.Instant { return e.loop.Now }

func (e *Engine) handle(ev Event, h Handle) {
	if ev.Kind != evClient || !e.renewFast(model.NodeID(ev.Target)) {
		e.dispatch(ev, h)
	}
	if len(e.tm.unsettled) > 0 || e.opts.Observe != nil || e.opts.Progress != nil {
		e.afterEvent()
	}
}

// dispatch runs ev's handler.
func (e *Engine) dispatch(ev Event, h Handle) {
	if ev.Kind == evClient {
		ev.Kind = e.clientKind(model.NodeID(ev.Target))
	}
	if e.el.resume.on {
		e.handling(ev)
	}
	switch ev.Kind {
	case evExpire:
		e.onExpire(model.NodeID(ev.Target), h)
	case evRenew:
		e.onRenew(model.NodeID(ev.Target))
	case evRefresh:
		e.onRefresh(model.NodeID(ev.Target))
	case evReauth:
		e.onReauth(int(ev.Target), int(ev.Arg), h)
	case evStart:
		e.onStart(int(ev.Target))
	case evScript:
		e.onScript(&e.s.Events[ev.Arg])
	case evOutageEnd:
		if e.loop.Now >= e.outageUntil { // overlapping outages: the last one ends it
			e.outage = false
			e.record(LogEvent{Kind: LogOutageEnd, Entity: model.None})
		}
	case evRetry:
		e.onRetry(int(ev.Target), int(ev.Arg))
	}
}

// afterEvent settles held expiries and reports after each event.
func (e *Engine) afterEvent() {
	if len(e.tm.unsettled) > 0 {
		e.settle()
	}
	if e.opts.Observe != nil {
		e.opts.Observe(e)
	}
	if e.check != nil {
		e.check(e)
	}
	if e.opts.Progress != nil && e.loop.Processed >= e.nextProgress {
		// Elided renewals count too: Processed may jump past a multiple.
		e.nextProgress = (e.loop.Processed/ProgressEvery + 1) * ProgressEvery
		if e.loop.Processed >= ProgressEvery {
			e.opts.Progress(e.loop.Now, e.loop.Processed)
		}
	}
}

// ---- issuing ----

// alive reports whether n is a live entity (None is not). The hierarchy's
// byte per node says it as entity.ended does (an entity ends exactly when
// its node is revoked), without loading the entity: cascades ask it for
// every replica.
func (e *Engine) alive(n model.NodeID) bool { return n != model.None && e.hier.Alive(n) }

// baseToken is the token replica r of actor ai draws credentials and child
// tokens from: its own, or its via actor's first replica's.
func (e *Engine) baseToken(ai, r int) model.NodeID {
	ac := &e.actors[ai]
	if ac.via >= 0 {
		return e.actors[ac.via].reps[0].token
	}
	return ac.reps[r].token
}

// obtainToken gives replica r of actor ai a new token of its own: a login,
// a create by the root token, or a child of its via actor's token. The
// previous token is retired, not revoked (§7.2: the agent never revokes).
func (e *Engine) obtainToken(ai, r int) bool {
	if e.loop.Stopping() {
		return false // a budget ran out in this event: issue nothing more
	}
	ac := &e.actors[ai]
	a := ac.a
	now := e.loop.Now
	if e.outage {
		e.scheduleRetry(ai, r)
		return false
	}
	var tok model.Token
	var err error
	parent := model.None
	kind := entToken
	switch {
	case a.Existing != nil && !ac.adopted:
		// The token it holds at start, observed in a lookup.
		ac.adopted = true
		var note string
		tok, note, err = e.b.adopt(a)
		if note != "" {
			e.notes = append(e.notes, note)
		}
	case a.Login != "":
		role := e.b.AuthRole(a.Login)
		tok, err = model.Login(e.b.View(role.Mount), *role, now)
	case a.Token != nil:
		tok, err = model.CreateToken(e.b.View(model.TokenMountPath), model.Caller{Root: true, Sudo: true}, e.request(a.Token), now)
	case a.ChildToken != nil:
		kind = entChildToken
		base := e.baseToken(ai, r)
		if !e.alive(base) {
			return false // nothing to create it with: wait for the via actor's next token
		}
		tok, err = model.CreateToken(e.b.View(model.TokenMountPath), callerOf(e.token(base), e.s.Actors[ac.via].RootPolicy()), e.request(a.ChildToken), now)
		if err == nil && !tok.Orphan {
			parent = base
		}
	default:
		return false
	}
	if err != nil {
		e.record(LogEvent{Kind: LogIssueFailed, Entity: model.None, Actor: int32(ai), Replica: int32(r), Err: err.Error()})
		return false
	}
	if e.rc.recyclable() {
		e.recycle()
	}
	n, err := e.hier.AddToken(parent, tok.Type == model.TokenBatch)
	if err != nil {
		return false
	}
	rep := &ac.reps[r]
	rep.attempts = 0
	e.newToken(n, kind, ai, r, e.nextGen(rep.token), parent, tok)
	old := rep.token
	inUse := e.alive(old)
	if inUse {
		e.retire(old)
	}
	rep.token = n
	if !inUse && old != model.None {
		e.tokenMovedOn(old) // it ended in use: recyclable now (recycle_tokens.go)
	}
	e.record(LogEvent{Kind: LogIssue, Entity: n, By: tok.Grant.TTLBy})
	e.scheduleExpiry(n, tok.ExpireTime, tok.NoExpiry)
	if tok.NoExpiry {
		// A non-expiring root token: nothing to renew, no watcher (§7.2).
		e.tokenChanged(ai, r)
		return true
	}
	e.startRenewal(n, a.Renew, tok.ExpireTime.Sub(now), tok.Renewable)
	if a.WhenExhausted.Kind == scenarios.ExhaustReauth && a.WhenExhausted.At > 0 && tok.Grant.HasHardEnd {
		life := float64(tok.Grant.HardEnd.Sub(tok.IssueTime))
		at := max(now, tok.IssueTime.Add(model.Duration(math.Floor(life*a.WhenExhausted.At))))
		e.tokenState(n).reauth = e.loop.Schedule(at, orderClient, evReauth, int32(ai), int32(r))
	}
	e.tokenChanged(ai, r)
	return true
}

// callerOf describes token p as the caller of a token-store create: a
// root-policy token may create root and periodic children (semantics.md
// §3.1); its TTL decides whether a non-expiring root child is allowed.
func callerOf(p *model.Token, rootPolicy bool) model.Caller {
	return model.Caller{Root: rootPolicy, Sudo: rootPolicy, Type: p.Type, NumUses: p.NumUses, TTL: p.TTL}
}

func (e *Engine) request(r *scenarios.TokenRequest) model.TokenRequest {
	req := r.Request
	if r.RoleName != "" {
		req.Role = e.b.TokenRole(r.RoleName)
	}
	return req
}

// tokenChanged: replica r of actor ai has a new token. Its credential is
// re-fetched under it, and actors using this actor's token follow: Agent
// templates restart with the new token and re-fetch everything (§7.3).
func (e *Engine) tokenChanged(ai, r int) {
	ac := &e.actors[ai]
	if ac.a.Credential != "" {
		e.fetchLease(ai, r)
	} else {
		e.updateValidity(ai, r)
	}
	if r != 0 {
		return
	}
	for _, d := range ac.dependents {
		dc := &e.actors[d]
		if !dc.started {
			continue
		}
		for dr := range dc.reps {
			if dc.a.ChildToken != nil {
				e.obtainToken(d, dr)
			} else {
				e.tokenChanged(d, dr)
			}
		}
	}
}

// fetchLease reads a new credential for replica r under its current token.
func (e *Engine) fetchLease(ai, r int) bool {
	if e.loop.Stopping() {
		return false
	}
	ac := &e.actors[ai]
	rep := &ac.reps[r]
	tokNode := rep.token
	if ac.a.ChildToken == nil {
		tokNode = e.baseToken(ai, r)
	}
	if !e.alive(tokNode) {
		e.updateValidity(ai, r)
		return false
	}
	if e.outage {
		e.scheduleRetry(ai, r)
		e.updateValidity(ai, r)
		return false
	}
	tok := e.token(tokNode)
	it := model.IssuingToken{Type: tok.Type, Valid: true, Expire: tok.ExpireTime}
	if tok.Type == model.TokenBatch {
		it.ID = e.EntityID(tokNode) // provenance of the clamp; service tokens need none
	}
	l, err := e.leaseIssue(ai).Issue(it, e.loop.Now)
	if err != nil {
		e.record(LogEvent{Kind: LogIssueFailed, Entity: model.None, Actor: int32(ai), Replica: int32(r), Err: err.Error()})
		e.updateValidity(ai, r)
		return false
	}
	if e.rc.recyclable() {
		e.recycle()
	}
	n, err := e.hier.AddLease(tokNode)
	if err != nil {
		return false
	}
	rep.attempts = 0
	e.newEntity(n, entity{kind: entLease, actor: int32(ai), replica: int32(r), lease: l}, e.nextGen(rep.lease), e.hier.Parent(n))
	old := rep.lease
	inUse := e.alive(old) // retire leaves it alive; one lookup serves both
	if inUse {
		e.retire(old)
	}
	rep.lease = n
	if !inUse && old != model.None {
		e.movedOn(old) // it ended in use: recyclable now (recycle.go)
	}
	if e.logging() { // a fleet's re-reads build no record nobody keeps
		e.record(LogEvent{Kind: LogIssue, Entity: n, By: e.forms.Grant(l).TTLBy})
	}
	e.scheduleExpiry(n, l.ExpireTime(), false)
	switch ac.a.Refresh.Kind {
	case scenarios.RefreshWatcher, scenarios.RefreshRenew:
		e.startRenewal(n, scenarios.RenewPolicy{Kind: scenarios.RenewWatcher}, l.TTL(), true)
	case scenarios.RefreshRenewBy:
		e.startRenewal(n, ac.a.Refresh.Renew, l.TTL(), true)
	case scenarios.RefreshEvery:
		e.queueClient(n, e.loop.Now.Add(ac.a.Refresh.Every))
	case scenarios.RefreshFraction:
		// consul-template's leaseCheckWait: threshold ± 0.05 of the lease (§7.3).
		f := ac.a.Refresh.At + (e.draw(n, drawRenew)*0.1 - 0.05)
		at := e.loop.Now.Add(model.Duration(math.Max(1, math.Floor(float64(l.TTL())*f))))
		e.queueClient(n, at)
	}
	e.updateValidity(ai, r)
	return true
}

// retire marks an entity its holder no longer uses: its client events stop
// and it lives on to its own end (nothing revokes it, §7.2–7.3).
func (e *Engine) retire(n model.NodeID) {
	en := &e.ents[n]
	en.retired, e.pastFor(n).replacedAt = true, runAt(e.loop.Now)
	e.cancelClient(n)
	e.cancelReauth(n)
	e.unsettle(n)
	if e.logging() {
		e.record(LogEvent{Kind: LogReplace, Entity: n})
	}
}

// ---- renewal (semantics.md §7.1) ----

// startRenewal begins the renewal chain of a fresh token or lease.
func (e *Engine) startRenewal(n model.NodeID, p scenarios.RenewPolicy, ttl model.Duration, renewable bool) {
	en := &e.ents[n]
	now := e.loop.Now
	switch p.Kind {
	case scenarios.RenewWatcher:
		en.grace = e.watcherGrace(n, ttl, p.Increment)
		e.setLastDur(n, ttl)
		if !renewable {
			// A non-renewable secret: the watcher sleeps 2/3·L + g/3 once, then reports done.
			e.setClient(n, now.Add(watcherSleep(ttl, en.grace)))
			return
		}
		// The watcher renews immediately at start.
		e.setClient(n, now)
	case scenarios.RenewFraction:
		if renewable {
			e.setClient(n, now.Add(e.fractionDelay(n, ttl, p)))
		}
	case scenarios.RenewEvery:
		if renewable {
			e.setClient(n, now.Add(p.Every))
		}
	case scenarios.RenewNone:
		if e.policyOf(n).WhenExhausted.Kind == scenarios.ExhaustReauth && en.kind != entLease {
			// Nothing renews it; an agent still re-authenticates when its watcher,
			// run as on a non-renewable token, reports done (§7.1).
			e.setClient(n, now.Add(watcherSleep(ttl, e.watcherGrace(n, ttl, 0))))
		}
	}
}

// setClient (re)schedules the entity's next renewal.
func (e *Engine) setClient(n model.NodeID, at model.Instant) {
	e.clientMoved(n, at)
	e.queueClient(n, at)
	if e.el.resume.on {
		e.queuedRenewal(n, at)
	}
}

// watcherGrace is calculateGrace (§7.1): with L = min(lease, increment if
// > 0), grace ∈ [0.1·L, 0.2·L), drawn from n's grace numbers.
func (e *Engine) watcherGrace(n model.NodeID, lease, increment model.Duration) float64 {
	l := float64(lease)
	if increment > 0 && float64(increment) < l {
		l = float64(increment)
	}
	return 0.1*l + e.draw(n, drawGrace)*0.1*l
}

// The engine's purposes, indexing Engine.draws (draw counts them per entity).
const (
	drawRenew = iota // renew jitter: RenewFraction's jitter, refresh_at's ±0.05
	drawGrace        // the watcher's grace
	drawFault        // retry backoff after a failed renewal
	numDraws
)

// watcherSleep is 2/3 of the remaining TTL plus a third of the grace, in
// whole seconds (at least one): floor(x), at least 1. Every renewal asks,
// so it truncates rather than call math.Floor and math.Max: truncation is
// the floor from 1 up, and below 1 the answer is 1 either way.
func watcherSleep(remaining model.Duration, grace float64) model.Duration {
	x := 2.0/3.0*float64(remaining) + grace/3
	switch {
	case x < 1:
		return 1
	case x >= 1<<62: // beyond what an int64 holds exactly
		return model.Duration(math.Floor(x))
	}
	return model.Duration(x)
}

func (e *Engine) fractionDelay(n model.NodeID, ttl model.Duration, p scenarios.RenewPolicy) model.Duration {
	f := p.At
	if p.Jitter > 0 {
		f += (e.draw(n, drawRenew)*2 - 1) * p.Jitter
	}
	return model.Duration(math.Max(1, math.Floor(float64(ttl)*f)))
}

// policyOf is the scenario actor whose policies govern entity n.
func (e *Engine) policyOf(n model.NodeID) *scenarios.Actor { return e.actors[e.ents[n].actor].a }

func (e *Engine) onRenew(n model.NodeID) {
	en := &e.ents[n]
	if en.ended || en.retired {
		return
	}
	en.client = NoHandle
	if e.renewLeaseFast(n, en) {
		return
	}
	e.unsettle(n)
	a := e.policyOf(n)
	p := e.renewPolicy(n)
	renewable := true
	if en.kind != entLease {
		renewable = e.token(n).Renewable
	}
	if !renewable || p.Kind == scenarios.RenewNone {
		e.done(n) // a non-renewable watcher's single sleep is over
		return
	}
	if e.outage {
		e.renewFailed(n)
		return
	}
	last := e.lastDur(n) // a lease's TTL, before the renewal changes it
	g, err := e.renewOnce(n, p.Increment)
	if err != nil {
		e.record(LogEvent{Kind: LogRenewFailed, Entity: n, Err: err.Error()})
		e.done(n)
		return
	}
	en.attempts = 0
	switch p.Kind {
	case scenarios.RenewWatcher:
		if g.TTL > last {
			en.grace = e.watcherGrace(n, g.TTL, p.Increment)
		}
		e.setLastDur(n, g.TTL)
		if float64(g.TTL) <= 4*en.grace {
			e.done(n)
			return
		}
		e.nextRenewal(n, g, watcherSleep(g.TTL, en.grace))
	case scenarios.RenewFraction, scenarios.RenewEvery:
		// A cron job or sidecar keeps calling through Vault's capped-TTL
		// warnings until the backend refuses or the entity ends; only a
		// client that re-authenticates treats the first warning as done.
		if g.Warnings.TTLCapped && en.kind != entLease && a.WhenExhausted.Kind == scenarios.ExhaustReauth {
			e.done(n)
			return
		}
		if p.Kind == scenarios.RenewEvery {
			e.nextRenewal(n, g, p.Every)
		} else {
			e.nextRenewal(n, g, e.fractionDelay(n, g.TTL, p))
		}
	}
}

// renewPolicy is how entity n's holder renews it: the actor's renew for
// its token; for a lease, a watcher unless refresh renews it by a policy.
func (e *Engine) renewPolicy(n model.NodeID) scenarios.RenewPolicy {
	a := e.policyOf(n)
	switch {
	case e.ents[n].kind != entLease:
		return a.Renew
	case a.Refresh.Kind == scenarios.RefreshRenewBy:
		return a.Refresh.Renew
	}
	return scenarios.RenewPolicy{Kind: scenarios.RenewWatcher}
}

// renewOnce asks the backend to renew n with increment inc (semantics.md
// §4 for tokens, §5.2 for leases). On success the new expiry is scheduled
// and the renewal logged, with Vault's warnings.
func (e *Engine) renewOnce(n model.NodeID, inc model.Duration) (*model.Grant, error) {
	now := e.loop.Now
	g := &e.renewed
	if e.ents[n].kind == entLease {
		s := e.lease(n)
		r := e.leaseRenewal(n, inc)
		if r.Renew(s, now) {
			// The common renewal, by the model's precomputed path: not
			// capped, so record has nothing to note unless a log is kept.
			*g = e.forms.Grant(*s)
			if e.logging() {
				e.record(LogEvent{Kind: LogRenew, Entity: n, By: g.TTLBy})
			}
			e.moveExpiry(n, s.ExpireTime())
			return g, nil
		}
		if r.RenewCapped(s, now) { // a watched lease's last renewals before its re-read
			*g = e.forms.Grant(*s)
			e.recordRenew(n, g)
			e.moveExpiry(n, s.ExpireTime())
			return g, nil
		}
		role := e.b.SecretsRole(e.policyOf(n).Credential)
		l := e.forms.Unpack(*s)
		if _, err := model.RenewLease(&l, e.b.View(role.Mount), *role, e.issuingToken(n), inc, now); err != nil {
			return nil, err
		}
		*s, *g = e.forms.Pack(l), l.Grant
	} else {
		t := e.token(n)
		if _, err := model.RenewToken(t, e.b.View(t.Mount), e.renewRoles(t), inc, now); err != nil {
			return nil, err
		}
		g = &t.Grant
	}
	e.record(LogEvent{Kind: LogRenew, Entity: n, By: g.TTLBy})
	e.moveExpiry(n, now.Add(g.TTL))
	return g, nil
}

// issuingToken describes the token a lease was issued under, for renewal.
func (e *Engine) issuingToken(n model.NodeID) model.IssuingToken {
	it := model.IssuingToken{Valid: true}
	if s := e.lease(n); s.BatchClamped() {
		l := e.forms.Unpack(*s)
		it.Type, it.Expire, it.ID = model.TokenBatch, l.BatchEnd, l.BatchToken
		it.Valid = e.loop.Now < l.BatchEnd
	}
	return it
}

// renewFailed handles a renewal the backend could not answer (an outage):
// the watcher backs off — 10 s doubling to 5 min, ±50 % (§7.1) — and gives
// up, reporting done with an error, once the next try would come after
// the lease has already ended.
func (e *Engine) renewFailed(n model.NodeID) {
	en := &e.ents[n]
	e.record(LogEvent{Kind: LogRenewFailed, Entity: n, Err: "backend unavailable"})
	at := e.loop.Now.Add(backoff(en.attempts, e.draw(n, drawFault)))
	if en.attempts < 255 {
		en.attempts++
	}
	if exp, ok := e.expiryAt(n); ok && at >= exp {
		e.done(n)
		return
	}
	e.setClient(n, at)
}

// backoff is the watcher's and agent's retry delay after attempt failures,
// jittered by u ∈ [0, 1).
func backoff(attempt uint8, u float64) model.Duration {
	d := 10.0 * math.Pow(2, float64(min(attempt, 10)))
	d = math.Min(d, 300)
	d *= 0.5 + u
	return model.Duration(math.Max(1, math.Round(d)))
}

// done is the watcher's DoneCh: renewal can no longer extend n. Leases are
// re-read (§7.3); tokens follow the actor's when_exhausted policy (§7.2).
func (e *Engine) done(n model.NodeID) {
	en := &e.ents[n]
	e.record(LogEvent{Kind: LogDone, Entity: n})
	ai, r := int(en.actor), int(en.replica)
	if en.kind == entLease {
		if e.actors[ai].a.Refresh.Rereads() {
			e.fetchLease(ai, r)
		}
		return
	}
	if e.actors[ai].a.WhenExhausted.Kind == scenarios.ExhaustReauth {
		e.obtainToken(ai, r)
	}
}

func (e *Engine) onRefresh(n model.NodeID) {
	en := &e.ents[n]
	if en.ended || en.retired {
		return
	}
	en.client = NoHandle
	e.unsettle(n)
	e.fetchLease(int(en.actor), int(en.replica))
}

func (e *Engine) onReauth(ai, r int, h Handle) {
	rep := &e.actors[ai].reps[r]
	if e.alive(rep.token) && e.reauthOf(rep.token) == h {
		e.tokenState(rep.token).reauth = NoHandle
	}
	e.record(LogEvent{Kind: LogReauth, Entity: rep.token, Actor: int32(ai), Replica: int32(r)})
	e.obtainToken(ai, r)
}

func (e *Engine) onStart(ai int) {
	ac := &e.actors[ai]
	ac.started = true
	if s := ac.service; s >= 0 {
		e.services[s].start(e.loop.Now)
		e.record(LogEvent{Kind: LogService, Entity: model.None, Actor: int32(ai), Failing: int32(e.services[s].failing)})
	}
	for r := range ac.reps {
		switch {
		case ac.a.Login != "" || ac.a.Token != nil || ac.a.ChildToken != nil:
			if !e.obtainToken(ai, r) {
				e.updateValidity(ai, r)
			}
		default:
			e.tokenChanged(ai, r)
		}
	}
}

// scheduleRetry retries a failed login or fetch with the agent's backoff.
func (e *Engine) scheduleRetry(ai, r int) {
	rep := &e.actors[ai].reps[r]
	if rep.retry {
		return
	}
	rp := e.actors[ai].a.Retry
	var delay model.Duration
	switch rp.Kind {
	case scenarios.RetryNever:
		return
	case scenarios.RetryBackoff:
		if rp.Attempts > 0 && int(rep.attempts) >= rp.Attempts {
			e.record(LogEvent{Kind: LogIssueFailed, Entity: model.None, Actor: int32(ai), Replica: int32(r),
				Err: fmt.Sprintf("gave up after %d attempts (retry.attempts)", rp.Attempts)})
			return
		}
		delay = rp.Delay(int(rep.attempts))
	default:
		delay = backoff(rep.attempts, e.draws[drawFault].Float64(Key{Class: KeyReplica, Actor: int32(ai), Replica: int32(r)}, uint64(rep.retries)))
		rep.retries++
	}
	rep.retry = true
	at := e.loop.Now.Add(delay)
	if rep.attempts < 255 {
		rep.attempts++
	}
	e.loop.Schedule(at, orderClient, evRetry, int32(ai), int32(r))
	e.queuedRetry(ai, r, at)
}

func (e *Engine) onRetry(ai, r int) {
	ac := &e.actors[ai]
	rep := &ac.reps[r]
	rep.retry = false
	ownToken := ac.a.Login != "" || ac.a.Token != nil || ac.a.ChildToken != nil
	ok := true
	switch {
	case ownToken && !e.alive(rep.token):
		ok = e.obtainToken(ai, r) // fetches the credential too
	case ac.a.Credential != "":
		ok = e.fetchLease(ai, r) // the read that failed, whatever prompted it
	}
	if !ok && ac.a.Retry.Kind == scenarios.RetryBackoff {
		e.scheduleRetry(ai, r) // next attempt, unless one is pending or they are used up
	}
}

// ---- the backend ends things (semantics.md §6) ----

func (e *Engine) onExpire(n model.NodeID, h Handle) {
	if e.ents[n].ended {
		return
	}
	e.ents[n].expiry = NoHandle
	// An ancestor ending at this same instant goes first: its cascade is the
	// root cause, whatever order the timers were queued in.
	root := n
	for p := e.hier.Parent(n); p != model.None; p = e.hier.Parent(p) {
		if at, ok := e.expiryAt(p); ok && at == e.loop.Now {
			root = p
		}
	}
	if root != n {
		e.dropExpiry(root)
		// n's own timer was popped already; it ends in root's cascade.
	}
	cause, by := e.expiryCause(root)
	e.endTree(root, cause, by)
}

// expiryCause tells a hard end from a plain expiry.
func (e *Engine) expiryCause(n model.NodeID) (EndCause, model.Layer) {
	g := e.grant(n)
	if end, hard := g.ExpiryEnd(e.loop.Now); hard {
		return MaxTTL, end.By
	}
	return Expired, g.TTLBy
}

// endTree ends n and, for a token, every descendant and lease indexed to
// it, in the backend's order (children first).
func (e *Engine) endTree(n model.NodeID, cause EndCause, by model.Layer) {
	e.cliffs.begin(e, n, cause, by)
	e.batchLosses()
	own := e.layers.ref(by)
	if e.ents[n].kind == entLease {
		e.hier.RevokeLease(n)
		e.ended(n, n, cause, own)
	} else {
		e.endSubtree(n, cause, own) // endrun.go
	}
	e.cliffs.end(e)
	e.afterEnd()
}

// ended records the end of one entity and cancels what was pending for it.
// (Cancelled now, in the cascade's order, the timers' slots are read about
// in the order they were allocated; left queued to be dropped when due, as
// tried, each costs a cache miss in timer order: 2M dropped timers took
// 240 ms against 30 ms of cancels here.)
func (e *Engine) ended(m, root model.NodeID, cause EndCause, by layerRef) {
	en := &e.ents[m]
	en.ended = true
	e.endPast(m, root, cause, by)
	if e.rc.on { // checked here: a cascade calls it per descendant
		e.endedRefs(m, root)
	}
	e.live--
	// Most have no reauth; a hard end's root, no expiry; a held expiry
	// (below NoHandle) is not queued.
	e.loop.Queue.Cancel(en.expiry)
	e.cancelClient(m)
	en.expiry = NoHandle
	e.cancelReauth(m)
	e.cliffs.add(e, m)
	if e.logging() {
		e.record(LogEvent{Kind: LogEnd, Entity: m, Cause: cause, By: e.layers.at(by), Root: root})
	}
	if e.rev != nil && en.kind == entLease {
		// Invalid for Vault now; the database user goes when its job runs.
		e.rev.ended(m, e.rev.actorMount(e, en.actor), e.loop.Now)
	} else if en.kind == entLease {
		e.released(m)
	}
	if !en.retired {
		if e.rc.on { // checked here: a cascade calls it per descendant
			e.endedInUse(m, en.actor)
		}
		l := loss{m, en.actor, en.replica}
		if e.lossBatch.on {
			// No log kept: the holder's validity changes now, while its
			// entity is at hand, not in a second pass (see afterEnd).
			e.lose(l)
		}
		if !e.lossBatch.on || e.reacts(l) {
			e.pendingLoss.add(l)
		}
	}
}

// ancestorRef is the layer n's descendants end by ("ancestor broker#1").
// Callers ask at the first descendant, so a token ending with none adds
// no layer, and a cascade interns it once, not once per descendant.
func (e *Engine) ancestorRef(n model.NodeID) layerRef {
	r := e.layers.ref(model.Layer{Kind: model.LayerAncestor, Name: e.EntityID(n)})
	if e.rc.on {
		e.rc.tok.namedBy(n, r) // released with n (recycle_tokens.go)
	}
	return r
}

// loss is an entity that ended while in use, with its holder: afterEnd
// reads a million of them after a cascade, sequentially, instead of
// loading each one's entity again.
type loss struct {
	n              model.NodeID
	actor, replica int32
}

// lose updates the validity of the holder of l.n, which just ended, and of
// the actors drawing on it when it was a replica's token.
func (e *Engine) lose(l loss) {
	ai, r := int(l.actor), int(l.replica)
	e.updateValidity(ai, r)
	if r == 0 && e.actors[ai].reps[0].token == l.n { // a lease is never a replica's token
		// Dependents draw on replica 0's token. Only those that hold
		// nothing of their own under it change now: a credential or child
		// token under it ended in this cascade with a loss of its own
		// (and a cascade a million replicas wide is not walked twice).
		for _, d := range e.actors[ai].dependents {
			if !e.validByViaToken(d) {
				continue
			}
			for dr := range e.actors[d].reps {
				e.updateValidity(d, dr)
			}
		}
	}
}

// reacts reports whether l's holder may do something about it after the
// cascade: retry: never reads nothing again.
func (e *Engine) reacts(l loss) bool {
	return e.actors[l.actor].a.Retry.Kind != scenarios.RetryNever
}

// afterEnd lets the holders of what just ended react, after the whole
// cascade: services lose validity; agents whose token died re-authenticate
// (§7.2: told the token is invalid); templates whose lease died re-read it
// when their token still works.
//
// With a log kept, validity changes here, one logged change per replica in
// the cascade's order. Without, ended applied them as they came (batched
// per service, lossBatch): validity reads only liveness, which a cascade
// only takes away, and every input a replica's validity reads ends with a
// loss of that replica (or its via actor's token) that updates it again, so
// each service gets the same changes at this one instant; and only the
// losses a holder reacts to were kept (TestCascadeShortcutsWithoutLog).
func (e *Engine) afterEnd() {
	lost := e.pendingLoss
	e.pendingLoss, e.lossSpare = e.lossSpare, blocks[loss]{}
	react := 0 // the ends a holder may react to, kept in lost[:react]
	applied := e.lossBatch.on
	for i := range lost.len() {
		l := *lost.at(i)
		if !applied {
			e.lose(l)
		}
		if e.reacts(l) {
			*lost.at(react) = l
			react++
		}
	}
	e.flushLosses()
	e.lossBatch.on = false
	defer func() { lost.reset(); e.lossSpare = lost }()
	for i := range react {
		l := *lost.at(i)
		ai, r := int(l.actor), int(l.replica)
		ac := &e.actors[ai]
		rep := &ac.reps[r]
		var lostToken bool
		switch l.n { // a replica's token and lease are different nodes
		case rep.token:
			lostToken = true
		case rep.lease:
		default:
			continue
		}
		// The holder re-reads per its retry policy (issue 11): at once by
		// default, never (consul-template#949), or after a backoff.
		reauths := ac.a.WhenExhausted.Kind == scenarios.ExhaustReauth
		switch ac.a.Retry.Kind {
		case scenarios.RetryBackoff:
			// A client that cannot log in again (consul-template with the
			// token it was given) has nothing to retry once its own token
			// is gone: re-reads would need it.
			ownDead := ac.a.OwnToken() && !e.alive(rep.token)
			if !ownDead || reauths {
				e.scheduleRetry(ai, r)
			}
		case scenarios.RetryDefault:
			if lostToken && reauths {
				e.obtainToken(ai, r)
			} else if !lostToken && ac.a.Refresh.Rereads() {
				e.fetchLease(ai, r)
			}
		}
	}
}

// revoke is an operator's revoke (tree) or revoke-orphan of n (§6.1, §6.3).
func (e *Engine) revoke(n model.NodeID, orphan bool) {
	if !e.alive(n) {
		return
	}
	if e.hier.Kind(n) == model.BatchToken {
		e.record(LogEvent{Kind: LogScriptFailed, Entity: n, Err: model.ErrBatchRevoke.Error()})
		return
	}
	if !orphan {
		e.endTree(n, Revoked, model.Layer{})
		return
	}
	e.cliffs.begin(e, n, Revoked, model.Layer{})
	e.batchLosses()
	var anc layerRef // the descendants' layer: named at the first one
	e.hier.RevokeOrphan(n, func(m model.NodeID) {
		if m == n {
			e.ended(m, n, Revoked, 0)
			return
		}
		if anc == 0 {
			anc = e.ancestorRef(n)
		}
		if e.ents[m].kind == entLease {
			e.ended(m, n, Cascade, anc)
		} else {
			e.ended(m, n, Orphaned, anc)
		}
	})
	e.cliffs.end(e)
	e.afterEnd()
}
