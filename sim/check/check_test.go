package check

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./sim/check -run %s -update", t.Name())
	assert.Equal(t, string(want), string(got), "%s differs (run go test ./sim/check -update if the change is intended)", path)
}

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

// checked runs Scenario and requires it to have been checked.
func checked(t *testing.T, name string, policy *scenarios.Expect) *Report {
	t.Helper()
	r := Scenario(name, nil, policy, sim.Options{})
	require.NoError(t, r.Err)
	return r
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

func yes() *bool { b := true; return &b }

// Issue 5's acceptance: the seed incident fails, naming the 768h system
// max as the cause and the fix.
func TestDefaultMaxCliffFails(t *testing.T) {
	r := checked(t, "default-max-cliff", nil)
	assert.False(t, r.Passed())
	c := rule(t, r, RuleNoCascade)
	require.Len(t, c.Violations, 1)
	v := c.Violations[0]
	assert.Equal(t, "system.max_lease_ttl", v.Layer)
	assert.Equal(t, "broker#1", v.Entity)
	assert.Equal(t, model.Instant(2764800), v.At)
	assert.Contains(t, v.What, "ending 21 tokens and 20 leases in use")
	assert.Equal(t, []string{"roles.broker.token_max_ttl=720h", "actors.broker.when_exhausted={reauth: {at: 0.9}}"}, v.Fix.Set)

	d := rule(t, r, RuleNoSystemDefaultMax)
	require.Len(t, d.Violations, 2, "the broker's token and the child tokens (auth/token is untuned)")
	assert.Equal(t, "broker", d.Violations[0].Entity)
	assert.Equal(t, []string{"roles.broker.token_max_ttl=720h"}, d.Violations[0].Fix.Set)
	assert.Equal(t, "core-api.token", d.Violations[1].Entity)
	assert.Equal(t, []string{"actors.core-api.child_token.explicit_max_ttl=720h", "actors.core-api.when_exhausted={reauth: {at: 0.9}}"},
		d.Violations[1].Fix.Set, "the explicit max alone makes a new cliff at 720h: re-authenticating is part of the fix")
}

// Issue 9's acceptance: every fix of the seed incident is machine-applicable
// and proven by a re-run; applying all of them passes the scenario.
func TestDefaultMaxCliffFixesAreProven(t *testing.T) {
	r := checked(t, "default-max-cliff", nil)
	var all []scenarios.Override
	for _, x := range r.Rules {
		for _, v := range x.Violations {
			require.NotNil(t, v.Fix, v.What)
			assert.NotEmpty(t, v.Fix.Set, v.What)
			assert.True(t, v.Fix.Verified, "%s: %+v", v.What, v.Fix)
			assert.Empty(t, v.Fix.Introduces, v.What)
			for _, s := range v.Fix.Set {
				path, values, err := scenarios.ParseSet(s)
				require.NoError(t, err, "a fix's set must parse as --set does")
				require.Len(t, values, 1)
				all = append(all, scenarios.Override{Path: path, Value: values[0]})
			}
		}
	}
	fixed := Scenario("default-max-cliff", all, nil, sim.Options{})
	require.NoError(t, fixed.Err)
	assert.True(t, fixed.Passed(), "all fixes together: %+v", fixed.Rules)
}

// Each service's fix names the broker it runs under, not the first root of
// the grouped cliff (issue 9: device-trust runs under broker-core-b).
func TestReplayFixesFollowOwnChain(t *testing.T) {
	r := checked(t, "jan-2024-replay", &scenarios.Expect{NoOutage: yes(), NoSystemDefaultMax: yes()})
	brokers := []string{"broker-core-a", "broker-core-b", "broker-sso-a", "broker-sso-b", "broker-portal"}
	want := map[string]string{
		"registrations": "broker-core-a", "user-binds": "broker-core-a", "device-trust": "broker-core-b",
		"sso": "broker-sso-a", "oidc": "broker-sso-a", "user-login": "broker-sso-a", "admin-login": "broker-sso-a",
		"device-auth": "broker-sso-b", "ldap-radius-mfa": "broker-sso-b", "user-portal": "broker-portal",
	}
	out := rule(t, r, RuleNoOutage)
	require.Len(t, out.Violations, len(want))
	for _, v := range out.Violations {
		t.Run(v.Entity, func(t *testing.T) {
			own := want[v.Entity]
			assert.Equal(t, own+"#1", v.Root)
			require.NotNil(t, v.Fix)
			assert.True(t, v.Fix.Verified, v.Fix.Text)
			assert.Contains(t, v.Fix.Set, "actors."+own+".when_exhausted={reauth: {at: 0.9}}")
			for _, b := range brokers {
				if b != own {
					assert.NotContains(t, strings.Join(v.Fix.Set, " ")+v.Fix.Text, b+".", "the fix names another broker")
					assert.NotContains(t, v.Fix.Text, b+" ")
				}
			}
		})
	}
	for _, v := range rule(t, r, RuleNoSystemDefaultMax).Violations {
		assert.Equal(t, []string{"roles.system-token.token_max_ttl=720h"}, v.Fix.Set)
		assert.True(t, v.Fix.Verified)
	}
}

// Fixes on small scenarios, one property each: a fix the model cannot use
// is never offered, and when no single change works the fix says so.
func TestFixes(t *testing.T) {
	tests := []struct {
		file     string
		rule     string
		set      [][]string // each violation's fix.set, in order
		verified []bool
		text     []string // a fragment of each fix's text
	}{
		{
			// A batch token cannot be renewed (semantics.md §3.1): the fix
			// replaces it before it expires instead.
			file: "batch.yaml", rule: RuleNoOutage,
			set:      [][]string{{"actors.job.when_exhausted={reauth: {at: 0.9}}"}},
			verified: []bool{true}, text: []string{"re-authenticate job"},
		},
		{
			// The role chose 1000h; the untuned mount caps it at the
			// server's 768h: tune the mount, not "set max_ttl on the role".
			file: "db-role-capped.yaml", rule: RuleNoSystemDefaultMax,
			set:      [][]string{{"backend.mounts.database.max_lease_ttl=720h"}},
			verified: []bool{true}, text: []string{"set mount database max_lease_ttl to 720h (vault write sys/mounts/database/tune max_lease_ttl=720h"},
		},
		{
			// revoke-orphan spares api's child tokens; web uses the broker's
			// token itself, so its credentials go with it either way.
			file: "revoke.yaml", rule: RuleNoOutage,
			set:      [][]string{{"events[0].do=revoke-orphan"}, nil},
			verified: []bool{true, false},
			text:     []string{"revoke-orphan instead of revoke", "no single change found that removes it; tried events[0].do=revoke-orphan (changes nothing)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := checked(t, filepath.Join("testdata", tt.file), nil)
			vs := rule(t, r, tt.rule).Violations
			require.Len(t, vs, len(tt.set))
			for i, v := range vs {
				require.NotNil(t, v.Fix)
				assert.Equal(t, tt.set[i], v.Fix.Set, v.What)
				assert.Equal(t, tt.verified[i], v.Fix.Verified, v.What)
				assert.Contains(t, v.Fix.Text, tt.text[i])
				assert.NotContains(t, strings.Join(v.Fix.Set, " "), ".renew=", "renewing is never the fix here")
				for _, c := range v.cands {
					for _, ch := range c {
						assert.False(t, strings.HasSuffix(ch.path, ".renew"), "renewing a token explain calls non-renewable is not even tried")
					}
				}
			}
		})
	}
}

// A change that only moves a violation is reported as not verified, with
// what remains: a role max alone moves the seed cliff from day 32 to 30.
func TestMovedIsNotVerified(t *testing.T) {
	r := checked(t, "default-max-cliff", nil)
	v := rule(t, r, RuleNoCascade).Violations[0]
	p := &prover{file: "default-max-cliff.yaml", data: mustSource(t, "default-max-cliff"), rep: r, trials: map[string]*trial{}}
	v.cands = v.cands[:0]
	v.cands = append(v.cands, candidate{{text: "max only", path: "roles.broker.token_max_ttl", value: "720h"}})
	f := p.fix(rule(t, r, RuleNoCascade).spec, &v)
	assert.False(t, f.Verified)
	assert.Equal(t, []string{"roles.broker.token_max_ttl=720h"}, f.Set)
	require.Len(t, f.Remains, 1)
	assert.Contains(t, f.Remains[0], "day 30+00:00")

	// A value the model refuses (token_ttl 24h > token_max_ttl 1h) is never offered.
	v.cands = []candidate{{{text: "refused", path: "roles.broker.token_max_ttl", value: "1h"}}}
	f = p.fix(rule(t, r, RuleNoCascade).spec, &v)
	assert.Empty(t, f.Set)
	assert.Contains(t, f.Text, "roles.broker.token_max_ttl=1h (rejected: ")
}

// Proofs are bounded: past MaxTrials re-runs, a proposal is not run and
// the fix says so.
func TestProofBudget(t *testing.T) {
	r := checked(t, "default-max-cliff", nil)
	v := rule(t, r, RuleNoCascade).Violations[0]
	p := &prover{file: "default-max-cliff.yaml", data: mustSource(t, "default-max-cliff"), rep: r, trials: map[string]*trial{}}
	for i := range MaxTrials {
		p.trials[fmt.Sprint(i)] = &trial{}
	}
	f := p.fix(rule(t, r, RuleNoCascade).spec, &v)
	assert.Empty(t, f.Set)
	assert.Contains(t, f.Text, "(not run: the 64 re-runs a scenario's proofs may make are spent)")
}

func mustSource(t *testing.T, name string) []byte {
	t.Helper()
	data, err := scenarios.Source(name)
	require.NoError(t, err)
	return data
}

// Every proposal for the child tokens of the seed incident is a path the
// model accepts, the token store's mount included though the file leaves
// it out, and each is tried by a re-run.
func TestChildTokenProposals(t *testing.T) {
	r := checked(t, "default-max-cliff", nil)
	v := rule(t, r, RuleNoSystemDefaultMax).Violations[1]
	var sets []string
	for _, c := range v.cands {
		sets = append(sets, strings.Join(setOf(c), " "))
	}
	assert.Equal(t, []string{
		"actors.core-api.child_token.explicit_max_ttl=720h",
		"backend.mounts.auth/token.max_lease_ttl=720h",
		"actors.core-api.child_token.explicit_max_ttl=720h actors.core-api.when_exhausted={reauth: {at: 0.9}}",
		"backend.mounts.auth/token.max_lease_ttl=720h actors.core-api.when_exhausted={reauth: {at: 0.9}}",
	}, sets)
	p := &prover{file: "default-max-cliff.yaml", data: mustSource(t, "default-max-cliff"), rep: r, trials: map[string]*trial{}}
	for _, c := range v.cands {
		tr := p.try(c)
		require.NoError(t, tr.err, "%v", tr.set)
		assert.Empty(t, matching(tr.viols[RuleNoSystemDefaultMax], v.keys), "%v removes the violation", tr.set)
	}
	assert.Contains(t, v.cands[1][0].text, "vault write sys/auth/token/tune max_lease_ttl=720h")
}

func setOf(c candidate) []string {
	var out []string
	for _, ch := range c {
		out = append(out, ch.override().String())
	}
	return out
}

func TestFixedPasses(t *testing.T) {
	r := evaluate(t, library(t, "jan-2024-fixed"), nil)
	assert.True(t, r.Passed(), "%+v", r.Rules)
	assert.Len(t, r.Rules, 3)
}

// A policy applies on top of a scenario's own expect block.
func TestPolicyRules(t *testing.T) {
	zero := 0.0
	margin := 48 * model.Hour
	policy := &scenarios.Expect{MaxFailedRequests: &zero, NoOutage: yes(), MinReauthMargin: &margin}
	r := checked(t, "jan-2024-replay", policy)
	assert.False(t, r.Passed())
	out := rule(t, r, RuleNoOutage)
	assert.Equal(t, "expect, policy", out.Source)
	assert.Len(t, out.Violations, 10, "one per service outage")
	failed := rule(t, r, RuleMaxFailedRequests)
	assert.Equal(t, "policy", failed.Source)
	require.Len(t, failed.Violations, 1)
	assert.Contains(t, failed.Violations[0].What, "failed requests in total")
	assert.True(t, failed.Violations[0].Fix.Verified, "re-authenticating every broker removes every failure: %+v", failed.Violations[0].Fix)
	m := rule(t, r, RuleMinReauthMargin)
	assert.NotEmpty(t, m.Violations)
	assert.Contains(t, m.Violations[0].What, "reached its hard end")
	assert.Contains(t, m.Violations[0].Fix.Set[0], "when_exhausted={reauth: {at: 0.93}}", "768h−48h = 0.9375 of the lifetime, rounded down")
	assert.True(t, m.Violations[0].Fix.Verified)
}

// A rule in both the expect block and the policy is checked once, with
// the stricter limit.
func TestDuplicateRulesMerged(t *testing.T) {
	five, zero := 5, 0
	tests := []struct {
		policy *scenarios.Expect
		source string
		limit  string
	}{
		{&scenarios.Expect{NoCascadeLargerThan: &five}, "expect, policy", "0"},
		{&scenarios.Expect{NoCascadeLargerThan: &zero, NoSystemDefaultMax: yes()}, "expect, policy", "0"},
		{nil, "expect", "0"},
	}
	for _, tt := range tests {
		r := evaluate(t, library(t, "default-max-cliff"), tt.policy)
		require.Len(t, r.Rules, 2, "no_cascade_larger_than and no_system_default_max, once each")
		c := rule(t, r, RuleNoCascade)
		assert.Equal(t, tt.source, c.Source)
		assert.Equal(t, tt.limit, c.Limit)
		assert.Len(t, c.Violations, 1)
	}
	one := 100
	r := evaluate(t, library(t, "default-max-cliff"), &scenarios.Expect{NoCascadeLargerThan: &one})
	assert.Equal(t, "0", rule(t, r, RuleNoCascade).Limit, "the expect block's 0 is stricter than the policy's 100")
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

// Scenarios that cannot be checked are reports with an error, named as
// given: a built-in by its name.
func TestUncheckable(t *testing.T) {
	tests := []struct {
		name, err string
	}{
		{"no-such.yaml", "scenarios: open no-such.yaml: no such file or directory"},
		{"short-parent", "short-parent: nothing to check: the scenario has no expect block and no --policy was given"},
		{"no-such-builtin", "no-such-builtin"},
	}
	for _, tt := range tests {
		r := Scenario(tt.name, nil, nil, sim.Options{})
		require.Error(t, r.Err, tt.name)
		assert.Contains(t, r.Err.Error(), tt.err)
		assert.NotContains(t, r.Err.Error(), "short-parent.yaml")
		assert.Equal(t, tt.name, r.Name)
		assert.False(t, r.Passed())
	}
}

// The outputs of a CI run over a failing, a passing-with-policy and an
// unreadable scenario, as goldens.
func TestOutputsGolden(t *testing.T) {
	reps := []*Report{
		checked(t, "default-max-cliff", nil),
		checked(t, "jan-2024-replay", &scenarios.Expect{NoOutage: yes(), NoSystemDefaultMax: yes()}),
		Scenario("no-such.yaml", nil, nil, sim.Options{}),
	}
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer, []*Report) error
	}{
		{"check.txt", func(b *bytes.Buffer, r []*Report) error { return WriteText(b, r) }},
		{"check.json", func(b *bytes.Buffer, r []*Report) error { return WriteJSON(b, r) }},
		{"check.xml", func(b *bytes.Buffer, r []*Report) error { return WriteJUnit(b, r) }},
	} {
		var b bytes.Buffer
		require.NoError(t, tt.write(&b, reps))
		golden(t, tt.name, b.Bytes())
	}
}

