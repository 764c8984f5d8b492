// Package check evaluates a run against sign-off rules: a scenario's
// expect block and a shared policy. Each violation says what happened,
// when, to which entity, which layer decided it, and a fix: the change
// along the violating entity's own ancestor chain, as --set overrides,
// proven by re-running the scenario with it (prove.go).
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
	Root   string // the entity whose end caused it, on Entity's own chain ("" if none)
	Layer  string
	Fix    *Fix // nil when nothing can be proposed

	keys  []string    // what identifies it in another run: a fix holds when none is left
	cands []candidate // fixes to try, smallest first
	hint  string      // why no fix is proposed, when cands is empty
}

// RuleResult is one rule's verdict.
type RuleResult struct {
	Rule       string
	Source     string // "expect", "policy", or "expect, policy" when both set it
	Limit      string // the rule's value as written, e.g. "0", "true", "24h"
	Violations []Violation

	spec spec
}

// Passed reports whether the rule held.
func (r RuleResult) Passed() bool { return len(r.Violations) == 0 }

// Report is the verdict on one scenario. Err is set when the scenario could
// not be checked at all (unreadable, invalid, nothing to check); Scenario
// and Result are then nil.
type Report struct {
	Name     string // the scenario as named on the command line
	Scenario *scenarios.Scenario
	Result   *sim.Result
	Rules    []RuleResult
	Err      error
}

// Passed reports whether the scenario was checked and every rule held.
func (r *Report) Passed() bool {
	if r.Err != nil {
		return false
	}
	for _, x := range r.Rules {
		if !x.Passed() {
			return false
		}
	}
	return true
}

// spec is one rule to evaluate, with its limit. The rules of an expect
// block and of a policy are merged: a rule set in both is checked once,
// with the stricter limit.
type spec struct {
	rule   string
	source string
	n      int            // no_cascade_larger_than
	limit  float64        // max_failed_requests, max_revocations_per_second
	margin model.Duration // min_reauth_margin, max_exposure_window
}

func (p spec) limitText() string {
	switch p.rule {
	case RuleNoCascade:
		return fmt.Sprint(p.n)
	case RuleMaxFailedRequests:
		return fmt.Sprint(p.limit)
	case RuleMinReauthMargin, RuleMaxExposureWindow:
		return p.margin.String()
	case RuleMaxRevocationsPerSecond:
		return fmt.Sprint(p.limit)
	}
	return "true"
}

// specs merges the rules of the scenario's expect block and the policy,
// in a fixed rule order.
func specs(expect, policy *scenarios.Expect) []spec {
	var out []spec
	add := func(p spec, src string, stricter func(old *spec)) {
		for i := range out {
			if out[i].rule == p.rule {
				stricter(&out[i])
				out[i].source += ", " + src
				return
			}
		}
		p.source = src
		out = append(out, p)
	}
	for _, src := range []struct {
		name string
		x    *scenarios.Expect
	}{{"expect", expect}, {"policy", policy}} {
		x := src.x
		if x == nil {
			continue
		}
		if v := x.NoCascadeLargerThan; v != nil {
			add(spec{rule: RuleNoCascade, n: *v}, src.name, func(o *spec) { o.n = min(o.n, *v) })
		}
		if v := x.NoOutage; v != nil && *v {
			add(spec{rule: RuleNoOutage}, src.name, func(*spec) {})
		}
		if v := x.MaxFailedRequests; v != nil {
			add(spec{rule: RuleMaxFailedRequests, limit: *v}, src.name, func(o *spec) { o.limit = min(o.limit, *v) })
		}
		if v := x.NoSystemDefaultMax; v != nil && *v {
			add(spec{rule: RuleNoSystemDefaultMax}, src.name, func(*spec) {})
		}
		if v := x.MinReauthMargin; v != nil {
			add(spec{rule: RuleMinReauthMargin, margin: *v}, src.name, func(o *spec) { o.margin = max(o.margin, *v) })
		}
		revocationSpecs(x, src.name, add)
	}
	order := []string{RuleNoCascade, RuleNoOutage, RuleMaxFailedRequests, RuleNoSystemDefaultMax, RuleMinReauthMargin,
		RuleMaxExposureWindow, RuleMaxRevocationsPerSecond, RuleNoIrrevocableLeases}
	var sorted []spec
	for _, r := range order {
		for _, p := range out {
			if p.rule == r {
				sorted = append(sorted, p)
			}
		}
	}
	return sorted
}

// HasRules reports whether any rule applies to a scenario.
func HasRules(s *scenarios.Scenario, policy *scenarios.Expect) bool {
	return len(specs(s.Expect, policy)) > 0
}

