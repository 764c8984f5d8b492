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

// ExpiryEnd is how an entity whose last grant was g ends when that grant
// runs out at expire: at its hard end (hard is true, the layer of the
// ceiling) when the grant was cut to it, else because its TTL ran out (the
// layer that set the TTL). The engine's expiry and the prediction both
// name an end this way.
func (g Grant) ExpiryEnd(expire Instant) (end End, hard bool) {
	if g.HasHardEnd && g.HardEnd == expire {
		return End{Set: true, At: expire, By: g.HardEndBy}, true
	}
	return End{Set: true, At: expire, By: g.TTLBy}, false
}

// BoundedByAncestor implements the parent bound of semantics.md §3.2 and
// §6.1: nothing caps a child's TTL at creation, yet the child is revoked
// when its parent is, so its effective end is the earlier of its own end
// and its parent's effective end (the "ancestor <id>" layer, naming the
// entity whose own end starts the cascade). On a tie the ancestor wins:
// the backend's expiry of the ancestor revokes the whole subtree at that
// instant, and the engine does the same (interpreted, docs/semantics.md).
// Orphans and login tokens have no parent and are bounded only by themselves.
func BoundedByAncestor(own, parent End, parentID string) End {
	if !parent.Set || (own.Set && own.At < parent.At) {
		return own
	}
	by := Layer{Kind: LayerAncestor, Name: parentID}
	if parent.By.Kind == LayerAncestor {
		by = parent.By // the parent itself goes with its ancestor
	}
	return End{Set: true, At: parent.At, By: by}
}
