package model

import "fmt"

// TokenType is a token's storage type. Roles may also say "default",
// "default-service" or "default-batch"; ParseTokenType maps those to the
// type a default-service mount (the untuned default) would issue.
type TokenType uint8

// Token types.
const (
	TokenService TokenType = iota
	TokenBatch
)

func (t TokenType) String() string {
	if t == TokenBatch {
		return "batch"
	}
	return "service"
}

// ParseTokenType reads a token_type / type value as Vault accepts it
// (sdk/helper/tokenutil ParseTokenFields). "default" and "default-service"
// yield service tokens and "default-batch" batch tokens — interpreted: the
// mount's own token_type could flip the "default" forms, which leasesim
// does not model (mounts here are always default-service).
func ParseTokenType(s string) (TokenType, error) {
	switch s {
	case "", "default", "service", "default-service":
		return TokenService, nil
	case "batch", "default-batch":
		return TokenBatch, nil
	}
	return TokenService, fmt.Errorf("invalid 'token_type' value %q; valid: service, batch, default, default-service, default-batch", s)
}

// AuthRole is a role of an auth method built on tokenutil (AppRole,
// Kubernetes, …): what a login yields (semantics.md §3.3).
type AuthRole struct {
	Name                string
	Mount               string // auth mount path, e.g. "auth/approle"
	TokenTTL            Duration
	TokenMaxTTL         Duration
	TokenExplicitMaxTTL Duration
	TokenPeriod         Duration
	TokenNumUses        int
	TokenType           TokenType
}

// Validate implements the role-write checks of semantics.md §3.3
// (sdk/helper/tokenutil ParseTokenFields), with the backend's wording.
func (r AuthRole) Validate() []FieldError {
	var errs []FieldError
	for _, f := range []struct {
		name string
		v    Duration
	}{{"token_ttl", r.TokenTTL}, {"token_max_ttl", r.TokenMaxTTL}, {"token_explicit_max_ttl", r.TokenExplicitMaxTTL}, {"token_period", r.TokenPeriod}} {
		if f.v < 0 {
			errs = append(errs, FieldError{f.name, fmt.Sprintf("'%s' cannot be negative", f.name)})
		}
	}
	if r.TokenNumUses < 0 {
		errs = append(errs, FieldError{"token_num_uses", "'token_num_uses' cannot be negative"})
	}
	if r.TokenTTL > 0 && r.TokenMaxTTL > 0 && r.TokenTTL > r.TokenMaxTTL {
		errs = append(errs, FieldError{"token_ttl", fmt.Sprintf(
			"'token_ttl' cannot be greater than 'token_max_ttl' (%s > %s)", r.TokenTTL, r.TokenMaxTTL)})
	}
	if r.TokenType == TokenBatch {
		if r.TokenPeriod != 0 {
			errs = append(errs, FieldError{"token_period", "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"})
		}
		if r.TokenNumUses != 0 {
			errs = append(errs, FieldError{"token_num_uses", "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"})
		}
	}
	return errs
}

// TokenRole is a token-store role (auth/token/roles/<name>, semantics.md
// §3.1). Token roles do not accept token_ttl or token_max_ttl.
type TokenRole struct {
	Name                string
	TokenExplicitMaxTTL Duration
	TokenPeriod         Duration
	Renewable           bool // Vault's default is true
	Orphan              bool
	TokenNumUses        int
	TokenType           TokenType
}

// Validate implements the token-role write checks of semantics.md §3.1–3.2:
// negatives rejected, batch roles cannot be periodic or use-limited, and a
// batch role must be an orphan role.
func (r TokenRole) Validate() []FieldError {
	var errs []FieldError
	if r.TokenExplicitMaxTTL < 0 {
		errs = append(errs, FieldError{"token_explicit_max_ttl", "'token_explicit_max_ttl' cannot be negative"})
	}
	if r.TokenPeriod < 0 {
		errs = append(errs, FieldError{"token_period", "'token_period' cannot be negative"})
	}
	if r.TokenNumUses < 0 {
		errs = append(errs, FieldError{"token_num_uses", "'token_num_uses' cannot be negative"})
	}
	if r.TokenType == TokenBatch {
		if r.TokenPeriod != 0 {
			errs = append(errs, FieldError{"token_period", "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"})
		}
		if r.TokenNumUses != 0 {
			errs = append(errs, FieldError{"token_num_uses", "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"})
		}
		if !r.Orphan {
			errs = append(errs, FieldError{"orphan", "'token_type' cannot be 'batch' or 'default_batch' if 'orphan' is false; set orphan: true"})
		}
	}
	return errs
}

// SecretsRole is a dynamic-secrets role (e.g. database/roles/<name>,
// semantics.md §5.1): what one credential lease yields.
type SecretsRole struct {
	Name       string
	Mount      string // secrets mount path, e.g. "database"
	DefaultTTL Duration
	MaxTTL     Duration
}

// Validate rejects negative values. A default_ttl above max_ttl is not an
// error: semantics.md §5.1 lists no such check for the database engine and
// the core caps the TTL at issue, which `explain` shows (interpreted: §5.1
// is silent on role-write validation).
func (r SecretsRole) Validate() []FieldError {
	var errs []FieldError
	if r.DefaultTTL < 0 {
		errs = append(errs, FieldError{"default_ttl", "'default_ttl' cannot be negative"})
	}
	if r.MaxTTL < 0 {
		errs = append(errs, FieldError{"max_ttl", "'max_ttl' cannot be negative"})
	}
	return errs
}
