package check

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// change is one edit of a scenario: what it does, for people, and the
// --set override that makes it.
type change struct {
	text  string
	path  string
	value string
	// tmpl is text with {who} for the actor who, so that the same change
	// for several actors reads once: "re-authenticate a and b at 90% …".
	tmpl, who string
}

func (c change) override() scenarios.Override {
	return scenarios.Override{Path: c.path, Value: c.value}
}

// candidate is a fix to try: changes applied together.
type candidate []change

// union merges candidates, dropping a change another already makes.
func union(cs ...candidate) candidate {
	var out candidate
	for _, c := range cs {
		for _, ch := range c {
			dup := false
			for _, o := range out {
				dup = dup || o.override() == ch.override()
			}
			if !dup {
				out = append(out, ch)
			}
		}
	}
	return out
}

// rootsFixes proposes fixes that remove the end of every root at once:
// the i-th fix applies each root's i-th (or last) proposal.
func (e *evaluator) rootsFixes(roots []*sim.Fate) []candidate {
	var per [][]candidate
	n := 0
	for _, f := range roots {
		cs := e.rootFixes(f)
		if len(cs) == 0 {
			return nil // one root cannot be fixed: neither can the whole
		}
		per = append(per, cs)
		n = max(n, len(cs))
	}
	out := make([]candidate, n)
	for i := range out {
		for _, cs := range per {
			out[i] = union(out[i], cs[min(i, len(cs)-1)])
		}
	}
	return out
}

// rootFixes proposes, smallest first, changes to the root's own actor that
// keep its end from harming anyone. Which ones the model accepts and which
// work is for the re-run to prove.
func (e *evaluator) rootFixes(f *sim.Fate) []candidate {
	a := e.actor(f.Actor)
	if a == nil {
		return nil
	}
	switch {
	case f.Cause == sim.Revoked:
		// semantics.md §6.3: revoke-orphan leaves the children to their own ends.
		if i := e.revokeEvent(f); i >= 0 {
			return []candidate{{{
				text: fmt.Sprintf("revoke %s's token with revoke-orphan instead of revoke at %s: its children live to their own ends (semantics.md §6.3)", f.Actor, sim.FormatOffset(f.EndedAt)),
				path: fmt.Sprintf("events[%d].do", i), value: "revoke-orphan",
			}}}
		}
		return nil
	case f.Kind == sim.KindLease:
		// §7.3: a template watcher fetches a new credential when renewal gives up.
		var out []candidate
		if a.Refresh.Kind != scenarios.RefreshWatcher {
			out = append(out, candidate{{
				text: fmt.Sprintf("keep the credentials of %s fresh with a watcher that fetches new ones when renewal gives up (refresh: watcher, semantics.md §7.3)", f.Actor),
				path: scenarios.PathOf("actors", f.Actor, "refresh"), value: "watcher",
			}})
		}
		return append(out, candidate{{
			text: fmt.Sprintf("fetch new credentials for %s at 80%% of each lease's duration (refresh: {at: 0.8})", f.Actor),
			path: scenarios.PathOf("actors", f.Actor, "refresh"), value: "{at: 0.8}",
		}})
	}
	var out []candidate
	reauth := e.reauthLadder(a)
	switch {
	case f.Cause == sim.Expired:
		// Renewing helps only a renewable service token (§4); a batch or
		// non-renewable token must be replaced before it expires.
		if e.renewable(f) && a.Renew.Kind != scenarios.RenewWatcher {
			out = append(out, candidate{{
				text: fmt.Sprintf("renew %s's token with a watcher (renew: watcher, semantics.md §7.1)", f.Actor),
				path: scenarios.PathOf("actors", f.Actor, "renew"), value: "watcher",
			}})
		}
	case f.Cause == sim.MaxTTL && f.BoundBy.IsSystemDefault() && len(reauth) > 0:
		// Choose the lifetime instead of the default nobody set, and
		// re-authenticate before it.
		for _, m := range e.maxCands(f.Actor, f.Kind, f.HardEnd.At.Sub(f.IssuedAt)) {
			out = append(out, union(m, reauth[0]))
		}
	}
	return append(out, reauth...)
}

// ownMaxFixes proposes a max of the entity kind's own; then, for tokens,
// the same with re-authentication before it, for when a max alone moves
// the cliff earlier than the one it replaces.
func (e *evaluator) ownMaxFixes(actor string, kind sim.EntityKind, life model.Duration) []candidate {
	out := e.maxCands(actor, kind, life)
	if a := e.actor(actor); a != nil && kind != sim.KindLease {
		if reauth := e.reauthLadder(a); len(reauth) > 0 {
			for _, m := range e.maxCands(actor, kind, life) {
				out = append(out, union(m, reauth[0]))
			}
		}
	}
	return out
}

// reauthLadder proposes re-authenticating proactively (semantics.md §7.2)
// at 90%, 75% or 50% of each token's lifetime, earlier than the actor does now.
func (e *evaluator) reauthLadder(a *scenarios.Actor) []candidate {
	var out []candidate
	for _, at := range []float64{0.9, 0.75, 0.5} {
		if a.WhenExhausted.Kind == scenarios.ExhaustReauth && a.WhenExhausted.At > 0 && at >= a.WhenExhausted.At {
			continue
		}
		out = append(out, candidate{e.reauthAt(a.Name, at, "")})
	}
	return out
}

