package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

func TestParseSet(t *testing.T) {
	good := []struct {
		arg    string
		path   string
		values []string
	}{
		{"roles.broker.token_max_ttl=24h,72h,0", "roles.broker.token_max_ttl", []string{"24h", "72h", "0"}},
		{"seed=1", "seed", []string{"1"}},
		{"actors.core-api.demand=50/s, 5/s", "actors.core-api.demand", []string{"50/s", "5/s"}},
		{"events[2].at=3d", "events[2].at", []string{"3d"}},
		{"actors.b.renew=watcher,{every: 12h, increment: 1h},none", "actors.b.renew", []string{"watcher", "{every: 12h, increment: 1h}", "none"}},
		{`annotations[0].label='a, b',"c, d"`, "annotations[0].label", []string{"'a, b'", `"c, d"`}},
		{`backend.mounts."kv=v2".max_lease_ttl=1h`, `backend.mounts."kv=v2".max_lease_ttl`, []string{"1h"}},
		{"x=[1, 2],a=b", "x", []string{"[1, 2]", "a=b"}},
	}
	for _, g := range good {
		path, values, err := ParseSet(g.arg)
		require.NoError(t, err, g.arg)
		assert.Equal(t, g.path, path, g.arg)
		assert.Equal(t, g.values, values, g.arg)
	}
	bad := []struct{ arg, phrase string }{
		{"roles.broker.token_max_ttl", "no '='"},
		{"=1,2", "no path"},
		{"horizon=", "no value"},
		{"horizon=1d,,2d", "value 2 of"},
		{"horizon=1d,2d,1d", `"1d" is listed twice`},
		{"events[x].at=1h", "[x] is not a list index"},
		{"events[-1].at=1h", "[-1] is not a list index"},
		{"roles..broker=1", "empty key"},
		{"roles.=1", "ends with '.'"},
		{"[0].at=1", "starts with an index"},
		{"events[0]at=1", "expected '.' or '['"},
		{"x={a: 1=2", "unclosed"},
		{"x='abc=1", "unterminated quote"},
	}
	for _, b := range bad {
		_, _, err := ParseSet(b.arg)
		require.Error(t, err, b.arg)
		assert.Contains(t, err.Error(), b.phrase, b.arg)
	}
}

func TestParsePath(t *testing.T) {
	steps, err := parsePath(`backend.mounts."kv.v2".max_lease_ttl`)
	require.NoError(t, err)
	require.Len(t, steps, 4)
	assert.Equal(t, "kv.v2", steps[2].key)
	assert.Equal(t, `backend.mounts."kv.v2".max_lease_ttl`, render(steps))
	steps, err = parsePath("events[12].set.max_lease_ttl")
	require.NoError(t, err)
	assert.Equal(t, step{index: 12, isIdx: true}, steps[1])
	assert.Equal(t, "events[12].set.max_lease_ttl", render(steps))
}

// flowWorld is written in flow style throughout, with events to index.
var flowWorld = head + `backend:
  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
    auth/kube:
roles:
  broker: {mount: auth/approle, token_ttl: 24h, token_max_ttl: 720h}
  app-db: {mount: database, default_ttl: 1h, max_ttl: 24h}
actors:
  b: {login: broker}
  svc: {via: b, child_token: {ttl: 1h}, credential: app-db, demand: 5/s}
events:
  - {at: 1d, do: reauth, actor: b}
  - {at: 2d, do: tune, mount: database, set: {max_lease_ttl: 12h}}
`

func overridden(t *testing.T, src string, ovs ...Override) *Scenario {
	t.Helper()
	sc, err := ParseWithOverrides("s.yaml", []byte(src), ovs)
	require.NoError(t, err)
	// The text ApplyOverrides writes parses to the same scenario.
	text, err := ApplyOverrides("s.yaml", []byte(src), ovs)
	require.NoError(t, err)
	again, err := Parse("s.yaml", text)
	require.NoError(t, err, "ApplyOverrides wrote:\n%s", text)
	assert.Equal(t, withoutLines(sc), withoutLines(again), "ApplyOverrides wrote:\n%s", text)
	return sc
}

