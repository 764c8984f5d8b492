package sim

// The differential test of explain against run (issue 9, item 2): over
// generated scenarios — token roles with and without explicit max or
// period, batch and non-renewable tokens, periodic tokens, leases with
// their own caps, tunes and role writes at random times, holders that
// renew with a watcher, at a fraction, every N, or not at all — every
// first-generation entity's end instant, cause and binding layer as `run`
// simulates them must be what `explain` predicted (Explanation.Predicted).
//
// Where the prediction is a range (the outcome depends on exactly when the
// holder renews, model.PredictLife), the run's end must fall inside it;
// the test also requires most comparisons to be exact, so a prediction
// cannot pass by widening its ranges.
//
// Entities whose holder replaced them while they could still be renewed
// (a via parent's new token, a proactive reauth) are left out: from then on
// nothing renews them, which is the holder's choice, not the backend's.
// A replacement after the watcher reported done is kept: that stop is part
// of the prediction.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

var diffN = flag.Int("diff.n", 1000, "number of scenarios TestExplainMatchesRun generates")

// genDiffScenario writes one scenario for the differential test.
func genDiffScenario(seed uint64, shrink int) string {
	g := &propGen{r: rand.New(rand.NewPCG(seed, 0xd1ffe7e5))}
	g.horizon = []model.Duration{2 * model.Day, 7 * model.Day, 20 * model.Day, 40 * model.Day}[g.r.IntN(4)]
	g.horizon = max(g.horizon>>shrink, 6*model.Hour)
	g.head("diff", "sim/differential_test.go", seed)
	g.diffActors()
	g.diffEvents()
	return g.b.String()
}

func (g *propGen) diffActors() {
	g.line("actors:")
	for i := range 1 + g.r.IntN(4) {
		a := propActor{name: fmt.Sprintf("a%d", i)}
		f, _, _ := g.actorToken(&a, 0.5, 0.5, 0.6)
		if a.ownToken {
			renew := []string{"watcher", "watcher", "none",
				kv("at", fmt.Sprint(g.frac(0.4, 0.8))),
				kv("every", g.dur(10*model.Minute, 2*model.Hour).String())}[g.r.IntN(5)]
			if g.chance(0.15) && renew == "watcher" {
				renew = kv("at", fmt.Sprint(g.frac(0.4, 0.8)), "increment", g.dur(time30m, 24*model.Hour).String())
			}
			f = append(f, "renew", renew)
			if g.chance(0.3) {
				f = append(f, "when_exhausted", []string{"reauth", kv("reauth", kv("at", fmt.Sprint(g.frac(0.5, 0.95))))}[g.r.IntN(2)])
			}
		}
		if g.chance(0.4) {
			f = append(f, "replicas", fmt.Sprint(1+g.r.IntN(3)))
		}
		if g.chance(0.6) {
			f = append(f, "credential", g.secrets[g.r.IntN(len(g.secrets))].name)
			f = append(f, "refresh", []string{"watcher", "watcher", "none", kv("at", fmt.Sprint(g.frac(0.5, 0.9)))}[g.r.IntN(4)])
		}
		if g.chance(0.2) {
			f = append(f, "start", (g.instant() / 4).String())
		}
		g.actors = append(g.actors, a)
		g.line("  %s: %s", a.name, kv(f...))
	}
}

const time30m = 30 * model.Minute

// diffEvents draws tunes and role writes only: the changes a prediction
// must follow. Reauths, revokes, deploys and outages are the run's own.
func (g *propGen) diffEvents() {
	n := g.r.IntN(5)
	if n == 0 {
		return
	}
	g.line("events:")
	for range n {
		at := g.instant()
		f := g.tune()
		if g.chance(0.5) {
			f = append([]string{"do", "role"}, g.roleChange()...)
		}
		g.line("  - %s", kv(append([]string{"at", at.String()}, f...)...))
	}
}

// diffRun parses and runs a generated scenario, halving its horizon while
// it would take too many events.
func diffRun(t *testing.T, seed uint64) (*scenarios.Scenario, *Result, string) {
	var src string
	for shrink := range 5 {
		src = genDiffScenario(seed, shrink)
		s, err := scenarios.Parse("diff.yaml", []byte(src))
		if err != nil {
			t.Fatalf("seed %d: generated an invalid scenario: %v\n%s", seed, err, src)
		}
		res := New(s, Options{Budget: 20_000, RecordLog: true}).Run()
		if res.Outcome != BudgetExhausted {
			return s, res, src
		}
	}
	return nil, nil, src
}

var (
	genSuffix   = regexp.MustCompile(`#\d+$`)
	replicaPart = regexp.MustCompile(`\[\d+\]`)
)

