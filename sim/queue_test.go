package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// ev builds an event whose Arg identifies it in the pop order.
func ev(at model.Instant, order uint8, id int32) Event {
	return Event{At: at, Order: order, Arg: id}
}

// drain pops everything and returns the Args in pop order.
func drain(t *testing.T, q *Queue) []int32 {
	t.Helper()
	var ids []int32
	for q.Len() > 0 {
		e, _, ok := q.Pop()
		require.True(t, ok)
		ids = append(ids, e.Arg)
	}
	_, _, ok := q.Pop()
	require.False(t, ok, "Pop on an empty queue")
	return ids
}

func TestQueue_Order(t *testing.T) {
	tests := []struct {
		name string
		push []Event
		want []int32
	}{
		{
			name: "by instant",
			push: []Event{ev(30, 0, 3), ev(10, 0, 1), ev(20, 0, 2)},
			want: []int32{1, 2, 3},
		},
		{
			name: "same instant, smaller order first",
			push: []Event{ev(10, 2, 3), ev(10, 0, 1), ev(10, 1, 2), ev(9, 7, 0)},
			want: []int32{0, 1, 2, 3},
		},
		{
			name: "same instant, same order is FIFO",
			push: sameInstant(40),
			want: seqIDs(0, 40),
		},
		{
			name: "order 255 still after order 254",
			push: []Event{ev(5, 255, 2), ev(5, 254, 1), ev(6, 0, 3)},
			want: []int32{1, 2, 3},
		},
		{
			name: "negative instants",
			push: []Event{ev(0, 0, 3), ev(-1, 0, 2), ev(-1<<40, 0, 1)},
			want: []int32{1, 2, 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Queue
			for _, e := range tt.push {
				q.Push(e)
			}
			assert.Equal(t, tt.want, drain(t, &q))
		})
	}
}

// sameInstant returns n events at one instant and order, ids 0..n-1.
func sameInstant(n int32) []Event {
	var es []Event
	for i := range n {
		es = append(es, ev(5, 1, i))
	}
	return es
}

func seqIDs(from, to int32) []int32 {
	var ids []int32
	for i := from; i < to; i++ {
		ids = append(ids, i)
	}
	return ids
}

func TestQueue_RescheduleAndCancel(t *testing.T) {
	// Five events at 10..50 with ids 1..5, then one edit.
	tests := []struct {
		name string
		edit func(t *testing.T, q *Queue, h []Handle)
		want []int32
	}{
		{
			name: "reschedule earlier",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Reschedule(h[4], 5))
			},
			want: []int32{5, 1, 2, 3, 4},
		},
		{
			name: "reschedule later",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Reschedule(h[0], 45))
			},
			want: []int32{2, 3, 4, 1, 5},
		},
		{
			name: "reschedule onto a tie goes after it",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Reschedule(h[0], 30))
			},
			want: []int32{2, 3, 1, 4, 5},
		},
		{
			name: "reschedule to the same instant takes a new place among ties",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Reschedule(h[1], 30))
				require.True(t, q.Reschedule(h[2], 30))
			},
			want: []int32{1, 2, 3, 4, 5},
		},
		{
			name: "cancel top",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Cancel(h[0]))
			},
			want: []int32{2, 3, 4, 5},
		},
		{
			name: "cancel middle",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Cancel(h[2]))
			},
			want: []int32{1, 2, 4, 5},
		},
		{
			name: "cancel last",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				require.True(t, q.Cancel(h[4]))
			},
			want: []int32{1, 2, 3, 4},
		},
		{
			name: "cancel all",
			edit: func(t *testing.T, q *Queue, h []Handle) {
				for _, i := range []int{2, 0, 4, 1, 3} {
					require.True(t, q.Cancel(h[i]))
				}
			},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q Queue
			var h []Handle
			// Push out of order so the heap is not just a sorted array.
			for _, i := range []int32{3, 1, 5, 2, 4} {
				h = append(h, q.Push(ev(model.Instant(10*i), 0, i)))
			}
			// h is in push order; reorder it by id.
			byID := make([]Handle, 5)
			for k, i := range []int32{3, 1, 5, 2, 4} {
				byID[i-1] = h[k]
			}
			tt.edit(t, &q, byID)
			assert.Equal(t, tt.want, drain(t, &q))
		})
	}
}

