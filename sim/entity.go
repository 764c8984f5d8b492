package sim

import (
	"fmt"

	"github.com/leasesim/leasesim/model"
)

// entity is one token or lease. It is kept in an array indexed by the
// hierarchy's NodeID. A lease's lifetime state is in the entity itself; a
// token's is in Engine.tokens at ref. The counters of its random numbers
// are in Engine.cold at the same index, and where it went, once it was replaced,
// capped or ended, in a past record (pastOf).
//
// It is one cache line, 64 bytes: a lease's renewal touches this one line
// (the array is page-aligned) and no other record of the entity, and it
// holds no pointers, so the garbage collector never scans the array;
// TestEntityLayout holds both. A new field goes where it is used: hot
// fields here, seldom read ones into entityCold, report-only ones into
// entityPast, a token's own into tokenState.
type entity struct {
	lease   model.LeaseState // a lease's lifetime state (zero for a token)
	expiry  Handle           // pending evExpire
	client  Handle           // pending evRenew / evRefresh: the holder's renewal chain
	grace   float64          // watcher grace, seconds (§7.1)
	actor   int32
	replica int32
	gen     int32        // its replica's token or credential generation: its name and its numbers' key
	parent  model.NodeID // at issue, for reports (the hierarchy forgets it on revocation)
	// ref is where the entity's other records are: for a token, its index
	// in Engine.tokens and Engine.toks; for a lease, 1 + the index of its
	// past in Engine.past, 0 while it has none.
	ref int32

	kind     entKind
	attempts uint8 // consecutive failed renewals (outage backoff)
	retired  bool  // its holder moved on to a newer one (not revoked: it lives to its own end)
	ended    bool
}

// entityCold is what an entity's own events seldom read: how many numbers
// its holder's renewal policy drew for it (Engine.cold, 4 bytes per
// entity). Its fault numbers are counted in its past (draw).
type entityCold struct {
	drawn uint32 // renew-jitter or grace numbers drawn: the k of the next one; graceDraws says which
}

// entityPast is how an entity was replaced and ended: what only reports
// read, and the count of its fault numbers (Engine.past, 28 bytes, no
// pointers). An entity has one from its first replacement, capped renewal,
// failed renewal or end on, so the array follows what ended, not what
// lives.
type entityPast struct {
	root       model.NodeID // for Cascade: the entity whose end revoked it
	capped     int32        // 1 + index of its first capped renewal in Engine.capped; 0: none
	endBy      layerRef
	replacedAt runInstant
	endAt      runInstant
	faults     uint32 // fault numbers drawn (renewals failed in an outage): the k of the next one
	cause      EndCause
}

// draw is entity n's next number of purpose p, in [0, 1): the k-th of its
// own, so it depends on the seed and n's (class, actor, replica, generation)
// and on nothing any other entity does.
func (e *Engine) draw(n model.NodeID, p int) float64 {
	var k uint32
	if p == drawFault {
		f := &e.pastFor(n).faults
		k, *f = *f, *f+1
	} else {
		k = e.policyDraw(n, p)
	}
	return e.draws[p].Float64(e.key(n), uint64(k))
}

// graceDraws marks entityCold.drawn as counting grace numbers, not renew
// jitter. An entity's holder draws one of the two, by its renewal policy,
// which never changes: a watcher draws its grace, a fraction its jitter,
// a refresh_at its one ±0.05. So one count serves both, and a change that
// made an entity draw both would panic here rather than share it.
const graceDraws = 1 << 31

// policyDraw is the k of entity n's next renew-jitter or grace number (p).
func (e *Engine) policyDraw(n model.NodeID, p int) uint32 {
	c := &e.cold[n].drawn
	var mode uint32
	if p == drawGrace {
		mode = graceDraws
	}
	switch {
	case *c&^graceDraws == 0: // none drawn yet
		*c = mode
	case *c&graceDraws != mode:
		panic(fmt.Sprintf("sim: entity %d draws both renew-jitter and grace numbers", n))
	}
	k := *c &^ graceDraws
	*c++
	return k
}

// noPast is the past of an entity that has none yet.
var noPast = entityPast{root: model.None}

// tokenState is what a token holds beside its model.Token and a lease does
// not (Engine.toks, at the entity's ref).
type tokenState struct {
	lastDur model.Duration // the TTL its last renewal granted (a lease's is its TTL)
	reauth  Handle         // pending proactive evReauth (when_exhausted: reauth at a fraction)
	past    int32          // 1 + index of its past in Engine.past; 0: none yet
}

