package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// The sign-off: check --policy with max_exposure_window fails on
// the fleet's 768h cliff and passes once its proven fix is applied.
func TestExposurePolicyFailsThenPassesOnFix(t *testing.T) {
	d := 5 * model.Minute
	policy := &scenarios.Expect{MaxExposureWindow: &d}
	rep := checked(t, "fleet-revocation-cliff", policy)
	r := rule(t, rep, RuleMaxExposureWindow)
	require.Len(t, r.Violations, 1)
	v := r.Violations[0]
	assert.Contains(t, v.What, "9m16s") // ⌈50000/180⌉ × 2 s
	assert.Equal(t, "broker#1", v.Root)
	require.NotNil(t, v.Fix)
	require.True(t, v.Fix.Verified, v.Fix.Text)

	var sets []scenarios.Override
	for _, s := range v.Fix.Set {
		path, vals, err := scenarios.ParseSet(s)
		require.NoError(t, err)
		sets = append(sets, scenarios.Override{Path: path, Value: vals[0]})
	}
	fixed := Scenario("fleet-revocation-cliff", sets, policy, sim.Options{})
	require.NoError(t, fixed.Err)
	assert.True(t, fixed.Passed(), "%+v", fixed.Rules)
}

const smallFleet = `name: small-fleet
description: 400 credentials under one token, revoked by 10 workers against a database failing one revoke in ten.
start: 2024-01-01T00:00:00Z
horizon: 30h
seed: 3
backend:
  revocation: {workers: 10}
  mounts:
    database:
      revoke: {latency: {p50: 1s}, failure: 0.1}
roles:
  app-db: {mount: database, default_ttl: 24h, max_ttl: 24h}
actors:
  broker: {token: {ttl: 1h, explicit_max_ttl: 1h}, renew: none}
  svc: {via: broker, credential: app-db, replicas: 400}
events:
  - {at: 1h, do: database-outage, mount: database, until: 1h30m}
`

func TestRevocationRules(t *testing.T) {
	s, err := scenarios.Parse("small.yaml", []byte(smallFleet))
	require.NoError(t, err)
	n := 5.0
	policy := &scenarios.Expect{MaxRevocationsPerSecond: &n, NoIrrevocableLeases: yes()}
	rep := evaluate(t, s, policy)

	rate := rule(t, rep, RuleMaxRevocationsPerSecond)
	require.Len(t, rate.Violations, 1)
	assert.Contains(t, rate.Violations[0].What, "database: its database received 9 revocations")
	// Fewer workers is among the proposals, as an override of the block.
	var sets []string
	for _, c := range rate.Violations[0].cands {
		sets = append(sets, setOf(c)...)
	}
	assert.Contains(t, sets, "backend.revocation.workers=5")

	// A 30-minute outage outlasts the 6 attempts (≈20+40+80+160+320 s): irrevocable.
	irr := rule(t, rep, RuleNoIrrevocableLeases)
	require.Len(t, irr.Violations, 1)
	assert.Contains(t, irr.Violations[0].What, "database: 400 leases marked irrevocable")
	assert.Greater(t, rep.Result.Revocation.StillIrrev, 0, "the daily pass at 24h runs after the outage")
}

// With the instant model the revocation rules hold trivially.
func TestRevocationRulesInstant(t *testing.T) {
	s, err := scenarios.LoadWithOverrides("default-max-cliff", []scenarios.Override{{Path: "backend.revocation", Value: "instant"}})
	require.NoError(t, err)
	d := model.Duration(0)
	rep := evaluate(t, s, &scenarios.Expect{MaxExposureWindow: &d, NoIrrevocableLeases: yes()})
	for _, r := range rep.Rules {
		if r.Rule == RuleMaxExposureWindow || r.Rule == RuleNoIrrevocableLeases {
			assert.True(t, r.Passed(), r.Rule)
		}
	}
}
