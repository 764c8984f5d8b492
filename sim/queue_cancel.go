package sim

// cancelTimer is Cancel for the engine's own timers, on a cascade's path:
// a million ended entities cancel their pending timer one after another,
// and Cancel reached the slot through lookup, unplace, calRemove and
// release, each indexing it again. This loads it once (release is
// inlined). A dead or stale handle (NoHandle, a held expiry, a popped
// event) changes nothing, as with Cancel.
func (q *Queue) cancelTimer(h Handle) {
	s := int32(h) & indexMask
	if h < 0 || int(s) >= len(q.slots) {
		return
	}
	sl := &q.slots[s]
	if !sl.live || sl.gen != uint8(int32(h)>>indexBits) {
		return
	}
	if !sl.cal {
		q.removeAt(int(sl.pos)) // may move other slots, not this one
	} else {
		// calRemove: the node goes stale, or is dropped at its FIFO's head.
		c := &q.cal
		l := &c.lists[int(sl.at&calMask)*calOrders+int(sl.order)]
		if l.head != 0 && c.chunks[l.head-1].nodes[l.hpos].slot == s {
			c.popNode(l)
		}
		sl.cal = false
		c.count--
	}
	q.release(s)
}
