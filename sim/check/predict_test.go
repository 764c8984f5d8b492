package check

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// no_system_default_max reads explain's prediction, not the creation
// grant: a token created through a token role without an explicit max
// keeps the request's explicit_max_ttl only until its first renewal
// (semantics.md §4), then relies on the 768h default — a violation, found
// before the horizon reaches the cliff (issue 9's false negative).
func TestSystemDefaultMaxFollowsThePrediction(t *testing.T) {
	s, err := scenarios.Parse("reread.yaml", []byte(`name: reread
description: a token role without an explicit max
start: 2024-01-01T00:00:00Z
horizon: 2d
seed: 1
backend:
  mounts:
    auth/token: {}
roles:
  svc: {mount: auth/token}
actors:
  app: {token: {role: svc, ttl: 1h, explicit_max_ttl: 3h}, renew: watcher}
`))
	require.NoError(t, err)
	yes := true
	r := evaluate(t, s, &scenarios.Expect{NoSystemDefaultMax: &yes})
	require.Len(t, r.Rules, 1)
	require.NotEmpty(t, r.Rules[0].Violations, "the token relies on system.max_lease_ttl after its first renewal")
	assert.Equal(t, "app", r.Rules[0].Violations[0].Entity)
	assert.Equal(t, "system.max_lease_ttl", r.Rules[0].Violations[0].Layer)
}