// withoutLines clears every position, which re-encoding changes, and the
// file name, which names the overrides.
func withoutLines(sc *Scenario) *Scenario {
	c := *sc
	c.File = ""
	c.Backend.Lines = nil
	if r := sc.Backend.Revocation; r != nil {
		rc := *r
		rc.Line, rc.Mounts = 0, append([]MountRevoke(nil), r.Mounts...)
		for i := range rc.Mounts {
			rc.Mounts[i].Line = 0
		}
		c.Backend.Revocation = &rc
	}
	c.Roles = append([]Role(nil), sc.Roles...)
	for i := range c.Roles {
		c.Roles[i].Line = 0
	}
	c.Actors = append([]Actor(nil), sc.Actors...)
	for i := range c.Actors {
		a := &c.Actors[i]
		a.Line = 0
		if a.Token != nil {
			tr := *a.Token
			tr.Line, a.Token = 0, &tr
		}
		if a.ChildToken != nil {
			tr := *a.ChildToken
			tr.Line, a.ChildToken = 0, &tr
		}
	}
	c.Events = append([]Event(nil), sc.Events...)
	for i := range c.Events {
		c.Events[i].Line = 0
	}
	c.Annotations = append([]Annotation(nil), sc.Annotations...)
	for i := range c.Annotations {
		c.Annotations[i].Line = 0
	}
	if sc.Expect != nil {
		e := *sc.Expect
		e.Line, c.Expect = 0, &e
	}
	return &c
}

func TestOverrides_FlowStyle(t *testing.T) {
	sc := overridden(t, flowWorld,
		Override{"roles.broker.token_max_ttl", "168h"},                // replace in a flow mapping
		Override{"roles.broker.token_explicit_max_ttl", "2160h"},      // add to a flow mapping
		Override{"backend.mounts.auth/approle.max_lease_ttl", "100h"}, // add to an empty {}
		Override{"backend.mounts.auth/kube.default_lease_ttl", "2h"},  // add under "key:" (null)
		Override{"actors.svc.child_token.ttl", "2h"},                  // nested flow mapping
		Override{"actors.b.renew", "{every: 12h, increment: 1h}"},     // a mapping value
		Override{"actors.svc.demand", "50/s"},                         // a rate as written
		Override{"roles.app-db.default_ttl", "'3600'"},                // a quoted string
		Override{"events[1].set.max_lease_ttl", "6h"},                 // list index
		Override{"events[0].at", "36h"},                               // list index
		Override{"backend.mounts.database.max_lease_ttl", "48h"},      // overridden ...
		Override{"backend.mounts.database.max_lease_ttl", "0"},        // ... later wins; 0 is a value
		Override{"horizon", "10d"},                                    // top level
		Override{"backend.max_lease_ttl", "8760h"},                    // add under an existing block mapping
		Override{"backend.mounts.auth/kube.max_lease_ttl", "4h"},      // into the mapping made above
	)
	broker := roleByName(t, sc, "broker")
	assert.Equal(t, 168*model.Hour, broker.Auth.TokenMaxTTL)
	assert.Equal(t, 2160*model.Hour, broker.Auth.TokenExplicitMaxTTL)
	assert.Equal(t, 24*model.Hour, broker.Auth.TokenTTL, "untouched")
	assert.Equal(t, model.Duration(3600), roleByName(t, sc, "app-db").Secrets.DefaultTTL)
	mounts := map[string]model.Mount{}
	for _, m := range sc.Backend.Mounts {
		mounts[m.Path] = m
	}
	assert.Equal(t, 100*model.Hour, mounts["auth/approle"].MaxLeaseTTL)
	assert.Equal(t, 2*model.Hour, mounts["auth/kube"].DefaultLeaseTTL)
	assert.Equal(t, 4*model.Hour, mounts["auth/kube"].MaxLeaseTTL)
	assert.Equal(t, model.Duration(0), mounts["database"].MaxLeaseTTL)
	assert.Equal(t, model.Hour, mounts["database"].DefaultLeaseTTL)
	assert.Equal(t, 8760*model.Hour, sc.Backend.System.MaxLeaseTTL)
	assert.Equal(t, 2*model.Hour, sc.Actors[1].ChildToken.Request.TTL)
	assert.Equal(t, RenewPolicy{Kind: RenewEvery, Every: 12 * model.Hour, Increment: model.Hour}, sc.Actors[0].Renew)
	assert.Equal(t, 50.0, sc.Actors[1].Demand)
	assert.Equal(t, model.Instant(36*3600), sc.Events[0].At)
	assert.Equal(t, []FieldValue{{Field: "max_lease_ttl", Value: 6 * model.Hour}}, sc.Events[1].Set)
	assert.Equal(t, 10*model.Day, sc.Horizon)
}

