package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// §3.1: creation refusals, in the order handleCreateCommon checks them.
func TestCreateTokenErrors(t *testing.T) {
	svc := Caller{TTL: h(24)}
	tests := []struct {
		name   string
		caller Caller
		req    TokenRequest
		want   string
	}{
		{"batch parent", Caller{Type: TokenBatch}, TokenRequest{TTL: h(1)}, "batch tokens cannot create more tokens"},
		{"use-limited parent", Caller{NumUses: 2}, TokenRequest{TTL: h(1)}, "restricted use token cannot generate child tokens"},
		{"batch parent checked before the request", Caller{Type: TokenBatch}, TokenRequest{Type: TokenBatch, Period: h(1)}, "batch tokens cannot create more tokens"},
		{"batch with period", svc, TokenRequest{Type: TokenBatch, Period: h(1)}, `batch tokens cannot have "period" set`},
		{"batch with explicit max", svc, TokenRequest{Type: TokenBatch, ExplicitMaxTTL: h(1)}, `batch tokens cannot have "explicit_max_ttl" set`},
		{"batch role with request period", svc, TokenRequest{Period: h(1), Role: &TokenRole{Name: "b", TokenType: TokenBatch, Orphan: true}}, `batch tokens cannot have "period" set`},
		{"negative ttl", svc, TokenRequest{TTL: -1}, "ttl must be positive"},
		{"period without sudo", svc, TokenRequest{Period: h(24)}, "root or sudo privileges required to create periodic token"},
		{"root policy from non-root", svc, TokenRequest{RootPolicy: true}, "root tokens may not be created without parent token being root"},
		{"non-expiring root from expiring root", Caller{Root: true, TTL: h(1)}, TokenRequest{RootPolicy: true}, "expiring root tokens cannot create non-expiring root tokens"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := CreateToken(tokenView, tt.caller, tt.req, 0)
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
}

// §3.1 steps 4–8: request and role merge; TTL from CalculateTTL.
func TestCreateToken(t *testing.T) {
	role := func(r TokenRole) *TokenRole { r.Name = "svc"; return &r }
	tests := []struct {
		name          string
		caller        Caller
		req           TokenRequest
		wantTTL       Duration
		wantTTLBy     Layer
		wantEnd       Instant // 0 = no hard end
		wantEndBy     Layer
		wantRenewable bool
		wantOrphan    bool
		wantType      TokenType
		wantWarn      []string
	}{
		{name: "no ttl: mount default, system max (V01)", caller: rootCall, req: TokenRequest{Renewable: true},
			wantTTL: h(768), wantTTLBy: sysDflt(), wantEnd: at(h(768)), wantEndBy: sysMax(), wantRenewable: true},
		{name: "ttl above max: capped with a warning, not an error (V04)", caller: rootCall, req: TokenRequest{TTL: h(1000), Renewable: true},
			wantTTL: h(768), wantTTLBy: sysMax(), wantEnd: at(h(768)), wantEndBy: sysMax(), wantRenewable: true,
			wantWarn: []string{`TTL of "1000h" exceeded the effective max_ttl of "768h"; TTL value is capped accordingly`}},
		{name: "period ignores ttl", caller: rootCall, req: TokenRequest{TTL: h(1), Period: h(24), Renewable: true},
			wantTTL: h(24), wantTTLBy: Layer{Kind: LayerRequestPeriod}, wantRenewable: true},
		{name: "sudo caller may ask for a period", caller: Caller{Sudo: true, TTL: h(24)}, req: TokenRequest{Period: h(24), Renewable: true},
			wantTTL: h(24), wantTTLBy: Layer{Kind: LayerRequestPeriod}, wantRenewable: true},
		{name: "role explicit max applies when the request has none", caller: rootCall,
			req:     TokenRequest{TTL: h(24), Renewable: true, Role: role(TokenRole{TokenExplicitMaxTTL: h(48), Renewable: true})},
			wantTTL: h(24), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(48)), wantEndBy: Layer{LayerRoleTokenExplicitMaxTTL, "svc"}, wantRenewable: true},
		{name: "request and role explicit max: the lesser, with a warning", caller: rootCall,
			req:     TokenRequest{TTL: h(24), ExplicitMaxTTL: h(36), Renewable: true, Role: role(TokenRole{TokenExplicitMaxTTL: h(48), Renewable: true})},
			wantTTL: h(24), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(36)), wantEndBy: Layer{Kind: LayerRequestExplicitMaxTTL}, wantRenewable: true,
			wantWarn: []string{"Explicit max TTL specified both during creation call and in role; using the lesser value of 129600 seconds"}},
		{name: "role period: min of non-zero", caller: Caller{TTL: h(24)},
			req:     TokenRequest{Renewable: true, Role: role(TokenRole{TokenPeriod: h(12), Renewable: true})},
			wantTTL: h(12), wantTTLBy: Layer{LayerRoleTokenPeriod, "svc"}, wantRenewable: true},
		{name: "role renewable=false wins", caller: rootCall, req: TokenRequest{TTL: h(1), Renewable: true, Role: role(TokenRole{})},
			wantTTL: h(1), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(768)), wantEndBy: sysMax()},
		{name: "role orphan=true makes an orphan", caller: rootCall, req: TokenRequest{TTL: h(1), Renewable: true, Role: role(TokenRole{Orphan: true, Renewable: true})},
			wantTTL: h(1), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(768)), wantEndBy: sysMax(), wantRenewable: true, wantOrphan: true},
		{name: "no_parent makes an orphan", caller: rootCall, req: TokenRequest{TTL: h(1), Renewable: true, NoParent: true},
			wantTTL: h(1), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(768)), wantEndBy: sysMax(), wantRenewable: true, wantOrphan: true},
		{name: "batch forces renewable=false", caller: Caller{TTL: h(24)}, req: TokenRequest{TTL: h(2), Renewable: true, Type: TokenBatch},
			wantTTL: h(2), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(768)), wantEndBy: sysMax(), wantType: TokenBatch},
		{name: "batch role makes batch tokens", caller: Caller{TTL: h(24)}, req: TokenRequest{TTL: h(2), Renewable: true, Role: role(TokenRole{TokenType: TokenBatch, Orphan: true, Renewable: true})},
			wantTTL: h(2), wantTTLBy: Layer{Kind: LayerRequestTTL}, wantEnd: at(h(768)), wantEndBy: sysMax(), wantType: TokenBatch, wantOrphan: true},
		{name: "root policy with explicit max: explicit max is the TTL", caller: rootCall, req: TokenRequest{RootPolicy: true, ExplicitMaxTTL: h(5), Renewable: true},
			wantTTL: h(5), wantTTLBy: Layer{Kind: LayerRequestExplicitMaxTTL}, wantEnd: at(h(5)), wantEndBy: Layer{Kind: LayerRequestExplicitMaxTTL}, wantRenewable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := CreateToken(tokenView, tt.caller, tt.req, 0)
			require.NoError(t, err)
			assert.Equal(t, tt.wantTTL, tok.TTL, "ttl")
			assert.Equal(t, tt.wantTTLBy, tok.Grant.TTLBy, "ttl bound by")
			assert.Equal(t, Instant(tt.wantTTL), tok.ExpireTime, "expire time")
			assert.Equal(t, tt.wantEnd != 0, tok.Grant.HasHardEnd, "has hard end")
			if tt.wantEnd != 0 {
				assert.Equal(t, tt.wantEnd, tok.Grant.HardEnd, "hard end")
				assert.Equal(t, tt.wantEndBy, tok.Grant.HardEndBy, "hard end bound by")
			}
			assert.Equal(t, tt.wantRenewable, tok.Renewable, "renewable")
			assert.Equal(t, tt.wantOrphan, tok.Orphan, "orphan")
			assert.Equal(t, tt.wantType, tok.Type, "type")
			assert.Equal(t, tt.wantWarn, tok.Grant.Warnings.Messages())
		})
	}
}

