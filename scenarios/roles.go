package scenarios

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"

	"github.com/leasesim/leasesim/model"
)

// The keys each kind of role accepts, besides mount.
var (
	authRoleKeys    = []string{"token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period", "token_num_uses", "token_type"}
	tokenRoleKeys   = []string{"token_explicit_max_ttl", "explicit_max_ttl", "token_period", "period", "renewable", "orphan", "token_num_uses", "token_type"}
	secretsRoleKeys = []string{"default_ttl", "max_ttl"}

	// The duration fields a role event may set, per kind.
	authRoleDurations    = []string{"token_ttl", "token_max_ttl", "token_explicit_max_ttl", "token_period"}
	tokenRoleDurations   = []string{"token_explicit_max_ttl", "token_period"}
	secretsRoleDurations = []string{"default_ttl", "max_ttl"}
)

// String names the kind as messages do: "auth role", "token role", "secrets role".
func (k RoleKind) String() string {
	switch k {
	case AuthRole:
		return "auth role"
	case TokenRole:
		return "token role"
	case SecretsRole:
		return "secrets role"
	}
	return "role"
}

// article is the kind with its indefinite article: "an auth role".
func article(k RoleKind) string {
	if k == AuthRole {
		return "an " + k.String()
	}
	return "a " + k.String()
}

// kindOf derives a role's kind from its mount path.
func kindOf(mount string) RoleKind {
	switch {
	case mount == model.TokenMountPath:
		return TokenRole
	case model.Mount{Path: mount}.IsAuth():
		return AuthRole
	}
	return SecretsRole
}

func kindKeys(k RoleKind) []string {
	switch k {
	case AuthRole:
		return authRoleKeys
	case TokenRole:
		return tokenRoleKeys
	case SecretsRole:
		return secretsRoleKeys
	}
	return union(authRoleKeys, tokenRoleKeys, secretsRoleKeys)
}

func kindDurations(k RoleKind) []string {
	switch k {
	case AuthRole:
		return authRoleDurations
	case TokenRole:
		return tokenRoleDurations
	case SecretsRole:
		return secretsRoleDurations
	}
	return nil
}

