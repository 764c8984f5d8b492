package sim

import (
	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestPendingHeapPopsInOrder: the resumption's 4-ary heap pops the least
// key under interleaved pushes and pops, keys repeated and not (a planted
// scan of three children instead of four fails it).
func TestPendingHeapPopsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		var h pendingHeap
		var ref []uint64
		span := uint64(1 + round%50)
		for range 500 {
			if len(ref) == 0 || rng.IntN(3) > 0 {
				k := rng.Uint64N(span)
				h.push(pendingLease{key: k})
				ref = append(ref, k)
				continue
			}
			slices.Sort(ref)
			require.Equal(t, ref[0], h.pop().key)
			ref = ref[1:]
		}
		slices.Sort(ref)
		for _, k := range ref {
			require.Equal(t, k, h.pop().key)
		}
		require.Empty(t, h)
	}
}

// TestResumeBlocksMadeApart: leases elided to one (tk, at) resume as one
// block whether they joined it as they were elided (resumption.recent
// found it) or each made a block of its own that pass merged: the tie and
// re-read generators' runs report alike both ways, event log included,
// and the merging is exercised (a pass that resumed merged blocks one by
// one fails it).
func TestResumeBlocksMadeApart(t *testing.T) {
	gens := []struct {
		name string
		gen  func(seed uint64) string
	}{{"tie", tieScenario}, {"re-read", rereadScenario}}
	var merged int64
	for _, g := range gens {
		for seed := uint64(1); seed <= 16; seed++ {
			s, err := scenarios.Parse(g.name+".yaml", []byte(g.gen(seed)))
			require.NoError(t, err)
			opts := Options{Budget: elideBudget, RecordLog: true, LogLevel: LogLifecycle}
			joined := New(s, opts).Run()
			e := New(s, opts)
			e.el.resume.apart = true
			apart := e.Run()
			require.Empty(t, reportDiff(joined, apart, true), "%s generator, seed %d", g.name, seed)
			merged += e.el.resume.merged
		}
	}
	require.Positive(t, merged, "no blocks were merged: the test checks nothing")
	t.Logf("%d blocks merged", merged)
}

// TestChainRunSize: a chain's run is kept per entity (a year of a million
// leases re-read at their caps has two million): 24 bytes, no pointers.
func TestChainRunSize(t *testing.T) {
	require.Equal(t, uintptr(24), unsafe.Sizeof(chainRun{}))
	require.Equal(t, uintptr(24), unsafe.Sizeof(pendingLease{}))
}

// TestUpstreamQuietMatchesReference: upstreamQuiet, which does not ask
// immortal again about a lease's parent when it meets it as a replica's
// token, answers at every event for every live lease what the plain
// recursion asking immortal of every token answers (fleet, re-read and
// property generators).
func TestUpstreamQuietMatchesReference(t *testing.T) {
	var ref func(e *Engine, ai, r int) bool
	ref = func(e *Engine, ai, r int) bool {
		ac := &e.actors[ai]
		if ac.reps[r].retry || (ac.a.OwnToken() && !e.immortal(ac.reps[r].token)) {
			return false
		}
		return ac.via < 0 || ref(e, ac.via, 0)
	}
	checked := 0
	for seed := uint64(1); seed <= 8; seed++ {
		for _, g := range []func(uint64) string{fleetScenario, rereadScenario, genScenario} {
			s, err := scenarios.Parse("generated.yaml", []byte(g(seed)))
			require.NoError(t, err)
			e := New(s, Options{Budget: 20_000, Observe: func(e *Engine) {
				for i := range e.ents {
					n := model.NodeID(i)
					if e.ents[i].kind != entLease || !e.alive(n) {
						continue
					}
					want := true
					for p := e.hier.Parent(n); p != model.None && want; p = e.hier.Parent(p) {
						want = e.immortal(p)
					}
					want = want && ref(e, int(e.ents[i].actor), int(e.ents[i].replica))
					require.Equal(t, want, e.upstreamQuiet(n), "seed %d, lease %d at %d", seed, n, e.loop.Now)
					checked++
				}
			}})
			e.Run()
		}
	}
	require.Greater(t, checked, 1000)
}

// TestPendingQueuePopsInOrder: the resumption's queue of pending blocks
// pops the least key, as the heap it replaced did, under pushes for
// instants after the last popped one (near, in the bucket being popped,
// and beyond the ring's reach) interleaved with pops and looks at the
// first (a planted advance that neither compares the far heap's first
// bucket with the ring's next nor moves far entries into the ring, a
// push into the bucket in hand appended unsorted, or a bucket appended to
// out of order left unmarked, fails it).
func TestPendingQueuePopsInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	spans := []int64{1, 100, 1 << pendShift, 50 << pendShift, pendRing << pendShift, 3 * pendRing << pendShift}
	for round := range 300 {
		var q pendingQueue
		var ref []uint64
		var now int64
		seq := uint64(0)
		span := spans[round%len(spans)]
		for range 400 {
			switch {
			case len(ref) == 0 || rng.IntN(3) > 0:
				tk := now + 1 + rng.Int64N(span)
				if rng.IntN(4) == 0 && len(ref) > 0 { // an instant already pending
					tk = int64(ref[rng.IntN(len(ref))] >> 32)
				}
				seq++
				k := uint64(tk)<<32 | seq
				q.push(pendingLease{key: k})
				ref = append(ref, k)
			case rng.IntN(2) == 0:
				slices.Sort(ref)
				tk, ok := q.firstTk()
				require.True(t, ok)
				require.Equal(t, model.Instant(ref[0]>>32), tk)
			default:
				slices.Sort(ref)
				require.Equal(t, ref[0], q.pop().key)
				now = int64(ref[0] >> 32)
				ref = ref[1:]
			}
			require.Equal(t, len(ref), q.len())
		}
		slices.Sort(ref)
		for _, k := range ref {
			require.Equal(t, k, q.pop().key)
		}
		_, ok := q.firstTk()
		require.False(t, ok)
	}
}

// TestPassWaitsForQueuedLeases: a pass that queues a lease for an instant
// leaves the blocks of later instants to a later pass, once that lease's
// event has run: event by event, their renewals are queued after it. The
// re-read generator's seed 508 (a lease capped between two pending
// instants, whose capped renewal ties with a lease resumed after it) ends
// as --exact does; queuing every block before the next event, as pass did
// at first (eager), it does not.
func TestPassWaitsForQueuedLeases(t *testing.T) {
	s, err := scenarios.Parse("re-read.yaml", []byte(rereadScenario(508)))
	require.NoError(t, err)
	exact := New(s, Options{Budget: elideBudget, Exact: true, RecordLog: true, LogLevel: LogLifecycle}).Run()
	require.False(t, exact.Outcome.Exhausted())
	e := New(s, Options{Budget: elideBudget, RecordLog: true, LogLevel: LogLifecycle})
	require.Empty(t, reportDiff(exact, e.Run(), true))
	require.Positive(t, e.el.resume.waited, "no pass waited: the test checks nothing")
	eager := New(s, Options{Budget: elideBudget, RecordLog: true, LogLevel: LogLifecycle})
	eager.el.resume.eager = true
	require.NotEmpty(t, reportDiff(exact, eager.Run(), true), "the eager pass no longer differs: pick another seed")
}
