package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
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
	require.Len(t, lines, 1+12)
	assert.Equal(t, "point,grid_size,roles.broker.token_max_ttl,actors.broker.when_exhausted,seed,cliffs,first_cliff_offset_seconds,"+
		"first_cliff_bound_by,largest_cliff,outages,outage_seconds,failed_requests,earliest_hard_end_offset_seconds,system_default_bound", lines[0])
	assert.Equal(t, "0,12,0,none,1,1,2764800,system.max_lease_ttl,41,1,691200,34560000.000,2764800,1", lines[1])
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
	assert.Contains(t, stdout, "first cliff")
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
		assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 1+4, "shard %s", k)
		p := filepath.Join(dir, "part-"+k[:1]+".csv")
		require.NoError(t, os.WriteFile(p, []byte(out), 0o644))
		parts = append(parts, p)
	}
	code, merged, stderr := sweepCLI("sweep", "merge", parts[2], parts[0], parts[1])
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, whole, merged)

	code, text, _ := sweepCLI("sweep", "merge", parts[0], parts[1], parts[2], "-o", "text")
	require.Equal(t, ExitOK, code)
	assert.True(t, strings.HasPrefix(text, "12 points ("), text)

	code, _, stderr = sweepCLI("sweep", "merge", parts[0], parts[2])
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "4 of 12 points are missing (1, 4, 7, 10)")

	code, _, stderr = sweepCLI("sweep", "merge", parts[0], filepath.Join(dir, "nope.csv"))
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "nope.csv")
}

func TestSweepBadInput(t *testing.T) {
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
