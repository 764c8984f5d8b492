package model

import (
	"math"
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

// LeaseRenewal.Renew is RenewLease's own answer whenever it gives one:
// over views, roles, increments, issue times, batch clamps and instants up
// to past the ceiling, a renewal of a packed lease either leaves it
// untouched (and RenewLease takes over) or leaves it packing exactly the
// lease RenewLease leaves, also after a chain of renewals that switches
// between shapes.
func TestLeaseRenewalMatchesRenewLease(t *testing.T) {
	views := []MountView{dbView, ResolveMount(untuned, Mount{Path: "database"}),
		ResolveMount(untuned, Mount{Path: "database", DefaultLeaseTTL: h(2), MaxLeaseTTL: h(3)})}
	roles := []SecretsRole{{Name: "app"}, {Name: "app", DefaultTTL: h(1), MaxTTL: h(4)},
		{Name: "app", DefaultTTL: h(5), MaxTTL: h(4)}, {Name: "app", DefaultTTL: h(1)}}
	toks := []IssuingToken{svcTok, {ID: "b", Type: TokenBatch, Valid: true, Expire: at(h(2))}}
	incs := []Duration{0, h(1) / 2, h(3), h(30)}
	var forms LeaseForms
	fast, capped, granted := 0, 0, 0
	for _, view := range views {
		for _, role := range roles {
			for _, tok := range toks {
				for _, inc := range incs {
					r := NewLeaseRenewal(view, role, inc, &forms)
					issue := at(h(1) / 3)
					l, err := IssueLease(view, role, tok, issue)
					require.NoError(t, err)
					s := forms.Pack(l)
					for now := issue; now <= issue.Add(h(30)); now = now.Add(h(1) / 4) {
						before := s
						for _, ahead := range []Instant{now, now.Add(h(3))} {
							if g, ok := r.GrantAt(s, ahead); ok {
								granted++
								u := forms.Unpack(s)
								want, err := LeaseRenewalGrant(&u, view, role, inc, ahead)
								require.NoError(t, err)
								require.Equal(t, want, g, "GrantAt %v %v %v inc %v at %v", view, role, tok, inc, ahead)
							}
						}
						if r.Renew(&s, now) {
							fast++
							_, err := RenewLease(&l, view, role, tok, inc, now)
							require.NoError(t, err)
							require.Equal(t, l, forms.Unpack(s), "%v %v %v inc %v at %v", view, role, tok, inc, now)
							continue
						}
						require.Equal(t, before, s, "a refused fast renewal changes nothing")
						if r.RenewCapped(&s, now) {
							capped++
							_, err := RenewLease(&l, view, role, tok, inc, now)
							require.NoError(t, err)
							require.True(t, l.Grant.Warnings.TTLCapped)
							require.Equal(t, l, forms.Unpack(s), "capped: %v %v %v inc %v at %v", view, role, tok, inc, now)
							continue
						}
						require.Equal(t, before, s, "a refused capped renewal changes nothing")
						_, werr := RenewLease(&l, view, role, tok, inc, now)
						got := forms.Unpack(s)
						_, err := RenewLease(&got, view, role, tok, inc, now)
						require.Equal(t, werr, err)
						require.Equal(t, l, got)
						s = forms.Pack(got)
					}
				}
			}
		}
	}
	require.Greater(t, fast, 100, "the fast path must be taken")
	require.Greater(t, capped, 20, "the capped path must be taken")
	require.Greater(t, granted, 2*fast/3, "GrantAt must answer")

	// A chain switching shapes: the grant is rewritten when the shape changes.
	role := SecretsRole{Name: "app", DefaultTTL: h(1), MaxTTL: h(24)}
	a, b := NewLeaseRenewal(dbView, role, 0, &forms), NewLeaseRenewal(dbView, role, h(2), &forms)
	want, err := IssueLease(dbView, role, svcTok, 0)
	require.NoError(t, err)
	s := forms.Pack(want)
	for i, r := range []*LeaseRenewal{a, a, b, b, a, b} {
		now := at(Duration(i+1) * h(1) / 2)
		require.True(t, r.Renew(&s, now))
		inc := Duration(0)
		if r == b {
			inc = h(2)
		}
		_, err := RenewLease(&want, dbView, role, svcTok, inc, now)
		require.NoError(t, err)
		require.Equal(t, want, forms.Unpack(s), "renewal %d", i)
	}
}

// A lease packs and unpacks to itself, whatever its grant: capped (the
// remaining time its TTL, or not when a batch token clamped it after),
// batch-clamped, untuned; and a fleet's leases share their forms.
func TestLeaseFormsRoundTrip(t *testing.T) {
	var forms LeaseForms
	role := SecretsRole{Name: "app", DefaultTTL: h(1), MaxTTL: h(4)}
	batch := IssuingToken{ID: "b", Type: TokenBatch, Valid: true, Expire: at(h(3) + 1800)}
	var leases []Lease
	for _, tok := range []IssuingToken{svcTok, batch} {
		for _, view := range []MountView{dbView, ResolveMount(untuned, Mount{Path: "database"})} {
			for issue := Instant(0); issue < at(h(2)); issue = issue.Add(h(1)/3 + 7) {
				l, err := IssueLease(view, role, tok, issue)
				require.NoError(t, err)
				leases = append(leases, l)
				for now := issue; ; now = now.Add(h(1) / 2) {
					if _, err := RenewLease(&l, view, role, tok, h(2), now); err != nil {
						break
					}
					leases = append(leases, l)
				}
			}
		}
	}
	capped, remainingNotTTL := 0, 0
	for _, l := range leases {
		require.Equal(t, l, forms.Unpack(forms.Pack(l)))
		if w := l.Grant.Warnings; w.TTLCapped {
			capped++
			if w.Remaining != l.TTL {
				remainingNotTTL++
			}
		}
	}
	require.Greater(t, capped, 10)
	require.Greater(t, remainingNotTTL, 0, "a batch clamp after the cap must be covered")
	nf, no := forms.Len()
	assert.Less(t, nf, len(leases)/3, "leases share their forms")
	assert.Equal(t, 2, no, "one origin for the service token's leases, one for the batch token's")
}

func TestLeaseIssueMatchesIssueLease(t *testing.T) {
	views := []MountView{dbView, ResolveMount(untuned, Mount{Path: "database"}),
		ResolveMount(untuned, Mount{Path: "database", DefaultLeaseTTL: h(2), MaxLeaseTTL: h(3)}),
		ResolveMount(System{MaxLeaseTTL: h(1) / 2}, Mount{Path: "database"})}
	roles := []SecretsRole{{Name: "app"}, {Name: "app", DefaultTTL: h(1), MaxTTL: h(4)},
		{Name: "app", DefaultTTL: h(5), MaxTTL: h(4)}, {Name: "app", DefaultTTL: h(1)}}
	toks := []IssuingToken{svcTok, {Valid: true, Type: TokenService}, {ID: "b", Type: TokenBatch, Valid: true, Expire: at(h(2))},
		{ID: "u", Valid: true, UsesLeft: 1}, {ID: "u2", Valid: true, UsesLeft: 2}}
	var forms LeaseForms
	for _, view := range views {
		for _, role := range roles {
			p := NewLeaseIssue(view, role, &forms)
			for _, tok := range toks {
				for _, now := range []Instant{0, at(h(1) / 3), at(h(1)), at(h(24 * 365))} {
					want, werr := IssueLease(view, role, tok, now)
					got, err := p.Issue(tok, now)
					require.Equal(t, werr, err, "%v %v %v at %v", view, role, tok, now)
					if err == nil {
						require.Equal(t, want, forms.Unpack(got), "%v %v %v at %v", view, role, tok, now)
					}
				}
			}
		}
	}
}

// A packed lease keeps its issue and last grant in 4 bytes each: exact
// over every instant a run reaches (a horizon is at most 100 years), and
// refused, not wrapped, outside.
func TestLeaseStateInstants(t *testing.T) {
	var forms LeaseForms
	role := SecretsRole{Name: "app", DefaultTTL: h(1), MaxTTL: 100 * 365 * 24 * h(1)}
	for _, issue := range []Instant{0, 1, at(100 * 365 * 24 * h(1)), math.MaxUint32 - Instant(h(1))} {
		l, err := IssueLease(dbView, role, svcTok, issue)
		require.NoError(t, err)
		s := forms.Pack(l)
		require.Equal(t, l, forms.Unpack(s))
		require.Equal(t, issue, s.IssueTime())
		require.Equal(t, h(1), s.TTL())
		require.Equal(t, issue.Add(h(1)), s.ExpireTime())
		renewAt := issue.Add(h(1) / 2)
		s.RegrantAt(renewAt)
		require.Equal(t, h(1), s.TTL(), "the same grant, later")
		require.Equal(t, renewAt.Add(h(1)), s.ExpireTime())
	}
	l, err := IssueLease(dbView, role, svcTok, -1)
	require.NoError(t, err)
	require.Panics(t, func() { forms.Pack(l) }, "an instant before the start")
	l, err = IssueLease(dbView, role, svcTok, math.MaxUint32+1)
	require.NoError(t, err)
	require.Panics(t, func() { forms.Pack(l) }, "an instant past 2^32 s")
}
