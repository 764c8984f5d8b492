package sim

import "github.com/leasesim/leasesim/model"

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
	// what events.jsonl records and the chart draws. Only a run that keeps
	// or writes its log (Options.RecordLog, LogTo) has them, and not one
	// that spills them to a file (LogSpill); the peaks above are folded
	// from them as the run goes (revocation_seconds.go).
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
	Drain       model.Millis // from the cliff to the last one revoked or marked irrevocable (its mark if both)
	PeakPerSec  int
	PeakBacklog int // most leases waiting at once (at a second's start: leases arrive only then)
	Retries     int
	Irrevocable int
	Exposure    ExposureStats
}

// RevocationSecond is one second of one mount's revocation work.
// 56 bytes: a fleet re-read at its caps has a row a lease (kept only for
// a log kept in memory: a streamed log spills them, revocation_spill.go).
type RevocationSecond struct {
	At    model.Instant
	Mount string
	// Ended is the leases that ended for Vault in that second: they join
	// the backlog at its start, so the second's peak backlog is the
	// previous Backlog plus Ended (the report's "peak backlog").
	Ended    int32
	Attempts int32
	Failures int32
	Revoked  int32
	// RevokedIrrevocable is, of Revoked, the leases a daily pass revoked:
	// marked irrevocable before, they left Backlog then (not in events.jsonl).
	RevokedIrrevocable int32
	Irrevocable        int32 // marked in that second
	Backlog            int32 // jobs of the mount not yet revoked nor irrevocable at the end of the second
}

// summary computes the run's revocation outputs at end: the jobs folded
// as they were revoked (revocation_fold.go) and the jobs still pending.
func (r *revoker) summary(e *Engine, end model.Instant) *Revocation {
	endMs := ms(end)
	f := &r.sum
	out := &Revocation{Workers: r.cfg.Workers, RequestTimeout: r.cfg.RequestTimeout, Leases: r.jobs.len(),
		Revoked: f.revoked, Irrevocable: f.irrevocable}
	loads := make([]MountLoad, len(r.mounts))
	longest := make([]revLongest, len(r.mounts))
	for i := range r.mounts {
		loads[i].Mount = r.mounts[i].path
		if i < len(f.mounts) {
			m := &f.mounts[i]
			loads[i].Leases, loads[i].Irrevocable, longest[i] = m.leases, m.irrevocable, m.longest
		}
	}
	// The seconds not folded yet, up to the end.
	r.foldRows(int64(end) + 1)
	rf := &r.rowFold
	for m := range loads {
		if m < len(rf.mounts) {
			l := &rf.mounts[m]
			loads[m].PeakPerSec, loads[m].PeakAt, loads[m].PeakBacklog = l.peakPerSec, l.peakAt, l.peakBacklog
		}
	}
	out.Attempts, out.Failures, out.Seconds = rf.attempts, rf.failures, rf.seconds
	out.Retries = out.Attempts - r.jobs.len()

	// The cliffs: the jobs folded at each cliff's instant, then the rest.
	cs := e.cliffs.cliffs(e)
	byAt := make(map[model.Millis]*cliffFold, len(cs))
	for _, c := range cs {
		at := ms(c.At)
		if fc := f.cliffs[at]; fc != nil {
			byAt[at] = fc.clone()
		} else {
			byAt[at] = &cliffFold{drained: true}
		}
	}
	toCliff := func(j cliffJob) {
		if c := byAt[j.expiredAt]; c != nil {
			c.add(j)
		}
	}
	for _, j := range f.later { // folded while their second went on
		toCliff(j)
	}

	// The jobs still pending (queued, retrying, irrevocable, or revoked by
	// a daily pass after the end).
	windows := f.windows.clone()
	run := f.longest
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
		marked := j.markedAt >= 0 && j.markedAt <= endMs
		if marked {
			out.Irrevocable++
			l.Irrevocable++
			if !revoked {
				out.StillIrrev++
			}
		}
		windows.add(w)
		r.offerLongest(&longest[j.mount], &run, i, &j, w, revoked)
		last := j.revokedAt
		if marked { // its drain ended at its mark, whatever a pass did after
			last = j.markedAt
		}
		pending := !revoked && !marked
		if pending {
			last = endMs
		}
		toCliff(cliffJob{expiredAt: j.expiredAt, last: last, window: w, attempts: int(j.attempts), marked: marked, pending: pending})
	})
	out.Exposure = windows.stats()
	out.Longest = run.LeaseExposure
	for i := range loads {
		loads[i].Longest = longest[i].LeaseExposure
	}
	out.Mounts = loads
	out.Cliffs = cliffs(cs, byAt, rf.cliffs)
	return out
}

// cliffs is the revocation work of each engine cliff: the jobs that ended
// at its instant (byAt), and the peaks of the seconds it took to drain.
func cliffs(cs []Cliff, byAt map[model.Millis]*cliffFold, rows map[model.Instant]*cliffRows) []RevocationCliff {
	var out []RevocationCliff
	for _, c := range cs {
		f := byAt[ms(c.At)]
		if f.leases == 0 {
			continue
		}
		rc := RevocationCliff{At: c.At, Leases: f.leases, Drained: f.drained, Drain: f.drain, Retries: f.retries,
			Irrevocable: f.irrevocable, Exposure: f.windows.stats()}
		if cr := rows[c.At]; cr != nil { // the seconds from the cliff to its last revocation
			to := int64(c.At) + int64((rc.Drain+999)/1000)
			rc.PeakPerSec, rc.PeakBacklog = peak(cr.perSec, to), peak(cr.backlog, to)
		}
		out = append(out, rc)
	}
	return out
}
