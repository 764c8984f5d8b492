package sweep

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// The acceptance sweep: 3 max TTLs × 3 reactions to an exhausted
// token × 10 seeds of the seed incident, at its full 40-day horizon.
var cliffSpec = Spec{
	Scenario: "default-max-cliff",
	Params: []Param{
		{Path: "roles.broker.token_max_ttl", Values: []string{"0", "168h", "720h"}},
		{Path: "actors.broker.when_exhausted", Values: []string{"none", "reauth", "{reauth: {at: 0.5}}"}},
	},
	Seeds: 10,
}

// noisySpec is a sweep whose metrics depend on the seed: a 2h backend
// outage makes credentials expire, and recovery waits on jittered retries.
var noisySpec = Spec{
	Scenario: "default-max-cliff",
	Params: []Param{
		{Path: "events", Values: []string{"[{at: 10d, do: outage, until: 10d2h}]"}},
		{Path: "horizon", Values: []string{"12d"}},
		{Path: "annotations", Values: []string{"[]"}},
		{Path: "roles.app-db.default_ttl", Values: []string{"30m", "1h", "90m"}},
	},
	Seeds: 8,
}

var (
	cliffOnce sync.Once
	cliffCSV  []byte
	cliffTab  *Table
)

// cliffSweep runs cliffSpec once for every test that needs it.
func cliffSweep(t *testing.T) (*Table, []byte) {
	t.Helper()
	cliffOnce.Do(func() {
		sw, err := Prepare(cliffSpec)
		require.NoError(t, err)
		cliffTab, err = sw.Run(context.Background(), Options{})
		require.NoError(t, err)
		cliffCSV = csvOf(t, cliffTab)
	})
	require.NotNil(t, cliffTab)
	return cliffTab, cliffCSV
}

func csvOf(t *testing.T, tab *Table) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, tab.WriteCSV(&b))
	return b.Bytes()
}

func runSpec(t *testing.T, spec Spec, opts Options) *Table {
	t.Helper()
	sw, err := Prepare(spec)
	require.NoError(t, err)
	tab, err := sw.Run(context.Background(), opts)
	require.NoError(t, err)
	return tab
}

func TestParseShard(t *testing.T) {
	for s, want := range map[string]Shard{"1/3": {1, 3}, "3/3": {3, 3}, " 2/5 ": {2, 5}, "1/1": {1, 1}} {
		got, err := ParseShard(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"0/3", "4/3", "1/0", "-1/3", "1", "a/b", "1/3/4", "", "2/"} {
		_, err := ParseShard(s)
		require.Error(t, err, s)
		assert.Contains(t, err.Error(), "K/N", s)
	}
	assert.Equal(t, "2/3", Shard{2, 3}.String())
	assert.Equal(t, "1/1", Shard{}.String(), "the whole grid")
}

// Every point lies in exactly one shard, whatever the grid and shard
// count, and a shard's points are its own index arithmetic.
func TestShardsPartitionTheGrid(t *testing.T) {
	for _, points := range []int{0, 1, 2, 7, 9, 90, 101} {
		for n := 1; n <= 12; n++ {
			seen := make([]int, points)
			sizes := []int{}
			for k := 1; k <= n; k++ {
				sh := Shard{k, n}
				count := sh.Count(points)
				sizes = append(sizes, count)
				for pos := range count {
					i := sh.Index(pos)
					require.True(t, sh.Has(i))
					require.Less(t, i, points)
					if pos > 0 {
						require.Less(t, sh.Index(pos-1), i, "indices in order")
					}
					seen[i]++
				}
				for i := range points { // and nothing of the shard is left out
					if sh.Has(i) {
						require.Positive(t, seen[i], "point %d of shard %s", i, sh)
					}
				}
			}
			for i, c := range seen {
				require.Equal(t, 1, c, "point %d of %d with %d shards", i, points, n)
			}
			assert.LessOrEqual(t, slices.Max(sizes)-slices.Min(sizes), 1, "shards differ by at most one point")
		}
	}
	assert.Equal(t, 5, Shard{}.Count(5))
	assert.Equal(t, 3, Shard{}.Index(3))
	assert.Equal(t, "1/1", Shard{}.String())
	// A shard of a huge grid is counted, not listed.
	assert.Equal(t, 1_000_000_000, Shard{3, 100}.Count(100_000_000_000))
	assert.Equal(t, 99_999_999_902, Shard{3, 100}.Index(999_999_999))
}

// The grid's size is a checked product: a grid too large to count is an
// error, never a wrapped-around small one.
func TestGridSize(t *testing.T) {
	vals := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(i)
		}
		return out
	}
	// 2⁶⁴ + 418 = 2·7·31 · 673·853·1669·5821·7621: a grid that wraps to 418.
	wrap := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(418))
	seeds := new(big.Int).Div(wrap, big.NewInt(2*7*31)).Int64()
	cases := []struct {
		name   string
		params []Param
		seeds  Seeds
		size   int
		err    bool
	}{
		{"nothing swept", nil, Seeds{List: []uint64{1}}, 1, false},
		{"values × seeds", []Param{{"a", vals(3)}, {"b", vals(2)}}, Seeds{Range: 10}, 60, false},
		{"explicit seeds", []Param{{"a", vals(3)}}, Seeds{List: []uint64{7, 42}}, 6, false},
		{"a hundred billion seeds", nil, Seeds{Range: 99_999_999_999}, 99_999_999_999, false},
		{"largest countable", nil, Seeds{Range: math.MaxInt}, math.MaxInt, false},
		{"2^64+418 points", []Param{{"a", vals(2)}, {"b", vals(7)}, {"c", vals(31)}}, Seeds{Range: int(seeds)}, 0, true},
		{"one past MaxInt", []Param{{"a", vals(2)}}, Seeds{Range: math.MaxInt/2 + 1}, 0, true},
		{"values alone overflow", []Param{{"a", vals(1 << 11)}, {"b", vals(1 << 11)}, {"c", vals(1 << 11)}, {"d", vals(1 << 11)}, {"e", vals(1 << 11)}, {"f", vals(1 << 11)}}, Seeds{Range: 1}, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g, err := NewGrid(c.params, c.seeds)
			if c.err {
				require.ErrorIs(t, err, ErrGridOverflow)
				assert.Contains(t, err.Error(), "sweep fewer values")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.size, g.Size())
		})
	}
	// Through Prepare, before the scenario is even read.
	_, err := Prepare(Spec{Scenario: "no-such-scenario", Seeds: int(seeds), Params: []Param{{"a", vals(2)}, {"b", vals(7)}, {"c", vals(31)}}})
	require.ErrorIs(t, err, ErrGridOverflow)
}

