package sim

// Prefetching the events about to run (docs/performance.md).
//
// A fleet's state does not fit in the caches, and misses overlapped with
// other work cost far less than misses waited for. Events mostly run in
// long same-instant stretches of one calendar FIFO, so the loop warms
// that FIFO a chunk ahead: each time its head moves into a new chunk, it
// prefetches what the nodes of the chunk after will read, the keyed timer
// and the entity (the key is the entity), or the queue slot, and the
// chunk after that. So each node is warmed 7 to 14 events before it runs,
// at no cost to the events in between, and no callback is called per
// event. When the loop starts on a FIFO, it warms its head chunk's nodes
// and the next chunk's at once.

import "unsafe"

// warm warms the FIFO the last pop took from when its head just moved
// into a new chunk, or the loop just began popping it. It changes nothing.
func (l *Loop) warm() {
	q := &l.Queue
	c := &q.cal
	p := c.popped
	if p == 0 {
		return
	}
	lst := &c.lists[p-1]
	if lst.head == 0 {
		return
	}
	if p != c.warmed {
		c.warmed = p
		l.warmChunk(lst, lst.head, int(lst.hpos))
	} else if lst.hpos != 0 {
		return
	}
	if next := c.chunks[lst.head-1].next; next != 0 {
		l.warmChunk(lst, next, 0)
		if after := c.chunks[next-1].next; after != 0 {
			prefetch(unsafe.Pointer(&c.chunks[after-1]))
		}
	}
	if q.freeCount > reuseDelay {
		prefetch(unsafe.Pointer(&q.slots[q.freeHead])) // the slot the next Push takes
	}
}

// warmChunk prefetches what the nodes of chunk ch of lst from place pos
// on will read.
func (l *Loop) warmChunk(lst *fifo, ch int32, pos int) {
	q := &l.Queue
	end := chunkNodes
	if ch == lst.tail {
		end = int(lst.tlen)
	}
	ents := *l.ents
	nodes := &q.cal.chunks[ch-1].nodes
	for ; pos < end; pos++ {
		r := nodes[pos].ref
		if r >= 0 {
			if uint(r) < uint(len(q.slots)) {
				prefetch(unsafe.Pointer(&q.slots[r]))
			}
			continue
		}
		k := ^r
		if uint(k) < uint(len(q.timers)) && uint(k) < uint(len(ents)) {
			prefetch2(unsafe.Pointer(&q.timers[k]), unsafe.Pointer(&ents[k]))
		}
		if l.Warm != nil {
			l.Warm(k)
		}
	}
}