func TestOverrides_BlockStyleLibraryFile(t *testing.T) {
	data, err := Source("default-max-cliff")
	require.NoError(t, err)
	sc := overridden(t, string(data),
		Override{"roles.broker.token_max_ttl", "720h"}, // absent: added to a block mapping
		Override{"roles.app-db.max_ttl", "12h"},        // present: replaced
		Override{"actors.core-api.replicas", "3"},
		Override{"actors.broker.when_exhausted", "reauth"},
		Override{"seed", "42"},
	)
	assert.Equal(t, 720*model.Hour, roleByName(t, sc, "broker").Auth.TokenMaxTTL)
	assert.Equal(t, 12*model.Hour, roleByName(t, sc, "app-db").Secrets.MaxTTL)
	assert.Equal(t, 3, sc.Actors[1].Replicas)
	assert.Equal(t, ExhaustReauth, sc.Actors[0].WhenExhausted.Kind)
	assert.Equal(t, uint64(42), sc.Seed)
	assert.Equal(t, "s.yaml (with roles.broker.token_max_ttl=720h, roles.app-db.max_ttl=12h, actors.core-api.replicas=3, actors.broker.when_exhausted=reauth, seed=42)",
		sc.File, "later problems (explain's) name the overrides too")

	text, err := ApplyOverrides("default-max-cliff.yaml", data, []Override{{"seed", "42"}})
	require.NoError(t, err)
	assert.Contains(t, string(text), "# The seed incident in its simplest form.", "comments are kept")
	assert.Contains(t, string(text), "seed: 42\n")
}

// Every library file survives an override and re-encoding unchanged but
// for the field set.
func TestOverrides_EveryLibraryFile(t *testing.T) {
	for _, name := range libraryNames() {
		t.Run(name, func(t *testing.T) {
			data, err := Source(name)
			require.NoError(t, err)
			orig, err := Parse(name+".yaml", data)
			require.NoError(t, err)
			sc := overridden(t, string(data), Override{"seed", "7"})
			orig.Seed = 7
			assert.NotEqual(t, orig.SHA256, sc.SHA256, "the digest names the text that was run")
			orig.SHA256 = sc.SHA256
			assert.Equal(t, withoutLines(orig), withoutLines(sc))
		})
	}
}

func TestOverrides_BadPath(t *testing.T) {
	cases := []struct {
		ov     Override
		phrase []string
	}{
		{Override{"roles.brokr.token_max_ttl", "24h"}, []string{"roles has no key 'brokr'", "keys there: broker, app-db", "did you mean 'broker'"}},
		{Override{"backnd.mounts.database.max_lease_ttl", "1h"}, []string{"the scenario's top level has no key 'backnd'", "did you mean 'backend'"}},
		{Override{"backend.mounts.databse.max_lease_ttl", "1h"}, []string{"backend.mounts has no key 'databse'", "auth/approle, database, auth/kube", "did you mean 'database'"}},
		{Override{"roles.broker.mount.x", "1"}, []string{`roles.broker.mount is "auth/approle", not a mapping`}},
		{Override{"events[5].at", "1h"}, []string{"events has 2 items; index 5 is out of range (events[0] … events[1])"}},
		{Override{"events.at", "1h"}, []string{"events is a list of 2 items, not a mapping"}},
		{Override{"roles[0]", "1h"}, []string{"roles is a mapping", "not a list"}},
		{Override{"horizon", "[1"}, []string{`value "[1" is not valid YAML`}},
		{Override{"horizon", " "}, []string{"empty value"}},
	}
	for _, c := range cases {
		_, err := ParseWithOverrides("s.yaml", []byte(flowWorld), []Override{c.ov})
		require.Error(t, err, c.ov.String())
		var oe *OverrideError
		require.True(t, errors.As(err, &oe), "%T: %v", err, err)
		assert.Equal(t, c.ov, oe.Override)
		assert.True(t, strings.HasPrefix(err.Error(), "s.yaml: override "+c.ov.String()+": "), err.Error())
		for _, ph := range c.phrase {
			assert.Contains(t, err.Error(), ph)
		}
		_, err = ApplyOverrides("s.yaml", []byte(flowWorld), []Override{c.ov})
		assert.True(t, errors.As(err, &oe), "ApplyOverrides: %v", err)
	}
}

