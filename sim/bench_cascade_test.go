package sim

// BenchmarkCascade measures one token's end taking a million descendants
// with it (issue 10, item 4: "1M-descendant cascade < 50 ms"), through the
// real engine on a scenario parsed like any other:
//
//   - leases: a broker token (role token_ttl = token_max_ttl = 30m: a hard
//     end) and one service of N replicas, each holding a database lease
//     indexed on the broker's token. At 30m the broker's expiry ends the
//     token and the N leases in its cascade (semantics.md §6.1).
//   - tokens: the same with N/2 replicas, each with a child token of the
//     broker's (child_token) holding its lease: N descendants again (a
//     scenario holds at most 2M entities at once).
//   - revoke: the leases case ended by a scripted revoke at 30m instead.
//
// Each case runs with Vault's default revocation model (/vault: every
// ended lease becomes a job of the expiration manager) and with
// `revocation: instant` (/instant). Holders have `retry: never`, so
// nothing is re-read after the end: the measurement is the cascade and its
// bookkeeping (ends recorded, the cliff, services losing validity, the
// revocation jobs), not N new issues. No log is kept (the default run).
//
// The engine is run to the second before the end outside the timer; the
// timed part is the loop processing the end's instant. Run it with:
//
//	go test ./sim -run '^$' -bench Cascade -benchtime 1x                 # N=1M
//	go test ./sim -run '^$' -bench Cascade -benchtime 1x -cascade.n 100000
//
// -cascade.cpuprofile FILE profiles the timed part alone, iteration i in
// FILE.i (pick one case with -bench, e.g. 'Cascade/leases/N=1M/vault';
// `go tool pprof -top FILE.*` merges them).
//
// Metrics: ms/cascade (CPU time of the end's instant, GC workers included),
// ns/descendant, wall-ms/cascade, and base-ms: a plain loop marking N
// entity records ended, in the same run, so the figure reads on a shared
// machine (x-base = ms/cascade ÷ base-ms); min-ms/cascade, the fastest
// iteration, is the least disturbed by neighbours. after-ms is the rest of the
// hour, outside ns/op: near zero, it shows the cascade put no work off.
// faults/cascade and sys-ms (unix) are the minor page faults and system CPU
// time of the timed part: first touches of fresh pages would show there.

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

var cascadeProfile = flag.String("cascade.cpuprofile", "", "BenchmarkCascade: write a CPU profile of the timed cascades alone to this file")

var cascadeN = flag.Int("cascade.n", 1_000_000, "BenchmarkCascade: descendants of the broker's token")

// cascadeAt is when the broker's token ends in the cascade scenarios.
const cascadeAt = model.Instant(30 * model.Minute)

// cascadeScenario is the YAML of one cascade case with n replicas.
func cascadeScenario(n int, tokens, revoke, instant bool) string {
	rev := ""
	if instant {
		rev = "  revocation: instant\n"
	}
	role := "{mount: auth/approle, token_ttl: 30m, token_max_ttl: 30m}"
	if revoke {
		role = "{mount: auth/approle, token_ttl: 1h, token_max_ttl: 1h}"
	}
	child := ""
	if tokens {
		child = ", child_token: {ttl: 1h}"
	}
	y := fmt.Sprintf(`name: bench-cascade
description: one broker token ending with a million descendants
start: 2024-01-01T00:00:00Z
horizon: 1h
seed: 1
backend:
%s  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
roles:
  broker: %s
  app-db: {mount: database, default_ttl: 1h, max_ttl: 24h}
actors:
  broker: {login: broker, renew: watcher}
  fleet: {via: broker%s, credential: app-db, refresh: watcher, retry: never, demand: 1/s, replicas: %d}
`, rev, role, child, n)
	// A tune a second after the end, changing nothing: the next event, so
	// that what comes after the end's instant is measured apart (after-ms).
	y += "events:\n  - {at: 30m1s, do: tune, mount: database, set: {max_lease_ttl: 24h}}\n"
	if revoke {
		y += "  - {at: 30m, do: revoke, actor: broker}\n"
	}
	return y
}

