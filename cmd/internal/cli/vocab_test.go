package cli

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every command speaks -o json, and Vault's -format=json means the same.
func TestEveryCommandPrintsJSON(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := run("run", "short-parent", "--out", dir)
	require.Equal(t, ExitOK, code, stderr)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"scenarios", "list"}, ExitOK},
		{[]string{"scenarios", "show", "short-parent"}, ExitOK},
		{[]string{"explain", "short-parent"}, ExitOK},
		{[]string{"run", "short-parent"}, ExitOK},
		{[]string{"check", "default-max-cliff"}, ExitViolation},
		{[]string{"compare", "default-max-cliff", "--set", "roles.broker.token_max_ttl=168h"}, ExitOK},
		{[]string{"sweep", "short-parent", "--set", "horizon=10d,20d"}, ExitOK},
		{[]string{"import", "vault", filepath.Join("..", "..", "..", "testdata", "vault", "jan-2024")}, ExitOK},
		{[]string{"plot", filepath.Join(dir, "events.jsonl"), "--out", dir, "--plot", "live.svg"}, ExitOK},
	} {
		for _, flag := range [][]string{{"-o", "json"}, {"-format=json"}, {"-format", "json"}} {
			args := append(append([]string{}, tc.args...), flag...)
			code, stdout, stderr := run(args...)
			assert.Equal(t, tc.code, code, "%v: %s", args, stderr)
			assert.True(t, json.Valid([]byte(stdout)), "%v: not JSON: %.200s", args, stdout)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := run("--version")
	assert.Equal(t, ExitOK, code)
	assert.Regexp(t, `^leasesim \S+\n$`, stdout)
}

// --set on run, explain and check changes what they see, like compare's.
func TestSetOnRunExplainCheck(t *testing.T) {
	_, stdout, stderr := run("explain", "default-max-cliff", "broker", "--set", "roles.broker.token_max_ttl=168h")
	assert.Contains(t, stdout, "role broker token_max_ttl", stderr)
	assert.Contains(t, stdout, "= issue + 168h")
	_, stdout, _ = run("run", "default-max-cliff", "-o", "json", "--set", "roles.broker.token_max_ttl=168h")
	assert.Contains(t, stdout, `"bound_by": "role broker token_max_ttl"`)
	code, _, stderr := run("check", "default-max-cliff", "--set", "roles.broker.token_max_ttl=nonsense")
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "token_max_ttl")
}

// One entity id scheme: explain takes the ids run prints, plot takes the
// groups explain prints, and a misspelt one gets a suggestion.
func TestEntityNamesAcrossCommands(t *testing.T) {
	code, group, stderr := run("explain", "default-max-cliff", "core-api.credential")
	require.Equal(t, ExitOK, code, stderr)
	code, concrete, stderr := run("explain", "default-max-cliff", "core-api[3].credential#1")
	require.Equal(t, ExitOK, code, stderr)
	assert.Equal(t, group, concrete)

	_, _, stderr = run("explain", "default-max-cliff", "brokr")
	assert.Contains(t, stderr, "did you mean broker?")

	dir := t.TempDir()
	_, report, _ := run("run", "default-max-cliff", "--out", dir, "-o", "json")
	assert.Contains(t, report, `"core-api[3].credential#1"`, "run prints the same scheme")
	code, stdout, stderr := run("plot", filepath.Join(dir, "events.jsonl"), "--entity", "core-api.credential", "--plot", "renewal.svg", "--out", dir)
	assert.Equal(t, ExitOK, code, stderr)
	assert.Contains(t, stdout, "renewal.svg")
	code, _, stderr = run("plot", filepath.Join(dir, "events.jsonl"), "--entity", "core-api.credentail", "--plot", "renewal.svg", "--out", dir)
	assert.Equal(t, ExitBadInput, code)
	assert.Contains(t, stderr, "did you mean credential?")
}

