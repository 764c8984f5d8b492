package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// A 0 that leaves a TTL parameter unset is labelled with the value it falls
// back to, resolved by the model from the scenario's backend.
func TestUnsetLabel(t *testing.T) {
	s, err := scenarios.Load("default-max-cliff") // approle untuned; database 1h/24h; system untuned
	require.NoError(t, err)
	tuned := *s
	tuned.Backend.System = model.System{MaxLeaseTTL: 2000 * model.Hour}
	for _, tc := range []struct {
		s     *scenarios.Scenario
		path  string
		swept []string
		want  string
	}{
		{s, "roles.broker.token_max_ttl", nil, "unset (768h)"},
		{&tuned, "roles.broker.token_max_ttl", nil, "unset (2000h)"},
		{s, "roles.broker.token_ttl", nil, "unset (768h)"},
		{s, "roles.app-db.max_ttl", nil, "unset (24h)"},
		{s, "roles.app-db.default_ttl", nil, "unset (1h)"},
		{s, "backend.mounts.database.max_lease_ttl", nil, "unset (768h)"},
		{&tuned, "backend.mounts.auth/approle.max_lease_ttl", nil, "unset (2000h)"},
		{s, "backend.max_lease_ttl", nil, "unset (768h)"},
		{s, "roles.broker.token_max_ttl", []string{"backend.max_lease_ttl"}, "unset"},
		{s, "roles.broker.token_max_ttl", []string{"backend.mounts.auth/approle.max_lease_ttl"}, "unset"},
		{s, "roles.app-db.max_ttl", []string{"backend.max_lease_ttl"}, "unset (24h)"},
		{s, "actors.core-api.replicas", nil, ""},
		{s, "roles.nobody.token_max_ttl", nil, ""},
	} {
		assert.Equal(t, tc.want, unsetLabel(tc.s, tc.path, tc.swept), tc.path)
	}
}

// The sweep: with no re-authentication, the outage of every
// setting runs to the horizon and is marked as a lower bound, and the
// unset max says what it falls back to.
func TestSweepHeatmapMarksCensoredCells(t *testing.T) {
	out := filepath.Join(t.TempDir(), "heat.svg")
	code, _, stderr := run("sweep", "default-max-cliff", "--set", "roles.broker.token_max_ttl=0,168h",
		"--set", "actors.broker.when_exhausted=none,reauth", "--heatmap", out, "--metric", "outage_seconds", "-o", "csv")
	require.Equal(t, ExitOK, code, stderr)
	svg, err := os.ReadFile(out)
	require.NoError(t, err)
	for _, want := range []string{">≥192h<", ">≥792h<", ">0s<", ">unset (768h)<", "Outage time: best 0s in 2 of 4 cells; worst ≥792h at token_max_ttl 168h, when_exhausted none",
		"runs stop at the horizon, 960h (40 days)"} {
		assert.Contains(t, string(svg), want)
	}
}

func TestSweepHeatmapFirstCliffNoneByHorizon(t *testing.T) {
	out := filepath.Join(t.TempDir(), "heat.svg")
	code, _, stderr := run("sweep", "default-max-cliff", "--set", "roles.broker.token_max_ttl=0,168h",
		"--set", "actors.broker.when_exhausted=none,reauth", "--heatmap", out, "--metric", "first_cliff_offset_seconds", "-o", "csv")
	require.Equal(t, ExitOK, code, stderr)
	svg, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(svg), ">none by 960h<")
	assert.Contains(t, string(svg), "Time to the first cliff: best none by 960h in 2 of 4 cells; worst 168h at token_max_ttl 168h, when_exhausted none")
}
