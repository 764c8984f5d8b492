package sim

import (
	"cmp"
	"math/bits"
	"slices"

	"github.com/leasesim/leasesim/model"
)

// pendingQueue holds the resumption's pending entries (resume.go) in key
// order: by tk, the instant whose end queues them, then the order they
// were made. It is a monotone priority queue: an entry is pushed for a tk
// after the loop's now, and popped once the loop has reached it, so it
// needs no general heap. Entries wait in buckets of 2^pendShift seconds
// of tk, a ring of pendRing of them from the bucket of the least entry
// (base), unsorted, and are sorted a bucket at a time when the base
// reaches them; those further ahead wait in a heap until the ring reaches
// them. A fleet re-read at its caps pushes and pops one entry per lease
// and cap: a push appends to the bucket the last push appended to, a pop
// takes the next of a sorted run, where a heap of every lease elided read
// a cache line per level (a sixth of such a sweep's time).
type pendingQueue struct {
	ring [][]pendingLease // by bucket mod pendRing: buckets base+1 … base+pendRing-1
	used []uint64         // the ring's non-empty buckets
	// unsorted are the ring's buckets an entry was appended to out of
	// order (more than a few places back): sorted when they come up.
	unsorted []uint64
	base     int64          // the bucket of cur: no entry in ring or far is in it or before
	cur      []pendingLease // the entries of buckets up to base, sorted, the least at pos
	pos      int
	far      pendingHeap // entries of buckets base+pendRing and later
	n        int
	// spare are emptied buckets' arrays, for buckets filled anew: a ring's
	// worth of buckets each grown from nothing wrote their entries twice
	// over into fresh memory.
	spare [][]pendingLease
	order []uint32 // scratch for sortBucket
}

const (
	pendShift = 10      // 17 minutes of tk per bucket: a few leases each to sort
	pendRing  = 1 << 14 // 194 days
	pendMask  = pendRing - 1
)

func pendBucket(key uint64) int64 { return int64(key>>32) >> pendShift }

// len is the number of entries pending.
func (q *pendingQueue) len() int { return q.n }

// first is the least entry; there must be one.
func (q *pendingQueue) first() *pendingLease {
	if q.pos == len(q.cur) {
		q.advance()
	}
	return &q.cur[q.pos]
}

// firstTk is the tk of the least entry, and false if there is none.
func (q *pendingQueue) firstTk() (model.Instant, bool) {
	if q.n == 0 {
		return 0, false
	}
	return q.first().tk(), true
}

// pop removes the least entry; there must be one.
func (q *pendingQueue) pop() pendingLease {
	p := *q.first()
	q.pos++
	q.n--
	return p
}

// push adds p, whose tk is after every tk popped so far.
func (q *pendingQueue) push(p pendingLease) {
	q.n++
	b := pendBucket(p.key)
	switch {
	case b <= q.base || q.n == 1:
		if q.n == 1 {
			q.base, q.cur, q.pos = b, q.cur[:0], 0
		}
		// Into the sorted run, after the equal keys (there are none: the
		// order a key carries is unique among the pending).
		i, _ := slices.BinarySearchFunc(q.cur[q.pos:], p.key, byKey)
		q.cur = slices.Insert(q.cur, q.pos+i, p)
	case b < q.base+pendRing:
		q.toRing(b, p)
	default:
		q.far.push(p)
	}
}

// toRing puts p in the ring's bucket b.
func (q *pendingQueue) toRing(b int64, p pendingLease) {
	if q.ring == nil {
		q.ring = make([][]pendingLease, pendRing)
		q.used = make([]uint64, pendRing/64)
		q.unsorted = make([]uint64, pendRing/64)
	}
	k := b & pendMask
	l := q.ring[k]
	if l == nil {
		if n := len(q.spare); n > 0 {
			l, q.spare = q.spare[n-1], q.spare[:n-1]
		}
	}
	// Entries of one tk come in the order they were made, and the
	// bucket's are sorted stably by tk when it comes up, if one came
	// after an entry of a later tk: a fleet's leases elided one cap apart
	// come a few places out of order, most of them.
	if n := len(l); n > 0 && l[n-1].tk() > p.tk() {
		q.unsorted[k>>6] |= 1 << (k & 63)
	}
	l = append(l, p)
	q.ring[k] = l
	q.used[k>>6] |= 1 << (k & 63)
}

func byKey(p pendingLease, key uint64) int { return cmp.Compare(p.key, key) }

// advance makes the next non-empty bucket cur, cur being used up: the
// ring's next, or the far heap's first when it comes before (or the ring
// is empty), then the far entries the ring now reaches move into it.
func (q *pendingQueue) advance() {
	next := q.nextUsed()
	if len(q.far) > 0 {
		if f := pendBucket(q.far[0].key); next < 0 || f < next {
			next = f
		}
	}
	q.base = next
	for len(q.far) > 0 && pendBucket(q.far[0].key) < q.base+pendRing {
		p := q.far.pop()
		q.toRing(pendBucket(p.key), p)
	}
	k := q.base & pendMask
	if cap(q.cur) > 0 {
		q.spare = append(q.spare, q.cur[:0])
	}
	q.cur, q.ring[k], q.pos = q.ring[k], nil, 0
	q.used[k>>6] &^= 1 << (k & 63)
	if q.unsorted[k>>6]&(1<<(k&63)) != 0 {
		q.unsorted[k>>6] &^= 1 << (k & 63)
		q.sortBucket()
	}
}

// sortBucket sorts cur, a bucket's entries, stably by tk: entries of one
// tk are in the order they were made. It sorts their places in 32-bit
// words (the tk's offset in the bucket, then the place) and moves the
// entries once, rather than compare 24-byte entries through a function.
func (q *pendingQueue) sortBucket() {
	const placeBits = 32 - pendShift
	l := q.cur
	if len(l) >= 1<<placeBits {
		slices.SortStableFunc(l, func(a, b pendingLease) int { return cmp.Compare(a.tk(), b.tk()) })
		return
	}
	start := model.Instant(q.base << pendShift)
	order := q.order[:0]
	for i := range l {
		order = append(order, uint32(l[i].tk()-start)<<placeBits|uint32(i))
	}
	slices.Sort(order)
	var out []pendingLease
	if n := len(q.spare); n > 0 {
		out, q.spare = q.spare[n-1][:0], q.spare[:n-1]
	}
	for _, o := range order {
		out = append(out, l[o&(1<<placeBits-1)])
	}
	q.order, q.cur = order, out
	q.spare = append(q.spare, l[:0])
}

// nextUsed is the first non-empty bucket of the ring after base, or -1.
func (q *pendingQueue) nextUsed() int64 {
	if q.used == nil {
		return -1
	}
	for d := int64(1); d < pendRing; {
		k := (q.base + d) & pendMask
		if w := q.used[k>>6] >> (k & 63); w != 0 {
			if d += int64(bits.TrailingZeros64(w)); d < pendRing {
				return q.base + d
			}
			return -1 // bits of buckets before base+d: none is used
		}
		d += 64 - (k & 63)
	}
	return -1
}

// each calls f with every pending entry, in no order (tests).
func (q *pendingQueue) each(f func(p pendingLease)) {
	for _, p := range q.cur[q.pos:] {
		f(p)
	}
	for _, b := range q.ring {
		for _, p := range b {
			f(p)
		}
	}
	for _, p := range q.far {
		f(p)
	}
}
