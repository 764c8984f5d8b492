package scenarios

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/leasesim/leasesim/model"
)

var (
	eventKindNames = []string{"reauth", "revoke", "revoke-orphan", "tune", "role", "deploy", "outage", "renew", "database-outage", "slowdown"}
	eventKinds     = map[string]EventKind{
		"reauth": EventReauth, "revoke": EventRevoke, "revoke-orphan": EventRevokeOrphan,
		"tune": EventTune, "role": EventRole, "deploy": EventDeploy, "outage": EventOutage, "renew": EventRenew,
		"database-outage": EventDBOutage, "slowdown": EventSlowdown,
	}
	eventKeys = map[EventKind][]string{
		EventReauth:       {"at", "do", "actor"},
		EventRevoke:       {"at", "do", "actor", "what"},
		EventRevokeOrphan: {"at", "do", "actor"},
		EventTune:         {"at", "do", "mount", "set"},
		EventRole:         {"at", "do", "role", "set"},
		EventDeploy:       {"at", "do", "actor"},
		EventOutage:       {"at", "do", "until"},
		EventRenew:        {"at", "do", "actor", "increment", "what"},
		EventDBOutage:     {"at", "do", "mount", "until"},
		EventSlowdown:     {"at", "do", "mount", "until", "latency"},
	}
	allEventKeys = []string{"at", "do", "actor", "mount", "role", "set", "until", "increment", "what", "latency"}
	tuneKeys     = []string{"default_lease_ttl", "max_lease_ttl"}
	expectKeys   = []string{"no_cascade_larger_than", "no_outage", "max_failed_requests", "no_system_default_max", "min_reauth_margin",
		"max_exposure_window", "max_revocations_per_second", "no_irrevocable_leases"}
)

// setCheck is a tune or role event whose result is validated once all
// events are read, in time order.
type setCheck struct {
	at    model.Instant
	order int
	ev    *Event
	set   entry
	nodes map[string]entry
}

func (p *parser) events(st *state, e entry) {
	if !p.usable(e.val, e.path) || isNull(e.val) {
		return
	}
	if e.val.Kind != yaml.SequenceNode {
		p.errAt(e.val, e.path, "expected a list of events (- {at: TIME, do: KIND, …}), got %s", describe(e.val))
		return
	}
	var checks []setCheck
	for i, item := range e.val.Content {
		ev, chk := p.event(st, item, index(e.path, i))
		st.sc.Events = append(st.sc.Events, ev)
		if chk != nil {
			chk.order = i
			checks = append(checks, *chk)
		}
	}
	for i := range checks {
		checks[i].ev = &st.sc.Events[checks[i].order]
	}
	p.checkSets(st, checks)
}

