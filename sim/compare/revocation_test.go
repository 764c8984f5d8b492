package compare

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// The fleet's cliff and its fix side by side: re-authenticating the broker
// before its hard end leaves no 50,000-lease revocation storm.
func TestRevocationSideBySide(t *testing.T) {
	base := sideOf(t, "fleet-revocation-cliff")
	file, data, err := scenarios.Read("fleet-revocation-cliff")
	require.NoError(t, err)
	s, err := scenarios.ParseWithOverrides(file, data, []scenarios.Override{{Path: "actors.broker.when_exhausted", Value: "{reauth: {at: 0.9}}"}})
	require.NoError(t, err)
	exps, err := sim.Explain(s)
	require.NoError(t, err)
	prop := Side{Scenario: s, Label: "fixed", Result: sim.New(s, sim.Options{}).Run(), Explain: exps}
	var b strings.Builder
	require.NoError(t, WriteText(&b, Compare(base, prop)))
	out := b.String()
	assert.Contains(t, out, "exposure window max    9m16s → 0ms")
	assert.Contains(t, out, "peak revocations/s     180 → 0")
	assert.Contains(t, out, "leases ended           50000 → 0")
}

// Scenarios with revocation: instant compare as before: no revocation section.
func TestRevocationAbsentWhenInstant(t *testing.T) {
	s, err := scenarios.LoadWithOverrides("default-max-cliff", []scenarios.Override{{Path: "backend.revocation", Value: "instant"}})
	require.NoError(t, err)
	exps, err := sim.Explain(s)
	require.NoError(t, err)
	a := Side{Scenario: s, Label: "instant", Result: sim.New(s, sim.Options{}).Run(), Explain: exps}
	var b strings.Builder
	require.NoError(t, WriteText(&b, Compare(a, a)))
	assert.NotContains(t, b.String(), "Revocation")
}
