package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// WriteReference writes the CLI reference (docs/cli.md) from the command
// tree itself, so that it cannot drift from the commands: every command's
// synopsis, description, examples and flags, and the exit codes.
func WriteReference(w io.Writer) error {
	root := NewRootCmd(IO{Out: io.Discard, Err: io.Discard})
	root.InitDefaultHelpCmd()
	var b strings.Builder
	b.WriteString("# leasesim command reference\n\n")
	b.WriteString("Generated from the commands by `go test ./cmd/internal/cli -run TestCLIReference -update`;\n")
	b.WriteString("a test fails when this file and the commands disagree. `leasesim help COMMAND` prints the same.\n\n")
	b.WriteString("Every command takes `-o text|json` (`-format=json`, Vault's spelling, works too).\n")
	b.WriteString("Exit codes mean one thing everywhere: ")
	b.WriteString("0 ok, 1 a gate failed (`check` found a violation, `compare --fail-on` matched the verdict), ")
	b.WriteString("2 bad input or usage, 3 a resource budget was reached, 4 an input/output error; ")
	b.WriteString("130 (SIGINT, Ctrl-C) or 143 (SIGTERM) interrupted: the outputs written so far under temporary names are removed and the previous ones left as they were.\n\n")
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		writeCommand(&b, c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCommand(b *strings.Builder, c *cobra.Command) {
	fmt.Fprintf(b, "## %s\n\n%s.\n\n", c.CommandPath(), strings.TrimSuffix(c.Short, "."))
	if c.Runnable() {
		fmt.Fprintf(b, "```\n%s\n```\n\n", c.UseLine())
	}
	if c.Long != "" {
		fmt.Fprintf(b, "```text\n%s\n```\n\n", strings.TrimSpace(c.Long))
	}
	if c.Example != "" {
		fmt.Fprintf(b, "Examples:\n\n```sh\n%s\n```\n\n", strings.TrimRight(c.Example, "\n"))
	}
	if flags := c.NonInheritedFlags().FlagUsages(); strings.TrimSpace(flags) != "" {
		fmt.Fprintf(b, "Flags:\n\n```text\n%s```\n\n", flags)
	}
	var subs []string
	for _, s := range c.Commands() {
		if !s.Hidden && s.Name() != "help" && s.Name() != "completion" {
			subs = append(subs, fmt.Sprintf("[%s](#%s)", s.CommandPath(), strings.ReplaceAll(s.CommandPath(), " ", "-")))
		}
	}
	if len(subs) > 0 {
		fmt.Fprintf(b, "Commands: %s.\n\n", strings.Join(subs, ", "))
	}
}
