package sim

import (
	"slices"

	"github.com/leasesim/leasesim/model"
)

// perSecond is one mount's values per second, in time order. The
// revoker's clock only advances, so the second asked for is nearly always
// the last one or a new one after it; a daily pass runs ahead of the clock
// (its attempts follow one another) and what comes after it may land
// behind: those are found by binary search. Two pointer-free slices, not a
// map of pointers: a fleet re-read at its caps for a year ends leases in
// a million different seconds.
type perSecond[T any] struct {
	secs []int64
	vals []T
}

// at is second sec's value, added if new.
func (s *perSecond[T]) at(sec int64) *T {
	n := len(s.secs)
	switch {
	case n > 0 && s.secs[n-1] == sec:
		return &s.vals[n-1]
	case n == 0 || s.secs[n-1] < sec:
		var zero T
		s.secs, s.vals = append(s.secs, sec), append(s.vals, zero)
		return &s.vals[n]
	}
	i, found := slices.BinarySearch(s.secs, sec)
	if !found {
		var zero T
		s.secs, s.vals = slices.Insert(s.secs, i, sec), slices.Insert(s.vals, i, zero)
	}
	return &s.vals[i]
}

// second is the activity of mount's second holding t.
func (r *revoker) second(t model.Millis, mount int) *revSecond {
	for len(r.secs) <= mount {
		r.secs = append(r.secs, perSecond[revSecond]{})
	}
	return r.secs[mount].at(int64(t / 1000))
}

// rowFold folds the per-second rows in time order once they are final
// (before the revoker's clock's second: every later write is at or after
// it) and drops them: what the summary needs of them is running values —
// the totals, each mount's backlog and peaks, and each cliff's peaks
// since its instant. The rows themselves are kept, as Revocation.Seconds,
// only for an event log (keep): events.jsonl lists them. A streamed log
// with a spill file has them written there instead (revocation_spill.go).
type rowFold struct {
	keep     bool
	spill    *rowSpill
	seconds  []RevocationSecond
	mounts   []mountRows
	attempts int
	failures int
	cliffs   map[model.Instant]*cliffRows // by cliff instant
	open     []*cliffRows                 // cliffs whose peaks may still grow
}

type mountRows struct {
	backlog, peakPerSec, peakBacklog int
	peakAt                           model.Instant
}

// cliffRows is a cliff's peaks over the seconds from its instant: each
// as steps (the second it grew, its value), so that the peak up to the
// second its drain ends, known at the summary, is the last step by then.
type cliffRows struct {
	at      model.Instant
	jobs    int // the leases ended at its instant: every one is its
	perSec  []rowStep
	backlog []rowStep
}

type rowStep struct {
	sec int64
	v   int
}

// addStep notes v at second sec if it is a new peak (peaks start at 0).
func addStep(steps []rowStep, sec int64, v int) []rowStep {
	if v > 0 && (len(steps) == 0 || v > steps[len(steps)-1].v) {
		return append(steps, rowStep{sec, v})
	}
	return steps
}

// peak is the highest value of steps up to second to.
func peak(steps []rowStep, to int64) int {
	v := 0
	for _, s := range steps {
		if s.sec > to {
			break
		}
		v = s.v
	}
	return v
}

// foldRows folds the rows of the seconds before bound, by second then
// mount, and drops them.
func (r *revoker) foldRows(bound int64) {
	f := &r.rowFold
	for len(f.mounts) < len(r.mounts) {
		f.mounts = append(f.mounts, mountRows{})
	}
	due := false
	for m := range r.secs {
		due = due || len(r.secs[m].secs) > 0 && r.secs[m].secs[0] < bound
	}
	if !due {
		return
	}
	next := make([]int, len(r.secs))
	for {
		sec := int64(-1)
		for m := range r.secs {
			if a := &r.secs[m]; next[m] < len(a.secs) && (sec < 0 || a.secs[next[m]] < sec) {
				sec = a.secs[next[m]]
			}
		}
		if sec < 0 || sec >= bound {
			break
		}
		if r.isCliff(model.Instant(sec)) {
			c := &cliffRows{at: model.Instant(sec)}
			for m := range r.secs {
				if a := &r.secs[m]; next[m] < len(a.secs) && a.secs[next[m]] == sec {
					c.jobs += int(a.vals[next[m]].arrivals)
				}
			}
			if f.cliffs == nil {
				f.cliffs = map[model.Instant]*cliffRows{}
			}
			f.cliffs[c.at] = c
			f.open = append(f.open, c)
		}
		for m := range r.secs {
			if a := &r.secs[m]; next[m] < len(a.secs) && a.secs[next[m]] == sec {
				r.foldRow(sec, m, &a.vals[next[m]])
				next[m]++
			}
		}
		// A cliff whose leases are all revoked has its drain: its peaks
		// end with that second.
		f.open = slices.DeleteFunc(f.open, func(c *cliffRows) bool {
			d := r.sum.cliffs[ms(c.at)]
			return d != nil && d.leases == c.jobs && sec >= int64(c.at)+int64((d.drain+999)/1000)
		})
	}
	for m := range r.secs {
		if a := &r.secs[m]; next[m] > 0 {
			a.secs, a.vals = a.secs[next[m]:], a.vals[next[m]:]
		}
	}
}

// foldRow folds mount m's second sec.
func (r *revoker) foldRow(sec int64, m int, s *revSecond) {
	f := &r.rowFold
	l := &f.mounts[m]
	// Leases arrive only at whole seconds, so a second's highest backlog
	// is at its start. A lease leaves the backlog once, when revoked from
	// the queue or marked irrevocable; a daily pass's later revocation of
	// it is not a second departure (a backlog is never negative).
	start := l.backlog + int(s.arrivals)
	l.backlog = start - int(s.Revoked-s.RevokedIrrevocable+s.Irrevocable)
	if int(s.Attempts) > l.peakPerSec {
		l.peakPerSec, l.peakAt = int(s.Attempts), model.Instant(sec)
	}
	l.peakBacklog = max(l.peakBacklog, start)
	f.attempts += int(s.Attempts)
	f.failures += int(s.Failures)
	for _, c := range f.open {
		c.perSec = addStep(c.perSec, sec, int(s.Attempts))
		c.backlog = addStep(c.backlog, sec, start)
	}
	if f.keep {
		row := RevocationSecond{At: model.Instant(sec), Mount: r.mounts[m].path, Ended: s.arrivals,
			Attempts: s.Attempts, Failures: s.Failures, Revoked: s.Revoked, RevokedIrrevocable: s.RevokedIrrevocable,
			Irrevocable: s.Irrevocable, Backlog: int32(l.backlog)}
		if f.spill != nil {
			f.spill.add(row)
		} else {
			f.seconds = append(f.seconds, row)
		}
	}
}
