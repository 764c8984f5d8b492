package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// libraryWith is library scenario name with each old string of the pairs
// replaced once by its new one (each must occur).
func libraryWith(t *testing.T, name string, oldNew ...string) *scenarios.Scenario {
	t.Helper()
	src, err := scenarios.Source(name)
	require.NoError(t, err)
	y := string(src)
	for i := 0; i < len(oldNew); i += 2 {
		require.Contains(t, y, oldNew[i])
		y = strings.Replace(y, oldNew[i], oldNew[i+1], 1)
	}
	s, err := scenarios.Parse(name+".yaml", []byte(y))
	require.NoError(t, err)
	return s
}

// failingCliff is default-max-cliff with its database's revokes failing
// with probability f: retries, irrevocable leases and daily passes.
func failingCliff(t *testing.T, f string) *scenarios.Scenario {
	return libraryWith(t, "default-max-cliff", "      max_lease_ttl: 24h\n",
		"      max_lease_ttl: 24h\n      revoke: {latency: {p50: 30ms, p99: 80ms}, failure: "+f+"}\n")
}

// The backlog of a tiny case, second by second, by hand. A lease joins
// its mount's backlog when it ends for Vault and leaves it once: revoked
// from the queue, or marked irrevocable (semantics.md §5.3:
// markLeaseIrrevocable takes it off the expiration manager's timers; it
// stays usable in the database until a daily pass revokes it, which does
// not take it out a second time). The peak is at a second's start (leases
// arrive only at whole seconds). The steps go through the revoker's own
// hooks (ended with no free worker, mark, revoked); rows are folded as the
// clock goes. (Planted: a pass's revocation leaving the backlog again —
// the pre-fix fold — fails every case with a pass.)
func TestRevokerBacklogByHand(t *testing.T) {
	type op struct {
		at   model.Millis
		do   string // end, revoke (by a worker, or by a pass once marked), mark
		jobs []int  // for end: how many leases end; else the jobs
	}
	type row struct {
		sec     model.Instant
		backlog int32
	}
	for _, c := range []struct {
		name      string
		ops       []op
		rows      []row
		peak      int // the mount's peak backlog
		cliffPeak int // the peak backlog of the cliff at 8 s, if any
	}{
		{"revoked from the queue",
			[]op{{1_000, "end", []int{2}}, {1_500, "revoke", []int{0}}, {3_200, "revoke", []int{1}}},
			[]row{{1, 1}, {3, 0}}, 2, 0},
		{"marked, then revoked by a pass",
			[]op{{1_000, "end", []int{1}}, {2_500, "mark", []int{0}}, {6_000, "revoke", []int{0}}},
			[]row{{1, 1}, {2, 0}, {6, 0}}, 1, 0},
		{"marked and revoked by a pass in one second",
			[]op{{1_000, "end", []int{1}}, {4_000, "mark", []int{0}}, {4_900, "revoke", []int{0}}},
			[]row{{1, 1}, {4, 0}}, 1, 0},
		{"a mark and a worker's revoke in one second, the pass later",
			[]op{{1_000, "end", []int{2}}, {2_100, "mark", []int{0}}, {2_400, "revoke", []int{1}}, {7_000, "revoke", []int{0}}},
			[]row{{1, 2}, {2, 0}, {7, 0}}, 2, 0},
		{"a cliff after a pass",
			[]op{{1_000, "end", []int{3}}, {2_000, "mark", []int{0, 1, 2}}, {5_000, "revoke", []int{0, 1}}, {6_000, "revoke", []int{2}},
				{8_000, "end", []int{2}}, {8_500, "revoke", []int{3}}, {9_100, "revoke", []int{4}}},
			[]row{{1, 3}, {2, 0}, {5, 0}, {6, 0}, {8, 1}, {9, 0}}, 3, 2},
		{"a pass while the queue still waits",
			[]op{{1_000, "end", []int{2}}, {2_000, "mark", []int{0}}, {5_000, "end", []int{1}}, {6_000, "revoke", []int{0}},
				{6_500, "revoke", []int{1}}, {8_000, "end", []int{1}}, {8_000, "revoke", []int{2}}, {9_000, "revoke", []int{3}}},
			[]row{{1, 2}, {2, 1}, {5, 2}, {6, 1}, {8, 1}, {9, 0}}, 2, 2},
	} {
		r := &revoker{cfg: &scenarios.Revocation{Workers: 0}, mounts: []revMount{{path: "database"}}, last: -1,
			nameOf: func(model.NodeID) string { return "lease" }, isCliff: func(at model.Instant) bool { return at == 8 }}
		r.rowFold.keep = true
		n := 0
		for _, o := range c.ops {
			r.now = max(r.now, o.at)
			switch o.do {
			case "end": // no worker takes it: the ops say what becomes of it
				for range o.jobs[0] {
					r.ended(model.NodeID(n), 0, model.Instant(o.at/1000))
					n++
				}
			case "mark":
				for _, j := range o.jobs {
					r.mark(j)
				}
			case "revoke":
				for _, j := range o.jobs {
					r.revoked(j, o.at)
				}
			}
		}
		r.foldRows(100)
		var got []row
		for _, s := range r.rowFold.seconds {
			require.GreaterOrEqual(t, s.Backlog, int32(0), "%s: a backlog is never negative (second %d)", c.name, s.At)
			got = append(got, row{s.At, s.Backlog})
		}
		require.Equal(t, c.rows, got, c.name)
		require.Equal(t, c.peak, r.rowFold.mounts[0].peakBacklog, c.name)
		require.Equal(t, int(c.rows[len(c.rows)-1].backlog), r.mounts[0].pending, "%s: the rows' backlog is the live one", c.name)
		if cr := r.rowFold.cliffs[8]; c.cliffPeak > 0 || cr != nil {
			require.NotNil(t, cr, c.name)
			require.Equal(t, c.cliffPeak, peak(cr.backlog, 100), "%s: the cliff's peak backlog", c.name)
		}
	}
}

