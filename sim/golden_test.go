package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites it with -update.
// Review a rewritten golden's diff before committing it: it is the spec.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./sim -run %s -update", t.Name())
	if !bytes.Equal(want, got) {
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := range min(len(wl), len(gl)) {
			if wl[i] != gl[i] {
				t.Fatalf("%s differs at line %d:\nwant: %s\n got: %s\n(run go test ./sim -update if the change is intended)", path, i+1, wl[i], gl[i])
			}
		}
		t.Fatalf("%s differs in length: want %d lines, got %d", path, len(wl), len(gl))
	}
}

// splitEntities separates report.json's long entities array from the rest:
// the rest is golden as text, the entities by count and digest, so a year
// of credential generations does not bloat the repository.
func splitEntities(t *testing.T, report []byte) (summary, entities []byte) {
	t.Helper()
	var doc map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(report, &doc))
	var list []json.RawMessage
	require.NoError(t, json.Unmarshal(doc["entities"], &list))
	sum := sha256.Sum256(doc["entities"])
	delete(doc, "entities")
	summary, err := json.MarshalIndent(doc, "", "  ")
	require.NoError(t, err)
	return append(summary, '\n'), fmt.Appendf(nil, "%d entities, sha256 %x\n", len(list), sum)
}

func load(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	return s
}

// Every library scenario's explain and run reports are guarded by goldens.
// The run goldens are split by revocation model (issue 14): NAME.run.* is
// the run with revocation: instant, byte for byte what every run was before
// Vault's expiration manager became the default, and NAME.revocation.* is
// what the default model adds. The default run must be exactly the instant
// run plus that section: revocation never changes validity.
func TestLibraryGoldens(t *testing.T) {
	for _, entry := range scenarios.List() {
		t.Run(entry.Name, func(t *testing.T) {
			s := load(t, entry.Name)
			exps, err := Explain(s)
			require.NoError(t, err)
			var text, js bytes.Buffer
			require.NoError(t, WriteExplainText(&text, s, exps))
			require.NoError(t, WriteExplainJSON(&js, s, exps))
			golden(t, entry.Name+".explain.txt", text.Bytes())
			golden(t, entry.Name+".explain.json", js.Bytes())

			// revocation: instant parses to a nil Revocation; setting it here
			// keeps the scenario's bytes (and report.json's scenario_sha256).
			instant := *s
			instant.Backend.Revocation = nil
			iText, iSummary, iEntities := runGoldens(t, New(&instant, Options{}).Run())
			golden(t, entry.Name+".run.txt", iText)
			golden(t, entry.Name+".run.json", iSummary)
			golden(t, entry.Name+".run.entities", iEntities)

			res := New(s, Options{}).Run()
			require.NotNil(t, res.Revocation, "Vault's expiration manager is the default")
			var section strings.Builder
			writeRevocationText(&section, res)
			golden(t, entry.Name+".revocation.txt", []byte(section.String()))
			vText, vSummary, vEntities := runGoldens(t, res)
			assert.Equal(t, string(iText), strings.Replace(string(vText), section.String(), "", 1), "run text: the instant run plus the revocation section")
			var doc map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(vSummary, &doc))
			var rev bytes.Buffer
			require.NoError(t, json.Indent(&rev, doc["revocation"], "", "  "))
			golden(t, entry.Name+".revocation.json", append(rev.Bytes(), '\n'))
			delete(doc, "revocation")
			rest, err := json.MarshalIndent(doc, "", "  ")
			require.NoError(t, err)
			assert.Equal(t, string(iSummary), string(rest)+"\n", "report.json: the instant report plus its revocation object")
			assert.Equal(t, string(iEntities), string(vEntities))
		})
	}
}

// runGoldens is a run's text report, report.json without its entities, and
// the entities' count and digest.
func runGoldens(t *testing.T, res *Result) (text, summary, entities []byte) {
	t.Helper()
	var tb, js bytes.Buffer
	require.NoError(t, WriteRunText(&tb, res))
	require.NoError(t, WriteReportJSON(&js, res, EntitiesAll))
	summary, entities = splitEntities(t, js.Bytes())
	return tb.Bytes(), summary, entities
}

// Two runs with the same seed give byte-identical report and event log.
func TestRunIsDeterministic(t *testing.T) {
	for _, name := range []string{"default-max-cliff", "jan-2024-replay", "staging-vs-production"} {
		t.Run(name, func(t *testing.T) {
			out := func() (string, string) {
				res := New(load(t, name), Options{RecordLog: true}).Run()
				var rep, ev bytes.Buffer
				require.NoError(t, WriteReportJSON(&rep, res, EntitiesAll))
				require.NoError(t, WriteEventsJSONL(&ev, res))
				return rep.String(), ev.String()
			}
			r1, e1 := out()
			r2, e2 := out()
			assert.Equal(t, r1, r2, "report.json")
			assert.Equal(t, e1, e2, "events.jsonl")
			assert.Greater(t, strings.Count(e1, "\n"), 100, "the log records the run")
		})
	}
}

// A different seed moves the watchers' jitter: the log changes, the cliff does not.
func TestSeedChangesJitterNotCliff(t *testing.T) {
	s := load(t, "default-max-cliff")
	a := New(s, Options{RecordLog: true}).Run()
	b := New(s, Options{RecordLog: true, Seed: 99, SeedSet: true}).Run()
	var la, lb bytes.Buffer
	require.NoError(t, WriteEventsJSONL(&la, a))
	require.NoError(t, WriteEventsJSONL(&lb, b))
	assert.NotEqual(t, la.String(), lb.String())
	require.Len(t, a.Cliffs, 1)
	require.Len(t, b.Cliffs, 1)
	assert.Equal(t, a.Cliffs[0].At, b.Cliffs[0].At)
	assert.Equal(t, uint64(99), b.Seed)
}