// reauthAt re-authenticates the actor at a fraction of its tokens' lifetime.
func (e *evaluator) reauthAt(actor string, at float64, why string) change {
	if why == "" {
		why = fmt.Sprintf("re-authenticate {who} at %.0f%% of each token's lifetime, before its hard end", at*100)
	}
	v := fmt.Sprintf("{reauth: {at: %s}}", strconv.FormatFloat(at, 'f', -1, 64))
	tmpl := fmt.Sprintf("%s (when_exhausted: %s, semantics.md §7.2)", why, v)
	return change{text: strings.ReplaceAll(tmpl, "{who}", actor), tmpl: tmpl, who: actor, path: scenarios.PathOf("actors", actor, "when_exhausted"), value: v}
}

// below is the lifetime proposed in place of one that nobody chose: a
// round value under it, which the reviewer should replace with the
// lifetime they intend.
func below(life model.Duration) model.Duration {
	for _, d := range []model.Duration{720 * model.Hour, 168 * model.Hour, 24 * model.Hour, model.Hour} {
		if d < life {
			return d
		}
	}
	return max(life/2, 1)
}

// maxCands proposes, in order, the settings that give an entity kind a
// hard end of its own below the server's max (semantics.md §1–§5): the
// attribute of the way it is issued, or a tune of its mount. When the
// role already sets a max that the untuned mount caps, the role value was
// chosen and the mount's was not: the tune comes first. Paths and Vault
// calls come from sim.LayerSetting, as everywhere a layer is named.
func (e *evaluator) maxCands(actor string, kind sim.EntityKind, life model.Duration) []candidate {
	a := e.actor(actor)
	if a == nil {
		return nil
	}
	v := below(life).String()
	set := func(l model.Layer) candidate {
		st := sim.LayerSetting(e.s, l, actor)
		name := l.String()
		if l.Kind == model.LayerRequestExplicitMaxTTL { // say whose request
			req := "token"
			if kind == sim.KindChildToken {
				req = "child_token"
			}
			name = fmt.Sprintf("explicit_max_ttl on %s's %s request", actor, req)
		}
		return candidate{{
			text: fmt.Sprintf("set %s to %s (%s; below the %s it falls back to: choose the lifetime you intend)", name, v, st.Vault(v), life),
			path: st.Path, value: v,
		}}
	}
	tune := func(mount string) candidate { return set(model.Layer{Kind: model.LayerMountMax, Name: mount}) }
	ordered := func(roleSet bool, role, mount candidate) []candidate {
		if roleSet {
			return []candidate{mount, role}
		}
		return []candidate{role, mount}
	}
	req := func(r *scenarios.TokenRequest) []candidate {
		var out []candidate
		if r.RoleName != "" {
			out = append(out, set(model.Layer{Kind: model.LayerRoleTokenExplicitMaxTTL, Name: r.RoleName}))
		}
		out = append(out, set(model.Layer{Kind: model.LayerRequestExplicitMaxTTL}))
		return append(out, tune(model.TokenMountPath))
	}
	switch {
	case kind == sim.KindLease:
		if r := e.role(a.Credential); r != nil {
			return ordered(r.Secrets.MaxTTL > 0, set(model.Layer{Kind: model.LayerRoleMaxTTL, Name: r.Name}), tune(r.Mount))
		}
	case kind == sim.KindChildToken && a.ChildToken != nil:
		return req(a.ChildToken)
	case a.Login != "":
		if r := e.role(a.Login); r != nil {
			return ordered(r.Auth.TokenMaxTTL > 0, set(model.Layer{Kind: model.LayerRoleTokenMaxTTL, Name: r.Name}), tune(r.Mount))
		}
	case a.Token != nil:
		return req(a.Token)
	}
	return nil
}

// renewable reports whether explain says the fate's kind can be renewed.
func (e *evaluator) renewable(f *sim.Fate) bool {
	id := groupID(f)
	for i := range e.exps {
		if e.exps[i].ID == id {
			return e.exps[i].Renewable && e.exps[i].Type != model.TokenBatch
		}
	}
	return true
}

// revokeEvent finds the scripted revoke that ended f, or -1.
func (e *evaluator) revokeEvent(f *sim.Fate) int {
	for i, ev := range e.s.Events {
		if ev.Do == scenarios.EventRevoke && ev.Actor == f.Actor && ev.At == f.EndedAt {
			return i
		}
	}
	return -1
}

func (e *evaluator) actor(name string) *scenarios.Actor {
	for i := range e.s.Actors {
		if e.s.Actors[i].Name == name {
			return &e.s.Actors[i]
		}
	}
	return nil
}

func (e *evaluator) role(name string) *scenarios.Role {
	for i := range e.s.Roles {
		if e.s.Roles[i].Name == name {
			return &e.s.Roles[i]
		}
	}
	return nil
}
