package sim

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
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

// revJobs reads every job as it arrived until it is taken, whichever of its
// block's jobs was taken first, and keeps what a taken job's record says.
func TestRevJobsLazy(t *testing.T) {
	const n = 3<<blockBits + 5
	mountAt := func(i int) (int32, model.Millis) { return int32(i / 3000 % 2), model.Millis(i/1000) * 1000 }
	leaseOf := func(i int) model.NodeID { // steps of 1, of 2, backwards, and none
		switch {
		case i < 2500:
			return model.NodeID(i + 7)
		case i < 6000:
			return model.NodeID(2*i + 7)
		case i < 7000:
			return model.NodeID(100_000 - i)
		}
		return model.NodeID(200_000 + i*i%10_007)
	}
	want := make([]revJob, n)
	var js revJobs
	for i := range n {
		m, at := mountAt(i)
		if i%2 == 0 || !js.addQuiet(leaseOf(i), m, at) { // a cascade's next job, or not
			require.Equal(t, i, js.add(leaseOf(i), m, at))
		}
		require.Equal(t, i+1, js.len())
		want[i] = revJob{lease: leaseOf(i), mount: m, expiredAt: at, revokedAt: -1, markedAt: -1}
		if i%5000 == 4999 { // a worker takes a job: its block gets records, later arrivals write theirs
			js.at(i-10).attempts++
			want[i-10].attempts++
		}
	}
	js.at(n - 1).revokedAt = 99
	want[n-1].revokedAt = 99
	for i := range n {
		require.Equal(t, want[i], js.job(i), "job %d", i)
	}
	seen := 0
	js.each(func(i int, j revJob) {
		require.Equal(t, want[i], j, "each: job %d", i)
		seen++
	})
	require.Equal(t, n, seen)
	for i := range n {
		require.Equal(t, want[i], *js.at(i), "at: job %d", i)
	}
}
