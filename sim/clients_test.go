package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

const clientWorld = rootHead + `backend:
  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
roles:
  broker: {mount: auth/approle, token_ttl: 24h}
  short: {mount: auth/approle, token_ttl: 2h, token_max_ttl: 5h}
  periodic: {mount: auth/approle, token_period: 1h}
  app-db: {mount: database, default_ttl: 1h, max_ttl: 24h}
`

// logOf runs src and returns its event log.
func logOf(t *testing.T, src string) (*Result, []LogEvent) {
	t.Helper()
	res := New(parse(t, src), Options{RecordLog: true}).Run()
	return res, res.Log
}

// An operator's renew with an increment (semantics.md §4, §5.2) moves the
// expiry, never the hard end; a capped grant carries Vault's warning.
func TestOperatorRenew(t *testing.T) {
	cases := []struct {
		name      string
		actors    string
		event     string
		wantTTL   model.Duration // granted by the operator's renew (0: it fails)
		wantWarn  string
		wantError string
	}{
		{"token, day 20, 720h: capped at the 768h hard end",
			"  broker: {login: broker}\n", "{at: 20d, do: renew, actor: broker, increment: 720h}",
			288 * model.Hour, `TTL of "720h" exceeded the effective max_ttl of "288h"; TTL value is capped accordingly`, ""},
		{"token, small increment shortens it",
			"  broker: {login: broker}\n", "{at: 20d, do: renew, actor: broker, increment: 1h}",
			model.Hour, "", ""},
		{"credential, every replica",
			"  app: {login: broker, credential: app-db, replicas: 2}\n", "{at: 10h, do: renew, actor: app, what: credential, increment: 3h}",
			3 * model.Hour, "", ""},
		{"credential past its cap is capped",
			"  app: {login: broker, credential: app-db, refresh: renew}\n", "{at: 22h, do: renew, actor: app, what: credential, increment: 8h}",
			2 * model.Hour, `TTL of "8h" exceeded the effective max_ttl of "2h"`, ""},
		{"a non-renewable token refuses",
			"  b: {token: {ttl: 24h, renewable: false}, renew: none}\n", "{at: 1h, do: renew, actor: b, increment: 1h}",
			0, "", "lease is not renewable"},
		{"nothing live to renew",
			"  b: {token: {ttl: 1h}, renew: none}\n", "{at: 2h, do: renew, actor: b}",
			0, "", "nothing to renew"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, log := logOf(t, clientWorld+"actors:\n"+c.actors+"events:\n  - "+c.event+"\n")
			var at model.Instant = -1
			renews, fails := 0, []string{}
			for _, ev := range log {
				switch {
				case ev.Kind == LogScript:
					at = ev.At
				case ev.Kind == LogRenew && ev.At == at && at >= 0 && c.wantTTL > 0:
					renews++
					assert.Equal(t, c.wantTTL, ev.TTL, res.EntityID(ev.Entity))
					msgs := strings.Join(ev.Warnings.Messages(), "\n")
					if c.wantWarn == "" {
						assert.Empty(t, msgs)
					} else {
						assert.Contains(t, msgs, c.wantWarn)
					}
					assert.True(t, ev.HasHardEnd)
				case ev.Kind == LogScriptFailed:
					fails = append(fails, ev.Err)
				}
			}
			if c.wantError != "" {
				require.NotEmpty(t, fails)
				assert.Contains(t, fails[0], c.wantError)
				return
			}
			assert.Empty(t, fails)
			assert.Positive(t, renews)
		})
	}
	// The hard end does not move: the broker still ends at 768h.
	res, _ := logOf(t, clientWorld+"actors:\n  broker: {login: broker}\nevents:\n  - {at: 20d, do: renew, actor: broker, increment: 720h}\n")
	require.NotEmpty(t, res.Cliffs)
	assert.Equal(t, model.Instant(768*3600), res.Cliffs[0].At)
	assert.Equal(t, MaxTTL, res.Cliffs[0].Cause)
}

// Renewers on a schedule keep calling through capped renewals until the
// entity ends; one that re-authenticates takes the first warning as done;
// the watcher keeps its own stop rule (§7.1).
func TestRenewersKeepCalling(t *testing.T) {
	cases := []struct {
		name       string
		actor      string
		wantCapped int  // capped renewals logged
		wantDone   bool // the renewal chain reported done
	}{
		// token_ttl 2h, max 5h: renewals at 1h…4h; 4h asks 2h, gets 1h.
		{"every 1h keeps calling to the end", "  b: {login: short, renew: {every: 1h}}\n", 1, false},
		{"every 30m: more capped calls", "  b: {login: short, renew: {every: 30m}}\n", 3, false},
		{"with reauth, the first warning is done", "  b: {login: short, renew: {every: 30m}, when_exhausted: reauth}\n", 1, true},
		{"the watcher stops by its own rule", "  b: {login: short, renew: watcher}\n", 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(clientWorld, "horizon: 40d", "horizon: 4h59m", 1)
			res, log := logOf(t, src+"actors:\n"+c.actor)
			capped, done := 0, false
			for _, ev := range log {
				if res.EntityID(ev.Entity) != "b#1" {
					continue
				}
				if ev.Kind == LogRenew && ev.Warnings.TTLCapped {
					capped++
				}
				if ev.Kind == LogDone {
					done = true
				}
			}
			assert.Equal(t, c.wantCapped, capped)
			assert.Equal(t, c.wantDone, done)
		})
	}
}