// newEntity registers a token or lease made by the model, issued under
// parent as generation gen of its replica: in a new slot, or in a
// recycled lease's (recycle.go), which the hierarchy handed out again.
func (e *Engine) newEntity(n model.NodeID, en entity, gen int32, parent model.NodeID) {
	en.expiry, en.client, en.gen, en.parent = NoHandle, NoHandle, gen, parent
	switch {
	case int(n) == len(e.ents):
		e.ents = push(e.ents, en)
		e.cold = push(e.cold, entityCold{})
	case int(n) < len(e.ents) && (en.kind == entLease) == (e.ents[n].kind == entLease) && e.ents[n].ended:
		e.ents[n], e.cold[n] = en, entityCold{}
	default:
		panic("sim: entity out of step with the hierarchy's nodes")
	}
	e.rc.issue(n)
	if e.rc.on && parent != model.None {
		e.refTo(parent) // recycle_tokens.go
	}
	e.live++
	e.checkBudgets()
}

// newToken registers token n with its model state (newEntity for tokens):
// in a recycled token's slot, in its model.Token and tokenState too.
func (e *Engine) newToken(n model.NodeID, kind entKind, ai, r int, gen int32, parent model.NodeID, tok model.Token) {
	ref := int32(len(e.tokens))
	if int(n) < len(e.ents) {
		ref = e.ents[n].ref // recycle_tokens.go
	}
	e.newEntity(n, entity{kind: kind, actor: int32(ai), replica: int32(r), ref: ref}, gen, parent)
	if int(ref) == len(e.tokens) {
		e.tokens = push(e.tokens, tok)
		e.toks = push(e.toks, tokenState{reauth: NoHandle})
	} else {
		e.tokens[ref], e.toks[ref] = tok, tokenState{reauth: NoHandle}
	}
	if e.rc.on {
		e.issuedToken(n, ref)
	}
}

func (e *Engine) token(n model.NodeID) *model.Token      { return &e.tokens[e.ents[n].ref] }
func (e *Engine) lease(n model.NodeID) *model.LeaseState { return &e.ents[n].lease }

// tokenState is token n's own state beside its model.Token.
func (e *Engine) tokenState(n model.NodeID) *tokenState { return &e.toks[e.ents[n].ref] }

// lastDur is the TTL entity n's last issue or renewal granted, as its
// watcher saw it: a lease's TTL is exactly that.
func (e *Engine) lastDur(n model.NodeID) model.Duration {
	if e.ents[n].kind == entLease {
		return e.lease(n).TTL()
	}
	return e.tokenState(n).lastDur
}

// setLastDur notes the TTL the watcher of n was last granted (a lease's
// TTL already says it).
func (e *Engine) setLastDur(n model.NodeID, d model.Duration) {
	if e.ents[n].kind != entLease {
		e.tokenState(n).lastDur = d
	}
}

// reauthOf is token n's pending proactive re-authentication, or NoHandle
// (a lease never has one).
func (e *Engine) reauthOf(n model.NodeID) Handle {
	if e.ents[n].kind == entLease {
		return NoHandle
	}
	return e.tokenState(n).reauth
}

// cancelReauth cancels token n's pending re-authentication, if any.
func (e *Engine) cancelReauth(n model.NodeID) {
	if e.ents[n].kind != entLease {
		t := e.tokenState(n)
		e.loop.Queue.Cancel(t.reauth)
		t.reauth = NoHandle
	}
}

// pastRef is where n's past index is kept.
func (e *Engine) pastRef(n model.NodeID) *int32 {
	en := &e.ents[n]
	if en.kind == entLease {
		return &en.ref
	}
	return &e.toks[en.ref].past
}

// pastOf is entity n's past: noPast while it was never replaced, capped
// or ended.
func (e *Engine) pastOf(n model.NodeID) entityPast {
	if i := *e.pastRef(n); i > 0 {
		return e.past[i-1]
	}
	return noPast
}

// pastFor is entity n's past to write, begun if it had none.
func (e *Engine) pastFor(n model.NodeID) *entityPast {
	r := e.pastRef(n)
	if *r == 0 {
		*r = e.newPast(noPast)
	}
	return &e.past[*r-1]
}

// nextGen is the generation of a replica's next token or credential after
// latest, its current one (None: it had none). A replica's token and
// credential are only ever replaced by newer ones.
func (e *Engine) nextGen(latest model.NodeID) int32 {
	if latest == model.None {
		return 1
	}
	return e.ents[latest].gen + 1
}

// parentOf is the entity n was issued under, or None.
func (e *Engine) parentOf(n model.NodeID) model.NodeID { return e.ents[n].parent }

// key names entity n for its random numbers.
func (e *Engine) key(n model.NodeID) Key {
	en := &e.ents[n]
	c := KeyToken
	if en.kind == entLease {
		c = KeyLease
	}
	return Key{Class: c, Actor: en.actor, Replica: en.replica, Gen: en.gen}
}
