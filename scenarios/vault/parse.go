package vault

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/leasesim/leasesim/model"
)

// issueSlack is how far creation_time may lie from issue_time. Vault sets
// both while handling the one request that creates a token, milliseconds
// apart; a larger gap means one of them is in another unit.
const issueSlack = 60 * time.Second

func parseTune(file string, b body, n names, errs *Errors) *Mount {
	r := &reader{file: file, prefix: b.prefix, what: "Vault's tune read", obj: b.obj, errs: errs}
	m := &Mount{File: file}
	m.DefaultLeaseTTL = r.seconds("default_lease_ttl", true, settingForm)
	m.MaxLeaseTTL = r.seconds("max_lease_ttl", true, settingForm)
	m.Description = r.str("description", false, true)
	r.boolean("force_no_cache", false)
	if r.has("token_type") {
		m.TokenType = r.str("token_type", true, false)
		switch m.TokenType {
		case "default", "default-service", "default-batch", "service", "batch":
		default:
			r.fail("token_type", "invalid token_type %q; a mount's is one of default-service, default-batch, service, batch", m.TokenType)
		}
	}
	m.Path = tuneMount(file, n, errs)
	if m.Path != "" && m.TokenType != "" && !m.IsAuth() {
		*errs = append(*errs, &Error{file, "", fmt.Sprintf("the tune has a token_type, so it is an auth mount's, but its name gives the secrets mount %q; name the file auth-<mount>-tune.json (e.g. auth-approle-tune.json)", m.Path)})
	}
	return m
}

// legacy pairs: an older field name that Vault still returns next to its
// tokenutil name, always with the same value (tokenutil.UpgradeValue) or 0.
type legacyPair struct{ old, new string }

func checkLegacy(r *reader, pairs []legacyPair, values map[string]model.Duration) {
	for _, p := range pairs {
		if !r.has(p.old) {
			continue
		}
		var old model.Duration
		if p.old == "num_uses" {
			old = model.Duration(r.integer(p.old, false))
		} else {
			old = r.seconds(p.old, false, settingForm)
		}
		if old != 0 && old != values[p.new] {
			r.fail(p.old, "legacy '%s' (%v) differs from '%s' (%v); Vault keeps the two equal, so the file was edited: keep one", p.old, show(p.old, old), p.new, show(p.new, values[p.new]))
		}
	}
}

func show(key string, d model.Duration) string {
	if strings.HasSuffix(key, "num_uses") {
		return fmt.Sprint(int64(d))
	}
	return d.String()
}

func parseTokenType(r *reader, key string, required bool) (model.TokenType, string) {
	s := r.str(key, required, false)
	if !r.has(key) {
		return model.TokenService, ""
	}
	t, err := model.ParseTokenType(s)
	if err != nil {
		r.fail(key, "%v", err)
	}
	return t, s
}

func addFieldErrors(r *reader, fes []model.FieldError) {
	for _, fe := range fes {
		r.fail(fe.Field, "%s", fe.Msg)
	}
}

func parseAuthRole(file string, b body, n names, errs *Errors) *AuthRole {
	r := &reader{file: file, prefix: b.prefix, what: "a tokenutil role read (AppRole, Kubernetes, …)", obj: b.obj, errs: errs}
	a := &AuthRole{File: file}
	a.TokenTTL = r.seconds("token_ttl", true, settingForm)
	a.TokenMaxTTL = r.seconds("token_max_ttl", true, settingForm)
	a.TokenExplicitMaxTTL = r.seconds("token_explicit_max_ttl", true, settingForm)
	a.TokenPeriod = r.seconds("token_period", true, settingForm)
	a.TokenNumUses = r.integer("token_num_uses", true)
	a.TokenType, a.TokenTypeName = parseTokenType(r, "token_type", true)
	checkLegacy(r, []legacyPair{{"ttl", "token_ttl"}, {"max_ttl", "token_max_ttl"}, {"explicit_max_ttl", "token_explicit_max_ttl"}, {"period", "token_period"}, {"num_uses", "token_num_uses"}},
		map[string]model.Duration{"token_ttl": a.TokenTTL, "token_max_ttl": a.TokenMaxTTL, "token_explicit_max_ttl": a.TokenExplicitMaxTTL, "token_period": a.TokenPeriod, "token_num_uses": model.Duration(a.TokenNumUses)})
	switch {
	case r.has("bind_secret_id"):
		r.boolean("bind_secret_id", true)
		a.Method = "approle"
	case r.has("bound_service_account_names"):
		r.strings("bound_service_account_names")
		a.Method = "kubernetes"
	}
	r.strings("token_policies")
	if len(*errs) == 0 {
		addFieldErrors(r, a.Validate())
	}
	a.Mount, a.Name = authRoleNames(file, n, errs)
	return a
}

