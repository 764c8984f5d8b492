package sim

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

func revScenario(t *testing.T, text string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse("rev.yaml", []byte(text))
	require.NoError(t, err)
	return s
}

// N leases, W workers, constant L, one mount: the cliff drains in
// ⌈N / ceil(0.9·W)⌉ · L (semantics.md §5.3: one queue may use at most
// ceil(0.9 × workers / active queues) workers).
func TestRevocationDrainByHand(t *testing.T) {
	for _, tc := range []struct {
		n, w int
		l    string
		lms  model.Millis
	}{
		{100, 10, "2s", 2000},
		{1000, 200, "2s", 2000},
		{37, 5, "500ms", 500},
		{20, 200, "50ms", 50}, // drained within its second
	} {
		s := revScenario(t, `name: rev-drain
description: N leases, W workers, constant latency L.
start: 2024-01-01T00:00:00Z
horizon: 3h
seed: 1
backend:
  revocation: {workers: `+itoa(tc.w)+`}
  mounts:
    database:
      revoke: {latency: {p50: `+tc.l+`}}
roles:
  app-db: {mount: database, default_ttl: 24h, max_ttl: 24h}
actors:
  broker: {token: {ttl: 1h, explicit_max_ttl: 1h}, renew: none}
  svc: {via: broker, credential: app-db, replicas: `+itoa(tc.n)+`}
`)
		res := New(s, Options{}).Run()
		v := res.Revocation
		require.NotNil(t, v)
		require.Len(t, v.Cliffs, 1)
		c := v.Cliffs[0]
		want := model.Millis((tc.n+model.QueueWorkerCap(tc.w, 1)-1)/model.QueueWorkerCap(tc.w, 1)) * tc.lms
		assert.Equal(t, want, model.DrainTime(tc.n, tc.w, tc.lms))
		assert.Equal(t, tc.n, c.Leases)
		assert.True(t, c.Drained)
		assert.Equal(t, want, c.Drain, "N=%d W=%d L=%s", tc.n, tc.w, tc.l)
		assert.Equal(t, want, v.Exposure.Max)
		assert.Equal(t, tc.n, v.Revoked)
		assert.Equal(t, tc.n, c.PeakBacklog, "the whole cliff waits at its instant")
		assert.Equal(t, tc.n, v.Mounts[0].PeakBacklog)
		// Validity is untouched: every lease ended at the cliff instant.
		assert.Equal(t, model.Instant(3600), res.Cliffs[0].At)
		assert.Equal(t, tc.n, res.Cliffs[0].Leases)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A lease whose revocation always fails follows Vault's schedule
// (semantics.md §5.3): 6 attempts, retried after (1<<n)×10 s ±50% for
// n = 1..5, then irrevocable, then retried by the daily pass at each 24 h
// of server time once it expired more than an hour before.
func TestRevocationAlwaysFailing(t *testing.T) {
	s := revScenario(t, `name: rev-fail
description: One lease whose database never accepts the revoke.
start: 2024-01-01T00:00:00Z
horizon: 100h
seed: 7
backend:
  mounts:
    database:
      revoke: {latency: {p50: 1s}}
roles:
  app-db: {mount: database, default_ttl: 2h, max_ttl: 2h}
actors:
  svc: {token: {ttl: 200h}, renew: none, credential: app-db, refresh: none}
events:
  - {at: 0s, do: database-outage, mount: database, until: 100h}
`)
	res := New(s, Options{RecordLog: true}).Run() // the seconds are kept for a log
	v := res.Revocation
	require.NotNil(t, v, "a database event turns on the expiration manager model")
	require.Equal(t, 1, v.Leases)
	var at []model.Instant
	for _, sec := range v.Seconds {
		for range sec.Attempts {
			at = append(at, sec.At)
		}
	}
	// Expired at 2h; attempts at 2h, then after 1 s + 20 s ±50%, 40 s, 80 s, 160 s, 320 s.
	require.GreaterOrEqual(t, len(at), 6)
	assert.Equal(t, model.Instant(7200), at[0])
	for n := 1; n <= 5; n++ {
		gap := float64(at[n] - at[n-1])
		base := float64(int64(1)<<n) * 10
		assert.GreaterOrEqual(t, gap, 1+0.5*base-1, "retry %d", n)
		assert.LessOrEqual(t, gap, 1+1.5*base+1, "retry %d", n)
	}
	// Marked irrevocable after the 6th; then only the daily passes at 24 h, 48 h, 72 h, 96 h.
	assert.Equal(t, []model.Instant{24 * 3600, 48 * 3600, 72 * 3600, 96 * 3600}, at[6:])
	assert.Equal(t, 1, v.Irrevocable)
	assert.Equal(t, 1, v.StillIrrev)
	assert.Equal(t, 1, v.Usable)
	assert.Equal(t, model.Millis(98*3600_000), v.Exposure.Max, "still usable at the horizon: horizon − expiry")
}

// Without a revocation block the run has Vault's expiration manager with
// its defaults; revocation: instant is today's model, with no revocation output.
func TestRevocationVaultByDefault(t *testing.T) {
	const text = `name: rev-none
description: No revocation block.
start: 2024-01-01T00:00:00Z
horizon: 3h
seed: 1
backend:
  mounts:
    database: {}
roles:
  app-db: {mount: database, default_ttl: 1h, max_ttl: 1h}
actors:
  svc: {token: {ttl: 2h}, credential: app-db}
`
	v := New(revScenario(t, text), Options{}).Run().Revocation
	require.NotNil(t, v)
	assert.Equal(t, model.DefaultRevocationWorkers, v.Workers)
	assert.Equal(t, model.DefaultRevokeTimeout, v.RequestTimeout)
	assert.Equal(t, 3, v.Leases)
	instant := strings.Replace(text, "backend:\n", "backend:\n  revocation: instant\n", 1)
	assert.Nil(t, New(revScenario(t, instant), Options{}).Run().Revocation)
}

// Validity never depends on revocation: with the Vault model turned on,
// every entity ends when and how it ended with the instant model, and the
// cliffs, outages and failed requests are the same. Two runs of the same
// seed give the same revocation output.
func TestRevocationLeavesValidityAlone(t *testing.T) {
	for _, name := range []string{"default-max-cliff", "jan-2024-replay", "nested-chain", "lease-own-cap"} {
		t.Run(name, func(t *testing.T) {
			file, data, err := scenarios.Read(name)
			require.NoError(t, err)
			instant, err := scenarios.ParseWithOverrides(file, data, []scenarios.Override{{Path: "backend.revocation", Value: "instant"}})
			require.NoError(t, err)
			vault, err := scenarios.ParseWithOverrides(file, data, []scenarios.Override{{Path: "backend.revocation", Value: "{workers: 3}"}})
			require.NoError(t, err)
			a, b := New(instant, Options{}).Run(), New(vault, Options{}).Run()
			require.Nil(t, a.Revocation)
			require.NotNil(t, b.Revocation)
			assert.Equal(t, a.Fates(), b.Fates())
			assert.Equal(t, a.Cliffs, b.Cliffs)
			assert.Equal(t, a.Outages, b.Outages)
			assert.Equal(t, a.Services, b.Services)
			assert.Equal(t, a.Events, b.Events)
			assert.Greater(t, b.Revocation.Leases, 0)
			again := New(vault, Options{}).Run()
			assert.Equal(t, b.Revocation, again.Revocation)
		})
	}
}
