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

// revSecRow is one second of one mount in the summary: its activity and
// the jobs that arrived in it.
type revSecRow struct {
	sec      int64
	mount    int
	arrivals int
	revSecond
}

// rows is every second up to end in which a mount had activity or jobs
// arrived, in time order, then mount order.
func (r *revoker) rows(end model.Instant) []revSecRow {
	arrivals := make([]perSecond[int], len(r.mounts))
	r.jobs.each(func(_ int, j revJob) {
		*arrivals[j.mount].at(int64(j.expiredAt / 1000))++
	})
	per := make([][]revSecRow, len(r.mounts))
	total := 0
	for m := range per {
		var a perSecond[revSecond]
		if m < len(r.secs) {
			a = r.secs[m]
		}
		b := arrivals[m]
		per[m] = make([]revSecRow, 0, len(a.secs)+len(b.secs))
		for len(a.secs) > 0 || len(b.secs) > 0 {
			row := revSecRow{mount: m}
			takeA := len(b.secs) == 0 || len(a.secs) > 0 && a.secs[0] <= b.secs[0]
			takeB := len(a.secs) == 0 || len(b.secs) > 0 && b.secs[0] <= a.secs[0]
			if takeA {
				row.sec, row.revSecond = a.secs[0], a.vals[0]
				a.secs, a.vals = a.secs[1:], a.vals[1:]
			}
			if takeB {
				row.sec, row.arrivals = b.secs[0], b.vals[0]
				b.secs, b.vals = b.secs[1:], b.vals[1:]
			}
			if row.sec > int64(end) {
				break // both lists are in time order
			}
			per[m] = append(per[m], row)
		}
		total += len(per[m])
	}
	// The mounts' lists merged: by second, then mount.
	rows := make([]revSecRow, 0, total)
	for len(rows) < total {
		best := -1
		for m := range per {
			if len(per[m]) > 0 && (best < 0 || per[m][0].sec < per[best][0].sec) {
				best = m
			}
		}
		rows = append(rows, per[best][0])
		per[best] = per[best][1:]
	}
	return rows
}