func parseTokenRole(file string, b body, n names, errs *Errors) *TokenRole {
	r := &reader{file: file, prefix: b.prefix, what: "Vault's token role read", obj: b.obj, errs: errs}
	t := &TokenRole{File: file}
	t.Name = r.str("name", false, false)
	t.Orphan = r.boolean("orphan", true)
	t.Renewable = r.boolean("renewable", true)
	// Vault returns both names; a hand-written file may carry either.
	explicitKey, periodKey := "token_explicit_max_ttl", "token_period"
	if !r.has(explicitKey) && r.has("explicit_max_ttl") {
		explicitKey = "explicit_max_ttl"
	}
	if !r.has(periodKey) && r.has("period") {
		periodKey = "period"
	}
	t.TokenExplicitMaxTTL = r.seconds(explicitKey, true, settingForm)
	t.TokenPeriod = r.seconds(periodKey, true, settingForm)
	if explicitKey == "token_explicit_max_ttl" && periodKey == "token_period" {
		checkLegacy(r, []legacyPair{{"explicit_max_ttl", "token_explicit_max_ttl"}, {"period", "token_period"}},
			map[string]model.Duration{"token_explicit_max_ttl": t.TokenExplicitMaxTTL, "token_period": t.TokenPeriod})
	}
	// Vault omits token_num_uses when it is 0 (tokenStoreRoleRead).
	t.TokenNumUses = r.integer("token_num_uses", false)
	t.TokenType, t.TokenTypeName = parseTokenType(r, "token_type", true)
	t.PathSuffix = r.str("path_suffix", false, false)
	t.AllowedPolicies = r.strings("allowed_policies")
	if len(*errs) == 0 {
		addFieldErrors(r, t.Validate())
	}

	fileMount, fileRole := roleFromName(file)
	switch {
	case n.wrapper && n.mount != "" && n.mount != model.TokenMountPath:
		*errs = append(*errs, &Error{file, wrapperKey + ".mount", fmt.Sprintf("token roles live on auth/token, not %q; this is a token role (allowed_policies, path_suffix)", n.mount)})
	case n.wrapper && n.role != "" && t.Name != "" && n.role != t.Name:
		*errs = append(*errs, &Error{file, wrapperKey + ".role", fmt.Sprintf("%q differs from the role's own name %q; remove one", n.role, t.Name)})
	case n.wrapper && n.role != "" && t.Name == "":
		t.Name = n.role
	case !n.wrapper && fileRole != "" && t.Name != "" && fileRole != t.Name:
		*errs = append(*errs, &Error{file, r.path("name"), fmt.Sprintf("the role's name %q differs from the file name's %q; rename the file token-role-%s.json", t.Name, fileRole, t.Name)})
	case !n.wrapper && fileRole != "" && t.Name == "":
		t.Name = fileRole
	}
	if fileMount != "" && !n.wrapper && fileMount != "token" && fileMount != "auth-token" && fileMount != "auth/token" {
		*errs = append(*errs, &Error{file, "", fmt.Sprintf("the file name puts this role on %q, but the content is a token role (allowed_policies, path_suffix), which lives on auth/token; name it token-role-<name>.json", fileMount)})
	}
	if t.Name == "" && !r.has("name") {
		*errs = append(*errs, &Error{file, r.path("name"), `missing, so the role cannot be named; Vault's token role read returns it: name the file token-role-<name>.json or add "leasesim": {"role": "<name>"}`})
	}
	return t
}