// §3.1 step 7: a root-policy token without TTL never expires and cannot renew.
func TestCreateNonExpiringRoot(t *testing.T) {
	tok, err := CreateToken(tokenView, rootCall, TokenRequest{RootPolicy: true, Renewable: true}, 0)
	require.NoError(t, err)
	assert.True(t, tok.NoExpiry)
	assert.False(t, tok.Renewable)
	assert.False(t, tok.Grant.HasHardEnd)
	_, err = RenewToken(&tok, tokenView, RenewRoles{}, 0, at(h(1)))
	assert.ErrorIs(t, err, ErrNotRenewable)
}

// §3.3: a login computes CalculateTTL(authMountView, 0, token_ttl,
// token_period, token_max_ttl, token_explicit_max_ttl, now).
func TestLogin(t *testing.T) {
	approle := ResolveMount(untuned, Mount{Path: "auth/approle"})
	tuned := ResolveMount(untuned, Mount{Path: "auth/approle", MaxLeaseTTL: h(72)})
	tests := []struct {
		name      string
		view      MountView
		role      AuthRole
		wantTTL   Duration
		wantTTLBy Layer
		wantEnd   Instant
		wantEndBy Layer
	}{
		{"the seed incident: token_ttl only, untuned mount", approle, AuthRole{Name: "broker", TokenTTL: h(24)},
			h(24), Layer{LayerRoleTokenTTL, "broker"}, at(h(768)), sysMax()},
		{"nothing set: system default and max", approle, AuthRole{Name: "broker"},
			h(768), sysDflt(), at(h(768)), sysMax()},
		{"token_max_ttl binds", approle, AuthRole{Name: "broker", TokenTTL: h(1), TokenMaxTTL: h(4)},
			h(1), Layer{LayerRoleTokenTTL, "broker"}, at(h(4)), Layer{LayerRoleTokenMaxTTL, "broker"}},
		{"token_max_ttl above the mount max is ineffective", tuned, AuthRole{Name: "broker", TokenTTL: h(1), TokenMaxTTL: h(100)},
			h(1), Layer{LayerRoleTokenTTL, "broker"}, at(h(72)), Layer{LayerMountMax, "auth/approle"}},
		{"explicit max below token_max_ttl binds", approle, AuthRole{Name: "broker", TokenTTL: h(1), TokenMaxTTL: h(48), TokenExplicitMaxTTL: h(24)},
			h(1), Layer{LayerRoleTokenTTL, "broker"}, at(h(24)), Layer{LayerRoleTokenExplicitMaxTTL, "broker"}},
		{"token_period above the mount max is capped at login (§3.3)", tuned, AuthRole{Name: "broker", TokenPeriod: h(100)},
			h(72), Layer{LayerMountMax, "auth/approle"}, 0, Layer{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := Login(tt.view, tt.role, at(h(10)))
			require.NoError(t, err)
			assert.True(t, tok.Orphan, "login tokens are orphans")
			assert.True(t, tok.Renewable)
			assert.Equal(t, FromLogin, tok.Origin)
			assert.Equal(t, tt.wantTTL, tok.TTL)
			assert.Equal(t, tt.wantTTLBy, tok.Grant.TTLBy)
			if tt.wantEnd == 0 {
				assert.False(t, tok.Grant.HasHardEnd)
				return
			}
			assert.Equal(t, tt.wantEnd+at(h(10)), tok.Grant.HardEnd, "ceiling is anchored at the login")
			assert.Equal(t, tt.wantEndBy, tok.Grant.HardEndBy)
		})
	}
}

