package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/scenarios"
)

// NewCmdScenarios builds `leasesim scenarios list|show`.
func NewCmdScenarios(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenarios",
		Short: "List and show the built-in scenarios",
		Long: `The built-in library: scenarios embedded in the binary, usable by name
wherever a command takes a SCENARIO. Copy one with 'scenarios show NAME > my.yaml'
to start your own; docs/scenario-format.md describes every field.`,
		Args: cobra.NoArgs,
	}
	list := &cobra.Command{
		Use:     "list",
		Short:   "List the built-in scenarios",
		Example: `  leasesim scenarios list`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
			for _, e := range scenarios.List() {
				fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Description)
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:     "show NAME",
		Short:   "Print a built-in scenario's YAML",
		Example: `  leasesim scenarios show default-max-cliff > my-fleet.yaml`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := scenarios.Source(args[0])
			if err != nil {
				return badInput(err)
			}
			_, err = io.Out.Write(src)
			return err
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}
