package sim

// Resuming an elided lease exactly (issue 10, item 3; docs/elision.md).
//
// A lease elided from t0 up to its renewal at tk, with step s, renews by
// events again from tk+s: before a cap or a scripted event. Event by event,
// its renewal at tk+s was queued at tk, by its renewal there, so among the
// renewals due at tk+s it runs after those queued before tk, before those
// queued after tk, and among those queued at tk — chains with the same
// step s at the same instants, a step class — where its renewal at tk ran
// among theirs. So it is queued at the end of instant tk (Loop.Pass), not
// at t0, and the chains of its class that queued a renewal at tk but come
// after it are queued again behind it, in their order. Its seq is then the
// one it would have had, up to numbering.
//
// The order of two chains of one class is fixed while both are in it: at
// each of its instants, each queues its next renewal in the order they ran.
// It is decided where the later of the two began its constant step: a
// chain whose first step was queued by an event that ran before the class's
// renewals at that instant (an expiry or a script, or a client event
// queued before the class's previous instant) runs before every chain
// already in the class — it is "front" — and any other after them (a fresh
// watcher renews at once, so its first step is queued last). Two chains
// that began at one instant run in the order their first steps were queued
// (by the events that queued them, in the order those ran, or by one event
// in the order it queued them). chainRun keeps this per renewal chain.
//
// That covers every event a class's instant can hold in runs where every
// chain of client events is a renewal chain (tracked): no `refresh:
// {read_every: D}` or `{at: F}` re-reads, no backoff retries, no proactive
// re-authentication, whose events would be queued at a class's instants
// outside setClient. Default retries are queued only in outages, which are
// scripted, so never while a lease is elided. Other runs resume nothing:
// a lease there is elided only when its stretch reaches the horizon.

