package vault

import (
	"strings"
	"time"

	"github.com/leasesim/leasesim/model"
)

// Kind is what a file holds, identified by its content.
type Kind uint8

// Kinds of document.
const (
	KindUnknown        Kind = iota
	KindMountTune           // sys/auth/<m>/tune, sys/mounts/<m>/tune
	KindAuthRole            // auth/approle/role/<r>, auth/kubernetes/role/<r>, … (tokenutil fields)
	KindTokenRole           // auth/token/roles/<r>
	KindSecretsRole         // database/roles/<r>
	KindTokenLookup         // auth/token/lookup, lookup-self, lookup-accessor
	KindLeaseLookup         // sys/leases/lookup
	KindAuthResponse        // a response carrying "auth": a login, token create or token renew
	KindSecretResponse      // a response carrying a lease: e.g. database/creds/<r>
	KindKeyList             // a list: auth/token/accessors, sys/leases/lookup/<prefix>, …
	KindMountTable          // sys/auth or sys/mounts: every mount with its raw (as-set) tune
	KindServerConfig        // sys/config/state/sanitized: the server's own configuration
)

var kindNames = [...]string{
	KindUnknown:        "unknown",
	KindMountTune:      "mount tune",
	KindAuthRole:       "auth role",
	KindTokenRole:      "token role",
	KindSecretsRole:    "secrets role",
	KindTokenLookup:    "token lookup",
	KindLeaseLookup:    "lease lookup",
	KindAuthResponse:   "auth response",
	KindSecretResponse: "secret response",
	KindKeyList:        "key list",
	KindMountTable:     "mount table",
	KindServerConfig:   "server config",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Item is one file, read and typed. Exactly the field matching Kind is set.
type Item struct {
	File string
	Kind Kind
	// Enveloped is true when the file held the whole response
	// ({"request_id": …, "data": {…}}), false when it held the bare data object.
	Enveloped bool

	Mount          *Mount
	AuthRole       *AuthRole
	TokenRole      *TokenRole
	SecretsRole    *SecretsRole
	Token          *Token
	Lease          *Lease
	AuthResponse   *AuthResponse
	SecretResponse *SecretResponse
	Keys           []string      // KindKeyList
	MountTable     []MountConfig // KindMountTable
	Server         *ServerConfig
}

// Snapshot is everything read from a set of files, in file order.
type Snapshot struct {
	Files           []string // the files Read read, in order
	Mounts          []Mount
	AuthRoles       []AuthRole
	TokenRoles      []TokenRole
	SecretsRoles    []SecretsRole
	Tokens          []Token
	Leases          []Lease
	AuthResponses   []AuthResponse
	SecretResponses []SecretResponse
	KeyLists        []KeyList
	// MountConfigs are the mounts of sys/auth and sys/mounts tables, with
	// their tune values as set (0 = inherits the server's).
	MountConfigs []MountConfig
	Server       *ServerConfig // from sys/config/state/sanitized; nil when not read

	// Observed is the latest instant the files let us derive: the "now" of
	// the latest lookup (expire_time − ttl, to the second; see Token.Observed),
	// or, for lookups without an expire_time, their issue or last renewal
	// time (the lookup was made after those). Zero when no lookup was read.
	Observed time.Time
}

// Mount is a mount's tune as read from sys/auth/<m>/tune or
// sys/mounts/<m>/tune. The values are the *effective* ones: a value the
// mount does not set shows the server's value, so an untuned mount and one
// tuned to the server's values read the same (see docs/import.md).
type Mount struct {
	Path            string // "auth/approle", "auth/token", "database"
	DefaultLeaseTTL model.Duration
	MaxLeaseTTL     model.Duration
	// TokenType is the auth mount's token_type as returned ("default-service",
	// "default-batch", "service", "batch"); empty for secrets mounts, whose
	// tune has none.
	TokenType   string
	Description string
	File        string
}

// IsAuth reports whether the mount is an auth mount.
func (m Mount) IsAuth() bool { return strings.HasPrefix(m.Path, "auth/") }

// AuthRole is a role of an auth method built on tokenutil (AppRole,
// Kubernetes, …). model.AuthRole carries Name, Mount and the durations;
// its TokenType maps "default" to service (see TokenTypeName).
type AuthRole struct {
	model.AuthRole
	// Method is "approle" or "kubernetes" when the response shows which
	// (bind_secret_id, bound_service_account_names), else "".
	Method string
	// TokenTypeName is token_type as returned: "default", "service",
	// "batch", "default-service" or "default-batch". "default" takes the
	// mount's token_type, which model.AuthRole.TokenType cannot express.
	TokenTypeName string
	File          string
}

// TokenRole is a token-store role (auth/token/roles/<r>).
type TokenRole struct {
	model.TokenRole
	TokenTypeName   string // as returned, see AuthRole.TokenTypeName
	PathSuffix      string
	AllowedPolicies []string
	File            string
}

// SecretsRole is a dynamic-secrets role (database/roles/<r>).
type SecretsRole struct {
	model.SecretsRole
	DBName string // db_name, when the role is a database role
	File   string
}

// Token is a token lookup (auth/token/lookup-accessor and friends). A
// lookup never shows the token's parent: Vault omits it on purpose
// (vault/token_store.go handleLookup), so Orphan is all that is known.
type Token struct {
	Accessor string // "" for batch tokens, which have none
	Path     string // the request path that created it: "auth/approle/login", "auth/token/create/ops"
	// Mount is the auth mount the token came from, derived from Path:
	// "auth/token" for token-store paths, the part before "/login" for
	// logins ("auth/approle"); "" when Path has neither form.
	Mount  string
	Origin model.Origin // FromTokenStore for auth/token/… paths, else FromLogin
	// Role is the token role (the "role" field, or the auth/token/create/<r>
	// path) or, for a login token, the auth role named in its metadata
	// (AppRole: meta.role_name, Kubernetes: meta.role). "" when none shows.
	Role        string
	DisplayName string
	Policies    []string

	IssueTime    time.Time  // issue_time (creation_time when the lookup has none)
	CreationTime time.Time  // creation_time, unix seconds
	ExpireTime   *time.Time // nil for a non-expiring root token
	LastRenewal  *time.Time // last_renewal (or last_renewal_time); nil if never renewed

	CreationTTL    model.Duration
	TTL            model.Duration // the remaining TTL at the lookup
	ExplicitMaxTTL model.Duration
	Period         model.Duration

	Renewable bool
	Orphan    bool
	Type      model.TokenType
	NumUses   int

	// Observed is the server's clock at the lookup, to the second:
	// floor(expire_time − ttl). Vault computes ttl as
	// int64(expire_time − now.Round(time.Second)), truncated, so
	// floor(expire_time − ttl) is exactly the server's now rounded to the
	// second whenever ttl > 0 (±1 s when ttl is 0). Zero when there is no
	// expire_time.
	Observed time.Time
	File     string
}

// Lease is a lease lookup (sys/leases/lookup).
type Lease struct {
	ID   string
	Path string // "path" when the server returns it (OpenBao), else ID without its last segment
	// Mount and Role are set when Path has the dynamic-credentials shape
	// <mount>/creds/<role> (or static-creds), e.g. database/creds/app-db.
	Mount       string
	Role        string
	IssueTime   time.Time
	ExpireTime  *time.Time
	LastRenewal *time.Time
	TTL         model.Duration
	Renewable   bool
	Observed    time.Time // as Token.Observed
	File        string
}

// AuthResponse is the "auth" block of a login, token create or token renew
// response. The client token itself is never kept.
type AuthResponse struct {
	Accessor      string
	LeaseDuration model.Duration
	Renewable     bool
	Orphan        bool
	TokenType     model.TokenType
	NumUses       int
	Policies      []string
	Role          string   // metadata role_name (AppRole) or role (Kubernetes)
	Warnings      []string // e.g. a renewal capped at the max
	File          string
}

// SecretResponse is a response that carries a lease (e.g. database/creds/<r>).
// The secret data (username, password) is never kept.
type SecretResponse struct {
	LeaseID       string
	LeaseDuration model.Duration
	Renewable     bool
	Warnings      []string
	File          string
}

// KeyList is a list response, e.g. `vault list auth/token/accessors`.
type KeyList struct {
	Keys []string
	File string
}

// MountByPath returns the tune read for path, or nil.
func (s *Snapshot) MountByPath(path string) *Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Path == path {
			return &s.Mounts[i]
		}
	}
	return nil
}

// MountConfig is one mount of a mount table (`vault auth list
// -format=json`, `vault secrets list -format=json`, or GET sys/auth,
// sys/mounts). Unlike a tune read, these show each value as set on the
// mount: 0 means not tuned (the mount inherits the server's value), so
// here an untuned mount and one tuned to 768h differ.
type MountConfig struct {
	Path            string // "auth/approle", "auth/token", "database" (no trailing '/')
	Type            string // "approle", "token", "database", …
	DefaultLeaseTTL model.Duration
	MaxLeaseTTL     model.Duration
	TokenType       string // auth mounts only, as Mount.TokenType
	File            string
}

// ServerConfig is the server's own lease configuration, from
// sys/config/state/sanitized (root namespace, sudo). 0 means the
// configuration does not set the value, so the server uses 768h
// (model.DefaultSystemTTL).
type ServerConfig struct {
	DefaultLeaseTTL model.Duration
	MaxLeaseTTL     model.Duration
	File            string
}

// MountConfigByPath returns the mount-table entry for path, or nil.
func (s *Snapshot) MountConfigByPath(path string) *MountConfig {
	for i := range s.MountConfigs {
		if s.MountConfigs[i].Path == path {
			return &s.MountConfigs[i]
		}
	}
	return nil
}