// Evaluate checks a run of s (and its static explanation) against the
// scenario's expect block and the shared policy. Fixes are proposed but
// not yet proven: Prove re-runs the scenario with each.
func Evaluate(s *scenarios.Scenario, res *sim.Result, exps []sim.Explanation, policy *scenarios.Expect) *Report {
	rep := &Report{Name: s.Name, Scenario: s, Result: res}
	ev := newEvaluator(s, res, exps)
	for _, p := range specs(s.Expect, policy) {
		rep.Rules = append(rep.Rules, RuleResult{Rule: p.rule, Source: p.source, Limit: p.limitText(), Violations: ev.eval(p), spec: p})
	}
	return rep
}

type evaluator struct {
	s    *scenarios.Scenario
	r    *sim.Result
	exps []sim.Explanation
	clk  sim.Clock
	byID map[string]int // fate index by entity id
}

func newEvaluator(s *scenarios.Scenario, res *sim.Result, exps []sim.Explanation) *evaluator {
	e := &evaluator{s: s, r: res, exps: exps, clk: sim.Clock{Start: s.Start}, byID: map[string]int{}}
	for i := range res.Fates() {
		e.byID[res.Fates()[i].ID] = i
	}
	return e
}

func (e *evaluator) eval(p spec) []Violation {
	switch p.rule {
	case RuleNoCascade:
		return e.cascades(p.n)
	case RuleNoOutage:
		return e.outages()
	case RuleMaxFailedRequests:
		return e.failed(p.limit)
	case RuleNoSystemDefaultMax:
		return e.systemDefault()
	case RuleMinReauthMargin:
		return e.reauthMargin(p.margin)
	case RuleMaxExposureWindow:
		return e.exposure(p.margin)
	case RuleMaxRevocationsPerSecond:
		return e.rate(p.limit)
	case RuleNoIrrevocableLeases:
		return e.irrevocable()
	}
	return nil
}

func (e *evaluator) when(t model.Instant) string {
	return fmt.Sprintf("%s (%s)", e.clk.Date(t), sim.FormatOffset(t))
}

// rootKey identifies a root cause across runs: the actor whose entity
// ended, and how. A fix that only moves the end in time leaves it.
func rootKey(f *sim.Fate) string { return f.Actor + "/" + string(f.Kind) + "/" + f.Cause.String() }

