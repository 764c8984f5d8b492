package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/entityid"
	"github.com/leasesim/leasesim/scenarios"
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
ACTOR.token for a per-replica child token, ACTOR.credential for its lease.
The ids run, plot and check print name one of them and are accepted too:
broker#2, core-api[3].token#1, core-api[3].credential#1.`,
		Example: `  # Why does the broker's token die on day 32?
  leasesim explain default-max-cliff broker

  # The entity a run named: the same analysis as core-api.credential
  leasesim explain default-max-cliff 'core-api[3].credential#1'

  # What would token_max_ttl=168h change?
  leasesim explain default-max-cliff broker --set roles.broker.token_max_ttl=168h

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
		if exps, err = explained(s, exps, opts.Entity); err != nil {
			return err
		}
	}
	if opts.Output == "json" {
		return sim.WriteExplainJSON(opts.IO.Out, s, exps)
	}
	return sim.WriteExplainText(opts.IO.Out, s, exps)
}

// explained keeps the explanation of the entity query names: a group as
// explain prints it (core-api.credential) or one entity of a run
// (core-api[3].credential#1), whose group it analyses.
func explained(s *scenarios.Scenario, exps []sim.Explanation, query string) ([]sim.Explanation, error) {
	q, err := entityid.Parse(query)
	if err != nil {
		return nil, badInput(err)
	}
	var groups []string
	for _, e := range exps {
		groups = append(groups, e.ID)
		if e.ID != q.Group() {
			continue
		}
		if q.Replica > e.Replicas {
			return nil, badInput(fmt.Errorf("scenario %s: %s has %d replica%s; %q names replica %d", s.Name, e.Actor, e.Replicas, plural(e.Replicas), query, q.Replica))
		}
		return []sim.Explanation{e}, nil
	}
	return nil, badInput(fmt.Errorf("scenario %s has no entity %q; it has: %s%s", s.Name, query, strings.Join(groups, ", "), entityid.DidYouMean(q.Group(), groups)))
}
