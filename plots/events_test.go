package plots

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testHeader = `{"version":1,"scenario":"tiny","description":"d","seed":7,"start":"2024-01-01T00:00:00-07:00","horizon_seconds":7200,` +
	`"services":[{"service":"api","replicas":2,"demand_per_second":10}],"annotations":[{"t":60,"time":"x","label":"say \"hi\""}]}`

// tinyLog is a valid log: a broker token, a child of it, a lease under the
// child, a cascade at the broker's hard end and the cliff line.
var tinyLog = strings.Join([]string{
	testHeader,
	`{"t":0,"time":"x","kind":"issue","entity":"broker#1","entity_kind":"token","parent":null,"actor":"broker","bound_by":"role r token_ttl","ttl":3600,"expire_t":3600,"hard_end_t":3600}`,
	`{"t":0,"time":"x","kind":"service","entity":null,"parent":null,"actor":"api","failing":2,"replicas":2}`,
	`{"t":0,"time":"x","kind":"issue","entity":"api[1].token#1","entity_kind":"child-token","parent":"broker#1","actor":"api","ttl":3600,"expire_t":3600}`,
	`{"t":0,"time":"x","kind":"issue","entity":"api[1].cred#1","entity_kind":"lease","parent":"api[1].token#1","actor":"api","ttl":600,"expire_t":600,"hard_end_t":3600}`,
	`{"t":0,"time":"x","kind":"service","entity":null,"parent":null,"actor":"api","failing":0,"replicas":2}`,
	`{"t":400,"time":"x","kind":"renew","entity":"api[1].cred#1","entity_kind":"lease","parent":"api[1].token#1","actor":"api","ttl":600,"expire_t":1000,"hard_end_t":3600}`,
	`{"t":500,"time":"x","kind":"script","entity":null,"parent":null,"note":"reauth \"broker\"\u0021"}`,
	`{"t":3600,"time":"x","kind":"end","entity":"broker#1","entity_kind":"token","parent":null,"actor":"broker","cause":"max-ttl","bound_by":"system.max_lease_ttl","ttl":0,"expire_t":3600,"hard_end_t":3600}`,
	`{"t":3600,"time":"x","kind":"end","entity":"api[1].token#1","entity_kind":"child-token","parent":"broker#1","actor":"api","cause":"cascade","bound_by":"ancestor broker#1","root":"broker#1"}`,
	`{"t":3600,"time":"x","kind":"service","entity":null,"parent":null,"actor":"api","failing":1,"replicas":2}`,
	`{"kind":"cliff","at":"x","offset_seconds":3600,"root":"broker#1","roots":["broker#1"],"cause":"max-ttl","bound_by":"system.max_lease_ttl","lifetime_seconds":3600,"tokens_revoked":2,"leases_revoked":1,"replaced_revoked":0,"services":["api"]}`,
}, "\n") + "\n"

func TestReadEvents(t *testing.T) {
	r, err := ReadEvents(strings.NewReader(tinyLog))
	require.NoError(t, err)
	assert.Equal(t, "tiny", r.Scenario)
	assert.Equal(t, uint64(7), r.Seed)
	assert.Equal(t, int64(7200), r.Horizon)
	assert.Equal(t, "2024-01-01 01:00 -07:00", r.stamp(3600), "dates in the scenario's zone")
	require.Equal(t, 3, r.NumEntities())
	b, _ := r.Entity("broker#1")
	assert.Equal(t, "max-ttl", b.Cause)
	assert.Equal(t, int64(3600), b.HardEnd)
	c, _ := r.Entity("api[1].cred#1")
	assert.Len(t, c.Grants, 2)
	assert.Equal(t, 1, c.Replica)
	assert.Equal(t, None, c.Ended)
	assert.Equal(t, "alive", c.Cause)
	ct, _ := r.Entity("api[1].token#1")
	assert.Equal(t, None, ct.HardEnd, "no hard_end_t: none")
	assert.Equal(t, "broker#1", ct.Root)
	assert.Equal(t, []FailingStep{{0, 0}, {3600, 1}}, r.Services[0].Steps, "one step per instant, the last word at it")
	assert.Equal(t, `say "hi"`, r.Annotations[0].Label)
	assert.Equal(t, `reauth "broker"!`, r.Scripts[0].Note, "escapes decoded")
	require.Len(t, r.Cliffs, 1)
	assert.Equal(t, int64(3600), r.Cliffs[0].T)
}

