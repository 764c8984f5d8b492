package sim

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// A run with no log takes shortcuts on a cascade's path (no events built,
// a service's losses at one instant applied as one change: lossBatch);
// its report must be the one of the same run with its log kept, where
// every change is applied and logged one by one.
func TestCascadeShortcutsWithoutLog(t *testing.T) {
	for seed := range uint64(120) {
		src := genScenario(seed)
		s, err := scenarios.Parse(fmt.Sprintf("prop-%d.yaml", seed), []byte(src))
		if err != nil {
			continue
		}
		opts := Options{Exact: true, Budget: 20_000, MaxLive: 2_000, MaxEntities: 4_000}
		_, _, quiet, _, err := propRun(s, opts, nil)
		require.NoError(t, err)
		opts.RecordLog = true
		_, _, logged, _, err := propRun(s, opts, nil)
		require.NoError(t, err)
		require.Equal(t, string(logged), string(quiet), "seed %d:\n%s", seed, src)
	}
}

// Each entity a cascade ends has the past its own end event says (cause,
// instant, layer, root), though descendants with no past share one record
// (endPast); and the ones that shared stay as they were when more end.
func TestCascadeSharedPasts(t *testing.T) {
	for _, c := range []struct{ tokens, revoke bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		s, err := scenarios.Parse("cascade.yaml", []byte(cascadeScenario(40, c.tokens, c.revoke, false)))
		require.NoError(t, err)
		e := New(s, Options{RecordLog: true})
		r := e.Run()
		ends := 0
		for _, ev := range r.Log {
			if ev.Kind != LogEnd {
				continue
			}
			ends++
			p := e.pastOf(ev.Entity)
			require.Equal(t, ev.Cause, p.cause, "%+v entity %d", c, ev.Entity)
			require.Equal(t, ev.At, p.endAt.Instant(), "%+v entity %d", c, ev.Entity)
			require.Equal(t, ev.By, e.layers.at(p.endBy), "%+v entity %d", c, ev.Entity)
			require.Equal(t, ev.Root, p.root, "%+v entity %d", c, ev.Entity)
		}
		require.Greater(t, ends, 40, "%+v", c)
	}
}

// A cascade's descendants ended in runs (endrun.go) end as ended ends them
// one by one: the same report, pasts, revocation jobs, service windows and
// pending timers, over generated scenarios and the benchmark's cascades.
func TestEndRunsMatchEnded(t *testing.T) {
	type src struct{ name, yaml string }
	var srcs []src
	for _, c := range []struct{ tokens, revoke, instant bool }{
		{false, false, false}, {true, false, false}, {false, true, false},
		{false, false, true}, {true, false, true}, {false, true, true},
	} {
		srcs = append(srcs, src{fmt.Sprintf("cascade %+v", c), cascadeScenario(6000, c.tokens, c.revoke, c.instant)})
	}
	for _, instant := range []bool{false, true} {
		srcs = append(srcs, src{fmt.Sprintf("mixed instant=%v", instant), mixedCascadeScenario(instant)})
	}
	for seed := range uint64(150) {
		srcs = append(srcs, src{fmt.Sprintf("prop seed %d", seed), genScenario(seed)})
	}
	usedRuns := 0
	for _, c := range srcs {
		s, err := scenarios.Parse("runs.yaml", []byte(c.yaml))
		if err != nil {
			continue
		}
		opts := Options{Exact: true, Budget: 50_000, MaxLive: 20_000, MaxEntities: 40_000}
		slow, _, want, _, err := propRun(s, opts, func(e *Engine) { e.slowEnds = true })
		require.NoError(t, err)
		fast, _, got, _, err := propRun(s, opts, nil)
		require.NoError(t, err)
		require.Zero(t, slow.runs.ranges, c.name)
		if fast.runs.ranges > 0 {
			usedRuns++
		}
		require.Equal(t, string(want), string(got), "%s:\n%s", c.name, c.yaml)
		require.Equal(t, slow.live, fast.live, c.name)
		require.Equal(t, slow.loop.Queue.Len(), fast.loop.Queue.Len(), c.name)
		for n := range slow.ents {
			m := model.NodeID(n)
			require.Equal(t, slow.pastOf(m), fast.pastOf(m), "%s: entity %d", c.name, n)
			require.Equal(t, slow.ents[n], fast.ents[n], "%s: entity %d", c.name, n)
		}
		require.Equal(t, slow.toks, fast.toks, c.name)
		require.Equal(t, slow.services, fast.services, c.name)
		require.Equal(t, slow.cliffs.all, fast.cliffs.all, c.name)
		if slow.rev != nil {
			var a, b []revJob
			slow.rev.jobs.each(func(_ int, j revJob) { a = append(a, j) })
			fast.rev.jobs.each(func(_ int, j revJob) { b = append(b, j) })
			require.Equal(t, a, b, c.name)
			require.Equal(t, slow.rev.mounts, fast.rev.mounts, c.name)
		}
	}
	t.Logf("%d of %d runs ended descendants in runs", usedRuns, len(srcs))
	require.Greater(t, usedRuns, 20)
}

// mixedCascadeScenario is a broker whose end takes child tokens with a
// proactive re-authentication pending, their leases and the ones their
// holders already replaced, the token a via actor draws on (a dependent
// with no token of its own), and leases of a second mount.
func mixedCascadeScenario(instant bool) string {
	rev := ""
	if instant {
		rev = "  revocation: instant\n"
	}
	return `name: mixed-cascade
description: a cascade of mixed descendants
start: 2024-01-01T00:00:00Z
horizon: 3h
seed: 4
backend:
` + rev + `  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
    kv: {default_lease_ttl: 1h, max_lease_ttl: 24h}
roles:
  broker: {mount: auth/approle, token_ttl: 2h, token_max_ttl: 2h}
  app-db: {mount: database, default_ttl: 20m, max_ttl: 24h}
  app-kv: {mount: kv, default_ttl: 1h, max_ttl: 24h}
actors:
  broker: {login: broker, renew: watcher}
  mid: {via: broker, child_token: {ttl: 1h}, renew: watcher, when_exhausted: {reauth: {at: 0.9}}, credential: app-db, refresh: {at: 0.5}, demand: 1/s, replicas: 2500}
  leaf: {via: mid, demand: 2/s, replicas: 3}
  plain: {via: broker, credential: app-kv, refresh: watcher, retry: never, demand: 1/s, replicas: 2500}
  other: {via: broker, credential: app-db, refresh: watcher, demand: 1/s, replicas: 2000}
events:
  - {at: 50m, do: revoke, actor: broker}
`
}
