package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/scenarios/vault"
)

// ImportOptions are the inputs of `leasesim import vault`.
type ImportOptions struct {
	IO      IO
	Paths   []string
	Out     string
	Name    string
	Horizon string
	Output  string
}

// NewCmdImport builds `leasesim import` and its `vault` subcommand.
func NewCmdImport(io IO) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Build a scenario from a real configuration",
		Example: `  leasesim import vault testdata/vault/jan-2024/ --out /tmp/fleet.yaml
  leasesim explain /tmp/fleet.yaml`,
		Args: cobra.NoArgs,
	}
	opts := &ImportOptions{IO: io}
	v := &cobra.Command{
		Use:   "vault DIR|FILE...",
		Short: "Build a scenario from Vault or OpenBao JSON: tunes, roles and live token lookups",
		Long: `Import reads the JSON that Vault's and OpenBao's CLI and API return —
mount tunes and tables, the server's configuration, auth, token and database
roles, token and lease lookups (the -format=json envelope or the bare data
object; each file is identified by its content) — and writes a scenario that
forecasts the live fleet from the moment of the lookups: each live token is an
actor holding it (existing:), renewing it and never logging in again. Then
'leasesim explain' says when each token reaches its hard end and which layer
sets it, and 'leasesim run' what goes down with it.

What the files cannot tell is said, not guessed: token parents (Vault never
shows them), roles that were not read, the server's configuration when it was
not read. Warnings go to stderr; docs/import.md lists the commands that
collect the inputs.`,
		Example: `  leasesim import vault testdata/vault/jan-2024/ --out /tmp/fleet.yaml
  leasesim import vault testdata/vault/jan-2024/ -o json   # the scenario and the warnings, for a script
  leasesim explain fleet.yaml
  leasesim run fleet.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return importRun(opts)
		},
	}
	v.Flags().StringVar(&opts.Out, "out", "", "write the scenario to this file (default: standard output)")
	addOutputFlag(v, &opts.Output)
	v.Flags().StringVar(&opts.Name, "name", "imported", "the scenario's name")
	v.Flags().StringVar(&opts.Horizon, "horizon", "400d", "how far to forecast")
	cmd.AddCommand(v)
	return cmd
}

func importRun(opts *ImportOptions) error {
	if err := outputFormat(opts.Output); err != nil {
		return err
	}
	// Flags are checked as flags: a bad value must not surface as a
	// problem at a line of the scenario the import writes.
	horizon, err := model.ParseDuration(opts.Horizon)
	switch {
	case err != nil:
		return badInput(fmt.Errorf("--horizon %s: %v", opts.Horizon, err))
	case horizon <= 0 || horizon > scenarios.MaxHorizon:
		return badInput(fmt.Errorf("--horizon %s: want more than 0s and at most %dd (100 years), such as 400d", opts.Horizon, scenarios.MaxHorizon/model.Day))
	}
	if err := scenarios.CheckName(opts.Name); err != nil {
		return badInput(fmt.Errorf("--name: %w", err))
	}
	snap, err := vault.Read(opts.Paths...)
	if err != nil {
		return badInput(err)
	}
	yaml, warnings, err := vault.Scenario(snap, vault.ImportOptions{Name: opts.Name, Horizon: horizon, HorizonText: opts.Horizon})
	if err != nil {
		return badInput(err)
	}
	// What we write must be a valid scenario; say so here rather than later.
	if _, err := scenarios.Parse(opts.Name+".yaml", yaml); err != nil {
		return fmt.Errorf("the imported scenario does not validate (a leasesim bug; please report it): %w", err)
	}
	if opts.Output == "json" {
		if opts.Out != "" {
			if err := writeFile(opts.Out, func(w io.Writer) error { _, err := w.Write(yaml); return err }); err != nil {
				return err
			}
		}
		return writeJSON(opts.IO.Out, map[string]any{"scenario": string(yaml), "out": opts.Out, "warnings": append([]string{}, warnings...)})
	}
	for _, w := range warnings {
		fmt.Fprintf(opts.IO.Err, "leasesim: import: %s\n", w)
	}
	if opts.Out == "" {
		_, err = opts.IO.Out.Write(yaml)
		return err
	}
	return writeFile(opts.Out, func(w io.Writer) error { _, err := w.Write(yaml); return err })
}
