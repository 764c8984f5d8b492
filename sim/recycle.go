package sim

import (
	"cmp"
	"slices"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Recycling credentials' slots (Options.Recycle; docs/engine.md).
//
// A run keeps an entity's slot — its entity line, cold record, hierarchy
// node, keyed timer, chain run, past and capped record, all indexed by its
// NodeID — for as long as something may read it. A lease that ended and
// that the revoker is done with (its job revoked, or at its end with the
// instant model) is read by nothing again but the reports, once:
//
//   - its holder moved on: it was replaced before it ended (retired), or
//     its replica has read a newer one since (movedOn) — until then the
//     replica names it as its credential;
//   - the instant it ended is over, when it ended in use: a cascade's
//     losses, the cliff tracker's group and the holders' reactions all
//     read it at that instant;
//   - no report lists it by name: a cliff's first roots and the first ends
//     in use that began an outage are pinned (recycle_pins.go), and keep
//     their slots to the end.
//
// Its timers were cancelled when it ended, no cascade or loss names it
// after its instant, and a cascade's descendants that share its past
// record count their sharers (recycler.shares). So, once its facts are
// folded (fold.go), its slot goes to the next lease issued, and memory
// follows the live set, not every generation a fleet issued or lost.
//
// Tokens are recycled too, once nothing kept names them: recycle_tokens.go.
// A run that keeps its event log in memory (RecordLog) names entities only
// when it ends, so it recycles nothing.
//
// Slots are recycled when the next lease is issued (fetchLease), not where
// they become free: a cascade ends a lease while the hierarchy's walk is
// still going through its siblings, and the revoker finishes jobs while the
// engine is busy with an event. A lease whose elided renewals are waiting
// to be queued again (resume.go's pending blocks) is parked until they
// are.

// recycler is the engine's state for recycling slots.
type recycler struct {
	on       bool           // Options.Recycle, and no log kept in memory
	after    uint32         // recycle once more than this many entities were issued
	issued   uint32         // entities issued: the next one's serial
	serials  []uint32       // by slot, its entity's serial (only when on: else a serial is the slot)
	ready    []model.NodeID // leases ended, released and moved on from, to recycle
	pasts    []int32        // free indexes of Engine.past
	capped   []int32        // free indexes of Engine.capped
	recycled int64          // slots recycled so far
	inUse    int64          // of them, leases that ended in use (tokens: tok.freed)

	// later are leases that ended in use at instant laterAt, released and
	// moved on from at that instant: ready once it is over.
	later   []model.NodeID
	laterAt model.Instant
	// waiting marks, by slot, the leases ended in use and released that
	// their replica still holds: ready once it reads another (movedOn).
	waiting bitset
	// shares counts, by past index + 1, the entities sharing that past
	// beyond the first (endPast): it is freed with the last of them.
	shares map[int32]int32
	pins   pins // the entities the reports list by name (recycle_pins.go)
	tok    tokenRecycler
}

func newRecycler(opts Options, s *scenarios.Scenario) recycler {
	after := uint32(min(max(opts.RecycleAfter, 0), int64(^uint32(0))))
	rc := recycler{on: opts.Recycle && !opts.RecordLog, after: after}
	if rc.on {
		rc.tok.init(s)
	}
	return rc
}

// serialOf is entity n's issue serial: the order in which the run issued
// its entities, which reports list and fold by. A recycled slot's new
// entity has a later serial than every entity issued before it; without
// recycling a serial is its NodeID, and a run that may not recycle keeps
// no serials (4 bytes per entity).
func (e *Engine) serialOf(n model.NodeID) uint32 {
	if e.rc.on {
		return e.rc.serials[n]
	}
	return uint32(n)
}

// issue gives the entity just issued in slot n the next serial.
func (rc *recycler) issue(n model.NodeID) {
	if rc.on {
		if int(n) == len(rc.serials) {
			rc.serials = push(rc.serials, rc.issued)
		} else {
			rc.serials[n] = rc.issued
		}
	}
	rc.issued++
}

// kept is every entity that still holds a slot, in issue (serial) order:
// all of them when nothing was recycled.
func (e *Engine) kept() []model.NodeID {
	out := make([]model.NodeID, 0, len(e.ents)-e.hier.Free())
	for i := range e.ents {
		if n := model.NodeID(i); e.rc.recycled == 0 || !e.hier.Released(n) {
			out = append(out, n)
		}
	}
	if e.rc.recycled > 0 {
		slices.SortFunc(out, func(a, b model.NodeID) int { return cmp.Compare(e.serialOf(a), e.serialOf(b)) })
	}
	return out
}

// keptCount is how many entities hold a slot: what the entity budget
// bounds (budget.go).
func (e *Engine) keptCount() int64 { return int64(len(e.ents) - e.hier.Free()) }

// released: the revoker will never read lease n again (revoker.released),
// or n ended with no revoker. Once its holder moved on, and, if it ended
// in use, its instant is over, it may be recycled.
func (e *Engine) released(n model.NodeID) {
	if e.rc.on { // inlined: a cascade calls it per descendant
		e.releasedSlot(n)
	}
}

// releasedSlot is released in a run that recycles.
func (e *Engine) releasedSlot(n model.NodeID) {
	en := &e.ents[n]
	switch {
	case en.retired:
		e.rc.ready = append(e.rc.ready, n)
	case e.actors[en.actor].reps[en.replica].lease == n:
		e.rc.waiting.set(int(n))
	default:
		e.readyInUse(n)
	}
}

// movedOn: old, a replica's credential that ended, is no longer its
// credential (the replica read a newer one). Released, it may be recycled.
func (e *Engine) movedOn(old model.NodeID) {
	if e.rc.on && e.rc.waiting.has(int(old)) {
		e.rc.waiting.clear(int(old))
		e.readyInUse(old)
	}
}

// readyInUse makes lease n, which ended in use, ready to recycle: at once
// if its instant is over, else once it is (later).
func (e *Engine) readyInUse(n model.NodeID) {
	rc := &e.rc
	now := e.loop.Now
	if len(rc.later) > 0 && rc.laterAt < now {
		rc.ready = append(rc.ready, rc.later...)
		rc.later = rc.later[:0]
	}
	if e.pastOf(n).endAt.Instant() < now {
		rc.ready = append(rc.ready, n)
		return
	}
	rc.later, rc.laterAt = append(rc.later, n), now
}

// recyclable says whether fetchLease and obtainToken have slots to
// recycle.
func (rc *recycler) recyclable() bool {
	return len(rc.ready) > 0 || len(rc.later) > 0 || len(rc.tok.maybe) > 0
}

// sharers is how many entities share past i beyond the one being freed.
func (rc *recycler) sharers(i int32) int32 {
	if len(rc.shares) == 0 {
		return 0
	}
	return rc.shares[i]
}

// share counts k more entities sharing past i (1 + its index), when
// recycling: endPast and a cascade's run hand one past to many.
func (rc *recycler) share(i, k int32) {
	if rc.on && i > 0 && k > 0 {
		if rc.shares == nil {
			rc.shares = map[int32]int32{}
		}
		rc.shares[i] += k
	}
}

// recycle frees the slots of the leases ready, once the run issued more
// than RecycleAfter entities: fetchLease's next lease then takes one.
// First it decides which ends of the instants over the reports list by
// name (pins): those are kept.
func (e *Engine) recycle() {
	rc := &e.rc
	if rc.issued <= rc.after {
		return
	}
	now := e.loop.Now
	e.decidePins(now)
	if len(rc.later) > 0 && rc.laterAt < now {
		rc.ready = append(rc.ready, rc.later...)
		rc.later = rc.later[:0]
	}
	for _, n := range rc.ready {
		if e.el.resume.on && int(n) < len(e.el.resume.runs) {
			if c := &e.el.resume.runs[n]; c.pending > 0 {
				c.parked = true // unblocked puts it back when its blocks are queued
				continue
			}
		}
		en := &e.ents[n]
		if !en.retired {
			if rc.pins.pinned.has(int(n)) {
				continue // listed by name: kept to the end
			}
			rc.inUse++
		}
		e.fold.add(e, n)
		e.free(n)
	}
	rc.ready = rc.ready[:0]
	if len(rc.tok.maybe) > 0 {
		e.recycleTokens(now)
	}
}

// unblocked: a pending block listing these leases was queued. A lease
// whose last one it was, if parked waiting for them, is ready again.
func (e *Engine) unblocked(leases []model.NodeID) {
	for _, n := range leases {
		c := &e.el.resume.runs[n]
		if c.pending--; c.pending == 0 && c.parked {
			c.parked = false
			e.rc.ready = append(e.rc.ready, n)
		}
	}
}

// free gives lease or token n's slot and records up for the next entity
// of its sort: every record indexed by n is reset, its past (unless other
// entities share it) and capped record go to their free lists, and the
// tokens it named as its parent and its cascade's root hold one reference
// less. A token's model.Token and tokenState stay with its slot, for the
// next token in it.
func (e *Engine) free(n model.NodeID) {
	en := &e.ents[n]
	lease := en.kind == entLease
	if !en.ended || en.expiry != NoHandle || en.client != NoHandle || e.reauthOf(n) != NoHandle ||
		(lease && e.actors[en.actor].reps[en.replica].lease == n) ||
		(!lease && e.actors[en.actor].reps[en.replica].token == n) {
		panic("sim: recycling an entity that did not end, has something pending, or is still its replica's")
	}
	p := e.pastOf(n)
	if en.parent != model.None {
		e.unref(en.parent)
	}
	if p.root != model.None && p.root != n {
		e.unref(p.root)
	}
	if i := *e.pastRef(n); i > 0 {
		if k := e.rc.sharers(i); k > 0 {
			// Others still read it: the last of them frees it.
			if k == 1 {
				delete(e.rc.shares, i)
			} else {
				e.rc.shares[i] = k - 1
			}
		} else {
			p := &e.past[i-1]
			if c := p.capped; c > 0 {
				e.capped[c-1] = CappedRenewal{}
				e.rc.capped = append(e.rc.capped, c)
			}
			*p = noPast
			e.rc.pasts = append(e.rc.pasts, i)
			if e.sharedPast == i {
				e.sharedPast = 0
			}
		}
	}
	e.loop.Queue.CancelTimer(int32(n))
	if r := &e.el.resume; int(n) < len(r.runs) {
		r.runs[n] = chainRun{}
	}
	if lease {
		*en = entity{kind: entLease, retired: true, ended: true, expiry: NoHandle, client: NoHandle}
	} else {
		e.freeToken(n)
	}
	e.hier.Release(n) // its cold record and serial are written afresh when reused (newEntity)
	e.rc.recycled++
}

// newPast is a new past record p's index + 1: a freed one if any.
func (e *Engine) newPast(p entityPast) (i int32) {
	e.past, i = takeFree(e.past, &e.rc.pasts, p)
	return i
}

// newCapped is a new capped record c's index + 1: a freed one if any.
func (e *Engine) newCapped(c CappedRenewal) (i int32) {
	e.capped, i = takeFree(e.capped, &e.rc.capped, c)
	return i
}

// takeFree puts v at the last freed index + 1 of s in free, or appends it,
// and returns s and that index + 1.
func takeFree[T any](s []T, free *[]int32, v T) ([]T, int32) {
	if k := len(*free); k > 0 {
		i := (*free)[k-1]
		*free = (*free)[:k-1]
		s[i-1] = v
		return s, i
	}
	s = push(s, v)
	return s, int32(len(s))
}

// bitset is a set of small non-negative integers (slots), a bit each.
type bitset []uint64

func (b *bitset) set(i int) {
	for len(*b) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) clear(i int) {
	if i/64 < len(b) {
		b[i/64] &^= 1 << (i % 64)
	}
}
