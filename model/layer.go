package model

import "fmt"

// LayerKind names one place a lifetime value can come from. Provenance is
// data: every TTL and hard end the model computes carries the Layer that
// bound it, so `explain` and reports can say *which setting decided*.
type LayerKind uint8

// The layers, from the server outwards. Names mirror Vault's parameters.
const (
	LayerNone                    LayerKind = iota
	LayerSystemDefault                     // server default_lease_ttl (768h unless configured)
	LayerSystemMax                         // server max_lease_ttl (768h unless configured)
	LayerMountDefault                      // tuned mount default_lease_ttl
	LayerMountMax                          // tuned mount max_lease_ttl
	LayerRoleTokenTTL                      // auth role token_ttl
	LayerRoleTokenMaxTTL                   // auth role token_max_ttl
	LayerRoleTokenExplicitMaxTTL           // auth or token role token_explicit_max_ttl
	LayerRoleTokenPeriod                   // auth or token role token_period
	LayerRoleDefaultTTL                    // secrets role default_ttl
	LayerRoleMaxTTL                        // secrets role max_ttl
	LayerRequestTTL                        // token create request ttl
	LayerRequestExplicitMaxTTL             // token create request explicit_max_ttl
	LayerRequestPeriod                     // token create request period
	LayerIncrement                         // renewal increment
	LayerPreviousTTL                       // last granted TTL (sticky, token-store renewals)
	LayerBatchToken                        // a batch token's own expiry clamps its leases
	LayerAncestor                          // an ancestor token's end revokes this one
	LayerNonExpiringRoot                   // root-policy token with TTL 0: never expires
)

// Layer is one concrete source of a value: its kind plus the mount path,
// role name or entity id it belongs to. The zero Layer means "none".
type Layer struct {
	Kind LayerKind
	Name string // mount path, role name or entity id, by Kind
}

// String renders the layer the way reports and `explain` name it, e.g.
// "system.max_lease_ttl", "mount auth/approle max_lease_ttl",
// "role broker token_max_ttl", "request explicit_max_ttl", "ancestor broker#1".
func (l Layer) String() string {
	switch l.Kind {
	case LayerNone:
		return "none"
	case LayerSystemDefault:
		return "system.default_lease_ttl"
	case LayerSystemMax:
		return "system.max_lease_ttl"
	case LayerMountDefault:
		return fmt.Sprintf("mount %s default_lease_ttl", l.Name)
	case LayerMountMax:
		return fmt.Sprintf("mount %s max_lease_ttl", l.Name)
	case LayerRoleTokenTTL:
		return fmt.Sprintf("role %s token_ttl", l.Name)
	case LayerRoleTokenMaxTTL:
		return fmt.Sprintf("role %s token_max_ttl", l.Name)
	case LayerRoleTokenExplicitMaxTTL:
		return fmt.Sprintf("role %s token_explicit_max_ttl", l.Name)
	case LayerRoleTokenPeriod:
		return fmt.Sprintf("role %s token_period", l.Name)
	case LayerRoleDefaultTTL:
		return fmt.Sprintf("role %s default_ttl", l.Name)
	case LayerRoleMaxTTL:
		return fmt.Sprintf("role %s max_ttl", l.Name)
	case LayerRequestTTL:
		return "request ttl"
	case LayerRequestExplicitMaxTTL:
		return "request explicit_max_ttl"
	case LayerRequestPeriod:
		return "request period"
	case LayerIncrement:
		return "increment"
	case LayerPreviousTTL:
		return "previous granted ttl"
	case LayerBatchToken:
		return fmt.Sprintf("batch token %s", l.Name)
	case LayerAncestor:
		return fmt.Sprintf("ancestor %s", l.Name)
	case LayerNonExpiringRoot:
		return "root token (no expiry)"
	}
	return fmt.Sprintf("layer(%d)", l.Kind)
}

// IsSystemDefault reports whether the layer is one of the server-wide
// fallbacks: the "nobody set this" answer the seed incident hinged on.
func (l Layer) IsSystemDefault() bool {
	return l.Kind == LayerSystemDefault || l.Kind == LayerSystemMax
}

// Setting is a value together with the layer it came from. A zero Value
// means "unset" everywhere in the backend (0 = inherit / no limit).
type Setting struct {
	Value Duration
	Layer Layer
}

// Set reports whether the setting has a non-zero value.
func (s Setting) Set() bool { return s.Value > 0 }

func setting(v Duration, kind LayerKind, name string) Setting {
	if v <= 0 {
		return Setting{}
	}
	return Setting{Value: v, Layer: Layer{Kind: kind, Name: name}}
}
