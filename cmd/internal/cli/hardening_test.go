package cli

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// Every command's exit codes: 0 ok, 1 a gate failed, 2 bad input or usage,
// 3 a resource budget, 4 I/O.
func TestExitCodesPerCommand(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	ttl1 := filepath.Join("testdata", "ttl1.yaml")
	jan2024 := filepath.Join("..", "..", "..", "testdata", "vault", "jan-2024")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"run ok", []string{"run", "short-parent"}, ExitOK, ""},
		{"run bad flag", []string{"run", "short-parent", "--nope"}, ExitBadInput, "unknown flag"},
		{"run negative budget", []string{"run", "short-parent", "--max-events", "-5"}, ExitBadInput, "--max-events -5: a budget must be at least 1"},
		{"run zero budget", []string{"run", "short-parent", "--max-live", "0"}, ExitBadInput, "--max-live 0"},
		{"run event budget", []string{"run", "default-max-cliff", "--max-events", "100"}, ExitBudget, "raise it with --max-events"},
		{"run entity budget", []string{"run", ttl1, "--max-entities", "2000"}, ExitBudget, "the entity budget (2000 entities) ran out at 2024-01-01 "},
		{"run live budget", []string{"run", "default-max-cliff", "--max-live", "10"}, ExitBudget, "raise it with --max-live"},
		{"run out is a file", []string{"run", "short-parent", "--out", filepath.Join(notDir, "sub")}, ExitIO, "cannot create output directory"},
		{"explain ok", []string{"explain", "short-parent"}, ExitOK, ""},
		{"explain bad", []string{"explain", "no-such"}, ExitBadInput, ""},
		{"check ok", []string{"check", "jan-2024-fixed"}, ExitOK, ""},
		{"check gate", []string{"check", "default-max-cliff"}, ExitViolation, "check failed"},
		{"check budget", []string{"check", "default-max-cliff", "--max-events", "50"}, ExitBudget, "--max-events"},
		{"check bad budget", []string{"check", "default-max-cliff", "--max-entities", "-1"}, ExitBadInput, "--max-entities -1"},
		{"check junit unwritable", []string{"check", "jan-2024-fixed", "--junit", filepath.Join(notDir, "j.xml")}, ExitIO, "j.xml"},
		{"compare ok", []string{"compare", "jan-2024-replay", "jan-2024-fixed"}, ExitOK, ""},
		{"compare budget", []string{"compare", "jan-2024-replay", "jan-2024-fixed", "--max-events", "50"}, ExitBudget, "--max-events"},
		{"compare bad", []string{"compare", "jan-2024-replay"}, ExitBadInput, "PROPOSAL"},
		{"plot missing file", []string{"plot", filepath.Join(notDir, "none.jsonl")}, ExitBadInput, ""},
		{"import bad horizon", []string{"import", "vault", "x", "--horizon", "-1d"}, ExitBadInput, "--horizon"},
		// Flags are reported as flags, not at a line of the scenario import writes.
		{"import horizon too long", []string{"import", "vault", jan2024, "--horizon", "40000d"}, ExitBadInput, "leasesim: --horizon 40000d: want more than 0s and at most 36525d (100 years)"},
		{"import horizon overflow", []string{"import", "vault", jan2024, "--horizon", "2562048h"}, ExitBadInput, "--horizon 2562048h: duration \"2562048h\" is too long"},
		{"import bad name", []string{"import", "vault", jan2024, "--name", "A B"}, ExitBadInput, "--name: invalid name \"A B\""},
		{"run set demand overflow", []string{"run", "default-max-cliff", "--set", "actors.core-api.demand=1e308"}, ExitBadInput, "more than the 1e+09 leasesim can count"},
		{"import unwritable", []string{"import", "vault", jan2024, "--out", filepath.Join(notDir, "s.yaml")}, ExitIO, "s.yaml"},
		{"scenarios show bad", []string{"scenarios", "show", "nope"}, ExitBadInput, ""},
		{"sweep bad", []string{"sweep", "default-max-cliff", "--seeds", "0"}, ExitBadInput, "--seeds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertExit(t, tt.args, tt.code, tt.stderr) })
	}
}

// A run stopped by a budget says so in its headline, names the budget, its
// flag and the simulated time reached, and exits 3: never "no cliff".
func TestRunBudgetHeadline(t *testing.T) {
	start := time.Now()
	code, stdout, stderr := run("run", filepath.Join("testdata", "ttl1.yaml"), "--max-entities", "20000")
	assert.Less(t, time.Since(start), 20*time.Second)
	require.Equal(t, ExitBudget, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "STOPPED EARLY at 2024-01-01 "), stdout)
	assert.Contains(t, stdout, "raise it with --max-entities")
	assert.Contains(t, stderr, "ttl1: the entity budget (20000 entities) ran out at 2024-01-01")
	assert.Contains(t, stderr, "of 8760h simulated")

	code, stdout, stderr = run("run", "default-max-cliff", "--max-events", "1000")
	require.Equal(t, ExitBudget, code, stderr)
	assert.Contains(t, stdout, "STOPPED EARLY")
	assert.Contains(t, stderr, "the event budget (1000 events)")
}

