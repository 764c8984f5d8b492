package sweep

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// Spec is what to sweep.
type Spec struct {
	Scenario string  // a file path or a built-in name, as scenarios.Load takes it
	Params   []Param // in command-line order; Path "seed" lists the seeds instead
	// Seeds > 0 runs seeds 1…Seeds at every setting; 0 runs the scenario's
	// own seed (or the values of a "seed" parameter).
	Seeds int
}

// Sweep is a prepared grid: every combination of settings has been
// applied, parsed and checked, so a bad path or value fails before any
// point runs, identically on every shard.
type Sweep struct {
	Scenario string  // the scenario's name
	Params   []Param // the swept settings, without the seed
	Seeds    []uint64
	ownSeed  bool // Seeds is empty: each point runs its scenario's own seed
	combos   []*scenarios.Scenario
}

// Prepare expands the grid of spec and loads every combination of
// settings. Errors are the caller's input: a bad spec, a scenario that
// does not load, an override path that leads nowhere (*scenarios.
// OverrideError), or a combination the scenario checks refuse
// (*scenarios.ValidationError, its file name naming the overrides).
func Prepare(spec Spec) (*Sweep, error) {
	if spec.Seeds < 0 {
		return nil, fmt.Errorf("--seeds %d: want a number of seeds of at least 1 (seeds 1…N)", spec.Seeds)
	}
	sw := &Sweep{}
	seen := map[string]bool{}
	for _, p := range spec.Params {
		if len(p.Values) == 0 {
			return nil, fmt.Errorf("--set %s: no values; write %s=V1,V2,…", p.Path, p.Path)
		}
		if seen[p.Path] {
			return nil, fmt.Errorf("--set %s is given twice; list all its values in one --set %s=V1,V2,…", p.Path, p.Path)
		}
		seen[p.Path] = true
		if p.Path != SeedPath {
			sw.Params = append(sw.Params, p)
			continue
		}
		if spec.Seeds > 0 {
			return nil, fmt.Errorf("--set seed=… and --seeds both choose the seeds; use one of them")
		}
		for _, v := range p.Values {
			s, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("--set seed=%s: seed %q is not an integer from 0 to %d", strings.Join(p.Values, ","), v, uint64(math.MaxUint64))
			}
			sw.Seeds = append(sw.Seeds, s)
		}
	}
	for s := 1; s <= spec.Seeds; s++ {
		sw.Seeds = append(sw.Seeds, uint64(s))
	}
	sw.ownSeed = len(sw.Seeds) == 0
	if n := combos(sw.Params) * max(len(sw.Seeds), 1); n > maxPoints || n <= 0 {
		return nil, fmt.Errorf("the grid has more than %d points; sweep fewer values or seeds", maxPoints)
	}

	file, data, err := scenarios.Read(spec.Scenario)
	if err != nil {
		return nil, err
	}
	for c := range combos(sw.Params) {
		ovs := sw.overrides(c)
		sc, err := scenarios.ParseWithOverrides(file, data, ovs)
		if err != nil {
			return nil, err
		}
		if _, err := sim.Explain(sc); err != nil { // what the backend would refuse at issue, as `run` checks
			return nil, err
		}
		sw.Scenario = sc.Name
		sw.combos = append(sw.combos, sc)
	}
	return sw, nil
}

// maxPoints bounds a grid so that a typo (a 1000-value list twice) fails
// at once instead of allocating without end.
const maxPoints = 10_000_000

func (sw *Sweep) overrides(c int) []scenarios.Override {
	idx := valueIndices(sw.Params, c)
	ovs := make([]scenarios.Override, len(sw.Params))
	for j, p := range sw.Params {
		ovs[j] = scenarios.Override{Path: p.Path, Value: p.Values[idx[j]]}
	}
	return ovs
}

func (sw *Sweep) seedsPerCombo() int { return max(len(sw.Seeds), 1) }

// Size is the number of points in the whole grid.
func (sw *Sweep) Size() int { return len(sw.combos) * sw.seedsPerCombo() }

// Point returns point i of the grid.
func (sw *Sweep) Point(i int) Point {
	n := sw.seedsPerCombo()
	c, s := i/n, i%n
	p := Point{Index: i, Values: make([]string, len(sw.Params))}
	for j, vi := range valueIndices(sw.Params, c) {
		p.Values[j] = sw.Params[j].Values[vi]
	}
	if sw.ownSeed {
		p.Seed = sw.combos[c].Seed
	} else {
		p.Seed = sw.Seeds[s]
	}
	return p
}

// ParamPaths lists the swept paths in order: the CSV's parameter columns.
func (sw *Sweep) ParamPaths() []string {
	out := make([]string, len(sw.Params))
	for i, p := range sw.Params {
		out[i] = p.Path
	}
	return out
}

