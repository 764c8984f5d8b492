package vault

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadFile checks that ReadFile and Identify never panic, that a nil
// error comes with a known kind and exactly its value, and that an error
// is a non-empty Errors whose every entry names the file.
func FuzzReadFile(f *testing.F) {
	files, _ := filepath.Glob(fixtures + "/*/*.json")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(filepath.Base(p), data)
	}
	f.Add("x.json", []byte(`{"leasesim": {"mount": "auth/a", "role": "r"}, "token_ttl": "1h"}`))
	f.Add("auth-a+b-tune.json", []byte(`{"default_lease_ttl": 1e3, "max_lease_ttl": "2h"}`))
	f.Add("l.json", []byte(`[`))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		if name == "" {
			name = "f.json"
		}
		_, _ = Identify(data)
		it, err := ReadFile(name, data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not a non-empty Errors: %v", err)
			}
			for _, e := range es {
				if e.File != name {
					t.Fatalf("error names %q, not the file %q: %v", e.File, name, e)
				}
			}
			return
		}
		set := 0
		for _, p := range []bool{it.Mount != nil, it.AuthRole != nil, it.TokenRole != nil, it.SecretsRole != nil,
			it.Token != nil, it.Lease != nil, it.AuthResponse != nil, it.SecretResponse != nil, it.Server != nil, it.MountTable != nil} {
			if p {
				set++
			}
		}
		switch {
		case it.Kind == KindUnknown:
			t.Fatal("nil error with an unknown kind")
		case it.Kind == KindKeyList && set != 0, it.Kind != KindKeyList && set != 1:
			// A key list sets Keys only; every other kind exactly its value.
			t.Fatalf("kind %v with %d values set", it.Kind, set)
		}
	})
}
