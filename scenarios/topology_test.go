package scenarios

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// via may name any actor with a token of its own, to any depth (issue 11;
// semantics.md §3.2: a non-orphan child token is indexed under its parent).
func TestParse_ViaDepth(t *testing.T) {
	runGood(t, []goodCase{
		{"chain of child tokens", head + world + "actors:\n  c: {via: b, credential: app-db}\n  b: {via: a, child_token: {ttl: 1h}}\n  a: {login: broker}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, "b", actorByName(t, sc, "c").Via)
			assert.Equal(t, "a", actorByName(t, sc, "b").Via)
		}},
		{"four levels", head + world + "actors:\n  top: {token: {}}\n  b: {via: top, child_token: {}}\n  app: {via: b, child_token: {}, credential: app-db}\n", nil},
		{"deepest allowed", head + world + "actors:\n" + chain(MaxDepth), nil},
	})
	a := head + world + "actors:\n"
	runBad(t, []badCase{
		{"two-actor cycle", a + "  x: {via: y, child_token: {}}\n  y: {via: x, child_token: {}} #!\n", "actors.y.via", "via makes a cycle: x → y → x"},
		{"three-actor cycle", a + "  x: {via: z, child_token: {}}\n  y: {via: x, child_token: {}} #!\n  z: {via: y, child_token: {}}\n", "actors.y.via", "x → z → y → x"},
		{"via without own token", a + "  b: {login: broker}\n  c: {via: b}\n  d: {via: c, child_token: {}} #!\n", "actors.d.via", "has no token of its own"},
		{"too deep", a + chain(MaxDepth+1) + " #!\n", fmt.Sprintf("actors.a%d.via", MaxDepth), fmt.Sprintf("%d tokens deep; at most %d", MaxDepth+1, MaxDepth)},
	})
}

// chain declares n token levels: a0 logs in, a1…a(n-1) are child tokens.
func chain(n int) string {
	var b strings.Builder
	b.WriteString("  a0: {login: broker}\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  a%d: {via: a%d, child_token: {}}\n", i, i-1)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestParse_LiveEntityLimit(t *testing.T) {
	src := head + world + "actors: #!\n"
	for i := range 3 {
		src += fmt.Sprintf("  a%d: {login: broker, credential: app-db, replicas: 1000000}\n", i)
	}
	runBad(t, []badCase{{"too many at once", src, "actors", "6000000 tokens and credentials at once"}})
}

// Renewal of credentials with increments (semantics.md §5.2), re-reads on
// a poll, and the retry policy after an unplanned loss (issue 11).
func TestParse_RefreshRetry(t *testing.T) {
	a := head + world + "actors:\n"
	runGood(t, []goodCase{
		{"refresh renews with an increment", a + "  x: {login: broker, credential: app-db, refresh: {at: 0.5, jitter: 0.1, increment: 2h}}\n  y: {login: broker, credential: app-db, refresh: {every: 30m}}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RefreshPolicy{Kind: RefreshRenewBy, Renew: RenewPolicy{Kind: RenewFraction, At: 0.5, Jitter: 0.1, Increment: 7200}}, sc.Actors[0].Refresh)
			assert.Equal(t, RefreshPolicy{Kind: RefreshRenewBy, Renew: RenewPolicy{Kind: RenewEvery, Every: 1800}}, sc.Actors[1].Refresh)
		}},
		{"refresh at stays a re-read", a + "  x: {login: broker, credential: app-db, refresh: {at: 0.9}}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RefreshPolicy{Kind: RefreshFraction, At: 0.9}, sc.Actors[0].Refresh)
		}},
		{"read_every", a + "  x: {login: broker, credential: app-db, refresh: {read_every: 2m}}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RefreshPolicy{Kind: RefreshEvery, Every: 120}, sc.Actors[0].Refresh)
		}},
		{"retry forms", a + "  x: {login: broker, retry: never}\n  y: {login: broker, retry: {attempts: 12, backoff: 1s, max_backoff: 1m}}\n  z: {login: broker, retry: {}}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RetryPolicy{Kind: RetryNever}, sc.Actors[0].Retry)
			assert.Equal(t, RetryPolicy{Kind: RetryBackoff, Attempts: 12, Backoff: 1, MaxBackoff: 60}, sc.Actors[1].Retry)
			assert.Equal(t, RetryPolicy{Kind: RetryBackoff, Backoff: 1}, sc.Actors[2].Retry)
		}},
	})
	runBad(t, []badCase{
		{"read_every with at", a + "  x: {login: broker, credential: app-db, refresh: {read_every: 2m, at: 0.5}} #!\n", "actors.x.refresh.read_every", "does not go with"},
		{"read_every zero", a + "  x: {login: broker, credential: app-db, refresh: {read_every: 0}} #!\n", "actors.x.refresh.read_every", "more than 0s"},
		{"jitter on a re-read", a + "  x: {login: broker, credential: app-db, refresh: {at: 0.5, jitter: 0.1}} #!\n", "actors.x.refresh.jitter", "goes with a renewal"},
		{"retry misspelt", a + "  x: {login: broker, retry: nevr} #!\n", "actors.x.retry", "did you mean 'never'"},
		{"retry max below backoff", a + "  x: {login: broker, retry: {backoff: 1m, max_backoff: 10s}} #!\n", "actors.x.retry.max_backoff", "less than backoff"},
		{"retry unknown key", a + "  x: {login: broker, retry: {attempt: 3}} #!\n", "actors.x.retry.attempt", "did you mean 'attempts'"},
	})
}

