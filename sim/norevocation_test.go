package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// TestNoRevocationChangesNothingElse: a run without the revocation work
// (Options.NoRevocation, what a sweep asks) reports what the full run
// reports once its revocation section is left out: text, report.json and
// the event log, for every library scenario, a re-read fleet and
// generated re-read and fleet scenarios. (A planted skip of the cliff
// tracker's count when NoRevocation is set fails it.)
func TestNoRevocationChangesNothingElse(t *testing.T) {
	var runs []*scenarios.Scenario
	logged := map[*scenarios.Scenario]bool{} // the library's long runs compare reports only
	for _, entry := range scenarios.List() {
		runs = append(runs, load(t, entry.Name))
	}
	runs = append(runs, standardScenario(t, "reread-fleet.yaml", "horizon: 365d", "horizon: 40d",
		"replicas: 1000000", "replicas: 300", "max_ttl: 8760h}", "max_ttl: 100h}"))
	for seed := uint64(1); seed <= 6; seed++ {
		for _, g := range []func(uint64) string{rereadScenario, fleetScenario} {
			s, err := scenarios.Parse("generated.yaml", []byte(g(seed)))
			require.NoError(t, err)
			runs = append(runs, s)
			logged[s] = true
		}
	}
	withRevocation := 0
	for _, s := range runs {
		log := logged[s]
		opts := Options{Budget: elideBudget, RecordLog: log, LogLevel: LogLifecycle}
		full := New(s, opts).Run()
		opts.NoRevocation = true
		skipped := New(s, opts).Run()
		require.Nil(t, skipped.Revocation, s.Name)
		if full.Revocation != nil && full.Revocation.Leases > 0 {
			withRevocation++
		}
		full.Revocation = nil
		require.Empty(t, reportDiff(full, skipped, log), s.Name)
	}
	require.Greater(t, withRevocation, len(runs)/2, "most runs must revoke leases, or the test checks little")

	// Budgets count the loop's events and the entities, never the
	// revoker's work: a run stops at the same instant either way.
	stopped := 0
	for _, s := range runs[len(runs)-12:] {
		for _, opts := range []Options{{Budget: 300}, {Budget: elideBudget, MaxLive: 20}} {
			full := New(s, opts).Run()
			opts.NoRevocation = true
			skipped := New(s, opts).Run()
			require.Equal(t, full.Outcome, skipped.Outcome, s.Name)
			if full.Outcome.Exhausted() {
				stopped++
			}
			full.Revocation = nil
			require.Empty(t, reportDiff(full, skipped, false), s.Name)
		}
	}
	require.Greater(t, stopped, 12, "most budget runs must stop early, or the test checks little")
}