// A point is decoded from its index alone, even at the far end of a grid
// that is never listed.
func TestPointOfAHugeGrid(t *testing.T) {
	g, err := NewGrid([]Param{{"a", []string{"x", "y"}}}, Seeds{Range: 50_000_000_000})
	require.NoError(t, err)
	p := g.Point(g.Size() - 1)
	assert.Equal(t, Point{Index: g.Size() - 1, Combo: 1, Values: []string{"y"}, Seed: 50_000_000_000}, p)
}

func TestSeedsText(t *testing.T) {
	for _, s := range []Seeds{{Range: 10}, {List: []uint64{7, 42}}, {List: []uint64{0}}, {List: []uint64{math.MaxUint64}}} {
		back, err := ParseSeeds(s.String())
		require.NoError(t, err, s.String())
		assert.Equal(t, s, back)
	}
	for _, bad := range []string{"", "1..0", "1..x", "a,b", "-1", "2..5"} {
		_, err := ParseSeeds(bad)
		assert.Error(t, err, bad)
	}
}

// Point i is the nested loop over parameters (first slowest) and seeds.
func TestPointOrder(t *testing.T) {
	sw, err := Prepare(Spec{Scenario: "default-max-cliff", Seeds: 2, Params: []Param{
		{Path: "roles.broker.token_max_ttl", Values: []string{"0", "168h", "720h"}},
		{Path: "horizon", Values: []string{"33d", "40d"}},
	}})
	require.NoError(t, err)
	require.Equal(t, 12, sw.Size())
	i := 0
	for _, a := range []string{"0", "168h", "720h"} {
		for _, b := range []string{"33d", "40d"} {
			for _, s := range []uint64{1, 2} {
				p := sw.Point(i)
				assert.Equal(t, Point{Index: i, Combo: i / 2, Values: []string{a, b}, Seed: s}, p)
				i++
			}
		}
	}
	assert.Equal(t, "default-max-cliff", sw.Scenario)
	assert.Equal(t, []string{"roles.broker.token_max_ttl", "horizon"}, sw.ParamPaths())
}

func TestSeeds(t *testing.T) {
	// Without --seeds: the scenario's own seed (default-max-cliff: 1).
	tab := runSpec(t, Spec{Scenario: "short-parent", Params: []Param{{Path: "seed", Values: []string{"7", "42"}}}}, Options{})
	require.Len(t, tab.Rows, 2)
	assert.Equal(t, uint64(7), tab.Rows[0].Seed)
	assert.Equal(t, uint64(42), tab.Rows[1].Seed)
	assert.Empty(t, tab.Grid.Params, "an explicit seed list is the seed column, not a parameter")

	sw, err := Prepare(Spec{Scenario: "short-parent", Params: []Param{{Path: "horizon", Values: []string{"1d", "2d"}}}})
	require.NoError(t, err)
	src, _ := scenarios.Load("short-parent")
	assert.Equal(t, 2, sw.Size())
	assert.Equal(t, src.Seed, sw.Point(1).Seed)
}

func TestPrepareErrors(t *testing.T) {
	cases := []struct {
		spec   Spec
		phrase string
	}{
		{Spec{Scenario: "default-max-cliff", Seeds: -1}, "at least 1"},
		{Spec{Scenario: "default-max-cliff", Params: []Param{{Path: "horizon"}}}, "no values"},
		{Spec{Scenario: "default-max-cliff", Params: []Param{{Path: "horizon", Values: []string{"1d"}}, {Path: "horizon", Values: []string{"2d"}}}}, "given twice"},
		{Spec{Scenario: "default-max-cliff", Seeds: 3, Params: []Param{{Path: "seed", Values: []string{"1"}}}}, "use one of them"},
		{Spec{Scenario: "default-max-cliff", Params: []Param{{Path: "seed", Values: []string{"-1"}}}}, `seed "-1" is not an integer`},
		{Spec{Scenario: "no-such-scenario"}, "no embedded scenario"},
	}
	for _, c := range cases {
		_, err := Prepare(c.spec)
		require.Error(t, err, "%+v", c.spec)
		assert.Contains(t, err.Error(), c.phrase)
	}

	// A bad path is the override's error.
	_, err := Prepare(Spec{Scenario: "default-max-cliff", Params: []Param{{Path: "roles.brokr.token_max_ttl", Values: []string{"24h"}}}})
	var oe *scenarios.OverrideError
	require.True(t, errors.As(err, &oe), "%v", err)
	assert.Contains(t, err.Error(), "did you mean 'broker'")

	// A bad value fails before anything runs, naming the combination.
	_, err = Prepare(Spec{Scenario: "default-max-cliff", Params: []Param{
		{Path: "actors.core-api.replicas", Values: []string{"2"}},
		{Path: "roles.broker.token_max_ttl", Values: []string{"168h", "1h"}},
	}})
	var ve *scenarios.ValidationError
	require.True(t, errors.As(err, &ve), "%v", err)
	assert.Equal(t, "default-max-cliff.yaml (with actors.core-api.replicas=2, roles.broker.token_max_ttl=1h)", ve.Problems[0].File)
	assert.Contains(t, err.Error(), "'token_ttl' cannot be greater than 'token_max_ttl'")
}

