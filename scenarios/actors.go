package scenarios

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/leasesim/leasesim/model"
)

var (
	actorKeys    = []string{"client", "login", "token", "via", "child_token", "renew", "when_exhausted", "replicas", "credential", "refresh", "retry", "demand", "start", "existing"}
	tokenReqKeys = []string{"role", "ttl", "explicit_max_ttl", "period", "renewable", "no_parent", "type", "num_uses", "policies"}
)

const (
	renewForms   = "watcher, none, {at: F, jitter: J, increment: D} or {every: D, increment: D}"
	exhaustForms = "none, reauth or {reauth: {at: F}}"
	refreshForms = "watcher, renew, none or {at: F} (re-read at a fraction of the lease); also {read_every: D} (re-read on a poll), {at: F, jitter: J, increment: D} or {every: D, increment: D} (renew the lease)"
	retryForms   = "never or {attempts: N, backoff: D, max_backoff: D}"
	maxAttempts  = 1_000_000
	demandForms  = "requests per second as a number (e.g. 50 or 0.5) or a rate N/s, N/m, N/min or N/h (e.g. 50/s, 300/min)"
	maxReplicas  = 1_000_000
)

func (p *parser) actors(st *state, e entry) {
	f, _ := p.mapping(e.val, e.path, mapSpec{what: "actor name → actor", allowNull: true, anyKey: true})
	vias := map[int]entry{}
	for _, a := range f.order {
		if !nameRE.MatchString(a.name) {
			p.errAt(a.key, a.path, "invalid actor name %q; use lower-case letters, digits and '-', starting with a letter or digit", a.name)
		}
		act, via := p.actor(st, a)
		if via.val != nil {
			vias[len(st.sc.Actors)] = via
		}
		st.actors[a.name] = len(st.sc.Actors)
		st.sc.Actors = append(st.sc.Actors, act)
	}
	// via may name an actor declared later in the file, so check it last.
	for i := range st.sc.Actors {
		via, ok := vias[i]
		if !ok {
			continue
		}
		act := &st.sc.Actors[i]
		if act.Via == act.Name {
			p.errAt(via.val, via.path, "an actor cannot get its token via itself; name another actor that has login, token or child_token")
			continue
		}
		j, ok := st.actors[act.Via]
		if !ok {
			p.errAt(via.val, via.path, "unknown actor %q; actors with their own login or token: %s%s",
				act.Via, quoteList(st.sourceActors()), st.dym(act.Via, st.actorNames()))
			continue
		}
		if t := st.sc.Actors[j]; !t.OwnToken() {
			p.errAt(via.val, via.path, "actor %q itself gets its token via %q and has no token of its own; via must name an actor with login, token or child_token: %s",
				t.Name, t.Via, quoteList(st.sourceActors()))
		}
	}
	p.viaChains(st, e, vias)
}

// Limits on the shape of a scenario, so that a run stays bounded.
const (
	// MaxDepth is the most token levels a chain of via may have, from the
	// token at its top to the deepest child token (credentials add one).
	MaxDepth = 32
	// MaxLiveEntities bounds the tokens and credentials the actors hold
	// at once (replicas × (own token + credential), summed).
	MaxLiveEntities = 2_000_000
)

