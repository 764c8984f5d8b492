package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMinHeapPopsInOrder: whatever the pushes and pops interleaved,
// popHeap returns the least element pushed and not yet popped.
func TestMinHeapPopsInOrder(t *testing.T) {
	less := func(a, b *int) bool { return *a < *b }
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var h, ref []int
		for range 400 {
			if len(h) > 0 && rng.IntN(3) == 0 {
				var got int
				got, h = popHeap(h, less)
				i := slices.Index(ref, slices.Min(ref))
				require.Equal(t, ref[i], got, "seed %d", seed)
				ref = slices.Delete(ref, i, i+1)
				continue
			}
			x := rng.IntN(100) // ties included
			h = pushHeap(h, x, less)
			ref = append(ref, x)
		}
		require.Len(t, h, len(ref))
	}
}
