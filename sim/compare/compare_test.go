package compare

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
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
	assert.Equal(t, Better, c.Kind())
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
	assert.Equal(t, Worse, c.Kind())
	assert.Contains(t, c.Verdict(), "WORSE")
	assert.Contains(t, c.Verdict(), "ADDS 3 cliffs")
}

func TestSameScenarioIsSame(t *testing.T) {
	c := Compare(sideOf(t, "default-max-cliff"), sideOf(t, "default-max-cliff"))
	assert.Equal(t, 1, c.Count("unchanged"))
	assert.Contains(t, c.Verdict(), "SAME")
	assert.Equal(t, Same, c.Kind())
	assert.Empty(t, c.Settings)
}

func TestVerdictKinds(t *testing.T) {
	base := sideOf(t, "default-max-cliff")
	at := func(v model.Instant) []sim.Cliff { return []sim.Cliff{{At: v}} }
	for _, tc := range []struct {
		name                 string
		baseDown, propDown   model.Duration
		baseFail, propFail   float64
		baseCliffs, proCliff []sim.Cliff
		want                 string
	}{
		{"nothing changes", 60, 60, 5, 5, at(100), at(100), Same},
		{"less outage", 60, 0, 5, 0, at(100), at(100), Better},
		{"more outage", 0, 60, 0, 5, nil, nil, Worse},
		{"a cliff comes earlier", 0, 0, 0, 0, at(100), at(50), Worse},
		{"a cliff comes later", 0, 0, 0, 0, at(100), at(500), Better},
		{"cliff removed but more failures", 60, 60, 5, 9, at(100), nil, Mixed},
		{"less outage but more failures", 60, 30, 5, 9, nil, nil, Mixed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, p := base, base
			b.Result = &sim.Result{Cliffs: tc.baseCliffs, Services: []sim.ServiceSummary{{Name: "s", Down: tc.baseDown, FailedRequests: tc.baseFail}}}
			p.Result = &sim.Result{Cliffs: tc.proCliff, Services: []sim.ServiceSummary{{Name: "s", Down: tc.propDown, FailedRequests: tc.propFail}}}
			c := &Comparison{Baseline: b, Proposal: p}
			c.Services = []ServiceDelta{{Service: "s", BaselineDown: tc.baseDown, ProposalDown: tc.propDown, BaselineFailed: tc.baseFail, ProposalFail: tc.propFail}}
			assert.Equal(t, tc.want, c.Kind())
		})
	}
}

// The settings diff names --set paths; list items compare whole, so an
// event inserted does not shift the ones after it.
func TestSettingsDiff(t *testing.T) {
	leaves := func(text string) []scenarios.Leaf {
		l, err := scenarios.Leaves("x.yaml", []byte(text))
		require.NoError(t, err)
		return l
	}
	base := leaves("roles:\n  broker: {token_ttl: 24h}\nevents:\n  - {at: 1h, do: deploy}\n  - {at: 2h, do: deploy}\ndescription: a\n")
	prop := leaves("roles:\n  broker: {token_ttl: 24h, token_max_ttl: 168h}\nevents:\n  - {at: 30m, do: deploy}\n  - {at: 1h, do: deploy}\n  - {at: 2h, do: deploy}\ndescription: b\n")
	assert.Equal(t, []SettingChange{
		{Path: "roles.broker.token_max_ttl", New: "168h"},
		{Path: "events[0]", New: "{at: 30m, do: deploy}"},
	}, diffSettings(base, prop))
}
