package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/plots"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
	"github.com/leasesim/leasesim/sim/compare"
)

// CompareOptions are the inputs of `leasesim compare`.
type CompareOptions struct {
	IO       IO
	Baseline string
	Proposal string // "" = the baseline with Sets applied
	Sets     []string
	Output   string
	OutDir   string
	Budgets  sim.Budgets
	FailOn   []string // verdicts that exit 1
	Files    outFlags
}

// NewCmdCompare builds `leasesim compare`.
func NewCmdCompare(io IO) *cobra.Command {
	opts := &CompareOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "compare BASELINE [PROPOSAL] [--set PATH=VALUE...]",
		Short: "Set today's configuration and a proposed change side by side",
		Long: `Compare is a plan, like 'terraform plan': first the settings that differ
between the two inputs (each a --set path, old → new), then what that does —
cliffs removed, added or moved (matched by root actor, cause and binding
layer, each with the --set path of the layer that bound it), the earliest
hard end of a token and of a credential each configuration implies, outage
minutes and failed requests per service — and a verdict: BETTER (something
improves, nothing gets worse), SAME, WORSE, or MIXED (some of each). In JSON
"verdict" is better, same, worse or mixed; "summary" is the sentence.

Exit codes: 0 when compared (whatever the verdict), 1 when the verdict is
one that --fail-on lists (for CI: --fail-on worse,mixed), 2 for bad input.

With one scenario and --set PATH=VALUE (repeatable; the paths of 'sweep'),
the proposal is that scenario with the overrides applied; with two, the
overrides apply to the proposal.

--out DIR writes each run's report.json, events.jsonl and charts into
DIR/baseline and DIR/proposal, and an overlay of both runs' failed requests
per second and cliffs as DIR/compare.svg and DIR/compare.png. As with run,
each log is written while its run goes (--log, --log-gzip) and report.json
lists the entities as --entities says.`,
		Example: `  leasesim compare jan-2024-replay jan-2024-fixed
  leasesim compare default-max-cliff --set roles.broker.token_max_ttl=168h --set actors.broker.when_exhausted=reauth
  leasesim compare today.yaml proposal.yaml -o json
  # In CI: fail the job when a change makes things worse
  leasesim compare main.yaml branch.yaml --fail-on worse,mixed`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 2:
				return nil
			case len(args) == 1 && len(opts.Sets) > 0:
				return nil
			case len(args) == 1:
				return fmt.Errorf("compare needs a PROPOSAL scenario, or --set overrides that make one from BASELINE")
			}
			return fmt.Errorf("compare takes BASELINE and PROPOSAL (or BASELINE with --set), got %d arguments", len(args))
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Baseline = args[0]
			if len(args) == 2 {
				opts.Proposal = args[1]
			}
			return compareRun(opts)
		},
	}
	addOutputFlag(cmd, &opts.Output)
	cmd.Flags().StringArrayVar(&opts.Sets, "set", nil, "PATH=VALUE override for the proposal (repeatable)")
	cmd.Flags().StringVar(&opts.OutDir, "out", "", "write both runs' files and an overlay chart into this directory")
	addOutFlags(cmd, &opts.Files)
	addBudgetFlags(cmd, &opts.Budgets)
	cmd.Flags().StringSliceVar(&opts.FailOn, "fail-on", nil, "exit 1 when the verdict is one of these: worse, mixed, same, better (e.g. --fail-on worse,mixed)")
	return cmd
}

func compareRun(opts *CompareOptions) (err error) {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	if err := checkBudgets(opts.Budgets); err != nil {
		return err
	}
	ovs, err := parseSets(opts.Sets)
	if err != nil {
		return err
	}
	for _, v := range opts.FailOn {
		if !slices.Contains([]string{compare.Better, compare.Same, compare.Worse, compare.Mixed}, v) {
			return badInput(fmt.Errorf("--fail-on %s: want worse, mixed, same or better (comma-separated)", v))
		}
	}
	files, err := opts.Files.format(opts.OutDir)
	if err != nil {
		return err
	}
	var out *compareStage
	if opts.OutDir != "" {
		if out, err = openCompareStage(opts.OutDir, files); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, out.abandon()) }()
	}
	base, err := compareSide(opts.Baseline, nil, out.side(0), opts.Budgets)
	if err != nil {
		return err
	}
	name := opts.Proposal
	if name == "" {
		name = opts.Baseline
	}
	prop, err := compareSide(name, ovs, out.side(1), opts.Budgets)
	if err != nil {
		return err
	}
	c := compare.Compare(base, prop)
	if out != nil {
		if err := out.finish(c, opts.IO.Err); err != nil {
			return err
		}
	}
	if opts.Output == "json" {
		err = compare.WriteJSON(opts.IO.Out, c)
	} else {
		err = compare.WriteText(opts.IO.Out, c)
	}
	if err != nil {
		return ioFailure(err)
	}
	if slices.Contains(opts.FailOn, c.Kind()) {
		return &exitError{ExitViolation, fmt.Errorf("compare: the verdict is %s (--fail-on %s)", c.Kind(), strings.Join(opts.FailOn, ","))}
	}
	return nil
}

