package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that Parse never panics, that a nil error comes with a
// scenario, and that an error is a non-empty *ValidationError whose
// problems all name the file.
func FuzzParse(f *testing.F) {
	for _, name := range libraryNames() {
		data, err := Source(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("f.yaml", data)
		if err == nil {
			if sc == nil {
				t.Fatal("nil error with nil scenario")
			}
			return
		}
		if sc != nil {
			t.Fatal("scenario returned with an error")
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) == 0 {
			t.Fatalf("error is not a non-empty *ValidationError: %T %v", err, err)
		}
		for _, p := range ve.Problems {
			if p.File != "f.yaml" || p.Line < 0 || p.Column < 0 || p.Msg == "" {
				t.Fatalf("bad problem %+v", p)
			}
		}
	})
}

// fuzzSeeds are small inputs that reach the less travelled paths.
var fuzzSeeds = []string{
	"",
	"---\n",
	"a: &x 1\nb: *x\n",
	"- [a, {b: c}]\n",
	head + "events:\n  - {at: 1h, do: outage, until: 2h}\n  - {at: 2h, do: tune, mount: auth/token, set: {max_lease_ttl: system}}\n",
	head + world + "actors:\n  b: {login: broker, renew: {at: 0.5, jitter: 0.2}}\n  c: {via: b, child_token: {type: batch}, credential: app-db, refresh: {at: 0.9}, demand: 3/min}\n",
	head + world + "events:\n  - {at: 1h, do: role, role: tok, set: {token_period: 1h}}\n  - {at: 1h, do: role, role: broker, set: {token_ttl: 1h}}\n",
	head + "annotations:\n  - {at: 2024-01-02T00:00:00Z, label: x}\n  - {at: 2024-01-02, label: y}\n",
	head + "expect: {no_cascade_larger_than: 0, no_outage: true, max_failed_requests: 1.5, no_system_default_max: true, min_reauth_margin: 1d}\n",
	head + "backend:\n  mounts:\n    a/b: {}\n    a: {}\n    a/: {}\n",
	head + "roles:\n  x: {mount: auth/token, token_type: batch, orphan: true, period: 1h, token_period: 2h}\n",
}
