package sim

import (
	"cmp"
	"slices"

	"github.com/leasesim/leasesim/model"
)

// Recycling retired credentials' slots (Options.Recycle; docs/engine.md).
//
// A run keeps an entity's slot — its entity line, cold record, hierarchy
// node, keyed timer, chain run, past and capped record, all indexed by its
// NodeID — for as long as something may read it. A lease its holder had
// replaced (retired) that ended and that the revoker is done with (its
// job revoked, or at its end with the instant model) is read by nothing
// again but the reports: no replica holds it, no cascade, loss or cliff
// names it (a retired lease is never a cliff's root), its timers were
// cancelled when it was replaced and when it ended. So, once its facts are
// folded (fold.go), its slot goes to the next lease issued, and memory
// follows the live set, not every generation a re-reading fleet issued.
//
// Only retired leases are recycled: a token may have a subtree, and a lease
// that ended in use may be listed by name (a cliff's root, the start of an
// outage). A run that keeps its event log in memory (RecordLog) names
// entities only when it ends, so it recycles nothing.
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
	ready    []model.NodeID // retired leases ended and released, to recycle
	pasts    []int32        // free indexes of Engine.past
	capped   []int32        // free indexes of Engine.capped
	recycled int64          // slots recycled so far
}

func newRecycler(opts Options) recycler {
	after := uint32(min(max(opts.RecycleAfter, 0), int64(^uint32(0))))
	return recycler{on: opts.Recycle && !opts.RecordLog, after: after}
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
// or n ended with no revoker. A retired one may be recycled.
func (e *Engine) released(n model.NodeID) {
	if e.rc.on && e.ents[n].retired {
		e.rc.ready = append(e.rc.ready, n)
	}
}

// recycle frees the slots of the leases ready, once the run issued more
// than RecycleAfter entities: fetchLease's next lease then takes one.
func (e *Engine) recycle() {
	rc := &e.rc
	if rc.issued <= rc.after {
		return
	}
	for _, n := range rc.ready {
		if e.el.resume.on && int(n) < len(e.el.resume.runs) {
			if c := &e.el.resume.runs[n]; c.pending > 0 {
				c.parked = true // unblocked puts it back when its blocks are queued
				continue
			}
		}
		e.fold.add(e, n)
		e.free(n)
	}
	rc.ready = rc.ready[:0]
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

// free gives retired lease n's slot and records up for the next lease:
// every record indexed by n is reset, and its past and capped record go to
// their free lists.
func (e *Engine) free(n model.NodeID) {
	en := &e.ents[n]
	if en.kind != entLease || !en.retired || !en.ended || en.expiry != NoHandle || en.client != NoHandle {
		panic("sim: recycling a lease that is not retired and ended with nothing pending")
	}
	if i := en.ref; i > 0 {
		p := &e.past[i-1]
		if c := p.capped; c > 0 {
			e.capped[c-1] = CappedRenewal{}
			e.rc.capped = append(e.rc.capped, c)
		}
		*p = noPast
		e.rc.pasts = append(e.rc.pasts, i)
		if e.sharedPast == i { // never a retired lease's (endPast), but should it be
			e.sharedPast = 0
		}
	}
	e.loop.Queue.CancelTimer(int32(n))
	if r := &e.el.resume; int(n) < len(r.runs) {
		r.runs[n] = chainRun{}
	}
	*en = entity{kind: entLease, retired: true, ended: true, expiry: NoHandle, client: NoHandle}
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
