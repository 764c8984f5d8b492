package model

import "errors"

// Errors of dynamic-secret leases (semantics.md §5).
var (
	ErrNoValidToken   = errors.New("cannot renew lease, no valid associated token")
	ErrFinalUseSecret = errors.New("permission denied: a token on its final use cannot obtain a leased secret") // §5.1; wording interpreted
)

// Lease is a dynamic-secret lease: a credential issued under a token
// through a secrets role (semantics.md §5). An engine holding many keeps
// them packed (LeaseState).
type Lease struct {
	IssueTime  Instant
	TTL        Duration
	ExpireTime Instant

	// BatchEnd is the issuing batch token's expiry; leases of batch tokens
	// are clamped to it at issue and at every renewal (§5.1, §5.2).
	BatchClamped bool
	BatchEnd     Instant
	Grant        Grant
	Mount        string
	Role         string
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

// LeaseIssue is IssueLease precomputed for one mount view and secrets
// role (§5.1), packed in a LeaseForms table: an issue's grant does not
// depend on the instant, and its ceiling is counted from the issue. Issue
// gives IssueLease's lease for a service token; a batch token's clamp and
// a final use go to IssueLease. TestLeaseIssueMatchesIssueLease checks the
// two agree.
type LeaseIssue struct {
	view  MountView
	role  SecretsRole
	forms *LeaseForms
	s     LeaseState // IssueLease by a service token at instant 0
	err   error
}

// NewLeaseIssue prepares the issues of leases under view and role, packed
// in forms.
func NewLeaseIssue(view MountView, role SecretsRole, forms *LeaseForms) *LeaseIssue {
	p := &LeaseIssue{view: view, role: role, forms: forms}
	var l Lease
	if l, p.err = IssueLease(view, role, IssuingToken{Valid: true}, 0); p.err == nil {
		p.s = forms.Pack(l)
	}
	return p
}

// Issue is IssueLease(view, role, tok, now) with p's view and role, packed.
func (p *LeaseIssue) Issue(tok IssuingToken, now Instant) (LeaseState, error) {
	if tok.Type == TokenBatch || tok.UsesLeft == 1 {
		l, err := IssueLease(p.view, p.role, tok, now)
		if err != nil {
			return LeaseState{}, err
		}
		return p.forms.Pack(l), nil
	}
	if p.err != nil {
		return LeaseState{}, p.err
	}
	s := p.s
	s.issue = packInstant(now)
	s.setGrant(now, s.TTL())
	return s, nil
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
	g, err := CalculateTTL(renewalParams(view, role, increment, l.IssueTime, now))
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

// LeaseRenewal is RenewLease precomputed for one mount view, secrets role
// and increment (a renewal "shape" shared by many leases), for leases
// packed in a LeaseForms table: everything of the grant that does not
// depend on the lease — the TTL and its layer, the cap, the ceiling's
// length and layer (§5.2) — interned once as a form. Renew uses it for the
// common renewal, one the ceiling does not reach of a lease no batch token
// clamps, and leaves every other case to RenewLease;
// TestLeaseRenewalMatchesRenewLease checks the two agree.
type LeaseRenewal struct {
	fast  bool   // CalculateTTL succeeded uncapped at the issue instant
	form  uint32 // grant's form in the table
	grant Grant  // CalculateTTL with Start = Now = 0: HardEnd is the ceiling's length
	// The form of a renewal the ceiling cuts (RenewCapped), interned at
	// the first: capOK says capForm is set.
	capOK   bool
	capForm uint32
	forms   *LeaseForms
}

// NewLeaseRenewal prepares the renewals of leases packed in forms, under
// view and role, asking for increment.
func NewLeaseRenewal(view MountView, role SecretsRole, increment Duration, forms *LeaseForms) *LeaseRenewal {
	g, err := CalculateTTL(renewalParams(view, role, increment, 0, 0))
	r := &LeaseRenewal{fast: err == nil && g.HasHardEnd && !g.Warnings.TTLCapped, grant: g, forms: forms}
	if r.fast {
		r.form = forms.form(g, 0)
	}
	return r
}

// Renew renews s at now exactly as RenewLease(l, view, role, tok, increment,
// now) would renew the lease s packs, with r's view, role and increment,
// when the lease is unexpired, not clamped by a batch token, and the
// ceiling does not cut the TTL; then it returns true. Otherwise it changes
// nothing and returns false: call RenewLease.
func (r *LeaseRenewal) Renew(s *LeaseState, now Instant) bool {
	if !now.Before(s.expire) || !r.uncapped(s, now) {
		return false
	}
	r.regrant(s, now)
	return true
}

// hardEnd is s's ceiling: its issue plus the max the renewal computes.
func (r *LeaseRenewal) hardEnd(s *LeaseState) Instant {
	return s.IssueTime().Add(Duration(r.grant.HardEnd))
}

// uncapped reports whether a renewal of s at now is the precomputed one:
// the shape's grant is uncapped, no batch token clamps s, and its ceiling
// (CalculateTTL's §1 step 6: remaining = issue + max - now) is after now
// and does not cut the TTL.
func (r *LeaseRenewal) uncapped(s *LeaseState, now Instant) bool {
	hardEnd := r.hardEnd(s)
	return r.fast && !s.BatchClamped() && r.grant.TTL <= hardEnd.Sub(now) && now.Before(hardEnd)
}

// regrant records the precomputed grant on s at now.
func (r *LeaseRenewal) regrant(s *LeaseState, now Instant) {
	s.setGrant(now, r.grant.TTL)
	s.form = r.form
}

// GrantAt is the grant a renewal of s at now would compute
// (LeaseRenewalGrant), in Renew's case — no batch token clamps s, the
// ceiling does not cut the TTL — whether or not s is still unexpired
// then: elision asks it of a renewal far ahead (sim/elide.go). ok is false
// in every other case.
func (r *LeaseRenewal) GrantAt(s LeaseState, now Instant) (g Grant, ok bool) {
	if !r.uncapped(&s, now) {
		return Grant{}, false
	}
	r.regrant(&s, now)
	return r.forms.Grant(s), true
}

// RenewCapped renews s at now exactly as RenewLease would, in the case
// Renew leaves to it that a watcher meets before every re-read: the lease
// is unexpired, no batch token clamps it, and the ceiling cuts the TTL
// (§1 step 6: the TTL is the time remaining to the ceiling, by its layer,
// with the capped-TTL warning). Then it returns true; otherwise it changes
// nothing and returns false.
func (r *LeaseRenewal) RenewCapped(s *LeaseState, now Instant) bool {
	hardEnd := r.hardEnd(s)
	remaining := hardEnd.Sub(now)
	if !r.fast || s.BatchClamped() || !now.Before(s.expire) || remaining <= 0 || r.grant.TTL <= remaining {
		return false
	}
	if !r.capOK {
		g := r.grant
		g.Warnings.TTLCapped, g.Warnings.TTLRequested, g.Warnings.Remaining = true, g.TTL, remaining
		g.TTL, g.TTLBy, g.HardEnd = remaining, g.HardEndBy, hardEnd
		r.capForm, r.capOK = r.forms.form(g, s.IssueTime()), true
	}
	s.setGrant(now, remaining)
	s.form = r.capForm
	return true
}

// renewalParams are CalculateTTL's arguments at a renewal of a lease issued
// at start (§5.2): the role's current default_ttl and max_ttl.
func renewalParams(view MountView, role SecretsRole, increment Duration, start, now Instant) TTLParams {
	return TTLParams{
		View:       view,
		Increment:  increment,
		BackendTTL: setting(role.DefaultTTL, LayerRoleDefaultTTL, role.Name),
		BackendMax: setting(role.MaxTTL, LayerRoleMaxTTL, role.Name),
		Start:      start,
		Now:        now,
	}
}
