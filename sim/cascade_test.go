package sim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// A run with no log takes shortcuts on a cascade's path (no events built,
// a service's losses at one instant applied as one change: lossBatch);
// its report must be the one of the same run with its log kept, where
// every change is applied and logged one by one.
func TestCascadeShortcutsWithoutLog(t *testing.T) {
	for seed := range uint64(120) {
		src := genScenario(seed)
		s, err := scenarios.Parse(fmt.Sprintf("prop-%d.yaml", seed), []byte(src))
		if err != nil {
			continue
		}
		opts := Options{Exact: true, Budget: 20_000, MaxLive: 2_000, MaxEntities: 4_000}
		_, _, quiet, _, err := propRun(s, opts, nil)
		require.NoError(t, err)
		opts.RecordLog = true
		_, _, logged, _, err := propRun(s, opts, nil)
		require.NoError(t, err)
		require.Equal(t, string(logged), string(quiet), "seed %d:\n%s", seed, src)
	}
}
