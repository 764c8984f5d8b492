package sim

import "slices"

// push appends v to s, doubling s's room when it is full. append grows a
// large slice by a quarter at a time: a fleet re-reading a million
// credentials in one hour grows the entity and lease arrays by a million,
// which append's steps copy over four times (and leave as garbage).
func push[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		s = slices.Grow(s, max(len(s), 64))
	}
	return append(s, v)
}
