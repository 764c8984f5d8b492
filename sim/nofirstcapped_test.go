package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// TestNoFirstCappedChangesNothingElse: a run that does not note first
// capped renewals (Options.NoFirstCapped, what a sweep asks, with
// NoRevocation and recycling) ends every entity as the full run does —
// the same outcome, events, cliffs, outages, services, end tally (what
// sweep.Measure reads) and each kept entity's ending — and notes none,
// for every library scenario and generated re-read, fleet and tie
// scenarios. (A planted skip of the cliff tracker's count of retired ends
// when NoFirstCapped is set fails it.)
func TestNoFirstCappedChangesNothingElse(t *testing.T) {
	var runs []*scenarios.Scenario
	for _, entry := range scenarios.List() {
		runs = append(runs, load(t, entry.Name))
	}
	runs = append(runs, standardScenario(t, "reread-fleet.yaml", "horizon: 365d", "horizon: 40d",
		"replicas: 1000000", "replicas: 300", "max_ttl: 8760h}", "max_ttl: 100h}"))
	for seed := uint64(1); seed <= 8; seed++ {
		for _, g := range []func(uint64) string{rereadScenario, fleetScenario, tieScenario} {
			s, err := scenarios.Parse("generated.yaml", []byte(g(seed)))
			require.NoError(t, err)
			runs = append(runs, s)
		}
	}
	capped := 0
	for _, s := range runs {
		for _, sweep := range []bool{false, true} {
			opts := Options{Budget: elideBudget}
			if sweep {
				opts.NoRevocation, opts.Recycle = true, true
			}
			full := New(s, opts).Run()
			opts.NoFirstCapped = true
			e := New(s, opts)
			skipped := e.Run()
			require.Empty(t, e.capped, s.Name)
			if len(full.engine.capped) > 0 {
				capped++
			}
			require.Equal(t, full.Outcome, skipped.Outcome, s.Name)
			require.Equal(t, full.Events, skipped.Events, s.Name)
			require.Equal(t, full.Cliffs, skipped.Cliffs, s.Name)
			require.Equal(t, full.Outages, skipped.Outages, s.Name)
			require.Equal(t, full.Impacts, skipped.Impacts, s.Name)
			require.Equal(t, full.Services, skipped.Services, s.Name)
			require.Equal(t, full.EndTally(), skipped.EndTally(), s.Name)
			require.Equal(t, full.kept, skipped.kept, s.Name)
			for _, n := range full.kept {
				require.Equal(t, full.Ending(int(n)), skipped.Ending(int(n)), "%s: entity %s", s.Name, full.EntityID(model.NodeID(n)))
			}
		}
	}
	require.Greater(t, capped, len(runs)/2, "most runs must cap renewals, or the test checks little")
}