// explainID maps a run's entity id ("a1[2].cred#1") to the explanation
// that describes it ("a1.credential").
func explainID(id string) string {
	id = replicaPart.ReplaceAllString(genSuffix.ReplaceAllString(id, ""), "")
	if strings.HasSuffix(id, ".cred") {
		id += "ential"
	}
	return id
}

func normLayer(l model.Layer) string {
	if l.Kind == model.LayerAncestor || l.Kind == model.LayerBatchToken {
		l.Name = explainID(l.Name)
	}
	return l.String()
}

type diffStats struct {
	scenarios, skipped, entities, exact, ranged, replaced int
}

// compareLives checks every first-generation entity of res against exps
// and returns the mismatches, one line each.
func compareLives(res *Result, exps []Explanation, st *diffStats) []string {
	byID := map[string]*Explanation{}
	for i := range exps {
		byID[exps[i].ID] = &exps[i]
	}
	done := map[string]bool{}
	for _, ev := range res.Log {
		if ev.Kind == LogDone {
			done[res.EntityID(ev.Entity)] = true
		}
	}
	var bad []string
	left := map[string]bool{} // entities left out, by run id
	for _, f := range res.Fates() {
		if !strings.HasSuffix(f.ID, "#1") {
			continue
		}
		x := byID[explainID(f.ID)]
		if x == nil {
			bad = append(bad, fmt.Sprintf("%s: no explanation %q", f.ID, explainID(f.ID)))
			continue
		}
		if (f.Replaced && x.Renewed && !done[f.ID] && (!f.Ended || f.ReplacedAt < f.EndedAt)) || left[f.Parent] {
			left[f.ID] = true // and so are the entities below it
			st.replaced++
			continue
		}
		st.entities++
		p := x.Predicted
		horizon := res.Horizon
		if p.Exact {
			st.exact++
			want := "alive"
			if p.End.Set && p.End.At <= horizon {
				cause := Expired
				switch {
				case p.End.By.Kind == model.LayerAncestor:
					cause = Cascade
				case p.HardEnd:
					cause = MaxTTL
				}
				want = fmt.Sprintf("%s at %s by %s", cause, FormatOffset(p.End.At), p.End.By)
			}
			got := "alive"
			if f.Ended {
				got = fmt.Sprintf("%s at %s by %s", f.Cause, FormatOffset(f.EndedAt), normLayer(f.BoundBy))
			}
			if got != want {
				bad = append(bad, fmt.Sprintf("%s: run %s, explain predicted %s", f.ID, got, want))
			}
			continue
		}
		st.ranged++
		latest := model.Instant(1<<62 - 1)
		if p.End.Set {
			latest = p.End.At
		}
		switch {
		case f.Ended && (f.EndedAt < p.Earliest || f.EndedAt > latest):
			bad = append(bad, fmt.Sprintf("%s: run ended at %s (%s), explain predicted between %s and %s",
				f.ID, FormatOffset(f.EndedAt), f.Cause, FormatOffset(p.Earliest), FormatOffset(latest)))
		case !f.Ended && latest <= horizon:
			bad = append(bad, fmt.Sprintf("%s: alive at the horizon, explain predicted an end by %s", f.ID, FormatOffset(latest)))
		}
	}
	return bad
}

func TestExplainMatchesRun(t *testing.T) {
	var st diffStats
	failures := 0
	for seed := uint64(1); st.scenarios < *diffN && seed <= 2*uint64(*diffN); seed++ {
		s, res, src := diffRun(t, seed)
		if s == nil {
			st.skipped++
			continue
		}
		exps, err := Explain(s)
		if err != nil { // the backend refuses an issue (e.g. a child asking for a period)
			st.skipped++
			continue
		}
		st.scenarios++
		if bad := compareLives(res, exps, &st); len(bad) > 0 {
			failures++
			if failures <= 3 {
				t.Errorf("seed %d: explain disagrees with run:\n  %s\n%s", seed, strings.Join(bad, "\n  "), src)
			}
		}
	}
	t.Logf("%d scenarios (%d skipped), %d entities compared: %d exact, %d ranges; %d replaced by their holder left out; %d scenarios disagree",
		st.scenarios, st.skipped, st.entities, st.exact, st.ranged, st.replaced, failures)
	if *diffN >= 1000 {
		if st.scenarios < *diffN {
			t.Errorf("only %d scenarios compared; want %d", st.scenarios, *diffN)
		}
		if st.exact < 4*st.ranged {
			t.Errorf("only %d of %d predictions exact: ranges must stay the exception", st.exact, st.entities)
		}
	}
}
