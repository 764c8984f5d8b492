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
// Its instants are the run's, in 4 bytes each: 24 bytes per entity.
type chainRun struct {
	ord      int64      // resumption.pushes when its first step was queued: its place at start
	pushedAt runInstant // when its pending renewal was queued
	start    runInstant // when the event that queued its first step of this length ran
	step     int32      // the step since start, seconds; -1 if longer than int32 (no lease's)
	front    bool       // that event ran before the step class's renewals at start
	// shared: the run was another chain's (a re-read or re-login queued with
	// that chain's step by its last event): chains sharing a run are
	// ordered by their seqs, so such a lease is not resumed.
	shared bool
	// Not the run's but the lease's, kept when its run is set (setRun):
	// in a run that may recycle (recycle.go), pending counts the pending
	// blocks that list it, and parked says its slot waits for them to be
	// recycled. Both fit the padding.
	pending uint8
	parked  bool
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
	on       bool
	runs     []chainRun   // per entity
	pushes   int64        // renewals and retries queued so far
	cur      chainRun     // the run of the event in hand
	curOrder uint8        // its order
	curEnt   model.NodeID // its entity, for a renewal
	retries  map[[2]int32]chainRun
	// pending are the elided leases to queue, by the instant tk whose end
	// queues them (pending.go): one entry per block of leases of one (tk,
	// at), with no map: a fleet re-read at its caps resumes a million
	// leases, nearly each alone at its (tk, at); a fleet capped at once, a
	// million in a hundred blocks. An entry holds its block's first lease;
	// the others, when a lease joined it (multi), are in blocks. recent
	// finds the block a lease joins while one of its (tk, at) is pending
	// and at hand; when not, a second block of that (tk, at) is made, and
	// pass merges them. So a lone lease's entry is all it touches.
	pending pendingQueue
	seq     uint32 // the next pending entry's, in its key
	blocks  []pendingBlock
	multi   []uint64            // by block: leases joined it (blocks[i].more)
	free    []int32             // spare blocks, their slices kept
	recent  [256][4]recentBlock // pending blocks of keys with one hash, the latest made first
	// now are the pending blocks of the instant in hand (tk = Loop.Now),
	// taken from pending by the first renewal queued in it, by their at;
	// real are the chains queued in it for one of those instants (the
	// renewals a resumed lease is placed among).
	now  []pendingLease
	real []realPending // by at, in the order queued
	// scratch for a block's leases and real renewals (resumeBlock)
	leases  []model.NodeID
	queued  []realRenewal
	resumed int64 // leases queued again (for tests)
	merged  int64 // blocks of one (tk, at) made apart, merged by pass (for tests)
	apart   bool  // tests: every lease in a block of its own, as when recent misses
	// waited counts the passes that left blocks for a later pass because a
	// lease they queued runs first (for tests); eager (tests) does not.
	waited int64
	eager  bool
	// reordered counts blocks whose lease was queued before a real renewal.
	reordered int64
}

// pendingLease is block blk of elided leases, to be queued for instant at
// at the end of instant tk: instants of the run, so they fit 32 bits each.
// Its first lease is here, the others (if multi) in blocks[blk].
type pendingLease struct {
	// key orders the queue: tk, then the order the blocks were made
	// (modulo 2^32: the leases of one (tk, at) come out in the order they
	// were elided, as they were listed before; resumeBlock sorts them by a
	// total order anyway).
	key   uint64
	at    runInstant
	blk   int32
	first model.NodeID
}

func (p *pendingLease) tk() model.Instant { return model.Instant(p.key >> 32) }

// pendingBlock is the leases that joined a pending entry's first: read
// only when its multi bit is set (a fleet's blocks hold one lease each).
type pendingBlock struct {
	more []model.NodeID
}

// isMulti reports whether leases joined block i.
func (r *resumption) isMulti(i int32) bool { return r.multi[i>>6]&(1<<(i&63)) != 0 }

// recentBlock is a block made lately, with its key: looking one up reads
// the table only.
type recentBlock struct {
	key uint64
	blk int32 // 1 + its index; 0: none
}

// realPending is a chain queued at a block's tk for its at.
type realPending struct {
	at runInstant
	n  model.NodeID
}

// pendingHeap is a 4-ary min-heap of pending leases by key: half the
// levels of a binary heap, a node's children in one or two cache lines.
// A fleet re-read at its caps pops one entry per lease and cap.
type pendingHeap []pendingLease

func (h *pendingHeap) push(p pendingLease) {
	*h = append(*h, p)
	s := *h
	i := len(s) - 1
	for i > 0 {
		up := (i - 1) / 4
		if s[up].key <= p.key {
			break
		}
		s[i] = s[up]
		i = up
	}
	s[i] = p
}