// compareSide loads one side (with overrides), explains and runs it, and
// lists the settings of its text as run.
func compareSide(name string, ovs []scenarios.Override, stage *runStage, b sim.Budgets) (compare.Side, error) {
	file, data, err := scenarios.Read(name)
	if err != nil {
		return compare.Side{}, badInput(err)
	}
	s, err := scenarios.ParseWithOverrides(file, data, ovs)
	if err != nil {
		return compare.Side{}, badInput(err)
	}
	if len(ovs) > 0 {
		if data, err = scenarios.ApplyOverrides(file, data, ovs); err != nil {
			return compare.Side{}, badInput(err)
		}
	}
	leaves, err := scenarios.Leaves(file, data)
	if err != nil {
		return compare.Side{}, badInput(err)
	}
	exps, err := sim.Explain(s)
	if err != nil {
		return compare.Side{}, badInput(err)
	}
	so := simOptions(b)
	if stage != nil {
		stage.streamTo(&so)
	}
	res := sim.New(s, so).Run()
	if err := res.BudgetErr(); err != nil {
		return compare.Side{}, err
	}
	return compare.Side{Scenario: s, Label: scenarios.OverrideLabel(name, ovs), Result: res, Explain: exps, Leaves: leaves}, nil
}

// compareStage is a `compare --out DIR` set being written, all or
// nothing as run --out: one staging directory in DIR holding each side's
// set (its log streamed as its run goes) and the overlay.
type compareStage struct {
	dir, stage string
	sides      [2]*runStage
}

// compareSides name the sides' directories in DIR.
var compareSides = [2]string{"baseline", "proposal"}

func openCompareStage(dir string, lf logFormat) (*compareStage, error) {
	stage, err := newStage(dir)
	if err != nil {
		return nil, err
	}
	c := &compareStage{dir: dir, stage: stage}
	for i, side := range compareSides {
		if c.sides[i], err = openStageIn(filepath.Join(dir, side), filepath.Join(stage, side), lf); err != nil {
			return nil, errors.Join(err, c.abandon())
		}
	}
	return c, nil
}

// side is side i's set, nil without --out.
func (c *compareStage) side(i int) *runStage {
	if c == nil {
		return nil
	}
	return c.sides[i]
}

// abandon removes what is left of the staging directory.
func (c *compareStage) abandon() error {
	if c == nil {
		return nil
	}
	var errs []error
	for _, s := range c.sides {
		if s != nil {
			errs = append(errs, s.abandon())
		}
	}
	defer doneOutput(c.stage)
	return errors.Join(append(errs, ioFailure(os.RemoveAll(c.stage)))...)
}

// finish writes both sides' report.json and charts and the overlay chart
// and compare.json, then replaces the previous set in DIR. With --log none
// there are no charts and so no overlay: notes says so.
func (c *compareStage) finish(cmp *compare.Comparison, notes io.Writer) error {
	var runs [2]*plots.Run
	for i, side := range []compare.Side{cmp.Baseline, cmp.Proposal} {
		var err error
		if runs[i], err = c.sides[i].write(side.Result, io.Discard); err != nil {
			return err
		}
	}
	if runs[0] != nil && runs[1] != nil {
		p, err := plots.Overlay(runs[0], runs[1], "baseline "+cmp.Baseline.Label, "proposal "+cmp.Proposal.Label, cmp.Verdict())
		if err != nil {
			return err
		}
		for _, format := range []string{"svg", "png"} {
			if err := writeFile(filepath.Join(c.stage, "compare."+format), func(w io.Writer) error {
				return plots.Render(w, p, format, plots.SlideWidth, plots.SlideHeight)
			}); err != nil {
				return err
			}
		}
	} else if c.sides[0].level == sim.LogNone {
		fmt.Fprintln(notes, "leasesim: no charts: they are drawn from the event logs, and --log none writes none")
	} else {
		fmt.Fprintf(notes, "leasesim: no overlay: a run issued more than the %d tokens and credentials the charts hold; plot each side's log with --max-entities N\n", chartEntities)
	}
	if err := writeFile(filepath.Join(c.stage, "compare.json"), func(w io.Writer) error { return compare.WriteJSON(w, cmp) }); err != nil {
		return err
	}
	for i, side := range compareSides {
		if err := os.MkdirAll(filepath.Join(c.dir, side), 0o755); err != nil {
			return ioFailure(err)
		}
		if err := commitFiles(c.sides[i].stage, filepath.Join(c.dir, side), runFiles()); err != nil {
			return err
		}
	}
	return commitFiles(c.stage, c.dir, []string{"compare.svg", "compare.png", "compare.json"})
}
