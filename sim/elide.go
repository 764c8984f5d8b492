package sim

// Exact elision of uneventful renewals (issue 10, item 3; docs/elision.md).
//
// A lease whose holder renews it with a fixed step, and whose grant does
// not change from one renewal to the next (same TTL, not cut short by the
// hard end, no warning), goes through renewals that change nothing but its
// expiry. When nothing else can touch the lease in that stretch, the
// engine does them in one go: it counts them as events (Result.Events is
// the event-by-event count), leaves the lease as the last of them left it,
// and schedules a real renewal again only where something can happen.
//
// Nothing else can touch the lease, up to the next scripted event (tune,
// role write, revoke, outage, deploy…: every change of role or mount values
// is one), when every token it depends on cannot end or be replaced: its ancestors,
//     its replica's own token and its via actor's token, recursively, are
// each a non-expiring root token or a periodic token without hard end
// renewed by a watcher whose next renewal grants what the last one did
// (model.RenewalGrant says so), with no retry or proactive reauth pending
// for those replicas.
//
// The stretch ends at the horizon, before the next scripted event or before
// the first renewal the hard end would cap, whichever comes first; the
// model's LeaseRenewalGrant (LeaseRenewal.GrantAt, precomputed per shape)
// computes the grant at its last renewal and must give the same grant,
// else nothing is elided. When the stretch ends before
// the horizon, the lease resumes: its first capped renewal, or when a
// scripted event comes before that, its last elideMargin steady renewals,
// are simulated as events, the first of them queued at the place among
// ties it has event by event (resume.go), in runs where that place is known.
//
// Elision is off when something needs every event: Options.Exact,
// Options.Observe, and an event log at level all (the lifecycle level
// leaves out the lease renewals elided here).

