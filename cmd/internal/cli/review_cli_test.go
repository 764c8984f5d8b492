package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/plots"
)

// Found in the review of issue 10 from a fresh clone: what a user types
// that was silently ignored, answered with the wrong exit code, or failed
// with a message that did not say what to do.

// Two answers of plot on one run's log. An output directory plot cannot
// create is an I/O failure (exit 4), as it is for run --out, not bad
// input. The name decides whether plot decompresses: a gzip log under a
// plain name is refused with what to rename it to, not "line 1: not a
// valid JSON object".
func TestReviewPlotExitCodes(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "short-parent", "--out", dir, "--log-gzip")
	require.Equal(t, ExitOK, code, stderr)
	gz, err := os.ReadFile(filepath.Join(dir, "events.jsonl.gz"))
	require.NoError(t, err)

	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	assertExit(t, []string{"plot", filepath.Join(dir, "events.jsonl.gz"), "--out", filepath.Join(notDir, "sub")}, ExitIO, "cannot create output directory")

	for name, code := range map[string]int{"events.jsonl": ExitBadInput, "events.jsonl.gz": ExitOK} {
		in := filepath.Join(t.TempDir(), name)
		require.NoError(t, os.WriteFile(in, gz, 0o644))
		want := ""
		if code != ExitOK {
			want = "is gzip-compressed but its name does not end in .gz: name it .jsonl.gz"
		}
		assertExit(t, []string{"plot", in, "--out", t.TempDir(), "--plot", "live.svg"}, code, want)
	}
}

// --log and --log-gzip say what --out's log holds; without --out there is
// no log, and a user who asked for one is told rather than given nothing.
// --entities also shapes -o json, so it stands alone.
func TestReviewLogFlagsNeedOut(t *testing.T) {
	for _, args := range [][]string{
		{"run", "short-parent", "--log", "all"},
		{"run", "short-parent", "--log", "lifecycle"},
		{"run", "short-parent", "--log-gzip"},
		{"compare", "short-parent", "--set", "horizon=2d", "--log", "none"},
	} {
		assertExit(t, args, ExitBadInput, "the event log is written only into --out DIR")
	}
	assertExit(t, []string{"run", "short-parent", "-o", "json", "--entities", "folded"}, ExitOK, "")
}

// --shard-count is N of an Indexed Job: a negative one is not "only with
// --shard auto" when it is given with it, and one that disagrees with
// JOB_COMPLETIONS would split the sweep two ways, found only at merge.
func TestReviewShardCount(t *testing.T) {
	args := []string{"sweep", "short-parent", "--set", "horizon=2d,3d", "-o", "csv", "--shard", "auto"}
	t.Setenv("JOB_COMPLETION_INDEX", "0")
	assertExit(t, append(args, "--shard-count", "-1"), ExitBadInput, "--shard-count -1: want the number of completions")
	t.Setenv("JOB_COMPLETIONS", "3")
	assertExit(t, append(args, "--shard-count", "4"), ExitBadInput, `--shard-count 4 and JOB_COMPLETIONS="3" disagree`)
	assertExit(t, append(args, "--shard-count", "3"), ExitOK, "sweep shard 1/3 (JOB_COMPLETION_INDEX=0 of --shard-count=3)")
	assertExit(t, args, ExitOK, "sweep shard 1/3 (JOB_COMPLETION_INDEX=0 of JOB_COMPLETIONS=3)")
}

// plot --help and --plot's usage name every chart plot can draw,
// revocation included.
func TestReviewPlotHelpNamesEveryChart(t *testing.T) {
	cmd := NewCmdPlot(IO{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	usage := cmd.Flags().Lookup("plot").Usage
	for _, c := range append(append([]string(nil), plots.Charts...), plots.RevocationChartName) {
		assert.Contains(t, cmd.Long, "\n  "+c+" ", "plot --help lists %s", c)
		assert.Contains(t, usage, c)
		_, _, err := plots.ParseFileName(c + ".svg")
		assert.NoError(t, err, c)
	}
}