// viaChains rejects cycles of via (A via B, B via A) and chains deeper than
// MaxDepth, spelling the chain out, and bounds the entities held at once.
func (p *parser) viaChains(st *state, actors entry, vias map[int]entry) {
	const (
		unseen = iota
		walking
		done
	)
	mark := make([]uint8, len(st.sc.Actors))
	depth := make([]int, len(st.sc.Actors)) // token levels down to the actor's own token
	var path []int
	var walk func(i int)
	walk = func(i int) {
		mark[i] = walking
		path = append(path, i)
		a := st.sc.Actors[i]
		depth[i] = 1
		if j, ok := st.actors[a.Via]; ok && a.Via != "" && a.Via != a.Name {
			switch mark[j] {
			case walking:
				k := len(path) - 1
				for path[k] != j {
					k--
				}
				names := make([]string, 0, len(path)-k+1)
				for _, x := range path[k:] {
					names = append(names, st.sc.Actors[x].Name)
				}
				names = append(names, st.sc.Actors[j].Name)
				v := vias[i]
				p.errAt(v.val, v.path, "via makes a cycle: %s; a chain of via must end at an actor with login or token", strings.Join(names, " → "))
				depth[i] = 0
			case unseen:
				walk(j)
				fallthrough
			default:
				depth[i] = depth[j]
				if a.ChildToken != nil {
					depth[i]++
				}
			}
		}
		if depth[i] == MaxDepth+1 {
			v := vias[i]
			p.errAt(v.val, v.path, "the chain of via to %q is %d tokens deep; at most %d are simulated", a.Name, depth[i], MaxDepth)
		}
		path = path[:len(path)-1]
		mark[i] = done
	}
	live := 0
	for i := range st.sc.Actors {
		if mark[i] == unseen {
			walk(i)
		}
		a := st.sc.Actors[i]
		per := 0
		if a.OwnToken() {
			per++
		}
		if a.Credential != "" {
			per++
		}
		live += per * max(a.Replicas, 1)
	}
	if live > MaxLiveEntities && len(st.sc.Actors) > 0 {
		p.errAt(actors.key, actors.path, "the actors hold %d tokens and credentials at once (replicas × own token and credential); at most %d are simulated; lower replicas", live, MaxLiveEntities)
	}
}

// RootPolicy reports whether the actor's own token is requested with the
// root policy (token: or child_token: with policies: [root]).
func (a *Actor) RootPolicy() bool {
	switch {
	case a.Token != nil:
		return a.Token.Request.RootPolicy
	case a.ChildToken != nil:
		return a.ChildToken.Request.RootPolicy
	}
	return false
}

// OwnToken reports whether the actor holds a token of its own (login,
// token, or a child_token under its via actor), so that it can renew it and
// be the via of another actor.
func (a *Actor) OwnToken() bool {
	return a.Login != "" || a.Token != nil || a.ChildToken != nil || a.Existing != nil
}