func (p *parser) event(st *state, n *yaml.Node, path string) (Event, *setCheck) {
	ev := Event{Line: n.Line}
	var kind EventKind
	if _, dv := rawKey(n, "do"); dv != nil && dv.Kind == yaml.ScalarNode {
		kind = eventKinds[dv.Value]
	}
	keys := allEventKeys
	if kind != 0 {
		keys = eventKeys[kind]
	}
	f, ok := p.mapping(n, path, mapSpec{what: "an event: {at: TIME, do: KIND, …}", keys: keys,
		unknown: func(k string) string {
			if kind != 0 && contains(allEventKeys, k) {
				return fmt.Sprintf("'%s' is not used by do: %s; it takes: %s", k, nameOf(kind), quoteList(keys))
			}
			return ""
		}})
	if !ok {
		return ev, nil
	}
	var atOK bool
	if a, ok := f.get("at"); ok {
		ev.At, atOK = p.instant(a.val, a.path, st.clk)
	} else {
		p.errAt(n, join(path, "at"), "required: when the event happens, %s", timeForms)
	}
	d, ok := f.get("do")
	if !ok {
		p.errAt(n, join(path, "do"), "required: what happens, one of %s", quoteList(eventKindNames))
		return ev, nil
	}
	if v, ok := p.str(d.val, d.path, "an event kind"); ok && kind == 0 {
		p.errAt(d.val, d.path, "unknown event %q; valid: %s%s", v, quoteList(eventKindNames), didYouMean(v, eventKindNames))
	}
	if kind == 0 {
		return ev, nil
	}
	ev.Do = kind
	need := func(k, msg string) (entry, bool) {
		e, ok := f.get(k)
		if !ok {
			p.errAt(n, join(path, k), "required by do: %s: %s", nameOf(kind), msg)
		}
		return e, ok
	}
	switch kind {
	case EventReauth, EventRevokeOrphan:
		if a, ok := need("actor", "the actor whose token it acts on"); ok {
			ev.Actor = p.eventActor(st, a, kind, WhatToken)
		}
	case EventRevoke, EventRenew:
		// what: token (default) or credential — every replica's (§5.2, §6.1).
		ev.What = WhatToken
		if w, ok := f.get("what"); ok {
			ev.What, _ = p.keyword(w.val, w.path, "token or credential", WhatToken, WhatCredential)
		}
		if a, ok := need("actor", "the actor whose "+ev.What+" it acts on"); ok {
			ev.Actor = p.eventActor(st, a, kind, ev.What)
		}
		if x, ok := f.get("increment"); ok {
			ev.Increment, _ = p.duration(x.val, x.path)
		}
	case EventDeploy:
		if a, ok := f.get("actor"); ok {
			ev.Actor = p.eventActor(st, a, kind, WhatToken)
		}
	case EventOutage:
		if u, ok := need("until", "when the backend is available again, "+timeForms); ok {
			if t, ok := p.instant(u.val, u.path, st.clk); ok {
				ev.Until = t
				if a, _ := f.get("at"); atOK && t <= ev.At {
					p.errAt(u.val, u.path, "outage ends at or before it starts (at %s); 'until' must be later than 'at'", a.val.Value)
				}
			}
		}
	case EventDBOutage, EventSlowdown:
		p.databaseEvent(st, &ev, f, need, atOK)
	case EventTune:
		var mountOK bool
		if m, ok := need("mount", "the mount to tune, one of "+quoteList(st.declaredMounts())); ok {
			if v, ok := p.str(m.val, m.path, "a mount path"); ok {
				ev.Mount = v
				if _, mountOK = st.mounts[v]; !mountOK {
					p.errAt(m.val, m.path, "mount %q is not declared under backend.mounts; declared: %s%s",
						v, quoteList(st.declaredMounts()), st.dym(v, st.declaredMounts()))
				}
			}
		}
		if s, ok := need("set", "the new values, e.g. set: {max_lease_ttl: 8760h}"); ok {
			var nodes map[string]entry
			ev.Set, nodes = p.set(s, tuneKeys, nil, true)
			if mountOK {
				return ev, &setCheck{at: ev.At, set: s, nodes: nodes}
			}
		}
	case EventRole:
		var rk RoleKind
		var mount string
		if r, ok := need("role", "the role to change, one of "+quoteList(st.roleNames(0))); ok {
			if v, ok := p.str(r.val, r.path, "a role name"); ok {
				ev.Role = v
				if i, ok := st.roles[v]; ok {
					rk, mount = st.sc.Roles[i].Kind, st.sc.Roles[i].Mount
				} else {
					p.errAt(r.val, r.path, "unknown role %q; roles: %s%s", v, quoteList(st.roleNames(0)), st.dym(v, st.roleNames(0)))
				}
			}
		}
		if s, ok := need("set", "the new values, e.g. set: {token_max_ttl: 720h}"); ok {
			durs := kindDurations(rk)
			if rk == 0 {
				durs = union(authRoleDurations, tokenRoleDurations, secretsRoleDurations)
			}
			unknown := func(k string) string {
				if rk == 0 {
					return ""
				}
				if contains(kindKeys(rk), k) {
					return fmt.Sprintf("'%s' cannot be changed by an event; a role event sets only durations: %s", k, quoteList(durs))
				}
				return roleKeyHint(rk, mount, k, durs)
			}
			var nodes map[string]entry
			ev.Set, nodes = p.set(s, durs, unknown, false)
			if rk != 0 {
				return ev, &setCheck{at: ev.At, set: s, nodes: nodes}
			}
		}
	}
	return ev, nil
}

