package sim

import (
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
	require.Equal(t, uintptr(16), unsafe.Sizeof(pendingLease{}))
}
