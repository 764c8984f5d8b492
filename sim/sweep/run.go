package sweep

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

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

// Sweep is a prepared grid. Nothing in it grows with the grid: points are
// decoded from their index, and each combination of settings is parsed
// when a shard needs it.
type Sweep struct {
	Scenario string // the scenario's name
	// Digest is the SHA-256 of the scenario file as read, before the swept
	// values are applied: with the grid it names every point's input.
	Digest string
	Grid   Grid
	file   string
	data   []byte
}

// Prepare checks spec and the scenario. Errors are the caller's input: a
// bad spec, a grid too large to count (ErrGridOverflow), a scenario that
// does not load, an override path that leads nowhere (*scenarios.
// OverrideError), or a value the scenario checks refuse (*scenarios.
// ValidationError, its file name naming the overrides).
//
// It checks every value of every parameter, each with the other parameters
// at their first value — one parse per value, not per combination — so a
// bad path or value fails identically on every shard. Run checks the
// combinations of its own shard before running any.
func Prepare(spec Spec) (*Sweep, error) {
	if spec.Seeds < 0 {
		return nil, fmt.Errorf("--seeds %d: want a number of seeds of at least 1 (seeds 1…N)", spec.Seeds)
	}
	var params []Param
	seeds := Seeds{Range: spec.Seeds}
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
			params = append(params, p)
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
			seeds.List = append(seeds.List, s)
		}
	}
	ownSeed := seeds.Len() == 0
	if ownSeed {
		seeds.List = []uint64{0} // the scenario's seed, filled in below
	}
	grid, err := NewGrid(params, seeds)
	if err != nil {
		return nil, err
	}

	file, data, err := scenarios.Read(spec.Scenario)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	sw := &Sweep{Digest: hex.EncodeToString(sum[:]), Grid: grid, file: file, data: data}
	first := make([]int, len(params))
	sc, err := sw.load(first)
	if err != nil {
		return nil, err
	}
	for j, p := range params {
		for vi := 1; vi < len(p.Values); vi++ {
			idx := append([]int(nil), first...)
			idx[j] = vi
			if _, err := sw.load(idx); err != nil {
				return nil, err
			}
		}
	}
	sw.Scenario = sc.Name
	if ownSeed {
		sw.Grid.Seeds.List[0] = sc.Seed
	}
	return sw, nil
}

// load parses and checks the combination with these value indices.
func (sw *Sweep) load(idx []int) (*scenarios.Scenario, error) {
	ovs := make([]scenarios.Override, len(sw.Grid.Params))
	for j, p := range sw.Grid.Params {
		ovs[j] = scenarios.Override{Path: p.Path, Value: p.Values[idx[j]]}
	}
	sc, err := scenarios.ParseWithOverrides(sw.file, sw.data, ovs)
	if err != nil {
		return nil, err
	}
	if _, err := sim.Explain(sc); err != nil { // what the backend would refuse at issue, as `run` checks
		return nil, err
	}
	return sc, nil
}

// loadCombo parses and checks settings combination c.
func (sw *Sweep) loadCombo(c int) (*scenarios.Scenario, error) {
	idx := make([]int, len(sw.Grid.Params))
	for j := len(idx) - 1; j >= 0; j-- {
		n := len(sw.Grid.Params[j].Values)
		idx[j] = c % n
		c /= n
	}
	return sw.load(idx)
}

// Size is the number of points in the whole grid.
func (sw *Sweep) Size() int { return sw.Grid.Size() }

// Point returns point i of the grid.
func (sw *Sweep) Point(i int) Point { return sw.Grid.Point(i) }

// ParamPaths lists the swept paths in order: the CSV's parameter columns.
func (sw *Sweep) ParamPaths() []string { return sw.Grid.Paths() }

// DefaultMaxPoints is the default budget of points one Run may run. A
// point's row is held until the end (about 300 bytes), and a point of a
// small fleet costs about 10 ms of CPU: a million points are ~300 MB and
// hours of work; larger sweeps are sharded (--shard K/N).
const DefaultMaxPoints = 1_000_000

// BudgetError is a sweep refused before it starts: its shard has more
// points than the budget (--max-points).
type BudgetError struct {
	Points, Limit int
	Grid          string // the grid's shape
	Shard         Shard
}

func (e *BudgetError) Error() string {
	of := ""
	if !e.Shard.Whole() {
		of = fmt.Sprintf(" in shard %s", e.Shard)
	}
	return fmt.Sprintf("the sweep has %d points%s (%s), more than the budget of %d points (--max-points); raise it with --max-points N, split the grid with --shard K/N, or sweep fewer values or seeds",
		e.Points, of, e.Grid, e.Limit)
}

