package sim

// Keyed timers: at most one pending event per key, kept without a slot.
//
// An engine's renewal chains are most of its events: each entity has one
// client event pending at a time, moved on at every renewal. Queued with
// Push, each costs a 32-byte slot taken and freed per renewal, and the
// slot is one more cache line to load per event, between the calendar
// node that names it and the entity it targets. A keyed timer is its
// calendar node (key and seq) plus 8 bytes per key: its event's instant
// is its bucket's, its order its FIFO's, its kind the queue's TimerKind,
// its target the key. It sorts among other events exactly as a Push at
// the same moment would: it takes its seq from the same counter.

import (
	"fmt"

	"github.com/leasesim/leasesim/model"
)

// timer is the pending event of one key: none (seq 0); in the calendar
// (seq, and its instant's low 30 bits with its order above them, which
// say its instant while it lies within calSize of the cursor); or in the
// heap, as an ordinary slot (seq inHeap, at its Handle), when it falls
// beyond the calendar.
type timer struct {
	seq uint32
	at  uint32
}

const (
	inHeap   = 1<<32 - 1 // seqs stay below (seqLimit)
	timerAt  = 30        // bits of the instant a calendar timer keeps
	timerMod = 1 << timerAt
)

func (t timer) inCalendar() bool { return t.seq != 0 && t.seq != inHeap }

// SetTimer schedules the event of key k (k >= 0) at at with order, kind
// TimerKind, target k and arg 0, replacing the one pending for k if any:
// it takes its place among ties as a Push (or Reschedule) would now.
func (q *Queue) SetTimer(k int32, at model.Instant, order uint8) {
	if k < 0 || k == ^noRef {
		panic(fmt.Sprintf("sim: timer key %d out of range", k))
	}
	seq := q.next() // first: renumbering moves nothing half-placed
	if int(k) >= len(q.timers) {
		q.timers = append(q.timers, make([]timer, int(k)+1-len(q.timers))...)
		q.timers = q.timers[:cap(q.timers)]
	}
	if q.timers[k].seq != 0 { // none after its pop, a renewal's case
		q.unsetTimer(k)
	}
	if !q.heapOnly && q.cal.takes(at, order) { // a fresh seq sorts last
		c := &q.cal
		if c.lists == nil {
			c.lists = make([]fifo, calSize*calOrders)
		}
		b := int(at & calMask)
		c.push(&c.lists[b*calOrders+int(order)], node{ref: ^k, seq: uint32(seq)})
		c.used[b>>6] |= 1 << (b & 63)
		c.count++
		q.timers[k] = timer{seq: uint32(seq), at: uint32(at)%timerMod | uint32(order)<<timerAt}
		return
	}
	h := q.push(Event{At: at, Order: order, Kind: q.TimerKind, Target: k}, seq)
	q.slots[int32(h)&indexMask].timer = true
	q.timers[k] = timer{seq: inHeap, at: uint32(h)}
}

// CancelTimer removes the pending event of key k; false if none is.
func (q *Queue) CancelTimer(k int32) bool {
	if uint(k) >= uint(len(q.timers)) {
		return false
	}
	return q.unsetTimer(k)
}

func (q *Queue) unsetTimer(k int32) bool {
	if q.dropCalTimer(k) { // in the calendar: its node goes stale
		return true
	}
	if t := q.timers[k]; t.seq == inHeap {
		return q.Cancel(Handle(t.at)) // clears timers[k]
	}
	return false
}

// Timer returns the pending event of key k, or false if none is.
func (q *Queue) Timer(k int32) (Event, bool) {
	t, ok := q.timerEntry(k)
	if !ok {
		return Event{}, false
	}
	return q.timerEvent(t, k), true
}

// timerEntry returns the key of k's pending event as a heap entry.
func (q *Queue) timerEntry(k int32) (entry, bool) {
	if uint(k) >= uint(len(q.timers)) {
		return entry{}, false
	}
	t := q.timers[k]
	switch {
	case t.seq == 0:
		return entry{}, false
	case t.seq == inHeap:
		s, ok := q.lookup(Handle(t.at))
		if !ok {
			return entry{}, false
		}
		return q.entryOf(s), true
	}
	// The instant whose low bits these are, from the cursor on.
	cur := q.cal.cursor
	at := cur + model.Instant((t.at%timerMod-uint32(cur)%timerMod)%timerMod)
	order := uint64(t.at >> timerAt)
	return entry{at: at, key: order<<orderShift | uint64(t.seq)<<seqShift}, true
}

// timerEvent is the event of key k's timer, keyed t.
func (q *Queue) timerEvent(t entry, k int32) Event {
	return Event{At: t.at, Order: t.order(), Kind: q.TimerKind, Target: k}
}

// reserveTimers makes room for keys below n.
func (q *Queue) reserveTimers(n int) {
	if n > len(q.timers) {
		q.timers = append(q.timers, make([]timer, n-len(q.timers))...)
	}
}