// Options tune Run.
type Options struct {
	Shard Shard // zero: the whole grid
	// Workers is the number of goroutines running points; 0 means
	// runtime.GOMAXPROCS(0): runtime.NumCPU(), or the container's CPU limit
	// when it sets a lower one.
	Workers int
	// Progress, when set, is called with the points done so far and the
	// shard's total: once with 0 before any point runs, then after each
	// point. Calls come from Run's goroutine, one at a time.
	Progress func(done, total int)
}

// Run runs the points of opts.Shard in parallel and returns their rows in
// point order. The result does not depend on Workers or on scheduling.
func (sw *Sweep) Run(ctx context.Context, opts Options) (*Table, error) {
	idx := opts.Shard.Indices(sw.Size())
	t := &Table{Scenario: sw.Scenario, Params: sw.ParamPaths(), GridSize: sw.Size(), Shard: opts.Shard, Rows: make([]Row, len(idx))}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(min(workers, len(idx)), 1)
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	progress(0, len(idx))

	type result struct {
		pos int
		row Row
		err error
	}
	jobs := make(chan int)
	results := make(chan result)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for pos := range jobs {
				row, err := sw.runPoint(idx[pos])
				results <- result{pos, row, err}
			}
		})
	}
	go func() {
		defer close(jobs)
		for pos := range idx {
			select {
			case jobs <- pos:
			case <-ctx.Done(): // a point failed, or the caller gave up
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var firstErr error
	done := 0
	for r := range results { // every point handed out reports back
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
				cancel()
			}
			continue
		}
		t.Rows[r.pos] = r.row
		done++
		progress(done, len(idx))
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if done < len(idx) {
		return nil, ctx.Err()
	}
	return t, nil
}

// runPoint runs one point: its own engine, single-threaded.
func (sw *Sweep) runPoint(i int) (row Row, err error) {
	p := sw.Point(i)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("point %d (%s): the simulation failed: %v", i, sw.describe(p), r)
		}
	}()
	sc := sw.combos[i/sw.seedsPerCombo()]
	res := sim.New(sc, sim.Options{Seed: p.Seed, SeedSet: true}).Run()
	return Row{Point: i, Values: p.Values, Seed: p.Seed, Metrics: Measure(res)}, nil
}

func (sw *Sweep) describe(p Point) string {
	parts := make([]string, 0, len(p.Values)+1)
	for j, v := range p.Values {
		parts = append(parts, sw.Params[j].Path+"="+v)
	}
	return strings.Join(append(parts, "seed="+strconv.FormatUint(p.Seed, 10)), ", ")
}

// Metrics are the numbers one run yields (docs/sweep.md). Optional values
// are nil when there is nothing to report (no cliff, no hard end reached).
type Metrics struct {
	Cliffs            int     // mass ends (report.json cliffs[])
	FirstCliffOffset  *int64  // seconds from start to the first cliff
	FirstCliffBoundBy string  // the layer that set the first cliff's end ("operator" for a revoke); "" without a cliff
	LargestCliff      int     // most in-use tokens and leases ended by one cliff
	Outages           int     // outage windows, over all services
	OutageSeconds     int64   // the windows' durations, summed over services
	FailedRequests    float64 // over all services, rounded to 3 decimals
	// EarliestHardEnd is the first instant an entity reached its own hard
	// end while still in use (its holder had not replaced it): seconds
	// from start.
	EarliestHardEnd *int64
	// SystemDefaultBound counts ended tokens and leases whose end was set
	// by the server's max_lease_ttl (the untuned 768h default, or its
	// configured value).
	SystemDefaultBound int
}

// Measure computes the metrics of one run.
func Measure(r *sim.Result) Metrics {
	var m Metrics
	m.Cliffs = len(r.Cliffs)
	for i := range r.Cliffs {
		c := &r.Cliffs[i]
		if i == 0 {
			at := int64(c.At)
			m.FirstCliffOffset = &at
			m.FirstCliffBoundBy = c.BoundBy.String()
			if c.Cause == sim.Revoked {
				m.FirstCliffBoundBy = "operator"
			}
		}
		m.LargestCliff = max(m.LargestCliff, c.Size())
	}
	var failed float64
	for _, s := range r.Services {
		m.Outages += s.Outages
		m.OutageSeconds += s.Down.Seconds()
		failed += s.FailedRequests
	}
	m.FailedRequests = round3(failed)
	for i := range r.Entities {
		f := &r.Entities[i]
		if !f.Ended {
			continue
		}
		if f.BoundBy.Kind == model.LayerSystemMax {
			m.SystemDefaultBound++
		}
		inUse := !f.Replaced || f.ReplacedAt >= f.EndedAt // replaced only in reaction to its end
		if f.Cause == sim.MaxTTL && inUse && (m.EarliestHardEnd == nil || int64(f.EndedAt) < *m.EarliestHardEnd) {
			at := int64(f.EndedAt)
			m.EarliestHardEnd = &at
		}
	}
	return m
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
