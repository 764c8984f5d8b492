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
		Example: `  leasesim scenarios list
  leasesim scenarios show jan-2024-replay > /tmp/replay.yaml
  leasesim run /tmp/replay.yaml`,
		Args: cobra.NoArgs,
	}
	var listOut, showOut string
	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Example: `  leasesim scenarios list
  leasesim scenarios list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(listOut); err != nil {
				return err
			}
			if listOut == "json" {
				type entry struct {
					Name        string `json:"name"`
					Description string `json:"description"`
				}
				list := []entry{}
				for _, e := range scenarios.List() {
					list = append(list, entry{e.Name, e.Description})
				}
				return writeJSON(io.Out, map[string]any{"scenarios": list})
			}
			tw := tabwriter.NewWriter(io.Out, 0, 0, 2, ' ', 0)
			for _, e := range scenarios.List() {
				fmt.Fprintf(tw, "%s\t%s\n", e.Name, e.Description)
			}
			return tw.Flush()
		},
	}
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a built-in scenario's YAML",
		Example: `  leasesim scenarios show default-max-cliff > /tmp/my-fleet.yaml
  leasesim scenarios show default-max-cliff -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := outputFormat(showOut); err != nil {
				return err
			}
			src, err := scenarios.Source(args[0])
			if err != nil {
				return badInput(err)
			}
			if showOut == "json" {
				return writeJSON(io.Out, map[string]any{"name": args[0], "yaml": string(src)})
			}
			_, err = io.Out.Write(src)
			return err
		},
	}
	addOutputFlag(list, &listOut)
	addOutputFlag(show, &showOut)
	cmd.AddCommand(list, show)
	return cmd
}
