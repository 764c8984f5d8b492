package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fields(errs []FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

// §3.3: tokenutil's role-write checks.
func TestAuthRoleValidate(t *testing.T) {
	tests := []struct {
		name string
		role AuthRole
		want []string
	}{
		{"ttl only (the seed incident's role)", AuthRole{TokenTTL: h(24)}, nil},
		{"ttl below max", AuthRole{TokenTTL: h(1), TokenMaxTTL: h(4)}, nil},
		{"ttl above max", AuthRole{TokenTTL: h(48), TokenMaxTTL: h(24)}, []string{"token_ttl"}},
		{"ttl above max but max unset", AuthRole{TokenTTL: h(48)}, nil},
		{"negatives", AuthRole{TokenTTL: -1, TokenPeriod: -1}, []string{"token_ttl", "token_period"}},
		{"batch periodic", AuthRole{TokenType: TokenBatch, TokenPeriod: h(1)}, []string{"token_period"}},
		{"batch use-limited", AuthRole{TokenType: TokenBatch, TokenNumUses: 3}, []string{"token_num_uses"}},
		{"batch with explicit max is allowed by tokenutil", AuthRole{TokenType: TokenBatch, TokenExplicitMaxTTL: h(1)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fields(tt.role.Validate()))
		})
	}
	errs := AuthRole{TokenTTL: h(48), TokenMaxTTL: h(24)}.Validate()
	assert.Contains(t, errs[0].Msg, "'token_ttl' cannot be greater than 'token_max_ttl'")
}

// §3.1–3.2: token-role checks, including batch roles needing orphan.
func TestTokenRoleValidate(t *testing.T) {
	tests := []struct {
		name string
		role TokenRole
		want []string
	}{
		{"periodic role", TokenRole{TokenPeriod: h(24), Renewable: true}, nil},
		{"batch orphan role", TokenRole{TokenType: TokenBatch, Orphan: true}, nil},
		{"batch non-orphan role", TokenRole{TokenType: TokenBatch}, []string{"orphan"}},
		{"batch periodic role", TokenRole{TokenType: TokenBatch, Orphan: true, TokenPeriod: h(1)}, []string{"token_period"}},
		{"negative explicit max", TokenRole{TokenExplicitMaxTTL: -1}, []string{"token_explicit_max_ttl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fields(tt.role.Validate()))
		})
	}
}

func TestSecretsRoleValidate(t *testing.T) {
	assert.Empty(t, SecretsRole{DefaultTTL: h(1), MaxTTL: h(24)}.Validate())
	assert.Empty(t, SecretsRole{DefaultTTL: h(48), MaxTTL: h(24)}.Validate(), "capped at issue, not rejected")
	assert.Equal(t, []string{"default_ttl", "max_ttl"}, fields(SecretsRole{DefaultTTL: -1, MaxTTL: -1}.Validate()))
}

// §3.1: request-only checks, in code order.
func TestTokenRequestValidate(t *testing.T) {
	tests := []struct {
		name string
		req  TokenRequest
		want []string
	}{
		{"plain", TokenRequest{TTL: h(24)}, nil},
		{"batch with period", TokenRequest{Type: TokenBatch, Period: h(1)}, []string{"period"}},
		{"batch with everything", TokenRequest{Type: TokenBatch, Period: h(1), ExplicitMaxTTL: h(2), NumUses: 1},
			[]string{"explicit_max_ttl", "num_uses", "period"}},
		{"negatives", TokenRequest{TTL: -1, NumUses: -1}, []string{"num_uses", "ttl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, fields(tt.req.Validate()))
		})
	}
	errs := TokenRequest{Type: TokenBatch, Period: h(1)}.Validate()
	assert.Equal(t, `batch tokens cannot have "period" set`, errs[0].Msg)
}

func TestParseTokenType(t *testing.T) {
	for in, want := range map[string]TokenType{"": TokenService, "service": TokenService, "default": TokenService,
		"default-service": TokenService, "batch": TokenBatch, "default-batch": TokenBatch} {
		got, err := ParseTokenType(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseTokenType("periodic")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "valid: service, batch")
}
