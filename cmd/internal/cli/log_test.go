package cli

import (
	"bytes"
	"compress/gzip"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --log lifecycle (the default) leaves the lease renewals out of
// events.jsonl, and the charts drawn from it are byte for byte those drawn
// from the whole log; --log-gzip writes the same log compressed; --log none
// writes report.json alone, says why there are no charts, and removes the
// previous set's log and charts.
func TestRunLog_Levels(t *testing.T) {
	for _, name := range []string{"jan-2024-replay", "default-max-cliff"} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			out := func(sub string, args ...string) map[string][]byte {
				dir := filepath.Join(root, sub)
				code, _, stderr := run(append([]string{"run", name, "--out", dir}, args...)...)
				require.Equal(t, ExitOK, code, stderr)
				return readDir(t, dir)
			}
			all, life, gz := out("all", "--log", "all"), out("lifecycle"), out("gz", "--log-gzip")
			assert.Less(t, len(life["events.jsonl"]), len(all["events.jsonl"]), "lifecycle is smaller")
			for f, data := range all {
				if strings.HasSuffix(f, ".svg") || f == "report.json" {
					assert.Equal(t, data, life[f], "%s from the lifecycle log", f)
					assert.Equal(t, data, gz[f], "%s from the gzip log", f)
				}
			}
			zr, err := gzip.NewReader(bytes.NewReader(gz["events.jsonl.gz"]))
			require.NoError(t, err)
			unzipped, err := io.ReadAll(zr)
			require.NoError(t, err)
			assert.Equal(t, string(life["events.jsonl"]), string(unzipped))
			assert.NotContains(t, gz, "events.jsonl")
		})
	}
	dir := t.TempDir()
	code, _, stderr := run("run", "default-max-cliff", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	code, _, stderr = run("run", "default-max-cliff", "--out", dir, "--log", "none")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stderr, "--log none writes none")
	var names []string
	for f := range readDir(t, dir) {
		names = append(names, f)
	}
	assert.Equal(t, []string{"report.json"}, names)

	code, _, stderr = run("run", "default-max-cliff", "--out", dir, "--log", "some")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, `--log "some": want all, lifecycle or none`)
}