import (
	"cmp"
	"math"
	"slices"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// chainRun is what decides where entity n's renewal chain runs among the
// renewals due at its instants (see above).
type chainRun struct {
	pushedAt model.Instant // when its pending renewal was queued
	start    model.Instant // when the event that queued its first step of this length ran
	ord      int64         // resumption.pushes when its first step was queued: its place at start
	step     int32         // the step since start, seconds; -1 if longer than int32 (no lease's)
	front    bool          // that event ran before the step class's renewals at start
	// shared: the run was another chain's (a re-read or re-login queued with
	// that chain's step by its last event): chains sharing a run are
	// ordered by their seqs, so such a lease is not resumed.
	shared bool
}

// stepOf is a step as chainRun keeps it.
func stepOf(d model.Duration) int32 {
	if d < 0 || d > math.MaxInt32 {
		return -1
	}
	return int32(d)
}

// resumption is the engine's state for resuming elided leases.
type resumption struct {
	on        bool
	runs      []chainRun   // per entity
	pushes    int64        // renewals and retries queued so far
	cur       chainRun     // the run of the event in hand
	curOrder  uint8        // its order
	curEnt    model.NodeID // its entity, for a renewal
	retries   map[[2]int32]chainRun
	blocks    map[[2]model.Instant]int32 // (at, tk) → index in slab
	slab      []resumeBlock              // the pending blocks, and spare ones: their slices reused
	free      []int32                    // spare blocks in slab
	due       blockHeap                  // pending blocks by tk
	resumed   int64                      // leases queued again (for tests)
	reordered int64
}

// resumeBlock is the renewals due at one instant, at, that were queued at
// the instant tk = at − step (one step class's instant): the elided leases
// to queue there, and the chains that did queue one there.
type resumeBlock struct {
	tk, at model.Instant
	leases []model.NodeID
	real   []model.NodeID
}

func (r *resumption) init() {
	r.on = true
	r.retries = map[[2]int32]chainRun{}
	r.blocks = map[[2]model.Instant]int32{}
}

// tracked reports whether every event a step class's instant can hold in
// s is a renewal chain's (see above), so that leases may resume.
func tracked(s *scenarios.Scenario) bool {
	for i := range s.Actors {
		a := &s.Actors[i]
		switch {
		case a.Refresh.Kind == scenarios.RefreshEvery, a.Refresh.Kind == scenarios.RefreshFraction,
			a.Retry.Kind == scenarios.RetryBackoff,
			a.WhenExhausted.Kind == scenarios.ExhaustReauth && a.WhenExhausted.At > 0:
			return false
		}
	}
	return true
}

// run is entity n's chainRun, grown on first use.
func (r *resumption) run(n model.NodeID) *chainRun {
	if int(n) >= len(r.runs) {
		if int(n) >= cap(r.runs) { // double: a fleet's re-reads add millions
			r.runs = slices.Grow(r.runs, max(int(n)+1, 2*cap(r.runs))-len(r.runs))
		}
		r.runs = r.runs[:n+1]
	}
	return &r.runs[n]
}

// handling notes the event in hand and its run, before its handler runs:
// the renewals it queues start their runs from it.
func (e *Engine) handling(ev Event) {
	r := &e.el.resume
	r.curOrder, r.curEnt = orderClient, model.None
	switch ev.Kind {
	case evRenew:
		r.curEnt = model.NodeID(ev.Target)
		r.cur = *r.run(r.curEnt)
	case evRetry:
		r.cur = r.retries[[2]int32{ev.Target, ev.Arg}]
	case evStart:
		// Queued by New at instant 0, in actor order, before anything ran.
		r.cur = chainRun{step: stepOf(model.Duration(ev.At)), ord: int64(ev.Target) - 1<<40, front: true}
	case evExpire:
		r.curOrder = orderExpire
	default: // scripts and outage ends
		r.curOrder = orderScript
	}
}

// queuedRetry notes the run of the retry replica r of actor ai queued.
func (e *Engine) queuedRetry(ai, r int, at model.Instant) {
	if e.el.resume.on {
		e.el.resume.retries[[2]int32{int32(ai), int32(r)}], _ = e.runOf(at)
	}
}

// queuedRenewal notes that n's renewal was queued now at at. A chain
// queued at a block's instant for its at joins it.
func (e *Engine) queuedRenewal(n model.NodeID, at model.Instant) {
	r := &e.el.resume
	*r.run(n) = e.nextRun(n, at)
	if len(r.due) > 0 && r.due[0].tk == e.loop.Now { // blocks ending now: the first due
		if i, ok := r.blocks[[2]model.Instant{at, e.loop.Now}]; ok {
			r.slab[i].real = append(r.slab[i].real, n)
		}
	}
}

// nextRun is the run of n's renewal at at, queued now.
func (e *Engine) nextRun(n model.NodeID, at model.Instant) chainRun {
	c, goesOn := e.runOf(at)
	if goesOn && e.el.resume.curEnt != n {
		c.shared = true
	}
	return c
}

// runOf is the run of an event queued now for at by the event in hand: it
// goes on with the run of the event in hand when that is a client event
// queued one such step ago (a chain's own next renewal; or another's, as a
// token's re-login after its last sleep), else a new run begins now.
func (e *Engine) runOf(at model.Instant) (c chainRun, goesOn bool) {
	r := &e.el.resume
	now := e.loop.Now
	step := at.Sub(now)
	r.pushes++
	if r.curOrder == orderClient && r.cur.pushedAt == now.Add(-step) && r.cur.step == stepOf(step) {
		c := r.cur
		c.pushedAt = now
		return c, true
	}
	return chainRun{pushedAt: now, start: now, ord: r.pushes, step: stepOf(step),
		front: r.curOrder < orderClient || r.cur.pushedAt < now.Add(-step)}, false
}

// before reports whether chain a runs before chain b at the instants of
// the step class both are in.
func (r *resumption) before(a, b model.NodeID) bool {
	ra, rb := &r.runs[a], &r.runs[b]
	switch {
	case ra.start == rb.start:
		return ra.ord < rb.ord
	case ra.start < rb.start:
		return !rb.front
	}
	return ra.front
}

// resumeAfter: lease n's renewals are elided up to tk; its next, at
// tk+step, is queued at the end of instant tk. run is nextRun's for the
// renewal after the one in hand, as if queued.
func (e *Engine) resumeAfter(n model.NodeID, tk model.Instant, step model.Duration, run chainRun) {
	r := &e.el.resume
	e.ents[n].client = NoHandle
	e.clientMoved(n, tk.Add(step)) // its expiry, later, stays held
	*r.run(n) = run
	key := [2]model.Instant{tk.Add(step), tk}
	i, ok := r.blocks[key]
	if !ok {
		i = r.newBlock(tk, tk.Add(step))
		r.blocks[key] = i
		r.due = pushHeap(r.due, dueBlock{tk: tk, at: tk.Add(step), i: i}, dueFirst)
		e.loop.PassAt = r.due[0].tk
	}
	r.slab[i].leases = append(r.slab[i].leases, n)
}

// newBlock is a fresh block for at queued at tk: a spare one, its slices
// kept. A fleet re-read at its caps resumes a million leases, nearly each
// in a block of its own: no allocation, no pointer per block.
func (r *resumption) newBlock(tk, at model.Instant) int32 {
	if k := len(r.free); k > 0 {
		i := r.free[k-1]
		r.free = r.free[:k-1]
		b := &r.slab[i]
		b.tk, b.at, b.leases, b.real = tk, at, b.leases[:0], b.real[:0]
		return i
	}
	r.slab = append(r.slab, resumeBlock{tk: tk, at: at})
	return int32(len(r.slab) - 1)
}

// pass queues the renewals of the blocks whose instant ends before the
// instant before (Loop.Pass).
func (e *Engine) pass(before model.Instant) {
	r := &e.el.resume
	for len(r.due) > 0 && r.due[0].tk < before {
		var d dueBlock
		d, r.due = popHeap(r.due, dueFirst)
		i := d.i
		b := &r.slab[i]
		delete(r.blocks, [2]model.Instant{b.at, b.tk})
		e.resumeBlock(b)
		r.free = append(r.free, i)
	}
	e.loop.PassAt = 0
	if len(r.due) > 0 {
		e.loop.PassAt = r.due[0].tk
	}
}

// resumeBlock queues block b's leases among the renewals queued at b.tk
// for b.at, in the order event by event gives them.
func (e *Engine) resumeBlock(b *resumeBlock) {
	r := &e.el.resume
	q := &e.loop.Queue
	step := b.at.Sub(b.tk)
	type queued struct {
		n   model.NodeID
		seq uint64
	}
	var real []queued
	for _, n := range b.real {
		c := &r.runs[n]
		t, ok := q.timerEntry(int32(n))
		if !ok || c.pushedAt != b.tk || c.step != stepOf(step) {
			continue // queued again since, or cancelled
		}
		if t.at == b.at && t.order() == orderClient {
			real = append(real, queued{n, t.seq()})
		}
	}
	slices.SortFunc(real, func(x, y queued) int { return cmp.Compare(x.seq, y.seq) })
	real = slices.CompactFunc(real, func(x, y queued) bool { return x.n == y.n })
	leases := slices.DeleteFunc(b.leases, func(n model.NodeID) bool {
		en := &e.ents[n]
		return en.ended || en.retired || en.client != NoHandle
	})
	order := func(x, y model.NodeID) int {
		if r.before(x, y) {
			return -1
		}
		return 1
	}
	if !slices.IsSortedFunc(leases, order) { // leases elided at one instant are, in its order
		slices.SortFunc(leases, order)
	}
	// The real renewals before a lease stay where they are; the lease is
	// queued after them, and every real renewal after it is queued again
	// behind it, once, in order.
	i, started := 0, false
	for _, n := range leases {
		for i < len(real) && !r.before(n, real[i].n) {
			if started {
				e.moveClient(real[i].n, b.at)
			}
			i++
		}
		e.queueClient(n, b.at)
		r.runs[n].pushedAt = b.tk
		r.resumed++
		started = true
	}
	if started && i < len(real) {
		r.reordered++
		for ; i < len(real); i++ {
			e.moveClient(real[i].n, b.at)
		}
	}
}

// blockHeap is a binary min-heap of pending blocks by the instant whose
// end queues them, then by their instant (blocks of one tk queue at
// different instants: their order changes nothing). Each entry carries its
// block's instants: sifting reads no block.
type blockHeap []dueBlock

// dueBlock is pending block i of the slab, queued at the end of tk for at.
type dueBlock struct {
	tk, at model.Instant
	i      int32
}

// dueFirst orders blockHeap.
func dueFirst(a, b *dueBlock) bool {
	if a.tk != b.tk {
		return a.tk < b.tk
	}
	return a.at < b.at
}
