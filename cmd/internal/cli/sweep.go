package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/leasesim/leasesim/plots"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
	"github.com/leasesim/leasesim/sim/sweep"
)

// SweepOptions are the inputs of `leasesim sweep`.
type SweepOptions struct {
	IO       IO
	Scenario string
	Sets     []string
	Seeds    int
	SeedsSet bool
	Shard    string
	Output   string
	CSVFile  string
	JSONFile string
	Workers  int
	// ShardCount is N for --shard auto in a Kubernetes Indexed Job.
	ShardCount int
	MaxPoints  int
	Budgets    sim.Budgets // each point's
	Heatmap    string      // chart file, .svg or .png
	Metric     string
	X, Y       string
}

// NewCmdSweep builds `leasesim sweep` and `leasesim sweep merge`.
func NewCmdSweep(io IO) *cobra.Command {
	opts := &SweepOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "sweep SCENARIO --set PATH=V1,V2,… [--set …] [--seeds N]",
		Short: "Run a scenario over a grid of settings × seeds: cliffs, outages, failed requests per point",
		Long: `Sweep asks "what if": it runs the scenario once for every combination of the
values given with --set, times every seed, and reports per point the cliffs,
the first cliff's time and binding layer, outages, failed requests and more
(docs/sweep.md defines each column).

--set PATH=V1,V2,… sets one scenario field to each value in turn; repeat it to
sweep several fields (the grid is their product, the first --set varying
slowest). PATH addresses any field of the scenario file: dotted keys into
mappings, [i] for list items:

  roles.broker.token_max_ttl            backend.mounts.database.max_lease_ttl
  actors.core-api.replicas              backend.max_lease_ttl
  events[0].at                          horizon

A key the file leaves out is added (roles.broker.token_max_ttl in
default-max-cliff); a path whose parent is missing is an error listing the keys
that exist there. Values are written as in the file: 24h, 0 (0 = unset, as in
Vault), true, 50/s, {every: 12h}. Every point's scenario gets every check a file
gets; a value the checks refuse names its --set in the error.

--seeds N runs seeds 1…N at each setting (without it: the scenario's own seed;
--set seed=7,42 lists seeds explicitly). Points run in parallel on all cores;
each run is deterministic, and the output is in point order, byte-identical
whatever --workers is.

--shard K/N runs only points i with i mod N = K−1, so a large sweep can be
split over N machines (K is 1-based); 'sweep merge' joins their CSVs into
exactly the CSV of the whole sweep, and refuses files of different sweeps
(each CSV starts with the scenario's SHA-256, the grid, the seeds and its
shard). --shard auto reads K and N from a Kubernetes Indexed Job
(JOB_COMPLETION_INDEX, with --shard-count N or JOB_COMPLETIONS) or a Slurm
job array (SLURM_ARRAY_TASK_ID and _COUNT, _MIN, _STEP).

Budgets: a sweep refuses to start with more than --max-points points (per
shard); each point's run has run's budgets (--max-events, --max-live,
--max-entities). A point that runs out of a budget (or fails) is a row with
its error, the others go on, and the command exits 3 after writing every
output.

--heatmap FILE.png (or .svg) draws --metric (default failed_requests) averaged
over seeds on a grid of two swept parameters: --x and --y, by default the first
two --set paths (or the first and "seed").

A progress bar is drawn on stderr when stderr is a terminal.`,
		Example: `  # Which max TTL and which reaction to an exhausted token avoid the cliff?
  leasesim sweep default-max-cliff \
    --set roles.broker.token_max_ttl=0,168h,720h \
    --set actors.broker.when_exhausted=none,reauth,'{reauth: {at: 0.5}}' --seeds 10

  # The same as CSV and JSON files, with a shorter horizon
  leasesim sweep default-max-cliff --set roles.broker.token_max_ttl=0,168h,720h \
    --set horizon=35d,90d --seeds 10 --csv sweep.csv --json sweep.json

  # Split over three machines, then merge
  leasesim sweep my-fleet.yaml --set backend.mounts.database.max_lease_ttl=1h,24h \
    --seeds 100 --shard 2/3 -o csv > part-2.csv
  leasesim sweep merge part-1.csv part-2.csv part-3.csv > sweep.csv

  # In a Kubernetes Indexed Job of 3 completions (docs/sweep.md has the manifest)
  leasesim sweep my-fleet.yaml --seeds 100 --shard auto --shard-count 3 -o csv

  # A heatmap of outage time over two settings
  leasesim sweep default-max-cliff --set roles.broker.token_max_ttl=0,168h,720h \
    --set actors.broker.when_exhausted=none,reauth --seeds 10 \
    --heatmap sweep.png --metric outage_seconds`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = args[0]
			opts.SeedsSet = cmd.Flags().Changed("seeds")
			return runSweep(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&opts.Sets, "set", nil, "sweep a scenario field: PATH=V1,V2,… (repeatable; the grid is the product)")
	f.IntVar(&opts.Seeds, "seeds", 0, "run seeds 1…N at every setting (default: the scenario's own seed)")
	f.StringVar(&opts.Shard, "shard", "", "run only shard K of N (K/N, 1-based): points i with i mod N = K-1; auto: from a Kubernetes Indexed Job or Slurm array")
	f.IntVar(&opts.ShardCount, "shard-count", 0, "N for --shard auto in a Kubernetes Indexed Job (spec.completions; or set JOB_COMPLETIONS; given both, they must agree)")
	f.IntVar(&opts.MaxPoints, "max-points", sweep.DefaultMaxPoints, "refuse a sweep (or shard) of more points than this")
	addBudgetFlags(cmd, &opts.Budgets)
	f.StringVarP(&opts.Output, "output", "o", "text", "output format: text, csv or json")
	f.StringVar(&opts.CSVFile, "csv", "", "also write the CSV to this file")
	f.StringVar(&opts.JSONFile, "json", "", "also write the JSON to this file")
	f.IntVar(&opts.Workers, "workers", 0, "points run at once (default 0: one per core)")
	f.StringVar(&opts.Heatmap, "heatmap", "", "also draw a heatmap chart to this .svg or .png file")
	f.StringVar(&opts.Metric, "metric", sweep.ColFailedRequests, "the heatmap's metric: "+strings.Join(sweep.NumericMetrics, ", "))
	f.StringVar(&opts.X, "x", "", "the heatmap's x parameter (default: the first --set path)")
	f.StringVar(&opts.Y, "y", "", "the heatmap's y parameter (default: the second --set path, or seed)")
	cmd.AddCommand(newCmdSweepMerge(io))
	return cmd
}

