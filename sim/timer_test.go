package sim

// The differential test of one timer per entity (timer.go): over generated
// scenarios, a run that holds expiries while a renewal comes first and the
// same run with every expiry queued as it is (re)scheduled (timers.queueAll,
// the engine as it was) must print the same text report, report.json and
// events.jsonl, byte for byte. The log at level all lists every event in
// the order it ran, so same-instant ties are compared one by one. A third
// of the runs start their seq counter just short of the limit, so the
// queue renumbers mid-run while expiries are held.

import (
	"bytes"
	"flag"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

var timerN = flag.Int("timer.n", 30, "scenarios TestOneTimerMatchesQueued draws from each generator (a third as many from the in-step one)")

// reportDiff returns how the reports of a and b differ: text, report.json
// with every entity and folded, and with log events.jsonl; "" if alike.
func reportDiff(a, b *Result, log bool) string {
	writers := []func(*bytes.Buffer, *Result) error{
		func(b *bytes.Buffer, r *Result) error { return WriteRunText(b, r) },
		func(b *bytes.Buffer, r *Result) error { return WriteReportJSON(b, r, EntitiesAll) },
		func(b *bytes.Buffer, r *Result) error { return WriteReportJSON(b, r, EntitiesFolded) },
	}
	if log {
		writers = append(writers, func(b *bytes.Buffer, r *Result) error { return WriteEventsJSONL(b, r) })
	}
	for _, w := range writers {
		var ba, bb bytes.Buffer
		if err := w(&ba, a); err != nil {
			return err.Error()
		}
		if err := w(&bb, b); err != nil {
			return err.Error()
		}
		if !bytes.Equal(ba.Bytes(), bb.Bytes()) {
			return firstDiff(ba.Bytes(), bb.Bytes())
		}
	}
	return ""
}

// timerCompare runs s with every expiry queued and with one timer per
// entity (its seq counter jumped to jump when non-zero) and returns how
// they differ, and whether the one-timer run renumbered its seqs.
func timerCompare(s *scenarios.Scenario, opts Options, jump uint64) (diff string, renumbered bool) {
	ref := New(s, opts)
	ref.tm.queueAll = true
	rr := ref.Run()
	one := New(s, opts)
	if jump != 0 {
		one.loop.Queue.seq = jump // past the seqs New took: they keep their order
	}
	ro := one.Run()
	if d := reportDiff(rr, ro, opts.RecordLog); d != "" {
		return "queued then one timer: " + d, false
	}
	return "", jump != 0 && one.loop.Queue.seq < jump
}

func TestOneTimerMatchesQueued(t *testing.T) {
	gens := []struct {
		name  string
		gen   func(seed uint64) string
		n     int
		elide bool // also compare elided runs
	}{
		{"property", genScenario, *timerN, false},
		{"explain", func(seed uint64) string { return genDiffScenario(seed, 0) }, *timerN, false},
		{"fleet", fleetScenario, *timerN, true},
		{"tie", tieScenario, *timerN, true},
		{"in-step", inStepScenario, *timerN / 3, true},
	}
	var compared, renumbered, failures int
	for _, g := range gens {
		for seed := uint64(1); seed <= uint64(g.n); seed++ {
			src := g.gen(seed)
			s, err := scenarios.Parse(g.name+".yaml", []byte(src))
			if err != nil {
				continue
			}
			var jump uint64
			if seed%3 == 0 {
				jump = seqLimit - 100 - seed%997 // renumbers early in the run
			}
			// Without a log, renewals take the engine's fast path
			// (renewLeaseFast); the queueAll reference never does.
			runs := []Options{{Budget: elideBudget, Exact: true, RecordLog: true, LogLevel: LogAll}, {Budget: elideBudget, Exact: true}}
			if g.elide {
				runs = append(runs, Options{Budget: elideBudget, RecordLog: seed%2 == 0, LogLevel: LogLifecycle})
			}
			for _, opts := range runs {
				diff, ren := timerCompare(s, opts, jump)
				compared++
				if ren {
					renumbered++
				}
				if diff != "" {
					failures++
					if failures <= 3 {
						t.Errorf("%s generator, seed %d (exact %v, seq from %d): %s\n--- scenario ---\n%s", g.name, seed, opts.Exact, jump, diff, src)
					}
				}
			}
		}
	}
	t.Logf("%d runs compared (%d renumbered mid-run), %d differ", compared, renumbered, failures)
	if *timerN >= 30 && renumbered < compared/5 {
		t.Errorf("only %d of %d runs renumbered their seqs mid-run", renumbered, compared)
	}
}

// TestWatcherSleepFloors: watcherSleep's truncation is floor(x), at least
// 1, as math.Max(1, math.Floor(x)), around whole seconds and across the
// TTLs and graces a watcher sees.
func TestWatcherSleepFloors(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 100_000 {
		rem := model.Duration(rng.Int64N(int64(10 * 365 * model.Day)))
		if i%4 == 0 {
			rem = model.Duration(rng.IntN(10))
		}
		grace := rng.Float64() * 0.2 * float64(rem)
		if i%3 == 0 { // x a whole number, or just below or above one
			rem -= rem % 3
			grace = math.Nextafter(float64(3*rng.IntN(1000)), float64(rng.IntN(3)-1)*math.Inf(1))
			grace = max(grace, 0)
		}
		want := model.Duration(math.Max(1, math.Floor(2.0/3.0*float64(rem)+grace/3)))
		if got := watcherSleep(rem, grace); got != want {
			t.Fatalf("watcherSleep(%d, %v) = %d, want %d", rem, grace, got, want)
		}
	}
}