import (
	"slices"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// elideMargin is how many steady renewals stay events when a lease
// resumes where a scripted event comes before its next renewal: the first
// resumed renewal is steady, so it takes the lease's expiry's place among
// ties (Queue.TakeSeq) where event by event it does, before the script can
// stop the chain and let that expiry run (an outage, a re-login that
// retires the lease). When the cap ends the stretch and no script comes
// before the first capped renewal, nothing can stop the chain before it
// (upstreamQuiet), and that renewal, resumed, moves the expiry itself:
// no steady renewal stays an event.
const elideMargin = 1

// elides reports whether a run with these options may elide renewals.
func (o Options) elides() bool {
	if o.Exact || o.Observe != nil {
		return false
	}
	logs := o.RecordLog || o.LogTo != nil
	return !logs || o.LogLevel != LogAll
}

// elision is the engine's elision state.
type elision struct {
	on      bool
	scripts []model.Instant // scripted events' instants, in order
	elided  int64           // renewals elided (counted in loop.Processed too)
	memo    immortalMemo
	resume  resumption // leases queued again where event by event they run (resume.go)
}

// immortalMemo is the last immortal answer: a fleet's leases, renewed at
// many instants between two renewals of their broker's token, ask it of
// the same token. The answer depends on the token's state, which a renewal
// changes (and with it the expiry and the pending renewal's instant), and
// on the backend's mounts and roles, which only a scripted event changes
// (Backend.version); so those are its key, not the instant.
type immortalMemo struct {
	t               model.NodeID
	expire, renewAt model.Instant
	version         uint64
	ok, set         bool
}

func newElision(s *scenarios.Scenario, opts Options) elision {
	el := elision{on: opts.elides(), scripts: make([]model.Instant, len(s.Events))}
	for i := range s.Events {
		el.scripts[i] = s.Events[i].At
	}
	slices.Sort(el.scripts)
	if el.on && tracked(s) {
		el.resume.init()
	}
	return el
}

// nextScript is the instant of the first scripted event after now, by the
// horizon, if any. (Those at now have run: they come before the clients'
// events.)
func (e *Engine) nextScript(now model.Instant) (model.Instant, bool) {
	i, _ := slices.BinarySearch(e.el.scripts, now+1)
	if i == len(e.el.scripts) || e.el.scripts[i] > e.loop.Horizon {
		return 0, false
	}
	return e.el.scripts[i], true
}

// nextRenewal schedules lease or token n's next renewal step from now,
// after a renewal that granted g, or elides the steady renewals ahead.
func (e *Engine) nextRenewal(n model.NodeID, g *model.Grant, step model.Duration) {
	if e.elideRenewals(n, g, step) {
		return
	}
	e.setClient(n, e.loop.Now.Add(step))
}

// fixedStep reports whether a renewal policy's steps stay the same while
// the grant does: no random jitter drawn per renewal.
func fixedStep(p scenarios.RenewPolicy) bool {
	switch p.Kind {
	case scenarios.RenewWatcher, scenarios.RenewEvery:
		return true
	case scenarios.RenewFraction:
		return p.Jitter == 0
	}
	return false
}

// elideRenewals does lease n's steady renewals ahead at once, when it can
// prove them steady and untouched (see the top of this file). The renewal
// just made at now granted g; the next is due at now+step.
func (e *Engine) elideRenewals(n model.NodeID, g *model.Grant, step model.Duration) bool {
	en := &e.ents[n]
	now := e.loop.Now
	if !e.el.on || en.kind != entLease || e.loop.Stopping() {
		return false
	}
	p := e.renewPolicy(n)
	s := e.lease(n)
	if !fixedStep(p) || s.BatchClamped() || g.Warnings != (model.Warnings{}) || !g.HasHardEnd || step >= g.TTL {
		return false
	}
	// Renewal k (at now + k·step) is uncapped while it ends by the hard
	// end, and steady while no scripted event came before it.
	last := min(e.loop.Horizon, g.HardEnd.Add(-g.TTL))
	script, scripted := e.nextScript(now)
	if scripted {
		last = min(last, script-1)
	}
	if last < now.Add(step) {
		return false
	}
	k := int64(last.Sub(now) / step)
	next := now.Add(model.Duration(k+1) * step) // the first renewal not elided
	resume := next <= e.loop.Horizon
	if resume && scripted && script <= next {
		k -= elideMargin // a script may stop the chain before next: see elideMargin
	}
	if k < 1 || (resume && !e.el.resume.on) || !e.upstreamQuiet(n) {
		return false
	}
	var run chainRun
	if resume {
		if run = e.nextRun(n, now.Add(step)); run.shared {
			return false
		}
	}
	at := now.Add(model.Duration(k) * step) // the last elided renewal
	if gk, ok := e.leaseRenewal(n, p.Increment).GrantAt(*s, at); ok {
		if gk != *g { // the shape's own grant: a fleet's leases take this path
			return false
		}
	} else {
		role := e.b.SecretsRole(e.policyOf(n).Credential)
		l := e.forms.Unpack(*s)
		if gk, err := model.LeaseRenewalGrant(&l, e.b.View(role.Mount), *role, p.Increment, at); err != nil || gk != *g {
			return false
		}
	}
	// The lease as that renewal leaves it: the same grant, a later expiry.
	s.RegrantAt(at)
	e.loop.Processed += k
	e.loop.Elided += k
	e.el.elided += k
	if resume {
		// Its expiry goes where its last elided renewal puts it, held
		// (timer.go); the first resumed renewal, steady, moves it again.
		e.moveExpiry(n, s.ExpireTime())
		e.resumeAfter(n, at, step, run)
		return true
	}
	// Nothing renews it before the horizon, and it cannot expire by then.
	e.dropExpiry(n)
	return true
}

// upstreamQuiet reports whether no token lease n depends on can end or be
// replaced before the next scripted event.
func (e *Engine) upstreamQuiet(n model.NodeID) bool {
	parent := e.hier.Parent(n)
	for p := parent; p != model.None; p = e.hier.Parent(p) {
		if !e.immortal(p) {
			return false
		}
	}
	en := &e.ents[n]
	return e.replicaQuiet(int(en.actor), int(en.replica), parent)
}

// replicaQuiet: replica r of actor ai keeps its tokens, and so does the
// first replica of its via actor (whose new token would make it re-read).
// Token known was found immortal just now (a fleet's leases hang under
// their via actor's token): immortal is not asked again.
func (e *Engine) replicaQuiet(ai, r int, known model.NodeID) bool {
	ac := &e.actors[ai]
	if t := ac.reps[r].token; ac.reps[r].retry || (ac.a.OwnToken() && (t == model.None || t != known) && !e.immortal(t)) {
		return false
	}
	if ac.via >= 0 {
		return e.replicaQuiet(ac.via, 0, known)
	}
	return true
}

// immortal reports whether token t lives on unchanged until a scripted
// event: a non-expiring root token, or a token renewed by a watcher whose
// pending renewal comes before its expiry and grants, by the model, what
// the last one did with no hard end — so every later one does too.
func (e *Engine) immortal(t model.NodeID) bool {
	if !e.alive(t) {
		return false
	}
	en := &e.ents[t]
	if en.kind == entLease || en.retired || e.reauthOf(t) != NoHandle {
		return false
	}
	tok := e.token(t)
	if tok.NoExpiry {
		return true
	}
	var renewAt model.Instant = -1
	if c, ok := e.clientEvent(t); ok {
		renewAt = c.At
	}
	m := &e.el.memo
	if !m.set || m.t != t || m.expire != tok.ExpireTime || m.renewAt != renewAt || m.version != e.b.version {
		*m = immortalMemo{t: t, expire: tok.ExpireTime, renewAt: renewAt, version: e.b.version, ok: e.steadyToken(t), set: true}
	}
	return m.ok
}

// steadyToken is immortal's answer for a live, unreplaced token t with an
// expiry.
func (e *Engine) steadyToken(t model.NodeID) bool {
	en := &e.ents[t]
	tok := e.token(t)
	p := e.renewPolicy(t)
	if p.Kind != scenarios.RenewWatcher || !tok.Renewable || tok.Type == model.TokenBatch {
		return false
	}
	c, ok := e.clientEvent(t)
	x, ok2 := e.expiryAt(t)
	if !ok || !ok2 || c.Kind != evRenew || c.At >= x {
		return false
	}
	g, err := model.RenewalGrant(tok, e.b.View(tok.Mount), e.renewRoles(tok), p.Increment, c.At)
	return err == nil && !g.HasHardEnd && g.Warnings == (model.Warnings{}) && g.TTL == e.tokenState(t).lastDur &&
		float64(g.TTL) > 4*en.grace && watcherSleep(g.TTL, en.grace) < g.TTL
}

// renewRoles are the current roles a renewal of t reads (§4).
func (e *Engine) renewRoles(t *model.Token) model.RenewRoles {
	roles := model.RenewRoles{}
	if t.Origin == model.FromLogin {
		roles.Auth = e.b.AuthRole(t.Role)
	} else if t.Role != "" {
		roles.Token = e.b.TokenRole(t.Role)
	}
	return roles
}
