// Package compare sets two runs side by side — today's configuration and
// a proposed change — and says what the change does to cliffs, hard ends,
// outages and failed requests.
package compare

import (
	"fmt"
	"math"

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
}

// CliffChange is what happened to one cliff between the runs.
type CliffChange struct {
	Change   string // "removed", "added", "moved", "unchanged"
	Actor    string // the actor whose entity is the cliff's root
	Cause    sim.EndCause
	BoundBy  model.Layer
	Baseline *sim.Cliff
	Proposal *sim.Cliff
}

// ServiceDelta compares one service's impact.
type ServiceDelta struct {
	Service                      string
	BaselineDown, ProposalDown   model.Duration
	BaselineFailed, ProposalFail float64
}

// HardEnd is the earliest hard end of a token a side's configuration
// implies (credentials are left out: they are re-read as a matter of
// course, while a token's end takes its subtree with it).
type HardEnd struct {
	Set    bool
	Entity string
	At     model.Instant
	By     model.Layer
}

// Comparison is the whole comparison.
type Comparison struct {
	Baseline, Proposal Side
	Cliffs             []CliffChange
	Services           []ServiceDelta
	BaselineEarliest   HardEnd
	ProposalEarliest   HardEnd
}

// Compare matches the two runs' cliffs by root actor, cause and binding
// layer (in time order), and totals each service's impact.
func Compare(base, prop Side) *Comparison {
	c := &Comparison{Baseline: base, Proposal: prop}
	used := make([]bool, len(prop.Result.Cliffs))
	for i := range base.Result.Cliffs {
		bc := &base.Result.Cliffs[i]
		actor := base.Result.Entities[bc.Roots[0]].Actor
		ch := CliffChange{Change: "removed", Actor: actor, Cause: bc.Cause, BoundBy: bc.BoundBy, Baseline: bc}
		for j := range prop.Result.Cliffs {
			pc := &prop.Result.Cliffs[j]
			if used[j] || pc.Cause != bc.Cause || pc.BoundBy != bc.BoundBy || prop.Result.Entities[pc.Roots[0]].Actor != actor {
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
			c.Cliffs = append(c.Cliffs, CliffChange{Change: "added", Actor: prop.Result.Entities[pc.Roots[0]].Actor,
				Cause: pc.Cause, BoundBy: pc.BoundBy, Proposal: pc})
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
	c.BaselineEarliest = earliest(base.Explain)
	c.ProposalEarliest = earliest(prop.Explain)
	return c
}

func earliest(exps []sim.Explanation) HardEnd {
	var h HardEnd
	for _, e := range exps {
		if e.Kind == sim.KindLease {
			continue
		}
		end := e.Effective
		if end.Set && (!h.Set || end.At < h.At) {
			h = HardEnd{Set: true, Entity: e.ID, At: end.At, By: end.By}
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

// Better reports whether the proposal adds no cliff and no outage time.
func (c *Comparison) Better() bool {
	bd, pd, bf, pf := c.Totals()
	return c.Count("added") == 0 && pd <= bd && pf <= bf
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
	word := "BETTER"
	switch {
	case !c.Better():
		word = "WORSE"
	case len(c.Cliffs) == c.Count("unchanged") && pd == bd:
		word = "SAME"
	}
	if len(parts) == 0 {
		parts = []string{"changes nothing"}
	}
	return fmt.Sprintf("%s: the proposal %s.", word, sim.JoinAnd(parts))
}

// minutes renders an outage total in minutes, the unit incident reviews use.
func minutes(d model.Duration) string {
	return fmt.Sprintf("%.0f min", math.Round(float64(d)/60))
}
