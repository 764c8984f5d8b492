package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/sim"
)

// RunOptions are the inputs of `leasesim run`.
type RunOptions struct {
	IO       IO
	Scenario string
	Output   string
	OutDir   string
	Seed     uint64
	SeedSet  bool
	Budgets  sim.Budgets
	Sets     []string
	Files    outFlags
	Exact    bool // --exact (--no-elide): every renewal an event
}

// NewCmdRun builds `leasesim run`.
func NewCmdRun(io IO) *cobra.Command {
	opts := &RunOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Simulate a scenario: cliffs, outages and the fate of every token and credential",
		Long: `Run drives the scenario's tokens, child tokens and credentials through their
layered TTLs, renewals, re-authentication and cascading revocation on a virtual
clock, from the scenario's start to its horizon, and reports:

  - a headline: the first cliff — when, which token, which layer set its end,
    how many tokens and leases it took down, which services lost credentials;
  - every cliff (a mass end at one instant, grouped by root cause);
  - per-service outage windows with failed requests and time to recovery;
  - the fate of every token, and of every credential generation, folded.

The same scenario and seed always give byte-identical output.

A run is bounded by budgets of events, live entities and entities held in
memory (--max-events, --max-live, --max-entities: every entity issued, less
the ended credentials and tokens a folded report recycles). A run that exceeds one stops,
prints a STOPPED EARLY headline with what it found up to then (-o json:
nothing), leaves --out untouched and exits 3. Each million entities costs about 1 GB of memory
(1.5 GB with --out).

--out DIR owns report.json, events.jsonl (or events.jsonl.gz with --log-gzip)
and the charts timeline, live, impact, renewal and, when some lease waited for
its revocation past a second, revocation (.svg and .png) in DIR: they are
written to temporary files and replace the previous set only when all were
written; other files in DIR are left alone. The event log is written while the
run goes, so its size costs disk, not memory. --log says what it holds: all
(every event), lifecycle (the default: every event except the renewals of
leases that no hard end cut short — issues, ends, cascades, capped renewals,
token renewals, failures, outages, scripted events; the charts draw the same
from it) or none (no log, and so no charts). --log and --log-gzip need --out.
The charts hold every token and credential the run issued, about 100 bytes
each: a run that issued more than 2,000,000 writes its report and log but no
charts, and says how to draw them with plot --max-entities.

--entities says how -o json and report.json list the entities: auto (the
default) lists every one when the run issued at most 10,000 and folds a
larger run; all lists every one, however many; folded always folds. A
folded report says so ("entities_folded": true, "entities_total") and
gives one group per actor and kind (counts by end cause, binding layer and
replacement; first and last issue and end; the earliest capped renewal)
and lists one by one only the entities that matter individually: the
first and last tokens of small actors, the first roots of each cliff, the
entities whose end began an outage, each group's earliest capped renewal.
Its size follows the scenario, not the fleet or the horizon. The text
report always folds. What the reports fold, the run need not keep: the
memory of a credential or token its holder replaced or lost is recycled
once it ended and nothing kept names it (from the first with text or
folded output, above 10,000 entities with auto; never with all), so a
re-reading or re-authenticating fleet's memory follows the entities
alive, not every generation issued.

Renewals that cannot change anything — a lease renewed with a fixed step,
granted the same TTL each time, with nothing upstream or scripted able to
touch it — are elided: done in one step and counted as events, with the
same report as simulating each (docs/elision.md). --exact (or --no-elide)
simulates every renewal as an event; --log all does too.`,
		Example: `  leasesim run default-max-cliff
  leasesim run jan-2024-replay -o json
  leasesim run my-fleet.yaml --seed 7 --out /tmp/run/
  leasesim run default-max-cliff --set roles.broker.token_max_ttl=168h
  leasesim run big-fleet.yaml --max-entities 5000000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = args[0]
			opts.SeedSet = cmd.Flags().Changed("seed")
			return runRun(opts)
		},
	}
	addOutputFlag(cmd, &opts.Output)
	addSetFlag(cmd, &opts.Sets, "applied to the scenario before it runs")
	cmd.Flags().StringVar(&opts.OutDir, "out", "", "also write report.json, events.jsonl and the charts (SVG and PNG) into this directory")
	addOutFlags(cmd, &opts.Files)
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 0, "random seed (default: the scenario's seed)")
	cmd.Flags().BoolVar(&opts.Exact, "exact", false, "simulate every renewal as an event instead of eliding the steady ones (same report, slower)")
	cmd.Flags().BoolVar(&opts.Exact, "no-elide", false, "the same as --exact")
	addBudgetFlags(cmd, &opts.Budgets)
	return cmd
}

// addBudgetFlags adds --max-events, --max-live and --max-entities, bound to b.
func addBudgetFlags(cmd *cobra.Command, b *sim.Budgets) {
	*b = sim.DefaultBudgets
	cmd.Flags().Int64Var(&b.Events, "max-events", b.Events, "stop the run after this many events simulated one by one (exit 3; elided renewals do not count)")
	cmd.Flags().Int64Var(&b.Live, "max-live", b.Live, "stop the run when more tokens and leases than this are alive at once (exit 3)")
	cmd.Flags().Int64Var(&b.Entities, "max-entities", b.Entities, "stop the run when more tokens and leases than this are held in memory: every one issued, less the ended credentials and tokens a folded report recycles; about 1 GB per million (exit 3)")
}

// checkBudgets rejects budgets that are not positive.
func checkBudgets(b sim.Budgets) error {
	for _, f := range []struct {
		flag string
		v    int64
	}{{"--max-events", b.Events}, {"--max-live", b.Live}, {"--max-entities", b.Entities}} {
		if f.v <= 0 {
			return badInput(fmt.Errorf("%s %d: a budget must be at least 1", f.flag, f.v))
		}
	}
	return nil
}

// simOptions are the engine options the budgets ask for.
func simOptions(b sim.Budgets) sim.Options {
	return sim.Options{Budget: b.Events, MaxLive: b.Live, MaxEntities: b.Entities}
}

// runSimOptions are the engine options of a run, but for where its log
// goes and its progress.
func runSimOptions(opts *RunOptions, files logFormat) sim.Options {
	so := simOptions(opts.Budgets)
	so.Seed, so.SeedSet, so.LogLevel, so.Exact = opts.Seed, opts.SeedSet, files.level, opts.Exact
	so.Recycle, so.RecycleAfter = recycling(so.RecordLog, opts.Output == "json" || opts.OutDir != "", files.listing)
	return so
}

// recycling is whether a run may reuse the slots of credentials and
// tokens that ended (sim.Options.Recycle), and after how many entities issued:
// only entities every report it writes folds. The text report always
// folds; report.json (-o json, --out) folds above sim.FoldEntitiesAbove
// entities with --entities auto, always with folded, never with all; a
// log kept in memory names every entity it mentions.
func recycling(recordLog, report bool, l sim.EntityListing) (bool, int64) {
	switch {
	case recordLog || l == sim.EntitiesAll:
		return false, 0
	case report && l == sim.EntitiesAuto:
		return true, sim.FoldEntitiesAbove
	}
	return true, 0
}

// limitMemory sets the Go runtime's soft memory limit from the entity
// budget, about 2.4 kB an entity and at least 900 MiB, unless GOMEMLIMIT
// says otherwise. A run keeps every entity (1.5 kB each with the event
// log) and the collector would otherwise let the heap grow to twice that:
// at the default budget a runaway run with --out peaked at 1.5 GB; with
// the limit, under 1 GB.
func limitMemory(b sim.Budgets) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(900<<20, b.Entities*2400))
}

func runRun(opts *RunOptions) error {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	if err := checkBudgets(opts.Budgets); err != nil {
		return err
	}
	files, err := opts.Files.format(opts.OutDir)
	if err != nil {
		return err
	}
	s, err := loadWithSets(opts.Scenario, opts.Sets)
	if err != nil {
		return err
	}
	if _, err := sim.Explain(s); err != nil { // what the backend would refuse at issue
		return badInput(err)
	}
	limitMemory(opts.Budgets)
	so := runSimOptions(opts, files)
	var stage *runStage
	if opts.OutDir != "" {
		if stage, err = openRunStage(opts.OutDir, files); err != nil {
			return err
		}
		stage.streamTo(&so)
	}
	p := newProgress(opts.IO.Err, s.Horizon)
	so.Progress = p.update
	res := sim.New(s, so).Run()
	p.done()
	if budget := res.BudgetErr(); budget != nil {
		// The partial report of a runaway run is as large as the run
		// (every entity's fate): only its headline is printed, and
		// --out keeps the previous good set.
		if opts.Output == "text" {
			if _, err := fmt.Fprintln(opts.IO.Out, res.Headline()); err != nil {
				return ioFailure(err)
			}
		}
		if stage != nil {
			return errors.Join(fmt.Errorf("%w; %s was left as it was", budget, opts.OutDir), stage.abandon())
		}
		return budget
	}
	if stage != nil {
		if err := stage.finish(res, opts.IO.Err); err != nil {
			return err
		}
	}
	if opts.Output == "json" {
		err = sim.WriteReportJSON(opts.IO.Out, res, files.listing)
	} else {
		err = sim.WriteRunText(opts.IO.Out, res)
	}
	return ioFailure(err)
}

// progress shows a long run's simulated time on a terminal's stderr: a run
// that takes more than a few seconds must not look hung. It writes nothing
// when stderr is not a terminal, and nothing for runs shorter than
// progressAfter.
type progress struct {
	w       io.Writer
	horizon model.Duration
	start   time.Time
	last    time.Time
	shown   bool
}

const progressAfter = 3 * time.Second

func newProgress(w io.Writer, horizon model.Duration) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{}
	}
	return &progress{w: w, horizon: horizon, start: time.Now()}
}

func (p *progress) update(now model.Instant, events int64) {
	if p.w == nil {
		return
	}
	t := time.Now()
	if t.Sub(p.start) < progressAfter || t.Sub(p.last) < time.Second/2 {
		return
	}
	p.last, p.shown = t, true
	pct := 100.0
	if p.horizon > 0 {
		pct = 100 * float64(now) / float64(p.horizon)
	}
	fmt.Fprintf(p.w, "\r\033[Kleasesim: simulated %s of %s (%.0f%%), %d events, %s", model.Duration(now), p.horizon, pct, events, t.Sub(p.start).Round(time.Second))
}

// done clears the progress line.
func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
