package sim

import (
	"cmp"
	"fmt"
	"math"
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

// Seq is an event's place among ties: the sequence number every Push and
// Reschedule takes. TakeSeq takes one without queueing anything, and
// PushSeq queues an event with it later, so that the event sorts among
// ties exactly as if it had been pushed when the seq was taken. Seqs run
// from 1 to seqLimit (31 bits), so the holder may keep one in the place of
// a Handle, e.g. as ^Handle(s), which is below NoHandle.
type Seq uint32

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
	// seqLimit is the last seq taken before renumbering: 31 bits (see Seq).
	seqLimit = 1<<31 - 1
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

// slot holds the payload of one event and where it is queued: in the heap
// (pos is its heap index) or in the calendar (at, order and seq are its
// key there, because a calendar node holds only the slot and the seq).
// 32 bytes: two to a cache line.
type slot struct {
	at     model.Instant // calendar events only
	target int32
	arg    int32
	pos    int32  // heap index while in the heap; next free slot while free
	seq    uint32 // calendar events only
	gen    uint8
	kind   Kind
	order  uint8 // calendar events only
	live   bool
	cal    bool // queued in the calendar rather than the heap
	timer  bool // a keyed timer's event queued in the heap (SetTimer)
}

// Queue is a priority queue of events with handles, built for timers that
// mostly fall a little ahead of now: a calendar of one-second buckets
// covering the calSize seconds from the instant of the last Pop, each bucket
// one FIFO per same-instant order class, plus an indexed 4-ary min-heap for
// everything else (events further ahead, order classes >= calOrders, and
// events pushed before the last popped instant). Push, Pop, Reschedule and
// Cancel are O(1) in the calendar (Peek and Pop scan a bitmap of non-empty
// buckets, 64 at a time) and O(log n) in the heap.
//
// Events are totally ordered by (At, Order, seq), where seq is a counter
// taken at each Push and each Reschedule (or earlier, by TakeSeq, for
// PushSeq), so ties are FIFO and the order is fully deterministic
// whichever structure holds an event: a calendar FIFO is appended to only
// with a seq larger than its tail's, so it is sorted by seq; the next
// event is the lesser of the calendar's first and the heap's top.
//
// The heap starts at index root (3), with padding before it so that each
// node's four children fill one 64-byte cache line: the children of node i
// are 4i-8 .. 4i-5 and its parent is i/4+2. Heap invariant: for every index
// i > root, !heap[i].less(heap[i/4+2]), so heap[root] is the heap's least
// event; and for every slot s in the heap, heap[slots[s].pos].slot() == s,
// which is what lets Reschedule and Cancel find an event in O(1).
//
// Every array holds plain values and grows amortised; once they have reached
// their peak size, Push, Pop, Reschedule and Cancel allocate nothing. The
// zero value is an empty queue ready to use. A Queue is not safe for
// concurrent use (the simulator has no goroutines).
type Queue struct {
	heap  []entry
	slots []slot
	seq   uint64
	cal   calendar
	// timers holds the keyed timers (SetTimer), by key.
	timers []timer
	// TimerKind is the Kind of every keyed timer's event.
	TimerKind Kind
	// heapOnly sends every event to the heap: the queue as it was before
	// the calendar, kept for the differential test and benchmarks.
	heapOnly bool
	// BeforeRenumber, when set, is called when the seq counter is full,
	// before the pending events are renumbered: it must PushSeq every seq
	// taken by TakeSeq and not yet pushed, because renumbering gives the
	// pending events new seqs that a seq held outside would not follow.
	BeforeRenumber func()

	// FIFO list of free slots threaded through slot.pos.
	freeHead, freeTail int32
	freeCount          int
}

const (
	calBits   = 13
	calSize   = 1 << calBits // seconds the calendar covers (≈2.3 h: a 1h TTL's timers)
	calMask   = calSize - 1
	calOrders = 4 // order classes 0..3 may use the calendar
)

// node is a calendar FIFO's element: an event's ref and the seq it was
// queued with. A ref >= 0 is a slot: the node stands for the slot's event
// while the slot is in the calendar with that seq. A ref < 0 is ^k, a
// keyed timer (SetTimer): the node is its event while timers[k] holds
// that seq, and is all there is of it (its instant is its bucket's, its
// order its FIFO's). A Cancel or Reschedule leaves the node where it is,
// so it goes stale; stale nodes are dropped when they reach the head of
// their FIFO. Nothing is unlinked in the middle of a list, so moving an
// event touches its own slot and the tail it joins, not its neighbours.
type node struct {
	ref int32
	seq uint32 // 0: stale for good (renumber)
}

// noRef is a ref that names nothing: no slot, and the one key SetTimer
// refuses (its complement would collide with it).
const noRef int32 = math.MinInt32

// chunk is a piece of a FIFO: chunkNodes nodes and the next chunk (index+1,
// 0 for none), one cache line. Events that fall due at the same instant
// are mostly queued at the same time, so they share chunks.
const chunkNodes = 7

type chunk struct {
	nodes [chunkNodes]node
	next  int32
	_     int32
}

// fifo is a list of nodes in chunks: head and tail are chunk index+1 (0:
// empty); nodes head.nodes[hpos:] ... tail.nodes[:tlen] are queued.
type fifo struct {
	head, tail int32
	hpos, tlen uint16
}

// calendar holds events with cursor <= At < cursor+calSize, bucket At mod
// calSize. cursor is the instant of the last Pop; no event is earlier, so
// every bucket maps to one instant. A bucket's bit in used is set while
// any of its FIFOs holds a node, stale or not.
type calendar struct {
	cursor model.Instant
	count  int    // live events
	lists  []fifo // bucket*calOrders + order; allocated on first use
	used   [calSize / 64]uint64
	chunks []chunk
	free   int32 // free chunks, linked through next (index+1)
	warmed int32 // the FIFO the loop warms (warm.go), as popped
	popped int32 // the FIFO the last pop took from: its lists index+1; 0: the heap
}

func (c *calendar) takes(at model.Instant, order uint8) bool {
	return order < calOrders && at >= c.cursor && uint64(at)-uint64(c.cursor) < calSize
}

// sortsLast reports whether seq is larger than every seq in the FIFO of
// (at, order): its tail's is the largest (a stale node's is 0 or was live).
func (c *calendar) sortsLast(at model.Instant, order uint8, seq Seq) bool {
	if c.lists == nil {
		return true
	}
	l := &c.lists[int(at&calMask)*calOrders+int(order)]
	return l.tail == 0 || c.chunks[l.tail-1].nodes[l.tlen-1].seq < uint32(seq)
}

// first returns the first non-empty bucket from the cursor on.
func (c *calendar) first() int {
	start := int(c.cursor & calMask)
	w := start >> 6
	word := c.used[w] &^ (1<<(start&63) - 1)
	for word == 0 {
		w = (w + 1) % len(c.used)
		word = c.used[w]
	}
	return w<<6 | bits.TrailingZeros64(word)
}

// Advance moves the calendar's window on to start at t, or at the first
// instant before t one of its buckets holds an event at (dropping the
// stale nodes on the way, as a pop would). The window starts at the last popped instant; the loop's Pass
// (resume.go) queues events at the end of an instant none ran at, often
// hours after the last one popped, and from a window left that far behind
// they would go to the heap. Call it only when no event before t is
// queued but in the heap: between events, with t at most the next one's
// instant. It changes no event's order.
func (q *Queue) Advance(t model.Instant) {
	c := &q.cal
	if t <= c.cursor {
		return
	}
	c.popped = 0 // runNext's FIFO is at the old start
	for scanned := model.Instant(0); c.cursor < t; {
		if scanned >= calSize { // every bucket is empty
			c.cursor = t
			return
		}
		b := int(c.cursor & calMask)
		w := c.used[b>>6] >> (b & 63)
		if w&1 != 0 {
			if q.headLive(b) {
				return
			}
			continue // only stale nodes: the bucket is empty now
		}
		step := model.Instant(64 - b&63)
		if w != 0 {
			step = model.Instant(bits.TrailingZeros64(w))
		}
		step = min(step, t-c.cursor)
		c.cursor += step
		scanned += step
	}
}

// headLive drops the stale nodes at the heads of bucket b's FIFOs and
// reports whether one holds an event; if none does, the bucket is empty
// and marked so.
func (q *Queue) headLive(b int) bool {
	c := &q.cal
	for o := range calOrders {
		l := &c.lists[b*calOrders+o]
		for l.head != 0 {
			n := c.chunks[l.head-1].nodes[l.hpos]
			if n.seq != 0 && (n.ref < 0 && q.timers[^n.ref].seq == n.seq ||
				n.ref >= 0 && q.slots[n.ref].cal && q.slots[n.ref].seq == n.seq) {
				return true
			}
			c.popNode(l)
		}
	}
	c.used[b>>6] &^= 1 << (b & 63)
	return false
}

// root is the index of the top of the heap; the padding before it aligns
// sibling groups to cache lines (the runtime page-aligns large arrays).
const root = 3

func parent(i int) int     { return i/4 + 2 }
func firstChild(i int) int { return 4*i - 8 }

// Len returns the number of pending events. O(1).
func (q *Queue) Len() int { return max(len(q.heap)-root, 0) + q.cal.count }

// Push schedules e and returns its handle.
func (q *Queue) Push(e Event) Handle {
	return q.push(e, q.next()) // the seq first: renumbering moves nothing half-placed
}

// TakeSeq takes the next seq, as a Push would, and queues nothing: see Seq.
// It stays valid until it is pushed, or until BeforeRenumber is called
// (which must push it).
func (q *Queue) TakeSeq() Seq { return q.next() }

// PushSeq schedules e with seq s, taken by TakeSeq and not pushed since,
// and returns its handle: among events at the same At and Order, e runs
// after those whose seqs were taken before s and before those taken after,
// wherever it is queued. It panics on a seq this queue has not given out.
func (q *Queue) PushSeq(e Event, s Seq) Handle {
	if s == 0 || uint64(s) > q.seq {
		panic(fmt.Sprintf("sim: PushSeq of seq %d, not taken (the counter is at %d)", s, q.seq))
	}
	return q.push(e, s)
}

func (q *Queue) push(e Event, seq Seq) Handle {
	s := q.alloc()
	sl := &q.slots[s]
	sl.target, sl.arg, sl.kind, sl.live = e.Target, e.Arg, e.Kind, true
	gen := sl.gen
	q.place(s, e.At, e.Order, seq)
	return makeHandle(s, gen)
}

// place queues slot s at (at, order) with seq: in the calendar when it
// covers at and the seq sorts after its FIFO's tail (always, for a fresh
// seq), else in the heap.
func (q *Queue) place(s int32, at model.Instant, order uint8, seq Seq) {
	k := uint64(order)<<orderShift | uint64(seq)<<seqShift | uint64(s)
	if !q.heapOnly && q.cal.takes(at, order) && q.cal.sortsLast(at, order, seq) {
		q.calAppend(s, at, order, k)
		return
	}
	q.slots[s].cal = false
	if len(q.heap) == 0 {
		q.heap = append(q.heap, make([]entry, root)...)
	}
	q.heap = append(q.heap, entry{})
	q.siftUp(len(q.heap)-1, entry{at: at, key: k})
}

// unplace takes slot s out of the structure holding it.
func (q *Queue) unplace(s int32) {
	if sl := &q.slots[s]; sl.cal {
		q.calRemove(s, sl)
	} else {
		q.removeAt(int(sl.pos))
		sl.pos = -1
	}
}

// top returns the least pending entry, the calendar's first or the
// heap's, and its ref (see node).
func (q *Queue) top() (entry, int32, bool) {
	if e, ref, ok := q.runNext(); ok {
		return e, ref, true
	}
	return q.scanTop()
}

// scanTop is top the long way: the heap's top against the calendar's
// first, found by scanning from its cursor.
func (q *Queue) scanTop() (entry, int32, bool) {
	var best entry
	ref, ok := int32(0), false
	if len(q.heap) > root {
		best, ok = q.heap[root], true
		ref = best.slot()
	}
	if q.cal.count > 0 {
		c, r := q.calFirst()
		if !ok || c.less(best) {
			best, ref, ok = c, r, true
		}
	}
	return best, ref, ok
}

// reserve makes room for n pending events.
func (q *Queue) reserve(n int) {
	if n > cap(q.slots) {
		q.slots = slices.Grow(q.slots, n-len(q.slots))
	}
}

// runNext is top's answer when it is the next node of the FIFO the last
// pop took from, as it mostly is (a fleet's renewals run in long
// same-instant stretches of one order): found without scanning the
// calendar from its cursor, which is that pop's instant. It returns
// false, for top to look the usual way, when that FIFO is empty, its
// head is stale, a FIFO of a smaller order at that instant is not empty,
// or the heap's top comes first.
func (q *Queue) runNext() (entry, int32, bool) {
	c := &q.cal
	if c.popped == 0 {
		return entry{}, 0, false
	}
	i := int(c.popped - 1)
	b := i / calOrders
	at := c.cursor
	if int(at&calMask) != b {
		return entry{}, 0, false
	}
	for j := b * calOrders; j < i; j++ {
		if c.lists[j].head != 0 {
			return entry{}, 0, false
		}
	}
	l := &c.lists[i]
	if l.head == 0 {
		return entry{}, 0, false
	}
	n := c.chunks[l.head-1].nodes[l.hpos]
	if n.seq == 0 {
		return entry{}, 0, false
	}
	key := uint64(i%calOrders)<<orderShift | uint64(n.seq)<<seqShift
	if n.ref < 0 {
		if q.timers[^n.ref].seq != n.seq {
			return entry{}, 0, false
		}
	} else if sl := &q.slots[n.ref]; !sl.cal || sl.seq != n.seq {
		return entry{}, 0, false
	} else {
		key |= uint64(n.ref)
	}
	e := entry{at: at, key: key}
	if len(q.heap) > root && !e.less(q.heap[root]) {
		return entry{}, 0, false
	}
	return e, n.ref, true
}

// calFirst returns the calendar's least event (there must be one) and
// its ref, dropping the stale nodes in front of it.
func (q *Queue) calFirst() (entry, int32) {
	c := &q.cal
	for {
		b := c.first()
		for o := range calOrders {
			l := &c.lists[b*calOrders+o]
			for l.head != 0 {
				n := c.chunks[l.head-1].nodes[l.hpos]
				if n.ref < 0 {
					if t := q.timers[^n.ref]; t.seq == n.seq && n.seq != 0 {
						// The bucket's instant: the one in [cursor, cursor+calSize).
						at := c.cursor + model.Instant((b-int(c.cursor&calMask))&calMask)
						return entry{at: at, key: uint64(o)<<orderShift | uint64(n.seq)<<seqShift}, n.ref
					}
				} else if sl := &q.slots[n.ref]; sl.cal && sl.seq == n.seq && n.seq != 0 {
					return entry{at: sl.at, key: uint64(sl.order)<<orderShift | uint64(n.seq)<<seqShift | uint64(n.ref)}, n.ref
				}
				c.popNode(l)
			}
		}
		c.used[b>>6] &^= 1 << (b & 63) // only stale nodes were left
	}
}

// Peek returns the next event without removing it, or false if the queue
// is empty. O(1) in the heap, a bitmap scan in the calendar.
func (q *Queue) Peek() (Event, bool) {
	t, ref, ok := q.top()
	if !ok {
		return Event{}, false
	}
	if ref < 0 {
		return q.timerEvent(t, ^ref), true
	}
	return q.event(t), true
}

// Pop removes and returns the next event with the handle it had; that
// handle is dead once Pop returns. It returns false if the queue is empty.
func (q *Queue) Pop() (Event, Handle, bool) {
	t, ref, ok := q.top()
	if !ok {
		return Event{}, NoHandle, false
	}
	var ev Event
	h := q.pop(t, ref, &ev)
	return ev, h, true
}

// pop removes the event top just returned (t, ref), stores it in ev and
// returns its handle; a keyed timer's event has none: NoHandle. It stores
// ev field by field rather than return it: a returned Event (five fields)
// is spilled in pieces and copied 16 bytes at a time, and those loads
// wait for the stores they straddle (12% of the loop's samples,
// docs/performance.md).
func (q *Queue) pop(t entry, ref int32, ev *Event) Handle {
	if ref < 0 {
		// At the head of its FIFO, where calFirst found it.
		k := ^ref
		c := &q.cal
		i := int(t.at&calMask)*calOrders + int(t.order())
		c.popNode(&c.lists[i])
		c.popped = int32(i + 1)
		c.count--
		q.timers[k] = timer{}
		if t.at > c.cursor {
			c.cursor = t.at
		}
		ev.At, ev.Order, ev.Kind, ev.Target, ev.Arg = t.at, t.order(), q.TimerKind, k, 0
		return NoHandle
	}
	s := ref
	sl := &q.slots[s]
	ev.At, ev.Order, ev.Kind, ev.Target, ev.Arg = t.at, t.order(), sl.kind, sl.target, sl.arg
	h := makeHandle(s, sl.gen)
	if sl.timer {
		q.timers[sl.target] = timer{}
	}
	q.cal.popped = 0
	if sl.cal {
		q.cal.popped = int32(int(sl.at&calMask)*calOrders + int(sl.order) + 1)
	}
	q.unplace(s)
	q.release(s)
	// Nothing pending is earlier than ev, so the calendar may start here.
	if t.at > q.cal.cursor {
		q.cal.cursor = t.at
	}
	return h
}

// Reschedule moves the event of h to at, keeping its Order, Kind, Target
// and Arg. It takes a new place in the FIFO order among ties, as a new Push
// would. It returns false, changing nothing, if h is dead or stale.
func (q *Queue) Reschedule(h Handle, at model.Instant) bool {
	s, ok := q.lookup(h)
	if !ok {
		return false
	}
	order := q.orderOf(s)
	seq := q.next() // may renumber (and push held seqs): positions are read after it
	if !q.slots[s].cal && (q.heapOnly || !q.cal.takes(at, order)) {
		// Heap to heap: move the entry in place.
		i := q.slots[s].pos
		q.fix(int(i), entry{at: at, key: uint64(order)<<orderShift | uint64(seq)<<seqShift | uint64(s)})
		return true
	}
	q.unplace(s)
	q.place(s, at, order, seq)
	return true
}

// Cancel removes the event of h. It returns false, changing nothing, if h is
// dead or stale (NoHandle, a held expiry, a popped event).
//
// A cascade cancels a million timers one after another, so Cancel loads
// the slot once and indexes nothing twice (release sets pos).
func (q *Queue) Cancel(h Handle) bool {
	s := int32(h) & indexMask
	if h < 0 || int(s) >= len(q.slots) {
		return false
	}
	sl := &q.slots[s]
	if !sl.live || sl.gen != uint8(int32(h)>>indexBits) {
		return false
	}
	if sl.cal {
		q.calRemove(s, sl)
	} else {
		q.removeAt(int(sl.pos)) // may move other slots, not this one
	}
	if sl.timer {
		q.timers[sl.target] = timer{}
	}
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
	return q.event(q.entryOf(s)), true
}

// Reset empties the queue and keeps its memory. Afterwards the queue
// behaves exactly like a new one, handle values included, so a reused queue
// gives the same run as a fresh one; handles from before Reset must not be
// used again (they may name new events). O(calSize).
func (q *Queue) Reset() {
	q.heap = q.heap[:0]
	q.slots = q.slots[:0]
	q.seq = 0
	q.freeHead, q.freeTail, q.freeCount = 0, 0, 0
	clear(q.timers)
	q.timers = q.timers[:0]
	clear(q.cal.lists)
	q.cal = calendar{lists: q.cal.lists, chunks: q.cal.chunks[:0]}
}

// orderOf returns the order class of the pending event in slot s.
func (q *Queue) orderOf(s int32) uint8 {
	if q.slots[s].cal {
		return q.slots[s].order
	}
	return q.heap[q.slots[s].pos].order()
}

// entryOf returns the key of the pending event in slot s as a heap entry.
func (q *Queue) entryOf(s int32) entry {
	sl := &q.slots[s]
	if !sl.cal {
		return q.heap[sl.pos]
	}
	return entry{at: sl.at, key: uint64(sl.order)<<orderShift | uint64(sl.seq)<<seqShift | uint64(s)}
}

// calAppend queues slot s at the tail of its calendar FIFO; key's seq is
// the largest yet, so the FIFO stays sorted by seq.
func (q *Queue) calAppend(s int32, at model.Instant, order uint8, key uint64) {
	c := &q.cal
	if c.lists == nil {
		c.lists = make([]fifo, calSize*calOrders)
	}
	b := int(at & calMask)
	seq := uint32(key >> seqShift & seqMask)
	c.push(&c.lists[b*calOrders+int(order)], node{ref: s, seq: seq})
	sl := &q.slots[s]
	sl.cal, sl.at, sl.order, sl.seq = true, at, order, seq
	c.used[b>>6] |= 1 << (b & 63)
	c.count++
}

// calRemove takes slot s (at sl) out of the calendar: its node goes stale. The
// node of a popped event is at its FIFO's head: drop it now.
func (q *Queue) calRemove(s int32, sl *slot) {
	c := &q.cal
	l := &c.lists[int(sl.at&calMask)*calOrders+int(sl.order)]
	if l.head != 0 && c.chunks[l.head-1].nodes[l.hpos].ref == s {
		c.popNode(l)
	}
	sl.cal = false
	c.count--
}

// push appends n to l.
func (c *calendar) push(l *fifo, n node) {
	if l.tail == 0 || l.tlen == chunkNodes {
		c.addChunk(l)
	}
	c.chunks[l.tail-1].nodes[l.tlen] = n
	l.tlen++
}

// addChunk appends an empty chunk to l.
func (c *calendar) addChunk(l *fifo) {
	k := c.newChunk()
	if l.tail == 0 {
		l.head, l.hpos = k, 0
	} else {
		c.chunks[l.tail-1].next = k
	}
	l.tail, l.tlen = k, 0
}

// popNode drops l's head node, freeing its chunk when it is used up.
func (c *calendar) popNode(l *fifo) {
	l.hpos++
	end := uint16(chunkNodes)
	if l.head == l.tail {
		end = l.tlen
	}
	if l.hpos < end {
		return // small enough to inline: the head chunk's common case
	}
	c.dropHead(l)
}

// dropHead frees l's head chunk, used up.
func (c *calendar) dropHead(l *fifo) {
	if l.head == l.tail {
		c.freeChunk(l.head)
		*l = fifo{}
		return
	}
	k := l.head
	l.head, l.hpos = c.chunks[k-1].next, 0
	c.freeChunk(k)
}

func (c *calendar) newChunk() int32 {
	if k := c.free; k != 0 {
		c.free = c.chunks[k-1].next
		c.chunks[k-1].next = 0
		return k
	}
	c.chunks = append(c.chunks, chunk{})
	return int32(len(c.chunks))
}

func (c *calendar) freeChunk(k int32) {
	c.chunks[k-1].next = c.free
	c.free = k
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

// next takes a fresh sequence number, renumbering first when the counter
// is full. Call it before changing anything: renumbering (and
// BeforeRenumber's pushes) must find every pending event fully placed.
func (q *Queue) next() Seq {
	if q.seq >= seqLimit {
		q.renumber()
	}
	q.seq++
	return Seq(q.seq)
}

// renumber gives the pending events the sequence numbers 1..n in their
// current sequence order, so the counter can go on in 31 bits. Every
// comparison between pending events keeps its result, so the heap and the
// calendar FIFOs stay valid as they are. Seqs held outside (TakeSeq) are
// pushed first by BeforeRenumber, so they are renumbered with the rest. It
// runs once per 2^31 schedulings: O(n log n) then, and nothing amortised.
func (q *Queue) renumber() {
	if q.BeforeRenumber != nil {
		q.BeforeRenumber()
	}
	type pending struct {
		seq uint64
		ref int32 // a slot, or ^key of a keyed timer in the calendar
	}
	var byseq []pending
	for s := range q.slots {
		if q.slots[s].live && (q.slots[s].cal || q.slots[s].pos >= 0) {
			byseq = append(byseq, pending{q.entryOf(int32(s)).seq(), int32(s)})
		}
	}
	for k, t := range q.timers {
		if t.inCalendar() {
			byseq = append(byseq, pending{uint64(t.seq), ^int32(k)})
		}
	}
	slices.SortFunc(byseq, func(a, b pending) int { return cmp.Compare(a.seq, b.seq) })
	// Calendar nodes first, while the slots' and timers' seqs still tell
	// live nodes from stale ones: live nodes take their event's new seq,
	// stale ones go stale for good (an old seq could match a new one).
	newSeq := make([]uint32, len(q.slots))
	newKeySeq := make([]uint32, len(q.timers))
	for rank, p := range byseq {
		if p.ref >= 0 {
			newSeq[p.ref] = uint32(rank + 1)
		} else {
			newKeySeq[^p.ref] = uint32(rank + 1)
		}
	}
	for i := range q.cal.lists {
		l := &q.cal.lists[i]
		for k, pos := l.head, l.hpos; k != 0; k, pos = q.cal.chunks[k-1].next, 0 {
			ch := &q.cal.chunks[k-1]
			end := uint16(chunkNodes)
			if k == l.tail {
				end = l.tlen
			}
			for ; pos < end; pos++ {
				n := &ch.nodes[pos]
				switch {
				case n.seq == 0:
				case n.ref < 0 && q.timers[^n.ref].seq == n.seq:
					n.seq = newKeySeq[^n.ref]
				case n.ref >= 0 && q.slots[n.ref].cal && q.slots[n.ref].seq == n.seq:
					n.seq = newSeq[n.ref]
				default:
					n.seq = 0
				}
			}
		}
	}
	for rank, p := range byseq {
		seq := uint64(rank + 1)
		if p.ref < 0 {
			q.timers[^p.ref].seq = uint32(seq)
		} else if sl := &q.slots[p.ref]; sl.cal {
			sl.seq = uint32(seq)
		} else {
			e := &q.heap[sl.pos]
			e.key = e.key&^(seqMask<<seqShift) | seq<<seqShift
		}
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
	sl.live, sl.timer = false, false
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