// A backlog is never negative, and it is the live count of leases not yet
// revoked nor irrevocable (revMount.pending, kept as the jobs go): over runs
// with failures, retries, irrevocable marks and daily passes that revoke
// them. A cliff's leases all wait at its instant, so its peak backlog is at
// least its leases over the mounts; a mount's peak is at least each of its
// seconds' backlogs. (Planted: the pre-fix fold, where a pass's revocation
// of a marked lease leaves the backlog a second time, fails it.)
func TestRevocationBacklogNeverNegative(t *testing.T) {
	for _, c := range []struct {
		name   string
		s      *scenarios.Scenario
		passes bool // some daily pass revoked a marked lease by the horizon
	}{
		{"default-max-cliff, 60% failures", failingCliff(t, "0.6"), true},
		{"default-max-cliff, 97% failures", failingCliff(t, "0.97"), true},
		{"jan-2024-replay, 30% failures", libraryWith(t, "jan-2024-replay", "      max_lease_ttl: 24h\n",
			"      max_lease_ttl: 24h\n      revoke: {latency: {p50: 30ms, p99: 80ms}, failure: 0.3}\n"), true},
		{"lease-own-cap, 90% failures and slow revokes, 1000h", libraryWith(t, "lease-own-cap", "horizon: 3d", "horizon: 1000h",
			"database: {default_lease_ttl: 1h, max_lease_ttl: 24h}",
			"database: {default_lease_ttl: 1h, max_lease_ttl: 24h, revoke: {latency: {p50: 300ms, p99: 3s}, failure: 0.9}}"), true},
		{"re-read fleet, 80% failures", standardScenario(t, "reread-fail.yaml", "horizon: 365d", "horizon: 4d", "replicas: 1000000", "replicas: 30",
			"max_ttl: 8760h}", "max_ttl: 5h}", "database: {default_lease_ttl: 1h, max_lease_ttl: 8760h}", revokeBlock("0.8")), true},
	} {
		e := New(c.s, Options{Budget: elideBudget, RecordLog: true})
		v := e.Run().Revocation
		require.NotNil(t, v, c.name)
		require.Positive(t, v.Irrevocable, "%s: leases were marked", c.name)
		passRevoked := 0
		last := map[string]int32{}
		peaks := map[string]int32{}
		for _, s := range v.Seconds {
			require.GreaterOrEqual(t, s.Backlog, int32(0), "%s: %s at %d", c.name, s.Mount, s.At)
			passRevoked += int(s.RevokedIrrevocable)
			last[s.Mount] = s.Backlog
			peaks[s.Mount] = max(peaks[s.Mount], s.Backlog)
		}
		require.Equal(t, c.passes, passRevoked > 0, "%s: daily passes revoked %d marked leases", c.name, passRevoked)
		for i, m := range v.Mounts {
			require.Equal(t, e.rev.mounts[i].pending, int(last[m.Mount]), "%s: %s's backlog at the end is the live count", c.name, m.Mount)
			require.GreaterOrEqual(t, m.PeakBacklog, int(peaks[m.Mount]), "%s: %s", c.name, m.Mount)
		}
		for _, cl := range v.Cliffs {
			require.GreaterOrEqual(t, cl.PeakBacklog*len(v.Mounts), cl.Leases, "%s: cliff at %d", c.name, cl.At)
		}
	}
}

