package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// perSecond keeps its seconds in time order whatever order they are asked
// in: in order (the revoker's clock), repeated, and behind the last one
// (what follows a daily pass that ran ahead of the clock).
func TestPerSecondInTimeOrder(t *testing.T) {
	for _, c := range []struct {
		name  string
		asked []int64
		secs  []int64
		count []int
	}{
		{"in order", []int64{1, 1, 2, 5, 5, 5}, []int64{1, 2, 5}, []int{2, 1, 3}},
		{"behind the last", []int64{10, 20, 15, 12, 20, 15}, []int64{10, 12, 15, 20}, []int{1, 1, 2, 2}},
		{"before the first", []int64{7, 3, 3, 9}, []int64{3, 7, 9}, []int{2, 1, 1}},
	} {
		var s perSecond[int]
		for _, sec := range c.asked {
			*s.at(sec)++
		}
		require.Equal(t, c.secs, s.secs, c.name)
		require.Equal(t, c.count, s.vals, c.name)
	}
}

// The rows are folded by second then mount once final, each mount's
// backlog counting its arrivals, and dropped; a cliff's peaks count from
// its instant; the rows after the end are not folded.
func TestRevokerFoldsRows(t *testing.T) {
	r := &revoker{mounts: []revMount{{path: "a"}, {path: "b"}}, isCliff: func(at model.Instant) bool { return at == 5 }}
	r.rowFold.keep = true
	r.second(5_000, 1).Attempts += 3
	r.second(2_500, 0).Revoked++
	r.second(9_000, 0).Attempts++ // after the end
	r.second(5_999, 0).Attempts++
	r.second(7_000, 1).Revoked += 2
	for _, a := range []struct {
		mount int
		at    model.Millis
	}{{0, 2_000}, {1, 2_000}, {1, 5_000}, {1, 5_000}} {
		r.second(a.at, a.mount).arrivals++
	}
	r.foldRows(6) // the seconds before 6
	require.Equal(t, []int64{9, 7}, append(r.secs[0].secs, r.secs[1].secs...), "the rest wait")
	r.foldRows(8 + 1)
	require.Equal(t, []RevocationSecond{
		{At: 2, Mount: "a", Ended: 1, Revoked: 1, Backlog: 0},
		{At: 2, Mount: "b", Ended: 1, Backlog: 1},
		{At: 5, Mount: "a", Attempts: 1},
		{At: 5, Mount: "b", Ended: 2, Attempts: 3, Backlog: 3},
		{At: 7, Mount: "b", Revoked: 2, Backlog: 1},
	}, r.rowFold.seconds)
	require.Equal(t, []mountRows{{peakPerSec: 1, peakAt: 5, peakBacklog: 1}, {backlog: 1, peakPerSec: 3, peakAt: 5, peakBacklog: 3}}, r.rowFold.mounts)
	require.Equal(t, 4, r.rowFold.attempts)
	c := r.rowFold.cliffs[5]
	require.Equal(t, 2, c.jobs)
	require.Equal(t, 3, peak(c.perSec, 6), "the busiest second from the cliff's")
	require.Equal(t, 3, peak(c.backlog, 7))
	require.Equal(t, 3, peak(c.perSec, 5), "the cliff's own second: mount a's 1, then b's 3")
	require.Equal(t, 0, peak(c.perSec, 4))
}

// A cliff's peaks keep counting until its last lease is revoked, however
// long ago its drain so far ended. (Planted: closing it on the drain alone
// fails it.)
func TestRevokerCliffPeaksWaitForItsLastLease(t *testing.T) {
	r := &revoker{mounts: []revMount{{path: "a"}}, isCliff: func(at model.Instant) bool { return at == 5 }}
	r.second(5_000, 0).arrivals += 2
	r.second(5_000, 0).Attempts += 2
	r.second(5_100, 0).Revoked++
	r.second(6_000, 0).Attempts++
	r.sum.cliffs = map[model.Millis]*cliffFold{5_000: {leases: 1, drain: 100, drained: true}} // one of two revoked
	r.foldRows(7)
	r.second(8_000, 0).Attempts += 5 // the retry of the other
	r.second(8_500, 0).Revoked++
	r.sum.cliffs[5_000].leases, r.sum.cliffs[5_000].drain = 2, 3_500
	r.foldRows(10)
	require.Equal(t, 5, peak(r.rowFold.cliffs[5].perSec, 5+4))
}