func TestOverrides_BadValueNamesTheOverride(t *testing.T) {
	lines := strings.Split(flowWorld, "\n")
	lineOf := func(prefix string) int {
		for i, l := range lines {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return i + 1
			}
		}
		t.Fatalf("no line %q", prefix)
		return 0
	}
	cases := []struct {
		ovs    []Override
		field  string
		line   int
		phrase string
	}{
		// Replacing a value: the problem is at the line of the value it replaced.
		{[]Override{{"roles.broker.token_max_ttl", "1h"}}, "roles.broker.token_ttl", lineOf("broker:"), "'token_ttl' cannot be greater than 'token_max_ttl'"},
		{[]Override{{"roles.broker.token_max_ttl", "-5m"}}, "roles.broker.token_max_ttl", lineOf("broker:"), "negative"},
		{[]Override{{"horizon", "forever"}}, "horizon", lineOf("horizon:"), "forever"},
		{[]Override{{"actors.svc.replicas", "0"}}, "actors.svc.replicas", lineOf("svc:"), "out of range"},
		// A key added by a typo: the parser's unknown-key message, at its mapping.
		{[]Override{{"horizon", "2d"}, {"roles.broker.token_max_tl", "1h"}}, "roles.broker.token_max_tl", lineOf("broker:"), "did you mean 'token_max_ttl'"},
	}
	for _, c := range cases {
		_, err := ParseWithOverrides("s.yaml", []byte(flowWorld), c.ovs)
		var ve *ValidationError
		require.True(t, errors.As(err, &ve), "%v", err)
		require.Len(t, ve.Problems, 1, err.Error())
		p := ve.Problems[0]
		assert.Equal(t, OverrideLabel("s.yaml", c.ovs), p.File)
		assert.True(t, strings.HasPrefix(p.String(), "s.yaml (with "+c.ovs[0].String()), p.String())
		assert.Equal(t, c.field, p.Field, p.String())
		assert.Equal(t, c.line, p.Line, p.String())
		assert.Contains(t, p.Msg, c.phrase)
	}

	// In a block mapping an added key is placed at its mapping's key.
	data, err := Source("default-max-cliff")
	require.NoError(t, err)
	want := 0
	for i, l := range strings.Split(string(data), "\n") {
		if l == "  broker:" && want == 0 { // roles.broker, before actors.broker
			want = i + 1
		}
	}
	_, err = LoadWithOverrides("default-max-cliff", []Override{{"roles.broker.token_max_tl", "1h"}})
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	require.Len(t, ve.Problems, 1)
	assert.Equal(t, want, ve.Problems[0].Line, err.Error())
	assert.Equal(t, "default-max-cliff.yaml (with roles.broker.token_max_tl=1h)", ve.Problems[0].File)

	assert.Equal(t, "f.yaml (with a=1, b.c=x)", OverrideLabel("f.yaml", []Override{{"a", "1"}, {"b.c", "x"}}))
	assert.Equal(t, "f.yaml", OverrideLabel("f.yaml", nil))
}

func TestLoadWithOverrides(t *testing.T) {
	plain, err := Load("default-max-cliff")
	require.NoError(t, err)
	same, err := LoadWithOverrides("default-max-cliff", nil)
	require.NoError(t, err)
	assert.Equal(t, plain, same)

	sc, err := LoadWithOverrides("default-max-cliff", []Override{{"roles.broker.token_max_ttl", "24h"}})
	require.NoError(t, err)
	assert.Equal(t, 24*model.Hour, roleByName(t, sc, "broker").Auth.TokenMaxTTL)

	_, err = LoadWithOverrides("default-max-clif", []Override{{"seed", "2"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "did you mean 'default-max-cliff'")

	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(flowWorld), 0o644))
	sc, err = LoadWithOverrides(path, []Override{{"horizon", "3d"}})
	require.NoError(t, err)
	assert.Equal(t, 3*model.Day, sc.Horizon)
	_, err = LoadWithOverrides(path, []Override{{"roles.broker.token_max_ttl", "1h"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), path+" (with roles.broker.token_max_ttl=1h):")
	_, err = LoadWithOverrides(filepath.Join(dir, "none.yaml"), nil)
	assert.Error(t, err)

	// A base file that is not YAML is reported as Parse reports it.
	require.NoError(t, os.WriteFile(path, []byte("a: [1\n"), 0o644))
	_, err = LoadWithOverrides(path, []Override{{"horizon", "3d"}})
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Contains(t, err.Error(), "invalid YAML")
	_, err = ApplyOverrides(path, []byte("a: [1\n"), []Override{{"horizon", "3d"}})
	assert.True(t, errors.As(err, &ve), "%v", err)
}

// The digest names the text that was run: the file's, or the overridden
// text ApplyOverrides returns.
func TestScenarioDigest(t *testing.T) {
	file, data, err := Read("default-max-cliff")
	if err != nil {
		t.Fatal(err)
	}
	plain, err := ParseWithOverrides(file, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(data); plain.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("digest %s is not the file's SHA-256", plain.SHA256)
	}
	ovs := []Override{{Path: "roles.broker.token_max_ttl", Value: "168h"}}
	changed, err := ParseWithOverrides(file, data, ovs)
	if err != nil {
		t.Fatal(err)
	}
	text, err := ApplyOverrides(file, data, ovs)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(text); changed.SHA256 != hex.EncodeToString(sum[:]) || changed.SHA256 == plain.SHA256 {
		t.Errorf("overridden digest %s: want the SHA-256 of the overridden text, unlike %s", changed.SHA256, plain.SHA256)
	}
}