// §4: what each CalculateTTL argument is at renewal, by token origin.
func TestRenewTokenByOrigin(t *testing.T) {
	approle := ResolveMount(untuned, Mount{Path: "auth/approle"})

	t.Run("token store, no role: previous TTL is sticky (§4, §11.2)", func(t *testing.T) {
		tok := create(t, tokenView, TokenRequest{TTL: h(24)}, 0)
		g := renew(t, &tok, tokenView, RenewRoles{}, h(1), at(h(1)))
		assert.Equal(t, h(1), g.TTL)
		g = renew(t, &tok, tokenView, RenewRoles{}, 0, at(h(1)+30*Minute))
		assert.Equal(t, h(1), g.TTL, "increment 0 returns the last granted TTL, not the creation TTL")
		assert.Equal(t, LayerPreviousTTL, g.TTLBy.Kind)
	})
	t.Run("token store via role: role's current period and explicit max", func(t *testing.T) {
		r := TokenRole{Name: "svc", Renewable: true}
		tok := create(t, tokenView, TokenRequest{TTL: h(24), ExplicitMaxTTL: h(48), Role: &r}, 0)
		assert.Equal(t, at(h(48)), tok.Grant.HardEnd, "request explicit max caps creation")
		g := renew(t, &tok, tokenView, RenewRoles{Token: &r}, 0, at(h(40)-h(20)))
		assert.Equal(t, h(24), g.TTL, "the request's explicit max is lost at renewal (§4 edge case, §11.1)")
		assert.Equal(t, at(h(768)), g.HardEnd)
		r.TokenExplicitMaxTTL = h(50)
		g = renew(t, &tok, tokenView, RenewRoles{Token: &r}, 0, at(h(41)))
		assert.Equal(t, h(9), g.TTL, "a role change applies at the next renewal")
		assert.Equal(t, Layer{LayerRoleTokenExplicitMaxTTL, "svc"}, g.HardEndBy)
	})
	t.Run("token store via role: request period without role period renews as normal", func(t *testing.T) {
		r := TokenRole{Name: "svc", Renewable: true}
		tok := create(t, tokenView, TokenRequest{Period: h(24), Role: &r}, 0)
		assert.False(t, tok.Grant.HasHardEnd, "periodic at creation")
		g := renew(t, &tok, tokenView, RenewRoles{Token: &r}, 0, at(h(10)))
		assert.True(t, g.HasHardEnd, "normal at renewal")
		assert.Equal(t, at(h(768)), g.HardEnd)
	})
	t.Run("token store via a deleted role fails", func(t *testing.T) {
		r := TokenRole{Name: "svc", Renewable: true}
		tok := create(t, tokenView, TokenRequest{TTL: h(24), Role: &r}, 0)
		_, err := RenewToken(&tok, tokenView, RenewRoles{}, 0, at(h(1)))
		assert.ErrorIs(t, err, ErrTokenRoleNotFound)
		assert.Equal(t, h(24), tok.TTL, "a failed renewal changes nothing")
	})
	t.Run("login: role's current token_ttl and token_max_ttl, explicit max sticky", func(t *testing.T) {
		r := AuthRole{Name: "broker", TokenTTL: h(1), TokenMaxTTL: h(10), TokenExplicitMaxTTL: h(8)}
		tok, err := Login(approle, r, 0)
		require.NoError(t, err)
		cur := r
		cur.TokenTTL, cur.TokenExplicitMaxTTL = h(2), h(100)
		g := renew(t, &tok, approle, RenewRoles{Auth: &cur}, 0, at(h(1)/2))
		assert.Equal(t, h(2), g.TTL, "increment 0 gives the role's current token_ttl")
		assert.Equal(t, at(h(8)), g.HardEnd, "explicit max is the value captured at login")
		cur.TokenMaxTTL = h(3)
		g = renew(t, &tok, approle, RenewRoles{Auth: &cur}, 0, at(h(2)))
		assert.Equal(t, h(1), g.TTL, "lowered token_max_ttl is read at renewal")
		assert.Equal(t, Layer{LayerRoleTokenMaxTTL, "broker"}, g.HardEndBy)
		_, err = RenewToken(&tok, approle, RenewRoles{Auth: &cur}, 0, at(h(3)))
		assert.Error(t, err, "expired exactly at the lowered ceiling")
	})
	t.Run("lowering the mount max makes the next renewal fail; the token lives to its expiry", func(t *testing.T) {
		r := AuthRole{Name: "broker", TokenTTL: h(24)}
		tok, err := Login(approle, r, 0)
		require.NoError(t, err)
		lowered := ResolveMount(untuned, Mount{Path: "auth/approle", MaxLeaseTTL: h(10)})
		_, err = RenewToken(&tok, lowered, RenewRoles{Auth: &r}, 0, at(h(12)))
		assert.ErrorIs(t, err, ErrPastMaxTTL)
		assert.Equal(t, at(h(24)), tok.ExpireTime)
	})
}

