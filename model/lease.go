package model

import "errors"

// Errors of dynamic-secret leases (semantics.md §5).
var (
	ErrNoValidToken   = errors.New("cannot renew lease, no valid associated token")
	ErrFinalUseSecret = errors.New("permission denied: a token on its final use cannot obtain a leased secret") // §5.1; wording interpreted
)

// Lease is a dynamic-secret lease: a credential issued under a token
// through a secrets role (semantics.md §5).
type Lease struct {
	Mount      string
	Role       string
	IssueTime  Instant
	TTL        Duration
	ExpireTime Instant
	Grant      Grant

	// BatchEnd is the issuing batch token's expiry; leases of batch tokens
	// are clamped to it at issue and at every renewal (§5.1, §5.2).
	BatchClamped bool
	BatchEnd     Instant
	BatchToken   string // the batch token's id, for provenance
}

// IssuingToken is what lease issue and renewal need to know of the token
// that requested the credential.
type IssuingToken struct {
	ID       string
	Type     TokenType
	Valid    bool    // the token still looks up (batch: its parent too)
	Expire   Instant // CreationTime + TTL, for batch tokens
	UsesLeft int     // remaining num_uses; 0 = unlimited
}

// IssueLease implements the issue of a dynamic secret (semantics.md §5.1):
// CalculateTTL(secretMountView, 0, role default_ttl, 0, role max_ttl, 0,
// now). Service tokens do not cap the lease (V20); batch tokens clamp its
// expiry to their own. A token on its final use cannot obtain one.
func IssueLease(view MountView, role SecretsRole, tok IssuingToken, now Instant) (Lease, error) {
	if tok.UsesLeft == 1 {
		return Lease{}, ErrFinalUseSecret
	}
	g, err := CalculateTTL(TTLParams{
		View:       view,
		BackendTTL: setting(role.DefaultTTL, LayerRoleDefaultTTL, role.Name),
		BackendMax: setting(role.MaxTTL, LayerRoleMaxTTL, role.Name),
		Start:      now,
		Now:        now,
	})
	if err != nil {
		return Lease{}, err
	}
	l := Lease{Mount: view.Path, Role: role.Name, IssueTime: now}
	if tok.Type == TokenBatch {
		l.BatchClamped, l.BatchEnd, l.BatchToken = true, tok.Expire, tok.ID
	}
	l.apply(g, now)
	return l, nil
}

// RenewLease implements lease renewal (semantics.md §5.2, vault/expiration.go
// Renew → secretCredsRenew): the role's *current* default_ttl and max_ttl,
// increment replaces, increment 0 gives the role default (not sticky), the
// ceiling is the lease's own issue time + min(mount-or-system max, max_ttl),
// and batch-token leases are clamped again to the token's expiry.
func RenewLease(l *Lease, view MountView, role SecretsRole, tok IssuingToken, increment Duration, now Instant) (Grant, error) {
	if !now.Before(l.ExpireTime) {
		return Grant{}, ErrLeaseExpired
	}
	if l.BatchClamped && !tok.Valid {
		return Grant{}, ErrNoValidToken
	}
	g, err := LeaseRenewalGrant(l, view, role, increment, now)
	if err != nil {
		return Grant{}, err
	}
	l.TTL, l.ExpireTime, l.Grant = g.TTL, now.Add(g.TTL), g
	return l.Grant, nil
}

// LeaseRenewalGrant is the grant a renewal of l asking for increment would
// compute at now under these role and mount values, clamped to a batch
// token's expiry, without renewing it: RenewLease's own computation, which
// a prediction reuses (§5.2).
func LeaseRenewalGrant(l *Lease, view MountView, role SecretsRole, increment Duration, now Instant) (Grant, error) {
	g, err := CalculateTTL(TTLParams{
		View:       view,
		Increment:  increment,
		BackendTTL: setting(role.DefaultTTL, LayerRoleDefaultTTL, role.Name),
		BackendMax: setting(role.MaxTTL, LayerRoleMaxTTL, role.Name),
		Start:      l.IssueTime,
		Now:        now,
	})
	if err != nil {
		return Grant{}, err
	}
	return l.clamp(g, now), nil
}

// apply records a grant, clamping to a batch token's expiry.
func (l *Lease) apply(g Grant, now Instant) {
	g = l.clamp(g, now)
	l.TTL, l.ExpireTime, l.Grant = g.TTL, now.Add(g.TTL), g
}

// clamp cuts a grant to the issuing batch token's expiry (§5.1, §5.2).
func (l *Lease) clamp(g Grant, now Instant) Grant {
	if l.BatchClamped {
		by := Layer{Kind: LayerBatchToken, Name: l.BatchToken}
		if now.Add(g.TTL) > l.BatchEnd {
			g.TTL, g.TTLBy = l.BatchEnd.Sub(now), by
		}
		if !g.HasHardEnd || l.BatchEnd < g.HardEnd {
			g.HasHardEnd, g.HardEnd, g.HardEndBy = true, l.BatchEnd, by
		}
	}
	return g
}
