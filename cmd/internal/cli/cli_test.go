package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		code    int
		stderr  string // substring
		noPanic bool
	}{
		{"explain a library scenario", []string{"explain", "default-max-cliff"}, ExitOK, "", true},
		{"run a library scenario", []string{"run", "short-parent"}, ExitOK, "", true},
		{"unknown scenario", []string{"explain", "no-such-scenario"}, ExitBadInput, "default-max-cliff", true},
		{"unknown entity", []string{"explain", "default-max-cliff", "nobody"}, ExitBadInput, "it has: broker, core-api.token, core-api.credential", true},
		{"bad output format", []string{"explain", "default-max-cliff", "-o", "yaml"}, ExitBadInput, "use -o text or -o json", true},
		{"unknown command", []string{"frobnicate"}, ExitBadInput, "unknown command", true},
		{"missing argument", []string{"run"}, ExitBadInput, "accepts 1 arg", true},
		{"unknown built-in to show", []string{"scenarios", "show", "nope"}, ExitBadInput, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertExit(t, tt.args, tt.code, tt.stderr) })
	}
}

// assertExit runs the CLI with args and checks its exit code, that stderr
// contains want, and that it holds no stack trace.
func assertExit(t *testing.T, args []string, code int, want string) {
	t.Helper()
	got, _, stderr := run(args...)
	assert.Equal(t, code, got, stderr)
	assert.Contains(t, stderr, want)
	assert.NotContains(t, stderr, "goroutine", "no stack trace")
}

// Issue 2's acceptance: four mistakes, one clear message each, exit 2.
func TestBadScenarioReportsEveryProblem(t *testing.T) {
	for _, cmd := range []string{"explain", "run"} {
		code, stdout, stderr := run(cmd, filepath.Join("testdata", "bad.yaml"))
		assert.Equal(t, ExitBadInput, code)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, "4 problems")
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		require.Len(t, lines, 5, stderr)
		assert.Contains(t, stderr, "bad.yaml:12:")
		assert.Contains(t, stderr, "'token_ttl' cannot be greater than 'token_max_ttl'")
		assert.Contains(t, stderr, "bad.yaml:14:")
		assert.Contains(t, stderr, "token_perod")
		assert.Contains(t, stderr, "token_period") // the suggestion
		assert.Contains(t, stderr, "bad.yaml:17:")
		assert.Contains(t, stderr, "negative")
		assert.Contains(t, stderr, `batch tokens cannot have "period" set`)
	}
}

