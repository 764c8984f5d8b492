package cli

import (
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The revocation lines of a streamed log wait in a temporary file in the
// staging directory (files.go, sim.Options.LogSpill): a good run leaves
// none behind, and a run whose temporary file cannot be written fails
// with an I/O error that names it, leaving the previous set as it was —
// for run and compare alike.
func TestRevocationSpillFileFails(t *testing.T) {
	failing := "--set=backend.mounts.database.revoke={failure: 0.6}" // retries and passes: many lines
	for _, cmd := range [][]string{{"run", "default-max-cliff", failing}, {"compare", "default-max-cliff", failing}} {
		t.Run(cmd[0], func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := run(append(cmd, "--out", dir)...)
			require.Equal(t, ExitOK, code, stderr)
			before := readDir(t, dir)
			for name := range before {
				assert.False(t, strings.HasPrefix(name, "."), "nothing temporary is left: %s", name)
			}

			writeHook = func(path string, w io.Writer) io.Writer {
				if filepath.Base(path) == spillName {
					return &failAfter{w: w, n: 1000}
				}
				return w
			}
			defer func() { writeHook = nil }()
			code, _, stderr = run(append(cmd, "--out", dir)...)
			assert.Equal(t, ExitIO, code, stderr)
			assert.Contains(t, stderr, "the revocation lines' temporary file: injected: no space left on device")
			assert.Contains(t, stderr, "events.jsonl")
			assert.Equal(t, before, readDir(t, dir), "the previous set is intact, nothing else appeared")
		})
	}
}
