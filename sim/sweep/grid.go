// Package sweep runs a scenario over a grid of settings × seeds: the
// what-if machinery behind `leasesim sweep`.
//
// A sweep is the cartesian product of its parameters' values, in the order
// given (the first parameter varies slowest), times its seeds (fastest).
// Point i of the grid is
//
//	i = ((v₀·n₁ + v₁)·n₂ + … + vₖ)·nSeeds + s
//
// where vⱼ is the index of parameter j's value and s the index of the seed.
// That index is stable: it depends only on the parameters and seeds, so a
// shard, a re-run or a merge all agree on it. Every point is one
// single-threaded, deterministic run; points run in parallel and results
// are collected by index, so output never depends on scheduling.
package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// Param is one swept scenario field: its override path and the values it
// takes, as written on the command line ("24h", "0", "reauth").
type Param struct {
	Path   string
	Values []string
}

// SeedPath is the parameter path that lists the seeds explicitly
// (--set seed=7,42) instead of --seeds N.
const SeedPath = "seed"

// Point is one cell of the grid.
type Point struct {
	Index  int
	Values []string // one per parameter, in parameter order
	Seed   uint64
}

// Shard selects a slice of the grid: point i belongs to shard K of N when
// i mod N = K−1 (shards are numbered from 1). Round-robin rather than
// contiguous blocks, so that every shard gets a share of each setting —
// expensive settings do not all land on one machine — and shards differ in
// size by at most one point. The zero Shard is the whole grid.
type Shard struct {
	K, N int
}

// ParseShard reads "K/N" with 1 ≤ K ≤ N.
func ParseShard(s string) (Shard, error) {
	const want = "want K/N with 1 ≤ K ≤ N, e.g. --shard 2/3 (shards are numbered from 1; with a 0-based index such as JOB_COMPLETION_INDEX write $((JOB_COMPLETION_INDEX+1))/N)"
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	switch {
	case !ok || err1 != nil || err2 != nil:
		return Shard{}, fmt.Errorf("invalid shard %q: %s", s, want)
	case n < 1:
		return Shard{}, fmt.Errorf("invalid shard %q: N must be at least 1; %s", s, want)
	case k < 1 || k > n:
		return Shard{}, fmt.Errorf("invalid shard %q: K must lie in 1…%d; %s", s, n, want)
	}
	return Shard{K: k, N: n}, nil
}

// Whole reports whether the shard is the whole grid.
func (sh Shard) Whole() bool { return sh.N <= 1 }

// Has reports whether point i belongs to the shard.
func (sh Shard) Has(i int) bool { return sh.Whole() || i%sh.N == sh.K-1 }

// Indices lists the shard's points of a grid of size points, in order.
func (sh Shard) Indices(points int) []int {
	if sh.Whole() {
		out := make([]int, points)
		for i := range out {
			out[i] = i
		}
		return out
	}
	var out []int
	for i := sh.K - 1; i < points; i += sh.N {
		out = append(out, i)
	}
	return out
}

// String renders the shard as "K/N", or "" for the whole grid.
func (sh Shard) String() string {
	if sh.Whole() {
		return ""
	}
	return fmt.Sprintf("%d/%d", sh.K, sh.N)
}

// combos is the number of settings combinations of params.
func combos(params []Param) int {
	n := 1
	for _, p := range params {
		n *= len(p.Values)
	}
	return n
}

// valueIndices decodes a combination index into each parameter's value
// index (the first parameter is the most significant digit).
func valueIndices(params []Param, c int) []int {
	idx := make([]int, len(params))
	for j := len(params) - 1; j >= 0; j-- {
		n := len(params[j].Values)
		idx[j] = c % n
		c /= n
	}
	return idx
}
