package model

import (
	"errors"
	"fmt"
)

// Errors the backend returns from the TTL formula, with its wording.
var (
	// ErrMaxTTLZero is CalculateTTL's guard (semantics.md §1 step 3).
	ErrMaxTTLZero = errors.New("max TTL must be greater than zero")
	// ErrPastMaxTTL is returned once the lifetime ceiling is reached
	// (semantics.md §1 step 6: remaining <= 0, so "==" already errors).
	ErrPastMaxTTL = errors.New("past the max TTL, cannot renew")
)

// TTLParams are the inputs of the one TTL formula, each with its layer.
// Unset settings are zero.
type TTLParams struct {
	View        MountView // mount-or-system default and max (§2)
	Increment   Duration  // renewal increment; 0 at creation
	BackendTTL  Setting   // role/request TTL, or the previous grant at renewal
	Period      Setting
	BackendMax  Setting // role max (token_max_ttl, max_ttl)
	ExplicitMax Setting
	Start       Instant // issue time of the lease: the ceiling's anchor
	Now         Instant
}

// Grant is the result of one TTL computation: the granted TTL, the cap
// applied to it, the lifetime ceiling (the hard end), each with the layer
// that bound it, and the warnings the backend would return.
type Grant struct {
	TTL   Duration // granted TTL, from Now
	TTLBy Layer    // the layer that set TTL (a max layer when the TTL was capped)

	Max   Duration // effective max TTL: min(mount-or-system max, backend max, explicit max)
	MaxBy Layer

	HasHardEnd bool    // false for periodic tokens without an explicit max
	HardEnd    Instant // Start + the ceiling's duration: nothing renews past it
	HardEndBy  Layer

	Warnings Warnings
}

// Expiry is the instant the grant ends if not renewed.
func (g Grant) Expiry(now Instant) Instant { return now.Add(g.TTL) }

// Warnings records the backend's warnings as data, so computing a grant
// allocates nothing; Messages renders them in Vault's wording.
type Warnings struct {
	PeriodCapped    bool
	PeriodRequested Duration
	TTLCapped       bool
	TTLRequested    Duration
	Remaining       Duration // the "effective max_ttl" Vault quotes: the time left
	EffectiveMax    Duration // the cap the period was cut to

	// Set by token creation through a role (semantics.md §3.1 step 4).
	ExplicitMaxMerged Duration // both request and role set explicit max: lesser used
	PeriodMerged      Duration // both request and role set a period: lesser used
}

// Messages renders the warnings exactly as the backend words them.
func (w Warnings) Messages() []string {
	var out []string
	if w.ExplicitMaxMerged > 0 {
		out = append(out, fmt.Sprintf("Explicit max TTL specified both during creation call and in role; using the lesser value of %d seconds", w.ExplicitMaxMerged))
	}
	if w.PeriodMerged > 0 {
		out = append(out, fmt.Sprintf("Period specified both during creation call and in role; using the lesser value of %d seconds", w.PeriodMerged))
	}
	if w.PeriodCapped {
		out = append(out, fmt.Sprintf("period of %q exceeded the effective max_ttl of %q; period value is capped accordingly",
			w.PeriodRequested.VaultString(), w.EffectiveMax.VaultString()))
	}
	if w.TTLCapped {
		out = append(out, fmt.Sprintf("TTL of %q exceeded the effective max_ttl of %q; TTL value is capped accordingly",
			w.TTLRequested.VaultString(), w.Remaining.VaultString()))
	}
	return out
}

// VaultString formats d as the backend does inside its warning texts:
// Go's duration form with zero minutes and seconds left out ("1000h",
// "1m", "1h5s", "8s"; sdk/framework/lease.go humanDuration in Vault and
// OpenBao, which trims time.Duration's "1000h0m0s"). For whole seconds that
// is exactly String's form; the tests check the two against the trimming.
func (d Duration) VaultString() string { return d.String() }

// EffectiveMaxTTL is step 2 of CalculateTTL (semantics.md §1): the cap
// starts as the mount-or-system max (§2) and is replaced by the backend max
// and then the explicit max, each only if set and smaller. Larger values
// are silently ignored (confirmed live, §12).
func EffectiveMaxTTL(view Setting, backendMax, explicitMax Setting) Setting {
	m := view
	if backendMax.Set() && backendMax.Value < m.Value {
		m = backendMax
	}
	if explicitMax.Set() && explicitMax.Value < m.Value {
		m = explicitMax
	}
	return m
}

// CalculateTTL is the backend's one TTL formula (semantics.md §1,
// sdk/framework/lease.go CalculateTTL), used for every token and lease at
// creation and at renewal. Time is whole seconds (§1 step 1 and 7, §12).
func CalculateTTL(p TTLParams) (Grant, error) {
	var g Grant
	max := EffectiveMaxTTL(p.View.Max, p.BackendMax, p.ExplicitMax)
	if max.Value <= 0 {
		return g, ErrMaxTTLZero
	}
	g.Max, g.MaxBy = max.Value, max.Layer

	if p.Period.Set() {
		// Periodic branch (§1 step 4): the period is the TTL, capped by the
		// effective max; only an explicit max sets a lifetime ceiling.
		g.TTL, g.TTLBy = p.Period.Value, p.Period.Layer
		if p.Period.Value > max.Value {
			g.TTL, g.TTLBy = max.Value, max.Layer
			g.Warnings.PeriodCapped = true
			g.Warnings.PeriodRequested = p.Period.Value
			g.Warnings.EffectiveMax = max.Value
		}
		if p.ExplicitMax.Set() {
			g.HasHardEnd = true
			g.HardEnd, g.HardEndBy = p.Start.Add(p.ExplicitMax.Value), p.ExplicitMax.Layer
		}
	} else {
		// Normal branch (§1 step 5): the increment replaces the TTL.
		g.TTL, g.TTLBy = NormalTTL(p.View.Default, p.Increment, p.BackendTTL)
		g.HasHardEnd = true
		g.HardEnd, g.HardEndBy = p.Start.Add(max.Value), max.Layer
	}

	if g.HasHardEnd {
		// The ceiling (§1 step 6): anchored at the original issue time.
		remaining := g.HardEnd.Sub(p.Now)
		if remaining <= 0 {
			return Grant{}, ErrPastMaxTTL
		}
		if g.TTL > remaining {
			g.Warnings.TTLCapped = true
			g.Warnings.TTLRequested = g.TTL
			g.Warnings.Remaining = remaining
			g.TTL, g.TTLBy = remaining, g.HardEndBy
		}
	}
	return g, nil
}

// NormalTTL is the TTL choice of CalculateTTL's normal branch (semantics.md
// §1 step 5): the increment if > 0, else the backend TTL if > 0, else the
// mount-or-system default.
func NormalTTL(mountDefault Setting, increment Duration, backendTTL Setting) (Duration, Layer) {
	switch {
	case increment > 0:
		return increment, Layer{Kind: LayerIncrement}
	case backendTTL.Set():
		return backendTTL.Value, backendTTL.Layer
	default:
		return mountDefault.Value, mountDefault.Layer
	}
}
