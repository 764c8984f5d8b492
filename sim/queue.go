package sim

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/leasesim/leasesim/model"
)

// Kind says what an event does. Its values are defined by the engine that
// handles the events; the queue never looks at it.
type Kind uint8

// Event is one scheduled happening. It is a plain value: no pointers, so a
// queue of millions of events is never scanned by the garbage collector.
type Event struct {
	At     model.Instant
	Order  uint8 // same-instant order class: smaller runs first (e.g. expiry before renewal)
	Kind   Kind
	Target int32 // entity or actor index, meaning set by the engine
	Arg    int32 // free payload
}

// Handle is a stable id of a scheduled event, valid from Push until the event
// is popped or cancelled.
//
// A Handle packs a slot index (low 24 bits) and that slot's generation (next
// 7 bits) into one non-negative int32, so it stays as small as the index the
// engine would store anyway. The generation is bumped each time the slot is
// freed, so a stale handle is rejected rather than touching whatever event
// reuses its slot. Seven bits wrap after 128 reuses of a slot; freed slots
// also wait in a FIFO behind reuseDelay others before reuse, so a stale
// handle can alias a live event only after at least 128*(reuseDelay+1)
// pushes, and then only if it lands exactly on a wrap. The check is a guard
// against engine bugs, not a licence to keep dead handles.
type Handle int32

// NoHandle is never returned for a scheduled event; use it for "none".
const NoHandle Handle = -1

const (
	indexBits = 24
	indexMask = 1<<indexBits - 1
	genMask   = 1<<(31-indexBits) - 1
	// maxSlots bounds the number of events pending at once (16,777,216).
	maxSlots = 1 << indexBits
	// reuseDelay is how many freed slots must be waiting before the oldest
	// is reused; it spreads reuse out so generations wrap slowly (see Handle).
	reuseDelay = 1024

	// An entry's key packs Order (8 bits), seq (32 bits) and the slot
	// (24 bits, never compared in effect because seqs are unique).
	orderShift = 56
	seqShift   = indexBits
	seqMask    = 1<<32 - 1
)

func makeHandle(s int32, gen uint8) Handle {
	return Handle(int32(gen)<<indexBits | s)
}

// entry is one heap element: the sort key and the slot it belongs to, in 16
// bytes so that the four children of a node share a 64-byte cache line.
// Keys live here rather than in the slot so that sifting compares adjacent
// memory instead of chasing slot indices.
type entry struct {
	at  model.Instant
	key uint64 // Order<<56 | seq<<24 | slot: compared as one number after at
}

func (e entry) slot() int32  { return int32(e.key & indexMask) }
func (e entry) order() uint8 { return uint8(e.key >> orderShift) }
func (e entry) seq() uint64  { return e.key >> seqShift & seqMask }

func (a entry) less(b entry) bool { return lessBit(a, b) == 1 }

// lessBit is 1 if a sorts before b, else 0. It compares (at, key) as one
// 128-bit number with a subtract-with-borrow, so it compiles to no branch:
// sifting picks the least of four children by arithmetic, because a branch
// on random keys is mispredicted about half the time.
func lessBit(a, b entry) int {
	const signBit = 1 << 63 // maps int64 order onto uint64 order
	_, borrow := bits.Sub64(a.key, b.key, 0)
	_, borrow = bits.Sub64(uint64(a.at)^signBit, uint64(b.at)^signBit, borrow)
	return int(borrow)
}

// slot holds the payload of one event and where its entry sits in the heap.
type slot struct {
	target int32
	arg    int32
	pos    int32 // heap index while live; next free slot while free
	gen    uint8
	kind   Kind
	live   bool
}

