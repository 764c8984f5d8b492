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
	sec   int64
	mount int
	revSecond
}

// eachRow calls f with every second up to end in which a mount had
// activity or jobs arrived, in time order, then mount order, and returns
// how many there were: a merge of the mounts' lists, none copied.
func (r *revoker) eachRow(end model.Instant, f func(revSecRow)) int {
	at := make([]int, len(r.secs)) // each mount's next second
	for n := 0; ; n++ {
		best := -1
		for m, a := range r.secs {
			if at[m] < len(a.secs) && a.secs[at[m]] <= int64(end) && (best < 0 || a.secs[at[m]] < r.secs[best].secs[at[best]]) {
				best = m
			}
		}
		if best < 0 {
			return n
		}
		a := &r.secs[best]
		f(revSecRow{sec: a.secs[at[best]], mount: best, revSecond: a.vals[at[best]]})
		at[best]++
	}
}
