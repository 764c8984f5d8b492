package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// §2: a tuned mount value replaces the server value, even upwards.
func TestResolveMount(t *testing.T) {
	tests := []struct {
		name                string
		sys                 System
		mount               Mount
		wantDflt, wantMax   Duration
		dfltLayer, maxLayer Layer
	}{
		{"untuned mount, default server", System{}, Mount{Path: "auth/approle"},
			768 * Hour, 768 * Hour, sysDflt(), sysMax()},
		{"untuned mount, configured server", System{DefaultLeaseTTL: h(1), MaxLeaseTTL: h(48)}, Mount{Path: "auth/approle"},
			h(1), h(48), sysDflt(), sysMax()},
		{"tuned max replaces server max", System{}, Mount{Path: "database", MaxLeaseTTL: h(24)},
			768 * Hour, h(24), sysDflt(), Layer{LayerMountMax, "database"}},
		{"tuned max may exceed server max (V05)", System{}, Mount{Path: "auth/token", MaxLeaseTTL: h(8760)},
			768 * Hour, h(8760), sysDflt(), Layer{LayerMountMax, "auth/token"}},
		{"tuned default only", System{}, Mount{Path: "database", DefaultLeaseTTL: h(1)},
			h(1), 768 * Hour, Layer{LayerMountDefault, "database"}, sysMax()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := ResolveMount(tt.sys, tt.mount)
			assert.Equal(t, tt.wantDflt, v.Default.Value)
			assert.Equal(t, tt.wantMax, v.Max.Value)
			assert.Equal(t, tt.dfltLayer, v.Default.Layer)
			assert.Equal(t, tt.maxLayer, v.Max.Layer)
		})
	}
}

// §2: CreateCore rejects default > max; zero means 768h.
func TestValidateSystem(t *testing.T) {
	assert.Empty(t, ValidateSystem(System{}))
	assert.Empty(t, ValidateSystem(System{DefaultLeaseTTL: h(1), MaxLeaseTTL: h(2)}))
	errs := ValidateSystem(System{DefaultLeaseTTL: h(1000)})
	if assert.Len(t, errs, 1) {
		assert.Equal(t, "default_lease_ttl", errs[0].Field)
		assert.Contains(t, errs[0].Msg, "cannot exceed max lease TTL 768h")
	}
	assert.Len(t, ValidateSystem(System{MaxLeaseTTL: -1}), 1)
}

// §2: mount creation rejects default > max and default > server max when
// the mount's max is unset; tuning only rejects max < default.
func TestValidateMountAndTune(t *testing.T) {
	tests := []struct {
		name   string
		sys    System
		m      Mount
		create string // substring of the creation error, "" for none
		tune   string // substring of the tune error, "" for none
	}{
		{"untuned", System{}, Mount{Path: "database"}, "", ""},
		{"default below max", System{}, Mount{Path: "database", DefaultLeaseTTL: h(1), MaxLeaseTTL: h(24)}, "", ""},
		{"default above max", System{}, Mount{Path: "database", DefaultLeaseTTL: h(48), MaxLeaseTTL: h(24)}, "greater than given max lease TTL", "cannot be less than backend default"},
		{"default above server max, max unset", System{}, Mount{Path: "database", DefaultLeaseTTL: h(1000)}, "greater than system max lease TTL", ""},
		{"max above server max is fine", System{}, Mount{Path: "database", MaxLeaseTTL: h(8760)}, "", ""},
		{"negative", System{}, Mount{Path: "database", MaxLeaseTTL: -1}, "negative", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(errs []FieldError, want string) {
				if want == "" {
					assert.Empty(t, errs)
					return
				}
				if assert.NotEmpty(t, errs) {
					assert.Contains(t, errs[0].Msg, want)
				}
			}
			check(ValidateMount(tt.sys, tt.m), tt.create)
			check(ValidateTune(tt.m), tt.tune)
		})
	}
}
