package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
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
	for _, f := range res.Fates() {
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

func parse(t *testing.T, src string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

const rootHead = "name: t\ndescription: t\nstart: 2024-01-01T00:00:00Z\nhorizon: 40d\nseed: 1\n"

// Root tokens (semantics.md §3.1 step 7, §3.2, §6.4): a root-policy
// request without ttl never expires and is not renewed; its children are
// bounded by their own request and the token mount's max.
func TestRunRootTokens(t *testing.T) {
	cases := []struct {
		name     string
		src      string
		wantEnd  map[string]model.Instant // entity → end (0: alive at the horizon)
		wantFail string                   // an issue-failed error in the log
	}{
		{"root never expires, child ends at the untuned token mount max", rootHead +
			"actors:\n  root: {token: {policies: [root]}, when_exhausted: reauth}\n  ops: {via: root, child_token: {ttl: 1h}}\n",
			map[string]model.Instant{"root#1": 0, "ops.token#1": 768 * 3600}, ""},
		{"a tuned token mount moves the child's end", rootHead +
			"backend: {mounts: {auth/token: {max_lease_ttl: 8760h}}}\nactors:\n  root: {token: {policies: [root]}}\n  ops: {via: root, child_token: {ttl: 1h}}\n",
			map[string]model.Instant{"root#1": 0, "ops.token#1": 0}, ""},
		{"root policy with ttl expires like any token", rootHead +
			"actors:\n  root: {token: {policies: [root], ttl: 1h}, renew: none}\n",
			map[string]model.Instant{"root#1": 3600}, ""},
		{"root policy with explicit max: TTL is the explicit max", rootHead +
			"actors:\n  root: {token: {policies: [root], explicit_max_ttl: 2h}, renew: none}\n",
			map[string]model.Instant{"root#1": 7200}, ""},
		{"a root child of a root token never expires either", rootHead +
			"actors:\n  root: {token: {policies: [root]}}\n  ops: {via: root, child_token: {policies: [root]}}\n",
			map[string]model.Instant{"root#1": 0, "ops.token#1": 0}, ""},
		{"a non-root parent cannot create a root child", rootHead +
			"actors:\n  b: {token: {ttl: 24h}}\n  ops: {via: b, child_token: {policies: [root]}}\n",
			map[string]model.Instant{"b#1": 768 * 3600}, model.ErrRootFromNonRoot.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := New(parse(t, c.src), Options{RecordLog: true}).Run()
			got := map[string]model.Instant{}
			for _, f := range res.Fates() {
				got[f.ID] = f.EndedAt
			}
			assert.Equal(t, c.wantEnd, got)
			var fails []string
			renewsOfRoot := 0
			for _, ev := range res.Log {
				if ev.Kind == LogIssueFailed {
					fails = append(fails, ev.Err)
				}
				if ev.Kind == LogRenew && res.EntityID(ev.Entity) == "root#1" {
					renewsOfRoot++
				}
			}
			if c.wantFail != "" {
				require.NotEmpty(t, fails)
				assert.Contains(t, fails[0], c.wantFail)
			} else {
				assert.Empty(t, fails)
			}
			assert.Zero(t, renewsOfRoot, "a non-expiring root token is not renewed (§7.2)")
		})
	}
}

// explain says a root token never expires and what bounds its children.
func TestExplainRootToken(t *testing.T) {
	exps, err := Explain(load(t, "root-token-child"))
	require.NoError(t, err)
	require.Equal(t, "root", exps[0].ID)
	why := strings.Join(exps[0].Because, "\n")
	assert.Contains(t, why, "never expires")
	assert.Contains(t, why, "the token mount's max, 768h (system.max_lease_ttl)")
	child := exps[1]
	assert.Equal(t, model.Instant(768*3600), child.Grant.HardEnd)
	assert.Contains(t, strings.Join(child.Because, "\n"), "root above it never expires")
}
