package sim

import (
	"cmp"
	"slices"

	"github.com/leasesim/leasesim/model"
)

// Revocation is what the expiration manager's work did over the run
// (docs/revocation.md). Nil in a Result when the scenario keeps the
// instant model.
type Revocation struct {
	Workers        int
	RequestTimeout model.Millis

	Leases      int // leases that ended for Vault: revocation jobs
	Revoked     int // gone from the database by the horizon
	Usable      int // still usable in the database at the horizon (queued, retrying or irrevocable)
	Irrevocable int // marked irrevocable at some point
	StillIrrev  int // irrevocable and not revoked at the horizon
	Attempts    int
	Failures    int
	Retries     int // attempts after the first, including the daily passes'

	// Exposure window = revocation instant − expiry instant, over every
	// lease that ended; a lease still usable at the horizon counts with
	// horizon − expiry (a lower bound).
	Exposure ExposureStats
	// Longest is the lease with the longest exposure window.
	Longest LeaseExposure

	Mounts []MountLoad
	Cliffs []RevocationCliff
	// Seconds is the work per second and mount (Instant order, then mount):
	// what events.jsonl records and the chart draws.
	Seconds []RevocationSecond
}

// ExposureStats is a distribution of exposure windows in milliseconds.
type ExposureStats struct {
	P50, P99, Max model.Millis
}

// LeaseExposure is one lease's two instants.
type LeaseExposure struct {
	Lease     string
	Mount     string
	ExpiredAt model.Instant
	Window    model.Millis
	Revoked   bool
}

// MountLoad is what one mount's database saw.
type MountLoad struct {
	Mount       string
	Leases      int
	PeakPerSec  int // most revoke attempts started or retried in one second
	PeakAt      model.Instant
	PeakBacklog int // most leases waiting at once (at a second's start: leases arrive only then)
	StillUsable int
	Irrevocable int
	Longest     LeaseExposure // the mount's lease with the longest exposure window
}

// RevocationCliff is the revocation work of one cliff: the leases it ended
// at its instant, and how long the database took to see them gone.
type RevocationCliff struct {
	At          model.Instant
	Leases      int
	Drained     bool         // every one revoked (or marked irrevocable) by the horizon
	Drain       model.Millis // from the cliff to the last one revoked or marked irrevocable
	PeakPerSec  int
	PeakBacklog int // most leases waiting at once (at a second's start: leases arrive only then)
	Retries     int
	Irrevocable int
	Exposure    ExposureStats
}

// RevocationSecond is one second of one mount's revocation work.
type RevocationSecond struct {
	At          model.Instant
	Mount       string
	Attempts    int
	Failures    int
	Revoked     int
	Irrevocable int
	Backlog     int // jobs of the mount not yet revoked nor irrevocable at the end of the second
}

// summary computes the run's revocation outputs at end.
func (r *revoker) summary(e *Engine, end model.Instant) *Revocation {
	endMs := ms(end)
	out := &Revocation{Workers: r.cfg.Workers, RequestTimeout: r.cfg.RequestTimeout, Leases: r.jobs.len()}
	windows := make([]model.Millis, 0, r.jobs.len())
	loads := make([]MountLoad, len(r.mounts))
	for i := range r.mounts {
		loads[i].Mount = r.mounts[i].path
	}
	// Per-second activity, in time order, with each mount's backlog; jobs
	// arrive at whole seconds: their backlog steps come from arrivals too.
	backlog := make([]int, len(r.mounts))
	rows := r.rows(end)
	if len(rows) > 0 { // nil when none, as before
		out.Seconds = make([]RevocationSecond, 0, len(rows))
	}
	for _, k := range rows {
		s := &k.revSecond
		backlog[k.mount] += k.arrivals - s.Revoked - s.Irrevocable
		l := &loads[k.mount]
		if s.Attempts > l.PeakPerSec {
			l.PeakPerSec, l.PeakAt = s.Attempts, model.Instant(k.sec)
		}
		// Leases arrive only at whole seconds, so a second's highest backlog
		// is at its start: what is left at its end plus what it revoked or marked.
		l.PeakBacklog = max(l.PeakBacklog, backlog[k.mount]+s.Revoked+s.Irrevocable)
		out.Attempts += s.Attempts
		out.Failures += s.Failures
		out.Seconds = append(out.Seconds, RevocationSecond{At: model.Instant(k.sec), Mount: r.mounts[k.mount].path,
			Attempts: s.Attempts, Failures: s.Failures, Revoked: s.Revoked, Irrevocable: s.Irrevocable, Backlog: backlog[k.mount]})
	}
	out.Retries = out.Attempts - r.jobs.len()
	r.jobs.each(func(i int, j revJob) {
		l := &loads[j.mount]
		l.Leases++
		revoked := j.revokedAt >= 0 && j.revokedAt <= endMs
		w := endMs - j.expiredAt
		if revoked {
			out.Revoked++
			w = j.revokedAt - j.expiredAt
		} else {
			out.Usable++
			l.StillUsable++
		}
		if j.markedAt >= 0 && j.markedAt <= endMs {
			out.Irrevocable++
			l.Irrevocable++
			if !revoked {
				out.StillIrrev++
			}
		}
		windows = append(windows, w)
		if l.Leases == 1 || w > l.Longest.Window {
			l.Longest = LeaseExposure{Lease: e.EntityID(j.lease), Mount: r.mounts[j.mount].path,
				ExpiredAt: model.Instant(j.expiredAt / 1000), Window: w, Revoked: revoked}
		}
		if i == 0 || w > out.Longest.Window {
			out.Longest = l.Longest
		}
	})
	out.Exposure = exposureStats(windows)
	out.Mounts = loads
	out.Cliffs = r.cliffs(e, end, out.Seconds)
	return out
}

