package cli

import (
	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
	"github.com/leasesim/leasesim/sim/compare"
)

// CompareOptions are the inputs of `leasesim compare`.
type CompareOptions struct {
	IO       IO
	Baseline string
	Proposal string
	Output   string
}

// NewCmdCompare builds `leasesim compare`.
func NewCmdCompare(io IO) *cobra.Command {
	opts := &CompareOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "compare BASELINE PROPOSAL",
		Short: "Set today's configuration and a proposed change side by side",
		Long: `Compare runs both scenarios and reports what the proposal does: cliffs removed,
added or moved (matched by root actor, cause and binding layer), the earliest
hard end each configuration implies, outage minutes and failed requests per
service, and a one-line verdict (BETTER, SAME or WORSE).`,
		Example: `  leasesim compare jan-2024-replay jan-2024-fixed
  leasesim compare today.yaml proposal.yaml -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Baseline, opts.Proposal = args[0], args[1]
			return compareRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	return cmd
}

func compareRun(opts *CompareOptions) error {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	base, err := compareSide(opts.Baseline, nil)
	if err != nil {
		return err
	}
	prop, err := compareSide(opts.Proposal, nil)
	if err != nil {
		return err
	}
	c := compare.Compare(base, prop)
	if opts.Output == "json" {
		return compare.WriteJSON(opts.IO.Out, c)
	}
	return compare.WriteText(opts.IO.Out, c)
}

// compareSide loads, explains and runs one side.
func compareSide(name string, s *scenarios.Scenario) (compare.Side, error) {
	if s == nil {
		var err error
		if s, err = loadScenario(name); err != nil {
			return compare.Side{}, err
		}
	}
	exps, err := sim.Explain(s)
	if err != nil {
		return compare.Side{}, badInput(err)
	}
	return compare.Side{Scenario: s, Label: name, Result: sim.New(s, sim.Options{}).Run(), Explain: exps}, nil
}
