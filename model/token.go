package model

import (
	"errors"
	"fmt"
)

// Errors of token creation and renewal, in the backend's wording
// (semantics.md §3.1, §4).
var (
	ErrBatchParent       = errors.New("batch tokens cannot create more tokens")
	ErrRestrictedParent  = errors.New("restricted use token cannot generate child tokens")
	ErrPeriodNeedsSudo   = errors.New("root or sudo privileges required to create periodic token")
	ErrRootFromNonRoot   = errors.New("root tokens may not be created without parent token being root")
	ErrNonExpiringRoot   = errors.New("expiring root tokens cannot create non-expiring root tokens")
	ErrBatchRenew        = errors.New("batch tokens cannot be renewed")
	ErrNotRenewable      = errors.New("lease is not renewable")
	ErrLeaseExpired      = errors.New("lease expired")
	ErrLoginZeroTTL      = errors.New("token TTL is zero")                                // Core.RegisterAuth refuses a non-root token with TTL 0
	ErrRoleBatchMismatch = errors.New("role does not allow tokens of the requested type") // interpreted: §3.1 is silent
	ErrTokenRoleNotFound = errors.New("original token role could not be found, not renewing")
	ErrAuthRoleNotFound  = errors.New("role could not be found, not renewing") // interpreted: AppRole's renew handler errors on a deleted role
)

// Origin says where a token came from, which decides how it renews (§4).
type Origin uint8

// Token origins.
const (
	FromTokenStore Origin = iota // auth/token/create[...]
	FromLogin                    // a login to an auth method built on tokenutil
)

// Token is the lifetime state the backend keeps for a token: its lease
// entry (le.Auth) and the token entry fields renewal reads (§3, §4).
type Token struct {
	Type      TokenType
	Origin    Origin
	Mount     string // auth mount whose view applies: auth/token or the login mount
	Role      string // token role (FromTokenStore) or auth role (FromLogin), "" for none
	Orphan    bool
	Renewable bool
	NumUses   int

	IssueTime  Instant
	TTL        Duration // le.Auth.TTL: the last granted TTL (sticky for token-store renewals)
	ExpireTime Instant
	NoExpiry   bool // a root-policy token with TTL 0

	// Token-entry values renewals read (§4 table). For token-store tokens
	// these are the *request* values (te.Period, te.ExplicitMaxTTL); for
	// login tokens ExplicitMax is the role's value captured at login.
	Period      Setting
	ExplicitMax Setting

	Grant Grant // the most recent grant, with provenance
}

// Caller is the token that makes a token-store create request.
type Caller struct {
	Root    bool // the root token: root policy, sudo, TTL 0
	Sudo    bool
	Type    TokenType
	NumUses int
	TTL     Duration // the caller's current TTL; 0 for a non-expiring root token
}

