// Package check evaluates a run against sign-off rules: a scenario's
// expect block and a shared policy. Each violation says what happened,
// when, to which entity, which layer decided it, and the smallest change
// that would fix it where one can be computed.
package check

import (
	"fmt"
	"math"
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// Rule names, as written in expect blocks and policy files.
const (
	RuleNoCascade          = "no_cascade_larger_than"
	RuleNoOutage           = "no_outage"
	RuleMaxFailedRequests  = "max_failed_requests"
	RuleNoSystemDefaultMax = "no_system_default_max"
	RuleMinReauthMargin    = "min_reauth_margin"
)

// Violation is one breach of a rule.
type Violation struct {
	What   string
	At     model.Instant
	HasAt  bool
	Entity string
	Layer  string
	Fix    string
}

// RuleResult is one rule's verdict.
type RuleResult struct {
	Rule       string
	Source     string // "expect" or "policy"
	Limit      string // the rule's value as written, e.g. "0", "true", "24h"
	Violations []Violation
}

// Passed reports whether the rule held.
func (r RuleResult) Passed() bool { return len(r.Violations) == 0 }

// Report is the verdict on one scenario.
type Report struct {
	Scenario *scenarios.Scenario
	Result   *sim.Result
	Rules    []RuleResult
}

// Passed reports whether every rule held.
func (r *Report) Passed() bool {
	for _, x := range r.Rules {
		if !x.Passed() {
			return false
		}
	}
	return true
}

// HasRules reports whether any rule applies to a scenario.
func HasRules(s *scenarios.Scenario, policy *scenarios.Expect) bool {
	return countRules(s.Expect) > 0 || countRules(policy) > 0
}

func countRules(x *scenarios.Expect) int {
	if x == nil {
		return 0
	}
	n := 0
	for _, set := range []bool{x.NoCascadeLargerThan != nil, x.NoOutage != nil, x.MaxFailedRequests != nil, x.NoSystemDefaultMax != nil, x.MinReauthMargin != nil} {
		if set {
			n++
		}
	}
	return n
}

// Evaluate checks a run of s (and its static explanation) against the
// scenario's expect block and the shared policy, in that order.
func Evaluate(s *scenarios.Scenario, res *sim.Result, exps []sim.Explanation, policy *scenarios.Expect) *Report {
	rep := &Report{Scenario: s, Result: res}
	ev := evaluator{s: s, r: res, exps: exps, clk: sim.Clock{Start: s.Start}}
	for _, src := range []struct {
		name string
		x    *scenarios.Expect
	}{{"expect", s.Expect}, {"policy", policy}} {
		x := src.x
		if x == nil {
			continue
		}
		if x.NoCascadeLargerThan != nil {
			rep.Rules = append(rep.Rules, RuleResult{RuleNoCascade, src.name, fmt.Sprint(*x.NoCascadeLargerThan), ev.cascades(*x.NoCascadeLargerThan)})
		}
		if x.NoOutage != nil && *x.NoOutage {
			rep.Rules = append(rep.Rules, RuleResult{RuleNoOutage, src.name, "true", ev.outages()})
		}
		if x.MaxFailedRequests != nil {
			rep.Rules = append(rep.Rules, RuleResult{RuleMaxFailedRequests, src.name, fmt.Sprint(*x.MaxFailedRequests), ev.failed(*x.MaxFailedRequests)})
		}
		if x.NoSystemDefaultMax != nil && *x.NoSystemDefaultMax {
			rep.Rules = append(rep.Rules, RuleResult{RuleNoSystemDefaultMax, src.name, "true", ev.systemDefault()})
		}
		if x.MinReauthMargin != nil {
			rep.Rules = append(rep.Rules, RuleResult{RuleMinReauthMargin, src.name, x.MinReauthMargin.String(), ev.reauthMargin(*x.MinReauthMargin)})
		}
	}
	return rep
}

type evaluator struct {
	s    *scenarios.Scenario
	r    *sim.Result
	exps []sim.Explanation
	clk  sim.Clock
}

func (e *evaluator) when(t model.Instant) string {
	return fmt.Sprintf("%s (%s)", e.clk.Date(t), sim.FormatOffset(t))
}

// cascades: no cliff may end more than n in-use entities.
func (e *evaluator) cascades(n int) []Violation {
	var out []Violation
	for i := range e.r.Cliffs {
		c := &e.r.Cliffs[i]
		if c.Size() <= n {
			continue
		}
		root := e.r.EntityID(c.Roots[0])
		out = append(out, Violation{
			What: fmt.Sprintf("%s: %s, ending %d tokens and %d leases in use at once (more than %d)", e.when(c.At), e.cause(c), c.Tokens, c.Leases, n),
			At:   c.At, HasAt: true, Entity: root, Layer: layerName(c),
			Fix: e.fixCliff(c),
		})
	}
	return out
}

func (e *evaluator) cause(c *sim.Cliff) string {
	root := e.r.EntityID(c.Roots[0])
	if len(c.Roots) > 1 {
		root += fmt.Sprintf(" and %d more", len(c.Roots)-1)
	}
	switch c.Cause {
	case sim.MaxTTL:
		return fmt.Sprintf("%s reached its hard end (issue + %s, set by %s)", root, c.Lifetime, c.BoundBy)
	case sim.Expired:
		return fmt.Sprintf("%s expired unrenewed", root)
	case sim.Revoked:
		return fmt.Sprintf("an operator revoked %s", root)
	}
	return root + " ended"
}

func layerName(c *sim.Cliff) string {
	if c.Cause == sim.Revoked {
		return "operator"
	}
	return c.BoundBy.String()
}

// fixCliff proposes the smallest change that removes a cliff.
func (e *evaluator) fixCliff(c *sim.Cliff) string {
	f := e.r.Entities[c.Roots[0]]
	a := e.actor(f.Actor)
	switch {
	case c.Cause == sim.Revoked:
		return "revoke with revoke-orphan, or move dependents to another token before revoking"
	case f.Kind == sim.KindLease && c.Cause == sim.MaxTTL:
		return fmt.Sprintf("credentials of %s hit their own cap (%s): refresh them before it (refresh: watcher re-reads when renewal stops extending)", f.Actor, c.BoundBy)
	case f.Kind == sim.KindLease:
		return fmt.Sprintf("renew the credentials of %s (refresh: watcher)", f.Actor)
	case c.Cause == sim.Expired:
		return fmt.Sprintf("renew %s's token (renew: watcher) or re-authenticate before it expires", f.Actor)
	}
	// A token reached its hard end while in use.
	hard := f.HardEnd.At
	var parts []string
	if c.BoundBy.IsSystemDefault() && a != nil {
		parts = append(parts, e.setMaxFix(a, c.Lifetime))
	}
	reauth := "re-authenticate " + f.Actor + " before " + sim.FormatOffset(hard)
	if a != nil && a.WhenExhausted.Kind == scenarios.ExhaustNone {
		at := f.IssuedAt.Add(model.Duration(math.Floor(0.9 * float64(c.Lifetime))))
		reauth += fmt.Sprintf(" (when_exhausted: {reauth: {at: 0.9}} on actor %s does it at %s)", f.Actor, sim.FormatOffset(at))
	}
	parts = append(parts, reauth)
	return strings.Join(parts, "; and ")
}

// setMaxFix says which attribute to set so a token no longer falls back
// to the server's max: the role's or the request's own limit.
func (e *evaluator) setMaxFix(a *scenarios.Actor, life model.Duration) string {
	switch {
	case a.Login != "":
		return fmt.Sprintf("set token_max_ttl on role %s to the lifetime you intend (it binds only below the mount's max, %s)", a.Login, life)
	case a.Token != nil && a.Token.RoleName != "":
		return fmt.Sprintf("set token_explicit_max_ttl on token role %s (it binds only below the mount's max, %s)", a.Token.RoleName, life)
	case a.Token != nil:
		return fmt.Sprintf("set explicit_max_ttl on %s's token request (it binds only below the mount's max, %s)", a.Name, life)
	case a.ChildToken != nil:
		return fmt.Sprintf("set explicit_max_ttl on %s's child_token request (it binds only below the mount's max, %s)", a.Name, life)
	}
	return "set an explicit max on the token"
}

func (e *evaluator) actor(name string) *scenarios.Actor {
	for i := range e.s.Actors {
		if e.s.Actors[i].Name == name {
			return &e.s.Actors[i]
		}
	}
	return nil
}

// cliffAt finds the cliff that began an outage at t, if any.
func (e *evaluator) cliffAt(t model.Instant) *sim.Cliff {
	for i := range e.r.Cliffs {
		if e.r.Cliffs[i].At == t {
			return &e.r.Cliffs[i]
		}
	}
	return nil
}

func (e *evaluator) outages() []Violation {
	var out []Violation
	for _, o := range e.r.Outages {
		to := "the horizon (still down)"
		if !o.Ongoing {
			to = fmt.Sprintf("%s, %s later", e.clk.Date(o.To), o.Duration())
		}
		v := Violation{What: fmt.Sprintf("%s down from %s to %s: %d of %d replicas without credentials, %.0f failed requests",
			o.Service, e.when(o.From), to, o.PeakFailing, o.Replicas, o.FailedRequests), At: o.From, HasAt: true, Entity: o.Service}
		if c := e.cliffAt(o.From); c != nil {
			v.Layer = layerName(c)
			v.Fix = e.fixCliff(c)
		}
		out = append(out, v)
	}
	return out
}

func (e *evaluator) failed(limit float64) []Violation {
	var total float64
	var names []string
	for _, s := range e.r.Services {
		total += s.FailedRequests
		if s.FailedRequests > 0 {
			names = append(names, s.Name)
		}
	}
	if total <= limit {
		return nil
	}
	v := Violation{What: fmt.Sprintf("%.0f failed requests in total (limit %g), from %s", total, limit, strings.Join(names, ", "))}
	if len(e.r.Outages) > 0 {
		o := e.r.Outages[0]
		v.At, v.HasAt = o.From, true
		if c := e.cliffAt(o.From); c != nil {
			v.Entity, v.Layer, v.Fix = e.r.EntityID(c.Roots[0]), layerName(c), e.fixCliff(c)
		}
	}
	return []Violation{v}
}

// systemDefault: no token or lease may have its hard end set by the
// server's max_lease_ttl — the value nobody chose (the seed incident).
func (e *evaluator) systemDefault() []Violation {
	var out []Violation
	for i := range e.exps {
		x := &e.exps[i]
		if !x.Grant.HasHardEnd || x.Grant.HardEndBy.Kind != model.LayerSystemMax {
			continue
		}
		a := e.actor(x.Actor)
		var fix string
		switch {
		case x.Kind == sim.KindLease:
			if r := e.role(a.Credential); r != nil {
				fix = fmt.Sprintf("set max_ttl on role %s, or tune mount %s max_lease_ttl", r.Name, r.Mount)
			}
		case x.Kind == sim.KindChildToken:
			fix = e.setMaxFix(&scenarios.Actor{Name: a.Name, ChildToken: a.ChildToken}, x.Grant.HardEnd.Sub(x.IssuedAt))
		default:
			fix = e.setMaxFix(a, x.Grant.HardEnd.Sub(x.IssuedAt))
		}
		out = append(out, Violation{
			What: fmt.Sprintf("%s (%s%s) ends at issue + %s because nothing below the server sets a max: its hard end is %s",
				x.ID, x.Kind, replicas(x.Replicas), x.Grant.HardEnd.Sub(x.IssuedAt), e.when(x.Grant.HardEnd)),
			At: x.Grant.HardEnd, HasAt: true, Entity: x.ID, Layer: x.Grant.HardEndBy.String(), Fix: fix,
		})
	}
	return out
}

func replicas(n int) string {
	if n > 1 {
		return fmt.Sprintf(" ×%d", n)
	}
	return ""
}

func (e *evaluator) role(name string) *scenarios.Role {
	for i := range e.s.Roles {
		if e.s.Roles[i].Name == name {
			return &e.s.Roles[i]
		}
	}
	return nil
}

// reauthMargin: every token with a hard end must be replaced (its holder
// re-authenticated) at least d before that end; reaching it in use fails.
func (e *evaluator) reauthMargin(d model.Duration) []Violation {
	var out []Violation
	for _, f := range e.r.Entities {
		if f.Kind == sim.KindLease || !f.HardEnd.Set {
			continue
		}
		life := f.HardEnd.At.Sub(f.IssuedAt)
		fix := ""
		if life > d {
			frac := math.Floor(float64(life-d)/float64(life)*100) / 100
			fix = fmt.Sprintf("re-authenticate earlier: when_exhausted: {reauth: {at: %.2f}} on actor %s", frac, f.Actor)
		} else {
			fix = fmt.Sprintf("the token's whole lifetime (%s) is shorter than the margin: raise its max", life)
		}
		switch {
		case f.Replaced && f.HardEnd.At.Sub(f.ReplacedAt) < d:
			out = append(out, Violation{
				What: fmt.Sprintf("%s was replaced only %s before its hard end %s (margin %s)", f.ID, f.HardEnd.At.Sub(f.ReplacedAt), e.when(f.HardEnd.At), d),
				At:   f.ReplacedAt, HasAt: true, Entity: f.ID, Layer: f.HardEnd.By.String(), Fix: fix,
			})
		case !f.Replaced && f.Ended && f.Cause == sim.MaxTTL:
			out = append(out, Violation{
				What: fmt.Sprintf("%s reached its hard end %s while in use: nobody re-authenticated", f.ID, e.when(f.EndedAt)),
				At:   f.EndedAt, HasAt: true, Entity: f.ID, Layer: f.BoundBy.String(), Fix: fix,
			})
		}
	}
	return out
}
