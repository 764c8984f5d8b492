package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
	"github.com/leasesim/leasesim/sim/check"
)

// CheckOptions are the inputs of `leasesim check`.
type CheckOptions struct {
	IO        IO
	Scenarios []string
	Policy    string
	Output    string
	JUnit     string
	Sets      []string
	Budgets   sim.Budgets
}

// errViolation makes check exit 1 after printing its report.
var errViolation = errors.New("check failed: a rule was violated")

// NewCmdCheck builds `leasesim check`.
func NewCmdCheck(io IO) *cobra.Command {
	opts := &CheckOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "check SCENARIO...",
		Short: "Sign a change off: run scenarios and fail on cliffs, outages or reliance on defaults",
		Long: `Check runs each scenario and evaluates its expect block, plus the rules of
--policy FILE shared by all of them. Made for CI: exit 0 when every rule holds,
1 when one is violated, 2 for bad input, 3 when a run exceeds a budget
(--max-events, --max-live, --max-entities), 4 when a file cannot be written.

Rules (in an expect block or a policy file):
  no_cascade_larger_than: N   no cliff ends more than N in-use tokens and leases
  no_outage: true             no service is ever without valid credentials
  max_failed_requests: N      at most N failed requests in total
  no_system_default_max: true no token or lease ends at the server's max_lease_ttl
                              (the value nobody set: the seed incident)
  min_reauth_margin: D        every token is replaced (re-authenticated) at least
                              D before its hard end, and none reaches it in use

Each violation says what happened, when, to which entity, which layer decided
it, and the smallest change that would fix it where one can be computed.`,
		Example: `  leasesim check default-max-cliff
  leasesim check my-fleet.yaml proposal.yaml --policy signoff.yaml --junit check.xml
  leasesim check jan-2024-fixed -o json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenarios = args
			return checkRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Policy, "policy", "", "YAML file of rules applied to every scenario (same keys as expect)")
	addOutputFlag(cmd, &opts.Output)
	addSetFlag(cmd, &opts.Sets, "applied to every scenario")
	cmd.Flags().StringVar(&opts.JUnit, "junit", "", "also write the verdicts as JUnit XML to this file")
	addBudgetFlags(cmd, &opts.Budgets)
	return cmd
}

func checkRun(opts *CheckOptions) error {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	if err := checkBudgets(opts.Budgets); err != nil {
		return err
	}
	var policy *scenarios.Expect
	if opts.Policy != "" {
		data, err := os.ReadFile(opts.Policy)
		if err != nil {
			return badInput(err)
		}
		if policy, err = scenarios.ParsePolicy(opts.Policy, data); err != nil {
			return badInput(err)
		}
	}
	var reps []*check.Report
	for _, name := range opts.Scenarios {
		s, err := loadWithSets(name, opts.Sets)
		if err != nil {
			return err
		}
		if !check.HasRules(s, policy) {
			return badInput(fmt.Errorf("%s: nothing to check: the scenario has no expect block and no --policy was given", s.File))
		}
		exps, err := sim.Explain(s)
		if err != nil {
			return badInput(err)
		}
		res := sim.New(s, simOptions(opts.Budgets)).Run()
		if err := res.BudgetErr(); err != nil {
			return err // a verdict on part of the horizon would mislead
		}
		reps = append(reps, check.Evaluate(s, res, exps, policy))
	}
	if opts.JUnit != "" {
		if err := writeFile(opts.JUnit, func(w io.Writer) error { return check.WriteJUnit(w, reps) }); err != nil {
			return err
		}
	}
	var err error
	if opts.Output == "json" {
		err = check.WriteJSON(opts.IO.Out, reps)
	} else {
		err = check.WriteText(opts.IO.Out, reps)
	}
	if err != nil {
		return ioFailure(err)
	}
	for _, r := range reps {
		if !r.Passed() {
			return &exitError{ExitViolation, errViolation}
		}
	}
	return nil
}