// CreateToken implements token-store creation (semantics.md §3.1,
// vault/token_store.go handleCreateCommon): checks in code order, the
// min-of-non-zero merge with a token role, then CalculateTTL against the
// token mount. No cap by the parent (§3.2): nothing here looks at the
// caller's remaining TTL.
func CreateToken(view MountView, caller Caller, req TokenRequest, now Instant) (Token, error) {
	if caller.Type == TokenBatch {
		return Token{}, ErrBatchParent
	}
	if caller.NumUses > 0 {
		return Token{}, ErrRestrictedParent
	}
	// A batch role makes batch tokens; otherwise the request's type applies
	// (interpreted: §3.1 does not detail a service role meeting a batch request).
	typ := req.Type
	if r := req.Role; r != nil && r.TokenType == TokenBatch {
		typ = TokenBatch
	}
	check := req
	check.Type = typ
	if errs := check.Validate(); len(errs) > 0 {
		return Token{}, errors.New(errs[0].Msg)
	}
	if req.Period > 0 && !caller.Root && !caller.Sudo {
		return Token{}, ErrPeriodNeedsSudo
	}
	if req.RootPolicy && !caller.Root {
		return Token{}, ErrRootFromNonRoot
	}

	t := Token{
		Type:        typ,
		Origin:      FromTokenStore,
		Mount:       view.Path,
		Orphan:      req.NoParent,
		Renewable:   req.Renewable,
		NumUses:     req.NumUses,
		IssueTime:   now,
		Period:      setting(req.Period, LayerRequestPeriod, ""),
		ExplicitMax: setting(req.ExplicitMaxTTL, LayerRequestExplicitMaxTTL, ""),
	}
	explicit, period := t.ExplicitMax, t.Period
	var merged Warnings
	if r := req.Role; r != nil {
		t.Role = r.Name
		if typ != TokenBatch {
			explicit, merged.ExplicitMaxMerged = MergeRoleLimit(explicit, setting(r.TokenExplicitMaxTTL, LayerRoleTokenExplicitMaxTTL, r.Name))
			period, merged.PeriodMerged = MergeRoleLimit(period, setting(r.TokenPeriod, LayerRoleTokenPeriod, r.Name))
		}
		if !r.Renewable {
			t.Renewable = false
		}
		t.NumUses = minNonZero(t.NumUses, r.TokenNumUses)
		if r.Orphan {
			t.Orphan = true
		}
	}
	if typ == TokenBatch {
		t.Renewable = false
	}

	if period.Set() || req.TTL > 0 || !req.RootPolicy {
		g, err := CalculateTTL(TTLParams{
			View:        view,
			BackendTTL:  setting(req.TTL, LayerRequestTTL, ""),
			Period:      period,
			ExplicitMax: explicit,
			Start:       now,
			Now:         now,
		})
		if err != nil {
			return Token{}, err
		}
		g.Warnings.ExplicitMaxMerged, g.Warnings.PeriodMerged = merged.ExplicitMaxMerged, merged.PeriodMerged
		t.Grant, t.TTL = g, g.TTL
	} else if explicit.Set() {
		// Root-policy token without a TTL (§3.1 step 7): explicit max is its TTL.
		t.TTL = explicit.Value
		t.Grant = Grant{TTL: explicit.Value, TTLBy: explicit.Layer, Max: explicit.Value, MaxBy: explicit.Layer,
			HasHardEnd: true, HardEnd: now.Add(explicit.Value), HardEndBy: explicit.Layer}
	}
	if t.TTL == 0 {
		if caller.TTL != 0 {
			return Token{}, ErrNonExpiringRoot
		}
		t.NoExpiry, t.Renewable = true, false
		t.Grant = Grant{TTLBy: Layer{Kind: LayerNonExpiringRoot}}
		return t, nil
	}
	t.ExpireTime = now.Add(t.TTL)
	return t, nil
}

// MergeRoleLimit is the token-role merge of semantics.md §3.1 step 4: the
// role value if the request has none, else the smaller of the two (with
// the "using the lesser value" warning, returned as the merged value).
func MergeRoleLimit(request, role Setting) (Setting, Duration) {
	switch {
	case !role.Set():
		return request, 0
	case !request.Set():
		return role, 0
	case role.Value < request.Value:
		return role, role.Value
	default:
		return request, request.Value
	}
}

func minNonZero(a, b int) int {
	switch {
	case a == 0:
		return b
	case b == 0 || a < b:
		return a
	default:
		return b
	}
}

// Login implements a login to an auth method built on tokenutil
// (semantics.md §3.3, vault/request_handling.go LoginCreateToken):
// CalculateTTL(authMountView, 0, token_ttl, token_period, token_max_ttl,
// token_explicit_max_ttl, now). Login tokens are always orphans, renewable
// unless batch, and capture the role's explicit max (sticky, §4).
func Login(view MountView, role AuthRole, now Instant) (Token, error) {
	explicit := setting(role.TokenExplicitMaxTTL, LayerRoleTokenExplicitMaxTTL, role.Name)
	g, err := CalculateTTL(TTLParams{
		View:        view,
		BackendTTL:  setting(role.TokenTTL, LayerRoleTokenTTL, role.Name),
		Period:      setting(role.TokenPeriod, LayerRoleTokenPeriod, role.Name),
		BackendMax:  setting(role.TokenMaxTTL, LayerRoleTokenMaxTTL, role.Name),
		ExplicitMax: explicit,
		Start:       now,
		Now:         now,
	})
	if err != nil {
		return Token{}, err
	}
	if g.TTL == 0 {
		return Token{}, ErrLoginZeroTTL
	}
	return Token{
		Type:        role.TokenType,
		Origin:      FromLogin,
		Mount:       view.Path,
		Role:        role.Name,
		Orphan:      true,
		Renewable:   role.TokenType != TokenBatch,
		NumUses:     role.TokenNumUses,
		IssueTime:   now,
		TTL:         g.TTL,
		ExpireTime:  now.Add(g.TTL),
		Period:      setting(role.TokenPeriod, LayerRoleTokenPeriod, role.Name),
		ExplicitMax: explicit,
		Grant:       g,
	}, nil
}