func TestExplainJSON(t *testing.T) {
	code, stdout, stderr := run("explain", "default-max-cliff", "broker", "-o", "json")
	require.Equal(t, ExitOK, code, stderr)
	var doc struct {
		Entities []map[string]any `json:"entities"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	require.Len(t, doc.Entities, 1)
	e := doc.Entities[0]
	for _, k := range []string{"id", "kind", "ttl_seconds", "max_ttl_seconds", "hard_end", "ttl_bound_by", "max_bound_by", "layers", "warnings"} {
		assert.Contains(t, e, k)
	}
	assert.Equal(t, "system.max_lease_ttl", e["max_bound_by"])
}

func TestRunJSONAndOutDir(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := run("run", "default-max-cliff", "-o", "json", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	var doc struct {
		Cliffs []struct {
			OffsetSeconds int64  `json:"offset_seconds"`
			BoundBy       string `json:"bound_by"`
			Root          string `json:"root"`
		} `json:"cliffs"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	require.NotEmpty(t, doc.Cliffs)
	assert.Equal(t, int64(2764800), doc.Cliffs[0].OffsetSeconds)
	assert.Equal(t, "system.max_lease_ttl", doc.Cliffs[0].BoundBy)
	report, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	assert.JSONEq(t, stdout, string(report))
	events, err := os.ReadFile(filepath.Join(dir, "events.jsonl"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(events)), "\n")
	assert.Greater(t, len(lines), 100)
	for _, l := range lines[:5] {
		assert.True(t, json.Valid([]byte(l)), l)
	}
}

func TestScenariosListAndShow(t *testing.T) {
	code, stdout, _ := run("scenarios", "list")
	require.Equal(t, ExitOK, code)
	for _, name := range []string{"default-max-cliff", "jan-2024-replay", "jan-2024-fixed", "staging-vs-production", "periodic-broker", "lease-own-cap", "short-parent"} {
		assert.Contains(t, stdout, name)
	}
	code, stdout, _ = run("scenarios", "show", "default-max-cliff")
	require.Equal(t, ExitOK, code)
	assert.Contains(t, stdout, "name: default-max-cliff")
}

func TestCheckExitCodes(t *testing.T) {
	code, stdout, _ := run("check", "default-max-cliff")
	assert.Equal(t, ExitViolation, code)
	assert.Contains(t, stdout, "FAIL default-max-cliff")
	assert.Contains(t, stdout, "system.max_lease_ttl")
	assert.Contains(t, stdout, "fix:")

	code, stdout, _ = run("check", "jan-2024-fixed")
	assert.Equal(t, ExitOK, code, stdout)
	assert.Contains(t, stdout, "PASS jan-2024-fixed")

	code, _, stderr := run("check", "short-parent")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "nothing to check")

	policy := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(policy, []byte("no_outage: true\n"), 0o644))
	junit := filepath.Join(t.TempDir(), "c.xml")
	code, stdout, _ = run("check", "short-parent", "periodic-broker", "--policy", policy, "--junit", junit, "-o", "json")
	assert.Equal(t, ExitViolation, code)
	var doc struct {
		Passed    bool `json:"passed"`
		Scenarios []struct {
			Scenario string `json:"scenario"`
			Passed   bool   `json:"passed"`
		} `json:"scenarios"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.False(t, doc.Passed)
	require.Len(t, doc.Scenarios, 2)
	assert.False(t, doc.Scenarios[0].Passed)
	assert.True(t, doc.Scenarios[1].Passed)
	x, err := os.ReadFile(junit)
	require.NoError(t, err)
	assert.Contains(t, string(x), "<testsuites")

	require.NoError(t, os.WriteFile(policy, []byte("no_outage: maybe\n"), 0o644))
	code, _, stderr = run("check", "short-parent", "--policy", policy)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "p.yaml:1:")
}

func TestCompare(t *testing.T) {
	code, stdout, stderr := run("compare", "jan-2024-replay", "jan-2024-fixed")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, "BETTER: the proposal removes every cliff (3)")
	assert.Contains(t, stdout, "removed  broker-portal")
	code, _, stderr = run("compare", "jan-2024-replay")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "or --set overrides")

	code, stdout, stderr = run("compare", "default-max-cliff", "--set", "roles.broker.token_max_ttl=168h", "--set", "actors.broker.when_exhausted=reauth")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, "proposal  default-max-cliff (with roles.broker.token_max_ttl=168h, actors.broker.when_exhausted=reauth)")
	assert.Contains(t, stdout, "BETTER: the proposal removes every cliff (1)")

	code, _, stderr = run("compare", "default-max-cliff", "--set", "roles.broker.token_max_tl=1h")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "token_max_tl")
}

func TestSweepHeatmap(t *testing.T) {
	dir := t.TempDir()
	png := filepath.Join(dir, "h.png")
	code, _, stderr := run("sweep", "short-parent", "--set", "actors.broker.token.ttl=1h,2h", "--set", "actors.worker.replicas=1,2",
		"--heatmap", png, "--metric", "outage_seconds", "-o", "csv")
	require.Equal(t, ExitOK, code, stderr)
	data, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(data, []byte("\x89PNG")))

	code, _, stderr = run("sweep", "short-parent", "--set", "actors.broker.token.ttl=1h,2h", "--heatmap", filepath.Join(dir, "h.gif"))
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, ".svg or .png")
	code, _, stderr = run("sweep", "short-parent", "--set", "actors.broker.token.ttl=1h,2h", "--heatmap", png, "--metric", "cliff_bound_by")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "a heatmap can show")
}

func TestCompareOut(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("compare", "short-parent", "--set", "actors.broker.renew=watcher", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	for _, f := range []string{"compare.svg", "compare.png", "compare.json", "baseline/report.json", "proposal/events.jsonl", "proposal/timeline.svg"} {
		_, err := os.Stat(filepath.Join(dir, f))
		assert.NoError(t, err, f)
	}
}

// Issue 6's acceptance: the imported seed incident explains the broker's
// hard end as issue + 768h from system.max_lease_ttl, and its cliff falls
// at the same instant as the hand-written library scenario's.
func TestImportRoundTrip(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s.yaml")
	code, _, stderr := run("import", "vault", filepath.Join("..", "..", "..", "testdata", "vault", "jan-2024"), "--out", out)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stderr, "its parent is unknown", "non-orphans are flagged")

	code, stdout, stderr := run("explain", out, "broker")
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, "= issue + 32d (768h)  ← system.max_lease_ttl")

	cliffAt := func(scenario string) time.Time {
		code, stdout, stderr := run("run", scenario, "-o", "json")
		require.Equal(t, ExitOK, code, stderr)
		var doc struct {
			Cliffs []struct {
				At      string `json:"at"`
				BoundBy string `json:"bound_by"`
			} `json:"cliffs"`
		}
		require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
		require.NotEmpty(t, doc.Cliffs)
		assert.Equal(t, "system.max_lease_ttl", doc.Cliffs[0].BoundBy)
		at, err := time.Parse(time.RFC3339, doc.Cliffs[0].At)
		require.NoError(t, err)
		return at
	}
	assert.True(t, cliffAt(out).Equal(cliffAt("default-max-cliff")), "same instant: 2024-01-15 10:54 MST")

	code, _, stderr = run("import", "vault", filepath.Join("..", "..", "..", "testdata", "vault", "bad"))
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, ".json")
}