// exposureStats gives the nearest-rank percentiles of ws (sorted in place).
func exposureStats(ws []model.Millis) ExposureStats {
	if len(ws) == 0 {
		return ExposureStats{}
	}
	slices.Sort(ws)
	rank := func(p float64) model.Millis {
		i := int(float64(len(ws))*p+0.999999999) - 1
		return ws[min(max(i, 0), len(ws)-1)]
	}
	return ExposureStats{P50: rank(0.5), P99: rank(0.99), Max: ws[len(ws)-1]}
}

// cliffs sums the revocation work of the leases each engine cliff ended.
func (r *revoker) cliffs(e *Engine, end model.Instant, secs []RevocationSecond) []RevocationCliff {
	endMs := ms(end)
	cs := e.cliffs.cliffs()
	// One pass over the jobs: each cliff's leases, in job order (a run of
	// 1 s TTLs has a cliff a second and a job per lease).
	byAt := make(map[model.Millis][]int, len(cs))
	for _, c := range cs {
		byAt[ms(c.At)] = nil
	}
	r.jobs.each(func(i int, j revJob) {
		if l, ok := byAt[j.expiredAt]; ok {
			byAt[j.expiredAt] = append(l, i)
		}
	})
	var out []RevocationCliff
	for _, c := range cs {
		rc := RevocationCliff{At: c.At, Drained: true}
		var ws []model.Millis
		for _, i := range byAt[ms(c.At)] {
			j := r.jobs.job(i)
			rc.Leases++
			rc.Retries += int(j.attempts) - 1
			last := j.revokedAt
			if j.markedAt >= 0 && j.markedAt <= endMs {
				rc.Irrevocable++
				if last < 0 || last > endMs {
					last = j.markedAt
				}
			}
			if last < 0 || last > endMs {
				rc.Drained = false
				last = endMs
			}
			rc.Drain = max(rc.Drain, last-j.expiredAt)
			w := endMs - j.expiredAt
			if j.revokedAt >= 0 && j.revokedAt <= endMs {
				w = j.revokedAt - j.expiredAt
			}
			ws = append(ws, w)
		}
		if rc.Leases == 0 {
			continue
		}
		rc.Exposure = exposureStats(ws)
		to := c.At + model.Instant((rc.Drain+999)/1000)
		// secs is in time order: the first second at or after the cliff.
		from, _ := slices.BinarySearchFunc(secs, c.At, func(s RevocationSecond, t model.Instant) int { return cmp.Compare(s.At, t) })
		for _, s := range secs[from:] {
			if s.At > to {
				break
			}
			rc.PeakPerSec = max(rc.PeakPerSec, s.Attempts)
			rc.PeakBacklog = max(rc.PeakBacklog, s.Backlog+s.Revoked+s.Irrevocable) // at the second's start
		}
		out = append(out, rc)
	}
	return out
}