func BenchmarkCascade(b *testing.B) {
	n := *cascadeN
	{
		for _, c := range []struct {
			name           string
			tokens, revoke bool
		}{{"leases", false, false}, {"tokens", true, false}, {"revoke", false, true}} {
			for _, instant := range []bool{false, true} {
				name := c.name + "/" + sizeName(n) + "/vault"
				if instant {
					name = c.name + "/" + sizeName(n) + "/instant"
				}
				b.Run(name, func(b *testing.B) { benchCascade(b, n, c.tokens, c.revoke, instant) })
			}
		}
	}
}

func benchCascade(b *testing.B, n int, tokens, revoke, instant bool) {
	descendants := n
	if tokens {
		n /= 2
	}
	s, err := scenarios.Parse("bench-cascade.yaml", []byte(cascadeScenario(n, tokens, revoke, instant)))
	require.NoError(b, err)
	var cpu, wall, base, after, sys time.Duration
	var faults int64
	best := time.Duration(math.MaxInt64)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		e := New(s, Options{Budget: 1 << 62, MaxLive: int64(3*n + 10), MaxEntities: int64(3*n + 10)})
		e.streamLog()
		e.loop.Horizon = cascadeAt - 1
		require.Equal(b, HorizonReached, e.loop.Run(e.handle))
		live := e.live
		// Collect the setup's garbage and return it to the OS now: left to
		// the background scavenger, its madvise calls land in the timed
		// part (up to a tenth of its CPU samples), charged to the cascade.
		debug.FreeOSMemory()
		b.StartTimer()

		if *cascadeProfile != "" {
			f, err := os.Create(fmt.Sprintf("%s.%d", *cascadeProfile, i))
			require.NoError(b, err)
			require.NoError(b, pprof.StartCPUProfile(f))
			defer f.Close()
		}
		f0, s0 := faultsAndSys()
		t0, w0 := cpuTime(), time.Now()
		e.loop.Horizon = cascadeAt
		e.loop.Run(e.handle)
		d := cpuTime() - t0
		f1, s1 := faultsAndSys()
		faults += f1 - f0
		sys += s1 - s0
		cpu += d
		best = min(best, d)
		wall += time.Since(w0)
		pprof.StopCPUProfile()

		b.StopTimer()
		if got := live - e.live; got != int64(descendants)+1 {
			b.Fatalf("the end took %d entities, want %d descendants and the token", got, descendants)
		}
		// The rest of the hour: work the cascade would have put off (timers
		// left queued, say) shows here.
		t1 := cpuTime()
		e.loop.Horizon = model.Instant(s.Horizon)
		e.loop.Run(e.handle)
		after += cpuTime() - t1
		base += cascadeBaseline(descendants)
		b.StartTimer()
	}
	perOp := func(d time.Duration) float64 { return float64(d) / float64(b.N) / 1e6 }
	b.ReportMetric(perOp(cpu), "ms/cascade")
	b.ReportMetric(float64(best)/1e6, "min-ms/cascade")
	b.ReportMetric(perOp(wall), "wall-ms/cascade")
	b.ReportMetric(float64(cpu)/float64(b.N)/float64(descendants), "ns/descendant")
	b.ReportMetric(perOp(base), "base-ms")
	b.ReportMetric(perOp(after), "after-ms")
	b.ReportMetric(perOp(sys), "sys-ms")
	b.ReportMetric(float64(faults)/float64(b.N), "faults/cascade")
	b.ReportMetric(float64(cpu)/float64(base), "x-base")
}

// cascadeBaseline is the floor: a plain walk over n ids marking each one's
// record ended, as a cascade must at least do. It returns its CPU time.
func cascadeBaseline(n int) time.Duration {
	type rec struct {
		ended bool
		endAt model.Instant
		root  model.NodeID
	}
	ids := make([]model.NodeID, n)
	for i := range ids {
		ids[i] = model.NodeID(i)
	}
	recs := make([]rec, n)
	for i := range recs { // fresh pages faulted in outside the timing
		recs[i].root = model.None
	}
	t0 := cpuTime()
	for _, id := range ids {
		r := &recs[id]
		r.ended, r.endAt, r.root = true, cascadeAt, 0
	}
	d := cpuTime() - t0
	if !recs[n-1].ended {
		panic("baseline skipped")
	}
	return d
}
