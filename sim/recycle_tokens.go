package sim

import (
	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Recycling tokens' slots (recycle.go; docs/engine.md). A fleet whose
// replicas hold child tokens, re-authenticating at their caps, issues a
// token per replica and cap: kept to the end, a year of them is most of
// the run's memory. A token that ended gives up its slot once nothing
// reads it again but the reports:
//
//   - its replica no longer names it as its token (rep.token): it was
//     replaced before it ended, or its replica obtained a newer one since
//     (tokenMovedOn). The actors drawing on it through via read it as
//     their via actor's first replica's token;
//   - no entity holding a slot names it: every lease and token issued
//     under it (entity.parent) and every entity its end took down (the
//     cascade's root, in their past) was recycled first. refs counts them
//     per token, so its hierarchy node has no child left either;
//   - the instant it ended is over (the cascade's losses, the cliff
//     tracker's group and the holders' reactions read it then), and no
//     report lists it by name: a cliff's first roots and the ends in use
//     that began an outage are pinned (recycle_pins.go), and so are the
//     first and last listEach tokens of a small actor, which the reports
//     list one by one (listedTokens);
//   - the revoker has nothing of it: its jobs are its leases'.
//
// A token's ends are checked when it may have become ready (maybe): when
// it ends, when its replica moves on, when its last reference goes, when
// it leaves a small actor's last listed ones. Its facts are then folded
// as a lease's (fold.go), and its slot, its hierarchy node and its
// model.Token and tokenState go to the next token issued.

// tokenRecycler is the recycler's state for tokens.
type tokenRecycler struct {
	// refs counts, by token record (entity.ref of a token), the entities
	// holding a slot that name the token as their parent or their
	// cascade's root.
	refs []int32
	// maybe are tokens that ended and may be ready to recycle: each
	// recycle checks them, keeps those whose instant is not over, and
	// drops the others (a later change puts them back).
	maybe []model.NodeID
	// small says, by actor, that the reports list its first and last
	// listEach tokens of each kind by name (listedTokens): listed marks,
	// by token record, those among the first or the last issued so far,
	// and recent holds, per actor and kind, the latest listEach + 1.
	small  []bool
	listed bitset
	recent [][]model.NodeID
	counts []uint32 // tokens issued, per actor and kind
	freed  int64    // token slots recycled
	// layers holds the ancestor layer ("ancestor fleet[3].token#17") its
	// descendants ended by, per token whose cascade took any: released
	// when the token is freed, every entity naming it as its root (and so
	// ending by that layer) having gone before it.
	layers map[model.NodeID]layerRef
}

// namedBy notes that token n's descendants end by layer r.
func (t *tokenRecycler) namedBy(n model.NodeID, r layerRef) {
	if t.layers == nil {
		t.layers = map[model.NodeID]layerRef{}
	}
	t.layers[n] = r
}

func (t *tokenRecycler) init(s *scenarios.Scenario) {
	t.small = make([]bool, len(s.Actors))
	for i := range s.Actors {
		t.small[i] = s.Actors[i].Replicas <= foldReplicas
	}
	t.recent = make([][]model.NodeID, 2*len(s.Actors))
	t.counts = make([]uint32, 2*len(s.Actors))
}

// tokenGroup is the index of actor ai's tokens of kind k in the per actor
// and kind slices: listedTokens lists them apart.
func tokenGroup(ai int32, k entKind) int {
	if k == entChildToken {
		return 2*int(ai) + 1
	}
	return 2 * int(ai)
}

// issuedToken notes token n, just issued with record ref (recycling runs).
func (e *Engine) issuedToken(n model.NodeID, ref int32) {
	t := &e.rc.tok
	if int(ref) == len(t.refs) {
		t.refs = append(t.refs, 0)
	}
	t.refs[ref] = 0
	en := &e.ents[n]
	if !t.small[en.actor] {
		return
	}
	// One of the last listEach of its group, and maybe of the first.
	g := tokenGroup(en.actor, en.kind)
	t.listed.set(int(ref))
	t.counts[g]++
	r := append(t.recent[g], n)
	if len(r) > listEach {
		// The oldest of them is listed no longer, unless among the first.
		old := r[0]
		r = append(r[:0], r[1:]...)
		if t.counts[g] > 2*listEach {
			t.listed.clear(int(e.ents[old].ref))
			if e.ents[old].ended {
				t.maybe = append(t.maybe, old)
			}
		}
	}
	t.recent[g] = r
}

// refTo counts one more entity holding a slot that names token t.
func (e *Engine) refTo(t model.NodeID) { e.rc.tok.refs[e.ents[t].ref]++ }

// unref counts one entity fewer naming token t: with none left, t may be
// ready.
func (e *Engine) unref(t model.NodeID) {
	rs := &e.rc.tok.refs[e.ents[t].ref]
	if *rs--; *rs == 0 && e.ents[t].ended {
		e.rc.tok.maybe = append(e.rc.tok.maybe, t)
	}
}

// endedRefs notes, in a recycling run, that m ended in root's cascade (or
// by itself when root is m): root is named by m's past, and a token that
// ended may be ready.
func (e *Engine) endedRefs(m, root model.NodeID) {
	if root != m {
		e.refTo(root)
	}
	if e.ents[m].kind != entLease {
		e.rc.tok.maybe = append(e.rc.tok.maybe, m)
	}
}

// endedRunRefs is endedRefs for ms, descendants of root that endedRun
// just ended: a batch at a time, out of its loop.
func (e *Engine) endedRunRefs(ms []model.NodeID, root model.NodeID) {
	e.rc.tok.refs[e.ents[root].ref] += int32(len(ms))
	for _, m := range ms {
		if e.ents[m].kind != entLease {
			e.rc.tok.maybe = append(e.rc.tok.maybe, m)
		}
	}
}

// tokenMovedOn: old, a replica's token that ended, is no longer its token
// (the replica obtained a newer one): it may be ready.
func (e *Engine) tokenMovedOn(old model.NodeID) {
	if e.rc.on && e.ents[old].ended {
		e.rc.tok.maybe = append(e.rc.tok.maybe, old)
	}
}

// recycleTokens frees the slots of the tokens that may be ready and are:
// freeing one may make its parent or root ready, which is checked in the
// same pass. Tokens whose instant is not over are kept to check later.
func (e *Engine) recycleTokens(now model.Instant) {
	t := &e.rc.tok
	k := 0
	for i := 0; i < len(t.maybe); i++ { // free may append
		n := t.maybe[i]
		ready, later := e.tokenReady(n, now)
		switch {
		case ready:
			e.fold.add(e, n)
			e.free(n)
			t.freed++
		case later:
			t.maybe[k] = n
			k++
		}
	}
	t.maybe = t.maybe[:k]
}

// tokenReady says whether token n, which ended, may be recycled now, and
// if not, whether only its instant is not over yet.
func (e *Engine) tokenReady(n model.NodeID, now model.Instant) (ready, later bool) {
	if e.hier.Released(n) {
		return false, false // listed twice, and freed already
	}
	en := &e.ents[n]
	t := &e.rc.tok
	switch {
	case !en.ended, t.refs[en.ref] > 0, t.listed.has(int(en.ref)), e.rc.pins.pinned.has(int(n)),
		e.actors[en.actor].reps[en.replica].token == n:
		return false, false
	case e.pastOf(n).endAt.Instant() >= now:
		return false, true
	}
	return true, false
}

// freeToken resets token n's entity and records, its slot being freed:
// the entity keeps its record's index for the next token in the slot
// (newToken).
func (e *Engine) freeToken(n model.NodeID) {
	en := &e.ents[n]
	ref := en.ref
	e.tokens[ref] = model.Token{}
	e.toks[ref] = tokenState{reauth: NoHandle}
	*en = entity{kind: entToken, retired: true, ended: true, expiry: NoHandle, client: NoHandle, ref: ref}
	if r, ok := e.rc.tok.layers[n]; ok {
		e.layers.release(r)
		delete(e.rc.tok.layers, n)
	}
	if e.el.memo.t == n {
		e.el.memo = immortalMemo{} // its answer was about this token
	}
}