func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, s := range l {
			if !contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

func kindDesc(k RoleKind) string {
	switch k {
	case AuthRole:
		return "auth roles (roles on an auth/ mount other than auth/token, e.g. auth/approle)"
	case TokenRole:
		return "token roles (roles on auth/token)"
	}
	return "secrets roles (roles on a secrets mount, e.g. database)"
}

func whyKind(k RoleKind, mount string) string {
	switch k {
	case AuthRole:
		return fmt.Sprintf("its mount %s is an auth mount other than auth/token", mount)
	case TokenRole:
		return "its mount is auth/token"
	}
	return fmt.Sprintf("its mount %s is a secrets mount (not under auth/)", mount)
}

// legacyAuthKeys are the pre-1.2 names Vault's auth roles still accept,
// marked deprecated in favour of the token_ fields (tokenutil), and names
// people carry over from token requests.
var legacyAuthKeys = map[string]string{
	"ttl":              "token_ttl",
	"max_ttl":          "token_max_ttl",
	"period":           "token_period",
	"explicit_max_ttl": "token_explicit_max_ttl",
}

var legacyWhere = map[string]string{
	"ttl":              "Kubernetes, JWT/OIDC, cert and cloud auth roles still accept it; AppRole never had it",
	"max_ttl":          "Kubernetes, JWT/OIDC, cert and cloud auth roles still accept it; AppRole never had it",
	"period":           "AppRole and most auth methods still accept it, deprecated",
	"explicit_max_ttl": "a token request's name; on auth roles it is token_explicit_max_ttl",
}

// roleKeyHint explains a key a role of this kind does not accept, when
// another kind does; "" otherwise. valid lists what this place accepts.
func roleKeyHint(kind RoleKind, mount, key string, valid []string) string {
	if current, ok := legacyAuthKeys[key]; ok && kind == AuthRole {
		return fmt.Sprintf("'%s' is the deprecated name of '%s' (%s); scenarios take the current name: use %s", key, current, legacyWhere[key], current)
	}
	if kind == TokenRole && (key == "token_ttl" || key == "token_max_ttl") {
		alt := "set 'ttl' on the token request (e.g. token: {role: NAME, ttl: 24h})"
		if key == "token_max_ttl" {
			alt = "set 'explicit_max_ttl' on the token request or 'token_explicit_max_ttl' on this role"
		}
		return fmt.Sprintf("token roles do not accept '%s': Vault's auth/token/roles endpoint has no such field (semantics.md §3.1); %s, or tune auth/token's default_lease_ttl/max_lease_ttl under backend.mounts", key, alt)
	}
	for _, other := range []RoleKind{AuthRole, TokenRole, SecretsRole} {
		if other != kind && contains(kindKeys(other), key) {
			return fmt.Sprintf("'%s' is a key of %s; this role is %s because %s; valid keys here: %s",
				key, kindDesc(other), article(kind), whyKind(kind, mount), quoteList(valid))
		}
	}
	return ""
}

func (p *parser) roles(st *state, e entry) {
	f, _ := p.mapping(e.val, e.path, mapSpec{what: "role name → {mount: PATH, …}", allowNull: true, anyKey: true})
	for _, r := range f.order {
		if !roleNameRE.MatchString(r.name) {
			p.errAt(r.key, r.path, "invalid role name %q; use letters, digits, '_' and '-', starting with a letter or digit", r.name)
		}
		role := p.role(st, r)
		st.roles[r.name] = len(st.sc.Roles)
		st.sc.Roles = append(st.sc.Roles, role)
	}
}

func (p *parser) role(st *state, r entry) Role {
	role := Role{Name: r.name, Line: r.key.Line}
	var kind RoleKind
	if _, mv := rawKey(r.val, "mount"); mv != nil && mv.Kind == yaml.ScalarNode && mv.ShortTag() == "!!str" {
		role.Mount = mv.Value
		kind = kindOf(mv.Value)
	}
	keys := append([]string{"mount"}, kindKeys(kind)...)
	f, ok := p.mapping(r.val, r.path, mapSpec{what: "a role: {mount: PATH, …}", keys: keys,
		unknown: func(k string) string {
			if kind == 0 {
				return ""
			}
			return roleKeyHint(kind, role.Mount, k, keys)
		}})
	if !ok {
		return role
	}
	if me, ok := f.get("mount"); !ok {
		p.errAt(r.key, join(r.path, "mount"), "required: the mount this role lives on (one of %s); it decides the role's kind", quoteList(st.declaredMounts()))
	} else if v, ok := p.str(me.val, me.path, "a mount path"); ok {
		if _, declared := st.mounts[v]; !declared {
			p.errAt(me.val, me.path, "mount %q is not declared under backend.mounts; declared: %s%s",
				v, quoteList(st.declaredMounts()), st.dym(v, st.declaredMounts()))
		}
	}
	role.Kind = kind
	nodes := map[string]entry{}
	get := func(k string) (entry, bool) {
		e, ok := f.get(k)
		if ok {
			nodes[k] = e
		}
		return e, ok
	}
	dur := func(k string) model.Duration {
		if e, ok := get(k); ok {
			d, _ := p.duration(e.val, e.path)
			return d
		}
		return 0
	}
	numUses := func(k string) int {
		if e, ok := get(k); ok {
			v, _ := p.integer(e.val, e.path, 0, math.MaxInt32)
			return int(v)
		}
		return 0
	}
	tokType := func(k string) model.TokenType {
		if e, ok := get(k); ok {
			return p.tokenType(e)
		}
		return model.TokenService
	}
	var errs []model.FieldError
	switch kind {
	case AuthRole:
		role.Auth = model.AuthRole{
			Name:                r.name,
			Mount:               role.Mount,
			TokenTTL:            dur("token_ttl"),
			TokenMaxTTL:         dur("token_max_ttl"),
			TokenExplicitMaxTTL: dur("token_explicit_max_ttl"),
			TokenPeriod:         dur("token_period"),
			TokenNumUses:        numUses("token_num_uses"),
			TokenType:           tokType("token_type"),
		}
		errs = role.Auth.Validate()
	case TokenRole:
		t := model.TokenRole{Name: r.name, Renewable: true}
		if e, ok := p.aliased(f, "token_explicit_max_ttl", "explicit_max_ttl"); ok {
			nodes["token_explicit_max_ttl"] = e
			t.TokenExplicitMaxTTL, _ = p.duration(e.val, e.path)
		}
		if e, ok := p.aliased(f, "token_period", "period"); ok {
			nodes["token_period"] = e
			t.TokenPeriod, _ = p.duration(e.val, e.path)
		}
		if e, ok := get("renewable"); ok {
			if b, ok := p.boolean(e.val, e.path); ok {
				t.Renewable = b
			}
		}
		if e, ok := get("orphan"); ok {
			t.Orphan, _ = p.boolean(e.val, e.path)
		}
		t.TokenNumUses = numUses("token_num_uses")
		t.TokenType = tokType("token_type")
		role.Token = t
		errs = t.Validate()
	case SecretsRole:
		role.Secrets = model.SecretsRole{
			Name:       r.name,
			Mount:      role.Mount,
			DefaultTTL: dur("default_ttl"),
			MaxTTL:     dur("max_ttl"),
		}
		errs = role.Secrets.Validate()
	}
	p.fieldErrors(errs, r.path, nodes, r.key, "token_type")
	return role
}

// aliased reads a field that has a legacy alias; both together is an error.
func (p *parser) aliased(f fields, canon, legacy string) (entry, bool) {
	c, cok := f.get(canon)
	l, lok := f.get(legacy)
	if cok && lok {
		p.errAt(l.key, l.path, "'%s' is the legacy name of '%s'; set only one of them", legacy, canon)
		return c, true
	}
	if lok {
		return l, true
	}
	return c, cok
}

func (p *parser) tokenType(e entry) model.TokenType {
	v, ok := p.str(e.val, e.path, "a token type (service, batch, default, default-service or default-batch)")
	if !ok {
		return model.TokenService
	}
	t, err := model.ParseTokenType(v)
	if err != nil {
		p.errAt(e.val, e.path, "%s", err.Error())
	}
	return t
}

// fieldErrors reports a model validator's errors at the key they name,
// or at the first of fallbacks present, or at owner.
func (p *parser) fieldErrors(errs []model.FieldError, path string, nodes map[string]entry, owner *yaml.Node, fallbacks ...string) {
	for _, fe := range errs {
		if e, ok := nodes[fe.Field]; ok {
			p.errAt(e.key, e.path, "%s", fe.Msg)
			continue
		}
		n := owner
		for _, fb := range fallbacks {
			if e, ok := nodes[fb]; ok {
				n = e.key
				break
			}
		}
		p.errAt(n, join(path, fe.Field), "%s", fe.Msg)
	}
}
