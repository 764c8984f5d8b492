package sim

// The event-by-event engine's hot path: what a renewal of one of a
// million leases needs ready (docs/performance.md).

import (
	"unsafe"

	"github.com/leasesim/leasesim/model"
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
	if e.shapes == nil {
		e.shapes = make([]shape, len(e.actors))
	}
	s := &e.shapes[ai]
	if s.r == nil || s.version != e.b.version || s.inc != inc {
		role := e.b.SecretsRole(e.actors[ai].a.Credential)
		*s = shape{version: e.b.version, inc: inc, r: model.NewLeaseRenewal(e.b.View(role.Mount), *role, inc, &e.forms)}
	}
	return s.r
}

// warm prefetches the state an event for target reads (Loop.Warm): at
// stage 2 its entity, at stage 1 (the entity cached by then) its lease and
// its expiry's queue slot. target may be an actor's index rather than an
// entity's: prefetching changes nothing.
func (e *Engine) warm(target int32, stage int) {
	if uint(target) >= uint(len(e.ents)) {
		return
	}
	en := &e.ents[target]
	if stage > 1 {
		prefetch(unsafe.Pointer(en))
		return
	}
	if en.kind == KindLease && uint(en.ref) < uint(len(e.leases)) {
		prefetch(unsafe.Pointer(&e.leases[en.ref]))
	}
	e.loop.Queue.prefetch(en.expiry)
}

// reserve sizes the entity, lease and token arrays and the queue for the
// credentials and tokens the actors hold at once, so that the first
// issues do not copy them over and over as they grow. It is a hint only:
// re-reads and re-logins append beyond it.
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
	ents := min(int64(leases+tokens), e.budgets.Live)
	e.ents = make([]entity, 0, ents)
	e.leases = make([]model.LeaseState, 0, min(int64(leases), ents))
	e.tokens = make([]model.Token, 0, min(int64(tokens), ents))
	e.loop.Queue.reserve(int(ents + ents/8)) // mostly one timer per entity (timer.go)
}