// cascades: no cliff may end more than n in-use entities.
func (e *evaluator) cascades(n int) []Violation {
	var out []Violation
	for i := range e.r.Cliffs {
		c := &e.r.Cliffs[i]
		if c.Size() <= n {
			continue
		}
		v := Violation{
			What: fmt.Sprintf("%s: %s, ending %d token%s and %d lease%s in use at once (more than %d)", e.when(c.At), e.cause(c), c.Tokens, sim.Plural(c.Tokens), c.Leases, sim.Plural(c.Leases), n),
			At:   c.At, HasAt: true, Entity: e.r.EntityID(c.Roots[0]), Layer: layerName(c.Cause, c.BoundBy),
		}
		// Every root must be fixed for the cliff to go.
		var roots []*sim.Fate
		for _, r := range c.Roots {
			f := &e.r.Fates()[r]
			roots = append(roots, f)
			v.keys = append(v.keys, rootKey(f))
		}
		v.cands = e.rootsFixes(roots)
		out = append(out, v)
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

func layerName(cause sim.EndCause, by model.Layer) string {
	if cause == sim.Revoked {
		return "operator"
	}
	return by.String()
}

// outageRoot finds what ended a service's credentials at the start of an
// outage, on the service's own chain: an in-use entity of the service that
// ended then, and the root of its cascade.
func (e *evaluator) outageRoot(o sim.Outage) *sim.Fate {
	for i := range e.r.Fates() {
		f := &e.r.Fates()[i]
		if f.Actor != o.Service || !f.Ended || f.EndedAt != o.From || f.Replaced {
			continue
		}
		if f.Root != "" {
			if j, ok := e.byID[f.Root]; ok {
				return &e.r.Fates()[j]
			}
		}
		return f
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
		if f := e.outageRoot(o); f != nil {
			v.Root, v.Layer = f.ID, layerName(f.Cause, f.BoundBy)
			v.keys = []string{o.Service + " after " + rootKey(f)}
			v.cands = e.rootsFixes([]*sim.Fate{f})
		} else {
			v.keys = []string{o.Service + " at " + sim.FormatOffset(o.From)}
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
	v := Violation{What: fmt.Sprintf("%.0f failed requests in total (limit %g), from %s", total, limit, strings.Join(names, ", ")),
		keys: []string{RuleMaxFailedRequests}}
	// The fix must remove every outage's root cause.
	var roots []*sim.Fate
	for _, o := range e.r.Outages {
		if f := e.outageRoot(o); f != nil && !containsFate(roots, f) {
			roots = append(roots, f)
		}
	}
	if len(e.r.Outages) > 0 {
		v.At, v.HasAt = e.r.Outages[0].From, true
	}
	if len(roots) > 0 {
		v.Entity, v.Root, v.Layer = roots[0].ID, roots[0].ID, layerName(roots[0].Cause, roots[0].BoundBy)
		v.cands = e.rootsFixes(roots)
	}
	return []Violation{v}
}

func containsFate(fs []*sim.Fate, f *sim.Fate) bool {
	for _, g := range fs {
		if g.ID == f.ID {
			return true
		}
	}
	return false
}

// groupID names the kind of entity a fate is, as explain names it: the
// actor's own token "broker", a child token "core-api.token", a
// credential "core-api.credential".
func groupID(f *sim.Fate) string {
	switch f.Kind {
	case sim.KindChildToken:
		return f.Actor + ".token"
	case sim.KindLease:
		return f.Actor + ".credential"
	}
	return f.Actor
}

// systemDefault: no token or lease may have its hard end set by the
// server's max_lease_ttl (semantics.md §2) — the value nobody chose, the
// seed incident. It holds from explain's prediction, so it fails before the
// cliff is within the horizon, and from the run, where every renewal's
// re-read of roles and mounts (§4) has been applied.
func (e *evaluator) systemDefault() []Violation {
	var out []Violation
	seen := map[string]bool{}
	for i := range e.exps {
		x := &e.exps[i]
		end := x.Life.End // explain's prediction: after the first renewal's re-read (§4) and scripted changes
		if !end.Set || !x.Life.HardEnd || end.By.Kind != model.LayerSystemMax {
			continue
		}
		seen[x.ID] = true
		life := end.At.Sub(x.IssuedAt)
		out = append(out, Violation{
			What: fmt.Sprintf("%s (%s%s) ends at issue + %s because nothing below the server sets a max: its hard end is %s",
				x.ID, x.Kind, replicas(x.Replicas), life, e.when(end.At)),
			At: end.At, HasAt: true, Entity: x.ID, Layer: end.By.String(),
			keys: []string{x.ID}, cands: e.ownMaxFixes(x.Actor, x.Kind, life),
		})
	}
	for i := range e.r.Fates() {
		f := &e.r.Fates()[i]
		id := groupID(f)
		if seen[id] || !f.HardEnd.Set || f.HardEnd.By.Kind != model.LayerSystemMax {
			continue
		}
		seen[id] = true
		life := f.HardEnd.At.Sub(f.IssuedAt)
		out = append(out, Violation{
			What: fmt.Sprintf("%s (%s) ends at issue + %s in the run because nothing below the server sets a max: %s's hard end is %s",
				id, f.Kind, life, f.ID, e.when(f.HardEnd.At)),
			At: f.HardEnd.At, HasAt: true, Entity: f.ID, Layer: f.HardEnd.By.String(),
			keys: []string{id}, cands: e.ownMaxFixes(f.Actor, f.Kind, life),
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

// reauthMargin: every token with a hard end must be replaced (its holder
// re-authenticated) at least d before that end; reaching it in use fails.
func (e *evaluator) reauthMargin(d model.Duration) []Violation {
	var out []Violation
	for i := range e.r.Fates() {
		f := &e.r.Fates()[i]
		if f.Kind == sim.KindLease || !f.HardEnd.Set {
			continue
		}
		var v Violation
		switch {
		case f.Replaced && f.HardEnd.At.Sub(f.ReplacedAt) < d:
			v = Violation{
				What: fmt.Sprintf("%s was replaced only %s before its hard end %s (margin %s)", f.ID, f.HardEnd.At.Sub(f.ReplacedAt), e.when(f.HardEnd.At), d),
				At:   f.ReplacedAt, HasAt: true, Entity: f.ID, Layer: f.HardEnd.By.String(),
			}
		case !f.Replaced && f.Ended && f.Cause == sim.MaxTTL:
			v = Violation{
				What: fmt.Sprintf("%s reached its hard end %s while in use: nobody re-authenticated", f.ID, e.when(f.EndedAt)),
				At:   f.EndedAt, HasAt: true, Entity: f.ID, Layer: f.BoundBy.String(),
			}
		default:
			continue
		}
		v.keys = []string{f.Actor + "/" + string(f.Kind)}
		life := f.HardEnd.At.Sub(f.IssuedAt)
		if life > d {
			frac := math.Floor(float64(life-d)/float64(life)*100) / 100
			v.cands = []candidate{{e.reauthAt(f.Actor, frac, fmt.Sprintf("re-authenticate {who} %s before each token's hard end", d))}}
		} else {
			v.hint = fmt.Sprintf("the token's whole lifetime (%s) is shorter than the margin: raise its max", life)
		}
		out = append(out, v)
	}
	return out
}
