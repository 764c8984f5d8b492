package sim

import (
	"cmp"
	"maps"
	"slices"

	"github.com/leasesim/leasesim/model"
)

// revFold is what the summary needs of the jobs done for good (revoked by
// the clock), kept as running values: a job is folded here the moment it
// is revoked, the revoker tells the engine it is done with the lease
// (released) and the job's record is dropped with its block
// (revocation_jobs.go). The summary then adds the jobs still pending at
// the end. Memory follows the jobs pending, not every lease that ever
// ended (docs/revocation.md).
type revFold struct {
	revoked, irrevocable int
	windows              windowCounts // exposure windows
	mounts               []mountFold  // by mount index
	longest              revLongest
	// cliffs is the folded jobs of each expiry instant (ms) that is a
	// cliff's (Revocation.Cliffs: every job ended at its instant).
	cliffs map[model.Millis]*cliffFold
	// later is folded jobs whose expiry second is still going on: whether
	// it is a cliff's is known once it is over (open is the engine's
	// current second, in ms). Only a revoke of no time can be done by then.
	later []cliffJob
	open  model.Millis
	// late is jobs a daily pass revoked at an instant still ahead of the
	// clock (its attempts follow one another), by that instant: folded
	// once the clock reaches it, pending if the run ends before.
	late []int
}

type mountFold struct {
	leases, irrevocable int
	longest             revLongest
}

// revLongest is the longest exposure so far and its job: on equal windows
// the job queued first, as a walk over the jobs in order would keep.
type revLongest struct {
	set bool
	job int
	LeaseExposure
}

func (l *revLongest) beatenBy(j int, w model.Millis) bool {
	return !l.set || w > l.Window || (w == l.Window && j < l.job)
}

// cliffFold is the revocation work of one cliff instant's jobs.
type cliffFold struct {
	leases, retries, irrevocable int
	drain                        model.Millis
	drained                      bool
	windows                      windowCounts
}

// cliffJob is what a cliff needs of one job.
type cliffJob struct {
	expiredAt, last, window model.Millis
	attempts                int
	marked, pending         bool // pending: neither revoked nor irrevocable at the end
}

func (c *cliffFold) add(j cliffJob) {
	c.leases++
	c.retries += j.attempts - 1 // a job nobody took counts -1, as the summary always has
	if j.marked {
		c.irrevocable++
	}
	if j.pending {
		c.drained = false
	}
	c.drain = max(c.drain, j.last-j.expiredAt)
	c.windows.add(j.window)
}

func (c *cliffFold) clone() *cliffFold {
	d := *c
	d.windows = c.windows.clone()
	return &d
}

// windowCounts is a multiset of exposure windows: how many jobs had each
// window. Windows repeat (a fleet's revokes take tens of milliseconds), so
// it stays small however many jobs are folded.
type windowCounts struct {
	n int
	c map[model.Millis]int
}

func (w *windowCounts) add(v model.Millis) {
	if w.c == nil {
		w.c = map[model.Millis]int{}
	}
	w.c[v]++
	w.n++
}

func (w windowCounts) clone() windowCounts { return windowCounts{w.n, maps.Clone(w.c)} }

// stats gives the nearest-rank percentiles, as of the sorted windows.
func (w windowCounts) stats() ExposureStats {
	if w.n == 0 {
		return ExposureStats{}
	}
	vs := slices.Sorted(maps.Keys(w.c))
	rank := func(p float64) model.Millis {
		i := min(max(int(float64(w.n)*p+0.999999999)-1, 0), w.n-1)
		for _, v := range vs {
			if i -= w.c[v]; i < 0 {
				return v
			}
		}
		return vs[len(vs)-1]
	}
	return ExposureStats{P50: rank(0.5), P99: rank(0.99), Max: vs[len(vs)-1]}
}

// attach connects the revoker to the engine's entities: a lease's key for
// its random numbers, its id for the summary, and the cliff instants. Each
// is read only while the lease's job is pending (released).
func (r *revoker) attach(e *Engine) {
	r.keyOf = e.key
	r.nameOf = e.EntityID
	r.isCliff = e.cliffs.isCliff
	// events.jsonl lists every second's work: kept only for a run that
	// writes its log (streamLog) or keeps it.
	streams := e.opts.LogTo != nil && e.opts.LogLevel != LogNone
	r.rowFold.keep = e.opts.RecordLog || streams
	if streams && !e.opts.RecordLog && e.opts.LogSpill != nil {
		r.rowFold.spill = newRowSpill(e.opts.LogSpill, Clock{e.s.Start})
	}
}

