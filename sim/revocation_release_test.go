package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// revokeBlock is the database mount's revoke block with failure f.
func revokeBlock(f string) string {
	return "database: {default_lease_ttl: 1h, max_lease_ttl: 8760h, revoke: {latency: {p50: 30ms, p99: 80ms}, failure: " + f + "}}"
}

// The revoker tells the engine it is done with a lease exactly once, when
// its job is revoked for good, and never reads the lease's entity after:
// every lease given to it is released once, or still pending at the horizon
// (queued, retrying, irrevocable, or revoked by a daily pass after it), and
// never both. (Planted: a release on a retry's failure, a second release of
// a pass's revocation, a release when marked irrevocable, the longest
// exposure named at the summary: each fails it.)
func TestRevokerReleasesEachLeaseOnce(t *testing.T) {
	library := func(name string) *scenarios.Scenario { return load(t, name) }
	for _, c := range []struct {
		name string
		s    *scenarios.Scenario
		// what the run must have done for the case to check its paths
		check func(v *Revocation) bool
	}{
		{"re-read fleet, no failures", standardScenario(t, "reread.yaml", "horizon: 365d", "horizon: 4d",
			"replicas: 1000000", "replicas: 50", "max_ttl: 8760h}", "max_ttl: 5h}"),
			func(v *Revocation) bool { return v.Revoked > 500 && v.Failures == 0 }},
		{"re-read fleet, retries and irrevocable leases", standardScenario(t, "reread-fail.yaml", "horizon: 365d", "horizon: 6d",
			"replicas: 1000000", "replicas: 30", "max_ttl: 8760h}", "max_ttl: 5h}",
			"database: {default_lease_ttl: 1h, max_lease_ttl: 8760h}", revokeBlock("0.7")),
			func(v *Revocation) bool { return v.Retries > 100 && v.Irrevocable > v.StillIrrev && v.StillIrrev > 0 }},
		{"revokes failing past the horizon", standardScenario(t, "reread-fail.yaml", "horizon: 365d", "horizon: 49h",
			"replicas: 1000000", "replicas: 20", "max_ttl: 8760h}", "max_ttl: 3h}",
			"database: {default_lease_ttl: 1h, max_lease_ttl: 8760h}", revokeBlock("0.97")),
			func(v *Revocation) bool { return v.Usable > 0 && v.Irrevocable > v.StillIrrev }},
		{"a cliff queued faster than the workers take it", library("fleet-revocation-cliff"),
			func(v *Revocation) bool { return len(v.Cliffs) == 1 && v.Cliffs[0].PeakBacklog > 1000 }},
		{"cascades and re-reads", library("jan-2024-replay"), func(v *Revocation) bool { return len(v.Cliffs) > 1 }},
	} {
		var plain *Revocation
		for _, recycle := range []bool{false, true} {
			v := checkReleases(t, c.name, c.s, recycle)
			require.True(t, c.check(v), "%s: the run does not take the paths it is meant to: %+v", c.name, *v)
			if !recycle {
				plain = v
			} else {
				require.Equal(t, plain, v, "%s: recycling changes nothing the revoker reports", c.name)
			}
		}
	}
}

// checkReleases runs s with every read of a lease's entity by the revoker
// watched, and checks each lease given to it is released once or pending
// at the end, never both, and never read after its release. With recycle
// the engine reuses released retired leases' slots (Options.Recycle): a
// lease is its slot and its issue serial.
func checkReleases(t *testing.T, name string, s *scenarios.Scenario, recycle bool) *Revocation {
	t.Helper()
	name += map[bool]string{true: " (recycling)"}[recycle]
	e := New(s, Options{Budget: elideBudget, Recycle: recycle})
	r := e.rev
	type lease struct {
		n      model.NodeID
		serial uint32
	}
	released := map[lease]int{}
	readAfter := 0
	key, nameOf, release := r.keyOf, r.nameOf, r.released
	r.keyOf = func(n model.NodeID) Key {
		readAfter += released[lease{n, e.serialOf(n)}]
		return key(n)
	}
	r.nameOf = func(n model.NodeID) string {
		readAfter += released[lease{n, e.serialOf(n)}]
		return nameOf(n)
	}
	r.released = func(n model.NodeID) {
		released[lease{n, e.serialOf(n)}]++
		require.Equal(t, entLease, e.ents[n].kind, "%s: lease %d", name, n)
		release(n)
	}
	v := e.Run().Revocation
	pending := map[lease]bool{}
	r.jobs.each(func(_ int, j revJob) { pending[lease{j.lease, e.serialOf(j.lease)}] = true })
	for l, k := range released {
		require.Equal(t, 1, k, "%s: lease %d released %d times", name, l.n, k)
		require.False(t, pending[l], "%s: lease %d released and still pending", name, l.n)
	}
	require.Equal(t, v.Leases, len(released)+len(pending), "%s: every lease given is released or pending", name)
	require.Equal(t, v.Usable, len(pending), "%s: the pending leases are the ones usable at the horizon", name)
	require.Zero(t, readAfter, "%s: entities read after their release", name)
	if recycle && strings.HasPrefix(s.Name, "standard") {
		require.Positive(t, e.rc.recycled, "%s: slots were recycled", name)
	}
	return v
}

// Over a long re-read run the revoker's job records follow the jobs
// pending: at every release the blocks of records it holds are at most the
// pending jobs plus the block jobs arrive in, while a run keeping every
// record would hold one block per 4096 leases ended; so do the arrival
// runs. (Planted: never dropping a block, never pruning the runs: each
// fails it.)
func TestRevokerJobsFollowPending(t *testing.T) {
	s := standardScenario(t, "reread-long.yaml", "horizon: 365d", "horizon: 12d",
		"replicas: 1000000", "replicas: 200", "max_ttl: 8760h}", "max_ttl: 1h}",
		"database: {default_lease_ttl: 1h, max_lease_ttl: 8760h}", revokeBlock("0.2"))
	e := New(s, Options{Budget: elideBudget})
	r := e.rev
	done, peakPending, peakBlocks, peakRuns := 0, 0, 0, 0
	r.released = func(model.NodeID) {
		done++
		pending := r.jobs.len() - done
		blocks := 0
		for _, b := range r.jobs.states {
			if b != nil {
				blocks++
			}
		}
		require.Equal(t, blocks, r.jobs.blocks)
		peakPending = max(peakPending, pending)
		peakBlocks = max(peakBlocks, blocks)
		require.LessOrEqual(t, blocks, pending+1, "after %d jobs", r.jobs.len())
		peakRuns = max(peakRuns, len(r.jobs.runs))
	}
	v := e.Run().Revocation
	require.Greater(t, v.Leases, 10*blockLen, "long enough to fill many blocks")
	require.Greater(t, v.Retries, 0)
	require.LessOrEqual(t, peakBlocks, peakPending+1)
	require.Less(t, peakBlocks, 5, "a few blocks at most (peak pending %d)", peakPending)
	// Jobs are taken as they come: a block has records from its first
	// job on, and the runs left are the last one or two (17 unpruned).
	require.LessOrEqual(t, peakRuns, 3, "the arrival runs of the blocks without records, and the last")
}