// Queue is an indexed 4-ary min-heap of events with handles.
//
// Events are totally ordered by (At, Order, seq), where seq is a counter
// taken at each Push and each Reschedule, so ties are FIFO and the order is
// fully deterministic. The heap starts at index root (3), with padding
// before it so that each node's four children fill one 64-byte cache line:
// the children of node i are 4i-8 .. 4i-5 and its parent is i/4+2. Heap
// invariant: for every index i > root, !heap[i].less(heap[i/4+2]), so
// heap[root] is the next event; and for every live slot s,
// heap[slots[s].pos].slot() == s, which is what lets Reschedule and Cancel
// find an event in O(1) before sifting it.
//
// Both arrays hold plain values and grow amortised; once they have reached
// their peak size, Push, Pop, Reschedule and Cancel allocate nothing. The
// zero value is an empty queue ready to use. A Queue is not safe for
// concurrent use (the simulator has no goroutines).
type Queue struct {
	heap  []entry
	slots []slot
	seq   uint64

	// FIFO list of free slots threaded through slot.pos.
	freeHead, freeTail int32
	freeCount          int
}

// root is the index of the top of the heap; the padding before it aligns
// sibling groups to cache lines (the runtime page-aligns large arrays).
const root = 3

func parent(i int) int     { return i/4 + 2 }
func firstChild(i int) int { return 4*i - 8 }

// Len returns the number of pending events. O(1).
func (q *Queue) Len() int { return max(len(q.heap)-root, 0) }

// Push schedules e and returns its handle. O(log n).
func (q *Queue) Push(e Event) Handle {
	s := q.alloc()
	sl := &q.slots[s]
	sl.target, sl.arg, sl.kind, sl.live = e.Target, e.Arg, e.Kind, true
	k := q.key(e.Order, s) // before append: key may renumber the heap
	if len(q.heap) == 0 {
		q.heap = append(q.heap, make([]entry, root)...)
	}
	q.heap = append(q.heap, entry{})
	q.siftUp(len(q.heap)-1, entry{at: e.At, key: k})
	return makeHandle(s, sl.gen)
}

// Peek returns the next event without removing it, or false if the queue
// is empty. O(1).
func (q *Queue) Peek() (Event, bool) {
	if q.Len() == 0 {
		return Event{}, false
	}
	return q.event(q.heap[root]), true
}

// Pop removes and returns the next event with the handle it had; that
// handle is dead once Pop returns. It returns false if the queue is empty.
// O(log n).
func (q *Queue) Pop() (Event, Handle, bool) {
	if q.Len() == 0 {
		return Event{}, NoHandle, false
	}
	top := q.heap[root]
	ev := q.event(top)
	s := top.slot()
	h := makeHandle(s, q.slots[s].gen)
	q.removeAt(root)
	q.release(s)
	return ev, h, true
}

// Reschedule moves the event of h to at, keeping its Order, Kind, Target
// and Arg. It takes a new place in the FIFO order among ties, as a new Push
// would. It returns false, changing nothing, if h is dead or stale.
// O(log n).
func (q *Queue) Reschedule(h Handle, at model.Instant) bool {
	s, ok := q.lookup(h)
	if !ok {
		return false
	}
	k := q.key(q.heap[q.slots[s].pos].order(), s)
	i := q.slots[s].pos // after key, which may renumber but never moves entries
	q.fix(int(i), entry{at: at, key: k})
	return true
}

// Cancel removes the event of h. It returns false, changing nothing, if h is
// dead or stale. O(log n).
func (q *Queue) Cancel(h Handle) bool {
	s, ok := q.lookup(h)
	if !ok {
		return false
	}
	q.removeAt(int(q.slots[s].pos))
	q.release(s)
	return true
}

// Event returns the pending event of h, or false if h is dead or stale.
// O(1).
func (q *Queue) Event(h Handle) (Event, bool) {
	s, ok := q.lookup(h)
	if !ok {
		return Event{}, false
	}
	return q.event(q.heap[q.slots[s].pos]), true
}

// Reset empties the queue and keeps its memory. Afterwards the queue
// behaves exactly like a new one, handle values included, so a reused queue
// gives the same run as a fresh one; handles from before Reset must not be
// used again (they may name new events). O(1).
func (q *Queue) Reset() {
	q.heap = q.heap[:0]
	q.slots = q.slots[:0]
	q.seq = 0
	q.freeHead, q.freeTail, q.freeCount = 0, 0, 0
}

// lookup returns the slot of a live handle.
func (q *Queue) lookup(h Handle) (int32, bool) {
	if h < 0 {
		return 0, false
	}
	s := int32(h) & indexMask
	if int(s) >= len(q.slots) {
		return 0, false
	}
	sl := &q.slots[s]
	if !sl.live || sl.gen != uint8(int32(h)>>indexBits) {
		return 0, false
	}
	return s, true
}