// actor reads one actor; it returns its via entry (zero when none) for the
// cross-check made once every actor is known.
func (p *parser) actor(st *state, a entry) (Actor, entry) {
	act := Actor{Name: a.name, Line: a.key.Line, Replicas: 1}
	f, ok := p.mapping(a.val, a.path, mapSpec{what: "an actor", keys: actorKeys,
		unknown: func(k string) string {
			if contains(tokenReqKeys, k) {
				return fmt.Sprintf("'%s' is a token request key; put it inside token: {…} or child_token: {…}; valid keys here: %s", k, quoteList(actorKeys))
			}
			return ""
		}})
	if !ok {
		return act, entry{}
	}

	var sources []entry
	for _, e := range f.order {
		if e.name == "login" || e.name == "token" || e.name == "via" {
			sources = append(sources, e)
		}
	}
	switch {
	case len(sources) == 0:
		p.errAt(a.key, a.path, "needs a token source, exactly one of: login: ROLE (log in with an auth role), token: {…} (created by root in the token store) or via: ACTOR (use another actor's token)")
	case len(sources) > 1:
		for _, e := range sources[1:] {
			p.errAt(e.key, e.path, "an actor's token comes from exactly one of login, token or via; '%s' conflicts with '%s' (line %d)",
				e.name, sources[0].name, sources[0].key.Line)
		}
	}

	if e, ok := f.get("login"); ok {
		if v, ok := p.str(e.val, e.path, "an auth role name"); ok {
			act.Login = v
			p.roleRef(st, e, v, AuthRole, "login needs an auth role (a role on an auth/ mount other than auth/token)")
		}
	}
	if e, ok := f.get("token"); ok {
		act.Token = p.tokenRequest(st, e)
	}
	var via entry
	if e, ok := f.get("via"); ok {
		if v, ok := p.str(e.val, e.path, "an actor name"); ok {
			act.Via, via = v, e
		}
	}
	if e, ok := f.get("child_token"); ok {
		if !f.has("via") {
			p.errAt(e.key, e.path, "'child_token' only goes with 'via': it is a child of the via actor's token; for a token created by root use token: {…}")
		}
		act.ChildToken = p.tokenRequest(st, e)
	}
	ownToken := !f.has("via") || f.has("child_token")
	for _, k := range []string{"renew", "when_exhausted"} {
		if e, ok := f.get(k); ok && !ownToken {
			p.errAt(e.key, e.path, "'%s' applies to the actor's own token, and this actor has none: with via and no child_token it uses %s's token, which %s renews; add child_token: {…} or remove '%s'",
				k, act.Via, act.Via, k)
		}
	}
	if e, ok := f.get("renew"); ok {
		act.Renew = p.renew(e)
	}
	if e, ok := f.get("when_exhausted"); ok {
		act.WhenExhausted = p.whenExhausted(e)
	}
	if e, ok := f.get("replicas"); ok {
		if v, ok := p.integer(e.val, e.path, 1, maxReplicas); ok {
			act.Replicas = int(v)
		}
	}
	if e, ok := f.get("credential"); ok {
		if v, ok := p.str(e.val, e.path, "a secrets role name"); ok {
			act.Credential = v
			p.roleRef(st, e, v, SecretsRole, "credential needs a secrets role (a role on a secrets mount such as database)")
		}
	}
	if e, ok := f.get("refresh"); ok {
		if !f.has("credential") {
			p.errAt(e.key, e.path, "'refresh' says how the credential is kept fresh; it only goes with 'credential'")
		}
		act.Refresh = p.refresh(e)
	}
	if e, ok := f.get("retry"); ok {
		act.Retry = p.retry(e)
	}
	if e, ok := f.get("demand"); ok {
		act.Demand, _ = p.demand(e)
	}
	if e, ok := f.get("start"); ok {
		act.StartAt, _ = p.instant(e.val, e.path, st.clk)
	}
	if e, ok := f.get("client"); ok {
		p.client(e, f, &act, ownToken)
	}
	if e, ok := f.get("existing"); ok {
		switch {
		case act.Login == "" && act.Token == nil:
			p.errAt(e.key, e.path, "'existing' is a token the actor holds at start; it needs login or token to say how that token was issued")
		case act.Replicas != 1:
			p.errAt(e.key, e.path, "'existing' describes one token; it needs replicas: 1 (import gives each live token its own actor)")
		case f.has("start"):
			p.errAt(e.key, e.path, "'existing' means the actor holds the token at start; remove start")
		}
		act.Existing = p.existing(st, e)
	}
	return act, via
}

// client applies a named preset (scenarios/clients.go, docs/clients.md) to
// every setting the actor does not set itself: its own keys win, field by
// field. Token settings apply only to an actor with a token of its own,
// refresh only to one with a credential.
func (p *parser) client(e entry, f fields, act *Actor, ownToken bool) {
	names := PresetNames()
	v, ok := p.keyword(e.val, e.path, "one of "+strings.Join(names, ", "), names...)
	if !ok {
		return
	}
	pr := Presets[v]
	act.Client = v
	if ownToken && !f.has("renew") {
		act.Renew = pr.Renew
	}
	if ownToken && !f.has("when_exhausted") {
		act.WhenExhausted = pr.WhenExhausted
	}
	if f.has("credential") && !f.has("refresh") {
		act.Refresh = pr.Refresh
	}
	if !f.has("retry") {
		act.Retry = pr.Retry
	}
}

// roleRef checks that name is a declared role of the wanted kind.
func (p *parser) roleRef(st *state, e entry, name string, want RoleKind, why string) (int, bool) {
	i, ok := st.roles[name]
	if !ok {
		p.errAt(e.val, e.path, "unknown role %q; %ss declared: %s%s", name, want, quoteList(st.roleNames(want)), st.dym(name, st.roleNames(0)))
		return 0, false
	}
	r := st.sc.Roles[i]
	if r.Kind == 0 { // its mount is missing; already reported
		return 0, false
	}
	if r.Kind != want {
		p.errAt(e.val, e.path, "role %q is %s (mount %s); %s; %ss declared: %s", name, article(r.Kind), r.Mount, why, want, quoteList(st.roleNames(want)))
		return 0, false
	}
	return i, true
}