func nameOf(k EventKind) string {
	for name, v := range eventKinds {
		if v == k {
			return name
		}
	}
	return "unknown"
}

// eventActor checks the actor an event names, and that it holds what the
// event acts on (what: its own token, or a credential).
func (p *parser) eventActor(st *state, a entry, kind EventKind, what string) string {
	v, ok := p.str(a.val, a.path, "an actor name")
	if !ok {
		return ""
	}
	i, ok := st.actors[v]
	if !ok {
		p.errAt(a.val, a.path, "unknown actor %q; actors: %s%s", v, quoteList(st.actorNames()), st.dym(v, st.actorNames()))
		return v
	}
	act := st.sc.Actors[i]
	if what == WhatCredential {
		if act.Credential == "" {
			p.errAt(a.val, a.path, "actor %q has no credential; what: credential needs an actor with credential: ROLE", v)
		}
		return v
	}
	if kind != EventDeploy && act.Via != "" && act.ChildToken == nil {
		p.errAt(a.val, a.path, "actor %q has no token of its own (it uses %s's token via 'via' without child_token); name %s instead, or give %s a child_token",
			v, act.Via, act.Via, v)
	}
	return v
}

// set reads the set: mapping of a tune or role event. With system, the
// string "system" resets a value to inherit (0), as Vault's tune does.
func (p *parser) set(e entry, keys []string, unknown func(string) string, system bool) ([]FieldValue, map[string]entry) {
	nodes := map[string]entry{}
	f, ok := p.mapping(e.val, e.path, mapSpec{what: "field → new duration", keys: keys, unknown: unknown})
	if !ok {
		return nil, nodes
	}
	if len(e.val.Content) == 0 {
		p.errAt(e.val, e.path, "set needs at least one of: %s", quoteList(keys))
	}
	var out []FieldValue
	for _, x := range f.order {
		nodes[x.name] = x
		if system && x.val.Kind == yaml.ScalarNode && x.val.ShortTag() == "!!str" && x.val.Value == "system" {
			out = append(out, FieldValue{Field: x.name})
			continue
		}
		d, _ := p.duration(x.val, x.path)
		out = append(out, FieldValue{Field: x.name, Value: d})
	}
	return out, nodes
}

// checkSets applies tune and role events in time order (file order for
// ties) and validates each result the way the backend would.
func (p *parser) checkSets(st *state, checks []setCheck) {
	sort.SliceStable(checks, func(i, j int) bool { return checks[i].at < checks[j].at })
	mounts := map[string]model.Mount{}
	for _, m := range st.sc.Backend.Mounts {
		mounts[m.Path] = m
	}
	roles := map[string]Role{}
	for _, r := range st.sc.Roles {
		roles[r.Name] = r
	}
	for _, c := range checks {
		var errs, before []model.FieldError
		var state string
		switch c.ev.Do {
		case EventTune:
			m := mounts[c.ev.Mount]
			before = model.ValidateTune(m)
			for _, fv := range c.ev.Set {
				switch fv.Field {
				case "default_lease_ttl":
					m.DefaultLeaseTTL = fv.Value
				case "max_lease_ttl":
					m.MaxLeaseTTL = fv.Value
				}
			}
			mounts[c.ev.Mount] = m
			errs = model.ValidateTune(m)
			state = fmt.Sprintf("after this event mount %s has default_lease_ttl %s and max_lease_ttl %s", m.Path, m.DefaultLeaseTTL, m.MaxLeaseTTL)
		case EventRole:
			r := roles[c.ev.Role]
			before = validateRole(r)
			for _, fv := range c.ev.Set {
				SetRoleField(&r.Auth, &r.Token, &r.Secrets, fv)
			}
			roles[c.ev.Role] = r
			errs = validateRole(r)
			state = fmt.Sprintf("as changed by the events up to this one, role %s", r.Name)
		}
		for _, fe := range errs {
			if hasField(before, fe.Field) {
				continue // the value was already wrong before this event, and reported then
			}
			if x, ok := c.nodes[fe.Field]; ok {
				p.errAt(x.key, x.path, "%s", fe.Msg)
				continue
			}
			p.errAt(c.set.key, join(c.set.path, fe.Field), "%s (%s)", fe.Msg, state)
		}
	}
}

