package sim

// The event-by-event engine's hot path: what a renewal of one of a
// million leases needs ready (docs/performance.md).

import (
	"unsafe"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// shape is an actor's lease renewal precomputed (model.LeaseRenewal): its
// credential's secrets role and mount view, with the increment its leases
// are renewed by, as they stand at the backend's version.
type shape struct {
	version uint64
	inc     model.Duration
	r       *model.LeaseRenewal
}

// leaseRenewal is the precomputed renewal of lease n asking for inc, made
// again when a tune or role write changed the backend since, or the
// increment differs.
func (e *Engine) leaseRenewal(n model.NodeID, inc model.Duration) *model.LeaseRenewal {
	ai := e.ents[n].actor
	if r := e.freshRenewal(ai, inc); r != nil {
		return r
	}
	return e.newShape(ai, inc)
}

// freshRenewal is actor ai's renewal by inc if the one made last is still
// right, else nil (small enough to inline into the renewal's hot path).
func (e *Engine) freshRenewal(ai int32, inc model.Duration) *model.LeaseRenewal {
	if uint(ai) < uint(len(e.shapes)) {
		if s := &e.shapes[ai]; s.fresh(e.b.version, inc) {
			return s.r
		}
	}
	return nil
}

// fresh reports whether s is the renewal by inc at the backend's version.
func (s *shape) fresh(version uint64, inc model.Duration) bool {
	return s.r != nil && s.version == version && s.inc == inc
}

// newShape makes actor ai's renewal shape afresh.
func (e *Engine) newShape(ai int32, inc model.Duration) *model.LeaseRenewal {
	if e.shapes == nil {
		e.shapes = make([]shape, len(e.actors))
	}
	s := &e.shapes[ai]
	role := e.b.SecretsRole(e.actors[ai].a.Credential)
	*s = shape{version: e.b.version, inc: inc, r: model.NewLeaseRenewal(e.b.View(role.Mount), *role, inc, &e.forms)}
	return s.r
}

// warmRun prefetches an elided lease's run, which handling its event
// reads (resume.go; Loop.Warm: the loop prefetches the entity itself).
func (e *Engine) warmRun(target int32) {
	if r := &e.el.resume; uint(target) < uint(len(r.runs)) {
		prefetch(unsafe.Pointer(&r.runs[target]))
	}
}

// warmLease prefetches what queueing elided lease n again reads and
// writes (its entity, run and keyed timer): the pass that will is mostly a
// few events away, and a fleet re-read at its caps has each lease alone
// at its instants, so that the loop's warming of same-instant stretches
// never reaches it.
func (e *Engine) warmLease(n model.NodeID) {
	runs, timers := e.el.resume.runs, e.loop.Queue.timers
	if uint(n) < uint(len(e.ents)) && uint(n) < uint(len(runs)) && uint(n) < uint(len(timers)) {
		prefetch2(unsafe.Pointer(&e.ents[n]), unsafe.Pointer(&runs[n]))
		prefetch(unsafe.Pointer(&timers[n]))
	}
}

// reserve sizes the entity, lease and token arrays and the queue for the
// credentials and tokens the actors hold at once, so that the first
// issues do not copy them over and over as they grow. It is a hint only:
// re-reads and re-logins append beyond it (or, recycling, take the slots
// of retired ones).
func (e *Engine) reserve() {
	var leases, tokens int
	for i := range e.actors {
		a := e.actors[i].a
		reps := len(e.actors[i].reps)
		if a.Credential != "" {
			leases += reps
		}
		if a.OwnToken() {
			tokens += reps
		}
	}
	live := min(int64(leases+tokens), e.budgets.Live)
	more := e.rereads() // the credentials re-read later (issue.go): sized once, not doubled
	if e.rc.on {
		// Re-read generations give their slots back (recycle.go): room for
		// the live set and the retired ones not yet ended or released,
		// which may be one whole generation (a fleet re-read once, each
		// old lease ending after its successor's issue, recycles nothing;
		// reserving less, its arrays doubled past their size: 868 MB
		// instead of 598 for the 1M-lease year).
		more = min(more, live+64)
	}
	ents := min(live+more, e.budgets.Entities)
	e.ents = make([]entity, 0, ents)
	e.cold = make([]entityCold, 0, ents)
	if e.rc.on {
		e.rc.serials = make([]uint32, 0, ents)
	}
	e.hier.Reserve(int(ents))
	e.capped = make([]CappedRenewal, 0, min(more, ents)) // a watched lease re-read at its cap was capped first
	e.past = make([]entityPast, 0, min(more, ents))      // and replaced, and ended
	e.tokens = make([]model.Token, 0, min(int64(tokens), ents))
	e.toks = make([]tokenState, 0, min(int64(tokens), ents))
	// Renewal chains are keyed timers; slots hold the expiries that are
	// queued, not held (timer.go): mostly those of re-read credentials,
	// waiting beside their successors'.
	e.loop.Queue.reserveTimers(int(ents))
	e.loop.Queue.reserve(int(min(ents, more+live/64+64)))
	if e.el.resume.on {
		e.el.resume.runs = make([]chainRun, 0, ents)
	}
}

// entKind is an entity's EntityKind in one byte: the entity array holds no
// strings, so the garbage collector never scans it.
type entKind uint8

// The kinds of entity.
const (
	entToken      entKind = iota // KindToken
	entChildToken                // KindChildToken
	entLease                     // KindLease
)

// EntityKind is k's name.
func (k entKind) EntityKind() EntityKind {
	return [...]EntityKind{KindToken, KindChildToken, KindLease}[k]
}

// layerRef is a layer in the engine's layerTable: how an entity keeps
// the layer that ended it without a string.
type layerRef uint32

// layerTable interns the layers entities end by. Its zero value is ready,
// and its ref 0 is the zero Layer. A run has few of them: the layers of
// its roles and mounts, and one per cascade's ancestor. A recycling run
// releases an ancestor's layer with its token (freeToken), so a fleet
// re-authenticating for a year does not keep one per token generation.
type layerTable struct {
	layers []model.Layer
	folded []layerRef // by ref: the layer a fold groups it under (foldLayer)
	refs   map[model.Layer]layerRef
	free   []layerRef // released refs, for the next new layer
	last   layerRef   // a cascade asks for the same layer a million times
}

// ref is l's ref, l added if new.
func (t *layerTable) ref(l model.Layer) layerRef {
	if l == (model.Layer{}) {
		return 0
	}
	if t.last != 0 && t.layers[t.last-1] == l {
		return t.last
	}
	r, ok := t.refs[l]
	if !ok {
		if t.refs == nil {
			t.refs = map[model.Layer]layerRef{}
		}
		f := foldLayer(l)
		var fr layerRef
		if f != l {
			fr = t.ref(f) // a group's layer: never released
		}
		if k := len(t.free); k > 0 {
			r, t.free = t.free[k-1], t.free[:k-1]
			t.layers[r-1] = l
		} else {
			t.layers = append(t.layers, l)
			t.folded = append(t.folded, 0)
			r = layerRef(len(t.layers))
		}
		if fr == 0 {
			fr = r
		}
		t.folded[r-1] = fr
		t.refs[l] = r
	}
	t.last = r
	return r
}

// at is the layer r names.
func (t *layerTable) at(r layerRef) model.Layer {
	if r == 0 {
		return model.Layer{}
	}
	return t.layers[r-1]
}

// fold is the ref of the layer a fold groups r's under (foldLayer).
func (t *layerTable) fold(r layerRef) layerRef {
	if r == 0 {
		return 0
	}
	return t.folded[r-1]
}

// release frees r, which nothing names any more, for another layer.
func (t *layerTable) release(r layerRef) {
	delete(t.refs, t.layers[r-1])
	t.layers[r-1], t.folded[r-1] = model.Layer{}, 0
	t.free = append(t.free, r)
	if t.last == r {
		t.last = 0
	}
}

// len is how many layers the table holds.
func (t *layerTable) len() int { return len(t.refs) }

// runInstant is an instant of the run in 4 bytes, for what only reports
// read: the loop's instants lie in [0, horizon], and the longest horizon
// fits (the conversion below does not compile otherwise).
type runInstant uint32

const _ = runInstant(scenarios.MaxHorizon)

// runAt is t, an instant the loop has reached, in 4 bytes.
func runAt(t model.Instant) runInstant { return runInstant(t) }

// Instant is t as the model's instant.
func (t runInstant) Instant() model.Instant { return model.Instant(t) }

// renewFast handles entity n's keyed timer event (evClient) when it is
// a lease renewal renewLeaseFast takes, as dispatch would by clientKind
// and onRenew, without their checks for other events on the way. It
// returns false otherwise, having changed nothing but n's client, which
// onRenew and onRefresh clear first too.
func (e *Engine) renewFast(n model.NodeID) bool {
	en := &e.ents[n]
	if en.ended || en.retired || e.el.on {
		return false // e.el.on: dispatch's handling reads n first
	}
	en.client = NoHandle
	return e.renewLeaseFast(n, en) // false for an evRefresh's lease too
}

// renewLeaseFast is onRenew for the common event of a large fleet: a lease
// renewed by its watcher, by the model's precomputed path (not capped),
// with no log kept, nothing elided and the expiry held (timer.go). It
// does what onRenew's general path does in that case, in the same order
// and taking the same seqs, minus what cannot happen there: no grant is
// unpacked (the watcher needs only the TTL), and n is marked unsettled
// only when its next renewal does not come before its new expiry. It
// returns false, having changed nothing, when the case is not that one.
func (e *Engine) renewLeaseFast(n model.NodeID, en *entity) bool {
	if en.kind != entLease || e.outage || e.el.on || e.tm.queueAll || e.logging() {
		return false
	}
	if _, held := heldSeq(en.expiry); !held {
		return false
	}
	ai := en.actor
	a := e.actors[ai].a
	var inc model.Duration
	switch a.Refresh.Kind {
	case scenarios.RefreshRenewBy:
		if a.Refresh.Renew.Kind != scenarios.RenewWatcher {
			return false
		}
		inc = a.Refresh.Renew.Increment
	case scenarios.RefreshEvery, scenarios.RefreshFraction:
		return false // its client event is evRefresh (clientKind)
	}
	s := &en.lease
	last := s.TTL() // the watcher's last TTL (lastDur)
	now := e.loop.Now
	r := e.freshRenewal(ai, inc)
	if r == nil {
		r = e.newShape(ai, inc)
	}
	if !r.Renew(s, now) {
		return false
	}
	// renewOnce's moveExpiry: the expiry stays held, with a new seq.
	q := &e.loop.Queue
	seq := q.TakeSeq() // first: renumbering pushes the held ones
	if en.expiry > NoHandle {
		q.Cancel(en.expiry) // pushed by a renumber just now
	}
	en.expiry = ^Handle(seq)
	en.attempts = 0
	ttl := s.TTL()
	if ttl > last {
		en.grace = e.watcherGrace(n, ttl, inc)
	}
	if float64(ttl) <= 4*en.grace {
		e.unsettle(n)
		e.done(n)
		return true
	}
	at := now.Add(watcherSleep(ttl, en.grace))
	if at >= s.ExpireTime() {
		e.unsettle(n) // settle queues the expiry (clientMoved)
	}
	q.SetTimer(int32(n), at, orderClient)
	en.client = clientQueued
	return true
}
