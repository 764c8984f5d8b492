package check

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

func evaluate(t *testing.T, s *scenarios.Scenario, policy *scenarios.Expect) *Report {
	t.Helper()
	exps, err := sim.Explain(s)
	require.NoError(t, err)
	return Evaluate(s, sim.New(s, sim.Options{}).Run(), exps, policy)
}

func library(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	return s
}

func rule(t *testing.T, r *Report, name string) RuleResult {
	t.Helper()
	for _, x := range r.Rules {
		if x.Rule == name {
			return x
		}
	}
	t.Fatalf("no rule %s in %+v", name, r.Rules)
	return RuleResult{}
}

// Issue 5's acceptance: the seed incident fails, naming the 768h system
// max as the cause and the fix.
func TestDefaultMaxCliffFails(t *testing.T) {
	r := evaluate(t, library(t, "default-max-cliff"), nil)
	assert.False(t, r.Passed())
	c := rule(t, r, RuleNoCascade)
	require.Len(t, c.Violations, 1)
	v := c.Violations[0]
	assert.Equal(t, "system.max_lease_ttl", v.Layer)
	assert.Equal(t, "broker#1", v.Entity)
	assert.Equal(t, model.Instant(2764800), v.At)
	assert.Contains(t, v.What, "ending 21 tokens and 20 leases in use")
	assert.Contains(t, v.Fix, "set token_max_ttl on role broker")
	assert.Contains(t, v.Fix, "re-authenticate broker before day 32+00:00")
	assert.Contains(t, v.Fix, "{reauth: {at: 0.9}}")

	d := rule(t, r, RuleNoSystemDefaultMax)
	require.Len(t, d.Violations, 2, "the broker's token and the child tokens (auth/token is untuned)")
	assert.Equal(t, "broker", d.Violations[0].Entity)
	assert.Equal(t, "core-api.token", d.Violations[1].Entity)
}

func TestFixedPasses(t *testing.T) {
	r := evaluate(t, library(t, "jan-2024-fixed"), nil)
	assert.True(t, r.Passed(), "%+v", r.Rules)
	assert.Len(t, r.Rules, 3)
}

// A policy applies on top of a scenario's own expect block.
func TestPolicyRules(t *testing.T) {
	zero := 0.0
	yes := true
	margin := 48 * model.Hour
	policy := &scenarios.Expect{MaxFailedRequests: &zero, NoOutage: &yes, MinReauthMargin: &margin}
	r := evaluate(t, library(t, "jan-2024-replay"), policy)
	assert.False(t, r.Passed())
	out := rule(t, r, RuleNoOutage)
	assert.Equal(t, "policy", out.Source)
	assert.Len(t, out.Violations, 10, "one per service outage")
	assert.Contains(t, out.Violations[0].Fix, "set token_max_ttl on role system-token")
	failed := rule(t, r, RuleMaxFailedRequests)
	require.Len(t, failed.Violations, 1)
	assert.Contains(t, failed.Violations[0].What, "failed requests in total")
	m := rule(t, r, RuleMinReauthMargin)
	assert.NotEmpty(t, m.Violations)
	assert.Contains(t, m.Violations[0].What, "reached its hard end")
	assert.Contains(t, m.Violations[0].Fix, "when_exhausted: {reauth: {at: 0.93}}", "768h−48h = 0.9375 of the lifetime, rounded down")
}

// The fixed fleet re-authenticates at 80% of a 168h max: 33.6h before the
// end, so a 24h margin holds and a 48h one does not.
func TestReauthMargin(t *testing.T) {
	s := library(t, "jan-2024-fixed")
	d := 24 * model.Hour
	r := evaluate(t, s, &scenarios.Expect{MinReauthMargin: &d})
	assert.True(t, rule(t, r, RuleMinReauthMargin).Passed())
	d = 48 * model.Hour
	r = evaluate(t, s, &scenarios.Expect{MinReauthMargin: &d})
	m := rule(t, r, RuleMinReauthMargin)
	require.NotEmpty(t, m.Violations)
	assert.Contains(t, m.Violations[0].What, "was replaced only 33h36m before its hard end")
}

func TestJUnitIsWellFormed(t *testing.T) {
	reps := []*Report{evaluate(t, library(t, "default-max-cliff"), nil), evaluate(t, library(t, "jan-2024-fixed"), nil)}
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, reps))
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 5, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	require.Len(t, doc.Suites, 2)
	assert.Equal(t, "default-max-cliff", doc.Suites[0].Name)
	require.NotNil(t, doc.Suites[0].Cases[0].Failure)
	assert.Contains(t, doc.Suites[0].Cases[0].Failure.Text, "fix: set token_max_ttl on role broker")
	assert.Nil(t, doc.Suites[1].Cases[0].Failure)
}