// §4: le.renewable() refusals, in order.
func TestRenewableCheck(t *testing.T) {
	live := Token{Renewable: true, ExpireTime: at(h(1))}
	tests := []struct {
		name string
		tok  Token
		now  Instant
		want error
	}{
		{"renewable and live", live, 0, nil},
		{"batch first", Token{Type: TokenBatch, ExpireTime: at(h(1))}, at(h(2)), ErrBatchRenew},
		{"non-expiring root", Token{NoExpiry: true, Renewable: true}, 0, ErrNotRenewable},
		{"expired at the expiry instant", live, at(h(1)), ErrLeaseExpired},
		{"expired before non-renewable", Token{ExpireTime: at(h(1))}, at(h(2)), ErrLeaseExpired},
		{"not renewable", Token{ExpireTime: at(h(1))}, 0, ErrNotRenewable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RenewableCheck(&tt.tok, tt.now))
		})
	}
}

// §3.1 step 4.
func TestMergeRoleLimit(t *testing.T) {
	req := setting(h(36), LayerRequestExplicitMaxTTL, "")
	role := setting(h(48), LayerRoleTokenExplicitMaxTTL, "r")
	got, warn := MergeRoleLimit(req, Setting{})
	assert.Equal(t, req, got)
	assert.Zero(t, warn)
	got, warn = MergeRoleLimit(Setting{}, role)
	assert.Equal(t, role, got)
	assert.Zero(t, warn)
	got, warn = MergeRoleLimit(req, role)
	assert.Equal(t, req, got)
	assert.Equal(t, h(36), warn)
	got, warn = MergeRoleLimit(setting(h(72), LayerRequestExplicitMaxTTL, ""), role)
	assert.Equal(t, role, got)
	assert.Equal(t, h(48), warn)
}

// Ceiling: a live token's hard end and its layer, without renewing it.
func TestCeiling(t *testing.T) {
	approle := ResolveMount(untuned, Mount{Path: "auth/approle"})
	role := AuthRole{Name: "broker", TokenTTL: h(24)}
	tok := Token{Origin: FromLogin, Mount: "auth/approle", Role: "broker", IssueTime: at(-h(700)), TTL: h(24), ExpireTime: at(h(10)), Renewable: true}
	g, err := Ceiling(&tok, approle, RenewRoles{Auth: &role}, 0)
	require.NoError(t, err)
	assert.Equal(t, at(h(68)), g.HardEnd, "issue + 768h")
	assert.Equal(t, sysMax(), g.HardEndBy)
	assert.Equal(t, at(h(10)), tok.ExpireTime, "the token is not changed")

	role.TokenMaxTTL = h(100)
	_, err = Ceiling(&tok, approle, RenewRoles{Auth: &role}, 0)
	assert.ErrorIs(t, err, ErrPastMaxTTL, "a role lowered since issue: the next renewal would fail")
	_, err = Ceiling(&tok, approle, RenewRoles{}, 0)
	assert.ErrorIs(t, err, ErrAuthRoleNotFound)
}