func parseSecretsRole(file string, b body, n names, errs *Errors) *SecretsRole {
	r := &reader{file: file, prefix: b.prefix, what: "a secrets role read", obj: b.obj, errs: errs}
	s := &SecretsRole{File: file}
	s.DefaultTTL = r.seconds("default_ttl", true, settingForm)
	s.MaxTTL = r.seconds("max_ttl", true, settingForm)
	s.DBName = r.str("db_name", false, false)
	r.strings("creation_statements")
	if len(*errs) == 0 {
		addFieldErrors(r, s.Validate())
	}
	s.Mount, s.Name = secretsRoleNames(file, n, errs)
	return s
}

// observedAt derives the server's clock at a lookup: floor(expire − ttl).
// Vault computes ttl = int64(expire − now.Round(1s)) (truncated), so this is
// the server's now rounded to the second. It checks that the result is not
// before the issue time (a ttl in another unit would put it there).
func observedAt(r *reader, issue time.Time, expire *time.Time, ttl model.Duration) time.Time {
	if expire == nil {
		if ttl != 0 {
			r.fail("ttl", "ttl %d without an expire_time; Vault reports ttl 0 when expire_time is null", int64(ttl))
		}
		return time.Time{}
	}
	if !issue.IsZero() && expire.Before(issue) {
		r.fail("expire_time", "%s is before issue_time %s", expire.Format(time.RFC3339Nano), issue.Format(time.RFC3339Nano))
		return time.Time{}
	}
	obs := expire.Add(-ttl.Std()).Truncate(time.Second)
	if !issue.IsZero() && obs.Before(issue.Add(-time.Second)) {
		r.fail("ttl", "ttl %d seconds and expire_time %s put the lookup at %s, before issue_time %s: is ttl in another unit? Vault returns seconds",
			int64(ttl), expire.Format(time.RFC3339Nano), obs.Format(time.RFC3339), issue.Format(time.RFC3339Nano))
		return time.Time{}
	}
	return obs
}

func parseTokenLookup(file string, b body, errs *Errors) *Token {
	r := &reader{file: file, prefix: b.prefix, what: "Vault's token lookup", obj: b.obj, errs: errs}
	t := &Token{File: file}
	// "id" is the token itself (empty in a lookup by accessor); never kept.
	t.Accessor = r.str("accessor", true, false)
	t.Path = r.str("path", true, false)
	t.DisplayName = r.str("display_name", false, false)
	t.Policies = r.strings("policies")
	meta := r.stringMap("meta")
	t.Role = r.str("role", false, false)
	created, hasCreated := r.unixSeconds("creation_time", true)
	t.CreationTime = created
	t.CreationTTL = r.seconds("creation_ttl", true, secondsOnly)
	t.ExpireTime = r.timestamp("expire_time", true, true)
	t.TTL = r.seconds("ttl", true, secondsOnly)
	t.ExplicitMaxTTL = r.seconds("explicit_max_ttl", true, secondsOnly)
	t.Period = r.seconds("period", false, secondsOnly)
	t.NumUses = r.integer("num_uses", true)
	t.Orphan = r.boolean("orphan", true)
	r.str("type", true, false)
	if typ, ok := r.obj["type"].(string); ok {
		switch typ {
		case "service":
		case "batch":
			t.Type = model.TokenBatch
		default:
			r.fail("type", `invalid token type %q; a token lookup shows "service" or "batch"`, typ)
		}
	}
	// issue_time and renewable come from the token's lease; Vault writes
	// both whenever it has one.
	if issue := r.timestamp("issue_time", false, false); issue != nil {
		t.IssueTime = *issue
		t.Renewable = r.boolean("renewable", true)
		if hasCreated {
			if d := t.IssueTime.Sub(created); d > issueSlack || d < -issueSlack {
				r.fail("creation_time", "%d (%s as unix seconds) is %s from issue_time %s; Vault sets both at creation, a moment apart: is creation_time in another unit? Vault returns unix seconds",
					created.Unix(), created.Format(time.RFC3339), d.Abs().Round(time.Second), t.IssueTime.Format(time.RFC3339Nano))
			}
		}
	} else {
		t.IssueTime = created
		t.Renewable = r.boolean("renewable", false)
	}
	t.LastRenewal = r.timestamp("last_renewal", false, true)
	if lrt, ok := r.unixSeconds("last_renewal_time", false); ok {
		if t.LastRenewal == nil {
			t.LastRenewal = &lrt
		} else if t.LastRenewal.Unix() != lrt.Unix() {
			r.fail("last_renewal_time", "%d (%s) differs from last_renewal %s; Vault writes the same instant to both", lrt.Unix(), lrt.Format(time.RFC3339), t.LastRenewal.Format(time.RFC3339Nano))
		}
	}
	if t.LastRenewal != nil && !t.IssueTime.IsZero() && t.LastRenewal.Before(t.IssueTime.Add(-time.Second)) {
		r.fail("last_renewal", "%s is before the token's issue_time %s", t.LastRenewal.Format(time.RFC3339Nano), t.IssueTime.Format(time.RFC3339Nano))
	}
	t.Observed = observedAt(r, t.IssueTime, t.ExpireTime, t.TTL)

	// Where it came from: the token store, or a login to an auth method.
	switch {
	case t.Path == model.TokenMountPath || strings.HasPrefix(t.Path, model.TokenMountPath+"/"):
		t.Mount, t.Origin = model.TokenMountPath, model.FromTokenStore
		if rest, ok := strings.CutPrefix(t.Path, "auth/token/create/"); ok && rest != "" {
			if t.Role == "" {
				t.Role = rest
			} else if t.Role != rest {
				r.fail("role", "%q differs from the role in path %q; Vault sets both from the one role", t.Role, t.Path)
			}
		}
	default:
		t.Origin = model.FromLogin
		if i := strings.Index(t.Path, "/login"); i > 0 && (len(t.Path) == i+6 || t.Path[i+6] == '/') {
			t.Mount = t.Path[:i]
		}
		if t.Role == "" {
			if v := meta["role_name"]; v != "" {
				t.Role = v // AppRole
			} else if v := meta["role"]; v != "" {
				t.Role = v // Kubernetes
			}
		}
	}
	return t
}