func TestQueue_RescheduleKeepsPayload(t *testing.T) {
	var q Queue
	h := q.Push(Event{At: 100, Order: 3, Kind: 7, Target: 42, Arg: -9})
	require.True(t, q.Reschedule(h, 250))
	got, ok := q.Event(h)
	require.True(t, ok)
	assert.Equal(t, Event{At: 250, Order: 3, Kind: 7, Target: 42, Arg: -9}, got)

	e, ph, ok := q.Pop()
	require.True(t, ok)
	assert.Equal(t, got, e)
	assert.Equal(t, h, ph, "Pop returns the handle the event had")
}

func TestQueue_StaleHandles(t *testing.T) {
	t.Run("after pop", func(t *testing.T) {
		var q Queue
		h := q.Push(ev(1, 0, 1))
		other := q.Push(ev(2, 0, 2))
		_, ph, _ := q.Pop()
		require.Equal(t, h, ph)
		assertDead(t, &q, h)
		assert.Equal(t, 1, q.Len(), "a rejected handle changes nothing")
		_, ok := q.Event(other)
		assert.True(t, ok)
	})
	t.Run("after cancel", func(t *testing.T) {
		var q Queue
		h := q.Push(ev(1, 0, 1))
		q.Push(ev(2, 0, 2))
		require.True(t, q.Cancel(h))
		assertDead(t, &q, h)
		assert.Equal(t, []int32{2}, drain(t, &q))
	})
	t.Run("after slot reuse", func(t *testing.T) {
		var q Queue
		old := q.Push(ev(1, 0, 1))
		q.Pop()
		// Churn until the old slot is handed out again.
		var reused Handle = NoHandle
		for i := 0; i < 10*reuseDelay && reused == NoHandle; i++ {
			h := q.Push(ev(model.Instant(i), 0, int32(i)))
			if int32(h)&indexMask == int32(old)&indexMask {
				reused = h
				break
			}
			q.Pop()
		}
		require.NotEqual(t, NoHandle, reused, "slot never reused")
		require.NotEqual(t, old, reused, "the generation must differ")
		assertDead(t, &q, old)
		_, ok := q.Event(reused)
		assert.True(t, ok, "the new handle of the slot works")
	})
	t.Run("never issued", func(t *testing.T) {
		var q Queue
		q.Push(ev(1, 0, 1))
		for _, h := range []Handle{NoHandle, -7, 1, indexMask, 1 << indexBits, 1<<31 - 1} {
			assertDead(t, &q, h)
		}
		assert.Equal(t, 1, q.Len())
	})
}

func assertDead(t *testing.T, q *Queue, h Handle) {
	t.Helper()
	_, ok := q.Event(h)
	assert.False(t, ok, "Event(%d)", h)
	assert.False(t, q.Reschedule(h, 0), "Reschedule(%d)", h)
	assert.False(t, q.Cancel(h), "Cancel(%d)", h)
}

func TestQueue_Reset(t *testing.T) {
	fill := func(q *Queue) []Handle {
		var hs []Handle
		for i := range int32(2000) {
			hs = append(hs, q.Push(ev(model.Instant(i%7), uint8(i%3), i)))
		}
		for range 1500 {
			q.Pop()
		}
		for i := range int32(10) {
			hs = append(hs, q.Push(ev(1, 0, 100+i)))
		}
		return hs
	}
	var fresh, reused Queue
	want := fill(&fresh)
	fill(&reused)
	reused.Reset()
	require.Equal(t, 0, reused.Len())
	_, ok := reused.Peek()
	require.False(t, ok)

	got := fill(&reused)
	assert.Equal(t, want, got, "a reset queue issues the same handles as a new one")
	assert.Equal(t, drain(t, &fresh), drain(t, &reused))
}

func TestQueue_Peek(t *testing.T) {
	var q Queue
	_, ok := q.Peek()
	require.False(t, ok)
	q.Push(ev(5, 0, 1))
	q.Push(ev(3, 1, 2))
	e, ok := q.Peek()
	require.True(t, ok)
	assert.Equal(t, ev(3, 1, 2), e)
	assert.Equal(t, 2, q.Len(), "Peek removes nothing")
}

// refEvent is an event of the naive reference queue.
type refEvent struct {
	ev  Event
	seq uint64
	h   Handle
}

func refLess(a, b refEvent) int {
	switch {
	case a.ev.At != b.ev.At:
		return cmpInt(a.ev.At, b.ev.At)
	case a.ev.Order != b.ev.Order:
		return cmpInt(a.ev.Order, b.ev.Order)
	}
	return cmpInt(a.seq, b.seq)
}