// refresh: {every: D, increment: D} renews the lease itself with that
// increment (semantics.md §5.2: increment replaces the role default).
func TestLeaseRenewWithIncrement(t *testing.T) {
	res, log := logOf(t, clientWorld+"actors:\n  app: {login: periodic, credential: app-db, refresh: {every: 30m, increment: 2h}}\n")
	var ttls []model.Duration
	for _, ev := range log {
		if ev.Kind == LogRenew && strings.HasPrefix(res.EntityID(ev.Entity), "app.credential#1") {
			ttls = append(ttls, ev.TTL)
		}
	}
	require.GreaterOrEqual(t, len(ttls), 40, "every 30m to its 24h cap")
	assert.Equal(t, 2*model.Hour, ttls[0])
	assert.Less(t, ttls[len(ttls)-1], 2*model.Hour, "capped at the end")
	assert.Empty(t, res.Outages, "re-read when it ends")
}

// Re-read after failure (issue 11 item 5): never (consul-template#949)
// leaves the outage to the horizon; a retry ends it at the first
// successful re-read.
func TestRetryAfterRevocation(t *testing.T) {
	cases := []struct {
		name     string
		retry    string
		outage   string // "" for the scenario's own events
		wantTo   model.Instant
		wantOpen bool
	}{
		{"never", "never", "", 0, true},
		{"backoff 5s", "{attempts: 12, backoff: 5s, max_backoff: 1m}", "", 30*3600 + 5, false},
		{"backoff through an outage: tries at +5, +15, +35, +75, +135 s", "{attempts: 12, backoff: 5s, max_backoff: 1m}", "  - {at: 30h, do: outage, until: 30h2m}\n", 30*3600 + 135, false},
		{"attempts used up during the outage", "{attempts: 3, backoff: 5s}", "  - {at: 30h, do: outage, until: 30h2m}\n", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := scenarios.Source("template-949-no-reread")
			require.NoError(t, err)
			s := strings.Replace(string(src), "retry: never ", "retry: "+c.retry+" ", 1)
			s = strings.Replace(s, "events:\n", "events:\n"+c.outage, 1)
			res := New(parse(t, s), Options{}).Run()
			require.Len(t, res.Outages, 1)
			o := res.Outages[0]
			assert.Equal(t, model.Instant(30*3600), o.From)
			assert.Equal(t, c.wantOpen, o.Ongoing)
			if !c.wantOpen {
				assert.Equal(t, c.wantTo, o.To)
			}
		})
	}
}

// explain names an actor's client preset and the settings it came to.
func TestExplainNamesPreset(t *testing.T) {
	exps, err := Explain(parse(t, clientWorld+"actors:\n  app: {client: vault-agent, login: broker, credential: app-db, retry: never}\n"))
	require.NoError(t, err)
	why := strings.Join(exps[0].Because, "\n")
	assert.Contains(t, why, "client preset vault-agent (docs/clients.md), as set for this actor: renew: watcher, when_exhausted: reauth, refresh: watcher, retry: never")
	assert.NotContains(t, strings.Join(exps[1].Because, "\n"), "client preset", "named once per actor")
}

// The library's operator-renew-720h: Vault's capped-TTL warning in the log
// on day 20, and the day-32 cliff unchanged.
func TestRunOperatorRenew720h(t *testing.T) {
	res := New(load(t, "operator-renew-720h"), Options{RecordLog: true}).Run()
	require.Len(t, res.Cliffs, 1)
	assert.Equal(t, model.Instant(768*3600), res.Cliffs[0].At)
	var warned []string
	for _, ev := range res.Log {
		if ev.Kind == LogRenew && ev.At == 20*86400 && res.EntityID(ev.Entity) == "broker#1" {
			warned = append(warned, ev.Warnings.Messages()...)
		}
	}
	assert.Equal(t, []string{`TTL of "720h" exceeded the effective max_ttl of "288h"; TTL value is capped accordingly`}, warned)
}

// The presets side by side (docs/clients.md): only the agent keeps serving
// past the 768h hard end; consul-template cannot log in again, even with
// its retry stanza.
func TestRunClientPresets(t *testing.T) {
	res := New(load(t, "presets-compared"), Options{}).Run()
	from := map[string]model.Instant{}
	for _, o := range res.Outages {
		assert.True(t, o.Ongoing, o.Service)
		from[o.Service] = o.From
	}
	assert.Equal(t, map[string]model.Instant{"csi": 3600, "cron": 86400, "templ": 768 * 3600}, from)
}
