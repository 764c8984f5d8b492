package sim

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

var foldN = flag.Int("fold.n", 40, "scenarios TestFoldReadsAsKept draws from each generator")

// recyclable picks a pseudo-random share (pct in 100) of the entities
// of a finished run that recycling may fold: retired leases that ended.
func recyclable(r *Result, seed uint64, pct uint64) []model.NodeID {
	e := r.engine
	var out []model.NodeID
	for _, n := range r.kept {
		en := &e.ents[n]
		if en.kind == entLease && en.retired && en.ended && mix64(seed^uint64(n)*0x9e37)%100 < pct {
			out = append(out, n)
		}
	}
	return out
}

// fakeRecycle does to a finished run what recycling (Options.Recycle)
// does to the entities it reuses the slots of, without an engine that
// recycles: it folds them, in an order unlike their issue order as
// recycling meets them, drops them from the kept list, and then
// overwrites their slots with another lease and their capped renewals, as
// a slot's next entity would: a report still reading them reads the
// wrong entity.
func fakeRecycle(r *Result, gone []model.NodeID, seed uint64) {
	e := r.engine
	order := slices.Clone(gone)
	slices.SortFunc(order, func(a, b model.NodeID) int { return cmp.Compare(mix64(seed+uint64(a)), mix64(seed+uint64(b))) })
	for _, n := range order {
		e.fold.add(e, n)
	}
	// Their capped records go with their slots.
	for _, n := range gone {
		if p := e.pastOf(n); p.capped > 0 {
			e.capped[p.capped-1] = CappedRenewal{At: -1}
		}
	}
	r.kept = slices.DeleteFunc(r.kept, func(n model.NodeID) bool { _, found := slices.BinarySearch(gone, n); return found })
	for _, n := range r.kept {
		if e.ents[n].kind == entLease {
			for _, m := range gone {
				e.ents[m] = e.ents[n]
			}
			break
		}
	}
}

// foldReports are the reports that must read the same whether or not a
// run recycled: the text report, the folded report.json and the sweep's
// tally.
func foldReports(r *Result) ([]string, error) {
	var text, js bytes.Buffer
	if err := WriteRunText(&text, r); err != nil {
		return nil, err
	}
	if err := WriteReportJSON(&js, r, EntitiesFolded); err != nil {
		return nil, err
	}
	return []string{text.String(), js.String(), fmt.Sprintf("%+v", r.EndTally())}, nil
}

// foldReportNames name foldReports' reports.
var foldReportNames = []string{"text report", "folded report.json", "sweep tally"}

// foldCase is one run's comparison in TestFoldReadsAsKept.
type foldCase struct {
	name      string
	folded    int  // entities fakeRecycle folded
	inUse     int  // of them, leases that ended in use (recycling runs)
	tokens    int  // of them, tokens (recycling runs)
	cappedWin bool // a folded entity was its group's earliest capped renewal
	diff      string
}

// foldCompare runs s, reads its reports, folds part of it and reads them
// again.
func foldCompare(name string, s *scenarios.Scenario, seed uint64) (c foldCase, ok bool) {
	r := New(s, Options{Budget: elideBudget}).Run()
	if r.Outcome.Exhausted() {
		return c, false
	}
	c.name = name
	want, err := foldReports(r)
	if err != nil {
		c.diff = err.Error()
		return c, true
	}
	// The reports name cliff roots by their slots: none may be recycled.
	for _, cl := range r.Cliffs {
		for _, n := range cl.Roots {
			if r.engine.ents[n].retired {
				c.diff = fmt.Sprintf("cliff root %s was replaced: recycling could reuse its slot", r.EntityID(n))
				return c, true
			}
		}
	}
	gone := recyclable(r, seed, []uint64{35, 80, 100}[seed%3])
	c.folded = len(gone)
	// The sweep's tally of what is folded, entity by entity, before it is.
	var want1 EndTally
	for _, n := range gone {
		f := r.Facts(int(n))
		want1.count(f.Ended, f.Cause, f.BoundBy, 1, f.InUse(), f.EndedAt)
	}
	fakeRecycle(r, gone, seed)
	var got1 EndTally
	r.engine.fold.tally(r.engine, &got1)
	if got1 != want1 {
		c.diff = fmt.Sprintf("the fold tallies %+v of the %d entities it folded, one by one %+v", got1, len(gone), want1)
		return c, true
	}
	for _, l := range listedIndividually(r) {
		c.cappedWin = c.cappedWin || l.fate != nil
	}
	got, err := foldReports(r)
	if err != nil {
		c.diff = err.Error()
		return c, true
	}
	for i := range want {
		if want[i] != got[i] {
			c.diff = fmt.Sprintf("%s after folding %d entities:\n%s", foldReportNames[i], c.folded, firstDiff([]byte(want[i]), []byte(got[i])))
			break
		}
	}
	return c, true
}

// foldSource is a scenario the fold tests run, and the seed that picks
// what they fold.
type foldSource struct {
	name string
	s    *scenarios.Scenario
	seed uint64
}

