package sim

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// blocks keeps every element at its index across block boundaries, and an
// element's address does not move when more are added.
func TestBlocks(t *testing.T) {
	for _, n := range []int{0, 1, 1 << blockBits, 1<<blockBits + 1, 3<<blockBits + 7} {
		var c blocks[int32]
		for round := range 2 { // the second round reuses the blocks after reset
			first := (*int32)(nil)
			for i := range n {
				require.Equal(t, i, c.add(int32(i*3+round)))
				if i == 0 {
					first = c.at(0)
				}
			}
			require.Equal(t, n, c.len())
			for i := range n {
				require.Equal(t, int32(i*3+round), *c.at(i), "n=%d i=%d", n, i)
			}
			if n > 0 {
				require.Same(t, first, c.at(0))
			}
			c.reset()
			require.Equal(t, 0, c.len())
		}
	}
}

// A cascade writes one revocation job and one loss per ended lease: their
// sizes are the memory a million-lease cascade touches.
func TestCascadeRecordSizes(t *testing.T) {
	require.Equal(t, uintptr(40), unsafe.Sizeof(revJob{}))
	require.Equal(t, uintptr(12), unsafe.Sizeof(loss{}))
}
