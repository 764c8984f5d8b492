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
	assertExit(t, []string{"run", "short-parent", "--out", t.TempDir(), "--log", "none", "--log-gzip"}, ExitBadInput, "--log-gzip with --log none: there is no log to compress")
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

// The charts hold every token and credential a log issues (~100 bytes
// each), while a recycling run holds only the live ones: a fleet polling
// new credentials for a year issues tens of millions. plot refuses a log
// of more than --max-entities (exit 3, naming the flag), and run --out
// writes its report and log but no charts, saying how to draw them.
func TestReviewChartsAreBounded(t *testing.T) {
	defer func(n int64) { chartEntities = n }(chartEntities)
	chartEntities = 30
	dir := t.TempDir()
	code, _, stderr := run("run", "default-max-cliff", "--set", "horizon=3d", "--set", "annotations=[]", "--out", dir, "--log-gzip")
	require.Equal(t, ExitOK, code, stderr)
	log := filepath.Join(dir, "events.jsonl.gz")
	assert.Contains(t, stderr, "leasesim: no charts: the run issued 101 tokens and credentials, more than the 30 the charts hold (about 100 bytes each); draw them with leasesim plot "+log+" --max-entities 101")
	names := []string{}
	for f := range readDir(t, dir) {
		names = append(names, f)
	}
	assert.ElementsMatch(t, []string{"events.jsonl.gz", "report.json"}, names)

	assertExit(t, []string{"plot", log, "--out", t.TempDir()}, ExitBudget, "issues more than 30 tokens and credentials, the most the charts hold (--max-entities; about 100 bytes each): raise it with --max-entities N")
	assertExit(t, []string{"plot", log, "--out", t.TempDir(), "--plot", "live.svg", "--max-entities", "101"}, ExitOK, "")
	assertExit(t, []string{"plot", log, "--out", t.TempDir(), "--plot", "renewal.svg", "--entity", "core-api[2].credential#3", "--max-entities", "100"}, ExitBudget, "--max-entities")
	assertExit(t, []string{"plot", log, "--max-entities", "0"}, ExitBadInput, "--max-entities 0: a budget must be at least 1")
}
