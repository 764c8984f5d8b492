package model

import "testing"

// Shared fixtures: an untuned server (768h default and max) and views of
// its mounts, the starting point of every worked example in semantics.md §8.
var (
	untuned   = System{}
	tokenView = ResolveMount(untuned, Mount{Path: TokenMountPath})
	rootCall  = Caller{Root: true, Sudo: true}
)

func h(n int64) Duration    { return Duration(n) * Hour }
func at(d Duration) Instant { return Instant(d) }

func sysMax() Layer  { return Layer{Kind: LayerSystemMax} }
func sysDflt() Layer { return Layer{Kind: LayerSystemDefault} }

// create is a token-store create by the root token, failing the test on error.
func create(t *testing.T, view MountView, req TokenRequest, now Instant) Token {
	t.Helper()
	if !req.Renewable {
		req.Renewable = true
	}
	tok, err := CreateToken(view, rootCall, req, now)
	if err != nil {
		t.Fatalf("create %+v: %v", req, err)
	}
	return tok
}

// renew renews tok, failing the test on error.
func renew(t *testing.T, tok *Token, view MountView, roles RenewRoles, inc Duration, now Instant) Grant {
	t.Helper()
	g, err := RenewToken(tok, view, roles, inc, now)
	if err != nil {
		t.Fatalf("renew at %s: %v", Duration(now), err)
	}
	return g
}