// tokenRequest reads token: {…} or child_token: {…}.
func (p *parser) tokenRequest(st *state, e entry) *TokenRequest {
	tr := &TokenRequest{Line: e.key.Line, Request: model.TokenRequest{Renewable: true}}
	f, ok := p.mapping(e.val, e.path, mapSpec{what: "a token request", allowNull: true, keys: tokenReqKeys,
		unknown: func(k string) string {
			canon := map[string]string{"token_ttl": "ttl", "token_explicit_max_ttl": "explicit_max_ttl", "token_period": "period",
				"token_num_uses": "num_uses", "token_type": "type", "orphan": "no_parent", "lease": "ttl"}
			if c, ok := canon[k]; ok {
				return fmt.Sprintf("a token request takes '%s', not '%s' (the role's name for it); valid keys here: %s", c, k, quoteList(tokenReqKeys))
			}
			if k == "token_max_ttl" || k == "max_ttl" {
				return fmt.Sprintf("a token request has no '%s'; its hard limit is 'explicit_max_ttl'; valid keys here: %s", k, quoteList(tokenReqKeys))
			}
			return ""
		}})
	if !ok {
		return tr
	}
	nodes := map[string]entry{}
	for _, x := range f.order {
		nodes[x.name] = x
	}
	r := &tr.Request
	if x, ok := f.get("role"); ok {
		if v, ok := p.str(x.val, x.path, "a token role name"); ok {
			tr.RoleName = v
			if i, ok := p.roleRef(st, x, v, TokenRole, "a token request needs a token role (a role on auth/token)"); ok {
				r.Role = &st.sc.Roles[i].Token
			}
		}
	}
	if x, ok := f.get("ttl"); ok {
		r.TTL, _ = p.duration(x.val, x.path)
	}
	if x, ok := f.get("explicit_max_ttl"); ok {
		r.ExplicitMaxTTL, _ = p.duration(x.val, x.path)
	}
	if x, ok := f.get("period"); ok {
		r.Period, _ = p.duration(x.val, x.path)
	}
	if x, ok := f.get("renewable"); ok {
		if b, ok := p.boolean(x.val, x.path); ok {
			r.Renewable = b
		}
	}
	if x, ok := f.get("no_parent"); ok {
		r.NoParent, _ = p.boolean(x.val, x.path)
	}
	if x, ok := f.get("type"); ok {
		if v, ok := p.str(x.val, x.path, "a token type (service or batch)"); ok {
			switch v {
			case "service":
				r.Type = model.TokenService
			case "batch":
				r.Type = model.TokenBatch
			default:
				p.errAt(x.val, x.path, "invalid type %q; valid: service, batch%s", v, didYouMean(v, []string{"service", "batch"}))
			}
		}
	}
	if x, ok := f.get("num_uses"); ok {
		v, _ := p.integer(x.val, x.path, 0, math.MaxInt32)
		r.NumUses = int(v)
	}
	if x, ok := f.get("policies"); ok {
		r.RootPolicy = p.policies(x)
	}
	p.fieldErrors(r.Validate(), e.path, nodes, e.key, "type")
	return tr
}

// policies reads a token request's policy list and reports whether it
// holds root: only the root policy changes a lifetime (semantics.md §3.1
// step 7: a root-policy token without ttl gets TTL 0 and never expires).
func (p *parser) policies(e entry) bool {
	const want = "a list of policy names, e.g. [root] or [default, app]"
	if !p.usable(e.val, e.path) {
		return false
	}
	if e.val.Kind != yaml.SequenceNode {
		p.errAt(e.val, e.path, "expected %s, got %s", want, describe(e.val))
		return false
	}
	root := false
	for i, n := range e.val.Content {
		if v, ok := p.str(n, index(e.path, i), "a policy name"); ok && v == "root" {
			root = true
		}
	}
	return root
}

// keyword reads a scalar keyword among choices, or reports what is valid.
func (p *parser) keyword(n *yaml.Node, path, forms string, choices ...string) (string, bool) {
	v, ok := p.str(n, path, forms)
	if !ok {
		return "", false
	}
	if !contains(choices, v) {
		p.errAt(n, path, "invalid value %q; want %s%s", v, forms, didYouMean(v, choices))
		return "", false
	}
	return v, true
}

