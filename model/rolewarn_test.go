package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Role-write warnings in the backend's words (semantics.md §3.1, §3.3).
func TestRoleWriteWarnings(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []string
		want []string
	}{
		{"token role explicit max above the mount max", TokenRole{TokenExplicitMaxTTL: h(2160)}.WriteWarnings(h(768)),
			[]string{"Given explicit max TTL of 7776000 is greater than system/mount allowed value of 2764800 seconds; until this is fixed attempting to create tokens against this role will result in an error"}},
		{"token role explicit max at the mount max", TokenRole{TokenExplicitMaxTTL: h(768)}.WriteWarnings(h(768)), nil},
		{"token role without explicit max", TokenRole{}.WriteWarnings(h(768)), nil},
		{"auth role token_max_ttl above the mount max", AuthRole{TokenMaxTTL: h(1000)}.WriteWarnings(h(768)),
			[]string{"token_max_ttl is greater than the backend mount's maximum TTL value; issued tokens' max TTL value will be truncated"}},
		{"auth role token_max_ttl below the mount max", AuthRole{TokenMaxTTL: h(24)}.WriteWarnings(h(768)), nil},
	} {
		assert.Equal(t, c.want, c.got, c.name)
	}
}
