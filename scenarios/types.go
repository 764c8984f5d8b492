package scenarios

import (
	"time"

	"github.com/leasesim/leasesim/model"
)

// Scenario is one parsed and validated scenario file. Maps in the YAML
// (mounts, roles, actors) become slices in file order, so that everything
// downstream iterates deterministically.
type Scenario struct {
	File        string // the name errors cite: a path, or "<name>.yaml" for embedded ones
	Name        string
	Description string
	Start       time.Time      // virtual time zero; its zone is the display zone
	Horizon     model.Duration // how far to simulate
	Seed        uint64
	Backend     Backend
	Roles       []Role
	Actors      []Actor
	Events      []Event
	Annotations []Annotation
	Expect      *Expect // nil when the file has no expect block
	// SHA256 is the hex digest of the scenario text as given: the file's
	// bytes, or the overridden text when --set changed it. Reports carry it
	// so sign-off evidence names its input.
	SHA256 string
}

// Backend is the server configuration and its mounts.
type Backend struct {
	System model.System
	Mounts []model.Mount  // auth/token is always present (added untuned when the file omits it)
	Lines  map[string]int // line of each mount by path, for later error messages
	// Revocation is backend.revocation: the expiration manager's work
	// (docs/revocation.md): Vault's defaults when the file says nothing.
	// Nil is revocation: instant: every lease is gone from the database
	// the moment it ends for Vault.
	Revocation *Revocation
}

// RoleKind tells which of the three kinds of role a role is; it follows
// from the role's mount: auth/token → token role, another auth/ mount →
// auth role, anything else → secrets role.
type RoleKind uint8

// The kinds of role.
const (
	AuthRole RoleKind = iota + 1
	TokenRole
	SecretsRole
)

// Role is one role; exactly the member matching Kind is filled in.
type Role struct {
	Name    string
	Kind    RoleKind
	Mount   string
	Line    int
	Auth    model.AuthRole
	Token   model.TokenRole
	Secrets model.SecretsRole
}

// Actor is a program that holds a token and maybe credentials: a broker,
// or a service with replicas. Its token comes from exactly one of Login,
// Token or Via.
type Actor struct {
	Name string
	Line int

	Login string        // auth role name: the actor logs in (an orphan token)
	Token *TokenRequest // token-store create by the root token
	Via   string        // another actor whose token this one uses
	// ChildToken, with Via: each replica gets its own child token, created
	// by the via actor's token.
	ChildToken *TokenRequest

	Renew         RenewPolicy   // for the actor's own token (Login, Token or ChildToken)
	WhenExhausted ExhaustPolicy // what happens when renewal stops extending the token

	Replicas   int    // default 1
	Credential string // secrets role name, or "" for none
	Refresh    RefreshPolicy
	Retry      RetryPolicy   // re-reads after an unplanned loss of credential or token
	Client     string        // the preset its settings came from ("" for none)
	Demand     float64       // requests per second, for the whole service (all replicas)
	StartAt    model.Instant // when the actor first logs in / fetches (default 0)

	// Existing is the token the actor already holds at start, as a token
	// lookup reports it (an imported fleet); its Login or Token says how it
	// was issued and how the actor logs in again.
	Existing *Existing
}

// Existing is a live token observed at the scenario's start.
type Existing struct {
	Line           int
	Accessor       string
	IssueTime      model.Instant  // at or before start (zero or negative)
	ExpireTime     model.Instant  // after start
	TTL            model.Duration // the TTL its last creation or renewal granted
	ExplicitMaxTTL model.Duration
	Period         model.Duration
	Renewable      bool
	NumUses        int
}

// TokenRequest is a token-store create request as written in a scenario.
type TokenRequest struct {
	Line     int
	Request  model.TokenRequest // Request.Role is filled in from RoleName
	RoleName string             // token role name, or ""
}

// RenewKind says how an actor renews.
type RenewKind uint8

// Renewal policies (semantics.md §7).
const (
	RenewWatcher  RenewKind = iota // api.LifetimeWatcher (§7.1): the default
	RenewNone                      // never renew
	RenewFraction                  // renew at At×TTL (± Jitter×TTL)
	RenewEvery                     // renew every Every
)

// RenewPolicy is how a token (or lease) is renewed.
type RenewPolicy struct {
	Kind      RenewKind
	At        float64        // RenewFraction: fraction of the granted TTL, in (0,1)
	Jitter    float64        // RenewFraction: ± fraction of the TTL, in [0,1)
	Every     model.Duration // RenewEvery: > 0
	Increment model.Duration // requested increment (0 = backend default)
}

// ExhaustKind says what an actor does when renewal can no longer extend
// its token.
type ExhaustKind uint8

// What to do when renewal is exhausted.
const (
	ExhaustNone   ExhaustKind = iota // nothing: the token dies at its hard end (the seed incident)
	ExhaustReauth                    // log in again / create a new token, like Vault Agent (§7.2)
)

// ExhaustPolicy is what an actor does when renewal is exhausted. With At
// in (0,1) the actor re-authenticates proactively at issue + At×(hard end −
// issue); with At == 0 it does so when its watcher reports done.
type ExhaustPolicy struct {
	Kind ExhaustKind
	At   float64
}