// Three leases marked irrevocable in an outage and revoked by the first
// daily pass, then a cliff of two: the backlog by the second, end to end
// (the marks' seconds follow the backoff's jitter; the rest is exact), and
// the figures of the report. The first cliff's drain ends at its last mark
// whatever the horizon: a pass's revocation is exposure, not drain.
// (Planted: the pre-fix fold fails the rows and the second cliff's peak;
// a drain to the pass's revocation fails the drain.)
func TestRevocationPassKeepsBacklog(t *testing.T) {
	src := `name: rev-pass
description: Three leases marked irrevocable in an outage, revoked by the daily pass; then a cliff of two.
start: 2024-01-01T00:00:00Z
horizon: 26h
seed: 1
backend:
  mounts:
    database:
      revoke: {latency: {p50: 1s}}
roles:
  app-db: {mount: database, default_ttl: 48h, max_ttl: 48h}
actors:
  broker: {token: {ttl: 1h, explicit_max_ttl: 1h}, renew: none}
  svc: {via: broker, credential: app-db, replicas: 3}
  broker2: {token: {ttl: 25h, explicit_max_ttl: 25h}, renew: none}
  svc2: {via: broker2, credential: app-db, replicas: 2}
events:
  - {at: 0s, do: database-outage, mount: database, until: 10h}
`
	v := New(revScenario(t, src), Options{RecordLog: true}).Run().Revocation
	// The backlog at the end of second sec: the last row's at or before it.
	backlog := func(sec model.Instant) int32 {
		b := int32(0)
		for _, s := range v.Seconds {
			if s.At <= sec {
				b = s.Backlog
			}
		}
		return b
	}
	// Attempts fail from 1h (1 s each); six take at most 6 s + 1.5 × 620 s
	// of backoff, so all three are marked by 1h15m36s. The pass at 24h
	// revokes them at 24h+1s, +2s, +3s; the cliff at 25h is revoked at +1s.
	for _, w := range []struct {
		sec  model.Instant
		want int32
	}{{3599, 0}, {3600, 3}, {3601, 3}, {3600 + 936, 0}, {86400, 0}, {86401, 0}, {86402, 0}, {86403, 0}, {89999, 0}, {90000, 2}, {90001, 0}} {
		require.Equal(t, w.want, backlog(w.sec), "second %d", w.sec)
	}
	prev := int32(3)
	for _, s := range v.Seconds {
		if s.At > 3600 && s.At <= 3600+936 {
			require.LessOrEqual(t, s.Backlog, prev, "marks only take leases out")
			prev = s.Backlog
		}
	}
	require.Equal(t, 5, v.Revoked)
	require.Equal(t, 3, v.Irrevocable)
	require.Equal(t, 3, v.Mounts[0].PeakBacklog)
	require.Len(t, v.Cliffs, 2)
	require.Equal(t, [2]int{3, 2}, [2]int{v.Cliffs[0].PeakBacklog, v.Cliffs[1].PeakBacklog})
	first := v.Cliffs[0]
	require.True(t, first.Drained)
	require.LessOrEqual(t, first.Drain, model.Millis(936_000))
	require.Equal(t, model.Millis(23*3600_000+3_000), first.Exposure.P99, "usable in the database until the pass")
	short := New(revScenario(t, strings.Replace(src, "horizon: 26h", "horizon: 20h", 1)), Options{}).Run().Revocation
	require.Equal(t, first.Drain, short.Cliffs[0].Drain, "the drain is the same before the pass")
	require.Equal(t, first.PeakBacklog, short.Cliffs[0].PeakBacklog)
}
