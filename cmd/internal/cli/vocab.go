package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leasesim/leasesim/scenarios"
)

// version, when set at link time, is the release version:
// go build -ldflags "-X github.com/leasesim/leasesim/cmd/internal/cli.version=v1.2.0" ./cmd/leasesim
var version string

// toolVersion is the build's version: the one set at link time, else the
// module version when installed with `go install …@vX`, else the VCS
// revision the binary was built from ("+dirty" when the tree had
// changes; builds with -buildvcs=false have none), else "dev".
func toolVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "dev"
	}
	return "dev-" + rev[:min(12, len(rev))] + dirty
}

// normalizeArgs accepts Vault's spelling of the output flag, -format=json
// (one dash), as -o json: Vault users type it by habit, and pflag would
// read it as the shorthands -f -o -r ….
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch {
		case a == "-format" || a == "--format":
			out = append(out, "--output")
		case strings.HasPrefix(a, "-format=") || strings.HasPrefix(a, "--format="):
			out = append(out, "--output="+a[strings.IndexByte(a, '=')+1:])
		default:
			out = append(out, a)
		}
	}
	return out
}

// addOutputFlag adds -o/--output text|json, the same on every command.
func addOutputFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVarP(v, "output", "o", "text", "output format: text or json (Vault's -format=json is accepted too)")
}

// addSetFlag adds --set PATH=VALUE, the override of compare and sweep.
func addSetFlag(cmd *cobra.Command, v *[]string, what string) {
	cmd.Flags().StringArrayVar(v, "set", nil, "PATH=VALUE override "+what+" (repeatable; the paths of sweep and compare, e.g. roles.broker.token_max_ttl=168h)")
}

// parseSets reads --set flags that take one value each.
func parseSets(sets []string) ([]scenarios.Override, error) {
	var ovs []scenarios.Override
	for _, set := range sets {
		path, values, err := scenarios.ParseSet(set)
		if err != nil {
			return nil, badInput(err)
		}
		if len(values) != 1 {
			return nil, badInput(fmt.Errorf("--set %s: give one value per path here (sweep takes lists)", set))
		}
		ovs = append(ovs, scenarios.Override{Path: path, Value: values[0]})
	}
	return ovs, nil
}

// loadWithSets loads a scenario by path or built-in name with --set
// overrides applied; any failure is bad input.
func loadWithSets(nameOrPath string, sets []string) (*scenarios.Scenario, error) {
	ovs, err := parseSets(sets)
	if err != nil {
		return nil, err
	}
	s, err := scenarios.LoadWithOverrides(nameOrPath, ovs)
	if err != nil {
		return nil, badInput(err)
	}
	return s, nil
}

// writeJSON writes v as indented JSON, the way every command's -o json does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