// keywordOrMapping reads a policy written as a keyword among choices or as
// a mapping: it returns the keyword ("" when invalid, already reported)
// and whether the caller reads a mapping instead.
func (p *parser) keywordOrMapping(e entry, forms string, choices ...string) (kw string, isMap bool) {
	if !p.usable(e.val, e.path) {
		return "", false
	}
	switch e.val.Kind {
	case yaml.ScalarNode:
		kw, _ = p.keyword(e.val, e.path, forms, choices...)
		return kw, false
	case yaml.MappingNode:
		return "", true
	}
	p.errAt(e.val, e.path, "expected %s, got %s", forms, describe(e.val))
	return "", false
}

func (p *parser) renew(e entry) RenewPolicy {
	var rp RenewPolicy
	v, isMap := p.keywordOrMapping(e, renewForms, "watcher", "none")
	if !isMap {
		if v == "none" {
			rp.Kind = RenewNone
		}
		return rp
	}
	f, _ := p.mapping(e.val, e.path, mapSpec{what: renewForms, keys: []string{"at", "jitter", "every", "increment"}})
	return p.renewFields(e, f)
}

// renewFields reads a renewal's at/jitter/every/increment from a mapping
// already checked for unknown keys (renew: {…}, or refresh: {…} of a lease).
func (p *parser) renewFields(e entry, f fields) RenewPolicy {
	var rp RenewPolicy
	at, hasAt := f.get("at")
	every, hasEvery := f.get("every")
	switch {
	case hasAt && hasEvery:
		p.errAt(every.key, every.path, "'at' (line %d) and 'every' are two different policies; set one of them", at.key.Line)
	case !hasAt && !hasEvery:
		p.errAt(e.key, e.path, "a renew mapping needs 'at' (renew at a fraction of the granted TTL) or 'every' (a fixed interval); for the default write renew: watcher")
	case hasAt:
		rp.Kind = RenewFraction
		rp.At, _ = p.fraction(at.val, at.path, false)
		if j, ok := f.get("jitter"); ok {
			jv, ok := p.fraction(j.val, j.path, true)
			rp.Jitter = jv
			if ok && rp.At > 0 && (rp.At+jv >= 1 || rp.At-jv <= 0) {
				p.errAt(j.key, j.path, "at ± jitter must stay strictly between 0 and 1, but %.4g ± %.4g spans %.4g to %.4g; lower the jitter",
					rp.At, jv, rp.At-jv, rp.At+jv)
			}
		}
	case hasEvery:
		rp.Kind = RenewEvery
		if j, ok := f.get("jitter"); ok {
			p.errAt(j.key, j.path, "'jitter' only goes with 'at'; 'every' renews at a fixed interval")
		}
		if d, ok := p.duration(every.val, every.path); ok {
			if d <= 0 {
				p.errAt(every.val, every.path, "'every' must be more than 0s, e.g. every: 1h")
			}
			rp.Every = d
		}
	}
	if inc, ok := f.get("increment"); ok {
		rp.Increment, _ = p.duration(inc.val, inc.path)
	}
	return rp
}

func (p *parser) whenExhausted(e entry) ExhaustPolicy {
	var ep ExhaustPolicy
	v, isMap := p.keywordOrMapping(e, exhaustForms, "none", "reauth")
	if !isMap {
		if v == "reauth" {
			ep.Kind = ExhaustReauth
		}
		return ep
	}
	f, _ := p.mapping(e.val, e.path, mapSpec{what: exhaustForms, keys: []string{"reauth"}})
	r, ok := f.get("reauth")
	if !ok {
		if len(f.order) == 0 && len(e.val.Content) == 0 {
			p.errAt(e.val, e.path, "empty mapping; want %s", exhaustForms)
		}
		return ep
	}
	ep.Kind = ExhaustReauth
	rf, _ := p.mapping(r.val, r.path, mapSpec{what: "{at: F}: re-authenticate at a fraction of the token's lifetime", allowNull: true, keys: []string{"at"}})
	if at, ok := rf.get("at"); ok {
		ep.At, _ = p.fraction(at.val, at.path, false)
	}
	return ep
}

