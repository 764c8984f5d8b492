package model

import (
	"fmt"
	"strings"
)

// DefaultSystemTTL is the server's default_lease_ttl and max_lease_ttl when
// its configuration sets neither: 32 days (semantics.md §2, vault/expiration.go
// maxLeaseTTL = defaultLeaseTTL = 32*24h). The seed incident's cliff.
const DefaultSystemTTL = 768 * Hour

// TokenMountPath is the path of the token store's own auth mount.
const TokenMountPath = "auth/token"

// System is the server-wide lifetime configuration.
type System struct {
	DefaultLeaseTTL Duration // 0 = 768h
	MaxLeaseTTL     Duration // 0 = 768h
}

// Mount is a tuned auth or secrets mount. Zero values inherit the server's.
type Mount struct {
	Path            string // e.g. "auth/approle", "auth/token", "database"
	DefaultLeaseTTL Duration
	MaxLeaseTTL     Duration
}

// IsAuth reports whether the mount is an auth mount (its path starts with "auth/").
func (m Mount) IsAuth() bool { return strings.HasPrefix(m.Path, "auth/") }

// MountView is what CalculateTTL reads as its system view: the mount's
// default and max after falling back to the server's, each with its layer.
type MountView struct {
	Path    string
	Default Setting
	Max     Setting
}

// ResolveMount implements semantics.md §2 (vault/dynamic_system_view.go
// fetchTTLs): start from the server values; a non-zero mount default
// *replaces* the default and a non-zero mount max *replaces* the max. It is a
// replacement, not a minimum, so a tuned mount max may exceed the server max.
func ResolveMount(sys System, m Mount) MountView {
	v := MountView{
		Path:    m.Path,
		Default: Setting{Value: orDefault(sys.DefaultLeaseTTL), Layer: Layer{Kind: LayerSystemDefault}},
		Max:     Setting{Value: orDefault(sys.MaxLeaseTTL), Layer: Layer{Kind: LayerSystemMax}},
	}
	if m.DefaultLeaseTTL > 0 {
		v.Default = Setting{Value: m.DefaultLeaseTTL, Layer: Layer{Kind: LayerMountDefault, Name: m.Path}}
	}
	if m.MaxLeaseTTL > 0 {
		v.Max = Setting{Value: m.MaxLeaseTTL, Layer: Layer{Kind: LayerMountMax, Name: m.Path}}
	}
	return v
}

func orDefault(d Duration) Duration {
	if d <= 0 {
		return DefaultSystemTTL
	}
	return d
}

// FieldError is a rule violation on one named field, in the backend's own
// words where it has them. Scenario validation adds file and line.
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidateSystem implements the server-config check of semantics.md §2
// (vault/core.go CreateCore rejects default > max). Zero means 768h.
func ValidateSystem(sys System) []FieldError {
	var errs []FieldError
	if sys.DefaultLeaseTTL < 0 {
		errs = append(errs, FieldError{"default_lease_ttl", "must not be negative"})
	}
	if sys.MaxLeaseTTL < 0 {
		errs = append(errs, FieldError{"max_lease_ttl", "must not be negative"})
	}
	if d, m := orDefault(sys.DefaultLeaseTTL), orDefault(sys.MaxLeaseTTL); d > m {
		errs = append(errs, FieldError{"default_lease_ttl", fmt.Sprintf(
			"default lease TTL %s cannot exceed max lease TTL %s (the server refuses to start)", d, m)})
	}
	return errs
}

// ValidateMount implements the mount-creation checks of semantics.md §2
// (vault/logical_system.go handleMount/handleEnableAuth): default > max is
// rejected, and so is a default above the server max when max is unset.
// (Tuning an existing mount is laxer — §2 says only new max < new default
// with both non-zero is rejected — but a scenario declares mounts as
// created, so the creation rules apply.)
func ValidateMount(sys System, m Mount) []FieldError {
	var errs []FieldError
	if m.DefaultLeaseTTL < 0 {
		errs = append(errs, FieldError{"default_lease_ttl", "must not be negative"})
	}
	if m.MaxLeaseTTL < 0 {
		errs = append(errs, FieldError{"max_lease_ttl", "must not be negative"})
	}
	switch {
	case m.DefaultLeaseTTL > 0 && m.MaxLeaseTTL > 0 && m.DefaultLeaseTTL > m.MaxLeaseTTL:
		errs = append(errs, FieldError{"default_lease_ttl", fmt.Sprintf(
			"given default lease TTL %s greater than given max lease TTL %s; set default_lease_ttl <= max_lease_ttl", m.DefaultLeaseTTL, m.MaxLeaseTTL)})
	case m.DefaultLeaseTTL > 0 && m.MaxLeaseTTL == 0 && m.DefaultLeaseTTL > orDefault(sys.MaxLeaseTTL):
		errs = append(errs, FieldError{"default_lease_ttl", fmt.Sprintf(
			"given default lease TTL %s greater than system max lease TTL %s; lower it or set the mount's max_lease_ttl", m.DefaultLeaseTTL, orDefault(sys.MaxLeaseTTL))})
	}
	return errs
}

// ValidateTune implements the tune check of semantics.md §2
// (vault/logical_system_helpers.go tuneMountTTLs): only a new max below a
// new default, both non-zero, is rejected. Zero resets to "system".
func ValidateTune(m Mount) []FieldError {
	if m.DefaultLeaseTTL < 0 || m.MaxLeaseTTL < 0 {
		return []FieldError{{"max_lease_ttl", "must not be negative"}}
	}
	if m.DefaultLeaseTTL > 0 && m.MaxLeaseTTL > 0 && m.MaxLeaseTTL < m.DefaultLeaseTTL {
		return []FieldError{{"max_lease_ttl", fmt.Sprintf(
			"backend max lease TTL %s cannot be less than backend default lease TTL %s", m.MaxLeaseTTL, m.DefaultLeaseTTL)}}
	}
	return nil
}
