package sim

import (
	"math"

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
		id := uint32(0) // after 2^32 shapes, none is fast: ids must not repeat
		if e.shapeIDs < math.MaxUint32 {
			e.shapeIDs++
			id = e.shapeIDs
		}
		*s = shape{version: e.b.version, inc: inc, r: model.NewLeaseRenewal(e.b.View(role.Mount), *role, inc, id)}
	}
	return s.r
}
