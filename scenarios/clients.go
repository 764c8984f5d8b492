package scenarios

import (
	"fmt"
	"sort"
	"strings"

	"github.com/leasesim/leasesim/model"
)

// Preset is a named client's renew/refresh/reauth/retry settings, as its
// product documents its defaults (docs/clients.md cites each one). An
// actor's own keys override the preset field by field.
type Preset struct {
	Renew         RenewPolicy
	WhenExhausted ExhaustPolicy
	Refresh       RefreshPolicy
	Retry         RetryPolicy
}

// consulTemplateRetry is consul-template's vault retry stanza default:
// attempts 12, backoff 250ms, max_backoff 1m; leasesim's time is whole
// seconds, so the 250 ms backoff becomes 1 s.
var consulTemplateRetry = RetryPolicy{Kind: RetryBackoff, Attempts: 12, Backoff: 1, MaxBackoff: model.Minute}

// Presets are the clients `client:` may name.
var Presets = map[string]Preset{
	// Vault Agent: auto-auth renews its token with a LifetimeWatcher and
	// logs in again when it is done (§7.2); templates renew leases and
	// re-read them when done (§7.3), retrying like consul-template.
	"vault-agent": {Renew: RenewPolicy{Kind: RenewWatcher}, WhenExhausted: ExhaustPolicy{Kind: ExhaustReauth},
		Refresh: RefreshPolicy{Kind: RefreshWatcher}, Retry: consulTemplateRetry},
	// consul-template standalone: renew_token renews the token it was
	// given, but it has no auth method to log in again with.
	"consul-template": {Renew: RenewPolicy{Kind: RenewWatcher}, WhenExhausted: ExhaustPolicy{Kind: ExhaustNone},
		Refresh: RefreshPolicy{Kind: RefreshWatcher}, Retry: consulTemplateRetry},
	// envconsul: consul-template's dependency and config library.
	"envconsul": {Renew: RenewPolicy{Kind: RenewWatcher}, WhenExhausted: ExhaustPolicy{Kind: ExhaustNone},
		Refresh: RefreshPolicy{Kind: RefreshWatcher}, Retry: consulTemplateRetry},
	// The Secrets Store CSI driver with the Vault provider: a login per
	// mount, nothing renewed, secret rotation off by default (with it on,
	// set refresh: {read_every: 2m}, the default poll interval).
	"csi-vault": {Renew: RenewPolicy{Kind: RenewNone}, WhenExhausted: ExhaustPolicy{Kind: ExhaustNone},
		Refresh: RefreshPolicy{Kind: RefreshNone}, Retry: RetryPolicy{Kind: RetryNever}},
	// External Secrets Operator: re-reads every refreshInterval (1h by
	// default), each read a new dynamic secret; nothing renewed.
	"external-secrets": {Renew: RenewPolicy{Kind: RenewNone}, WhenExhausted: ExhaustPolicy{Kind: ExhaustReauth},
		Refresh: RefreshPolicy{Kind: RefreshEvery, Every: model.Hour}, Retry: RetryPolicy{Kind: RetryDefault}},
	// A bare api.LifetimeWatcher (§7.1): renews until done, and the program
	// around it does nothing more.
	"watcher": {Renew: RenewPolicy{Kind: RenewWatcher}, WhenExhausted: ExhaustPolicy{Kind: ExhaustNone},
		Refresh: RefreshPolicy{Kind: RefreshRenew}, Retry: RetryPolicy{Kind: RetryNever}},
	// A cron job renewing every hour with increment 0; it keeps calling
	// through Vault's capped-TTL warnings and never logs in again.
	"cron": {Renew: RenewPolicy{Kind: RenewEvery, Every: model.Hour}, WhenExhausted: ExhaustPolicy{Kind: ExhaustNone},
		Refresh: RefreshPolicy{Kind: RefreshRenewBy, Renew: RenewPolicy{Kind: RenewEvery, Every: model.Hour}}, Retry: RetryPolicy{Kind: RetryNever}},
}

// PresetNames lists the presets, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ClientSettings renders an actor's renew/refresh/reauth/retry settings as
// scenario YAML would write them, for explain: what its preset (if any)
// and its own keys came to.
func ClientSettings(a *Actor) string {
	var parts []string
	if a.OwnToken() {
		parts = append(parts, "renew: "+a.Renew.String(), "when_exhausted: "+a.WhenExhausted.String())
	}
	if a.Credential != "" {
		parts = append(parts, "refresh: "+a.Refresh.String())
	}
	parts = append(parts, "retry: "+a.Retry.String())
	return strings.Join(parts, ", ")
}

func (r RenewPolicy) String() string {
	var s string
	switch r.Kind {
	case RenewWatcher:
		return "watcher"
	case RenewNone:
		return "none"
	case RenewFraction:
		s = fmt.Sprintf("at: %g", r.At)
		if r.Jitter > 0 {
			s += fmt.Sprintf(", jitter: %g", r.Jitter)
		}
	case RenewEvery:
		s = "every: " + r.Every.String()
	}
	if r.Increment > 0 {
		s += ", increment: " + r.Increment.String()
	}
	return "{" + s + "}"
}

func (x ExhaustPolicy) String() string {
	switch {
	case x.Kind == ExhaustNone:
		return "none"
	case x.At > 0:
		return fmt.Sprintf("{reauth: {at: %g}}", x.At)
	}
	return "reauth"
}

func (r RefreshPolicy) String() string {
	switch r.Kind {
	case RefreshNone:
		return "none"
	case RefreshRenew:
		return "renew"
	case RefreshFraction:
		return fmt.Sprintf("{at: %g}", r.At)
	case RefreshEvery:
		return "{read_every: " + r.Every.String() + "}"
	case RefreshRenewBy:
		return r.Renew.String()
	}
	return "watcher"
}

func (r RetryPolicy) String() string {
	switch r.Kind {
	case RetryNever:
		return "never"
	case RetryBackoff:
		s := fmt.Sprintf("{attempts: %d, backoff: %s", r.Attempts, r.Backoff)
		if r.MaxBackoff > 0 {
			s += ", max_backoff: " + r.MaxBackoff.String()
		}
		return s + "}"
	}
	return "at once (default)"
}