func TestMeasureTheSeedIncident(t *testing.T) {
	sc, err := scenarios.Load("default-max-cliff")
	require.NoError(t, err)
	m := Measure(sim.New(sc, sim.Options{}).Run())
	day := int64(86400)
	assert.Equal(t, 1, m.Cliffs)
	require.NotNil(t, m.FirstCliffOffset)
	assert.Equal(t, 32*day, *m.FirstCliffOffset)
	assert.Equal(t, "system.max_lease_ttl", m.FirstCliffBoundBy)
	assert.Equal(t, 41, m.LargestCliff, "the broker's token, 20 child tokens, 20 credentials")
	assert.Equal(t, 1, m.Outages)
	assert.Equal(t, 8*day, m.OutageSeconds, "down from day 32 to the 40-day horizon")
	assert.Equal(t, 50.0*float64(8*day), m.FailedRequests)
	require.NotNil(t, m.EarliestHardEnd)
	assert.Equal(t, 32*day, *m.EarliestHardEnd)
	assert.Equal(t, 1, m.SystemDefaultBound)

	// The fixed fleet: no cliff, nothing bound by the system default.
	sc, err = scenarios.Load("jan-2024-fixed")
	require.NoError(t, err)
	m = Measure(sim.New(sc, sim.Options{}).Run())
	assert.Equal(t, 0, m.Cliffs)
	assert.Nil(t, m.FirstCliffOffset)
	assert.Equal(t, "", m.FirstCliffBoundBy)
	assert.Nil(t, m.EarliestHardEnd, "tokens are replaced before their hard ends")
	assert.Equal(t, 0, m.SystemDefaultBound)
}

func TestCliffSweepResults(t *testing.T) {
	tab, _ := cliffSweep(t)
	require.Len(t, tab.Rows, 90)
	assert.Equal(t, 90, tab.Grid.Size())
	for i, r := range tab.Rows {
		require.Equal(t, i, r.Point)
	}
	h := int64(3600)
	for _, c := range []struct {
		point  int
		cliffs int
		first  int64
		by     string
	}{
		{0, 1, 768 * h, "system.max_lease_ttl"},       // 0 = unset: the 768h default
		{30, 1, 168 * h, "role broker token_max_ttl"}, // a week
		{60, 1, 720 * h, "role broker token_max_ttl"},
	} {
		r := tab.Rows[c.point]
		assert.Equal(t, c.cliffs, r.Cliffs, "point %d", c.point)
		require.NotNil(t, r.FirstCliffOffset, "point %d", c.point)
		assert.Equal(t, c.first, *r.FirstCliffOffset, "point %d", c.point)
		assert.Equal(t, c.by, r.FirstCliffBoundBy, "point %d", c.point)
	}
	for _, r := range tab.Rows {
		if r.Values[1] != "none" {
			assert.Zero(t, r.Cliffs, "re-authenticating avoids the cliff (point %d)", r.Point)
			assert.Zero(t, r.FailedRequests, "point %d", r.Point)
		}
	}
}

// The acceptance: the sweep split into 3 shards and merged gives
// the identical CSV.
func TestMergeThreeShardsEqualsTheWholeSweep(t *testing.T) {
	_, whole := cliffSweep(t)
	sw, err := Prepare(cliffSpec)
	require.NoError(t, err)
	dir := t.TempDir()
	var files []*os.File
	for _, k := range []int{3, 1, 2} { // any order
		tab, err := sw.Run(context.Background(), Options{Shard: Shard{k, 3}, Workers: 2})
		require.NoError(t, err)
		assert.Len(t, tab.Rows, 30)
		path := filepath.Join(dir, "part.csv"+string(rune('0'+k)))
		require.NoError(t, os.WriteFile(path, csvOf(t, tab), 0o644))
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		files = append(files, f)
	}
	merged, err := Merge(files[0], files[1], files[2])
	require.NoError(t, err)
	assert.Equal(t, string(whole), string(csvOf(t, merged)))
}

