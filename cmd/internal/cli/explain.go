package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/sim"
)

// ExplainOptions are the inputs of `leasesim explain`.
type ExplainOptions struct {
	IO       IO
	Scenario string
	Entity   string
	Output   string
	Sets     []string
}

// NewCmdExplain builds `leasesim explain`.
func NewCmdExplain(io IO) *cobra.Command {
	opts := &ExplainOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "explain SCENARIO [ENTITY]",
		Short: "Say which setting decides each token's and credential's lifetime",
		Long: `Explain computes, without simulating time, the lifetime of every kind of token
and credential the scenario defines, as the backend would grant it at first
issue: every layer's value (system, mount, role, request, period, explicit
max), which layer binds the TTL and which the hard end, the hard end as a date
and as "day N", whether an ancestor ends it first, what dies with it, and the
warnings the backend would return, in its own words.

ENTITY narrows the output to one entity: an actor's name for its token,
ACTOR.token for a per-replica child token, ACTOR.credential for its lease.`,
		Example: `  # Why does the broker's token die on day 32?
  leasesim explain default-max-cliff broker

  # Everything, for a script
  leasesim explain default-max-cliff -o json`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Scenario = args[0]
			if len(args) == 2 {
				opts.Entity = args[1]
			}
			return explainRun(opts)
		},
	}
	addOutputFlag(cmd, &opts.Output)
	addSetFlag(cmd, &opts.Sets, "applied to the scenario first")
	return cmd
}

func explainRun(opts *ExplainOptions) error {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	s, err := loadWithSets(opts.Scenario, opts.Sets)
	if err != nil {
		return err
	}
	exps, err := sim.Explain(s)
	if err != nil {
		return badInput(err)
	}
	if opts.Entity != "" {
		var ids []string
		var keep []sim.Explanation
		for _, e := range exps {
			ids = append(ids, e.ID)
			if e.ID == opts.Entity {
				keep = append(keep, e)
			}
		}
		if len(keep) == 0 {
			return badInput(fmt.Errorf("scenario %s has no entity %q; it has: %s", s.Name, opts.Entity, strings.Join(ids, ", ")))
		}
		exps = keep
	}
	if opts.Output == "json" {
		return sim.WriteExplainJSON(opts.IO.Out, s, exps)
	}
	return sim.WriteExplainText(opts.IO.Out, s, exps)
}
