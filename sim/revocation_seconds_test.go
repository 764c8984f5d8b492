package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// perSecond keeps its seconds in time order whatever order they are asked
// in: in order (the revoker's clock), repeated, and behind the last one
// (what follows a daily pass that ran ahead of the clock).
func TestPerSecondInTimeOrder(t *testing.T) {
	for _, c := range []struct {
		name  string
		asked []int64
		secs  []int64
		count []int
	}{
		{"in order", []int64{1, 1, 2, 5, 5, 5}, []int64{1, 2, 5}, []int{2, 1, 3}},
		{"behind the last", []int64{10, 20, 15, 12, 20, 15}, []int64{10, 12, 15, 20}, []int{1, 1, 2, 2}},
		{"before the first", []int64{7, 3, 3, 9}, []int64{3, 7, 9}, []int{2, 1, 1}},
	} {
		var s perSecond[int]
		for _, sec := range c.asked {
			*s.at(sec)++
		}
		require.Equal(t, c.secs, s.secs, c.name)
		require.Equal(t, c.count, s.vals, c.name)
	}
}

// rows merges the mounts' seconds (activity and arrivals), by second then
// mount, and stops at the end.
func TestRevokerRowsMerge(t *testing.T) {
	r := &revoker{mounts: make([]revMount, 2)}
	r.second(5_000, 1).Attempts++
	r.second(2_500, 0).Revoked++
	r.second(9_000, 0).Attempts++ // after the end
	r.second(5_999, 0).Attempts++
	for _, a := range []struct {
		mount int
		at    model.Millis
	}{{0, 2_000}, {1, 2_000}, {1, 5_000}, {1, 5_000}} {
		r.second(a.at, a.mount).arrivals++
	}
	var got []revSecRow
	require.Equal(t, 4, r.eachRow(8, func(k revSecRow) { got = append(got, k) }))
	want := []revSecRow{
		{sec: 2, mount: 0, revSecond: revSecond{Revoked: 1, arrivals: 1}},
		{sec: 2, mount: 1, revSecond: revSecond{arrivals: 1}},
		{sec: 5, mount: 0, revSecond: revSecond{Attempts: 1}},
		{sec: 5, mount: 1, revSecond: revSecond{Attempts: 1, arrivals: 2}},
	}
	require.Equal(t, want, got)
}
