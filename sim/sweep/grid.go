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
// shard, a re-run or a merge all agree on it. Nothing enumerates the whole
// grid: its size is a checked product, a point is decoded from its index,
// and a shard walks its own indices. Every point is one single-threaded,
// deterministic run; points run in parallel and results are collected by
// index, so output never depends on scheduling.
package sweep

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
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

// Seeds are a sweep's seeds, never materialised: 1…Range (--seeds N), or
// List (--set seed=…, or the scenario's own seed).
type Seeds struct {
	Range int      // > 0: the seeds 1…Range
	List  []uint64 // used when Range is 0
}

// Len is the number of seeds.
func (s Seeds) Len() int {
	if s.Range > 0 {
		return s.Range
	}
	return len(s.List)
}

// At is seed i, for 0 ≤ i < Len.
func (s Seeds) At(i int) uint64 {
	if s.Range > 0 {
		return uint64(i) + 1
	}
	return s.List[i]
}

// String is the seeds as a CSV header records them: "1..10" or "7,42".
func (s Seeds) String() string {
	if s.Range > 0 {
		return "1.." + strconv.Itoa(s.Range)
	}
	parts := make([]string, len(s.List))
	for i, v := range s.List {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(parts, ",")
}

// ParseSeeds reads what Seeds.String writes.
func ParseSeeds(v string) (Seeds, error) {
	if n, ok := strings.CutPrefix(v, "1.."); ok {
		r, err := strconv.Atoi(n)
		if err != nil || r < 1 {
			return Seeds{}, fmt.Errorf("seeds %q: want 1..N with N ≥ 1, or a list of seeds", v)
		}
		return Seeds{Range: r}, nil
	}
	var s Seeds
	for part := range strings.SplitSeq(v, ",") {
		u, err := strconv.ParseUint(part, 10, 64)
		if err != nil {
			return Seeds{}, fmt.Errorf("seeds %q: want 1..N, or a comma-separated list of seeds", v)
		}
		s.List = append(s.List, u)
	}
	return s, nil
}

func (s Seeds) equal(o Seeds) bool { return s.String() == o.String() }

// Grid is the points of a sweep: its parameters' values × its seeds.
type Grid struct {
	Params []Param // without the seed
	Seeds  Seeds
	combos int // settings combinations
	size   int // points
}

// ErrGridOverflow is the error of a grid with more points than an int
// counts: no budget could allow it.
var ErrGridOverflow = errors.New("the grid has more points than can be counted")

// NewGrid checks the grid's size — the product of the value counts and the
// seed count — for overflow before anything is allocated.
func NewGrid(params []Param, seeds Seeds) (Grid, error) {
	g := Grid{Params: params, Seeds: seeds, combos: 1}
	var ok bool
	for _, p := range params {
		if g.combos, ok = mul(g.combos, len(p.Values)); !ok {
			return Grid{}, fmt.Errorf("%w (%s): sweep fewer values", ErrGridOverflow, g.describe())
		}
	}
	if g.size, ok = mul(g.combos, max(seeds.Len(), 1)); !ok {
		return Grid{}, fmt.Errorf("%w (%s): sweep fewer values or seeds", ErrGridOverflow, g.describe())
	}
	return g, nil
}

// mul is a·b for a, b ≥ 0, and false when it exceeds math.MaxInt.
func mul(a, b int) (int, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt {
		return 0, false
	}
	return int(lo), true
}

// describe is the grid's shape: "roles.x: 3 × horizon: 2 × seeds: 10".
func (g Grid) describe() string {
	parts := make([]string, 0, len(g.Params)+1)
	for _, p := range g.Params {
		parts = append(parts, fmt.Sprintf("%s: %d", p.Path, len(p.Values)))
	}
	return strings.Join(append(parts, fmt.Sprintf("seeds: %d", g.Seeds.Len())), " × ")
}

// Size is the number of points.
func (g Grid) Size() int { return g.size }

// Combos is the number of settings combinations.
func (g Grid) Combos() int { return g.combos }

// Paths lists the swept paths in order: the CSV's parameter columns.
func (g Grid) Paths() []string {
	out := make([]string, len(g.Params))
	for i, p := range g.Params {
		out[i] = p.Path
	}
	return out
}

// Point is one cell of the grid.
type Point struct {
	Index  int
	Combo  int      // the settings combination: Index / seeds
	Values []string // one per parameter, in parameter order
	Seed   uint64
}

// Point decodes point i, 0 ≤ i < Size.
func (g Grid) Point(i int) Point {
	n := max(g.Seeds.Len(), 1)
	c, s := i/n, i%n
	p := Point{Index: i, Combo: c, Values: make([]string, len(g.Params))}
	for j := len(g.Params) - 1; j >= 0; j-- { // the first parameter is the most significant digit
		vs := g.Params[j].Values
		p.Values[j] = vs[c%len(vs)]
		c /= len(vs)
	}
	p.Seed = g.Seeds.At(s)
	return p
}

func (g Grid) equal(o Grid) bool {
	if len(g.Params) != len(o.Params) || !g.Seeds.equal(o.Seeds) {
		return false
	}
	for i, p := range g.Params {
		q := o.Params[i]
		if p.Path != q.Path || strings.Join(p.Values, "\x00") != strings.Join(q.Values, "\x00") {
			return false
		}
	}
	return true
}

// Shard selects a slice of the grid: point i belongs to shard K of N when
// i mod N = K−1 (shards are numbered from 1). Round-robin rather than
// contiguous blocks, so that every shard gets a share of each setting —
// expensive settings do not all land on one machine — and shards differ in
// size by at most one point. The zero Shard is the whole grid, as is 1/1.
type Shard struct {
	K, N int
}

// ParseShard reads "K/N" with 1 ≤ K ≤ N.
func ParseShard(s string) (Shard, error) {
	const want = "want K/N with 1 ≤ K ≤ N, e.g. --shard 2/3 (shards are numbered from 1), or --shard auto in a Kubernetes Indexed Job or a Slurm array"
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

// Count is the number of the shard's points in a grid of size points.
func (sh Shard) Count(size int) int {
	if sh.Whole() {
		return size
	}
	if size < sh.K {
		return 0
	}
	return (size-sh.K)/sh.N + 1
}

// Index is the grid index of the shard's pos-th point (from 0).
func (sh Shard) Index(pos int) int {
	if sh.Whole() {
		return pos
	}
	return sh.K - 1 + pos*sh.N
}

// String renders the shard as "K/N"; the whole grid is "1/1".
func (sh Shard) String() string {
	if sh.Whole() {
		return "1/1"
	}
	return fmt.Sprintf("%d/%d", sh.K, sh.N)
}
