package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sweepCLI runs `leasesim ARGS` with sweep registered (whether or not the
// root registers it yet) and returns what Main would.
func sweepCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	streams := IO{Out: &out, Err: &errb}
	root := NewRootCmd(streams)
	if c, _, err := root.Find([]string{"sweep"}); err != nil || c == root {
		root.AddCommand(NewCmdSweep(streams))
	}
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		printError(&errb, err)
		code = ExitBadInput
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
	}
	return code, out.String(), errb.String()
}

// A small sweep: 2 × 2 settings × 3 seeds of the seed incident.
var smallSweep = []string{"sweep", "default-max-cliff",
	"--set", "roles.broker.token_max_ttl=0,168h",
	"--set", "actors.broker.when_exhausted=none,{reauth: {at: 0.5}}",
	"--seeds", "3"}

func args(extra ...string) []string { return append(append([]string{}, smallSweep...), extra...) }

func TestSweepOutputs(t *testing.T) {
	dir := t.TempDir()
	csvPath, jsonPath := filepath.Join(dir, "s.csv"), filepath.Join(dir, "s.json")
	code, stdout, stderr := sweepCLI(args("-o", "csv", "--csv", csvPath, "--json", jsonPath)...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Empty(t, stderr, "no progress bar when stderr is not a terminal")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 5+1+12)
	assert.Equal(t, "# scenario: default-max-cliff", lines[0])
	assert.Regexp(t, "^# scenario_sha256: [0-9a-f]{64}$", lines[1])
	assert.Equal(t, `# grid: [{"path":"roles.broker.token_max_ttl","values":["0","168h"]},{"path":"actors.broker.when_exhausted","values":["none","{reauth: {at: 0.5}}"]}]`, lines[2])
	assert.Equal(t, "# seeds: 1..3", lines[3])
	assert.Equal(t, "# shard: 1/1", lines[4])
	assert.Equal(t, "point,grid_size,roles.broker.token_max_ttl,actors.broker.when_exhausted,seed,cliffs,first_cliff_offset_seconds,"+
		"first_cliff_bound_by,largest_cliff,outages,outage_seconds,failed_requests,earliest_hard_end_offset_seconds,system_default_bound,error", lines[5])
	assert.Equal(t, "0,12,0,none,1,1,2764800,system.max_lease_ttl,41,1,691200,34560000.000,2764800,1,", lines[6])
	file, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	assert.Equal(t, stdout, string(file), "--csv writes what -o csv prints")

	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.Equal(t, "default-max-cliff", doc["scenario"])
	assert.Len(t, doc["rows"], 12)
	code, stdout, _ = sweepCLI(args("-o", "json")...)
	require.Equal(t, ExitOK, code)
	assert.Equal(t, string(data), stdout)

	code, stdout, stderr = sweepCLI(args()...)
	require.Equal(t, ExitOK, code, stderr)
	assert.True(t, strings.HasPrefix(stdout, "default-max-cliff: 12 points (roles.broker.token_max_ttl: 2 × actors.broker.when_exhausted: 2 × seeds: 3)"), stdout)
	assert.Contains(t, stdout, "first_cliff_offset_seconds", "the CSV's names")
}

func TestSweepDeterministicAcrossWorkers(t *testing.T) {
	_, one, _ := sweepCLI(args("-o", "csv", "--workers", "1")...)
	_, four, _ := sweepCLI(args("-o", "csv", "--workers", "4")...)
	_, all, _ := sweepCLI(args("-o", "csv")...)
	require.NotEmpty(t, one)
	assert.Equal(t, one, four)
	assert.Equal(t, one, all)
}

