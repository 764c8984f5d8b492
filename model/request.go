package model

// TokenRequest is a token-store create request (auth/token/create,
// create-orphan, create/<role>) as semantics.md §3.1 lists its lifetime
// inputs. The caller (parent) is described separately at creation time.
type TokenRequest struct {
	TTL            Duration
	ExplicitMaxTTL Duration
	Period         Duration
	Renewable      bool // Vault's default is true; callers must set it
	NoParent       bool // create-orphan / no_parent=true
	Type           TokenType
	NumUses        int
	RootPolicy     bool       // the token gets the root policy (only a root caller may ask)
	Role           *TokenRole // auth/token/create/<role>; nil for none
}

// Validate implements the request checks of semantics.md §3.1 that depend
// on the request alone, in code order: batch tokens cannot have
// explicit_max_ttl, num_uses or period; negatives are rejected. Checks that
// depend on the caller (batch parent, use-limited parent, sudo for period)
// are made by CreateToken.
func (r TokenRequest) Validate() []FieldError {
	var errs []FieldError
	if r.Type == TokenBatch {
		if r.ExplicitMaxTTL != 0 {
			errs = append(errs, FieldError{"explicit_max_ttl", `batch tokens cannot have "explicit_max_ttl" set`})
		}
		if r.NumUses != 0 {
			errs = append(errs, FieldError{"num_uses", `batch tokens cannot have "num_uses" set`})
		}
		if r.Period != 0 {
			errs = append(errs, FieldError{"period", `batch tokens cannot have "period" set`})
		}
	}
	if r.NumUses < 0 {
		errs = append(errs, FieldError{"num_uses", "number of uses cannot be negative"})
	}
	if r.TTL < 0 {
		errs = append(errs, FieldError{"ttl", "ttl must be positive"})
	}
	if r.ExplicitMaxTTL < 0 {
		errs = append(errs, FieldError{"explicit_max_ttl", "explicit_max_ttl must be positive"})
	}
	if r.Period < 0 {
		errs = append(errs, FieldError{"period", "period must be positive"})
	}
	return errs
}