func parseLeaseLookup(file string, b body, errs *Errors) *Lease {
	r := &reader{file: file, prefix: b.prefix, what: "Vault's lease lookup", obj: b.obj, errs: errs}
	l := &Lease{File: file}
	l.ID = r.str("id", true, false)
	if r.has("id") && l.ID == "" {
		r.fail("id", "empty; a lease lookup names its lease")
	}
	if issue := r.timestamp("issue_time", true, false); issue != nil {
		l.IssueTime = *issue
	}
	l.ExpireTime = r.timestamp("expire_time", true, true)
	l.LastRenewal = r.timestamp("last_renewal", true, true)
	l.TTL = r.seconds("ttl", true, secondsOnly)
	l.Renewable = r.boolean("renewable", true)
	// A lease ID is <path>/<random> (vault/expiration.go Register).
	l.Path = r.str("path", false, false)
	i := strings.LastIndexByte(l.ID, '/')
	switch {
	case l.ID == "":
	case l.Path != "":
		if !strings.HasPrefix(l.ID, l.Path+"/") {
			r.fail("path", "%q is not the start of the lease id %q; Vault's lease ids are <path>/<random>", l.Path, l.ID)
		}
	case i > 0:
		l.Path = l.ID[:i]
	default:
		r.fail("id", "%q has no '/'; Vault's lease ids are <path>/<random>", l.ID)
	}
	for _, seg := range []string{"/creds/", "/static-creds/"} {
		if i := strings.LastIndex(l.Path, seg); i > 0 && !strings.Contains(l.Path[i+len(seg):], "/") {
			l.Mount, l.Role = l.Path[:i], l.Path[i+len(seg):]
			break
		}
	}
	if l.LastRenewal != nil && !l.IssueTime.IsZero() && l.LastRenewal.Before(l.IssueTime.Add(-time.Second)) {
		r.fail("last_renewal", "%s is before the lease's issue_time %s", l.LastRenewal.Format(time.RFC3339Nano), l.IssueTime.Format(time.RFC3339Nano))
	}
	l.Observed = observedAt(r, l.IssueTime, l.ExpireTime, l.TTL)
	return l
}