// RefreshKind says how a service keeps its credential fresh.
type RefreshKind uint8

// Credential refresh policies (semantics.md §7.3).
const (
	RefreshWatcher  RefreshKind = iota // renew with a watcher, re-read when done (Agent templates): default
	RefreshFraction                    // re-read at At×lease (± 0.05), e.g. non-renewable secrets
	RefreshNone                        // fetch once, never renew or refresh
	RefreshRenew                       // renew with a watcher, but never re-read: the lease dies at its own cap
	RefreshRenewBy                     // renew per Renew ({at: F, increment: D} or {every: D, increment: D}, §5.2), re-read when it ends
	RefreshEvery                       // re-read every Every (a poll: CSI rotation, ESO refreshInterval)
)

// RefreshPolicy is how a service refreshes its credential.
type RefreshPolicy struct {
	Kind  RefreshKind
	At    float64        // RefreshFraction: fraction of the lease duration, in (0,1)
	Renew RenewPolicy    // RefreshRenewBy: when and with what increment the lease is renewed
	Every model.Duration // RefreshEvery: > 0
}

// Rereads reports whether the holder fetches a new credential when its
// current one can no longer be renewed or ends.
func (r RefreshPolicy) Rereads() bool {
	return r.Kind != RefreshNone && r.Kind != RefreshRenew
}

// RetryKind says how a client re-reads after losing its credential or token.
type RetryKind uint8

// Retry policies (issue 11; consul-template's retry stanza).
const (
	RetryDefault RetryKind = iota // at once, as the refresh / when_exhausted policy says
	RetryNever                    // never: it serves what it had until restarted (consul-template#949)
	RetryBackoff                  // Attempts tries, Backoff doubling up to MaxBackoff
)

// RetryPolicy is how a client re-reads after a revocation or expiry it
// did not plan for.
type RetryPolicy struct {
	Kind       RetryKind
	Attempts   int // 0: unlimited
	Backoff    model.Duration
	MaxBackoff model.Duration
}

// Delay is the wait before attempt k (0-based): Backoff doubling, at most
// MaxBackoff, at least one second.
func (r RetryPolicy) Delay(k int) model.Duration {
	d := r.Backoff
	for i := 0; i < k && (r.MaxBackoff == 0 || d < r.MaxBackoff); i++ {
		d *= 2
	}
	if r.MaxBackoff > 0 && d > r.MaxBackoff {
		d = r.MaxBackoff
	}
	return max(d, 1)
}

// EventKind is a scripted operator action.
type EventKind uint8

// Scripted events.
const (
	EventReauth       EventKind = iota + 1 // actor logs in again / gets a new token
	EventRevoke                            // revoke the actor's current token and its tree
	EventRevokeOrphan                      // revoke the actor's token only; children become roots
	EventTune                              // re-tune a mount (Set: default_lease_ttl, max_lease_ttl)
	EventRole                              // change a role (Set: that role kind's fields)
	EventDeploy                            // services restart and fetch anew (Actor "" = all services)
	EventOutage                            // backend unavailable from At to Until
	EventRenew                             // an operator renews the actor's token or credentials (Increment)
	EventDBOutage                          // a secrets mount's database refuses revokes from At to Until
	EventSlowdown                          // a secrets mount's revokes take Latency from At to Until
)

// What an operator's renew or revoke acts on.
const (
	WhatToken      = "token"
	WhatCredential = "credential"
)

// Event is one scripted event.
type Event struct {
	Line  int
	At    model.Instant
	Do    EventKind
	Actor string
	Mount string
	Role  string
	Until model.Instant // EventOutage, EventDBOutage, EventSlowdown
	Set   []FieldValue  // EventTune, EventRole: in file order
	// EventRenew, EventRevoke: WhatToken (default) or WhatCredential.
	What      string
	Increment model.Duration // EventRenew: the requested increment (0: the backend's default)
	// Latency is EventSlowdown's revoke duration in milliseconds.
	Latency model.Millis
}

// FieldValue is one field set by a tune or role event.
type FieldValue struct {
	Field string
	Value model.Duration // durations; booleans/ints are not changeable by events
}

// Annotation is a labelled instant from an incident timeline.
type Annotation struct {
	Line  int
	At    model.Instant
	Label string
}

// Expect is the sign-off block that `check` evaluates. Nil fields are not checked.
type Expect struct {
	Line                int
	NoCascadeLargerThan *int            // no cliff revoking more than N entities
	NoOutage            *bool           // no service without a valid credential while it has demand
	MaxFailedRequests   *float64        // total failed requests across services
	NoSystemDefaultMax  *bool           // no token or lease whose hard end is bound by system.max_lease_ttl
	MinReauthMargin     *model.Duration // hard end at least this long after the last re-authentication
	// Revocation rules (docs/revocation.md).
	MaxExposureWindow       *model.Duration // no lease usable in the database longer than this after its expiry
	MaxRevocationsPerSecond *float64        // no mount's database sees more revocations in one second
	NoIrrevocableLeases     *bool           // no lease marked irrevocable
}