func TestSweepShardsAndMerge(t *testing.T) {
	_, whole, _ := sweepCLI(args("-o", "csv")...)
	dir := t.TempDir()
	var parts []string
	for _, k := range []string{"1/3", "2/3", "3/3"} {
		code, out, stderr := sweepCLI(args("-o", "csv", "--shard", k)...)
		require.Equal(t, ExitOK, code, stderr)
		assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 5+1+4, "shard %s", k)
		assert.Contains(t, out, "\n# shard: "+k+"\n")
		p := filepath.Join(dir, "part-"+k[:1]+".csv")
		require.NoError(t, os.WriteFile(p, []byte(out), 0o644))
		parts = append(parts, p)
	}
	code, merged, stderr := sweepCLI("sweep", "merge", parts[2], parts[0], parts[1])
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, whole, merged)

	code, text, _ := sweepCLI("sweep", "merge", parts[0], parts[1], parts[2], "-o", "text")
	require.Equal(t, ExitOK, code)
	assert.True(t, strings.HasPrefix(text, "default-max-cliff: 12 points ("), text)
	assert.Len(t, strings.Split(strings.TrimSpace(text), "\n"), 3+1+4, "one line per setting")

	code, _, stderr = sweepCLI("sweep", "merge", parts[0], parts[2])
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "shard 2/3 is missing (given: "+parts[0]+" (1/3), "+parts[2]+" (3/3))")

	code, _, stderr = sweepCLI("sweep", "merge", parts[0], filepath.Join(dir, "nope.csv"))
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "nope.csv")
}

func TestSweepBadInput(t *testing.T) {
	var values []string
	for i := range 31 {
		values = append(values, strconv.Itoa(i))
	}
	thirtyOne := strings.Join(values, ",")
	cases := []struct {
		args   []string
		phrase string
	}{
		{[]string{"sweep", "default-max-cliff", "--set", "roles.broker.token_max_ttl"}, "--set roles.broker.token_max_ttl: expected PATH=VALUE"},
		{[]string{"sweep", "default-max-cliff", "--set", "events[x].at=1h"}, "[x] is not a list index"},
		{[]string{"sweep", "default-max-cliff", "--set", "roles.brokr.token_max_ttl=24h"}, "roles has no key 'brokr'; keys there: broker, app-db (did you mean 'broker'?)"},
		{[]string{"sweep", "default-max-cliff", "--set", "roles.broker.token_max_ttl=168h,1h"},
			"default-max-cliff.yaml (with roles.broker.token_max_ttl=1h):"},
		{[]string{"sweep", "default-max-cliff", "--set", "actors.core-api.replicas=two"}, "actors.core-api.replicas"},
		{[]string{"sweep", "default-max-cliff", "--shard", "0/3"}, "K must lie in 1…3"},
		{[]string{"sweep", "default-max-cliff", "--shard", "three"}, "--shard: invalid shard"},
		{[]string{"sweep", "default-max-cliff", "--seeds", "0"}, "--seeds 0: want at least 1"},
		{[]string{"sweep", "default-max-cliff", "--workers", "-2"}, "--workers -2"},
		{[]string{"sweep", "default-max-cliff", "-o", "yaml"}, "use -o text, -o csv or -o json"},
		{[]string{"sweep", "default-max-cliff", "--set", "seed=1,2", "--seeds", "2"}, "use one of them"},
		{[]string{"sweep", "no-such-scenario"}, "no embedded scenario"},
		{[]string{"sweep"}, "accepts 1 arg"},
		{[]string{"sweep", "merge"}, "requires at least 1 arg"},
		{[]string{"sweep", "merge", "x.csv", "-o", "yaml"}, "use -o text, -o csv or -o json"},
		{[]string{"sweep", "default-max-cliff", "--max-points", "0"}, "--max-points 0: want at least 1"},
		{[]string{"sweep", "default-max-cliff", "--max-events", "-5"}, "--max-events -5: a budget must be at least 1"},
		{[]string{"sweep", "default-max-cliff", "--shard-count", "3"}, "--shard-count 3: only with --shard auto"},
		{[]string{"sweep", "default-max-cliff", "--shard", "1/2", "--shard-count", "3"}, "only with --shard auto"},
		// 2⁶⁴ + 418 points: an error, never a sweep of 418.
		{[]string{"sweep", "default-max-cliff", "--set", "a=1,2", "--set", "b=1,2,3,4,5,6,7", "--set", "c=" + thirtyOne,
			"--seeds", "42504018603017401"}, "the grid has more points than can be counted (a: 2 × b: 7 × c: 31 × seeds: 42504018603017401)"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, stdout, stderr := sweepCLI(c.args...)
			assert.Equal(t, ExitBadInput, code, stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, c.phrase)
			assert.NotContains(t, stderr, "goroutine")
		})
	}
}