func TestReadEventsErrors(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(tinyLog), "\n")
	with := func(i int, line string) string {
		out := append([]string(nil), lines...)
		out[i] = line
		return strings.Join(out, "\n")
	}
	insert := func(i int, line string) string {
		out := append(append(append([]string(nil), lines[:i]...), line), lines[i:]...)
		return strings.Join(out, "\n")
	}
	tests := []struct {
		name, input string
		line        int
		field, text string
	}{
		{"empty", "", 0, "", "empty"},
		{"not json", "hello", 1, "", "not a valid JSON object"},
		{"no version", `{"scenario":"x"}`, 1, "version", "missing"},
		{"version 2", strings.Replace(testHeader, `"version":1`, `"version":2`, 1), 1, "version", "not supported"},
		{"bad start", strings.Replace(testHeader, `2024-01-01T00:00:00-07:00`, `yesterday`, 1), 1, "start", "RFC 3339"},
		{"no horizon", strings.Replace(testHeader, `"horizon_seconds":7200,`, ``, 1), 1, "horizon_seconds", "missing"},
		{"t a string", with(1, `{"t":"zero","kind":"issue"}`), 2, "t", "want an integer"},
		{"t a fraction", with(1, `{"t":0.5,"kind":"issue"}`), 2, "t", "not a fraction"},
		{"truncated line", with(1, `{"t":0,"kind":"iss`), 2, "", "unterminated string"},
		{"unknown kind", with(1, `{"t":0,"kind":"explode"}`), 2, "kind", `unknown event kind "explode"`},
		{"no entity", with(1, `{"t":0,"kind":"issue","entity":null}`), 2, "entity", "missing"},
		{"bad entity id", with(1, strings.Replace(lines[1], `"broker#1"`, `"broker"`, 1)), 2, "entity", "is not ACTOR#G"},
		{"bad kind of entity", with(1, strings.Replace(lines[1], `"token"`, `"cookie"`, 1)), 2, "entity_kind", "not token, child-token or lease"},
		{"issue without ttl", with(1, strings.Replace(lines[1], `"ttl":3600,`, ``, 1)), 2, "ttl", "missing for issue"},
		{"a ttl but no expiry", with(1, strings.Replace(lines[1], `"expire_t":3600,`, ``, 1)), 2, "expire_t", "missing for issue with a ttl"},
		{"renew before issue", insert(1, `{"t":0,"kind":"renew","entity":"ghost#1","ttl":1,"expire_t":1}`), 2, "entity", "never issued"},
		{"time goes back", insert(7, `{"t":100,"kind":"script","note":"x"}`), 8, "t", "before the previous event"},
		{"past the horizon", insert(11, `{"t":9000,"kind":"script","note":"x"}`), 12, "t", "past the header's horizon"},
		{"unknown service", with(2, strings.Replace(lines[2], `"api"`, `"web"`, 1)), 3, "actor", `service "web" is not in the header`},
		{"too many failing", with(2, strings.Replace(lines[2], `"failing":2`, `"failing":3`, 1)), 3, "failing", "outside 0 to 2"},
		{"bad cause", with(8, strings.Replace(lines[8], `"max-ttl"`, `"old age"`, 1)), 9, "cause", `"old age" is not`},
		{"end twice", insert(9, lines[8]), 10, "entity", "which ended at t=3600"},
		{"event after the cliffs", strings.Join(append(append([]string(nil), lines...), `{"t":3600,"kind":"script","note":"x"}`), "\n"), 13, "kind", "after the cliff lines"},
		{"cliff without offset", with(11, `{"kind":"cliff","root":"broker#1"}`), 12, "offset_seconds", "missing"},
		{"blank line", insert(3, ""), 4, "", "empty line"},
		{"text after the object", with(1, lines[1]+" x"), 2, "", "text after the object"},
		{"warnings not an array", with(1, strings.Replace(lines[1], `"ttl":3600`, `"warnings":"capped","ttl":3600`, 1)), 2, "warnings", "want an array of strings"},
		{"warnings of numbers", with(1, strings.Replace(lines[1], `"ttl":3600`, `"warnings":[1],"ttl":3600`, 1)), 2, "warnings", "want an array of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadEvents(strings.NewReader(tt.input))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.text)
			if tt.line == 0 {
				return
			}
			var le *LineError
			require.True(t, errors.As(err, &le), "a *LineError: %v", err)
			assert.Equal(t, tt.line, le.Line, err.Error())
			assert.Equal(t, tt.field, le.Field, err.Error())
		})
	}
}

func TestParseEntityID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want entityID
	}{
		{"broker#1", entityID{actor: "broker", generation: 1}},
		{"broker-core-a[2]#13", entityID{actor: "broker-core-a", replica: 2, generation: 13}},
		{"core-api[3].token#2", entityID{actor: "core-api", replica: 3, sub: "token", generation: 2}},
		{"core-api[3].cred#5", entityID{actor: "core-api", replica: 3, sub: "credential", generation: 5}},
		{"core-api[3].credential#5", entityID{actor: "core-api", replica: 3, sub: "credential", generation: 5}},
		{"my.actor#4", entityID{actor: "my.actor", generation: 4}},
	} {
		got, err := parseEntityID(tt.id)
		require.NoError(t, err, tt.id)
		assert.Equal(t, tt.want, got, tt.id)
	}
	for _, bad := range []string{"broker", "#1", "broker#0", "broker#x", "api[x].cred#1", "api[1].key#1", "api1]#1"} {
		_, err := parseEntityID(bad)
		assert.Error(t, err, bad)
	}
}