func TestDeterminism(t *testing.T) {
	a := runSpec(t, noisySpec, Options{})
	b := runSpec(t, noisySpec, Options{})
	one := runSpec(t, noisySpec, Options{Workers: 1})
	four := runSpec(t, noisySpec, Options{Workers: 4})
	ca := csvOf(t, a)
	assert.Equal(t, string(ca), string(csvOf(t, b)), "same sweep twice")
	assert.Equal(t, string(ca), string(csvOf(t, one)), "--workers 1")
	assert.Equal(t, string(ca), string(csvOf(t, four)), "--workers 4")

	// The seed matters here, so the check is not vacuous.
	failed := map[float64]bool{}
	for _, r := range a.Rows {
		failed[r.FailedRequests] = true
	}
	assert.Greater(t, len(failed), 3, "failed requests vary by seed")

	// Each point is the run `leasesim run --seed` would make.
	r := a.Rows[13]
	sc, err := scenarios.LoadWithOverrides("default-max-cliff", []scenarios.Override{
		{Path: "events", Value: r.Values[0]}, {Path: "horizon", Value: r.Values[1]},
		{Path: "annotations", Value: r.Values[2]}, {Path: "roles.app-db.default_ttl", Value: r.Values[3]},
	})
	require.NoError(t, err)
	assert.Equal(t, r.Metrics, Measure(sim.New(sc, sim.Options{Seed: r.Seed, SeedSet: true}).Run()))
}

func TestProgress(t *testing.T) {
	sw, err := Prepare(noisySpec)
	require.NoError(t, err)
	var calls [][2]int
	tab, err := sw.Run(context.Background(), Options{Shard: Shard{2, 5}, Workers: 3, Progress: func(done, total int) {
		calls = append(calls, [2]int{done, total})
	}})
	require.NoError(t, err)
	n := len(tab.Rows)
	require.Equal(t, Shard{2, 5}.Count(24), n)
	require.Len(t, calls, n+1)
	for i, c := range calls {
		assert.Equal(t, [2]int{i, n}, c)
	}
}