func (q *Queue) event(e entry) Event {
	sl := &q.slots[e.slot()]
	return Event{
		At:     e.at,
		Order:  e.order(),
		Kind:   sl.kind,
		Target: sl.target,
		Arg:    sl.arg,
	}
}

// key packs order and slot s with a fresh sequence number.
func (q *Queue) key(order uint8, s int32) uint64 {
	if q.seq == seqMask {
		q.renumber()
	}
	q.seq++
	return uint64(order)<<orderShift | q.seq<<seqShift | uint64(s)
}

// renumber gives the pending events the sequence numbers 1..n in their
// current sequence order, so the counter can go on in 32 bits. Every
// comparison between pending events keeps its result, so the heap stays
// valid as it is. It runs once per 2^32 schedulings: O(n log n) then, and
// nothing amortised.
func (q *Queue) renumber() {
	byseq := make([]int32, q.Len())
	for i := range byseq {
		byseq[i] = int32(root + i)
	}
	slices.SortFunc(byseq, func(a, b int32) int {
		return cmp.Compare(q.heap[a].seq(), q.heap[b].seq())
	})
	for rank, i := range byseq {
		e := &q.heap[i]
		e.key = e.key&^(seqMask<<seqShift) | uint64(rank+1)<<seqShift
	}
	q.seq = uint64(len(byseq))
}

// alloc returns a free slot, reusing one only when enough are waiting.
func (q *Queue) alloc() int32 {
	if q.freeCount > reuseDelay {
		s := q.freeHead
		q.freeHead = q.slots[s].pos
		q.freeCount--
		return s
	}
	if len(q.slots) >= maxSlots {
		panic(fmt.Sprintf("sim: more than %d events pending at once", maxSlots))
	}
	q.slots = append(q.slots, slot{})
	return int32(len(q.slots) - 1)
}

// release frees slot s and bumps its generation so old handles die.
func (q *Queue) release(s int32) {
	sl := &q.slots[s]
	sl.live = false
	sl.gen = (sl.gen + 1) & genMask
	sl.pos = -1
	if q.freeCount == 0 {
		q.freeHead = s
	} else {
		q.slots[q.freeTail].pos = s
	}
	q.freeTail = s
	q.freeCount++
}

// removeAt deletes heap[i], filling the hole with the last entry.
func (q *Queue) removeAt(i int) {
	n := len(q.heap) - 1
	last := q.heap[n]
	q.heap = q.heap[:n]
	if i < n {
		q.fix(i, last)
	}
}

// fix places e at index i, moving it up or down to restore the invariant.
func (q *Queue) fix(i int, e entry) {
	if i > root && e.less(q.heap[parent(i)]) {
		q.siftUp(i, e)
	} else {
		q.siftDown(i, e)
	}
}

// siftUp moves the hole at i towards the root until e fits, then stores e.
// Moving a hole instead of swapping halves the writes.
func (q *Queue) siftUp(i int, e entry) {
	for i > root {
		p := parent(i)
		if !e.less(q.heap[p]) {
			break
		}
		q.set(i, q.heap[p])
		i = p
	}
	q.set(i, e)
}

// siftDown moves the hole at i towards the leaves until e fits, then stores e.
func (q *Queue) siftDown(i int, e entry) {
	h := q.heap
	n := len(h)
	for {
		first := firstChild(i)
		if first >= n {
			break
		}
		var m int
		if first+3 < n {
			// Common case, four children: a branch-free tournament.
			m01 := first + lessBit(h[first+1], h[first])
			m23 := first + 2 + lessBit(h[first+3], h[first+2])
			m = m01 + (m23-m01)*lessBit(h[m23], h[m01])
		} else {
			m = first
			for c := first + 1; c < n; c++ {
				if h[c].less(h[m]) {
					m = c
				}
			}
		}
		if !h[m].less(e) {
			break
		}
		q.set(i, h[m])
		i = m
	}
	q.set(i, e)
}

func (q *Queue) set(i int, e entry) {
	q.heap[i] = e
	q.slots[e.slot()].pos = int32(i)
}
