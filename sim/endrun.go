package sim

import "github.com/leasesim/leasesim/model"

// A token's cascade ends its descendants a slice at a time, as the
// hierarchy's walk hands them over (model.Hierarchy.ExpireTreeBatch), in
// one loop that does what ended does for each, with what ended looks up
// per entity — its actor's validity rule, service and reaction, its past
// record, its revocation mount — looked up once per actor and cascade, and
// the revocation jobs handed to the revoker as runs. A million descendants
// are a million trips round this loop, not ten calls each.
//
// It applies only where ended would take the same shortcuts: no log kept
// (validity changes batched per service, lossBatch) and a cliff being
// tracked. Anything else, and the root, goes through ended.
// TestEndRunsMatchEnded holds the two to the same results.

// endBatchLen is how many nodes the walk hands over at a time: enough that
// per-slice work is nothing, few enough to stay in the first-level cache.
const endBatchLen = 1024

// endAct is what ending an entity of one actor needs of the actor, looked
// up at its first entity in a cascade: nothing a cascade does changes it.
type endAct struct {
	looked  bool
	valid   uint8 // how its replicas' validity is decided (validNone...)
	reacts  bool  // its holder may do something after the cascade (pendingLoss)
	service int32
	mount   int32 // the revoker's mount of its leases; -1 until needed
}

// How updateValidity decides a replica's validity, by actor.
const (
	validNone  uint8 = iota // no service, or not started: nothing to update
	validLease              // a live credential
	validOwn                // a live token of its own
	validVia                // its via actor's first replica's live token
)

// endRuns is the per-cascade state of the loop: the actors' lookups and
// the leases waiting to be handed to the revoker, all of one mount.
type endRuns struct {
	acts   []endAct // by actor, cleared per cascade
	revs   []model.NodeID
	mount  int
	buf    []model.NodeID // the walk's slice, reused
	ranges int            // slices ended (tests: the loop was used)
}

// endSubtree ends token n and every descendant and lease indexed to it
// (endTree for a token).
func (e *Engine) endSubtree(n model.NodeID, cause EndCause, own layerRef) {
	var anc layerRef // the descendants' layer: named at the first one
	if cap(e.runs.buf) == 0 {
		e.runs.buf = make([]model.NodeID, 0, endBatchLen)
	}
	if len(e.runs.acts) != len(e.actors) {
		e.runs.acts = make([]endAct, len(e.actors))
	} else {
		clear(e.runs.acts)
	}
	e.hier.ExpireTreeBatch(n, e.runs.buf, func(ms []model.NodeID) {
		for len(ms) > 0 {
			m := ms[0]
			if m == n {
				e.ended(m, n, cause, own)
				ms = ms[1:]
				continue
			}
			if anc == 0 {
				anc = e.ancestorRef(n)
			}
			k := e.endedRun(ms, n, anc)
			switch {
			case k == 0:
				e.ended(m, n, Cascade, anc)
				k = 1
			case e.rc.on: // tested here, not per descendant: a run that does not recycle skips it
				e.endedRunRefs(ms[:k], n)
			}
			ms = ms[k:]
		}
	})
}

