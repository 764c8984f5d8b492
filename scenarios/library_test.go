package scenarios

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.err golden files")

func TestLibrary_EveryFileParses(t *testing.T) {
	names := libraryNames()
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := Source(name)
			require.NoError(t, err)
			sc, err := Parse(name+".yaml", data)
			require.NoError(t, err)
			assert.Equal(t, name, sc.Name, "a library scenario's name must equal its file name")
			assert.NotEmpty(t, strings.TrimSpace(sc.Description))
		})
	}
}

func TestList(t *testing.T) {
	l := List()
	require.NotEmpty(t, l)
	assert.True(t, sort.SliceIsSorted(l, func(i, j int) bool { return l[i].Name < l[j].Name }))
	var found bool
	for _, e := range l {
		assert.False(t, strings.HasPrefix(e.Description, "(invalid"), "%s: %s", e.Name, e.Description)
		if e.Name == "default-max-cliff" {
			found = true
			assert.Contains(t, e.Description, "768h")
		}
	}
	assert.True(t, found)
}

func TestSource(t *testing.T) {
	a, err := Source("default-max-cliff")
	require.NoError(t, err)
	b, err := Source("default-max-cliff.yaml")
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Contains(t, string(a), "name: default-max-cliff")

	for _, bad := range []string{"nope", "", "../library/default-max-cliff", "library/default-max-cliff"} {
		_, err = Source(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "embedded: default-max-cliff", bad)
	}
	_, err = Source("default-max-clif")
	assert.Contains(t, err.Error(), "did you mean 'default-max-cliff'")
}

func TestLoad(t *testing.T) {
	sc, err := Load("default-max-cliff")
	require.NoError(t, err)
	assert.Equal(t, "default-max-cliff.yaml", sc.File)

	sc, err = Load("testdata/good/every-field.yaml")
	require.NoError(t, err)
	assert.Equal(t, "testdata/good/every-field.yaml", sc.File)

	_, err = Load("nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "embedded: default-max-cliff")

	_, err = Load("default-max-cliff.yaml") // looks like a path; none on disk
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the embedded scenario is named default-max-cliff")

	_, err = Load("testdata/bad/four-problems.yaml")
	var ve *ValidationError
	require.True(t, errors.As(err, &ve))
	assert.Len(t, ve.Problems, 4)
	assert.Equal(t, "testdata/bad/four-problems.yaml", ve.Problems[0].File)
}

func TestLoad_ExistingFileWithoutExtension(t *testing.T) {
	src, err := os.ReadFile("testdata/good/every-field.yaml")
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "default-max-cliff"), src, 0o644))
	t.Chdir(dir)
	sc, err := Load("default-max-cliff") // a file on disk wins over the embedded name
	require.NoError(t, err)
	assert.Equal(t, "every-field", sc.Name)
}

// TestDefaultMaxCliff pins the facts the seed scenario exists to show.
func TestDefaultMaxCliff(t *testing.T) {
	sc, err := Load("default-max-cliff")
	require.NoError(t, err)
	assert.Equal(t, "2023-12-14T10:54:00-07:00", sc.Start.Format(time.RFC3339))
	assert.Equal(t, 40*model.Day, sc.Horizon)
	assert.Equal(t, uint64(1), sc.Seed)
	assert.Equal(t, model.System{}, sc.Backend.System, "the server is untuned: 768h applies")
	assert.Equal(t, []model.Mount{
		{Path: "auth/approle"},
		{Path: "database", DefaultLeaseTTL: model.Hour, MaxLeaseTTL: 24 * model.Hour},
		{Path: "auth/token"},
	}, sc.Backend.Mounts)
	broker := roleByName(t, sc, "broker")
	assert.Equal(t, AuthRole, broker.Kind)
	assert.Equal(t, 24*model.Hour, broker.Auth.TokenTTL)
	assert.Zero(t, broker.Auth.TokenMaxTTL, "the trap: no token_max_ttl")
	assert.Equal(t, SecretsRole, roleByName(t, sc, "app-db").Kind)
	b := actorByName(t, sc, "broker")
	assert.Equal(t, "broker", b.Login)
	assert.Equal(t, RenewPolicy{Kind: RenewWatcher}, b.Renew)
	assert.Equal(t, ExhaustPolicy{Kind: ExhaustNone}, b.WhenExhausted)
	api := actorByName(t, sc, "core-api")
	assert.Equal(t, 20, api.Replicas)
	assert.Equal(t, "broker", api.Via)
	require.NotNil(t, api.ChildToken)
	assert.Equal(t, 24*model.Hour, api.ChildToken.Request.TTL)
	assert.Equal(t, "app-db", api.Credential)
	assert.InDelta(t, 50.0, api.Demand, 0)
	require.NotEmpty(t, sc.Annotations)
	assert.Equal(t, model.Instant(768*model.Hour), sc.Annotations[0].At)
}

func TestTestdata_Good(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			sc, err := Load(f)
			require.NoError(t, err)
			assert.Equal(t, strings.TrimSuffix(filepath.Base(f), ".yaml"), sc.Name)
		})
	}
}

// TestTestdata_Bad compares the full error text for each bad file with its
// golden .err file (go test ./scenarios -run Testdata_Bad -update rewrites them).
func TestTestdata_Bad(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			_, err = Parse(filepath.Base(f), data)
			require.Error(t, err)
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create %s", golden)
			assert.Equal(t, string(want), got)
		})
	}
}

// TestDocsExample keeps the first example of docs/scenario-format.md valid.
func TestDocsExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenario-format.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	require.True(t, ok)
	example, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	sc, err := Parse("docs.yaml", []byte(example))
	require.NoError(t, err)
	assert.Equal(t, "default-max-cliff", sc.Name)
}
