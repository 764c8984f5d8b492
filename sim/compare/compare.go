// Package compare sets two runs side by side — today's configuration and
// a proposed change — and says what the change does to cliffs, hard ends,
// outages and failed requests.
package compare

import (
	"fmt"
	"math"
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
	"github.com/leasesim/leasesim/sim"
)

// Side is one of the two runs.
type Side struct {
	Scenario *scenarios.Scenario
	Label    string // what the user named: a file, a built-in, or "NAME with a=b"
	Result   *sim.Result
	Explain  []sim.Explanation
	Leaves   []scenarios.Leaf // the settings of the scenario text as run (scenarios.Leaves)
}

// SettingChange is one setting that differs between the two inputs.
type SettingChange struct {
	Path     string // the --set path
	Old, New string // as written; "" when the side does not set it
}

// CliffChange is what happened to one cliff between the runs.
type CliffChange struct {
	Change   string // "removed", "added", "moved", "unchanged"
	Actor    string // the actor whose entity is the cliff's root
	Cause    sim.EndCause
	BoundBy  model.Layer
	By       string // BoundBy as every output names it ("operator" for a revoke)
	Set      string // the --set path of BoundBy, "" when no setting decides it
	Baseline *sim.Cliff
	Proposal *sim.Cliff
}

// ServiceDelta compares one service's impact.
type ServiceDelta struct {
	Service                      string
	BaselineDown, ProposalDown   model.Duration
	BaselineFailed, ProposalFail float64
}

// HardEnd is the earliest hard end a side's configuration implies for a
// token, or for a credential: the first moment one must have been
// replaced, or it stops working. Tokens and credentials are told apart:
// a credential's short cap would hide the token's end that takes a tree.
type HardEnd struct {
	Set    bool
	Entity string
	Issued model.Instant // when the entity is first issued
	At     model.Instant
	By     model.Layer
}

// Comparison is the whole comparison.
type Comparison struct {
	Baseline, Proposal Side
	Settings           []SettingChange
	Cliffs             []CliffChange
	Services           []ServiceDelta
	BaselineEarliest   HardEnd // of a token
	ProposalEarliest   HardEnd
	// Of a credential.
	BaselineEarliestCredential, ProposalEarliestCredential HardEnd
}

// Compare matches the two runs' cliffs by root actor, cause and binding
// layer (in time order), and totals each service's impact.
func Compare(base, prop Side) *Comparison {
	c := &Comparison{Baseline: base, Proposal: prop, Settings: diffSettings(base.Leaves, prop.Leaves)}
	used := make([]bool, len(prop.Result.Cliffs))
	for i := range base.Result.Cliffs {
		bc := &base.Result.Cliffs[i]
		actor := base.Result.Facts(int(bc.Roots[0])).Actor
		ch := CliffChange{Change: "removed", Actor: actor, Cause: bc.Cause, BoundBy: bc.BoundBy, By: bc.BoundByName(),
			Set: sim.LayerSetting(base.Scenario, bc.BoundBy, actor).Path, Baseline: bc}
		for j := range prop.Result.Cliffs {
			pc := &prop.Result.Cliffs[j]
			if used[j] || pc.Cause != bc.Cause || pc.BoundBy != bc.BoundBy || prop.Result.Facts(int(pc.Roots[0])).Actor != actor {
				continue
			}
			used[j] = true
			ch.Proposal = pc
			ch.Change = "unchanged"
			if pc.At != bc.At || pc.Size() != bc.Size() {
				ch.Change = "moved"
			}
			break
		}
		c.Cliffs = append(c.Cliffs, ch)
	}
	for j := range prop.Result.Cliffs {
		if !used[j] {
			pc := &prop.Result.Cliffs[j]
			actor := prop.Result.Facts(int(pc.Roots[0])).Actor
			c.Cliffs = append(c.Cliffs, CliffChange{Change: "added", Actor: actor, Cause: pc.Cause, BoundBy: pc.BoundBy,
				By: pc.BoundByName(), Set: sim.LayerSetting(prop.Scenario, pc.BoundBy, actor).Path, Proposal: pc})
		}
	}
	idx := map[string]int{}
	for _, s := range base.Result.Services {
		idx[s.Name] = len(c.Services)
		c.Services = append(c.Services, ServiceDelta{Service: s.Name, BaselineDown: s.Down, BaselineFailed: s.FailedRequests})
	}
	for _, s := range prop.Result.Services {
		i, ok := idx[s.Name]
		if !ok {
			i = len(c.Services)
			idx[s.Name] = i
			c.Services = append(c.Services, ServiceDelta{Service: s.Name})
		}
		c.Services[i].ProposalDown, c.Services[i].ProposalFail = s.Down, s.FailedRequests
	}
	c.BaselineEarliest, c.BaselineEarliestCredential = earliest(base.Explain, false), earliest(base.Explain, true)
	c.ProposalEarliest, c.ProposalEarliestCredential = earliest(prop.Explain, false), earliest(prop.Explain, true)
	return c
}

// earliest is the earliest effective end of the credentials (leases) or
// of the tokens.
func earliest(exps []sim.Explanation, leases bool) HardEnd {
	var h HardEnd
	for _, e := range exps {
		if (e.Kind == sim.KindLease) != leases {
			continue
		}
		end := e.Effective
		if end.Set && (!h.Set || end.At < h.At) {
			h = HardEnd{Set: true, Entity: e.ID, Issued: e.IssuedAt, At: end.At, By: end.By}
		}
	}
	return h
}

// Count returns how many cliffs changed in the given way.
func (c *Comparison) Count(change string) int {
	n := 0
	for _, ch := range c.Cliffs {
		if ch.Change == change {
			n++
		}
	}
	return n
}

