package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every command's --help, text and JSON output, one golden file per
// command under testdata/golden (go test ./cmd/internal/cli -update
// rewrites them). A file is a transcript: "$ leasesim ARGS", the exit code
// when not 0, then standard output. Temporary paths read $DIR.
func TestCommandGoldens(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "short-parent", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	events := filepath.Join(dir, "events.jsonl")
	vault := filepath.Join("..", "..", "..", "testdata", "vault", "jan-2024")
	const cmp = "roles.broker.token_max_ttl=168h"
	for _, tc := range []struct {
		name string
		runs [][]string
	}{
		{"leasesim", [][]string{{"--help"}, {"--version"}}},
		{"run", [][]string{{"run", "--help"}, {"run", "short-parent"}, {"run", "short-parent", "-o", "json"}}},
		{"explain", [][]string{{"explain", "--help"}, {"explain", "default-max-cliff", "broker"}, {"explain", "default-max-cliff", "core-api[3].credential#1", "-o", "json"}}},
		{"check", [][]string{{"check", "--help"}, {"check", "default-max-cliff"}, {"check", "default-max-cliff", "-o", "json"}}},
		{"compare", [][]string{{"compare", "--help"}, {"compare", "default-max-cliff", "--set", cmp}, {"compare", "default-max-cliff", "--set", cmp, "-o", "json"}}},
		{"sweep", [][]string{{"sweep", "--help"}, {"sweep", "short-parent", "--set", "horizon=10d,20d", "-o", "text"}, {"sweep", "short-parent", "--set", "horizon=10d,20d", "-o", "json"}}},
		{"scenarios", [][]string{{"scenarios", "--help"}, {"scenarios", "list", "--help"}, {"scenarios", "show", "--help"}, {"scenarios", "list"}, {"scenarios", "list", "-o", "json"}}},
		{"import", [][]string{{"import", "--help"}, {"import", "vault", "--help"}, {"import", "vault", vault}, {"import", "vault", vault, "-o", "json"}}},
		{"plot", [][]string{{"plot", "--help"}, {"plot", events, "--out", dir}, {"plot", events, "--out", dir, "--plot", "renewal.svg", "--entity", "worker.credential", "-o", "json"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			for i, args := range tc.runs {
				code, stdout, _ := run(args...)
				if i > 0 {
					b.WriteString("\n")
				}
				fmt.Fprintf(&b, "$ leasesim %s\n", strings.Join(args, " "))
				if code != ExitOK {
					fmt.Fprintf(&b, "[exit %d]\n", code)
				}
				b.WriteString(stdout)
			}
			out := strings.ReplaceAll(b.String(), dir, "$DIR")
			golden(t, filepath.Join("testdata", "golden", tc.name+".txt"), []byte(out))
		})
	}
}
