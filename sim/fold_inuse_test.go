package sim

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// TestFoldKeepsFirstInUseEnd folds retired leases that reached their cap
// still in use, latest end first: the sweep's "first hard end in use"
// must still be the earliest one, not the first folded. A retired lease
// ends in use only when its holder replaced it at the instant it ended,
// which no library or generated run does twice in one bucket, so the
// test makes the capped leases of a re-read fleet so (their pasts say it
// for the kept walk and the fold alike).
func TestFoldKeepsFirstInUseEnd(t *testing.T) {
	s, err := scenarios.LoadWithOverrides("../testdata/standard-1m-365d.yaml", []scenarios.Override{
		{Path: "actors.fleet.replicas", Value: "3"}, {Path: "roles.app-db.max_ttl", Value: "5h"},
		{Path: "horizon", Value: "3d"}})
	require.NoError(t, err)
	r := New(s, Options{}).Run()
	e := r.engine
	var inUse []model.NodeID
	for _, n := range r.kept {
		if f := r.Facts(int(n)); f.Kind == KindLease && f.Replaced && f.Cause == MaxTTL {
			p := e.pastFor(n)
			p.replacedAt = p.endAt
			inUse = append(inUse, n)
		}
	}
	require.GreaterOrEqual(t, len(inUse), 2)
	want := r.EndTally()
	require.True(t, want.HardEndInUse)
	// Latest end first, so the earliest comes last.
	slices.SortStableFunc(inUse, func(a, b model.NodeID) int {
		return int(r.Facts(int(b)).EndedAt - r.Facts(int(a)).EndedAt)
	})
	require.NotEqual(t, r.Facts(int(inUse[0])).EndedAt, r.Facts(int(inUse[len(inUse)-1])).EndedAt)
	for _, n := range inUse {
		e.fold.add(e, n)
	}
	slices.Sort(inUse)
	r.kept = slices.DeleteFunc(r.kept, func(n model.NodeID) bool { _, found := slices.BinarySearch(inUse, n); return found })
	require.Equal(t, want, r.EndTally())
}