func TestJSONShape(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, []*Report{checked(t, "default-max-cliff", nil), Scenario("no-such.yaml", nil, nil, sim.Options{})}))
	var doc struct {
		Passed    bool `json:"passed"`
		Scenarios []struct {
			Scenario string `json:"scenario"`
			Error    string `json:"error"`
			Rules    []struct {
				Violations []struct {
					Fix struct {
						Text     string   `json:"text"`
						Set      []string `json:"set"`
						Verified bool     `json:"verified"`
					} `json:"fix"`
				} `json:"violations"`
			} `json:"rules"`
		} `json:"scenarios"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.False(t, doc.Passed)
	require.Len(t, doc.Scenarios, 2)
	n := 0
	for _, r := range doc.Scenarios[0].Rules {
		for _, v := range r.Violations {
			assert.NotEmpty(t, v.Fix.Set)
			assert.True(t, v.Fix.Verified)
			n++
		}
	}
	assert.Equal(t, 3, n)
	assert.Equal(t, "no-such.yaml", doc.Scenarios[1].Scenario)
	assert.NotEmpty(t, doc.Scenarios[1].Error)
}

func TestJUnitIsWellFormed(t *testing.T) {
	reps := []*Report{checked(t, "default-max-cliff", nil), evaluate(t, library(t, "jan-2024-fixed"), nil), Scenario("no-such.yaml", nil, nil, sim.Options{})}
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, reps))
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Errors   int      `xml:"errors,attr"`
		Suites   []struct {
			Name   string `xml:"name,attr"`
			Errors int    `xml:"errors,attr"`
			Cases  []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 6, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	assert.Equal(t, 1, doc.Errors)
	require.Len(t, doc.Suites, 3)
	assert.Equal(t, "default-max-cliff", doc.Suites[0].Name)
	require.NotNil(t, doc.Suites[0].Cases[0].Failure)
	assert.Contains(t, doc.Suites[0].Cases[0].Failure.Text, "fix:   set role broker token_max_ttl to 720h (vault write auth/approle/role/broker token_max_ttl=720h")
	assert.Contains(t, doc.Suites[0].Cases[0].Failure.Text, "verified: re-run with these overrides, the violation is gone")
	assert.Nil(t, doc.Suites[1].Cases[0].Failure)
	assert.Equal(t, "no-such.yaml", doc.Suites[2].Name)
	assert.Equal(t, 1, doc.Suites[2].Errors)
	require.NotNil(t, doc.Suites[2].Cases[0].Error)
	assert.Contains(t, doc.Suites[2].Cases[0].Error.Message, "no-such.yaml")
}

// Over every library scenario and every rule: each fix offered is
// pasteable into --set, and says whether it holds and, if not, what remains.
func TestLibraryFixesAreWellFormed(t *testing.T) {
	zero, margin := 0, 24*model.Hour
	none := 0.0
	policy := &scenarios.Expect{NoCascadeLargerThan: &zero, NoOutage: yes(), MaxFailedRequests: &none, NoSystemDefaultMax: yes(), MinReauthMargin: &margin}
	for _, e := range scenarios.List() {
		t.Run(e.Name, func(t *testing.T) {
			r := checked(t, e.Name, policy)
			for _, x := range r.Rules {
				for _, v := range x.Violations {
					require.NotNil(t, v.Fix, v.What)
					assert.NotEmpty(t, v.Fix.Text)
					if len(v.Fix.Set) == 0 {
						assert.False(t, v.Fix.Verified)
						assert.Contains(t, v.Fix.Text, "no single change found", v.What)
						continue
					}
					assert.True(t, v.Fix.Verified || len(v.Fix.Remains) > 0, "%s: %+v", v.What, v.Fix)
					for _, s := range v.Fix.Set {
						_, values, err := scenarios.ParseSet(s)
						require.NoError(t, err, s)
						assert.Len(t, values, 1, s)
					}
				}
			}
		})
	}
}
