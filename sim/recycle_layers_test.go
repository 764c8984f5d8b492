package sim

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A child-token fleet re-authenticating for many generations ends each
// token's credential by its ancestor ("ancestor fleet[3].token#17"):
// recycling, the layer table releases each such layer with its token and
// the fold keys buckets by the folded layer, so neither grows with the
// generations; not recycling, the table keeps one per generation. The
// reports read the same either way (TestRecycleChangesNoReport).
func TestRecyclingLayersAndFoldFollowTheLiveSet(t *testing.T) {
	s := childTokenFleet(40, 14, false)
	e, _ := recycleRun(s, Options{Budget: 10_000_000}, true, nil)
	keep, _ := recycleRun(s, Options{Budget: 10_000_000}, false, nil)
	generations := int(e.rc.tok.freed)
	require.Greater(t, generations, 1000, "too few token generations")
	require.Greater(t, keep.layers.len(), generations/4, "not recycling: an ancestor layer per token generation")
	const bound = 2*40 + 16 // the live tokens' ancestors, the roles' and mounts' layers
	for name, n := range map[string]int{
		"layers": e.layers.len(), "layer slots": len(e.layers.layers), "folded refs": len(e.layers.folded),
		"ancestor layers held": len(e.rc.tok.layers), "fold buckets": len(e.fold.buckets), "fold index": len(e.fold.index),
	} {
		require.LessOrEqual(t, n, bound, "%s over %d token generations", name, generations)
	}
	cascades := 0
	for _, b := range e.fold.buckets {
		if l := e.layers.at(b.by); b.ended && b.cause == Cascade {
			cascades += b.n
			require.True(t, b.name.mixed, "a bucket of many tokens' cascades names %s", b.name.String())
			require.Equal(t, l, foldLayer(b.name.exact))
		}
	}
	require.Greater(t, cascades, generations/4, "too few credentials folded that ended by their token")
	t.Logf("%d token generations: %d layers (%d not recycling), %d fold buckets", generations, e.layers.len(), keep.layers.len(), len(e.fold.buckets))
}
