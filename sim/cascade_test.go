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

// Each entity a cascade ends has the past its own end event says (cause,
// instant, layer, root), though descendants with no past share one record
// (endPast); and the ones that shared stay as they were when more end.
func TestCascadeSharedPasts(t *testing.T) {
	for _, c := range []struct{ tokens, revoke bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		s, err := scenarios.Parse("cascade.yaml", []byte(cascadeScenario(40, c.tokens, c.revoke, false)))
		require.NoError(t, err)
		e := New(s, Options{RecordLog: true})
		r := e.Run()
		ends := 0
		for _, ev := range r.Log {
			if ev.Kind != LogEnd {
				continue
			}
			ends++
			p := e.pastOf(ev.Entity)
			require.Equal(t, ev.Cause, p.cause, "%+v entity %d", c, ev.Entity)
			require.Equal(t, ev.At, p.endAt.Instant(), "%+v entity %d", c, ev.Entity)
			require.Equal(t, ev.By, e.layers.at(p.endBy), "%+v entity %d", c, ev.Entity)
			require.Equal(t, ev.Root, p.root, "%+v entity %d", c, ev.Entity)
		}
		require.Greater(t, ends, 40, "%+v", c)
	}
}