func TestCancel(t *testing.T) {
	sw, err := Prepare(cliffSpec)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	_, err = sw.Run(ctx, Options{Workers: 1, Progress: func(done, total int) {
		if done == 2 {
			cancel()
		}
	}})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestCSVRoundTrip(t *testing.T) {
	tab := runSpec(t, noisySpec, Options{Shard: Shard{1, 2}})
	data := csvOf(t, tab)
	back, err := ReadCSV(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, tab.Rows, back.Rows)
	assert.Equal(t, tab.Grid, back.Grid)
	assert.Equal(t, tab.Shard, back.Shard)
	assert.Equal(t, string(data), string(csvOf(t, back)))
	assert.True(t, strings.HasPrefix(string(data), "# scenario: default-max-cliff\n# scenario_sha256: "), "%.200s", data)
	assert.Contains(t, string(data), "\n# grid: [{\"path\":\"events\",\"values\":[\"[{at: 10d, do: outage, until: 10d2h}]\"]},{\"path\":\"horizon\",\"values\":[\"12d\"]},"+
		"{\"path\":\"annotations\",\"values\":[\"[]\"]},{\"path\":\"roles.app-db.default_ttl\",\"values\":[\"30m\",\"1h\",\"90m\"]}]\n# seeds: 1..8\n# shard: 1/2\n"+
		"point,grid_size,events,horizon,annotations,roles.app-db.default_ttl,seed,cliffs,")
	src, err := scenarios.Load("default-max-cliff")
	require.NoError(t, err)
	assert.Equal(t, src.SHA256, back.Digest, "the digest `run` records for the file without --set")
	assert.Contains(t, string(data), `"[{at: 10d, do: outage, until: 10d2h}]"`, "values with commas are quoted")
}

// editCSV sets column col of data row r (from 0) of a sweep CSV.
func editCSV(t *testing.T, data string, r int, col, value string) string {
	t.Helper()
	cut := strings.Index(data, "\npoint,") + 1
	recs, err := csv.NewReader(strings.NewReader(data[cut:])).ReadAll()
	require.NoError(t, err)
	j := slices.Index(recs[0], col)
	require.GreaterOrEqual(t, j, 0, col)
	recs[r+1][j] = value
	var b strings.Builder
	w := csv.NewWriter(&b)
	require.NoError(t, w.WriteAll(recs))
	return data[:cut] + b.String()
}

// dropLine removes line i (from 0) of s.
func dropLine(s string, i int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(append(lines[:i:i], lines[i+1:]...), "")
}

func TestMergeErrors(t *testing.T) {
	sw, err := Prepare(noisySpec)
	require.NoError(t, err)
	part := func(k, n int) string {
		tab, err := sw.Run(context.Background(), Options{Shard: Shard{k, n}})
		require.NoError(t, err)
		return string(csvOf(t, tab))
	}
	p1, p2, p3 := part(1, 3), part(2, 3), part(3, 3)
	otherSpec := noisySpec
	otherSpec.Params = slices.Clone(noisySpec.Params)
	otherSpec.Params[3] = Param{Path: "roles.app-db.default_ttl", Values: []string{"30m", "1h", "2h"}} // 2h, not 90m
	other := string(csvOf(t, runSpec(t, otherSpec, Options{Shard: Shard{3, 3}})))

	// The same sweep of an edited copy of the scenario: only the digest differs.
	src, err := scenarios.Source("default-max-cliff")
	require.NoError(t, err)
	edited := filepath.Join(t.TempDir(), "default-max-cliff.yaml")
	require.NoError(t, os.WriteFile(edited, append(src, "# edited\n"...), 0o644))
	editedSpec := noisySpec
	editedSpec.Scenario = edited
	editedPart := string(csvOf(t, runSpec(t, editedSpec, Options{Shard: Shard{3, 3}})))

	// The same points, the seeds given as a list: another sweep on paper.
	listedSpec := noisySpec
	listedSpec.Seeds = 0
	listedSpec.Params = append(slices.Clone(noisySpec.Params), Param{Path: "seed", Values: strings.Split("1,2,3,4,5,6,7,8", ",")})
	listed := string(csvOf(t, runSpec(t, listedSpec, Options{Shard: Shard{3, 3}})))

	const rows = 5 + 1 // provenance lines and the column header before the first row
	cases := []struct {
		name   string
		inputs []string
		phrase string
	}{
		{"a shard missing", []string{p1, p3}, "shard 2/3 is missing (given: input 1 (1/3), input 2 (3/3)); give every shard's file"},
		{"two shards missing", []string{p2}, "shards 1/3, 3/3 are missing (given: input 1 (2/3))"},
		{"a shard twice", []string{p1, p2, p3, p2}, "shard 2/3 is given twice: input 2 and input 4"},
		{"another grid", []string{p1, p2, other}, `input 3 sweeps [{"path":"events"`},
		{"an edited scenario", []string{p1, p2, editedPart}, "input 3 is a sweep of default-max-cliff (scenario_sha256 "},
		{"another split", []string{p1, part(2, 4)}, "input 2 is shard 2/4 but input 1 is shard 1/3"},
		{"seeds edited", []string{p1, strings.Replace(p2, "# seeds: 1..8", "# seeds: 1..9", 1)}, "input 2: line 7: grid_size 24, but the grid line makes 27 points"},
		{"seeds listed, not counted", []string{p1, p2, listed}, "with seeds 1,2,3,4,5,6,7,8 but input 1 sweeps"},
		{"a truncated file", []string{p1, dropLine(p2, rows+7), p3}, "input 2 holds 7 of shard 2/3's 8 points (the next would be point 22); is the file truncated?"},
		{"a row missing", []string{p1, dropLine(p2, rows+1), p3}, "input 2: line 8: point 7 where shard 2/3's next point is 4"},
		{"rows swapped", []string{p1, editCSV(t, p2, 1, "point", "1"), p3}, "point 1 where shard 2/3's next point is 4"},
		{"settings not the grid's", []string{editCSV(t, p1, 0, "roles.app-db.default_ttl", "1h"), p2, p3}, "point 0 has roles.app-db.default_ttl=1h where the grid has 30m"},
		{"seed not the grid's", []string{editCSV(t, p1, 0, "seed", "5"), p2, p3}, "point 0 has seed 5 where the grid has 1"},
		{"NaN", []string{p1, editCSV(t, p2, 2, "failed_requests", "NaN"), p3}, `input 2: line 9: column failed_requests: "NaN" is not a finite number of at least 0`},
		{"Inf", []string{p1, editCSV(t, p2, 0, "failed_requests", "+Inf"), p3}, `column failed_requests: "+Inf" is not a finite number`},
		{"negative failed requests", []string{p1, p2, editCSV(t, p3, 0, "failed_requests", "-3.000")}, `input 3: line 7: column failed_requests: "-3.000" is not a finite number of at least 0`},
		{"negative outage", []string{editCSV(t, p1, 0, "outage_seconds", "-1"), p2, p3}, `column outage_seconds: "-1" is not a non-negative integer`},
		{"negative offset", []string{editCSV(t, p1, 0, "earliest_hard_end_offset_seconds", "-1"), p2, p3}, `column earliest_hard_end_offset_seconds: "-1"`},
		{"an error with metrics", []string{editCSV(t, p1, 0, "error", "boom"), p2, p3}, "column cliffs: \"0\" is not empty, as a row with an error has no metrics"},
		{"grid_size not the grid's", []string{editCSV(t, p1, 0, "grid_size", "25"), p2, p3}, "grid_size 25, but the grid line makes 24 points"},
		{"other columns", []string{p1, strings.Replace(p2, "largest_cliff,", "", 1)}, "input 2: line 6: the column header is"},
		{"a garbled grid line", []string{strings.Replace(p1, "# grid: [", "# grid: ", 1)}, "# grid: not a JSON list"},
		{"a garbled digest", []string{strings.Replace(p1, "# scenario_sha256: ", "# scenario_sha256: x", 1)}, "is not a SHA-256"},
		{"no provenance (an older leasesim)", []string{p1[strings.Index(p1, "point,"):]}, "not a sweep CSV: it does not start with the provenance lines"},
		{"a provenance line missing", []string{dropLine(p1, 3)}, `the provenance lines have no "seeds" line`},
		{"empty", []string{""}, "not a sweep CSV"},
		{"no column header", []string{p1[:strings.Index(p1, "point,")]}, "line 6: no column header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rs []io.Reader
			for _, s := range c.inputs {
				rs = append(rs, strings.NewReader(s))
			}
			_, err := Merge(rs...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.phrase)
		})
	}
	_, err = Merge()
	assert.ErrorContains(t, err, "no input files")
	ok, err := Merge(strings.NewReader(p2), strings.NewReader(p3), strings.NewReader(p1))
	require.NoError(t, err)
	assert.Equal(t, string(csvOf(t, runSpec(t, noisySpec, Options{}))), string(csvOf(t, ok)))
}

