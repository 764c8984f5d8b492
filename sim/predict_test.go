package sim

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// The cases of issue 9 that explain got wrong, each checked against what
// `explain` prints and what `run` simulates (semantics.md §4, §3.2, §2).
func TestExplainPredictsIssueCases(t *testing.T) {
	const head = `name: predict
description: explain predicts what run simulates
start: 2024-01-01T00:00:00Z
horizon: 60d
seed: 1
backend:
  mounts:
    auth/approle: {}
    auth/token: {}
`
	for _, c := range []struct {
		name, yaml string
		entity     string
		end        string // FormatOffset of the predicted end, "" for none
		by         string
		text       []string // lines the text output must contain
	}{
		{"a token role without explicit max drops the request's at the first renewal",
			`roles:
  svc: {mount: auth/token}
actors:
  app: {token: {role: svc, ttl: 1h, explicit_max_ttl: 3h}, renew: watcher}
`, "app", "day 32+00:00", "system.max_lease_ttl",
			[]string{"from its first renewal (day 0+00:00), which re-reads the role and mount: hard end moves to day 32+00:00 (system.max_lease_ttl)",
				"dropped at the first renewal"}},
		{"a batch token ends at issue + TTL",
			`roles:
  ci: {mount: auth/approle, token_ttl: 2h, token_type: batch}
actors:
  job: {login: ci, renew: watcher}
`, "job", "day 0+02:00", "role ci token_ttl",
			[]string{"a batch token cannot be renewed: it ends when its TTL runs out, at issue + 2h (role ci token_ttl)"}},
		{"a scripted tune moves the hard end",
			`roles:
  broker: {mount: auth/approle, token_ttl: 24h}
actors:
  broker: {login: broker, renew: watcher}
events:
  - {at: 10d, do: tune, mount: auth/approle, set: {max_lease_ttl: 480h}}
`, "broker", "day 20+00:00", "mount auth/approle max_lease_ttl",
			[]string{"from day 10+00:00, mount auth/approle max_lease_ttl 480h: hard end moves to day 20+00:00 (mount auth/approle max_lease_ttl)"}},
		{"a token role's explicit max above the mount max warns at role write",
			`roles:
  svc: {mount: auth/token, explicit_max_ttl: 2160h}
actors:
  app: {token: {role: svc, ttl: 1h}, renew: watcher}
`, "app", "day 32+00:00", "system.max_lease_ttl",
			[]string{"writing role svc: Given explicit max TTL of 7776000 is greater than system/mount allowed value of 2764800 seconds; until this is fixed attempting to create tokens against this role will result in an error"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := scenarios.Parse("predict.yaml", []byte(head+c.yaml))
			require.NoError(t, err)
			exps, err := Explain(s)
			require.NoError(t, err)
			var x *Explanation
			for i := range exps {
				if exps[i].ID == c.entity {
					x = &exps[i]
				}
			}
			require.NotNil(t, x)
			assert.True(t, x.Predicted.Exact)
			assert.Equal(t, c.end, FormatOffset(x.Effective.At))
			assert.Equal(t, c.by, x.Effective.By.String())
			var text, js bytes.Buffer
			require.NoError(t, WriteExplainText(&text, s, exps))
			require.NoError(t, WriteExplainJSON(&js, s, exps))
			for _, l := range c.text {
				if !bytes.Contains(text.Bytes(), []byte(l)) && !bytes.Contains(js.Bytes(), []byte(l)) {
					t.Errorf("explain output lacks %q:\n%s", l, text.String())
				}
			}
			if x.RoleWarnings != nil {
				assert.Contains(t, js.String(), x.RoleWarnings[0], "role-write warnings are in the JSON too")
				assert.Contains(t, text.String(), x.RoleWarnings[0])
			}
			// run agrees
			res := New(s, Options{}).Run()
			f := res.Fates()[0]
			require.True(t, f.Ended)
			assert.Equal(t, c.end, FormatOffset(f.EndedAt))
			assert.Equal(t, c.by, f.BoundBy.String())
		})
	}
}

// A scenario with what the creation grant does not show, explained and
// run: the goldens are the spec of the changes lines, and every entity's
// first generation ends in the run as explained.
func TestExplainScriptedChangesGolden(t *testing.T) {
	s, err := scenarios.Load("testdata/explain/scripted-changes.yaml")
	require.NoError(t, err)
	exps, err := Explain(s)
	require.NoError(t, err)
	var text, js bytes.Buffer
	require.NoError(t, WriteExplainText(&text, s, exps))
	require.NoError(t, WriteExplainJSON(&js, s, exps))
	golden(t, "scripted-changes.explain.txt", text.Bytes())
	golden(t, "scripted-changes.explain.json", js.Bytes())
	var st diffStats
	assert.Empty(t, compareLives(New(s, Options{RecordLog: true}).Run(), exps, &st))
	assert.Equal(t, st.entities, st.exact, "every prediction here is exact")
}
