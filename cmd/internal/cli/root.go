// Package cli wires leasesim's commands to the packages that do the work.
// Each command is a NewCmdX function in its own file; behaviour lives in
// model, scenarios, sim and plots.
package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// Exit codes, shared by every command; each means one thing. Commands
// return typed errors and exitCode maps them, so no command picks a
// number itself.
const (
	ExitOK        = 0
	ExitViolation = 1 // a gate failed: check found a violation
	ExitBadInput  = 2 // bad scenario, flag, argument or input file
	ExitBudget    = 3 // a resource budget stopped a run (*sim.BudgetError)
	ExitIO        = 4 // an output could not be written (or an input read back)
	// 130 and 143: interrupted by SIGINT or SIGTERM (interrupt.go).
)

// IO is where a command writes.
type IO struct {
	Out, Err io.Writer
}

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func badInput(err error) error { return &exitError{ExitBadInput, err} }

// ioFailure marks err as a failed write (or read of what we wrote): exit 4.
func ioFailure(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{ExitIO, err}
}

// exitCode maps an error a command returned to the process exit code: an
// explicit exitError first, then a budget, then an operating-system I/O
// error; everything else is cobra's (flags, arguments, unknown commands),
// which is bad usage.
func exitCode(err error) int {
	var ee *exitError
	var be *sim.BudgetError
	var pe *fs.PathError
	var le *os.LinkError
	var se *os.SyscallError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &be):
		return ExitBudget
	case errors.As(err, &pe), errors.As(err, &le), errors.As(err, &se):
		return ExitIO
	}
	return ExitBadInput
}

// NewRootCmd builds the command tree.
func NewRootCmd(io IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "leasesim",
		Short: "Simulate credential lease hierarchies of a Vault-style secrets backend",
		Long: `leasesim answers, before production does: when will each token and credential
in this hierarchy stop working, which setting decided that, and what goes down
with it?

It follows Vault's and OpenBao's lifetime rules: the TTL formula, mount and
system defaults (768h unless configured), roles, renewals that cannot pass the
max TTL counted from the original issue time, and cascading revocation.

A SCENARIO is a YAML file or the name of a built-in one (leasesim scenarios list).`,
		Example: `  leasesim scenarios list
  leasesim run default-max-cliff
  leasesim explain default-max-cliff broker
  leasesim check default-max-cliff
  leasesim compare jan-2024-replay jan-2024-fixed`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       toolVersion(),
	}
	root.SetVersionTemplate("leasesim {{.Version}}\n")
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	root.AddCommand(NewCmdRun(io), NewCmdExplain(io), NewCmdCheck(io), NewCmdCompare(io), NewCmdSweep(io), NewCmdImport(io), NewCmdScenarios(io), NewCmdPlot(io))
	return root
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	root := NewRootCmd(IO{Out: stdout, Err: stderr})
	sim.Version = root.Version
	root.SetArgs(normalizeArgs(args))
	err := root.Execute()
	if err == nil {
		return ExitOK
	}
	printError(stderr, err)
	return exitCode(err)
}

func printError(w io.Writer, err error) {
	var ve *scenarios.ValidationError
	if errors.As(err, &ve) {
		n := len(ve.Problems)
		fmt.Fprintf(w, "leasesim: %d problem%s in the scenario:\n", n, plural(n))
		for _, p := range ve.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
		return
	}
	fmt.Fprintf(w, "leasesim: %v\n", err)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// loadScenario loads a scenario by path or built-in name; any failure is bad input.
func loadScenario(nameOrPath string) (*scenarios.Scenario, error) {
	s, err := scenarios.Load(nameOrPath)
	if err != nil {
		return nil, badInput(err)
	}
	return s, nil
}

// outputFormat validates -o.
func outputFormat(v string) error {
	if v != "text" && v != "json" {
		return badInput(fmt.Errorf("invalid output format %q: use -o text or -o json", v))
	}
	return nil
}