func runSweep(cmd *cobra.Command, opts *SweepOptions) error {
	if err := tableFormat(opts.Output); err != nil {
		return err
	}
	spec := sweep.Spec{Scenario: opts.Scenario}
	if opts.SeedsSet {
		if opts.Seeds < 1 {
			return badInput(fmt.Errorf("--seeds %d: want at least 1 (runs seeds 1…N)", opts.Seeds))
		}
		spec.Seeds = opts.Seeds
	}
	if opts.Workers < 0 {
		return badInput(fmt.Errorf("--workers %d: want 1 or more (0 = one per core)", opts.Workers))
	}
	for _, s := range opts.Sets {
		path, values, err := scenarios.ParseSet(s)
		if err != nil {
			return badInput(fmt.Errorf("--set %s: %w", s, err))
		}
		spec.Params = append(spec.Params, sweep.Param{Path: path, Values: values})
	}
	if opts.MaxPoints < 1 {
		return badInput(fmt.Errorf("--max-points %d: want at least 1", opts.MaxPoints))
	}
	if err := checkBudgets(opts.Budgets); err != nil {
		return err
	}
	shard, err := sweepShard(opts)
	if err != nil {
		return err
	}
	var heatFormat string
	if opts.Heatmap != "" {
		switch {
		case strings.HasSuffix(opts.Heatmap, ".svg"):
			heatFormat = "svg"
		case strings.HasSuffix(opts.Heatmap, ".png"):
			heatFormat = "png"
		default:
			return badInput(fmt.Errorf("--heatmap %s: the file must end in .svg or .png", opts.Heatmap))
		}
		if !slices.Contains(sweep.NumericMetrics, opts.Metric) {
			return badInput(fmt.Errorf("--metric %s: a heatmap can show %s", opts.Metric, strings.Join(sweep.NumericMetrics, ", ")))
		}
		if opts.X == "" && len(spec.Params) > 0 {
			opts.X = spec.Params[0].Path
		}
		if opts.Y == "" {
			opts.Y = "seed"
			if len(spec.Params) > 1 {
				opts.Y = spec.Params[1].Path
			}
		}
		if opts.X == "" {
			return badInput(fmt.Errorf("--heatmap needs at least one --set to draw"))
		}
	}
	sw, err := sweep.Prepare(spec)
	if err != nil {
		return badInput(err)
	}
	run := sweep.Options{Shard: shard, Workers: opts.Workers, MaxPoints: opts.MaxPoints, Budgets: opts.Budgets}
	var bar *progressBar
	if width, ok := terminalWidth(opts.IO.Err); ok {
		bar = &progressBar{w: opts.IO.Err, width: width, start: time.Now(), shown: -1}
		run.Progress = bar.update
	}
	t, err := sw.Run(cmd.Context(), run)
	if bar != nil {
		bar.finish()
	}
	var be *sweep.BudgetError
	if errors.As(err, &be) {
		return budgetExceeded(err)
	}
	if err != nil {
		return badInput(err) // a combination of settings the checks refuse
	}
	if opts.CSVFile != "" {
		if err := writeFile(opts.CSVFile, t.WriteCSV); err != nil {
			return err
		}
	}
	if opts.JSONFile != "" {
		if err := writeFile(opts.JSONFile, t.WriteJSON); err != nil {
			return err
		}
	}
	if opts.Heatmap != "" {
		h, err := sweep.HeatmapData(t, opts.Metric, opts.X, opts.Y)
		if err != nil {
			return badInput(fmt.Errorf("--heatmap: %w", err))
		}
		base, err := scenarios.Load(opts.Scenario)
		if err != nil {
			return badInput(err)
		}
		p, err := plots.Heatmap(heatmapGrid(base, t.Grid, h))
		if err != nil {
			return err
		}
		if err := writeFile(opts.Heatmap, func(w io.Writer) error {
			return plots.Render(w, p, heatFormat, plots.SlideWidth, plots.SlideHeight)
		}); err != nil {
			return err
		}
	}
	if err := writeTable(opts.IO.Out, t, opts.Output); err != nil {
		return err
	}
	switch n := t.Errors(); {
	case n == 1 && len(t.Rows) == 1:
		return budgetExceeded(errors.New("the sweep's one point stopped early or failed: see the error column"))
	case n > 0 && n == len(t.Rows):
		return budgetExceeded(fmt.Errorf("all %d points stopped early or failed: see the error column", n))
	case n > 0:
		return budgetExceeded(fmt.Errorf("%d of %d points stopped early or failed (see the error column); the others are complete", n, len(t.Rows)))
	}
	return nil
}

