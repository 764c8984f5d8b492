package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// Revoking the top of a four-level chain revokes every level below it in
// the same instant (semantics.md §6.1), and nothing below can get a new
// token while the top is gone.
func TestRunNestedChain(t *testing.T) {
	res := New(load(t, "nested-chain"), Options{}).Run()
	require.Len(t, res.Cliffs, 1)
	c := res.Cliffs[0]
	assert.Equal(t, model.Instant(3*86400), c.At)
	assert.Equal(t, Revoked, c.Cause)
	assert.Equal(t, "trust#1", res.EntityID(c.Roots[0]))
	assert.Equal(t, 6, c.Tokens, "trust, the broker's child token and 4 app child tokens")
	assert.Equal(t, 4, c.Leases)
	byID := map[string]Fate{}
	for _, f := range res.Entities {
		byID[f.ID] = f
	}
	for id, parent := range map[string]string{"broker.token#1": "trust#1", "app[3].token#1": "broker.token#1"} {
		f := byID[id]
		assert.Equal(t, parent, f.Parent, id)
		assert.Equal(t, Cascade, f.Cause, id)
		assert.Equal(t, "trust#1", f.Root, id)
	}
	require.Len(t, res.Outages, 2)
	for _, o := range res.Outages {
		assert.True(t, o.Ongoing, "%s: nothing below the revoked top gets a token again", o.Service)
	}
}

// explain follows the chain: each entity says it cannot outlive every
// token above it, nearest first.
func TestExplainNestedChain(t *testing.T) {
	exps, err := Explain(load(t, "nested-chain"))
	require.NoError(t, err)
	var cred *Explanation
	for i := range exps {
		if exps[i].ID == "app.credential" {
			cred = &exps[i]
		}
	}
	require.NotNil(t, cred)
	n := 0
	for _, s := range cred.Because {
		if strings.Contains(s, "cannot outlive") {
			n++
		}
	}
	assert.Equal(t, 3, n, "one line per token above it")
	joined := strings.Join(cred.Because, "\n")
	for _, want := range []string{"cannot outlive app.token:", "through app.token, it cannot outlive broker.token either", "through broker.token, it cannot outlive trust either"} {
		assert.Contains(t, joined, want)
	}
}

// The terraform-provider case: credentials read through the provider's
// 20-minute child token die with it; with a one-hour provider token the
// 45-minute apply completes.
func TestRunTerraformProvider(t *testing.T) {
	res := New(load(t, "terraform-provider"), Options{}).Run()
	require.Len(t, res.Cliffs, 1)
	assert.Equal(t, model.Instant(20*60), res.Cliffs[0].At)
	assert.Equal(t, "request explicit_max_ttl", res.Cliffs[0].BoundBy.String())
	assert.Equal(t, 1, res.Cliffs[0].Leases)

	long := New(load(t, "terraform-provider-long"), Options{}).Run()
	assert.Empty(t, long.Cliffs)
	assert.Empty(t, long.Outages)
}