// The peaks folded as the run goes are the ones a walk over every second
// finds (the summary before the rows were folded): each mount's busiest
// second and highest backlog, each cliff's over the seconds from its
// instant to its drain, the totals; and a run without a log reports the
// same as one with it, less the rows. Over runs with failures, retries,
// irrevocable leases and daily passes. (Planted: a cliff's peaks not
// counting the rows of its own second fails it.)
func TestRevokerRowPeaksAsAWalk(t *testing.T) {
	failing := func(name, f string) *scenarios.Scenario {
		return libraryWith(t, name, "      max_lease_ttl: 24h\n", "      max_lease_ttl: 24h\n      revoke: {latency: {p50: 30ms, p99: 80ms}, failure: "+f+"}\n")
	}
	for _, s := range []*scenarios.Scenario{
		failing("default-max-cliff", "0.6"), failing("jan-2024-replay", "0.3"), failing("default-max-cliff", "0.95"),
		load(t, "fleet-revocation-cliff"), load(t, "jan-2024-fixed"),
		standardScenario(t, "reread-fail.yaml", "horizon: 365d", "horizon: 4d", "replicas: 1000000", "replicas: 30",
			"max_ttl: 8760h}", "max_ttl: 5h}", "database: {default_lease_ttl: 1h, max_lease_ttl: 8760h}", revokeBlock("0.8")),
	} {
		logged := New(s, Options{Budget: elideBudget, RecordLog: true}).Run().Revocation
		bare := New(s, Options{Budget: elideBudget}).Run().Revocation
		require.NotEmpty(t, logged.Seconds, s.Name)
		require.Nil(t, bare.Seconds, s.Name)
		withRows := *logged
		withRows.Seconds = nil
		require.Equal(t, &withRows, bare, "%s: a log changes nothing else", s.Name)

		// The walk over every second, as the summary did it. A second's
		// backlog at its start: at its end plus the leases it took out
		// (revoked from the queue, or marked; not a pass's revocation).
		start := func(sec RevocationSecond) int {
			return int(sec.Backlog + sec.Revoked - sec.RevokedIrrevocable + sec.Irrevocable)
		}
		attempts, failures := 0, 0
		mounts := map[string]*MountLoad{}
		after := map[string]int32{}
		for _, sec := range logged.Seconds {
			// What the chart reads from events.jsonl: the backlog after
			// the mount's previous line plus the leases ended in this one.
			require.Equal(t, start(sec), int(after[sec.Mount]+sec.Ended), "%s: %s at %d", s.Name, sec.Mount, sec.At)
			after[sec.Mount] = sec.Backlog
			attempts += int(sec.Attempts)
			failures += int(sec.Failures)
			m := mounts[sec.Mount]
			if m == nil {
				m = &MountLoad{}
				mounts[sec.Mount] = m
			}
			if int(sec.Attempts) > m.PeakPerSec {
				m.PeakPerSec, m.PeakAt = int(sec.Attempts), sec.At
			}
			m.PeakBacklog = max(m.PeakBacklog, start(sec))
		}
		require.Equal(t, attempts, logged.Attempts, s.Name)
		require.Equal(t, failures, logged.Failures, s.Name)
		for _, m := range logged.Mounts {
			w := mounts[m.Mount]
			require.Equal(t, [3]int{w.PeakPerSec, int(w.PeakAt), w.PeakBacklog}, [3]int{m.PeakPerSec, int(m.PeakAt), m.PeakBacklog}, "%s: mount %s", s.Name, m.Mount)
		}
		for _, c := range logged.Cliffs {
			to := c.At + model.Instant((c.Drain+999)/1000)
			perSec, backlog := 0, 0
			for _, sec := range logged.Seconds {
				if sec.At >= c.At && sec.At <= to {
					perSec = max(perSec, int(sec.Attempts))
					backlog = max(backlog, start(sec))
				}
			}
			require.Equal(t, [2]int{perSec, backlog}, [2]int{c.PeakPerSec, c.PeakBacklog}, "%s: cliff at %d", s.Name, c.At)
		}
	}
}
