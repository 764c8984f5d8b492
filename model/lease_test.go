package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	dbView = ResolveMount(untuned, Mount{Path: "database", DefaultLeaseTTL: h(1), MaxLeaseTTL: h(24)})
	svcTok = IssuingToken{ID: "t", Valid: true}
)

// §5.1: CalculateTTL(secretMountView, 0, default_ttl, 0, max_ttl, 0, now).
func TestIssueLease(t *testing.T) {
	tests := []struct {
		name      string
		view      MountView
		role      SecretsRole
		tok       IssuingToken
		wantTTL   Duration
		wantTTLBy Layer
		wantEnd   Instant
		wantEndBy Layer
		wantErr   error
	}{
		{name: "role default and max", view: dbView, role: SecretsRole{Name: "app", DefaultTTL: h(1), MaxTTL: h(12)}, tok: svcTok,
			wantTTL: h(1), wantTTLBy: Layer{LayerRoleDefaultTTL, "app"}, wantEnd: at(h(12)), wantEndBy: Layer{LayerRoleMaxTTL, "app"}},
		{name: "mount default and max", view: dbView, role: SecretsRole{Name: "app"}, tok: svcTok,
			wantTTL: h(1), wantTTLBy: Layer{LayerMountDefault, "database"}, wantEnd: at(h(24)), wantEndBy: Layer{LayerMountMax, "database"}},
		{name: "role max above mount max is ignored", view: dbView, role: SecretsRole{Name: "app", DefaultTTL: h(2), MaxTTL: h(100)}, tok: svcTok,
			wantTTL: h(2), wantTTLBy: Layer{LayerRoleDefaultTTL, "app"}, wantEnd: at(h(24)), wantEndBy: Layer{LayerMountMax, "database"}},
		{name: "untuned mount: system values", view: ResolveMount(untuned, Mount{Path: "database"}), role: SecretsRole{Name: "app"}, tok: svcTok,
			wantTTL: h(768), wantTTLBy: sysDflt(), wantEnd: at(h(768)), wantEndBy: sysMax()},
		{name: "batch token clamps the lease (V25)", view: dbView, role: SecretsRole{Name: "app", DefaultTTL: h(24), MaxTTL: h(24)},
			tok:     IssuingToken{ID: "b", Type: TokenBatch, Valid: true, Expire: at(h(2))},
			wantTTL: h(2), wantTTLBy: Layer{LayerBatchToken, "b"}, wantEnd: at(h(2)), wantEndBy: Layer{LayerBatchToken, "b"}},
		{name: "final use cannot obtain a lease", view: dbView, role: SecretsRole{Name: "app"}, tok: IssuingToken{UsesLeft: 1, Valid: true},
			wantErr: ErrFinalUseSecret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := IssueLease(tt.view, tt.role, tt.tok, 0)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantTTL, l.TTL)
			assert.Equal(t, Instant(tt.wantTTL), l.ExpireTime)
			assert.Equal(t, tt.wantTTLBy, l.Grant.TTLBy)
			assert.Equal(t, tt.wantEnd, l.Grant.HardEnd)
			assert.Equal(t, tt.wantEndBy, l.Grant.HardEndBy)
		})
	}
}

// §5.2: the role's current values, increment replaces, increment 0 gives
// the role default (not sticky), ceiling from the lease's own issue time.
func TestRenewLease(t *testing.T) {
	role := SecretsRole{Name: "app", DefaultTTL: h(1), MaxTTL: h(4)}
	l, err := IssueLease(dbView, role, svcTok, 0)
	require.NoError(t, err)

	g, err := RenewLease(&l, dbView, role, svcTok, h(2), at(h(1)/2))
	require.NoError(t, err)
	assert.Equal(t, h(2), g.TTL, "increment replaces")

	g, err = RenewLease(&l, dbView, role, svcTok, 0, at(h(1)))
	require.NoError(t, err)
	assert.Equal(t, h(1), g.TTL, "increment 0: the role default, not the previous grant")

	role.DefaultTTL = h(3)
	g, err = RenewLease(&l, dbView, role, svcTok, 0, at(h(3)/2))
	require.NoError(t, err)
	assert.Equal(t, h(4)-h(3)/2, g.TTL, "role change read at renewal; capped at issue + max")
	assert.Equal(t, []string{`TTL of "3h" exceeded the effective max_ttl of "2h30m"; TTL value is capped accordingly`}, g.Warnings.Messages())

	_, err = RenewLease(&l, dbView, role, svcTok, 0, at(h(4)))
	assert.ErrorIs(t, err, ErrLeaseExpired)
}

func TestRenewBatchLease(t *testing.T) {
	role := SecretsRole{Name: "app", DefaultTTL: h(1), MaxTTL: h(24)}
	tok := IssuingToken{ID: "b", Type: TokenBatch, Valid: true, Expire: at(h(2))}
	l, err := IssueLease(dbView, role, tok, 0)
	require.NoError(t, err)
	g, err := RenewLease(&l, dbView, role, tok, 0, at(45*Minute))
	require.NoError(t, err)
	assert.Equal(t, h(1), g.TTL)
	g, err = RenewLease(&l, dbView, role, tok, 0, at(90*Minute))
	require.NoError(t, err)
	assert.Equal(t, 30*Minute, g.TTL, "clamped again to the batch token's expiry")
	assert.Equal(t, Layer{LayerBatchToken, "b"}, g.TTLBy)
	tok.Valid = false
	_, err = RenewLease(&l, dbView, role, tok, 0, at(110*Minute))
	assert.ErrorIs(t, err, ErrNoValidToken)
}