func TestJSONAndText(t *testing.T) {
	tab, _ := cliffSweep(t)
	var b bytes.Buffer
	require.NoError(t, tab.WriteJSON(&b))
	var doc struct {
		Version  int               `json:"version"`
		Scenario string            `json:"scenario"`
		Params   []string          `json:"params"`
		GridSize int               `json:"grid_size"`
		Rows     []json.RawMessage `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 1, doc.Version)
	assert.Equal(t, "default-max-cliff", doc.Scenario)
	assert.Equal(t, 90, doc.GridSize)
	require.Len(t, doc.Rows, 90)
	var row map[string]any
	require.NoError(t, json.Unmarshal(doc.Rows[10], &row))
	assert.Nil(t, row["first_cliff_offset_seconds"], "no cliff: null")
	assert.Nil(t, row["first_cliff_bound_by"])
	assert.Equal(t, []any{"0", "reauth"}, row["values"])
	for _, k := range append([]string{"point", "values", "seed"}, MetricColumns...) {
		assert.Contains(t, row, k)
	}

	var meta map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &meta))
	assert.Equal(t, tab.Digest, meta["scenario_sha256"])
	assert.Equal(t, "1..10", meta["seeds"])
	assert.Equal(t, "1/1", meta["shard"])
	assert.Equal(t, []any{map[string]any{"path": "roles.broker.token_max_ttl", "values": []any{"0", "168h", "720h"}},
		map[string]any{"path": "actors.broker.when_exhausted", "values": []any{"none", "reauth", "{reauth: {at: 0.5}}"}}}, meta["grid"])
	assert.Nil(t, row["error"])

	// A row with an error has null metrics.
	failed := &Table{Scenario: "x", Grid: tab.Grid, Rows: []Row{{Point: 0, Values: []string{"0", "none"}, Seed: 1, Err: "the event budget ran out"}}}
	b.Reset()
	require.NoError(t, failed.WriteJSON(&b))
	var one struct{ Rows []map[string]any }
	require.NoError(t, json.Unmarshal(b.Bytes(), &one))
	assert.Equal(t, "the event budget ran out", one.Rows[0]["error"])
	for _, k := range MetricColumns {
		assert.Contains(t, one.Rows[0], k)
		assert.Nil(t, one.Rows[0][k], k)
	}
}

// The text table: one line per setting over its seeds, with the CSV's
// column names.
func TestText(t *testing.T) {
	tab, _ := cliffSweep(t)
	var b bytes.Buffer
	require.NoError(t, tab.WriteText(&b))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	assert.Equal(t, "default-max-cliff: 90 points (roles.broker.token_max_ttl: 3 × actors.broker.when_exhausted: 3 × seeds: 10)", lines[0])
	require.Len(t, lines, 3+1+9, "9 settings, not 90 rows")
	assert.Equal(t, strings.Join(append([]string{"roles.broker.token_max_ttl", "actors.broker.when_exhausted", "seeds"}, MetricColumns...), " "),
		strings.Join(strings.Fields(lines[3]), " "), "the CSV's names")
	assert.Regexp(t, `^0 +none +10 +1 +768h +system\.max_lease_ttl +41 +1 +192h +34560000 +768h +1$`, lines[4])
	assert.Regexp(t, `^0 +reauth +10 +0 +- +- +0 +0 +0s +0 +- +1$`, lines[5])

	// Seeds that disagree: mean (min–max), and "in n/m" where only some runs have the metric.
	noisy := runSpec(t, noisySpec, Options{})
	b.Reset()
	require.NoError(t, noisy.WriteText(&b))
	lines = strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 3+1+3)
	// The 1h setting (lines[5], rows 8–15), where the seeds disagree on a cliff.
	fields := strings.Split(regexp.MustCompile(`  +`).ReplaceAllString(lines[5], "\t"), "\t")
	col := func(name string) string { return fields[slices.Index(strings.Fields(lines[3]), name)] }
	assert.Equal(t, "8", col("seeds"))
	assert.Equal(t, "0.13 (0–1)", col(ColCliffs), "1 of 8 seeds has a cliff")
	assert.Regexp(t, `^240h\d+m\d+s in 1/8$`, col(ColFirstCliffOffset))
	assert.Equal(t, "role app-db default_ttl ×1, - ×7", col(ColFirstCliffBoundBy))
	var sum, lo, hi float64 = 0, math.Inf(1), math.Inf(-1)
	for _, r := range noisy.Rows[8:16] {
		sum += r.FailedRequests
		lo, hi = min(lo, r.FailedRequests), max(hi, r.FailedRequests)
	}
	assert.Equal(t, fmt.Sprintf("%s (%s–%s)", formatNumber(sum/8), formatNumber(lo), formatNumber(hi)), col(ColFailedRequests))
	assert.Less(t, lo, hi, "the seeds disagree, so the range is not vacuous")

	// Rows with an error: counted in their own column, listed below, left out of the means.
	noisy.Rows[1] = Row{Point: 1, Values: noisy.Rows[1].Values, Seed: 2, Err: "the event budget ran out"}
	b.Reset()
	require.NoError(t, noisy.WriteText(&b))
	text := b.String()
	assert.Contains(t, text, " error\n")
	assert.Contains(t, text, "  1/8\n")
	assert.Contains(t, text, "\n1 point stopped early or failed, without metrics (column error in the CSV):\n  point 1 (events=[{at: 10d, do: outage, until: 10d2h}], horizon=12d, annotations=[], roles.app-db.default_ttl=30m, seed=2): the event budget ran out\n")
	assert.Contains(t, text, " in 7/8")
}

func TestHeatmap(t *testing.T) {
	tab, _ := cliffSweep(t)
	h, err := HeatmapData(tab, ColFirstCliffOffset, "roles.broker.token_max_ttl", "actors.broker.when_exhausted")
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "168h", "720h"}, h.XValues)
	assert.Equal(t, []string{"none", "reauth", "{reauth: {at: 0.5}}"}, h.YValues)
	assert.Equal(t, []float64{768 * 3600, 168 * 3600, 720 * 3600}, h.Mean[0])
	assert.Equal(t, []int{10, 10, 10}, h.Count[0])
	for _, v := range h.Mean[1] {
		assert.True(t, math.IsNaN(v), "no cliff, no offset")
	}
	assert.Equal(t, []int{0, 0, 0}, h.Count[1])
	assert.Equal(t, []int{10, 10, 10}, h.Rows[1])

	// Averaging over the parameter left out and over a seed axis.
	h, err = HeatmapData(tab, ColCliffs, "seed", "roles.broker.token_max_ttl")
	require.NoError(t, err)
	assert.Len(t, h.XValues, 10)
	assert.InDelta(t, 1.0/3, h.Mean[0][0], 1e-9, "one of three reactions has a cliff")
	assert.Equal(t, 3, h.Count[0][0])

	// A handmade table: means over seeds.
	small := &Table{Grid: Grid{Params: []Param{{"a", []string{"1", "2"}}, {"b", []string{"x"}}}}, Rows: []Row{
		{Point: 0, Values: []string{"1", "x"}, Seed: 1, Metrics: Metrics{FailedRequests: 1}},
		{Point: 1, Values: []string{"1", "x"}, Seed: 2, Metrics: Metrics{FailedRequests: 3}},
		{Point: 2, Values: []string{"2", "x"}, Seed: 1, Metrics: Metrics{FailedRequests: 10}},
		{Point: 3, Values: []string{"2", "x"}, Seed: 2, Metrics: Metrics{FailedRequests: 20}},
		{Point: 4, Values: []string{"2", "x"}, Seed: 3, Err: "the event budget ran out"}, // left out
	}}
	h, err = HeatmapData(small, ColFailedRequests, "a", "b")
	require.NoError(t, err)
	assert.Equal(t, [][]float64{{2, 15}}, h.Mean)

	for _, c := range []struct{ metric, x, y, phrase string }{
		{"cliff", "a", "b", `unknown metric "cliff"`},
		{ColFirstCliffBoundBy, "a", "b", "is text, not a number"},
		{ColCliffs, "a", "a", "two different parameters"},
		{ColCliffs, "a", "c", `"c" is not a swept parameter; the sweep has: a, b, seed`},
	} {
		_, err := HeatmapData(small, c.metric, c.x, c.y)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.phrase)
	}
}

// Long points first, short ones after: with many workers the short ones
// finish first, and must still land at their own places.
func TestRowsStayInPointOrder(t *testing.T) {
	spec := Spec{Scenario: "default-max-cliff", Seeds: 4, Params: []Param{
		{Path: "horizon", Values: []string{"400d", "33d"}},
		{Path: "actors.broker.when_exhausted", Values: []string{"reauth"}},
		{Path: "annotations", Values: []string{"[]"}},
	}}
	many := runSpec(t, spec, Options{Workers: 8})
	for i, r := range many.Rows {
		require.Equal(t, i, r.Point)
		want := "400d"
		if i >= 4 {
			want = "33d"
		}
		require.Equal(t, want, r.Values[0])
	}
	assert.Equal(t, 12, many.Rows[0].SystemDefaultBound, "a year of 32-day tokens")
	assert.Equal(t, 1, many.Rows[7].SystemDefaultBound)
	assert.Equal(t, string(csvOf(t, runSpec(t, spec, Options{Workers: 1}))), string(csvOf(t, many)))
}

// More shards than points: some shards are empty, and merge takes them.
func TestEmptyShard(t *testing.T) {
	spec := Spec{Scenario: "short-parent", Seeds: 2}
	whole := csvOf(t, runSpec(t, spec, Options{}))
	var parts []io.Reader
	for k := 1; k <= 3; k++ {
		tab := runSpec(t, spec, Options{Shard: Shard{k, 3}})
		if k == 3 {
			assert.Empty(t, tab.Rows)
		}
		parts = append(parts, bytes.NewReader(csvOf(t, tab)))
	}
	merged, err := Merge(parts...)
	require.NoError(t, err)
	assert.Equal(t, string(whole), string(csvOf(t, merged)))
	assert.Contains(t, string(whole), "\n# grid: []\n# seeds: 1..2\n# shard: 1/1\npoint,grid_size,seed,cliffs,", "no parameters: no parameter columns")
}

// A sweep too large for its budget is refused before anything is
// allocated or parsed per point: a hundred billion seeds fail at once.
func TestPointBudget(t *testing.T) {
	sw, err := Prepare(Spec{Scenario: "short-parent", Seeds: 99_999_999_999})
	require.NoError(t, err)
	assert.Equal(t, 99_999_999_999, sw.Size())
	ran := false
	_, err = sw.Run(context.Background(), Options{Progress: func(int, int) { ran = true }})
	var be *BudgetError
	require.ErrorAs(t, err, &be)
	assert.False(t, ran)
	assert.Equal(t, "the sweep has 99999999999 points (seeds: 99999999999), more than the budget of 1000000 points (--max-points); "+
		"raise it with --max-points N, split the grid with --shard K/N, or sweep fewer values or seeds", err.Error())

	// The budget counts the shard's points, not the grid's.
	sw, err = Prepare(Spec{Scenario: "short-parent", Seeds: 10})
	require.NoError(t, err)
	_, err = sw.Run(context.Background(), Options{MaxPoints: 4})
	require.ErrorAs(t, err, &be)
	assert.Contains(t, err.Error(), "the sweep has 10 points (seeds: 10), more than the budget of 4 points")
	_, err = sw.Run(context.Background(), Options{MaxPoints: 3, Shard: Shard{1, 3}})
	require.ErrorAs(t, err, &be)
	assert.Contains(t, err.Error(), "4 points in shard 1/3")
	tab, err := sw.Run(context.Background(), Options{MaxPoints: 3, Shard: Shard{2, 3}})
	require.NoError(t, err)
	assert.Len(t, tab.Rows, 3)
}

// A point that runs out of its event budget is a row with its error; the
// other points go on, and the rows survive CSV, merge and the heatmap.
func TestPointErrorsAreRows(t *testing.T) {
	spec := Spec{Scenario: "default-max-cliff", Seeds: 2, Params: []Param{
		{Path: "horizon", Values: []string{"1d", "20d"}},
		{Path: "annotations", Values: []string{"[]"}},
	}}
	sw, err := Prepare(spec)
	require.NoError(t, err)
	full, err := sw.Run(context.Background(), Options{})
	require.NoError(t, err)
	tab, err := sw.Run(context.Background(), Options{Budgets: sim.Budgets{Events: 2000}})
	require.NoError(t, err)
	require.Len(t, tab.Rows, 4)
	assert.Equal(t, 2, tab.Errors())
	for i, r := range tab.Rows {
		if r.Values[0] == "1d" { // short enough for the budget: the same as unbudgeted
			assert.Empty(t, r.Err, "point %d", i)
			assert.Equal(t, full.Rows[i], r)
			continue
		}
		assert.Regexp(t, `^default-max-cliff: the event budget \(2000 events\) ran out at .*--max-events N$`, r.Err)
		assert.Equal(t, Metrics{}, r.Metrics)
	}

	var parts []io.Reader
	for k := 1; k <= 2; k++ {
		part, err := sw.Run(context.Background(), Options{Budgets: sim.Budgets{Events: 2000}, Shard: Shard{k, 2}})
		require.NoError(t, err)
		parts = append(parts, bytes.NewReader(csvOf(t, part)))
	}
	merged, err := Merge(parts...)
	require.NoError(t, err)
	assert.Equal(t, string(csvOf(t, tab)), string(csvOf(t, merged)))
	assert.Equal(t, tab.Rows, merged.Rows)
	assert.Contains(t, string(csvOf(t, tab)), ",20d,[],1,,,,,,,,,,default-max-cliff: the event budget (2000 events) ran out at ")

	h, err := HeatmapData(tab, ColCliffs, "horizon", "seed")
	require.NoError(t, err)
	assert.Equal(t, [][]int{{1, 0}, {1, 0}}, h.Count, "errored points are left out")
}

// The engine failing on one point does not stop the others.
func TestPointPanicIsARow(t *testing.T) {
	sc, err := scenarios.Load("short-parent")
	require.NoError(t, err)
	sc.Horizon = -1 // the loop refuses to run backwards: a panic in the engine
	r := runPoint(sc, Point{Index: 3, Values: []string{}, Seed: 9}, sim.Budgets{})
	assert.Equal(t, 3, r.Point)
	assert.Contains(t, r.Err, "the simulation failed: ")
}

// Each value is checked on every shard, one parse per value; the
// combinations are checked by the shard that runs them, before it runs any
// point.
func TestCombinationsCheckedBeforeRunning(t *testing.T) {
	// token_ttl 48h is fine with max 168h, token_max_ttl 24h with ttl 1h;
	// only 48h with 24h is refused.
	spec := Spec{Scenario: "default-max-cliff", Params: []Param{
		{Path: "roles.broker.token_ttl", Values: []string{"1h", "48h"}},
		{Path: "roles.broker.token_max_ttl", Values: []string{"168h", "24h"}},
	}}
	sw, err := Prepare(spec)
	require.NoError(t, err, "every value is fine with the others at their first")
	for _, c := range []struct {
		shard Shard
		bad   bool
	}{{Shard{}, true}, {Shard{1, 2}, false}, {Shard{2, 2}, true}, {Shard{4, 4}, true}, {Shard{3, 4}, false}} {
		ran := 0
		_, err := sw.Run(context.Background(), Options{Shard: c.shard, Progress: func(done, _ int) { ran = max(ran, done) }})
		if !c.bad {
			assert.NoError(t, err, "shard %s", c.shard)
			continue
		}
		var ve *scenarios.ValidationError
		require.ErrorAs(t, err, &ve, "shard %s", c.shard)
		assert.Contains(t, err.Error(), "(with roles.broker.token_ttl=48h, roles.broker.token_max_ttl=24h)")
		assert.Zero(t, ran, "shard %s: nothing ran", c.shard)
	}

	// A value that is wrong whatever the others fails in Prepare, on every shard alike.
	_, err = Prepare(Spec{Scenario: "default-max-cliff", Params: []Param{
		{Path: "roles.broker.token_ttl", Values: []string{"1h", "48h"}},
		{Path: "horizon", Values: []string{"40d", "forever"}},
	}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "horizon=forever")
}
