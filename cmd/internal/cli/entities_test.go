package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/sim"
)

// --entities: auto lists every entity of a run of at most 10,000 (the same
// bytes as all), folded says so in the JSON and lists far fewer; --out's
// report.json follows the flag; a bad value is bad input naming the flag.
func TestRunEntities(t *testing.T) {
	out := func(args ...string) string {
		code, stdout, stderr := run(append([]string{"run", "jan-2024-replay", "-o", "json"}, args...)...)
		require.Equal(t, ExitOK, code, stderr)
		return stdout
	}
	var doc struct {
		Folded   bool              `json:"entities_folded"`
		Total    int               `json:"entities_total"`
		Entities []json.RawMessage `json:"entities"`
	}
	auto, all, folded := out(), out("--entities", "all"), out("--entities", "folded")
	assert.Equal(t, all, auto, "a run of 1,379 entities is listed whole")
	require.NoError(t, json.Unmarshal([]byte(all), &doc))
	assert.False(t, doc.Folded)
	assert.Len(t, doc.Entities, 1379)
	doc.Entities = nil
	require.NoError(t, json.Unmarshal([]byte(folded), &doc))
	assert.True(t, doc.Folded)
	assert.Equal(t, 1379, doc.Total)
	assert.Less(t, len(doc.Entities), 100)

	dir := t.TempDir()
	code, _, stderr := run("run", "jan-2024-replay", "--out", dir, "--log", "none", "--entities", "folded")
	require.Equal(t, ExitOK, code, stderr)
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	require.NoError(t, err)
	assert.Equal(t, folded, string(data), "report.json is what -o json prints")

	for _, bad := range []string{"", "ALL", "some"} {
		code, _, stderr = run("run", "short-parent", "-o", "json", "--entities", bad)
		assert.Equal(t, ExitBadInput, code, bad)
		assert.Contains(t, stderr, "--entities", bad)
		assert.Contains(t, stderr, "want auto", bad)
	}
}

// compare --out streams each side's log into its set as the run goes, at
// the level --log asks; with --log none it writes the reports and
// compare.json, no chart and no overlay, and says why.
func TestCompareOutLogLevels(t *testing.T) {
	dir := t.TempDir()
	args := []string{"compare", "lease-own-cap", "--set", "horizon=2d", "--out", dir}
	code, _, stderr := run(append(args, "--log", "all")...)
	require.Equal(t, ExitOK, code, stderr)
	all := readDir(t, filepath.Join(dir, "proposal"))
	code, _, stderr = run(args...)
	require.Equal(t, ExitOK, code, stderr)
	life := readDir(t, filepath.Join(dir, "proposal"))
	assert.Less(t, len(life["events.jsonl"]), len(all["events.jsonl"]), "lifecycle is the default")
	assert.Equal(t, all["timeline.svg"], life["timeline.svg"])

	code, _, stderr = run(append(args, "--log", "none", "--entities", "folded")...)
	require.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stderr, "--log none writes none")
	top := readDir(t, dir)
	assert.Contains(t, top, "compare.json")
	assert.NotContains(t, top, "compare.svg", "the previous overlay is removed with the logs it was drawn from")
	side := readDir(t, filepath.Join(dir, "baseline"))
	assert.Len(t, side, 1, "report.json alone")
	assert.Contains(t, string(side["report.json"]), `"entities_folded": true`)
	matches, err := filepath.Glob(filepath.Join(dir, ".leasesim-out-*"))
	require.NoError(t, err)
	assert.Empty(t, matches, "no staging directory is left behind")

	code, _, stderr = run(append(args, "--log", "most")...)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, `--log "most"`)
}

// run recycles only the entities every report it writes folds: never
// with --entities all or a log in memory, after 10,000 entities when
// report.json lists a run that small whole (auto), else from the first.
func TestRunRecycling(t *testing.T) {
	for _, c := range []struct {
		recordLog, report bool
		listing           sim.EntityListing
		recycle           bool
		after             int64
	}{
		{false, false, sim.EntitiesAuto, true, 0},
		{false, false, sim.EntitiesFolded, true, 0},
		{false, false, sim.EntitiesAll, false, 0},
		{false, true, sim.EntitiesAuto, true, sim.FoldEntitiesAbove},
		{false, true, sim.EntitiesFolded, true, 0},
		{false, true, sim.EntitiesAll, false, 0},
		{true, false, sim.EntitiesAuto, false, 0},
		{true, true, sim.EntitiesFolded, false, 0},
	} {
		recycle, after := recycling(c.recordLog, c.report, c.listing)
		assert.Equal(t, c.recycle, recycle, "%+v", c)
		assert.Equal(t, c.after, after, "%+v", c)
	}
}

// `run` prints what the same run keeping every entity reports, where its
// options recycle (runSimOptions): the text report, report.json folded
// above 10,000 entities (auto) and always (folded).
func TestRunRecyclingPrintsTheSame(t *testing.T) {
	for _, c := range []struct {
		scenario string
		args     []string
	}{
		{"jan-2024-fixed", nil},
		{"jan-2024-fixed", []string{"-o", "json"}},
		{"jan-2024-replay", []string{"-o", "json", "--entities", "folded"}},
	} {
		opts := &RunOptions{Output: "text", Budgets: sim.DefaultBudgets}
		files := outFlags{Log: "lifecycle", Entities: "auto"}
		for i := 0; i < len(c.args); i += 2 {
			switch c.args[i] {
			case "-o":
				opts.Output = c.args[i+1]
			case "--entities":
				files.Entities = c.args[i+1]
			}
		}
		lf, err := files.format("")
		require.NoError(t, err)
		s, err := loadWithSets(c.scenario, nil)
		require.NoError(t, err)
		so := runSimOptions(opts, lf)
		require.True(t, so.Recycle, "%s %v", c.scenario, c.args)
		recycled := sim.New(s, so).Run()
		require.Positive(t, recycled.Recycled(), "%s %v: the run recycles nothing, the test checks little", c.scenario, c.args)

		so.Recycle = false
		kept := sim.New(s, so).Run()
		var want bytes.Buffer
		if opts.Output == "json" {
			require.NoError(t, sim.WriteReportJSON(&want, kept, lf.listing))
		} else {
			require.NoError(t, sim.WriteRunText(&want, kept))
		}
		code, stdout, stderr := run(append([]string{"run", c.scenario}, c.args...)...)
		require.Equal(t, ExitOK, code, stderr)
		assert.Equal(t, want.String(), stdout, "%s %v", c.scenario, c.args)
	}
}