// Totals sums outage time and failed requests over services.
func (c *Comparison) Totals() (baseDown, propDown model.Duration, baseFailed, propFailed float64) {
	for _, s := range c.Services {
		baseDown += s.BaselineDown
		propDown += s.ProposalDown
		baseFailed += s.BaselineFailed
		propFailed += s.ProposalFail
	}
	return
}

// The verdicts: what the proposal does, all told.
const (
	Better = "better" // something improves and nothing gets worse
	Same   = "same"   // no cliff, outage or failed request changes
	Worse  = "worse"  // something gets worse and nothing improves
	Mixed  = "mixed"  // some things improve, others get worse
)

// Kind is the verdict: better, same, worse or mixed. It weighs the impact
// (outage time, failed requests) and the cliffs (how many; when the first
// comes); a proposal that improves one and worsens the other is mixed.
func (c *Comparison) Kind() string {
	bd, pd, bf, pf := c.Totals()
	impact := sign(int64(pd)-int64(bd)) + sign(int64(pf-bf))
	if sign(int64(pd)-int64(bd))*sign(int64(pf-bf)) < 0 {
		return Mixed
	}
	bc, pc := len(c.Baseline.Result.Cliffs), len(c.Proposal.Result.Cliffs)
	cliffs := sign(int64(pc - bc))
	if cliffs == 0 && bc > 0 { // as many cliffs: the earlier first one is worse
		cliffs = sign(int64(c.Baseline.Result.Cliffs[0].At) - int64(c.Proposal.Result.Cliffs[0].At))
	}
	switch {
	case impact > 0 && cliffs < 0, impact < 0 && cliffs > 0:
		return Mixed
	case impact > 0 || cliffs > 0:
		return Worse
	case impact < 0 || cliffs < 0:
		return Better
	}
	return Same
}

func sign(v int64) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// diffSettings lists the settings that differ, in the baseline's order,
// then those only the proposal sets. List items (events) compare whole and
// by value, so one event inserted does not shift every later one: an item
// only the baseline has is removed, one only the proposal has is added.
// Descriptions and annotations are prose and drawing: left out.
func diffSettings(base, prop []scenarios.Leaf) []SettingChange {
	skip := func(path string) bool {
		return path == "description" || strings.HasPrefix(path, "annotations")
	}
	item := func(l scenarios.Leaf) string { // "events\x00{…}" for list items, "" otherwise
		if i := strings.IndexByte(l.Path, '['); i > 0 && strings.HasSuffix(l.Path, "]") && !strings.Contains(l.Path[i:], ".") {
			return l.Path[:i] + "\x00" + l.Value
		}
		return ""
	}
	pv, pItems, bItems := map[string]string{}, map[string]int{}, map[string]int{}
	for _, l := range prop {
		pv[l.Path] = l.Value
		pItems[item(l)]++
	}
	for _, l := range base {
		bItems[item(l)]++
	}
	seen := map[string]bool{}
	var out []SettingChange
	for _, l := range base {
		seen[l.Path] = true
		switch k := item(l); {
		case skip(l.Path):
		case k != "":
			if pItems[k] > 0 {
				pItems[k]--
			} else {
				out = append(out, SettingChange{Path: l.Path, Old: l.Value})
			}
		case pv[l.Path] != l.Value:
			out = append(out, SettingChange{Path: l.Path, Old: l.Value, New: pv[l.Path]})
		}
	}
	for _, l := range prop {
		switch k := item(l); {
		case skip(l.Path):
		case k != "":
			if bItems[k] > 0 {
				bItems[k]--
			} else {
				out = append(out, SettingChange{Path: l.Path, New: l.Value})
			}
		case !seen[l.Path]:
			out = append(out, SettingChange{Path: l.Path, New: l.Value})
		}
	}
	return out
}

// Verdict is the one-line summary.
func (c *Comparison) Verdict() string {
	bd, pd, bf, pf := c.Totals()
	removed, added, moved := c.Count("removed"), c.Count("added"), c.Count("moved")
	var parts []string
	switch {
	case removed > 0 && removed == len(c.Baseline.Result.Cliffs) && added == 0:
		parts = append(parts, fmt.Sprintf("removes every cliff (%d)", removed))
	case removed > 0:
		parts = append(parts, fmt.Sprintf("removes %d of %d cliffs", removed, len(c.Baseline.Result.Cliffs)))
	}
	if added > 0 {
		parts = append(parts, fmt.Sprintf("ADDS %d cliff%s", added, sim.Plural(added)))
	}
	if moved > 0 {
		parts = append(parts, fmt.Sprintf("moves %d", moved))
	}
	switch {
	case pd < bd:
		parts = append(parts, fmt.Sprintf("saves %s of outage (%s → %s) and %.0f failed requests", minutes(bd-pd), minutes(bd), minutes(pd), bf-pf))
	case pd > bd:
		parts = append(parts, fmt.Sprintf("ADDS %s of outage (%s → %s) and %.0f failed requests", minutes(pd-bd), minutes(bd), minutes(pd), pf-bf))
	case bd == 0:
		parts = append(parts, "neither run has an outage")
	default:
		parts = append(parts, "outage time unchanged")
	}
	word := strings.ToUpper(c.Kind())
	if len(parts) == 0 {
		parts = []string{"changes nothing"}
	}
	return fmt.Sprintf("%s: the proposal %s.", word, sim.JoinAnd(parts))
}

// minutes renders an outage total in minutes, the unit incident reviews use.
func minutes(d model.Duration) string {
	return fmt.Sprintf("%.0f min", math.Round(float64(d)/60))
}