func (p *parser) refresh(e entry) RefreshPolicy {
	var rp RefreshPolicy
	v, isMap := p.keywordOrMapping(e, refreshForms, "watcher", "renew", "none")
	if !isMap {
		switch v {
		case "none":
			rp.Kind = RefreshNone
		case "renew":
			rp.Kind = RefreshRenew
		}
		return rp
	}
	f, _ := p.mapping(e.val, e.path, mapSpec{what: refreshForms, keys: []string{"at", "jitter", "every", "increment", "read_every"}})
	_, hasAt := f.get("at")
	_, hasEvery := f.get("every")
	_, hasInc := f.get("increment")
	if r, ok := f.get("read_every"); ok {
		if hasAt || hasEvery || hasInc {
			p.errAt(r.key, r.path, "'read_every' fetches a new credential on a fixed poll; it does not go with at, every or increment")
			return rp
		}
		rp.Kind = RefreshEvery
		if d, ok := p.duration(r.val, r.path); ok {
			if d <= 0 {
				p.errAt(r.val, r.path, "'read_every' must be more than 0s, e.g. read_every: 2m")
			}
			rp.Every = d
		}
		return rp
	}
	if hasEvery || hasInc {
		// Renew the lease itself, with an increment (semantics.md §5.2).
		rp.Kind = RefreshRenewBy
		rp.Renew = p.renewFields(e, f)
		return rp
	}
	at, ok := f.get("at")
	if !ok {
		if len(e.val.Content) == 0 {
			p.errAt(e.val, e.path, "empty mapping; want %s", refreshForms)
		}
		return rp
	}
	if j, ok := f.get("jitter"); ok {
		p.errAt(j.key, j.path, "'jitter' goes with a renewal ({at: F, jitter: J, increment: D}); a re-read at {at: F} has a fixed ± 0.05")
	}
	rp.Kind = RefreshFraction
	rp.At, _ = p.fraction(at.val, at.path, false)
	return rp
}

// retry reads never or {attempts: N, backoff: D, max_backoff: D}.
func (p *parser) retry(e entry) RetryPolicy {
	var rp RetryPolicy
	v, isMap := p.keywordOrMapping(e, retryForms, "never")
	if !isMap {
		if v == "never" {
			rp.Kind = RetryNever
		}
		return rp
	}
	f, _ := p.mapping(e.val, e.path, mapSpec{what: retryForms, keys: []string{"attempts", "backoff", "max_backoff"}})
	rp.Kind, rp.Backoff = RetryBackoff, 1
	if x, ok := f.get("attempts"); ok {
		v, _ := p.integer(x.val, x.path, 0, maxAttempts)
		rp.Attempts = int(v)
	}
	if x, ok := f.get("backoff"); ok {
		if d, ok := p.duration(x.val, x.path); ok && d > 0 {
			rp.Backoff = d
		}
	}
	if x, ok := f.get("max_backoff"); ok {
		if d, ok := p.duration(x.val, x.path); ok {
			rp.MaxBackoff = d
			if d > 0 && d < rp.Backoff {
				p.errAt(x.val, x.path, "max_backoff %s is less than backoff %s; the wait doubles from backoff up to max_backoff", d, rp.Backoff)
			}
		}
	}
	return rp
}

// demand reads a request rate and returns it per second.
func (p *parser) demand(e entry) (float64, bool) {
	n := e.val
	if !p.scalar(n, e.path, demandForms) {
		return 0, false
	}
	switch n.ShortTag() {
	case "!!int", "!!float":
		v, ok := p.number(n, e.path, demandForms)
		if ok && v < 0 {
			p.errAt(n, e.path, "negative demand %s; want %s", n.Value, demandForms)
			return 0, false
		}
		if !ok {
			return 0, false
		}
		return p.demandBound(e, v)
	case "!!str":
	default:
		p.errAt(n, e.path, "expected %s, got %s", demandForms, describe(n))
		return 0, false
	}
	num, unit, found := strings.Cut(n.Value, "/")
	per := map[string]float64{"s": 1, "m": 60, "min": 60, "h": 3600}[strings.TrimSpace(unit)]
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !found || per == 0 || err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.errAt(n, e.path, "invalid demand %q; want %s", n.Value, demandForms)
		return 0, false
	}
	if v < 0 {
		p.errAt(n, e.path, "negative demand %q; want %s", n.Value, demandForms)
		return 0, false
	}
	return p.demandBound(e, v/per)
}