// failAfter fails every write once n bytes have passed: a disk filling up
// in the middle of a file.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, errors.New("injected: no space left on device")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// A run whose writing fails leaves the previous --out set as it was, the
// files --out does not own untouched, and no temporary file behind.
func TestRunOutAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "default-max-cliff", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644))
	before := readDir(t, dir)

	for _, victim := range []string{"report.json", "events.jsonl", "timeline.png", "renewal.svg"} {
		t.Run(victim, func(t *testing.T) {
			writeHook = func(path string, w io.Writer) io.Writer {
				if filepath.Base(path) == victim {
					return &failAfter{w: w, n: 1000}
				}
				return w
			}
			defer func() { writeHook = nil }()
			code, _, stderr := run("run", "jan-2024-replay", "--out", dir)
			assert.Equal(t, ExitIO, code, stderr)
			assert.Contains(t, stderr, "injected: no space left on device")
			assert.Contains(t, stderr, victim)
			assert.Equal(t, before, readDir(t, dir), "the previous set is intact, nothing else appeared")
		})
	}
}

// A valid run with nothing to draw writes what it can, says why the other
// charts are absent, removes the previous run's versions of them, and
// exits 0.
func TestRunNothingToDraw(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "default-max-cliff", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	code, _, stderr = run("run", filepath.Join("testdata", "nothing.yaml"), "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stderr, "renewal.svg and renewal.png not drawn: plots: the run issued no token or credential")
	assert.Contains(t, stderr, "timeline.svg and timeline.png not drawn")
	files := readDir(t, dir)
	for _, f := range []string{"report.json", "events.jsonl", "live.svg", "live.png", "impact.svg", "impact.png"} {
		assert.Contains(t, files, f)
	}
	for _, f := range []string{"renewal.svg", "timeline.png"} {
		assert.NotContains(t, files, f, "a stale chart of the previous run would mix two runs")
	}
	assert.Contains(t, string(files["report.json"]), `"scenario": "nothing"`)
}

// readDir maps every file name in dir (hidden ones too) to its content;
// subdirectories are listed with no content.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, e := range ents {
		if e.IsDir() {
			out[e.Name()+"/"] = nil
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err, e.Name())
		out[e.Name()] = data
	}
	return out
}

// Progress appears only on a terminal, only after a few seconds, and is
// cleared at the end.
func TestRunProgress(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, 10*model.Day)
	p.update(5*model.Instant(model.Day), 100)
	p.done()
	assert.Empty(t, buf.String(), "not a terminal: nothing")

	p = &progress{w: &buf, horizon: 10 * model.Day, start: time.Now()}
	p.update(model.Instant(model.Day), 100)
	assert.Empty(t, buf.String(), "a short run shows nothing")

	p.start = time.Now().Add(-5 * time.Second)
	p.update(5*model.Instant(model.Day), 1234)
	assert.Contains(t, buf.String(), "leasesim: simulated 120h of 240h (50%), 1234 events, 5s")
	p.done()
	assert.True(t, strings.HasSuffix(buf.String(), "\r\033[K"), "the line is cleared")
}

// compare --out is one set too: a failure writing its last file leaves
// both runs' previous files and the previous comparison intact.
func TestCompareOutAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	args := []string{"compare", "short-parent", "--set", "actors.broker.renew=watcher", "--out", dir}
	code, _, stderr := run(args...)
	require.Equal(t, ExitOK, code, stderr)
	before := map[string]map[string][]byte{"": readDir(t, dir)}
	for _, side := range []string{"baseline", "proposal"} {
		before[side] = readDir(t, filepath.Join(dir, side))
	}
	writeHook = func(path string, w io.Writer) io.Writer {
		if filepath.Base(path) == "compare.json" {
			return &failAfter{w: w, n: 10}
		}
		return w
	}
	defer func() { writeHook = nil }()
	code, _, stderr = run("compare", "short-parent", "--set", "actors.broker.renew=none", "--out", dir)
	assert.Equal(t, ExitIO, code, stderr)
	assert.Contains(t, stderr, "compare.json")
	for sub, files := range before {
		assert.Equal(t, files, readDir(t, filepath.Join(dir, sub)), "dir %q is as it was", sub)
	}
}
