package compare

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

func sideOf(t *testing.T, name string) Side {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	exps, err := sim.Explain(s)
	require.NoError(t, err)
	return Side{Scenario: s, Label: name, Result: sim.New(s, sim.Options{}).Run(), Explain: exps}
}

// Issue 5's acceptance: every cliff removed and the outage minutes saved.
func TestReplayVersusFixed(t *testing.T) {
	c := Compare(sideOf(t, "jan-2024-replay"), sideOf(t, "jan-2024-fixed"))
	assert.Equal(t, 3, c.Count("removed"))
	assert.Zero(t, c.Count("added"))
	assert.True(t, c.Better())
	bd, pd, bf, pf := c.Totals()
	assert.Equal(t, int64(501*60), int64(bd), "123+123+138+4×13+2×20+25 minutes")
	assert.Zero(t, pd)
	assert.Zero(t, pf)
	assert.Greater(t, bf, 0.0)
	assert.Contains(t, c.Verdict(), "BETTER: the proposal removes every cliff (3) and saves 501 min of outage")
	assert.Equal(t, "broker-core-a", c.BaselineEarliest.Entity)
	assert.Equal(t, "system.max_lease_ttl", c.BaselineEarliest.By.String())
	assert.Equal(t, "role system-token token_max_ttl", c.ProposalEarliest.By.String())

	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, c))
	var doc struct {
		CliffsRemoved       int     `json:"cliffs_removed"`
		OutageSecondsSaved  int64   `json:"outage_seconds_saved"`
		FailedRequestsSaved float64 `json:"failed_requests_saved"`
		Better              bool    `json:"better"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 3, doc.CliffsRemoved)
	assert.Equal(t, int64(501*60), doc.OutageSecondsSaved)
	assert.True(t, doc.Better)
}

// The other way round the change is worse: cliffs added.
func TestFixedVersusReplayIsWorse(t *testing.T) {
	c := Compare(sideOf(t, "jan-2024-fixed"), sideOf(t, "jan-2024-replay"))
	assert.Equal(t, 3, c.Count("added"))
	assert.False(t, c.Better())
	assert.Contains(t, c.Verdict(), "WORSE")
	assert.Contains(t, c.Verdict(), "ADDS 3 cliffs")
}

func TestSameScenarioIsSame(t *testing.T) {
	c := Compare(sideOf(t, "default-max-cliff"), sideOf(t, "default-max-cliff"))
	assert.Equal(t, 1, c.Count("unchanged"))
	assert.Contains(t, c.Verdict(), "SAME")
}