func validateRole(r Role) []model.FieldError {
	switch r.Kind {
	case AuthRole:
		return r.Auth.Validate()
	case TokenRole:
		return r.Token.Validate()
	case SecretsRole:
		return r.Secrets.Validate()
	}
	return nil
}

func hasField(errs []model.FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// SetRoleField writes one field of a role event's set into each of the
// role values that has it (nil ones are skipped). The checks of events
// here and the run's backend (sim) both change roles through it, so a
// field names the same value in both.
func SetRoleField(auth *model.AuthRole, token *model.TokenRole, secrets *model.SecretsRole, fv FieldValue) {
	if auth != nil {
		switch fv.Field {
		case "token_ttl":
			auth.TokenTTL = fv.Value
		case "token_max_ttl":
			auth.TokenMaxTTL = fv.Value
		case "token_explicit_max_ttl":
			auth.TokenExplicitMaxTTL = fv.Value
		case "token_period":
			auth.TokenPeriod = fv.Value
		}
	}
	if token != nil {
		switch fv.Field {
		case "token_explicit_max_ttl":
			token.TokenExplicitMaxTTL = fv.Value
		case "token_period":
			token.TokenPeriod = fv.Value
		}
	}
	if secrets != nil {
		switch fv.Field {
		case "default_ttl":
			secrets.DefaultTTL = fv.Value
		case "max_ttl":
			secrets.MaxTTL = fv.Value
		}
	}
}

func (p *parser) annotations(st *state, e entry) {
	if !p.usable(e.val, e.path) || isNull(e.val) {
		return
	}
	if e.val.Kind != yaml.SequenceNode {
		p.errAt(e.val, e.path, "expected a list of annotations (- {at: TIME, label: TEXT}), got %s", describe(e.val))
		return
	}
	for i, item := range e.val.Content {
		path := index(e.path, i)
		an := Annotation{Line: item.Line}
		f, ok := p.mapping(item, path, mapSpec{what: "an annotation: {at: TIME, label: TEXT}", keys: []string{"at", "label"}})
		if ok {
			if a, ok := f.get("at"); ok {
				an.At, _ = p.instant(a.val, a.path, st.clk)
			} else {
				p.errAt(item, join(path, "at"), "required: when, %s", timeForms)
			}
			if l, ok := f.get("label"); ok {
				if v, ok := p.text(l.val, l.path, "a label (text)"); ok {
					if strings.TrimSpace(v) == "" {
						p.errAt(l.val, l.path, "must not be empty; say what happened")
					}
					an.Label = v
				}
			} else {
				p.errAt(item, join(path, "label"), "required: what happened, e.g. label: error rates rise")
			}
		}
		st.sc.Annotations = append(st.sc.Annotations, an)
	}
}

func (p *parser) expect(st *state, e entry) {
	x := &Expect{Line: e.key.Line}
	st.sc.Expect = x
	f, _ := p.mapping(e.val, e.path, mapSpec{what: "the checks `check` makes", allowNull: true, keys: expectKeys})
	if v, ok := f.get("no_cascade_larger_than"); ok {
		if n, ok := p.integer(v.val, v.path, 0, math.MaxInt32); ok {
			i := int(n)
			x.NoCascadeLargerThan = &i
		}
	}
	optional(f, "no_outage", p.boolean, &x.NoOutage)
	if v, ok := f.get("max_failed_requests"); ok {
		const want = "a number of requests, 0 or more"
		if n, ok := p.number(v.val, v.path, want); ok {
			if n < 0 {
				p.errAt(v.val, v.path, "%s is negative; want %s", v.val.Value, want)
			} else {
				x.MaxFailedRequests = &n
			}
		}
	}
	optional(f, "no_system_default_max", p.boolean, &x.NoSystemDefaultMax)
	optional(f, "min_reauth_margin", p.duration, &x.MinReauthMargin)
	p.revocationExpect(x, f)
}