// foldSources are the library scenarios and *foldN of each of the
// generators TestElisionMatchesExact draws from.
func foldSources(t *testing.T) []foldSource {
	var srcs []foldSource
	for i, l := range scenarios.List() {
		srcs = append(srcs, foldSource{l.Name, load(t, l.Name), uint64(i)})
	}
	gens := []struct {
		name string
		gen  func(seed uint64) string
	}{
		{"property", genScenario},
		{"explain", func(seed uint64) string { return genDiffScenario(seed, 0) }},
		{"fleet", fleetScenario},
		{"tie", tieScenario},
		{"in-step", inStepScenario},
		{"re-read", rereadScenario},
		{"token fleet", tokenFleetScenario},
	}
	for _, g := range gens {
		for i := range *foldN {
			seed := uint64(i + 1)
			s, err := scenarios.Parse(g.name+".yaml", []byte(g.gen(seed)))
			if err != nil {
				continue
			}
			srcs = append(srcs, foldSource{fmt.Sprintf("%s generator, seed %d", g.name, seed), s, seed})
		}
	}
	return srcs
}

// foldAll compares every foldSource with compare, reports the first
// differences, and fails when too few runs folded anything (or listed a
// folded entity as its group's earliest capped renewal) to check much.
func foldAll(t *testing.T, compare func(name string, s *scenarios.Scenario, seed uint64) (foldCase, bool)) (compared, withInUse, withTokens int) {
	srcs := foldSources(t)
	results := parallelRuns(len(srcs), func(i int) foldCase {
		c, ok := compare(srcs[i].name, srcs[i].s, srcs[i].seed)
		if !ok {
			return foldCase{}
		}
		return c
	})
	var withFolds, folded, cappedWins, failures int
	for _, c := range results {
		if c.name == "" {
			continue
		}
		compared++
		folded += c.folded
		if c.folded > 0 {
			withFolds++
		}
		if c.cappedWin {
			cappedWins++
		}
		if c.inUse > 0 {
			withInUse++
		}
		if c.tokens > 0 {
			withTokens++
		}
		if c.diff != "" {
			failures++
			if failures <= 3 {
				t.Errorf("%s: %s", c.name, c.diff)
			}
		}
	}
	t.Logf("%d runs compared, %d with folded entities (%d folded), %d with leases that ended in use folded, %d with tokens folded, %d where a folded entity is listed as its group's earliest capped renewal; %d differ",
		compared, withFolds, folded, withInUse, withTokens, cappedWins, failures)
	require.Greater(t, withFolds, compared/4, "too few runs folded anything: the test checks little")
	require.Positive(t, cappedWins, "no folded entity was listed as its group's earliest capped renewal: the test checks little of it")
	return compared, withInUse, withTokens
}

// TestFoldReadsAsKept: a run whose retired, ended leases were folded
// (fakeRecycle, as recycling does before it reuses their slots) reports
// byte for byte what it reported with every entity kept — text report,
// folded report.json, sweep tally — over the library and generated
// scenarios.
func TestFoldReadsAsKept(t *testing.T) { foldAll(t, foldCompare) }

// recycleCompare runs s with recycling and without (Options.Recycle, from
// the first entity), the revoker on or off, elided or exact as seed says,
// and compares their reports.
func recycleCompare(name string, s *scenarios.Scenario, seed uint64) (c foldCase, ok bool) {
	opts := Options{Budget: elideBudget, NoRevocation: seed%3 == 1, Exact: seed%5 == 4}
	plain := New(s, opts).Run()
	if plain.Outcome.Exhausted() {
		return c, false
	}
	opts.Recycle = true
	rec := New(s, opts).Run()
	c.name, c.folded, c.inUse, c.tokens = name, rec.Recycled(), int(rec.engine.rc.inUse), int(rec.engine.rc.tok.freed)
	for _, l := range listedIndividually(rec) {
		c.cappedWin = c.cappedWin || l.fate != nil
	}
	want, err := foldReports(plain)
	if err == nil {
		var got []string
		if got, err = foldReports(rec); err == nil {
			for i := range want {
				if want[i] != got[i] {
					c.diff = fmt.Sprintf("%s with %d entities recycled:\n%s", foldReportNames[i], c.folded, firstDiff([]byte(want[i]), []byte(got[i])))
					break
				}
			}
		}
	}
	if err != nil {
		c.diff = err.Error()
	}
	return c, true
}

// TestRecycleChangesNoReport: a run that recycles the slots of the
// credentials that ended (Options.Recycle: retired ones, and those that
// ended in use but for the ones a report names) writes the text report,
// the folded report.json and the sweep's tally byte for byte as the same
// run that keeps every entity, over the library and generated scenarios.
func TestRecycleChangesNoReport(t *testing.T) {
	compared, inUse, tokens := foldAll(t, recycleCompare)
	require.Greater(t, inUse, compared/10, "too few runs recycled leases that ended in use: the test checks little of them")
	require.Greater(t, tokens, compared/10, "too few runs recycled tokens: the test checks little of them")
}
