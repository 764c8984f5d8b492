package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

func liveScenario(t *testing.T, role, existing string) *scenarios.Scenario {
	t.Helper()
	src := `name: live
description: a live token
start: 2024-01-10T12:00:00Z
horizon: 30d
seed: 1
backend:
  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
roles:
  broker: {mount: auth/approle, ` + role + `}
  app-db: {mount: database, default_ttl: 1h, max_ttl: 24h}
actors:
  broker:
    login: broker
    existing: {` + existing + `}
  api: {via: broker, credential: app-db, replicas: 2, demand: 10/s}
`
	s, err := scenarios.Parse("live.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

// A token observed live keeps its original issue time: its hard end is
// issue + 768h, days after the start, and it takes its credentials along.
func TestExistingTokenForecast(t *testing.T) {
	s := liveScenario(t, "token_ttl: 24h", `issue_time: "2023-12-14T17:54:00Z", expire_time: "2024-01-11T09:47:31Z", ttl: 24h`)
	exps, err := Explain(s)
	require.NoError(t, err)
	assert.Equal(t, model.LayerSystemMax, exps[0].Grant.HardEndBy.Kind)
	assert.Equal(t, "2024-01-15T17:54:00Z", Clock{s.Start}.RFC3339(exps[0].Grant.HardEnd))
	res := New(s, Options{}).Run()
	require.NotEmpty(t, res.Cliffs)
	assert.Equal(t, exps[0].Grant.HardEnd, res.Cliffs[0].At)
	assert.Equal(t, 2, res.Cliffs[0].Leases)
	assert.Empty(t, res.Notes)
}

// Vault's expiry after the model's hard end means the configuration
// changed since issue (or the model is wrong): say so.
func TestExistingTokenDisagreement(t *testing.T) {
	s := liveScenario(t, "token_ttl: 24h, token_max_ttl: 48h", `issue_time: "2024-01-09T12:00:00Z", expire_time: "2024-01-12T00:00:00Z", ttl: 24h`)
	res := New(s, Options{}).Run()
	require.Len(t, res.Notes, 1)
	assert.Contains(t, res.Notes[0], "after the hard end the model computes")
	exps, err := Explain(s)
	require.NoError(t, err)
	assert.Contains(t, exps[0].Warnings[0], "the configuration changed since issue")

	// A role lowered below the token's age: the next renewal would fail.
	s = liveScenario(t, "token_ttl: 1h, token_max_ttl: 2h", `issue_time: "2024-01-09T12:00:00Z", expire_time: "2024-01-10T13:00:00Z", ttl: 1h`)
	res = New(s, Options{}).Run()
	require.Len(t, res.Notes, 1)
	assert.Contains(t, res.Notes[0], "next renewal would fail")
}
