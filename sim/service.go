package sim

import (
	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// service tracks one actor that needs a valid credential (or token) to
// serve its demand. Demand is a rate, integrated over the intervals in
// which replicas lack what they need: no event per request.
type service struct {
	actor    int
	replicas int
	rate     float64 // requests per second per replica

	started bool
	failing int // replicas without a valid credential
	last    model.Instant
	failed  float64 // failed requests so far

	open    bool
	cur     Outage
	outages []Outage
}

// Outage is one window in which a service had replicas without a valid
// credential, from the first replica failing to the last one recovering.
type Outage struct {
	Service        string
	From, To       model.Instant
	Ongoing        bool // still failing at the horizon (To is the horizon)
	FailedRequests float64
	PeakFailing    int // most replicas failing at once
	Replicas       int
	failedAtOpen   float64
}

// Duration of the window.
func (o Outage) Duration() model.Duration { return o.To.Sub(o.From) }

func (s *service) start(now model.Instant) {
	s.started = true
	s.last = now
	s.failing = s.replicas
	s.change(now, 0) // opens a window; closed at once if replicas get credentials now
}

// change integrates demand up to now and applies a change in failing replicas.
func (s *service) change(now model.Instant, delta int) {
	s.failed += s.rate * float64(s.failing) * float64(now-s.last)
	s.last = now
	s.failing += delta
	switch {
	case s.failing > 0 && !s.open:
		s.open = true
		s.cur = Outage{From: now, Replicas: s.replicas, failedAtOpen: s.failed}
	case s.failing == 0 && s.open:
		s.open = false
		s.cur.To = now
		s.cur.FailedRequests = s.failed - s.cur.failedAtOpen
		if s.cur.To > s.cur.From { // a zero-length window is a hand-over, not an outage
			s.outages = append(s.outages, s.cur)
		}
	}
	if s.open && s.failing > s.cur.PeakFailing {
		s.cur.PeakFailing = s.failing
	}
}

func (s *service) finish(horizon model.Instant) {
	if !s.started {
		return
	}
	s.change(horizon, 0)
	if s.open && horizon > s.cur.From {
		s.cur.To, s.cur.Ongoing = horizon, true
		s.cur.FailedRequests = s.failed - s.cur.failedAtOpen
		s.outages = append(s.outages, s.cur)
	}
}

// updateValidity recomputes whether replica r of actor ai has what its
// demand needs — a live credential, or a live token when it has no
// credential — and feeds a change to its service.
func (e *Engine) updateValidity(ai, r int) {
	ac := &e.actors[ai]
	if ac.service < 0 || !ac.started {
		return
	}
	rep := &ac.reps[r]
	var valid bool
	switch {
	case ac.a.Credential != "":
		valid = e.alive(rep.lease)
	case !e.validByViaToken(ai):
		valid = e.alive(rep.token)
	default:
		valid = e.alive(e.baseToken(ai, r))
	}
	if valid == rep.valid {
		return
	}
	rep.valid = valid
	if !valid && e.lossBatch.on {
		if e.lossBatch.s != ac.service {
			e.flushLosses()
			e.lossBatch.s = ac.service
		}
		e.lossBatch.n++
		return
	}
	e.flushLosses()
	s := &e.services[ac.service]
	if valid {
		s.change(e.loop.Now, -1)
	} else {
		s.change(e.loop.Now, +1)
	}
	if e.logging() {
		e.record(LogEvent{Kind: LogService, Entity: model.None, Actor: int32(ai), Replica: int32(r), Failing: int32(s.failing)})
	}
}

// validByViaToken reports whether actor d's replicas are valid by their
// via actor's token itself, as updateValidity decides: no credential and
// no child token of their own.
func (e *Engine) validByViaToken(d int) bool {
	a := e.actors[d].a
	return e.actors[d].via >= 0 && a.Credential == "" && a.ChildToken == nil
}

// lossBatch gathers the replicas one service loses in a row at one instant
// (a cascade's losses, with no log kept: the log has a line per change),
// to apply them as one change. k changes of +1 at one instant are one of
// +k: the demand integral grows by rate·failing·0 after the first, the
// window opens at the first, the peak is the last.
type lossBatch struct {
	on   bool
	s, n int // service, replicas lost
}

// batchLosses starts gathering losses (only when no log is kept).
func (e *Engine) batchLosses() { e.lossBatch = lossBatch{on: !e.logging()} }

// flushLosses applies the gathered losses; gathering goes on if it was on.
func (e *Engine) flushLosses() {
	if b := &e.lossBatch; b.n > 0 {
		e.services[b.s].change(e.loop.Now, b.n)
		b.n = 0
	}
}

// onScript carries out one scripted operator action.
func (e *Engine) onScript(ev *scenarios.Event) {
	e.record(LogEvent{Kind: LogScript, Entity: model.None, Note: scriptNote(ev)})
	switch ev.Do {
	case scenarios.EventReauth:
		ai := e.byName[ev.Actor]
		for r := range e.actors[ai].reps {
			e.obtainToken(ai, r)
		}
	case scenarios.EventRevoke, scenarios.EventRevokeOrphan:
		ai := e.byName[ev.Actor]
		for r := range e.actors[ai].reps {
			n := e.actors[ai].reps[r].token
			if ev.What == scenarios.WhatCredential {
				n = e.actors[ai].reps[r].lease // sys/leases/revoke
			}
			e.revoke(n, ev.Do == scenarios.EventRevokeOrphan)
		}
	case scenarios.EventRenew:
		ai := e.byName[ev.Actor]
		for r := range e.actors[ai].reps {
			n := e.actors[ai].reps[r].token
			if ev.What == scenarios.WhatCredential {
				n = e.actors[ai].reps[r].lease
			}
			e.operatorRenew(n, ev.Increment, ai, r)
		}
	case scenarios.EventTune, scenarios.EventRole:
		e.b.Apply(ev)
	case scenarios.EventDeploy:
		for ai := range e.actors {
			ac := &e.actors[ai]
			if (ev.Actor == "" && ac.service >= 0) || ac.a.Name == ev.Actor {
				e.restart(ai)
			}
		}
	case scenarios.EventOutage:
		e.outage = true
		e.outageUntil = max(e.outageUntil, ev.Until)
		e.loop.Schedule(ev.Until, orderScript, evOutageEnd, 0, 0)
	}
}

// operatorRenew is `vault token renew -increment=D` or `vault lease renew
// -increment=D` by an operator (semantics.md §4, §5.2): it moves the
// expiry, never the hard end; a capped grant carries Vault's warning into
// the log. The holder's own renewal schedule is left as it was.
func (e *Engine) operatorRenew(n model.NodeID, inc model.Duration, ai, r int) {
	fail := func(msg string) {
		e.record(LogEvent{Kind: LogScriptFailed, Entity: n, Actor: int32(ai), Replica: int32(r), Err: msg})
	}
	switch {
	case !e.alive(n):
		n = model.None
		fail("nothing to renew: it holds no live token or credential")
	case e.outage:
		fail("backend unavailable")
	default:
		if _, err := e.renewOnce(n, inc); err != nil {
			fail(err.Error())
		}
	}
}

// restart is a deploy: every replica starts afresh, logging in or reading
// its credentials anew. Nothing it held before is revoked.
func (e *Engine) restart(ai int) {
	ac := &e.actors[ai]
	if !ac.started {
		return
	}
	for r := range ac.reps {
		switch {
		case ac.a.Login != "" || ac.a.Token != nil || ac.a.ChildToken != nil:
			e.obtainToken(ai, r)
		case ac.a.Credential != "":
			e.fetchLease(ai, r)
		}
	}
}

func scriptNote(ev *scenarios.Event) string {
	names := [...]string{"", "reauth", "revoke", "revoke-orphan", "tune", "role", "deploy", "outage", "renew", "database-outage", "slowdown"}
	n := names[ev.Do]
	if ev.What == scenarios.WhatCredential {
		n += " credential"
	}
	switch {
	case ev.Actor != "":
		n += " " + ev.Actor
	case ev.Mount != "":
		n += " " + ev.Mount
	case ev.Role != "":
		n += " " + ev.Role
	}
	for _, f := range ev.Set {
		n += " " + f.Field + "=" + f.Value.String()
	}
	if ev.Do == scenarios.EventRenew {
		n += " increment=" + ev.Increment.String()
	}
	return n
}
