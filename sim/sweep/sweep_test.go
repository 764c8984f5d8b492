package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
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
	assert.Equal(t, "", Shard{}.String())
}

// Every point lies in exactly one shard, whatever the grid and shard count.
func TestShardsPartitionTheGrid(t *testing.T) {
	for _, points := range []int{1, 2, 7, 9, 90, 101} {
		for n := 1; n <= 12; n++ {
			seen := make([]int, points)
			sizes := []int{}
			for k := 1; k <= n; k++ {
				sh := Shard{k, n}
				idx := sh.Indices(points)
				sizes = append(sizes, len(idx))
				for j, i := range idx {
					require.True(t, sh.Has(i))
					if j > 0 {
						require.Less(t, idx[j-1], i, "indices in order")
					}
					seen[i]++
				}
			}
			for i, c := range seen {
				require.Equal(t, 1, c, "point %d of %d with %d shards", i, points, n)
			}
			lo, hi := sizes[0], sizes[0]
			for _, s := range sizes {
				lo, hi = min(lo, s), max(hi, s)
			}
			assert.LessOrEqual(t, hi-lo, 1, "shards differ by at most one point")
		}
	}
	assert.Len(t, Shard{}.Indices(5), 5)
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
				assert.Equal(t, Point{Index: i, Values: []string{a, b}, Seed: s}, p)
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
	assert.Empty(t, tab.Params, "an explicit seed list is the seed column, not a parameter")

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
		{Spec{Scenario: "default-max-cliff", Params: []Param{{Path: "a", Values: make([]string, 5000)}, {Path: "b", Values: make([]string, 5000)}}}, "more than"},
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
	assert.Equal(t, 90, tab.GridSize)
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
	require.Equal(t, len(Shard{2, 5}.Indices(24)), n)
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
	assert.Equal(t, tab.Params, back.Params)
	assert.Equal(t, tab.GridSize, back.GridSize)
	assert.Equal(t, string(data), string(csvOf(t, back)))
	assert.True(t, strings.HasPrefix(string(data), "point,grid_size,events,horizon,annotations,roles.app-db.default_ttl,seed,cliffs,"))
	assert.Contains(t, string(data), `"[{at: 10d, do: outage, until: 10d2h}]"`, "values with commas are quoted")
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
	other := runSpec(t, Spec{Scenario: "default-max-cliff", Seeds: 8, Params: []Param{
		{Path: "events", Values: []string{"[{at: 10d, do: outage, until: 10d2h}]"}},
		{Path: "horizon", Values: []string{"12d"}},
		{Path: "annotations", Values: []string{"[]"}},
		{Path: "roles.app-db.default_ttl", Values: []string{"30m", "1h", "2h"}}, // 2h, not 90m
	}}, Options{Shard: Shard{3, 3}})
	reader := func(s string) *strings.Reader { return strings.NewReader(s) }
	cases := []struct {
		name   string
		inputs []string
		phrase string
	}{
		{"a shard missing", []string{p1, p3}, "8 of 24 points are missing (1, 4, 7, 10, 13, 16, 19, 22)"},
		{"a shard twice", []string{p1, p2, p3, p2}, "appears in input 2 and in input 4"},
		{"another sweep's shard", []string{p1, p2, string(csvOf(t, other))}, "the inputs mix sweeps"},
		{"other columns", []string{p1, strings.Replace(p2, "largest_cliff,", "", 1)}, "not a sweep CSV"},
		{"other parameters", []string{p1, strings.Replace(p2, "roles.app-db.default_ttl", "roles.app-db.max_ttl", 1)}, "sweeps events, horizon, annotations, roles.app-db.max_ttl but input 1 sweeps"},
		{"not CSV of a sweep", []string{"a,b\n1,2\n"}, "not a sweep CSV"},
		{"empty", []string{""}, "empty file"},
		{"bad number", []string{p1 + "x,24,a,b,c,d,1,0,,,0,0,0,0.000,,0\n"}, `column point: "x"`},
		{"point beyond the grid", []string{p1 + "99,24,a,b,c,d,1,0,,,0,0,0,0.000,,0\n"}, "point 99 is outside a grid of 24 points"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var rs []io.Reader
			for _, s := range c.inputs {
				rs = append(rs, reader(s))
			}
			_, err := Merge(rs...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.phrase)
		})
	}
	_, err = Merge()
	assert.ErrorContains(t, err, "no input files")
	ok, err := Merge(reader(p2), reader(p3), reader(p1))
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

	b.Reset()
	require.NoError(t, tab.WriteText(&b))
	text := b.String()
	assert.True(t, strings.HasPrefix(text, "default-max-cliff: 90 points (roles.broker.token_max_ttl: 3 × actors.broker.when_exhausted: 3 × seeds: 10)\n"), text[:200])
	lines := strings.Split(strings.TrimSpace(text), "\n")
	require.Len(t, lines, 2+1+90)
	assert.Regexp(t, `^0 +0 +none +1 +1 +768h +system\.max_lease_ttl +41 +1 +192h +34560000\.000 +768h +1$`, lines[3])
	assert.Regexp(t, `^10 +0 +reauth +1 +0 +- +- +0 +0 +0s +0\.000 +- +1$`, lines[13])
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
	small := &Table{Params: []string{"a", "b"}, GridSize: 4, Rows: []Row{
		{Point: 0, Values: []string{"1", "x"}, Seed: 1, Metrics: Metrics{FailedRequests: 1}},
		{Point: 1, Values: []string{"1", "x"}, Seed: 2, Metrics: Metrics{FailedRequests: 3}},
		{Point: 2, Values: []string{"2", "x"}, Seed: 1, Metrics: Metrics{FailedRequests: 10}},
		{Point: 3, Values: []string{"2", "x"}, Seed: 2, Metrics: Metrics{FailedRequests: 20}},
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
	assert.Equal(t, "point,grid_size,seed,cliffs,", string(whole[:len("point,grid_size,seed,cliffs,")]), "no parameters: no parameter columns")
}
