package check

import (
	"fmt"
	"strings"

	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// Fix is a proven change for one violation: what to do, the overrides
// that do it (the --set paths of run, compare and sweep), and what a run
// of the scenario with them applied showed.
type Fix struct {
	Text       string
	Set        []string // PATH=VALUE; empty when no single change was found
	Verified   bool     // the re-run no longer has the violation
	Remains    []string // when not verified: what the re-run still shows
	Introduces []string // violations the re-run has that the original had not
}

// Scenario checks one scenario as named on the command line (a path or a
// built-in name), with overrides applied first, and proves every fix; opts
// (budgets) apply to every run, the proofs' included. It
// never fails: a scenario that cannot be read, parsed or checked is a
// report with Err set (and Scenario, once parsed), so that a CI run goes
// on to the next one.
func Scenario(name string, sets []scenarios.Override, policy *scenarios.Expect, opts sim.Options) *Report {
	label := scenarios.OverrideLabel(name, sets)
	file, data, err := scenarios.Read(name)
	if err != nil {
		return &Report{Name: label, Err: err}
	}
	s, err := scenarios.ParseWithOverrides(file, data, sets)
	if err != nil {
		return &Report{Name: label, Err: err}
	}
	if !HasRules(s, policy) {
		return &Report{Name: label, Scenario: s, Err: fmt.Errorf("%s: nothing to check: the scenario has no expect block and no --policy was given", label)}
	}
	exps, err := sim.Explain(s)
	if err != nil {
		return &Report{Name: label, Scenario: s, Err: err}
	}
	res := sim.New(s, opts).Run()
	if err := res.BudgetErr(); err != nil {
		return &Report{Name: label, Scenario: s, Err: err} // a verdict on part of the horizon would mislead
	}
	rep := Evaluate(s, res, exps, policy)
	rep.Name = label
	Prove(rep, file, data, sets, opts)
	return rep
}

// Prove gives every violation of rep a Fix: its proposals are tried in
// order, each by running the scenario (file, data with sets and the
// proposal's overrides) through the simulator and evaluating the rule
// again. A proposal the model rejects or that changes nothing is never
// offered; the first that removes the violation without adding another
// wins, else the first that removes it, else the first that changes it.
func Prove(rep *Report, file string, data []byte, sets []scenarios.Override, opts sim.Options) {
	p := &prover{file: file, data: data, sets: sets, opts: opts, rep: rep, trials: map[string]*trial{}}
	for i := range rep.Rules {
		r := &rep.Rules[i]
		for j := range r.Violations {
			r.Violations[j].Fix = p.fix(r.spec, &r.Violations[j])
		}
	}
}

// MaxTrials bounds the re-runs one scenario's proofs may make: each is a
// whole run, and a large fleet has many violations.
const MaxTrials = 64

type prover struct {
	file   string
	data   []byte
	sets   []scenarios.Override
	opts   sim.Options
	rep    *Report
	trials map[string]*trial // by the overrides tried
}

// trial is one re-run with a proposal applied.
type trial struct {
	set   []string
	spent bool                   // not run: MaxTrials re-runs were made already
	err   error                  // the model rejected the proposal
	viols map[string][]Violation // by rule
}

func (p *prover) fix(sp spec, v *Violation) *Fix {
	var best *Fix
	var tried []string
	for _, c := range v.cands {
		t := p.try(c)
		shown := strings.Join(t.set, " ")
		if t.spent {
			tried = append(tried, fmt.Sprintf("%s (not run: the %d re-runs a scenario's proofs may make are spent)", shown, MaxTrials))
			continue
		}
		if t.err != nil {
			tried = append(tried, fmt.Sprintf("%s (rejected: %s)", shown, firstLine(t.err)))
			continue
		}
		remains := matching(t.viols[sp.rule], v.keys)
		if unchanged(remains, v) {
			tried = append(tried, shown+" (changes nothing)")
			continue
		}
		f := &Fix{Text: texts(c), Set: t.set, Verified: len(remains) == 0, Remains: whats(remains), Introduces: whats(p.introduced(t))}
		if f.Verified && len(f.Introduces) == 0 {
			return f
		}
		if best == nil || (f.Verified && !best.Verified) {
			best = f
		}
	}
	if best != nil {
		return best
	}
	text := "no single change found that removes it"
	if v.hint != "" {
		text += ": " + v.hint
	}
	if len(tried) > 0 {
		text += "; tried " + strings.Join(tried, ", ")
	}
	return &Fix{Text: text}
}

// try re-runs the scenario with a proposal applied, once per proposal.
func (p *prover) try(c candidate) *trial {
	var ovs []scenarios.Override
	t := &trial{}
	for _, ch := range c {
		ovs = append(ovs, ch.override())
		t.set = append(t.set, ch.override().String())
	}
	key := strings.Join(t.set, "\n")
	if old, ok := p.trials[key]; ok {
		return old
	}
	if len(p.trials) >= MaxTrials {
		t.spent = true
		return t
	}
	p.trials[key] = t
	s, err := scenarios.ParseWithOverrides(p.file, p.data, append(append([]scenarios.Override(nil), p.sets...), ovs...))
	if err != nil {
		t.err = err
		return t
	}
	exps, err := sim.Explain(s)
	if err != nil {
		t.err = err
		return t
	}
	res := sim.New(s, p.opts).Run()
	if t.err = res.BudgetErr(); t.err != nil {
		return t
	}
	ev := newEvaluator(s, res, exps)
	t.viols = map[string][]Violation{}
	for _, r := range p.rep.Rules {
		t.viols[r.Rule] = ev.eval(r.spec)
	}
	return t
}

// matching returns the violations that share a key with keys: the same
// root cause on the same subject, wherever it moved in time.
func matching(vs []Violation, keys []string) []Violation {
	var out []Violation
	for _, v := range vs {
		if sharesKey(v.keys, keys) {
			out = append(out, v)
		}
	}
	return out
}

func sharesKey(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

// unchanged: the re-run shows the very same violation.
func unchanged(remains []Violation, v *Violation) bool {
	for _, r := range remains {
		if r.What == v.What {
			return true
		}
	}
	return false
}

// introduced lists the re-run's violations with no counterpart in the
// original run.
func (p *prover) introduced(t *trial) []Violation {
	var out []Violation
	for _, r := range p.rep.Rules {
		for _, v := range t.viols[r.Rule] {
			old := false
			for _, o := range r.Violations {
				old = old || sharesKey(o.keys, v.keys)
			}
			if !old {
				out = append(out, v)
			}
		}
	}
	return out
}

// texts says what a candidate does, one clause per change; the same
// change for several actors is one clause naming them all.
func texts(c candidate) string {
	var parts []string
	done := map[string]bool{}
	for _, ch := range c {
		if ch.tmpl == "" {
			parts = append(parts, ch.text)
			continue
		}
		if done[ch.tmpl] {
			continue
		}
		done[ch.tmpl] = true
		var who []string
		for _, o := range c {
			if o.tmpl == ch.tmpl {
				who = append(who, o.who)
			}
		}
		parts = append(parts, strings.ReplaceAll(ch.tmpl, "{who}", sim.JoinAnd(who)))
	}
	return strings.Join(parts, "; and ")
}

func whats(vs []Violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.What)
	}
	return out
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