func budgetExceeded(err error) error { return &exitError{ExitBudget, err} }

// sweepShard reads --shard: K/N, or auto from the batch scheduler's
// environment.
func sweepShard(opts *SweepOptions) (sweep.Shard, error) {
	if opts.ShardCount < 0 {
		return sweep.Shard{}, badInput(fmt.Errorf("--shard-count %d: want the number of completions of the Kubernetes Indexed Job (spec.completions), at least 1", opts.ShardCount))
	}
	if opts.ShardCount > 0 && opts.Shard != "auto" {
		return sweep.Shard{}, badInput(fmt.Errorf("--shard-count %d: only with --shard auto, as N of a Kubernetes Indexed Job", opts.ShardCount))
	}
	// Two counts that disagree mean a manifest out of step with itself:
	// shards of two different splits, found only when merge refuses them.
	if v, ok := os.LookupEnv("JOB_COMPLETIONS"); ok && opts.ShardCount > 0 && v != strconv.Itoa(opts.ShardCount) {
		return sweep.Shard{}, badInput(fmt.Errorf("--shard-count %d and JOB_COMPLETIONS=%q disagree: give one of them, equal to the Job's spec.completions", opts.ShardCount, v))
	}
	switch opts.Shard {
	case "":
		return sweep.Shard{}, nil
	case "auto":
		sh, from, err := sweep.ShardFromEnv(os.LookupEnv, opts.ShardCount)
		if err != nil {
			return sh, badInput(err)
		}
		fmt.Fprintf(opts.IO.Err, "leasesim: sweep shard %s (%s)\n", sh, from) // for the job's log
		return sh, nil
	}
	sh, err := sweep.ParseShard(opts.Shard)
	if err != nil {
		return sh, badInput(fmt.Errorf("--shard: %w", err))
	}
	return sh, nil
}

