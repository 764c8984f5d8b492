package model

// End is when an entity stops working at the latest, and the layer that
// decides it. Set is false for an entity with no hard end (a periodic
// token without an explicit max, a non-expiring root token).
type End struct {
	Set bool
	At  Instant
	By  Layer
}

// End is the end a grant implies on its own: its lifetime ceiling.
func (g Grant) End() End {
	if !g.HasHardEnd {
		return End{}
	}
	return End{Set: true, At: g.HardEnd, By: g.HardEndBy}
}

// BoundedByAncestor implements the parent bound of semantics.md §3.2 and
// §6.1: nothing caps a child's TTL at creation, yet the child is revoked
// when its parent is, so its effective end is the earlier of its own hard
// end and its parent's effective end (the "ancestor <id>" layer). On a tie
// the entity's own layer is kept: it would have ended then anyway.
// Orphans and login tokens have no parent and are bounded only by themselves.
func BoundedByAncestor(own, parent End, parentID string) End {
	if !parent.Set || (own.Set && own.At <= parent.At) {
		return own
	}
	return End{Set: true, At: parent.At, By: Layer{Kind: LayerAncestor, Name: parentID}}
}