func TestRetryDelay(t *testing.T) {
	cases := []struct {
		p    RetryPolicy
		want []int64
	}{
		{RetryPolicy{Kind: RetryBackoff, Backoff: 5, MaxBackoff: 60}, []int64{5, 10, 20, 40, 60, 60}},
		{RetryPolicy{Kind: RetryBackoff, Backoff: 1}, []int64{1, 2, 4, 8, 16, 32}},
		{RetryPolicy{Kind: RetryBackoff}, []int64{1, 1, 1, 1, 1, 1}},
	}
	for _, c := range cases {
		var got []int64
		for k := range 6 {
			got = append(got, int64(c.p.Delay(k)))
		}
		assert.Equal(t, c.want, got, "%+v", c.p)
	}
}

// An operator's renew event (semantics.md §4, §5.2).
func TestParse_RenewEvent(t *testing.T) {
	e := head + world + "actors:\n  b: {login: broker}\n  s: {via: b, credential: app-db}\nevents:\n"
	runGood(t, []goodCase{
		{"renew token and credential", e + "  - {at: 20d, do: renew, actor: b, increment: 720h}\n  - {at: 1d, do: renew, actor: s, what: credential}\n  - {at: 2d, do: revoke, actor: s, what: credential}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, Event{Line: 18, At: 20 * 86400, Do: EventRenew, Actor: "b", What: WhatToken, Increment: 720 * 3600}, sc.Events[0])
			assert.Equal(t, WhatCredential, sc.Events[1].What)
			assert.Equal(t, EventRevoke, sc.Events[2].Do)
			assert.Equal(t, WhatCredential, sc.Events[2].What)
		}},
	})
	runBad(t, []badCase{
		{"renew a via actor's token", e + "  - {at: 1d, do: renew, actor: s} #!\n", "events[0].actor", "has no token of its own"},
		{"renew credential of an actor without one", e + "  - {at: 1d, do: renew, actor: b, what: credential} #!\n", "events[0].actor", "has no credential"},
		{"what misspelt", e + "  - {at: 1d, do: renew, actor: b, what: tokens} #!\n", "events[0].what", "did you mean 'token'"},
		{"increment on revoke", e + "  - {at: 1d, do: revoke, actor: b, increment: 1h} #!\n", "events[0].increment", "not used by do: revoke"},
	})
}

// client: NAME expands to the product's documented defaults
// (docs/clients.md); the actor's own keys win, field by field.
func TestParse_ClientPresets(t *testing.T) {
	a := head + world + "actors:\n"
	runGood(t, []goodCase{
		{"vault-agent", a + "  x: {client: vault-agent, login: broker, credential: app-db}\n", func(t *testing.T, sc *Scenario) {
			x := sc.Actors[0]
			assert.Equal(t, "vault-agent", x.Client)
			assert.Equal(t, Presets["vault-agent"].Renew, x.Renew)
			assert.Equal(t, ExhaustPolicy{Kind: ExhaustReauth}, x.WhenExhausted)
			assert.Equal(t, RefreshPolicy{Kind: RefreshWatcher}, x.Refresh)
			assert.Equal(t, RetryPolicy{Kind: RetryBackoff, Attempts: 12, Backoff: 1, MaxBackoff: 60}, x.Retry)
		}},
		{"override field by field", a + "  x: {client: cron, login: broker, credential: app-db, renew: {every: 6h}, retry: {attempts: 3}}\n", func(t *testing.T, sc *Scenario) {
			x := sc.Actors[0]
			assert.Equal(t, RenewPolicy{Kind: RenewEvery, Every: 6 * 3600}, x.Renew, "own key wins")
			assert.Equal(t, Presets["cron"].Refresh, x.Refresh, "preset fills the rest")
			assert.Equal(t, RetryPolicy{Kind: RetryBackoff, Attempts: 3, Backoff: 1}, x.Retry)
			assert.Equal(t, ExhaustPolicy{}, x.WhenExhausted)
		}},
		{"via without child token: token settings untouched", a + "  b: {login: broker}\n  x: {client: vault-agent, via: b, credential: app-db}\n", func(t *testing.T, sc *Scenario) {
			x := actorByName(t, sc, "x")
			assert.Equal(t, ExhaustPolicy{}, x.WhenExhausted)
			assert.Equal(t, RefreshPolicy{Kind: RefreshWatcher}, x.Refresh)
		}},
		{"no credential: refresh untouched", a + "  x: {client: external-secrets, login: broker}\n", func(t *testing.T, sc *Scenario) {
			assert.Equal(t, RefreshPolicy{}, sc.Actors[0].Refresh)
			assert.Equal(t, ExhaustPolicy{Kind: ExhaustReauth}, sc.Actors[0].WhenExhausted)
		}},
	})
	runBad(t, []badCase{
		{"unknown preset", a + "  x: {client: vault-agnet, login: broker} #!\n", "actors.x.client", "did you mean 'vault-agent'"},
	})
	for _, name := range PresetNames() {
		_, err := Parse("s.yaml", []byte(a+"  x: {client: "+name+", login: broker, credential: app-db}\n"))
		assert.NoError(t, err, name)
	}
}