// endedRun ends the descendants of root at the head of ms as ended(m,
// root, Cascade, by) would, up to the root or the end of ms, and returns
// how many it ended: 0 when it takes no shortcut here.
func (e *Engine) endedRun(ms []model.NodeID, root model.NodeID, by layerRef) int {
	if e.slowEnds || !e.lossBatch.on || !e.cliffs.active {
		return 0
	}
	r := &e.runs
	r.ranges++
	t := &e.cliffs
	now := runAt(e.loop.Now)
	var shared int32  // the past the descendants with none share, once made
	var sharers int32 // how many more share it (recycler.shares)
	k := 0
	for ; k < len(ms); k++ {
		m := ms[k]
		if m == root {
			break
		}
		en := &e.ents[m]
		lease := en.kind == entLease
		ai, ri := int(en.actor), int(en.replica)
		a := &r.acts[ai]
		if !a.looked {
			e.lookUpAct(a, ai)
		}
		en.ended = true

		// The pending timers.
		if en.expiry >= 0 {
			e.loop.Queue.Cancel(en.expiry)
		}
		en.expiry = NoHandle
		if en.client != NoHandle {
			if q := &e.loop.Queue; !q.dropCalTimer(int32(m)) { // cascade_timer.go
				q.CancelTimer(int32(m))
			}
			en.client = NoHandle
		}

		// endPast, and a token's pending re-authentication
		ref := &en.ref
		if !lease {
			ts := &e.toks[en.ref]
			if ts.reauth >= 0 {
				e.loop.Queue.Cancel(ts.reauth)
			}
			ts.reauth = NoHandle
			ref = &ts.past
		}
		switch {
		case *ref > 0:
			p := &e.past[*ref-1]
			p.cause, p.endAt, p.endBy, p.root = Cascade, now, by, root
		case shared > 0:
			*ref = shared
			sharers++
		default:
			e.endPast(m, root, Cascade, by)
			shared = *ref
		}
		e.live--

		// cliffs.add
		ac := &e.actors[ai]
		rep := &ac.reps[ri]
		if en.retired {
			t.cur.Retired++
		} else {
			if lease {
				t.cur.Leases++
			} else {
				t.cur.Tokens++
			}
			if en.actor != t.marked {
				t.mark(e, ai)
				t.marked = en.actor
			}
			if !lease && rep.token == m && len(ac.dependents) > 0 {
				for _, d := range ac.dependents {
					t.mark(e, d)
				}
			}
		}

		if lease && e.rev != nil {
			if a.mount < 0 {
				a.mount = int32(e.rev.actorMount(e, en.actor))
			}
			if len(r.revs) > 0 && int(a.mount) != r.mount {
				e.flushRevs()
			}
			r.mount = int(a.mount)
			r.revs = append(r.revs, m)
		} else if lease {
			e.released(m)
		}

		if en.retired {
			continue
		}
		if e.rc.on { // checked here: a cascade calls it per descendant
			e.endedInUse(m, en.actor)
		}
		if !lease && ri == 0 && rep.token == m && len(ac.dependents) > 0 {
			e.lose(loss{m, en.actor, en.replica}) // the actors drawing on its token too
		} else if a.valid == validLease && rep.lease == m {
			// loseOne's common case: the replica's own credential.
			if rep.valid {
				rep.valid = false
				e.lostOne(a.service)
			}
		} else if a.valid != validLease || e.alive(rep.lease) != rep.valid {
			e.loseOne(a, ai, ri, rep)
		} // else loseOne would change nothing: its credential's liveness is its validity (a child token ending after its lease)
		if a.reacts {
			e.pendingLoss.add(loss{m, en.actor, en.replica})
		}
	}
	e.flushRevs()
	e.rc.share(shared, sharers)
	return k
}

// lookUpAct fills a with actor ai's lookups for this cascade.
func (e *Engine) lookUpAct(a *endAct, ai int) {
	ac := &e.actors[ai]
	*a = endAct{looked: true, service: int32(ac.service), mount: -1, reacts: e.reacts(loss{actor: int32(ai)})}
	switch {
	case ac.service < 0 || !ac.started:
		a.valid = validNone
	case ac.a.Credential != "":
		a.valid = validLease
	case !e.validByViaToken(ai):
		a.valid = validOwn
	default:
		a.valid = validVia
	}
}

// loseOne is updateValidity(ai, ri) for a replica that just lost an
// entity, with the actor's rule looked up: a replica that goes invalid is
// one more loss of its service in the batch; any other change takes
// updateValidity's own path.
func (e *Engine) loseOne(a *endAct, ai, ri int, rep *replica) {
	var valid bool
	switch a.valid {
	case validNone:
		return
	case validLease:
		valid = e.alive(rep.lease)
	case validOwn:
		valid = e.alive(rep.token)
	default:
		valid = e.alive(e.baseToken(ai, ri))
	}
	switch {
	case valid == rep.valid:
	case valid:
		// Cannot happen (a cascade only ends things, and the property
		// test checks rep.valid after every event); if it did, ended's
		// own path handles it.
		e.updateValidity(ai, ri)
	default:
		rep.valid = false
		e.lostOne(a.service)
	}
}

// lostOne is one more replica of service s gone invalid in the batch.
func (e *Engine) lostOne(s int32) {
	if e.lossBatch.s != int(s) {
		e.lossesOf(int(s))
	}
	e.lossBatch.n++
}

// lossesOf applies the batch's losses and begins one of service s.
func (e *Engine) lossesOf(s int) {
	e.flushLosses()
	e.lossBatch.s = s
}

// flushRevs hands the leases ended so far to the revoker.
func (e *Engine) flushRevs() {
	if r := &e.runs; len(r.revs) > 0 {
		e.rev.endedRun(r.revs, r.mount, e.loop.Now)
		r.revs = r.revs[:0]
	}
}