func TestSweepHelpTeaches(t *testing.T) {
	code, stdout, _ := sweepCLI("sweep", "--help")
	require.Equal(t, ExitOK, code)
	for _, s := range []string{"--set", "roles.broker.token_max_ttl", "events[0].at", "--shard 2/3", "sweep merge", "--seeds"} {
		assert.Contains(t, stdout, s)
	}
}

func TestSweepProgressBarOnATerminal(t *testing.T) {
	saved := terminalWidth
	defer func() { terminalWidth = saved }()
	terminalWidth = func(w io.Writer) (int, bool) { return 100, true }
	code, stdout, stderr := sweepCLI(args("-o", "csv")...)
	require.Equal(t, ExitOK, code, stderr)
	assert.NotEmpty(t, stdout)
	assert.True(t, strings.HasPrefix(stderr, "\rsweep ["), "%q", stderr)
	assert.True(t, strings.HasSuffix(stderr, "\n"))
	last := stderr[strings.LastIndex(stderr, "\r")+1:]
	assert.Contains(t, last, "12/12  100%")
	assert.Equal(t, 99, len([]rune(strings.TrimSuffix(last, "\n"))), "fills the line but its last column")
}

func TestRenderBar(t *testing.T) {
	assert.Equal(t, "sweep [░░░░░]  0/9    0%  0s", strings.TrimRight(renderBar(0, 9, 0, 29), " "))
	s := renderBar(45, 90, 2*time.Second, 80)
	assert.Contains(t, s, "sweep [████████")
	assert.Contains(t, s, "45/90   50%  2s, ~2s left")
	assert.Len(t, []rune(s), 79)
	assert.Equal(t, "90/90  100%  1.5s", renderBar(90, 90, 1500*time.Millisecond, 20), "too narrow for a bar")
}

// A sweep beyond its budget stops at once, before allocating, with exit 3.
func TestSweepPointBudget(t *testing.T) {
	start := time.Now()
	code, stdout, stderr := sweepCLI("sweep", "default-max-cliff", "--seeds", "99999999999")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, ExitBudget, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "the sweep has 99999999999 points (seeds: 99999999999), more than the budget of 1000000 points (--max-points); raise it with --max-points N")

	code, _, stderr = sweepCLI(args("--max-points", "11")...)
	assert.Equal(t, ExitBudget, code, stderr)
	code, _, stderr = sweepCLI(args("--max-points", "4", "--shard", "2/3")...)
	assert.Equal(t, ExitOK, code, stderr)
}

// Points that run out of their event budget are rows with their error;
// every output is written, then the command exits 3.
func TestSweepPointsOverBudget(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "s.csv")
	code, stdout, stderr := sweepCLI("sweep", "default-max-cliff", "--set", "horizon=1d,20d", "--set", "annotations=[]", "--seeds", "2",
		"--max-events", "2000", "--csv", csvPath)
	assert.Equal(t, ExitBudget, code)
	assert.Contains(t, stderr, "2 of 4 points stopped early or failed")
	assert.Contains(t, stdout, "2 points stopped early or failed, without metrics")
	data, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), ",1d,[],1,0,")
	assert.Contains(t, string(data), ",20d,[],2,,,,,,,,,,default-max-cliff: the event budget (2000 events) ran out at ")

	// The entity budgets too: each point has run's.
	code, stdout, stderr = sweepCLI("sweep", "default-max-cliff", "--set", "actors.core-api.replicas=2,20", "--set", "horizon=10d",
		"--set", "annotations=[]", "--max-live", "30", "-o", "csv")
	assert.Equal(t, ExitBudget, code)
	assert.Contains(t, stderr, "1 of 2 points stopped early or failed")
	assert.Contains(t, stdout, "\n0,2,2,10d,[],1,0,")
	assert.Contains(t, stdout, "\n1,2,20,10d,[],1,,,,,,,,,,default-max-cliff: the live entity budget (30 live entities) ran out at ")
	code, _, stderr = sweepCLI("sweep", "default-max-cliff", "--max-entities", "30")
	assert.Equal(t, ExitBudget, code)
	assert.Contains(t, stderr, "the sweep's one point stopped early or failed")
	code, _, stderr = sweepCLI("sweep", "default-max-cliff", "--seeds", "2", "--max-entities", "30")
	assert.Equal(t, ExitBudget, code)
	assert.Contains(t, stderr, "all 2 points stopped early or failed")
}