func cmpInt[T ~int64 | ~uint8 | ~uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// refQueue is a sorted slice: obviously right, and slow.
type refQueue struct {
	pending []refEvent
	seq     uint64
}

func (r *refQueue) insert(e refEvent) {
	i, _ := slices.BinarySearchFunc(r.pending, e, refLess)
	r.pending = slices.Insert(r.pending, i, e)
}

func (r *refQueue) find(h Handle) int {
	return slices.IndexFunc(r.pending, func(e refEvent) bool { return e.h == h })
}

// TestQueue_AgainstReference runs random operations on the queue and on a
// sorted slice and requires the same results, pop for pop.
func TestQueue_AgainstReference(t *testing.T) {
	const ops = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	var q Queue
	var ref refQueue
	var issued []Handle // every handle ever returned, live or dead

	randomHandle := func() Handle {
		if len(ref.pending) > 0 && rng.IntN(4) != 0 {
			return ref.pending[rng.IntN(len(ref.pending))].h
		}
		if len(issued) > 0 && rng.IntN(8) != 0 {
			return issued[rng.IntN(len(issued))] // often dead
		}
		return Handle(rng.Int32N(1 << 20)) // probably never issued
	}

	// Events whose seq was taken (TakeSeq) and not yet pushed (PushSeq),
	// with the reference's seq for them.
	var held []refEvent
	var seqs []Seq
	pushHeld := func(k int) {
		e := held[k]
		e.h = q.PushSeq(e.ev, seqs[k])
		require.Equal(t, -1, ref.find(e.h), "PushSeq returned a live handle %d", e.h)
		ref.insert(e)
		issued = append(issued, e.h)
		held, seqs = slices.Delete(held, k, k+1), slices.Delete(seqs, k, k+1)
	}
	q.BeforeRenumber = func() {
		for len(held) > 0 {
			pushHeld(len(held) - 1)
		}
	}

	for i := range ops {
		// Phases that grow and shrink the queue, so it both gets large and
		// empties out.
		growing := (i/5000)%2 == 0
		pushWeight := 30
		if growing {
			pushWeight = 55
		}
		// Few instants and orders, so ties are common.
		at := model.Instant(rng.IntN(200))
		switch op := rng.IntN(100); {
		case op < pushWeight:
			e := Event{At: at, Order: uint8(rng.IntN(3)), Kind: Kind(rng.IntN(4)),
				Target: rng.Int32(), Arg: int32(i)}
			if len(held) > 0 && rng.IntN(3) == 0 {
				pushHeld(rng.IntN(len(held))) // pushed late, with its seq
			}
			ref.seq++
			if rng.IntN(5) == 0 {
				held, seqs = append(held, refEvent{ev: e, seq: ref.seq}), append(seqs, q.TakeSeq())
				break
			}
			h := q.Push(e)
			require.Equal(t, -1, ref.find(h), "op %d: Push returned a live handle %d", i, h)
			ref.insert(refEvent{ev: e, seq: ref.seq, h: h})
			issued = append(issued, h)
		case op < pushWeight+30:
			e, h, ok := q.Pop()
			require.Equal(t, len(ref.pending) > 0, ok, "op %d: Pop ok", i)
			if ok {
				want := ref.pending[0]
				ref.pending = ref.pending[1:]
				require.Equal(t, want.ev, e, "op %d: Pop event", i)
				require.Equal(t, want.h, h, "op %d: Pop handle", i)
			}
		case op < pushWeight+30+25:
			h := randomHandle()
			k := ref.find(h)
			require.Equal(t, k >= 0, q.Reschedule(h, at), "op %d: Reschedule(%d)", i, h)
			if k >= 0 {
				e := ref.pending[k]
				ref.pending = slices.Delete(ref.pending, k, k+1)
				ref.seq++
				e.ev.At, e.seq = at, ref.seq
				ref.insert(e)
			}
		case op < pushWeight+30+25+1:
			q.renumber() // normally once per 2^31 schedulings; must change nothing
		default:
			h := randomHandle()
			k := ref.find(h)
			require.Equal(t, k >= 0, q.Cancel(h), "op %d: Cancel(%d)", i, h)
			if k >= 0 {
				ref.pending = slices.Delete(ref.pending, k, k+1)
			}
		}

		require.Equal(t, len(ref.pending), q.Len(), "op %d: Len", i)
		top, ok := q.Peek()
		require.Equal(t, len(ref.pending) > 0, ok, "op %d: Peek ok", i)
		if ok {
			require.Equal(t, ref.pending[0].ev, top, "op %d: Peek", i)
			r := ref.pending[rng.IntN(len(ref.pending))]
			got, ok := q.Event(r.h)
			require.True(t, ok, "op %d: Event(%d) of a live handle", i, r.h)
			require.Equal(t, r.ev, got, "op %d: Event(%d)", i, r.h)
		}
	}
	// Whatever is left must come out in reference order too.
	q.BeforeRenumber()
	for _, want := range ref.pending {
		e, h, ok := q.Pop()
		require.True(t, ok)
		require.Equal(t, want.ev, e)
		require.Equal(t, want.h, h)
	}
	require.Equal(t, 0, q.Len())
}

func TestQueue_NoAllocsInSteadyState(t *testing.T) {
	var q Queue
	for i := range 1000 {
		q.Push(ev(model.Instant(i), 0, int32(i)))
	}
	// Churn past reuseDelay so the free list, not append, supplies slots.
	for range 4 * reuseDelay {
		e, _, _ := q.Pop()
		e.At += 1000
		q.Push(e)
	}

	pushPop := testing.AllocsPerRun(1000, func() {
		e, _, _ := q.Pop()
		e.At += 1000
		q.Push(e)
	})
	assert.Zero(t, pushPop, "allocations per Pop+Push")

	cancelPush := testing.AllocsPerRun(1000, func() {
		e, _, _ := q.Pop()
		q.Cancel(q.Push(e))
		q.Reschedule(q.Push(e), e.At+1000)
	})
	assert.Zero(t, cancelPush, "allocations per Cancel+Push+Reschedule")
}

// TestQueue_SeqCounterWraps runs the queue across the point where the 31-bit
// sequence counter is full and the pending events are renumbered.
func TestQueue_SeqCounterWraps(t *testing.T) {
	var q Queue
	var want []int32
	var hs []Handle
	for i := range int32(20) {
		hs = append(hs, q.Push(ev(7, 1, i)))
		want = append(want, i)
	}
	q.seq = seqLimit - 5 // jump ahead: the next few pushes reach the end
	for i := range int32(20) {
		id := 20 + i
		hs = append(hs, q.Push(ev(7, 1, id)))
		want = append(want, id)
		require.LessOrEqual(t, q.seq, uint64(seqLimit))
	}
	require.Less(t, q.seq, uint64(100), "the counter was renumbered")
	// A reschedule after the wrap still goes to the back of its tie.
	require.True(t, q.Reschedule(hs[0], 7))
	want = append(want[1:], 0)
	assert.Equal(t, want, drain(t, &q))
}

// TestQueue_SlotReuseIsDelayed checks that a freed slot waits behind
// reuseDelay others, so a generation wraps only after many pushes.
func TestQueue_SlotReuseIsDelayed(t *testing.T) {
	var q Queue
	lastUse := map[int32]int{} // slot index -> push number; lookup only
	for i := range 5 * reuseDelay {
		h := q.Push(ev(model.Instant(i), 0, int32(i)))
		s := int32(h) & indexMask
		if prev, ok := lastUse[s]; ok {
			require.Greater(t, i-prev, reuseDelay, "slot %d reused after %d pushes", s, i-prev)
		}
		lastUse[s] = i
		q.Pop()
	}
	assert.Len(t, lastUse, reuseDelay+1, "slots in use for one pending event at a time")
}

// TestQueue_CalendarAgainstHeap runs the same random operations on the
// queue and on the queue with every event in the heap (heapOnly: the queue
// as it was before the calendar) and requires identical results, pop for
// pop, handle for handle. The operations look like a run: time moves with
// the pops, and events are pushed or moved to now plus a delay drawn so
// that every path is taken: the same second, inside the calendar, just
// past its end, far ahead, before now (API use the loop forbids), and order
// classes the calendar does not take; and the calendar's start is moved on
// (Advance) to instants before and after its first event (an Advance
// that skips a bucket in use, or that takes a word of empty buckets for
// the whole calendar, fails it).
func TestQueue_CalendarAgainstHeap(t *testing.T) {
	const ops = 60_000
	rng := rand.New(rand.NewPCG(3, 4))
	var cal Queue
	old := Queue{heapOnly: true}
	var live []Handle // may hold dead handles too
	var now model.Instant
	inCal := 0
	// Events whose seq both queues took (TakeSeq), to be pushed later
	// (PushSeq): an old seq joins the calendar only behind a smaller one.
	var held []Event
	var seqs [2][]Seq // old's, cal's
	lateInCal := 0
	advanced := 0 // Advance calls that moved the calendar's start
	pushHeld := func(i, k int) {
		h := cal.PushSeq(held[k], seqs[1][k])
		same(t, old.PushSeq(held[k], seqs[0][k]), h, "op %d: PushSeq handle", i)
		if cal.slots[int32(h)&indexMask].cal {
			lateInCal++
		}
		live = append(live, h)
		held, seqs[0], seqs[1] = slices.Delete(held, k, k+1), slices.Delete(seqs[0], k, k+1), slices.Delete(seqs[1], k, k+1)
	}
	delays := []model.Instant{0, 1, 2, 2400, 2401, 2640, 3600, calSize - 1, calSize, calSize + 1, 86400, 768 * 3600}
	at := func() model.Instant {
		switch r := rng.IntN(10); {
		case r < 6:
			return now + delays[rng.IntN(len(delays))]
		case r < 9:
			return now + model.Instant(rng.IntN(2*calSize))
		default:
			return now - model.Instant(rng.IntN(100))
		}
	}
	for i := range ops {
		// Phases that grow and shrink the queue, so it empties out at times.
		pushWeight := 30
		if (i/5000)%2 == 0 {
			pushWeight = 50
		}
		switch op := rng.IntN(100); {
		case op < pushWeight:
			e := Event{At: at(), Order: uint8(rng.IntN(6)), Kind: Kind(rng.IntN(4)), Target: rng.Int32(), Arg: int32(i)}
			if len(held) > 0 && rng.IntN(3) == 0 {
				pushHeld(i, rng.IntN(len(held)))
			}
			if rng.IntN(5) == 0 {
				held = append(held, e)
				seqs[0], seqs[1] = append(seqs[0], old.TakeSeq()), append(seqs[1], cal.TakeSeq())
				break
			}
			h := cal.Push(e)
			same(t, old.Push(e), h, "op %d: Push handle", i)
			live = append(live, h)
		case op < pushWeight+30:
			e, h, ok := cal.Pop()
			oe, oh, ook := old.Pop()
			same(t, ook, ok, "op %d: Pop ok", i)
			same(t, oe, e, "op %d: Pop event", i)
			same(t, oh, h, "op %d: Pop handle", i)
			if ok {
				now = max(now, e.At)
			}
		case op < pushWeight+55 && len(live) > 0:
			h, to := live[rng.IntN(len(live))], at()
			same(t, old.Reschedule(h, to), cal.Reschedule(h, to), "op %d: Reschedule", i)
		case op < pushWeight+56 && rng.IntN(2) == 0:
			// To any instant: Advance stops before the calendar's first
			// event, and the heap's need not follow.
			before := cal.cal.cursor
			cal.Advance(now + model.Instant(rng.IntN(2*calSize)))
			if cal.cal.cursor > before {
				advanced++
			}
		case op < pushWeight+56:
			for len(held) > 0 { // what BeforeRenumber would do, in both
				pushHeld(i, len(held)-1)
			}
			cal.renumber() // normally once per 2^31 schedulings; must change nothing
		case len(live) > 0:
			k := rng.IntN(len(live))
			h := live[k]
			same(t, old.Cancel(h), cal.Cancel(h), "op %d: Cancel", i)
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
		}
		same(t, old.Len(), cal.Len(), "op %d: Len", i)
		oe, ook := old.Peek()
		e, ok := cal.Peek()
		same(t, ook, ok, "op %d: Peek ok", i)
		same(t, oe, e, "op %d: Peek", i)
		if len(live) > 0 {
			h := live[rng.IntN(len(live))]
			oe, ook := old.Event(h)
			e, ok := cal.Event(h)
			same(t, ook, ok, "op %d: Event(%d) ok", i, h)
			same(t, oe, e, "op %d: Event(%d)", i, h)
		}
		inCal += cal.cal.count
		if len(live) > 4096 {
			live = live[len(live)-2048:]
		}
	}
	for len(held) > 0 {
		pushHeld(ops, len(held)-1)
	}
	assert.Equal(t, drain(t, &old), drain(t, &cal))
	assert.Greater(t, inCal, ops/20, "events queued in the calendar, summed over ops")
	assert.Greater(t, lateInCal, 100, "events pushed late into the calendar")
	assert.Greater(t, advanced, 50, "calls to Advance that moved the calendar's start")
}

// TestQueue_PushSeqTakesItsPlace: an event pushed with an earlier seq runs
// among its ties where a Push at the time the seq was taken would have
// put it, in the calendar (behind a smaller seq) and in the heap (in front
// of a larger one), and a seq not given out is refused.
func TestQueue_PushSeqTakesItsPlace(t *testing.T) {
	for _, at := range []model.Instant{10, calSize + 10} { // calendar, heap
		var q Queue
		q.Push(ev(at, 1, 0))
		s1 := q.TakeSeq()
		q.Push(ev(at, 1, 2))
		s2 := q.TakeSeq()
		q.Push(ev(at, 0, 4)) // order comes before seq
		q.PushSeq(ev(at, 1, 3), s2)
		q.PushSeq(ev(at, 1, 1), s1)
		q.Push(ev(at, 1, 5))
		assert.Equal(t, []int32{4, 0, 1, 2, 3, 5}, drain(t, &q), "at %d", at)
		assert.Panics(t, func() { q.PushSeq(ev(at, 1, 6), 0) })
		assert.Panics(t, func() { q.PushSeq(ev(at, 1, 6), Seq(q.seq+1)) })
	}
}

// TestQueue_RenumberPushesHeldSeqs: when the counter wraps, the seqs held
// outside are pushed by BeforeRenumber and keep their places among ties.
func TestQueue_RenumberPushesHeldSeqs(t *testing.T) {
	var q Queue
	var held []Seq
	q.BeforeRenumber = func() {
		for i, s := range held {
			q.PushSeq(ev(7, 1, int32(100+i)), s)
		}
		held = nil
	}
	q.Push(ev(7, 1, 0))
	held = append(held, q.TakeSeq())
	q.Push(ev(7, 1, 1))
	q.seq = seqLimit - 2
	held = append(held, q.TakeSeq()) // seqLimit-1
	q.Push(ev(7, 1, 2))              // seqLimit
	q.Push(ev(7, 1, 3))              // renumbers first
	require.Less(t, q.seq, uint64(10), "the counter was renumbered")
	require.Empty(t, held)
	assert.Equal(t, []int32{0, 100, 1, 101, 2, 3}, drain(t, &q))
}

// same fails t unless got equals want; cheaper than require.Equal in a loop.
func same[T comparable](t *testing.T, want, got T, msg string, args ...any) {
	t.Helper()
	if want != got {
		t.Fatalf("%s: got %v, want %v", fmt.Sprintf(msg, args...), got, want)
	}
}

// TestQueue_RenumberWithStaleNodes: a Reschedule leaves a stale node in the
// calendar; after renumber the moved event's new seq may equal the stale
// node's old one, which must not bring the stale node back to life.
func TestQueue_RenumberWithStaleNodes(t *testing.T) {
	var q Queue
	q.Push(ev(10, 0, 0))      // seq 1
	q.Push(ev(10, 0, 1))      // seq 2
	h := q.Push(ev(10, 0, 2)) // seq 3
	require.True(t, q.Reschedule(h, 20))
	q.Push(ev(15, 0, 3))
	q.renumber() // live seqs 1, 2, 4, 5 become 1, 2, 3, 4: the stale node had 3
	assert.Equal(t, []int32{0, 1, 3, 2}, drain(t, &q))
}

// TestQueue_TimersAgainstPush: keyed timers (SetTimer, CancelTimer, Timer)
// give the same events in the same order as one Push per timer with its
// handle kept per key, Cancel before each new one (what the engine did
// for its renewal chains before them), among ordinary events, held seqs
// and renumbers, in the calendar and in the heap alone.
func TestQueue_TimersAgainstPush(t *testing.T) {
	for _, heapOnly := range []bool{false, true} {
		const ops, keys = 60_000, 300
		const timerKind Kind = 9
		rng := rand.New(rand.NewPCG(5, 6))
		a := Queue{heapOnly: heapOnly, TimerKind: timerKind}
		var b Queue
		keyH := make([]Handle, keys) // b's handle of each key's timer
		for k := range keyH {
			keyH[k] = NoHandle
		}
		var hs [2][]Handle // ordinary events' handles in a and b, alike by index
		var held []Event
		var seqs [2][]Seq
		pushHeld := func(k int) {
			hs[0] = append(hs[0], a.PushSeq(held[k], seqs[0][k]))
			hs[1] = append(hs[1], b.PushSeq(held[k], seqs[1][k]))
			held, seqs[0], seqs[1] = slices.Delete(held, k, k+1), slices.Delete(seqs[0], k, k+1), slices.Delete(seqs[1], k, k+1)
		}
		var now model.Instant
		delays := []model.Instant{0, 1, 2, 2400, 2640, 3600, calSize - 1, calSize, calSize + 1, 86400}
		at := func() model.Instant {
			if rng.IntN(10) < 7 {
				return now + delays[rng.IntN(len(delays))]
			}
			return now + model.Instant(rng.IntN(2*calSize))
		}
		timers, inCal := 0, 0
		for i := range ops {
			pushWeight := 20
			if (i/5000)%2 == 0 {
				pushWeight = 35
			}
			switch op := rng.IntN(100); {
			case op < pushWeight:
				k := int32(rng.IntN(keys))
				to, order := at(), uint8(rng.IntN(5))
				a.SetTimer(k, to, order)
				b.Cancel(keyH[k])
				keyH[k] = b.Push(Event{At: to, Order: order, Kind: timerKind, Target: k})
				if tm := a.timers[k]; tm.inCalendar() {
					inCal++
				}
			case op < pushWeight+15:
				e := Event{At: at(), Order: uint8(rng.IntN(5)), Kind: Kind(rng.IntN(4)), Target: rng.Int32(), Arg: int32(i)}
				if len(held) > 0 && rng.IntN(3) == 0 {
					pushHeld(rng.IntN(len(held)))
				}
				if rng.IntN(4) == 0 {
					held = append(held, e)
					seqs[0], seqs[1] = append(seqs[0], a.TakeSeq()), append(seqs[1], b.TakeSeq())
					break
				}
				hs[0], hs[1] = append(hs[0], a.Push(e)), append(hs[1], b.Push(e))
			case op < pushWeight+50:
				e, _, ok := a.Pop()
				be, _, bok := b.Pop()
				same(t, bok, ok, "op %d: Pop ok", i)
				same(t, be, e, "op %d: Pop event", i)
				if ok {
					now = max(now, e.At)
					if e.Kind == timerKind {
						keyH[e.Target] = NoHandle
						timers++
					}
				}
			case op < pushWeight+60:
				k := int32(rng.IntN(keys))
				same(t, b.Cancel(keyH[k]), a.CancelTimer(k), "op %d: CancelTimer(%d)", i, k)
				keyH[k] = NoHandle
			case op < pushWeight+70 && len(hs[0]) > 0:
				j, to := rng.IntN(len(hs[0])), at()
				same(t, b.Reschedule(hs[1][j], to), a.Reschedule(hs[0][j], to), "op %d: Reschedule", i)
			case op < pushWeight+71:
				for len(held) > 0 {
					pushHeld(len(held) - 1)
				}
				a.renumber() // normally once per 2^31 schedulings; must change nothing
			case len(hs[0]) > 0:
				j := rng.IntN(len(hs[0]))
				same(t, b.Cancel(hs[1][j]), a.Cancel(hs[0][j]), "op %d: Cancel", i)
			}
			same(t, b.Len(), a.Len(), "op %d: Len", i)
			be, bok := b.Peek()
			e, ok := a.Peek()
			same(t, bok, ok, "op %d: Peek ok", i)
			same(t, be, e, "op %d: Peek", i)
			k := int32(rng.IntN(keys))
			be, bok = b.Event(keyH[k])
			e, ok = a.Timer(k)
			same(t, bok, ok, "op %d: Timer(%d) ok", i, k)
			same(t, be, e, "op %d: Timer(%d)", i, k)
			if len(hs[0]) > 4096 {
				hs[0], hs[1] = hs[0][2048:], hs[1][2048:]
			}
		}
		for len(held) > 0 {
			pushHeld(len(held) - 1)
		}
		for {
			e, _, ok := a.Pop()
			be, _, bok := b.Pop()
			same(t, bok, ok, "drain: Pop ok")
			same(t, be, e, "drain: Pop event")
			if !ok {
				break
			}
		}
		assert.Greater(t, timers, ops/20, "timer events popped")
		if !heapOnly {
			assert.Greater(t, inCal, ops/20, "timers set in the calendar")
		}
	}
}