// compare is a plan: the settings diff, a verdict, and --fail-on for CI.
func TestComparePlan(t *testing.T) {
	code, stdout, stderr := run("compare", "default-max-cliff", "--set", "roles.broker.token_max_ttl=168h", "-o", "json")
	require.Equal(t, ExitOK, code, stderr)
	var doc struct {
		Verdict  string `json:"verdict"`
		Settings []struct {
			Path string  `json:"path"`
			Old  *string `json:"old"`
			New  *string `json:"new"`
		} `json:"settings"`
		Cliffs []struct {
			BoundBy string `json:"bound_by"`
			Set     string `json:"set"`
		} `json:"cliffs"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	assert.Equal(t, "worse", doc.Verdict)
	require.Len(t, doc.Settings, 1)
	assert.Equal(t, "roles.broker.token_max_ttl", doc.Settings[0].Path)
	assert.Nil(t, doc.Settings[0].Old)
	assert.Equal(t, "168h", *doc.Settings[0].New)
	require.Len(t, doc.Cliffs, 2)
	assert.Equal(t, "backend.max_lease_ttl", doc.Cliffs[0].Set)
	assert.Equal(t, "roles.broker.token_max_ttl", doc.Cliffs[1].Set)

	code, _, stderr = run("compare", "default-max-cliff", "--set", "roles.broker.token_max_ttl=168h", "--fail-on", "worse")
	assert.Equal(t, ExitViolation, code, "WORSE fails the gate")
	assert.Contains(t, stderr, "verdict is worse")
	code, _, _ = run("compare", "jan-2024-replay", "jan-2024-fixed", "--fail-on", "worse,mixed")
	assert.Equal(t, ExitOK, code, "BETTER passes it")
	code, _, _ = run("compare", "jan-2024-replay", "jan-2024-fixed", "--fail-on", "wrose")
	assert.Equal(t, ExitBadInput, code)
}

// An operator's revoke is bound by "operator" in run and compare alike.
func TestOperatorRevokeNamedAlike(t *testing.T) {
	_, report, _ := run("run", "nested-chain", "-o", "json")
	require.Contains(t, report, `"cause": "revoked"`, "the scenario has an operator revoke")
	assert.Contains(t, report, `"bound_by": "operator"`)
	_, cmp, _ := run("compare", "nested-chain", "--set", "seed=5", "-o", "json")
	_, text, _ := run("compare", "nested-chain", "--set", "seed=5")
	require.Contains(t, cmp, `"cause": "revoked"`)
	assert.Contains(t, cmp, `"bound_by": "operator"`)
	assert.Regexp(t, `revoked\s+operator`, text)
}

// Each binding layer explain prints carries its --set path; pasted into
// compare --set, that path changes that layer (and compare says so).
func TestBindingLayerPathPastesIntoCompare(t *testing.T) {
	_, stdout, _ := run("explain", "default-max-cliff", "-o", "json")
	var doc struct {
		Entities []struct {
			ID     string `json:"id"`
			Layers []struct {
				Layer   string `json:"layer"`
				Binding string `json:"binding"`
				Set     string `json:"set"`
				Vault   string `json:"vault"`
			} `json:"layers"`
		} `json:"entities"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc))
	checked := 0
	for _, e := range doc.Entities {
		for _, l := range e.Layers {
			if l.Binding == "" {
				continue
			}
			require.NotEmpty(t, l.Set, "%s %s", e.ID, l.Layer)
			require.NotEmpty(t, l.Vault, "%s %s", e.ID, l.Layer)
			value := "7m"
			if strings.Contains(l.Layer, "max") {
				value = "7777h"
			}
			set := l.Set + "=" + value
			code, cmp, stderr := run("compare", "default-max-cliff", "--set", set, "-o", "json")
			require.Equal(t, ExitOK, code, "%s: %s", set, stderr)
			assert.Contains(t, cmp, `"path": "`+l.Set+`"`, set)

			_, after, _ := run("explain", "default-max-cliff", e.ID, "--set", set, "-o", "json")
			assert.Regexp(t, `"layer": "`+regexp.QuoteMeta(l.Layer)+`",\s*"value_seconds": `+seconds(value), after, "%s did not change %s of %s", set, l.Layer, e.ID)
			checked++
		}
	}
	assert.GreaterOrEqual(t, checked, 5)
}

func seconds(v string) string {
	if v == "7m" {
		return "420"
	}
	return "27997200"
}

// import writes durations as given: --horizon 400d stays 400d.
func TestImportWritesHorizonAsGiven(t *testing.T) {
	vault := filepath.Join("..", "..", "..", "testdata", "vault", "jan-2024")
	_, stdout, _ := run("import", "vault", vault)
	assert.Contains(t, stdout, "horizon: 400d\n")
	_, stdout, _ = run("import", "vault", vault, "--horizon", "90d")
	assert.Contains(t, stdout, "horizon: 90d\n")
}