func newCmdSweepMerge(streams IO) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "merge FILE…",
		Short: "Join the CSVs of a sharded sweep into the CSV of the whole sweep",
		Long: `Merge reads the CSV of every shard of one sweep (run with --shard K/N -o csv,
in any order) and prints the CSV of the whole sweep, byte-identical to running
it unsharded. It refuses inputs from different sweeps (other columns, another
grid size, other settings at a point), a point given twice, and a point
missing (a shard's file left out).`,
		Example: `  leasesim sweep merge part-1.csv part-2.csv part-3.csv > sweep.csv

  # In a Kubernetes Indexed Job of 3 completions (docs/sweep.md has the manifest)
  leasesim sweep my-fleet.yaml --seeds 100 --shard auto --shard-count 3 -o csv
  leasesim sweep merge part-*.csv -o text`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := tableFormat(output); err != nil {
				return err
			}
			var inputs []io.Reader
			for _, name := range args {
				f, err := os.Open(name)
				if err != nil {
					return badInput(err)
				}
				defer f.Close()
				inputs = append(inputs, f)
			}
			t, err := sweep.Merge(inputs...)
			if err != nil {
				return badInput(err)
			}
			return writeTable(streams.Out, t, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "csv", "output format: csv, text or json")
	return cmd
}

func tableFormat(v string) error {
	if v != "text" && v != "csv" && v != "json" {
		return badInput(fmt.Errorf("invalid output format %q: use -o text, -o csv or -o json", v))
	}
	return nil
}

func writeTable(w io.Writer, t *sweep.Table, format string) error {
	switch format {
	case "csv":
		return t.WriteCSV(w)
	case "json":
		return t.WriteJSON(w)
	}
	return t.WriteText(w)
}

// terminalWidth reports whether w is a terminal, and its width. Tests
// replace it to see the bar.
var terminalWidth = func(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}

// progressBar draws one line, redrawn in place with '\r':
//
//	sweep [██████████░░░░░░░░░░]  45/90  50%  1.2s, ~1.2s left
//
// It redraws at most every 100ms (and always at the end), so that fast
// points do not flood a slow terminal.
type progressBar struct {
	w     io.Writer
	width int
	start time.Time
	last  time.Time
	done  int
	total int
	shown int // done as last drawn; -1 before the first drawing
}

func (b *progressBar) update(done, total int) {
	b.done, b.total = done, total
	now := time.Now()
	if done < total && done > 0 && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last, b.shown = now, done
	fmt.Fprint(b.w, "\r"+renderBar(done, total, now.Sub(b.start), b.width))
}

// finish draws the last state, if not drawn yet, and ends the line.
func (b *progressBar) finish() {
	if b.shown != b.done {
		fmt.Fprint(b.w, "\r"+renderBar(b.done, b.total, time.Since(b.start), b.width))
	}
	fmt.Fprintln(b.w)
}

// renderBar is the bar's text for done of total points after elapsed,
// fitted to width columns (without the trailing column, which some
// terminals wrap on).
func renderBar(done, total int, elapsed time.Duration, width int) string {
	pct := 100
	if total > 0 {
		pct = done * 100 / total
	}
	tail := fmt.Sprintf("  %*d/%d  %3d%%  %s", len(fmt.Sprint(total)), done, total, pct, elapsed.Round(100*time.Millisecond))
	if done > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		tail += fmt.Sprintf(", ~%s left", max(left.Round(time.Second), time.Second))
	}
	const head = "sweep "
	cells := width - 1 - len(head) - 2 - len([]rune(tail))
	if cells < 5 {
		return strings.TrimLeft(tail, " ")
	}
	cells = min(cells, 40)
	fill := 0
	if total > 0 {
		fill = done * cells / total
	}
	line := head + "[" + strings.Repeat("█", fill) + strings.Repeat("░", cells-fill) + "]" + tail
	// Pad to erase what a longer previous line left behind.
	if pad := width - 1 - len([]rune(line)); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return line
}
