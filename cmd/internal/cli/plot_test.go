package cli

import (
	"bytes"
	"compress/gzip"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var chartFiles = []string{
	"timeline.svg", "timeline.png", "live.svg", "live.png",
	"impact.svg", "impact.png", "renewal.svg", "renewal.png",
}

// Issue 4's acceptance: `run jan-2024-replay --out DIR` writes the four
// charts as SVG and PNG, and `plot` redraws them from the saved log alone,
// byte for byte.
func TestRunWritesChartsAndPlotRedraws(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "jan-2024-replay", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	for _, f := range chartFiles {
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Greater(t, info.Size(), int64(1000), f)
	}
	timeline, err := os.ReadFile(filepath.Join(dir, "timeline.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(timeline), "3 cliffs on Jan 15–16 2024 revoked 5 tokens and 39 credentials")
	assert.Contains(t, string(timeline), "system.max_lease_ttl 768h")
	pngFile, err := os.Open(filepath.Join(dir, "timeline.png"))
	require.NoError(t, err)
	defer pngFile.Close()
	img, err := png.Decode(pngFile)
	require.NoError(t, err)
	assert.Equal(t, [2]int{1920, 1080}, [2]int{img.Bounds().Dx(), img.Bounds().Dy()}, "a 16:9 slide")

	again := t.TempDir()
	code, stdout, stderr := run("plot", filepath.Join(dir, "events.jsonl"), "--out", again)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, filepath.Join(again, "timeline.svg"))
	for _, f := range chartFiles {
		if !strings.HasSuffix(f, ".svg") {
			continue
		}
		a, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(again, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s: plot from the saved log differs from run's", f)
	}
}

func TestPlotOneChartAndEntity(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "default-max-cliff", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	events := filepath.Join(dir, "events.jsonl")

	out := t.TempDir()
	code, stdout, stderr := run("plot", events, "--out", out, "--plot", "renewal.svg", "--entity", "core-api[3].token#1")
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, "wrote "+filepath.Join(out, "renewal.svg")+"\n", stdout)
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1, "one chart only")
	svg, err := os.ReadFile(filepath.Join(out, "renewal.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(svg), "core-api[3].token#1")

	abs := filepath.Join(t.TempDir(), "timeline.png")
	code, _, stderr = run("plot", events, "--plot", abs)
	require.Equal(t, ExitOK, code, stderr)
	_, err = os.Stat(abs)
	assert.NoError(t, err, "an absolute --plot path is used as is")
}

func TestPlotBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "events.jsonl")
	header := `{"version":1,"scenario":"x","seed":1,"start":"2024-01-01T00:00:00Z","horizon_seconds":10,"services":[],"annotations":[]}`
	require.NoError(t, os.WriteFile(bad, []byte(header+"\n"+`{"t":"soon","kind":"issue"}`+"\n"), 0o644))
	good := t.TempDir()
	code, _, stderr := run("run", "short-parent", "--out", good)
	require.Equal(t, ExitOK, code, stderr)
	goodEvents := filepath.Join(good, "events.jsonl")

	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no such file", []string{"plot", filepath.Join(dir, "nope.jsonl")}, "no such file"},
		{"bad line", []string{"plot", bad, "--out", dir}, `events.jsonl: plots: events line 2: field "t": want an integer`},
		{"unknown chart", []string{"plot", goodEvents, "--plot", "pie.svg"}, "the name chooses the chart: timeline, live, impact, renewal"},
		{"unknown format", []string{"plot", goodEvents, "--plot", "timeline.jpg"}, ".svg or .png"},
		{"unknown entity", []string{"plot", goodEvents, "--entity", "nobody#1", "--out", dir}, `no entity "nobody#1"; there are: broker, worker.token, worker.credential`},
		{"no argument", []string{"plot"}, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(tt.args...)
			assert.Equal(t, ExitBadInput, code, stderr)
			assert.Contains(t, stderr, tt.stderr)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %s", stderr)
		})
	}
}

// plot streams the log, from .jsonl or .jsonl.gz, keeping one entity's
// renewals: in staging-vs-production the renewal chart's entity (the root
// of the first cliff, production-broker#1) is not the first token issued,
// so the log is read twice, and the charts are still byte for byte run's.
func TestPlotReadsGzipAndStreams(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "staging-vs-production", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	raw, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	require.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	in := filepath.Join(t.TempDir(), "events.jsonl.gz")
	require.NoError(t, os.WriteFile(in, gz.Bytes(), 0o644))

	out := t.TempDir()
	code, _, stderr = run("plot", in, "--out", out)
	require.Equal(t, ExitOK, code, stderr)
	for _, f := range []string{"timeline.svg", "renewal.svg", "live.svg"} {
		a, err := os.ReadFile(filepath.Join(dir, f))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(out, f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(a, b), "%s: plot of the .gz log differs from run's", f)
	}
	renewal, err := os.ReadFile(filepath.Join(out, "renewal.svg"))
	require.NoError(t, err)
	assert.Contains(t, string(renewal), "production-broker#1")

	notGzip := filepath.Join(t.TempDir(), "events.jsonl.gz")
	require.NoError(t, os.WriteFile(notGzip, raw[:200], 0o644))
	code, _, stderr = run("plot", notGzip, "--out", out)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "the name ends in .gz but the file is not gzip")
}