// MaxDemand bounds demand, in requests per second, so that failed requests
// (demand × seconds down, at most MaxDuration) stay finite and exact
// enough to compare: about 10^18 at most.
const MaxDemand = 1e9

func (p *parser) demandBound(e entry, perSecond float64) (float64, bool) {
	if perSecond > MaxDemand {
		p.errAt(e.val, e.path, "demand %s is %g requests per second, more than the %g leasesim can count; want %s", e.val.Value, perSecond, float64(MaxDemand), demandForms)
		return 0, false
	}
	return perSecond, true
}

var existingKeys = []string{"accessor", "issue_time", "expire_time", "ttl", "explicit_max_ttl", "period", "renewable", "num_uses"}

// existing reads a live token as a lookup reports it. Its times are RFC
// 3339 only: issue_time lies at or before start, expire_time after it
// (beyond the horizon is fine).
func (p *parser) existing(st *state, e entry) *Existing {
	x := &Existing{Line: e.key.Line, Renewable: true}
	f, ok := p.mapping(e.val, e.path, mapSpec{what: "a live token (from a token lookup)", keys: existingKeys})
	if !ok {
		return x
	}
	when := func(key string) (model.Instant, bool) {
		v, ok := f.get(key)
		if !ok {
			p.errAt(e.val, e.path, "missing '%s' (an RFC 3339 time, as the token lookup reports it)", key)
			return 0, false
		}
		s := v.val.Value // an unquoted time is a YAML timestamp: the same text
		if v.val.ShortTag() != "!!timestamp" {
			var ok bool
			if s, ok = p.str(v.val, v.path, "an RFC 3339 time"); !ok {
				return 0, false
			}
		}
		t, msg := parseRFC3339(s)
		if msg != "" {
			p.errAt(v.val, v.path, "%s", msg)
			return 0, false
		}
		if !st.clk.startOK {
			return 0, false
		}
		at, ok := model.Offset(t, st.clk.start)
		if !ok {
			p.errAt(v.val, v.path, "%s is more than %dd (about 292 years) from start; want a time within that of start", s, model.MaxDuration/model.Day)
		}
		return at, ok
	}
	if at, ok := when("issue_time"); ok {
		if at > 0 {
			v, _ := f.get("issue_time")
			p.errAt(v.val, v.path, "issue_time is after start; a live token was issued at or before the scenario's start")
		}
		x.IssueTime = at
	}
	if at, ok := when("expire_time"); ok {
		if at <= 0 {
			v, _ := f.get("expire_time")
			p.errAt(v.val, v.path, "expire_time is not after start: the token is no longer live; leave it out or move start earlier")
		}
		x.ExpireTime = at
	}
	if v, ok := f.get("accessor"); ok {
		x.Accessor, _ = p.str(v.val, v.path, "an accessor")
	}
	for key, dst := range map[string]*model.Duration{"ttl": &x.TTL, "explicit_max_ttl": &x.ExplicitMaxTTL, "period": &x.Period} {
		if v, ok := f.get(key); ok {
			*dst, _ = p.duration(v.val, v.path)
		}
	}
	if x.TTL == 0 {
		p.errAt(e.val, e.path, "missing or zero 'ttl': the TTL the token's creation or last renewal granted (creation_ttl if never renewed)")
	}
	if v, ok := f.get("renewable"); ok {
		x.Renewable, _ = p.boolean(v.val, v.path)
	}
	if v, ok := f.get("num_uses"); ok {
		if n, ok := p.integer(v.val, v.path, 0, math.MaxInt32); ok {
			x.NumUses = int(n)
		}
	}
	return x
}