func TestSweepShardAuto(t *testing.T) {
	_, whole, _ := sweepCLI(args("-o", "csv")...)
	dir := t.TempDir()
	var parts []string
	for i := range 3 { // a Kubernetes Indexed Job of 3 completions
		t.Setenv("JOB_COMPLETION_INDEX", strconv.Itoa(i))
		code, out, stderr := sweepCLI(args("-o", "csv", "--shard", "auto", "--shard-count", "3")...)
		require.Equal(t, ExitOK, code, stderr)
		assert.Equal(t, fmt.Sprintf("leasesim: sweep shard %d/3 (JOB_COMPLETION_INDEX=%d of --shard-count=3)\n", i+1, i), stderr)
		p := filepath.Join(dir, fmt.Sprintf("part-%d.csv", i))
		require.NoError(t, os.WriteFile(p, []byte(out), 0o644))
		parts = append(parts, p)
	}
	code, merged, stderr := sweepCLI(append([]string{"sweep", "merge"}, parts...)...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, whole, merged)

	t.Setenv("JOB_COMPLETIONS", "3")
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	_, out, _ := sweepCLI(args("-o", "csv", "--shard", "auto")...)
	assert.Contains(t, out, "\n# shard: 2/3\n")

	t.Setenv("JOB_COMPLETION_INDEX", "3")
	code, _, stderr = sweepCLI(args("--shard", "auto")...)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "JOB_COMPLETION_INDEX=3 is not below the 3 completions of JOB_COMPLETIONS")

	os.Unsetenv("JOB_COMPLETION_INDEX")
	t.Setenv("SLURM_ARRAY_TASK_ID", "2") // --array=1-3
	t.Setenv("SLURM_ARRAY_TASK_COUNT", "3")
	t.Setenv("SLURM_ARRAY_TASK_MIN", "1")
	t.Setenv("SLURM_ARRAY_TASK_MAX", "3")
	_, out, _ = sweepCLI(args("-o", "csv", "--shard", "auto")...)
	assert.Contains(t, out, "\n# shard: 2/3\n")

	os.Unsetenv("SLURM_ARRAY_TASK_ID")
	code, _, stderr = sweepCLI(args("--shard", "auto")...)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "--shard auto: neither a Kubernetes Indexed Job")
}

// Shards of two different scenarios do not merge; the message names the files.
func TestSweepMergeRefusesOtherScenarios(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "..", "scenarios", "library", "default-max-cliff.yaml"))
	require.NoError(t, err)
	edited := filepath.Join(dir, "default-max-cliff.yaml")
	require.NoError(t, os.WriteFile(edited, bytes.Replace(src, []byte("replicas: 20"), []byte("replicas: 19"), 1), 0o644))
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	code, _, stderr := sweepCLI("sweep", "default-max-cliff", "--seeds", "2", "--shard", "1/2", "--csv", a)
	require.Equal(t, ExitOK, code, stderr)
	code, _, stderr = sweepCLI("sweep", edited, "--seeds", "2", "--shard", "2/2", "--csv", b)
	require.Equal(t, ExitOK, code, stderr)
	code, stdout, stderr := sweepCLI("sweep", "merge", a, b)
	assert.Equal(t, ExitBadInput, code)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, b+" is a sweep of default-max-cliff (scenario_sha256 ")
	assert.Contains(t, stderr, "but "+a+" of default-max-cliff")
	assert.Contains(t, stderr, "different scenarios or an edited file")
}
