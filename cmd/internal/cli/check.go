package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
Every scenario is checked even when
one cannot be read (it is reported as an error, and in --junit as an errored
test case); the exit code is the worst outcome.

Rules (in an expect block or a policy file):
  no_cascade_larger_than: N   no cliff ends more than N in-use tokens and leases
  no_outage: true             no service is ever without valid credentials
  max_failed_requests: N      at most N failed requests in total
  no_system_default_max: true no token or lease ends at the server's max_lease_ttl
                              (the value nobody set: the seed incident)
  min_reauth_margin: D        every token is replaced (re-authenticated) at least
                              D before its hard end, and none reaches it in use

Each violation says what happened, when, to which entity, which layer decided
it, and a fix on the entity's own chain: the --set overrides that apply it,
proven by re-running the scenario with them ("verified" when the violation
is gone). A rule in both expect and --policy is checked once, with the
stricter limit.`,
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
	ovs, err := parseSets(opts.Sets)
	if err != nil {
		return err
	}
	// Go on over every scenario: one that cannot be checked is an errored
	// case in the output and the JUnit file, not the end of the run.
	var reps []*check.Report
	for _, name := range opts.Scenarios {
		reps = append(reps, check.Scenario(name, ovs, policy, simOptions(opts.Budgets)))
	}
	var junitErr error
	if opts.JUnit != "" {
		junitErr = writeFile(opts.JUnit, func(w io.Writer) error { return check.WriteJUnit(w, reps) })
	}
	// The verdicts are printed even when the JUnit file could not be
	// written; that failure (exit 4) is then the worst outcome.
	if opts.Output == "json" {
		err = check.WriteJSON(opts.IO.Out, reps)
	} else {
		err = check.WriteText(opts.IO.Out, reps)
	}
	if err = errors.Join(junitErr, err); err != nil {
		return ioFailure(err)
	}
	return checkExit(reps)
}

// checkExit is the worst outcome: a run stopped by a budget, over a
// scenario that could not be checked (bad input), over a violated rule,
// over a pass.
func checkExit(reps []*check.Report) error {
	var violated bool
	var bad []*check.Report
	code := ExitBadInput
	for _, r := range reps {
		if r.Err != nil {
			bad = append(bad, r)
			var be *sim.BudgetError
			if errors.As(r.Err, &be) {
				code = ExitBudget
			}
		}
		violated = violated || !r.Passed()
	}
	switch {
	case len(bad) == 1:
		return &exitError{code, bad[0].Err}
	case len(bad) > 1:
		names := make([]string, len(bad))
		for i, r := range bad {
			names[i] = r.Name
		}
		return &exitError{code, fmt.Errorf("check: %d scenarios could not be checked: %s", len(bad), strings.Join(names, ", "))}
	case violated:
		return &exitError{ExitViolation, errViolation}
	}
	return nil
}
