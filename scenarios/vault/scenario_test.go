package vault

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// The seed incident's fleet imports into a scenario that parses, whose
// broker logs in with the untuned approle role and holds its live token.
func TestScenarioFromJan2024(t *testing.T) {
	snap, err := Read(filepath.Join("..", "..", "testdata", "vault", "jan-2024"))
	require.NoError(t, err)
	yaml, warnings, err := Scenario(snap, ImportOptions{})
	require.NoError(t, err)
	if os.Getenv("SHOW") != "" {
		t.Log(string(yaml))
	}
	s, err := scenarios.Parse("imported.yaml", yaml)
	require.NoError(t, err, "%s", yaml)
	var broker *scenarios.Actor
	for i := range s.Actors {
		if s.Actors[i].Login == "broker" {
			broker = &s.Actors[i]
		}
	}
	require.NotNil(t, broker, "%s", yaml)
	require.NotNil(t, broker.Existing)
	assert.Equal(t, 24*model.Hour, broker.Existing.TTL)
	assert.Contains(t, string(yaml), "auth/approle: {}", "an untuned mount stays untuned")
	assert.Contains(t, string(yaml), "its parent is unknown")
	assert.NotEmpty(t, warnings)
}

func TestScenarioNeedsALiveToken(t *testing.T) {
	_, _, err := Scenario(&Snapshot{}, ImportOptions{})
	assert.ErrorContains(t, err, "nothing to forecast")
}
