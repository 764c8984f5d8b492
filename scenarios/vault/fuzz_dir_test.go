package vault

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leasesim/leasesim/scenarios"
)

// FuzzImportDir imports a directory of three files, as `leasesim import
// vault DIR` does: Read never panics and fails only with Errors that name
// files of the directory; a snapshot it accepts gives a scenario, or an
// error, and a scenario it writes must parse (an import that writes an
// invalid scenario is a leasesim bug). The names are the docs/import.md
// conventions, so tunes and roles are recognised. Seeds: jan-2024's files
// and scenarios/vault/testdata/fuzz/FuzzImportDir.
//
//	go test ./scenarios/vault -run x -fuzz FuzzImportDir
func FuzzImportDir(f *testing.F) {
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(jan2024, name))
		if err != nil {
			f.Fatal(err)
		}
		return data
	}
	tune, role, token := read("auth-approle-tune.json"), read("approle-role-broker.json"), read("token-broker.json")
	f.Add(tune, role, token)
	f.Add(tune, role, []byte(strings.Replace(string(token), `"ttl": 63709`, `"ttl": 9223372036854775807`, 1)))
	f.Add([]byte(`{}`), role, token)
	f.Add(tune, []byte(`{"token_ttl": "1h", "token_max_ttl": 1}`), token)
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		dir := t.TempDir()
		names := []string{"auth-approle-tune.json", "approle-role-broker.json", "token-broker.json"}
		for i, data := range [][]byte{a, b, c} {
			if err := os.WriteFile(filepath.Join(dir, names[i]), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		snap, err := Read(dir)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a non-empty Errors: %T %v", err, err)
			}
			for _, e := range es {
				if e.File != "" && !strings.HasPrefix(e.File, dir) {
					t.Fatalf("error names %q, outside the directory: %v", e.File, e)
				}
			}
			return
		}
		yaml, _, err := Scenario(snap, ImportOptions{Name: "fuzz", Horizon: 400 * 86400})
		if err != nil {
			return
		}
		if _, err := scenarios.Parse("fuzz.yaml", yaml); err != nil {
			t.Fatalf("import wrote a scenario that does not parse: %v\n%s", err, yaml)
		}
	})
}