// RenewRoles are the *current* role values a renewal reads (§4: role and
// mount values are re-read at every renewal). Leave a pointer nil when the
// token has no role of that kind, or when its role was deleted.
type RenewRoles struct {
	Auth  *AuthRole
	Token *TokenRole
}

// RenewToken implements token renewal (semantics.md §4, vault/expiration.go
// RenewToken → the issuing backend's renew handler → CalculateTTL anchored
// at the original issue time). On success it updates t (TTL, ExpireTime,
// Grant) and returns the grant; on error t is unchanged.
func RenewToken(t *Token, view MountView, roles RenewRoles, increment Duration, now Instant) (Grant, error) {
	if err := RenewableCheck(t, now); err != nil {
		return Grant{}, err
	}
	g, err := RenewalGrant(t, view, roles, increment, now)
	if err != nil {
		return Grant{}, err
	}
	t.TTL, t.ExpireTime, t.Grant = g.TTL, now.Add(g.TTL), g
	return g, nil
}

// renewParams is what each CalculateTTL argument is at a renewal of t,
// by the token's origin (the table of semantics.md §4).
func renewParams(t *Token, view MountView, roles RenewRoles, increment Duration, now Instant) (TTLParams, error) {
	p := TTLParams{View: view, Increment: increment, Start: t.IssueTime, Now: now}
	switch {
	case t.Origin == FromLogin:
		// AppRole/Kubernetes pathLoginRenew: the role's current values,
		// explicit max as captured at login.
		r := roles.Auth
		if r == nil {
			return p, fmt.Errorf("%w (role %q)", ErrAuthRoleNotFound, t.Role)
		}
		p.BackendTTL = setting(r.TokenTTL, LayerRoleTokenTTL, r.Name)
		p.Period = setting(r.TokenPeriod, LayerRoleTokenPeriod, r.Name)
		p.BackendMax = setting(r.TokenMaxTTL, LayerRoleTokenMaxTTL, r.Name)
		p.ExplicitMax = t.ExplicitMax
	case t.Role != "":
		// authRenew via a token role: previous TTL, the role's current
		// period and explicit max (request values are dropped, §4/§11.1).
		r := roles.Token
		if r == nil {
			return p, fmt.Errorf("%w (role %q)", ErrTokenRoleNotFound, t.Role)
		}
		p.BackendTTL = Setting{Value: t.TTL, Layer: Layer{Kind: LayerPreviousTTL}}
		p.Period = setting(r.TokenPeriod, LayerRoleTokenPeriod, r.Name)
		p.ExplicitMax = setting(r.TokenExplicitMaxTTL, LayerRoleTokenExplicitMaxTTL, r.Name)
	default:
		// authRenew without a role: previous TTL (sticky), te.Period,
		// te.ExplicitMaxTTL.
		p.BackendTTL = Setting{Value: t.TTL, Layer: Layer{Kind: LayerPreviousTTL}}
		p.Period = t.Period
		p.ExplicitMax = t.ExplicitMax
	}
	return p, nil
}

// Ceiling is the grant a renewal of t with increment 0 would get at now,
// without renewing it: its cap and hard end under the current mount and
// role values, each with its layer. It answers "how long can this live
// token still live, and why" for a token observed in a lookup rather than
// created here (semantics.md §4; an import forecasts from it). Refusals
// that do not change the ceiling — non-renewable, expired — are ignored.
func Ceiling(t *Token, view MountView, roles RenewRoles, now Instant) (Grant, error) {
	return RenewalGrant(t, view, roles, 0, now)
}

// RenewalGrant is the grant a renewal of t asking for increment would
// compute at now, without renewing it and without the refusals that come
// before the formula (RenewableCheck). It is RenewToken's own computation,
// so a prediction built on it follows the same rules (§4 table).
func RenewalGrant(t *Token, view MountView, roles RenewRoles, increment Duration, now Instant) (Grant, error) {
	p, err := renewParams(t, view, roles, increment, now)
	if err != nil {
		return Grant{}, err
	}
	return CalculateTTL(p)
}

// RenewableCheck implements the refusals that come before any TTL is
// computed (semantics.md §4: handleRenew's batch check, then
// le.renewable() in order: non-expiring, expired, not renewable).
func RenewableCheck(t *Token, now Instant) error {
	switch {
	case t.Type == TokenBatch:
		return ErrBatchRenew
	case t.NoExpiry:
		return ErrNotRenewable
	case !now.Before(t.ExpireTime):
		return ErrLeaseExpired
	case !t.Renewable:
		return ErrNotRenewable
	}
	return nil
}