func parseAuthResponse(file string, b body, errs *Errors) *AuthResponse {
	r := &reader{file: file, prefix: b.prefix, what: "Vault's auth response", obj: b.obj, errs: errs}
	a := &AuthResponse{File: file, Warnings: b.warnings}
	// client_token is the secret itself; never kept.
	a.Accessor = r.str("accessor", true, false)
	a.LeaseDuration = r.seconds("lease_duration", true, secondsOnly)
	a.Renewable = r.boolean("renewable", true)
	a.Orphan = r.boolean("orphan", false)
	a.NumUses = r.integer("num_uses", false)
	a.Policies = r.strings("policies")
	switch typ := r.str("token_type", false, false); typ {
	case "", "service":
	case "batch":
		a.TokenType = model.TokenBatch
	default:
		r.fail("token_type", `invalid token type %q; an auth response shows "service" or "batch"`, typ)
	}
	meta := r.stringMap("metadata")
	if v := meta["role_name"]; v != "" {
		a.Role = v
	} else if v := meta["role"]; v != "" {
		a.Role = v
	}
	return a
}

func parseSecretResponse(file string, b body, errs *Errors) *SecretResponse {
	r := &reader{file: file, what: "Vault's response", obj: b.top, errs: errs}
	s := &SecretResponse{File: file, Warnings: b.warnings}
	// data holds the credentials themselves; never kept.
	s.LeaseID = r.str("lease_id", true, false)
	s.LeaseDuration = r.seconds("lease_duration", true, secondsOnly)
	s.Renewable = r.boolean("renewable", true)
	return s
}

// parseMountTable reads sys/auth or sys/mounts. Vault writes each mount's
// config as set (mountInfo with legacyTTLFormat, vault/logical_system.go):
// 0 = not tuned. Auth tables are told apart by their token/ mount and the
// token_type every auth mount's config carries.
func parseMountTable(file string, b body, errs *Errors) []MountConfig {
	auth := false
	for _, v := range b.obj {
		e := v.(object) // isMountTable checked
		c, _ := e["config"].(object)
		if t, _ := e["type"].(string); t == "token" || has(c, "token_type") {
			auth = true
		}
	}
	keys := make([]string, 0, len(b.obj))
	for k := range b.obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []MountConfig
	for _, k := range keys {
		e := b.obj[k].(object)
		r := &reader{file: file, prefix: join(b.prefix, k), what: "Vault's mount table", obj: e, errs: errs}
		m := MountConfig{Path: strings.TrimSuffix(k, "/"), File: file}
		if auth {
			m.Path = "auth/" + m.Path
		}
		if !mountPathRE.MatchString(m.Path) {
			*errs = append(*errs, &Error{file, join(b.prefix, k), fmt.Sprintf("invalid mount path %q", k)})
			continue
		}
		m.Type = r.str("type", true, false)
		c, ok := e["config"].(object)
		if !ok {
			r.fail("config", "want an object, got %s", jsonType(e["config"]))
			continue
		}
		cr := &reader{file: file, prefix: join(r.prefix, "config"), what: "Vault's mount table", obj: c, errs: errs}
		m.DefaultLeaseTTL = cr.seconds("default_lease_ttl", true, secondsOnly)
		m.MaxLeaseTTL = cr.seconds("max_lease_ttl", true, secondsOnly)
		m.TokenType = cr.str("token_type", false, false)
		out = append(out, m)
	}
	return out
}

// parseServerConfig reads sys/config/state/sanitized: the configured
// default_lease_ttl and max_lease_ttl in seconds (command/server/config.go
// Sanitized), 0 when the configuration leaves them unset.
func parseServerConfig(file string, b body, errs *Errors) *ServerConfig {
	r := &reader{file: file, prefix: b.prefix, what: "Vault's sanitized server config", obj: b.obj, errs: errs}
	return &ServerConfig{
		DefaultLeaseTTL: r.seconds("default_lease_ttl", true, secondsOnly),
		MaxLeaseTTL:     r.seconds("max_lease_ttl", true, secondsOnly),
		File:            file,
	}
}
