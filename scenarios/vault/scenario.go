package vault

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/leasesim/leasesim/model"
)

// ImportOptions shape the scenario Scenario writes.
type ImportOptions struct {
	Name    string         // scenario name; default "imported"
	Horizon model.Duration // how far to forecast; default 400 days
	// HorizonText is Horizon as the user wrote it ("400d"), written to the
	// scenario verbatim; "" writes Horizon in days when whole ("400d").
	HorizonText string
	Seed        uint64 // default 1
}

// Scenario turns a snapshot into a leasesim scenario (YAML) that forecasts
// the live fleet from the moment of the lookups: the server's and mounts'
// lifetime settings, the roles, and one actor per live token holding that
// token (existing:), renewing it like a LifetimeWatcher and never logging
// in again — the question of the seed incident, "when does our production
// die, and why". Warnings say what the files could not tell and what was
// assumed; nothing is guessed silently. The result parses with
// scenarios.Parse; an error means the snapshot holds no live token.
func Scenario(s *Snapshot, opts ImportOptions) ([]byte, []string, error) {
	if opts.Name == "" {
		opts.Name = "imported"
	}
	if opts.Horizon == 0 {
		opts.Horizon = 400 * model.Day
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if s.Observed.IsZero() || len(s.Tokens) == 0 {
		return nil, nil, fmt.Errorf("no token lookup with an expiry among the files: nothing to forecast; add `vault token lookup -accessor … -format=json` outputs")
	}
	g := gen{s: s, start: s.Observed.Truncate(time.Second).UTC()}
	g.system()
	g.roles()
	g.tokens()
	var b strings.Builder
	fmt.Fprintf(&b, "# Imported by `leasesim import vault` from %d files; the lookups were made at %s.\n", len(s.Files), g.start.Format(time.RFC3339))
	b.WriteString(`#
# Token lookups never reveal a token's parent (Vault hides it on purpose), so
# every imported token is a root of its own tree here. If you know that a token
# is a child of another, say so: give its actor via: PARENT-ACTOR and a
# child_token. Each actor renews its token like api.LifetimeWatcher and never
# logs in again (when_exhausted: none): the forecast shows when each token
# reaches its hard end. Set when_exhausted: reauth to model an agent.
`)
	fmt.Fprintf(&b, "name: %s\n", opts.Name)
	fmt.Fprintf(&b, "description: %s\n", quote(fmt.Sprintf("The live fleet as of %s, imported from Vault JSON: when each token reaches its hard end, and why.", g.start.Format("2006-01-02 15:04 MST"))))
	fmt.Fprintf(&b, "start: %s\n", g.start.Format(time.RFC3339))
	horizon := opts.HorizonText
	if horizon == "" {
		horizon = opts.Horizon.String()
		if opts.Horizon%model.Day == 0 {
			horizon = fmt.Sprintf("%dd", opts.Horizon/model.Day)
		}
	}
	fmt.Fprintf(&b, "horizon: %s\n", horizon)
	fmt.Fprintf(&b, "seed: %d\n\n", opts.Seed)
	b.WriteString("backend:\n")
	b.WriteString(g.backend.String())
	if len(g.roleLines) > 0 {
		b.WriteString("\nroles:\n")
		for _, l := range g.roleLines {
			b.WriteString(l)
		}
	}
	b.WriteString("\nactors:\n")
	for _, l := range g.actorLines {
		b.WriteString(l)
	}
	if len(s.Leases) > 0 {
		b.WriteString("\n# Leases seen (not linked to tokens: a lease lookup does not say which token holds it):\n")
		for _, l := range s.Leases {
			exp := "no expiry"
			if l.ExpireTime != nil {
				exp = "expires " + l.ExpireTime.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(&b, "#   %s (%s, issued %s, %s)\n", l.ID, base(l.File), l.IssueTime.UTC().Format(time.RFC3339), exp)
		}
	}
	return []byte(b.String()), g.warnings, nil
}

type gen struct {
	s          *Snapshot
	start      time.Time
	sys        ServerConfig // effective: 0 means 768h
	backend    strings.Builder
	mounts     map[string]bool
	roleLines  []string
	roleNames  map[string]string // "mount|name" → scenario role name
	taken      map[string]bool   // scenario role names in use
	actorLines []string
	actors     map[string]bool
	warnings   []string
}

func (g *gen) warn(format string, args ...any) {
	g.warnings = append(g.warnings, fmt.Sprintf(format, args...))
}

// system writes the server's lease settings and every mount a role or
// token needs. A tune read shows effective values, so without a mount
// table a tune equal to the server's values is written as untuned: it
// behaves the same, and explain then names the server's setting as the
// binding layer, which is what it is unless someone tuned the mount to
// the very same value.
func (g *gen) system() {
	g.mounts = map[string]bool{}
	if sv := g.s.Server; sv != nil {
		g.sys = *sv
		if sv.DefaultLeaseTTL > 0 {
			fmt.Fprintf(&g.backend, "  default_lease_ttl: %s   # %s\n", sv.DefaultLeaseTTL, base(sv.File))
		}
		if sv.MaxLeaseTTL > 0 {
			fmt.Fprintf(&g.backend, "  max_lease_ttl: %s   # %s\n", sv.MaxLeaseTTL, base(sv.File))
		}
		if sv.DefaultLeaseTTL == 0 && sv.MaxLeaseTTL == 0 {
			fmt.Fprintf(&g.backend, "  # %s: the server sets no lease TTLs, so both are Vault's built-in 768h\n", base(sv.File))
		}
	} else {
		g.backend.WriteString("  # The server's own default_lease_ttl/max_lease_ttl were not read\n")
		g.backend.WriteString("  # (vault read sys/config/state/sanitized): Vault's built-in 768h is assumed.\n")
		g.warn("the server's configuration was not read: assuming Vault's built-in default and max lease TTL of 768h (read sys/config/state/sanitized to be sure)")
	}
	g.backend.WriteString("  mounts:\n")
	sysDefault, sysMax := orDefault(g.sys.DefaultLeaseTTL), orDefault(g.sys.MaxLeaseTTL)
	paths := []string{}
	add := func(p string) {
		if reservedMount[p] {
			return // Vault's own mounts hold no leases of interest, and cannot be declared
		}
		if p != "" && p != model.TokenMountPath && !g.mounts[p] {
			g.mounts[p] = true
			paths = append(paths, p)
		}
	}
	for _, m := range g.s.MountConfigs {
		add(m.Path)
	}
	for _, m := range g.s.Mounts {
		add(m.Path)
	}
	for _, r := range g.s.AuthRoles {
		add(r.Mount)
	}
	for _, r := range g.s.SecretsRoles {
		add(r.Mount)
	}
	for _, t := range g.s.Tokens {
		add(t.Mount)
	}
	for _, p := range append([]string{model.TokenMountPath}, paths...) {
		var def, max model.Duration
		var src string
		switch mc, m := g.s.MountConfigByPath(p), g.s.MountByPath(p); {
		case mc != nil:
			def, max, src = mc.DefaultLeaseTTL, mc.MaxLeaseTTL, base(mc.File)+" (values as set)"
		case m != nil:
			def, max, src = m.DefaultLeaseTTL, m.MaxLeaseTTL, base(m.File)
			if def == sysDefault {
				def = 0
			}
			if max == sysMax {
				max = 0
			}
			if def == 0 && max == 0 {
				src += ": shows the server's values, so untuned"
			}
		default:
			src = "no tune read: assumed untuned"
			if p != model.TokenMountPath {
				g.warn("mount %s: no tune was read (vault read sys/auth/…/tune or sys/mounts/…/tune); assumed untuned", p)
			}
		}
		var kv []string
		if def > 0 {
			kv = append(kv, "default_lease_ttl: "+def.String())
		}
		if max > 0 {
			kv = append(kv, "max_lease_ttl: "+max.String())
		}
		fmt.Fprintf(&g.backend, "    %s: {%s}   # %s\n", p, strings.Join(kv, ", "), src)
	}
}

var reservedMount = map[string]bool{"sys": true, "cubbyhole": true, "identity": true}

func orDefault(d model.Duration) model.Duration {
	if d <= 0 {
		return model.DefaultSystemTTL
	}
	return d
}

// roleName gives a role a scenario name: its own, unless another mount's
// role took it (scenario roles share one namespace; Vault's do not).
func (g *gen) roleName(mount, name string) string {
	key := mount + "|" + name
	if n, ok := g.roleNames[key]; ok {
		return n
	}
	n := sanitize(name)
	if g.taken[n] {
		n = sanitize(lastSegment(mount) + "-" + name)
		g.warn("role %s on %s is named %s in the scenario: another mount has a role %s", name, mount, n, name)
	}
	g.roleNames[key], g.taken[n] = n, true
	return n
}

func (g *gen) roles() {
	g.roleNames, g.taken = map[string]string{}, map[string]bool{}
	for _, r := range g.s.AuthRoles {
		var kv []string
		kv = append(kv, "mount: "+r.Mount)
		kv = appendDur(kv, "token_ttl", r.TokenTTL)
		kv = appendDur(kv, "token_max_ttl", r.TokenMaxTTL)
		kv = appendDur(kv, "token_explicit_max_ttl", r.TokenExplicitMaxTTL)
		kv = appendDur(kv, "token_period", r.TokenPeriod)
		if r.TokenNumUses > 0 {
			kv = append(kv, "token_num_uses: "+strconv.Itoa(r.TokenNumUses))
		}
		mountType := ""
		if m := g.s.MountByPath(r.Mount); m != nil {
			mountType = m.TokenType
		}
		if t, err := LoginTokenType(mountType, r.TokenTypeName); err == nil && t == model.TokenBatch {
			kv = append(kv, "token_type: batch")
		}
		note := base(r.File)
		if r.TokenMaxTTL == 0 && r.TokenExplicitMaxTTL == 0 && r.TokenPeriod == 0 {
			note += " · no token_max_ttl: the mount's or the server's max applies"
		}
		g.roleLines = append(g.roleLines, fmt.Sprintf("  %s: {%s}   # %s\n", g.roleName(r.Mount, r.Name), strings.Join(kv, ", "), note))
	}
	for _, r := range g.s.TokenRoles {
		kv := []string{"mount: auth/token"}
		kv = appendDur(kv, "token_explicit_max_ttl", r.TokenExplicitMaxTTL)
		kv = appendDur(kv, "token_period", r.TokenPeriod)
		if !r.Renewable {
			kv = append(kv, "renewable: false")
		}
		if r.Orphan {
			kv = append(kv, "orphan: true")
		}
		if r.TokenNumUses > 0 {
			kv = append(kv, "token_num_uses: "+strconv.Itoa(r.TokenNumUses))
		}
		if r.TokenType == model.TokenBatch {
			kv = append(kv, "token_type: batch")
		}
		g.roleLines = append(g.roleLines, fmt.Sprintf("  %s: {%s}   # %s\n", g.roleName(model.TokenMountPath, r.Name), strings.Join(kv, ", "), base(r.File)))
	}
	for _, r := range g.s.SecretsRoles {
		kv := []string{"mount: " + r.Mount}
		kv = appendDur(kv, "default_ttl", r.DefaultTTL)
		kv = appendDur(kv, "max_ttl", r.MaxTTL)
		g.roleLines = append(g.roleLines, fmt.Sprintf("  %s: {%s}   # %s\n", g.roleName(r.Mount, r.Name), strings.Join(kv, ", "), base(r.File)))
	}
}

func (g *gen) hasRole(mount, name string) bool {
	_, ok := g.roleNames[mount+"|"+name]
	return ok
}

func (g *gen) tokens() {
	g.actors = map[string]bool{}
	for _, t := range g.s.Tokens {
		id := t.Accessor
		if id == "" {
			id = t.File
		}
		if t.ExpireTime == nil {
			g.warn("token %s (%s) never expires (a root token): left out, nothing to forecast", id, t.File)
			continue
		}
		exp := t.ExpireTime.Truncate(time.Second).UTC()
		if !exp.After(g.start) {
			g.warn("token %s (%s) had expired by %s: left out", id, t.File, g.start.Format(time.RFC3339))
			continue
		}
		issue := t.IssueTime.Truncate(time.Second).UTC()
		// The TTL its last grant gave: expiry minus the last renewal, or the
		// creation TTL when it was never renewed.
		ttl := t.CreationTTL
		if t.LastRenewal != nil {
			ttl = model.Duration(exp.Sub(t.LastRenewal.Truncate(time.Second)) / time.Second)
		}
		if ttl <= 0 {
			ttl = t.TTL
		}
		ex := []string{
			"accessor: " + quote(orDash(t.Accessor)),
			"issue_time: " + quote(issue.Format(time.RFC3339)),
			"expire_time: " + quote(exp.Format(time.RFC3339)),
			"ttl: " + ttl.String(),
		}
		ex = appendDur(ex, "explicit_max_ttl", t.ExplicitMaxTTL)
		ex = appendDur(ex, "period", t.Period)
		if !t.Renewable {
			ex = append(ex, "renewable: false")
		}
		if t.NumUses > 0 {
			ex = append(ex, "num_uses: "+strconv.Itoa(t.NumUses))
		}
		var src []string
		name := ""
		switch t.Origin {
		case model.FromLogin:
			if t.Role == "" {
				g.warn("token %s (%s): a login on %s whose role the lookup does not name: left out (add the role's name to the token's metadata, or write the actor by hand)", id, t.File, t.Mount)
				continue
			}
			if !g.hasRole(t.Mount, t.Role) {
				g.roleLines = append(g.roleLines, fmt.Sprintf("  %s: {mount: %s}   # NOT READ: vault read %s/role/%s -format=json to know its TTLs\n",
					g.roleName(t.Mount, t.Role), t.Mount, t.Mount, t.Role))
				g.warn("token %s (%s): its role %s on %s was not read; the forecast uses the mount's and server's values for it", id, t.File, t.Role, t.Mount)
			}
			name = g.actorName(t.Role, t.Accessor)
			src = append(src, "login: "+g.roleName(t.Mount, t.Role))
		default:
			req := []string{"ttl: " + t.CreationTTL.String()}
			if t.Role != "" {
				if !g.hasRole(model.TokenMountPath, t.Role) {
					g.roleLines = append(g.roleLines, fmt.Sprintf("  %s: {mount: auth/token}   # NOT READ: vault read auth/token/roles/%s -format=json\n", g.roleName(model.TokenMountPath, t.Role), t.Role))
					g.warn("token %s (%s): its token role %s was not read; assumed to set no limits", id, t.File, t.Role)
				}
				req = append([]string{"role: " + g.roleName(model.TokenMountPath, t.Role)}, req...)
			}
			req = appendDur(req, "explicit_max_ttl", t.ExplicitMaxTTL)
			req = appendDur(req, "period", t.Period)
			if t.Orphan && t.Role == "" {
				req = append(req, "no_parent: true")
			}
			if !t.Renewable {
				req = append(req, "renewable: false")
			}
			if t.Type == model.TokenBatch {
				req = append(req, "type: batch")
			}
			base := t.DisplayName
			if t.Role != "" {
				base = t.Role
			}
			name = g.actorName(strings.TrimPrefix(base, "token-"), t.Accessor)
			src = append(src, "token: {"+strings.Join(req, ", ")+"}")
		}
		line := fmt.Sprintf("  %s:   # %s: %s, issued %s\n", name, base(t.File), t.Path, issue.Format(time.RFC3339))
		if !t.Orphan {
			line += "    # NOT an orphan, but its parent is unknown: imported as a root. If you know the parent, make this actor via: PARENT with a child_token.\n"
			g.warn("token %s (%s) is not an orphan; its parent is unknown (lookups never show it): imported as a root", id, t.File)
		}
		for _, s := range src {
			line += "    " + s + "\n"
		}
		line += "    existing: {" + strings.Join(ex, ", ") + "}\n"
		g.actorLines = append(g.actorLines, line)
	}
	if len(g.actorLines) == 0 {
		g.actorLines = append(g.actorLines, "  {}\n")
	}
}

var invalidName = regexp.MustCompile(`[^a-z0-9-]+`)

func sanitize(s string) string {
	s = strings.Trim(invalidName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" {
		s = "x"
	}
	return s
}

// actorName names a token's actor after its role (or display name),
// adding the accessor's start when the name is taken.
func (g *gen) actorName(base, accessor string) string {
	n := sanitize(base)
	if g.actors[n] {
		suffix := sanitize(accessor)
		if len(suffix) > 6 {
			suffix = suffix[:6]
		}
		n = n + "-" + suffix
		for i := 2; g.actors[n]; i++ {
			n = fmt.Sprintf("%s-%d", sanitize(base), i)
		}
	}
	g.actors[n] = true
	return n
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func appendDur(kv []string, key string, d model.Duration) []string {
	if d > 0 {
		kv = append(kv, key+": "+d.String())
	}
	return kv
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// base is a file's name without its directory, for comments.
func base(f string) string { return filepath.Base(f) }

// quote writes a YAML double-quoted string.
func quote(s string) string { return strconv.Quote(s) }