// Options tune Run.
type Options struct {
	Shard Shard // zero: the whole grid
	// Workers is the number of goroutines running points; 0 means
	// runtime.GOMAXPROCS(0): runtime.NumCPU(), or the container's CPU limit
	// when it sets a lower one.
	Workers int
	// MaxPoints is the most points Run will run; 0 means DefaultMaxPoints.
	MaxPoints int
	// Budgets bound each point's run (events, live and issued entities);
	// a zero field is the engine's default.
	Budgets sim.Budgets
	// Progress, when set, is called with the points done so far and the
	// shard's total: once with 0 before any point runs, then after each
	// point. Calls come from Run's goroutine, one at a time.
	Progress func(done, total int)
}

// Run runs the points of opts.Shard in parallel and returns their rows in
// point order. The result does not depend on Workers or on scheduling. A
// point whose run stops at a budget or fails is a row with its error, and
// the other points go on; Run's own errors are a refused budget
// (*BudgetError), a combination of settings the checks refuse, and ctx.
func (sw *Sweep) Run(ctx context.Context, opts Options) (*Table, error) {
	count := opts.Shard.Count(sw.Size())
	limit := opts.MaxPoints
	if limit <= 0 {
		limit = DefaultMaxPoints
	}
	if count > limit {
		return nil, &BudgetError{Points: count, Limit: limit, Grid: sw.Grid.describe(), Shard: opts.Shard}
	}
	if err := sw.checkShard(ctx, opts.Shard, count); err != nil {
		return nil, err
	}
	t := &Table{Scenario: sw.Scenario, Digest: sw.Digest, Grid: sw.Grid, Shard: opts.Shard, Rows: make([]Row, count)}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(min(workers, count), 1)
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	progress(0, count)

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
			var last *scenarios.Scenario // points of one combination come in a row
			lastCombo := -1
			for pos := range jobs {
				p := sw.Grid.Point(opts.Shard.Index(pos))
				if p.Combo != lastCombo {
					sc, err := sw.loadCombo(p.Combo)
					if err != nil { // checkShard passed it: only a broken parser gets here
						results <- result{pos, Row{}, err}
						continue
					}
					last, lastCombo = sc, p.Combo
				}
				results <- result{pos, runPoint(last, p, opts.Budgets), nil}
			}
		})
	}
	go func() {
		defer close(jobs)
		for pos := range count {
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
		progress(done, count)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if done < count {
		return nil, ctx.Err()
	}
	return t, nil
}

// checkShard parses and checks every combination of settings the shard
// runs, before any point runs: a refused combination fails at once, not
// hours into the sweep. It costs a parse per combination (~0.2 ms, against
// ~10 ms for a point), and holds nothing.
func (sw *Sweep) checkShard(ctx context.Context, sh Shard, count int) error {
	last, seeds := -1, max(sw.Grid.Seeds.Len(), 1)
	for pos := range count {
		c := sh.Index(pos) / seeds
		if c == last {
			continue
		}
		last = c
		if _, err := sw.loadCombo(c); err != nil {
			return err
		}
		if pos%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// runPoint runs one point: its own engine, single-threaded. A budget that
// stops the run, or a failure of the engine, is the row's error.
func runPoint(sc *scenarios.Scenario, p Point, b sim.Budgets) (row Row) {
	row = Row{Point: p.Index, Values: p.Values, Seed: p.Seed}
	defer func() {
		if r := recover(); r != nil {
			row.Metrics = Metrics{}
			row.Err = fmt.Sprintf("the simulation failed: %v", r)
		}
	}()
	// No metric reads the revocation section or the first capped renewals
	// (Measure), and neither changes anything else: their work is left
	// out. Measure reads every entity folded (Result.EndTally), so retired
	// credentials that ended are recycled from the first: memory follows
	// the live set.
	res := sim.New(sc, sim.Options{Seed: p.Seed, SeedSet: true, Budget: b.Events, MaxLive: b.Live, MaxEntities: b.Entities,
		NoRevocation: true, NoFirstCapped: true, Recycle: true}).Run()
	if err := res.BudgetErr(); err != nil {
		row.Err = err.Error()
		return row
	}
	row.Metrics = Measure(res)
	return row
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
	// Censored says an outage was still going when the run stopped at its
	// horizon: OutageSeconds and FailedRequests were cut there and are
	// lower bounds. Not a CSV column: only the heatmap reads it ("≥").
	Censored bool
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
	for _, w := range r.Impacts {
		m.Censored = m.Censored || w.Ongoing
	}
	t := r.EndTally()
	m.SystemDefaultBound = t.SystemMaxBound
	if t.HardEndInUse {
		at := int64(t.FirstHardEndInUse)
		m.EarliestHardEnd = &at
	}
	return m
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
