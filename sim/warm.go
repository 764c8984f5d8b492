package sim

// Prefetching the events about to run (docs/performance.md).
//
// A fleet's state does not fit in the caches, and misses overlapped with
// other work cost far less than misses waited for. Events mostly run in
// long same-instant stretches of one calendar FIFO, so after each pop the
// loop keeps a front warmDist nodes ahead of that FIFO's head and moves it
// on by the nodes it passed: for each node it passes it prefetches what
// the node's pop and handling will read, the keyed timer and the entity
// (the key is the entity), or the queue slot. One node a pop, each read
// of a node finds its chunk cached (the chunk after is prefetched when the
// front enters one), and no callback is called per event.

import "unsafe"

// warmDist is how many nodes ahead of the head the front runs: an event
// or more (~100 ns at 100k leases) leaves each fetch time to arrive.
const warmDist = 8

// front is how far the FIFO l has been warmed: lead nodes from its head
// on, the next to warm being chunk ch (index+1), place pos. popNode counts
// pops off l, so the front never falls behind the head; lead 0 means it
// starts again from the head.
type front struct {
	l    *fifo
	ch   int32
	pos  int32
	lead int32
}

// count notes a pop off l.
func (f *front) count(l *fifo) {
	if f.l == l && f.lead > 0 {
		f.lead--
	}
}

// warm moves the front on in the FIFO the last pop took from. It changes
// nothing but the front.
func (l *Loop) warm() {
	q := &l.Queue
	c := &q.cal
	if c.popped == 0 {
		return
	}
	lst := &c.lists[c.popped-1]
	if q.freeCount > reuseDelay {
		prefetch(unsafe.Pointer(&q.slots[q.freeHead])) // the slot the next Push takes
	}
	f := &c.front
	if f.l != lst || f.lead == 0 {
		*f = front{l: lst, ch: lst.head, pos: int32(lst.hpos)}
	}
	ents := *l.ents
	for f.lead < warmDist && f.ch != 0 {
		if f.pos == chunkNodes {
			next := c.chunks[f.ch-1].next
			if next == 0 {
				break
			}
			f.ch, f.pos = next, 0
			if after := c.chunks[next-1].next; after != 0 {
				prefetch(unsafe.Pointer(&c.chunks[after-1]))
			}
		}
		if f.ch == lst.tail && f.pos >= int32(lst.tlen) {
			break
		}
		r := c.chunks[f.ch-1].nodes[f.pos].ref
		f.pos++
		f.lead++
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