// isCliff reports whether the ends at instant at (over) make a cliff.
func (t *cliffTracker) isCliff(at model.Instant) bool {
	i, _ := slices.BinarySearchFunc(t.all, at, func(c Cliff, at model.Instant) int { return cmp.Compare(c.At, at) })
	for ; i < len(t.all) && t.all[i].At == at; i++ {
		if t.all[i].isCliff() {
			return true
		}
	}
	return false
}

// fold folds job j, revoked by the clock, into the running summary and
// releases its lease: nothing reads the lease's entity after this.
func (r *revoker) fold(j int) {
	job := r.jobs.at(j)
	f := &r.sum
	for len(f.mounts) < len(r.mounts) {
		f.mounts = append(f.mounts, mountFold{})
	}
	w := job.revokedAt - job.expiredAt
	marked := job.markedAt >= 0
	m := &f.mounts[job.mount]
	f.revoked++
	m.leases++
	if marked {
		f.irrevocable++
		m.irrevocable++
	}
	f.windows.add(w)
	r.offerLongest(&m.longest, &f.longest, j, job, w, true)
	// A cliff's drain is over for a lease once revoked or marked, whichever
	// came first: a daily pass's revocation a day later is exposure, not drain.
	last := job.revokedAt
	if marked {
		last = job.markedAt
	}
	cj := cliffJob{expiredAt: job.expiredAt, last: last, window: w, attempts: int(job.attempts), marked: marked}
	if job.expiredAt < f.open {
		r.foldCliff(cj)
	} else {
		f.later = append(f.later, cj)
	}
	n := job.lease
	r.jobs.retire(j)
	if r.released != nil {
		r.released(n)
	}
}

// offerLongest makes job j the longest exposure of its mount and of the run
// where its window w beats theirs, naming its lease (read while pending).
func (r *revoker) offerLongest(mount, run *revLongest, j int, job *revJob, w model.Millis, revoked bool) {
	if !mount.beatenBy(j, w) && !run.beatenBy(j, w) {
		return
	}
	l := revLongest{set: true, job: j, LeaseExposure: LeaseExposure{Lease: r.nameOf(job.lease), Mount: r.mounts[job.mount].path,
		ExpiredAt: model.Instant(job.expiredAt / 1000), Window: w, Revoked: revoked}}
	if mount.beatenBy(j, w) {
		*mount = l
	}
	if run.beatenBy(j, w) {
		*run = l
	}
}

// foldCliff adds a folded job to its expiry instant's cliff, if a cliff's.
func (r *revoker) foldCliff(j cliffJob) {
	if !r.isCliff(model.Instant(j.expiredAt / 1000)) {
		return
	}
	f := &r.sum
	if f.cliffs == nil {
		f.cliffs = map[model.Millis]*cliffFold{}
	}
	c := f.cliffs[j.expiredAt]
	if c == nil {
		c = &cliffFold{drained: true}
		f.cliffs[j.expiredAt] = c
	}
	c.add(j)
}

// tick notes the engine's second t (ms): the jobs folded while an earlier
// second went on now know their cliff, and the seconds before the
// revoker's clock's are final.
func (r *revoker) tick(t model.Millis) {
	f := &r.sum
	if t <= f.open {
		return
	}
	f.open = t
	if len(f.later) > 0 {
		for _, j := range f.later {
			r.foldCliff(j)
		}
		f.later = f.later[:0]
	}
	r.foldRows(int64(r.now / 1000))
}

// revokedLate notes job j revoked by a daily pass at an instant ahead of
// the clock.
func (r *revoker) revokedLate(j int, at model.Millis) {
	f := &r.sum
	i, _ := slices.BinarySearchFunc(f.late, at, func(k int, at model.Millis) int { return cmp.Compare(r.jobs.at(k).revokedAt, at) })
	f.late = slices.Insert(f.late, i, j)
}

// foldLate folds the late revocations the clock has reached.
func (r *revoker) foldLate() {
	f := &r.sum
	k := 0
	for k < len(f.late) && r.jobs.at(f.late[k]).revokedAt <= r.now {
		r.fold(f.late[k])
		k++
	}
	if k > 0 {
		f.late = slices.Delete(f.late, 0, k)
	}
}