func (h *pendingHeap) pop() pendingLease {
	s := *h
	top := s[0]
	last := s[len(s)-1]
	s = s[:len(s)-1]
	*h = s
	if len(s) == 0 {
		return top
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= len(s) {
			break
		}
		m := c
		for k := c + 1; k < min(c+4, len(s)); k++ {
			if s[k].key < s[m].key {
				m = k
			}
		}
		if last.key <= s[m].key {
			break
		}
		s[i] = s[m]
		i = m
	}
	s[i] = last
	return top
}

// realRenewal is a real renewal of a block with its seq (resumeBlock).
type realRenewal struct {
	n   model.NodeID
	seq uint64
}

func (r *resumption) init() {
	r.on = true
	r.retries = map[[2]int32]chainRun{}
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

// setRun sets entity n's run to c, keeping what is the lease's.
func (r *resumption) setRun(n model.NodeID, c chainRun) {
	p := r.run(n)
	c.pending, c.parked = p.pending, p.parked
	*p = c
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
// queued at the instant of a pending lease's last elided renewal for that
// lease's next one is among those it is placed with.
func (e *Engine) queuedRenewal(n model.NodeID, at model.Instant) {
	r := &e.el.resume
	r.setRun(n, e.nextRun(n, at))
	now := e.loop.Now
	if tk, ok := r.pending.firstTk(); ok && tk == now {
		r.take(now)
	}
	if len(r.now) > 0 && r.now[0].tk() == now {
		if _, ok := slices.BinarySearchFunc(r.now, runAt(at), byAt); ok {
			r.real = append(r.real, realPending{runAt(at), n})
		}
	}
}

// take moves the pending blocks of instant tk, the first pending, to
// r.now, by their instant at, in the order they were made.
func (r *resumption) take(tk model.Instant) {
	for r.pending.len() > 0 && r.pending.first().tk() == tk {
		p := r.pending.pop()
		r.closeBlock(p)
		r.now = append(r.now, p)
	}
	if len(r.now) > 1 {
		slices.SortStableFunc(r.now, func(a, b pendingLease) int { return cmp.Compare(a.at, b.at) })
	}
}

// closeBlock: no lease joins block p any more, its tk at hand.
func (r *resumption) closeBlock(p pendingLease) {
	set := &r.recent[recentHash(uint64(p.tk())<<32|uint64(p.at))]
	for j := range set {
		if set[j].blk == p.blk+1 {
			set[j] = recentBlock{}
		}
	}
}

// recentHash is the set of recent a block of key tk<<32 | at is in.
func recentHash(key uint64) int { return int((key * 0x9e3779b97f4a7c15) >> (64 - 8)) }

// byAt compares a pending lease's instant with at.
func byAt(p pendingLease, at runInstant) int { return cmp.Compare(p.at, at) }

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
	if r.curOrder == orderClient && r.cur.pushedAt.Instant() == now.Add(-step) && r.cur.step == stepOf(step) {
		c := r.cur
		c.pushedAt = runAt(now)
		return c, true
	}
	return chainRun{pushedAt: runAt(now), start: runAt(now), ord: r.pushes, step: stepOf(step),
		front: r.curOrder < orderClient || r.cur.pushedAt.Instant() < now.Add(-step)}, false
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
// renewal after the one in hand, as if queued. (tk is after now: the
// instant in hand gets no new pending lease.)
func (e *Engine) resumeAfter(n model.NodeID, tk model.Instant, step model.Duration, run chainRun) {
	r := &e.el.resume
	e.ents[n].client = NoHandle
	e.clientMoved(n, tk.Add(step)) // its expiry, later, stays held
	r.setRun(n, run)
	if e.rc.on { // its slot is not recycled before its blocks are queued
		c := &r.runs[n]
		if c.pending == 255 {
			panic("sim: a lease in 255 pending blocks")
		}
		c.pending++
	}
	at := tk.Add(step)
	key := uint64(runAt(tk))<<32 | uint64(runAt(at))
	set := &r.recent[recentHash(key)]
	for _, c := range set {
		if i := c.blk - 1; c.key == key && i >= 0 && !r.apart { // pending: take closes it
			b := &r.blocks[i]
			if !r.isMulti(i) {
				r.multi[i>>6] |= 1 << (i & 63)
				b.more = b.more[:0]
			}
			b.more = append(b.more, n)
			return
		}
	}
	var i int32
	if k := len(r.free); k > 0 {
		i, r.free = r.free[k-1], r.free[:k-1]
	} else {
		r.blocks = append(r.blocks, pendingBlock{})
		i = int32(len(r.blocks) - 1)
		if int(i>>6) == len(r.multi) {
			r.multi = append(r.multi, 0)
		}
	}
	copy(set[1:], set[:3])
	set[0] = recentBlock{key, i + 1}
	r.pending.push(pendingLease{key: uint64(runAt(tk))<<32 | uint64(r.seq), at: runAt(at), blk: i, first: n})
	r.seq++
	e.passAt()
}

// passAt tells the loop the first instant whose end queues leases.
func (e *Engine) passAt() {
	r := &e.el.resume
	switch {
	case len(r.now) > 0:
		e.loop.PassAt = r.now[0].tk()
	case r.pending.len() > 0:
		e.loop.PassAt = r.pending.first().tk()
	default:
		e.loop.PassAt = 0
	}
}

// pass queues the pending leases whose instant ends before the instant
// before (Loop.Pass): those of one (tk, at) as one block.
func (e *Engine) pass(before model.Instant) {
	r, before0 := &e.el.resume, before
	for {
		if len(r.now) == 0 {
			if r.pending.len() == 0 || r.pending.first().tk() >= before {
				break
			}
			r.real = r.real[:0] // noted for an instant whose leases were taken: none are left
			r.take(r.pending.first().tk())
		}
		if len(r.real) > 1 {
			slices.SortStableFunc(r.real, func(a, b realPending) int { return cmp.Compare(a.at, b.at) })
		}
		real, tk := r.real, r.now[0].tk()
		// No event is queued before the next to run, at before: the
		// calendar may begin at tk, and take the renewals queued now.
		e.loop.Queue.Advance(tk)
		for i := 0; i < len(r.now); {
			at := r.now[i].at
			r.leases = r.appendBlock(r.leases[:0], r.now[i])
			// Blocks of one (tk, at) made apart are one block.
			for i++; i < len(r.now) && r.now[i].at == at; i++ {
				r.leases = r.appendBlock(r.leases, r.now[i])
				r.merged++
			}
			if e.rc.on {
				e.unblocked(r.leases)
			}
			for len(real) > 0 && real[0].at < at {
				real = real[1:]
			}
			j := 0
			for j < len(real) && real[j].at == at {
				j++
			}
			e.resumeBlock(tk, at.Instant(), r.leases, real[:j])
			real = real[j:]
			// A lease queued for at runs before the end of any later tk:
			// blocks of those wait for it (the loop calls pass again).
			if !r.eager {
				before = min(before, at.Instant())
			}
		}
		for _, p := range r.now {
			r.free = append(r.free, p.blk)
		}
		r.now, r.real = r.now[:0], r.real[:0]
	}
	e.passAt()
	if r.pending.len() > 0 {
		if e.loop.PassAt < before0 {
			r.waited++
		}
		e.warmLease(r.pending.first().first)
	}
}

// appendBlock appends the leases of pending block p to ls.
func (r *resumption) appendBlock(ls []model.NodeID, p pendingLease) []model.NodeID {
	ls = append(ls, p.first)
	if i := p.blk; r.isMulti(i) {
		ls = append(ls, r.blocks[i].more...)
		r.multi[i>>6] &^= 1 << (i & 63)
	}
	return ls
}

// resumeBlock queues leases, resumed for at after their last elided
// renewal at tk, among the renewals queued at tk for at (real), in the
// order event by event gives them.
func (e *Engine) resumeBlock(tk, at model.Instant, leases []model.NodeID, real []realPending) {
	r := &e.el.resume
	q := &e.loop.Queue
	step := at.Sub(tk)
	queued := r.queued[:0]
	for _, p := range real {
		n := p.n
		c := &r.runs[n]
		t, ok := q.timerEntry(int32(n))
		if !ok || c.pushedAt.Instant() != tk || c.step != stepOf(step) {
			continue // queued again since, or cancelled
		}
		if t.at == at && t.order() == orderClient {
			queued = append(queued, realRenewal{n, t.seq()})
		}
	}
	r.queued = queued
	slices.SortFunc(queued, func(x, y realRenewal) int { return cmp.Compare(x.seq, y.seq) })
	queued = slices.CompactFunc(queued, func(x, y realRenewal) bool { return x.n == y.n })
	leases = slices.DeleteFunc(leases, func(n model.NodeID) bool {
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
		for i < len(queued) && !r.before(n, queued[i].n) {
			if started {
				e.moveClient(queued[i].n, at)
			}
			i++
		}
		e.queueClient(n, at)
		r.runs[n].pushedAt = runAt(tk)
		r.resumed++
		started = true
	}
	if started && i < len(queued) {
		r.reordered++
		for ; i < len(queued); i++ {
			e.moveClient(queued[i].n, at)
		}
	}
}
