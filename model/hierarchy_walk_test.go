package model

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// A broker-shaped tree — child tokens with a few leases each, some with
// child tokens of their own, leases of the broker's among them — ended in
// slices of every small size and of 1024: the reference's order, every
// node dead when handed over and every node not yet handed over alive
// (the walk ends a token with no child token in place only when the slice
// has room for it and its leases, else flushes first or gives it a frame;
// TestHierarchyMatchesReference's random forests seldom reach those).
func TestExpireTreeBatchSlices(t *testing.T) {
	for seed := range uint64(12) {
		for _, size := range []int{1, 2, 3, 4, 5, 7, 1024} {
			rng := rand.New(rand.NewPCG(seed, 11))
			var h Hierarchy
			var r refForest
			add := func(parent NodeID, k NodeKind) NodeID {
				var id NodeID
				var err error
				if k == LeaseNode {
					id, err = h.AddLease(parent)
				} else {
					id, err = h.AddToken(parent, k == BatchToken)
				}
				require.NoError(t, err)
				require.Equal(t, r.add(parent, k), id)
				return id
			}
			broker := add(None, ServiceToken)
			for range 40 {
				switch rng.IntN(6) {
				case 0:
					add(broker, LeaseNode)
				case 1: // a token with a subtree
					c := add(broker, ServiceToken)
					for range rng.IntN(3) {
						g := add(c, ServiceToken)
						for range rng.IntN(3) {
							add(g, LeaseNode)
						}
					}
					for range rng.IntN(3) {
						add(c, LeaseNode)
					}
				default: // a token with no child token, 0 to 8 leases
					c := add(broker, ServiceToken)
					for range rng.IntN(9) {
						add(c, LeaseNode)
					}
				}
			}
			var want, got []NodeID
			r.tree(broker, &want)
			name := fmt.Sprintf("seed %d, slices of %d", seed, size)
			n := h.ExpireTreeBatch(broker, make([]NodeID, 0, size), func(ms []NodeID) {
				require.LessOrEqual(t, len(ms), size, name)
				got = append(got, ms...)
				for _, m := range ms {
					require.False(t, h.Alive(m), "%s: node %d handed over alive", name, m)
				}
				for _, m := range want[min(len(got), len(want)):] {
					require.True(t, h.Alive(m), "%s: node %d dead before it was handed over", name, m)
				}
			})
			require.Equal(t, want, got, name)
			require.Equal(t, len(want), n, name)
		}
	}
}