// The scanner agrees with encoding/json on what it reads and rejects what
// is not JSON.
func TestScanEvent(t *testing.T) {
	intern := func(b []byte) string { return string(b) }
	var ev event
	require.NoError(t, scanEvent([]byte(` { "t" : 5 , "kind":"renew", "extra":{"a":[1,2.5e3,true,null,"s"]}, "ttl":-1 } `), &ev, intern))
	assert.Equal(t, event{t: 5, hasT: true, kind: "renew", ttl: -1, hasTTL: true}, ev)
	for _, bad := range []string{`{"t":5,}`, `{"t":5 "kind":"x"}`, `{"t":05x}`, `{"a":[1,}`, `{"a":tru}`, `{"a":"\x"}`, `{"a":"` + "\x01" + `"}`, `[]`} {
		var ev event
		assert.Error(t, scanEvent([]byte(bad), &ev, intern), bad)
	}
}

// A grant is capped when it carried Vault's capped-TTL warning, and only
// then: not for the period warning, not for reaching the hard end exactly.
func TestScanWarnings(t *testing.T) {
	intern := func(b []byte) string { return string(b) }
	for _, tt := range []struct {
		warnings string
		capped   bool
	}{
		{`null`, false},
		{`[]`, false},
		{`[ "TTL of \"24h\" exceeded the effective max_ttl of \"10h14m4s\"; TTL value is capped accordingly" ]`, true},
		{`["period of \"1000h\" exceeded the effective max_ttl of \"768h\"; period value is capped accordingly"]`, false},
		{`["period of \"1000h\" exceeded the effective max_ttl of \"768h\"; period value is capped accordingly","TTL of \"1h\" exceeded the effective max_ttl of \"5m\"; TTL value is capped accordingly"]`, true},
		{`["Explicit max TTL specified both during creation call and in role; using the lesser value of 60 seconds"]`, false},
	} {
		var ev event
		line := `{"t":5,"kind":"renew","warnings":` + tt.warnings + `,"ttl":60}`
		require.NoError(t, scanEvent([]byte(line), &ev, intern), line)
		assert.Equal(t, tt.capped, ev.ttlCapped, tt.warnings)
		assert.Equal(t, int64(60), ev.ttl, "the fields after it are read")
	}
	for _, bad := range []string{`["a",]`, `["a"`, `["a" "b"]`, `[null]`} {
		var ev event
		assert.Error(t, scanEvent([]byte(`{"warnings":`+bad+`}`), &ev, intern), bad)
	}
}

// A root token never expires: its issue has ttl 0 and no expire_t.
func TestReadNeverExpiringToken(t *testing.T) {
	log := testHeader + "\n" + `{"t":0,"time":"x","kind":"issue","entity":"root#1","entity_kind":"token","parent":null,"actor":"root","bound_by":"root token (non-expiring)","ttl":0}`
	r, err := ReadEvents(strings.NewReader(log))
	require.NoError(t, err)
	e, ok := r.Entity("root#1")
	require.True(t, ok)
	assert.Equal(t, None, e.Grants[0].Expire)
	rn, err := RenewalSeries(r, "root#1")
	require.NoError(t, err)
	assert.Empty(t, rn.Remaining, "no TTL left to draw")
}

// A refused script (revoke of a batch token) marks the script logged at
// the same instant rather than adding a marker without a note.
func TestScriptFailedMarksItsScript(t *testing.T) {
	log := strings.Join([]string{testHeader,
		`{"t":10,"kind":"script","note":"revoke broker"}`,
		`{"t":10,"kind":"script-failed","entity":"broker#1","error":"batch tokens cannot be revoked"}`,
		`{"t":20,"kind":"script-failed","entity":"broker#2"}`,
	}, "\n") + "\n"
	r, err := ReadEvents(strings.NewReader(log))
	require.NoError(t, err)
	assert.Equal(t, []Script{{T: 10, Note: "revoke broker", Failed: true}, {T: 20, Note: "script on broker#2", Failed: true}}, r.Scripts)
	assert.Equal(t, "revoke broker (refused)", scriptText(r.Scripts[0]))
}

// Strings with escapes decode as encoding/json decodes them, whether the
// scanner's own unescaping takes them (printable ASCII, simple escapes) or
// hands them to encoding/json (\u, other bytes), and fail where it fails.
func TestScanEscapesAsJSON(t *testing.T) {
	intern := func(b []byte) string { return string(b) }
	parts := []string{`a`, ` `, `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u0041`, `\u00e9`, `\ud83d\ude00`, `é`, "\x7f", `TTL of \"24h\"`, `\x`, "\x01", "\xff", `\u12`}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		var body strings.Builder
		for range 1 + rng.IntN(6) {
			body.WriteString(parts[rng.IntN(len(parts))])
		}
		if !strings.Contains(body.String(), `\`) {
			continue // no escape: the bytes as they are (safetext.go draws bad UTF-8)
		}
		line := `{"note":"` + body.String() + `"}`
		var want struct{ Note string }
		werr := json.Unmarshal([]byte(line), &want)
		var ev event
		err := scanEvent([]byte(line), &ev, intern)
		if werr != nil {
			assert.Error(t, err, line)
			continue
		}
		require.NoError(t, err, line)
		assert.Equal(t, want.Note, ev.note, line)
	}
}
