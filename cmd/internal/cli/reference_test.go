package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md and the golden files in testdata/golden")

// docs/cli.md is generated from the commands; it fails here when it drifts.
func TestCLIReference(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteReference(&b))
	golden(t, filepath.Join("..", "..", "..", "docs", "cli.md"), b.Bytes())
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/internal/cli -update to create it")
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := 0; i < min(len(wl), len(gl)); i++ {
			if wl[i] != gl[i] {
				t.Fatalf("%s differs at line %d:\n want: %s\n  got: %s\n(run go test ./cmd/internal/cli -update if the change is intended)", path, i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("%s differs in length: %d lines, want %d (run go test ./cmd/internal/cli -update if the change is intended)", path, len(gl), len(wl))
	}
}

// Every command teaches itself with an example (leasesim help CMD).
func TestEveryCommandHasExamples(t *testing.T) {
	root := NewRootCmd(IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no examples", c.CommandPath())
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}
