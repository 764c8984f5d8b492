package sim

// Recycling retired credentials' slots (recycle.go): a run that recycles
// must do exactly what one that does not does — the same events in the
// same order (the streamed log names every entity as it goes), the same
// cliffs, outages, services and revocation work — and keep nothing that
// names a freed slot; and its slots must follow the live set.

import (
	"bytes"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// recycleDigest is everything a recycling run must share with the same
// run not recycling: the streamed log, the outcome and event count, the
// cliffs (roots by name, in order), outages, impacts, services, notes and
// the revocation section.
func recycleDigest(r *Result, log []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "outcome %v, %d events to %d\n", r.Outcome, r.Events, r.Horizon)
	for _, c := range r.Cliffs {
		var roots []string // the ones a report names: the first, by issue order
		for _, n := range c.Roots[:min(len(c.Roots), cliffRootsListed)] {
			roots = append(roots, r.EntityID(n))
		}
		fmt.Fprintf(&b, "cliff at %d %v by %v lifetime %d: %d tokens %d leases %d retired, services %v, %d roots %v\n",
			c.At, c.Cause, c.BoundBy, c.Lifetime, c.Tokens, c.Leases, c.Retired, c.Services, c.NumRoots(), roots)
	}
	fmt.Fprintf(&b, "outages %+v\nimpacts %+v\nservices %+v\nnotes %q\n", r.Outages, r.Impacts, r.Services, r.Notes)
	if r.Revocation != nil {
		writeRevocationText(&b, r)
	}
	b.Write(log)
	return b.String()
}

// recycleRun runs s streaming its log at level (all for an exact run,
// lifecycle for an elided one; none asked, no log: a cascade's
// descendants then end in endrun.go's loop), recycling or not; check,
// when set, is called after every event (elided runs too).
func recycleRun(s *scenarios.Scenario, opts Options, recycle bool, check func(*Engine)) (*Engine, string) {
	var log bytes.Buffer
	switch {
	case opts.LogLevel == LogNone:
	case opts.Exact:
		opts.LogTo, opts.LogLevel = &log, LogAll
	default:
		opts.LogTo, opts.LogLevel = &log, LogLifecycle
	}
	opts.Recycle = recycle
	if check != nil {
		opts.Progress = func(model.Instant, int64) {} // afterEvent after every event, elision left on
	}
	e := New(s, opts)
	e.check = check
	r := e.Run()
	return e, recycleDigest(r, log.Bytes())
}

// recycleSources are the scenarios the recycling tests run: the library,
// the generators of TestElisionMatchesExact (n of each) and the cascades
// of TestEndRunsMatchEnded.
func recycleSources(n int) (names, srcs []string) {
	files, _ := filepath.Glob("../scenarios/library/*.yaml")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err == nil {
			names, srcs = append(names, f), append(srcs, string(src))
		}
	}
	for _, g := range []struct {
		name string
		gen  func(uint64) string
		n    int
	}{
		{"property", genScenario, n},
		{"explain", func(seed uint64) string { return genDiffScenario(seed, 0) }, n},
		{"fleet", fleetScenario, n},
		{"tie", tieScenario, n},
		{"in-step", inStepScenario, n / 2},
		{"re-read", rereadScenario, 2 * n},
		{"token fleet", tokenFleetScenario, n},
	} {
		for seed := range uint64(g.n) {
			names, srcs = append(names, fmt.Sprintf("%s seed %d", g.name, seed+1)), append(srcs, g.gen(seed+1))
		}
	}
	for _, c := range []struct{ tokens, revoke bool }{{false, false}, {true, false}, {false, true}} {
		names, srcs = append(names, fmt.Sprintf("cascade %+v", c)), append(srcs, cascadeScenario(3000, c.tokens, c.revoke, true))
	}
	for _, instant := range []bool{false, true} {
		names, srcs = append(names, fmt.Sprintf("mixed cascade instant=%v", instant)), append(srcs, mixedCascadeScenario(instant))
	}
	return names, srcs
}

// recycleOutcome is one scenario's comparison.
type recycleOutcome struct {
	diff     string
	recycled int64
	inUse    int64 // of them, leases that ended in use
	tokens   int64 // of them, tokens
}

// A run recycling retired leases' slots (from the first entity on) and
// the same run keeping every slot give the same log, outcome, event
// count, cliffs, outages, services and revocation section, byte for byte,
// exact and elided, over the library and generated scenarios.
func TestRecyclingChangesNothing(t *testing.T) {
	names, srcs := recycleSources(12)
	var runs, recycling, inUse, tokens int
	for _, exact := range []bool{true, false} {
		results := parallelRuns(len(srcs), func(i int) recycleOutcome {
			s, err := scenarios.Parse("recycle.yaml", []byte(srcs[i]))
			if err != nil {
				return recycleOutcome{}
			}
			// Every other one without the revoker: its leases are released
			// at their end.
			opts := Options{Exact: exact, Budget: 100_000, MaxLive: 20_000, MaxEntities: 40_000, NoRevocation: i%2 == 1}
			_, want := recycleRun(s, opts, false, nil)
			e, got := recycleRun(s, opts, true, nil)
			out := recycleOutcome{recycled: e.rc.recycled, inUse: e.rc.inUse, tokens: e.rc.tok.freed}
			if got != want {
				out.diff = firstDiff([]byte(want), []byte(got))
			}
			return out
		})
		for i, r := range results {
			runs++
			if r.recycled > 0 {
				recycling++
			}
			if r.inUse > 0 {
				inUse++
			}
			if r.tokens > 0 {
				tokens++
			}
			require.Empty(t, r.diff, "%s (exact %v): recycling changed the run\n%s", names[i], exact, srcs[i])
		}
	}
	t.Logf("%d runs compared, %d of them recycled slots, %d of them leases that ended in use, %d of them tokens", runs, recycling, inUse, tokens)
	require.Greater(t, recycling, runs/4, "too few runs recycled anything: the test checks little")
	require.Greater(t, inUse, runs/10, "too few runs recycled leases that ended in use: the test checks little of it")
	require.Greater(t, tokens, runs/16, "too few runs recycled tokens: the test checks little of them")
}

// staleReference is what of the engine still names a freed slot, or "":
// a queued event or keyed timer, a held expiry or chain run, a resume
// entry, a revocation job not done, a replica, a pending loss, a live
// token's list. It runs after every event of a test run: plain loops,
// nothing formatted unless something is found.
func staleReference(e *Engine) string {
	free := func(n model.NodeID) bool { return n >= 0 && int(n) < len(e.ents) && e.hier.Released(n) }
	q := &e.loop.Queue
	for s := range q.slots {
		sl := &q.slots[s]
		if sl.live && (sl.kind == evExpire || sl.kind == evRenew || sl.kind == evRefresh || sl.kind == evClient) && free(model.NodeID(sl.target)) {
			return fmt.Sprintf("a queued event (kind %d) of freed slot %d", sl.kind, sl.target)
		}
	}
	for k, tm := range q.timers {
		if tm.seq != 0 && free(model.NodeID(k)) {
			return fmt.Sprintf("a keyed timer of freed slot %d", k)
		}
	}
	r := &e.el.resume
	var ps []pendingLease
	r.pending.each(func(p pendingLease) { ps = append(ps, p) })
	for _, p := range append(ps, r.now...) {
		if free(p.first) || (r.isMulti(p.blk) && slices.ContainsFunc(r.blocks[p.blk].more, free)) {
			return fmt.Sprintf("a freed slot waits to be queued again in block %d", p.blk)
		}
	}
	freePast := map[int32]bool{}
	for _, i := range e.rc.pasts {
		freePast[i] = true
	}
	if freePast[e.sharedPast] {
		return fmt.Sprintf("the shared past %d is free", e.sharedPast)
	}
	for i := range e.rc.shares {
		if freePast[i] {
			return fmt.Sprintf("past %d is free, shared by %d more", i, e.rc.shares[i])
		}
	}
	for i := range e.ents {
		n, en := model.NodeID(i), &e.ents[i]
		if !free(n) {
			if p := *e.pastRef(n); freePast[p] {
				return fmt.Sprintf("entity %d's past %d is free", n, p)
			}
			if e.hier.Alive(n) && e.hier.Kind(n) != model.LeaseNode {
				bad := model.None
				e.hier.Children(n, func(c model.NodeID) {
					if free(c) {
						bad = c
					}
				})
				if bad != model.None {
					return fmt.Sprintf("token %d lists freed slot %d", n, bad)
				}
			}
			continue
		}
		switch {
		case en.expiry != NoHandle || en.client != NoHandle:
			return fmt.Sprintf("freed slot %d holds an expiry or client event", n)
		case e.hier.Alive(n):
			return fmt.Sprintf("freed slot %d is alive in the hierarchy", n)
		case i < len(r.runs) && r.runs[i] != chainRun{}:
			return fmt.Sprintf("freed slot %d keeps its chain run", n)
		case e.rc.pins.pinned.has(i):
			return fmt.Sprintf("freed slot %d was pinned: a report lists it", n)
		case e.rc.waiting.has(i):
			return fmt.Sprintf("freed slot %d waits for its replica to move on", n)
		}
	}
	for ai := range e.actors {
		for ri, rep := range e.actors[ai].reps {
			if free(rep.lease) || free(rep.token) {
				return fmt.Sprintf("actor %d replica %d holds a freed slot", ai, ri)
			}
		}
	}
	if msg := staleTokenReference(e, free); msg != "" {
		return msg
	}
	for _, c := range e.cliffs.all {
		if slices.ContainsFunc(c.Roots, free) {
			return fmt.Sprintf("a cliff at %d names a freed root", c.At)
		}
	}
	for _, o := range e.rc.pins.outs {
		for _, sn := range o.least[:o.n] {
			if free(sn.n) {
				return fmt.Sprintf("the ends in use noted at %d name freed slot %d", o.at, sn.n)
			}
		}
	}
	for _, ns := range [][]model.NodeID{e.rc.ready, e.rc.later} {
		if slices.ContainsFunc(ns, free) {
			return "a freed slot is to be recycled again"
		}
	}
	for i := range e.pendingLoss.len() {
		if free(e.pendingLoss.at(i).n) {
			return "a pending loss of a freed slot"
		}
	}
	if e.rev != nil {
		msg := ""
		e.rev.jobs.each(func(j int, job revJob) {
			if msg == "" && job.revokedAt < 0 && free(job.lease) {
				msg = fmt.Sprintf("revocation job %d of freed slot %d not done", j, job.lease)
			}
		})
		return msg
	}
	return ""
}

// staleTokenReference is what of the engine still names a freed token's
// slot, or "": a kept entity's parent or its past's root, a freed token
// with a pending re-authentication or model state, the elision's memo, a
// token to check again; and whether the references counted per token
// (recycle_tokens.go) are those the kept entities hold.
func staleTokenReference(e *Engine, free func(model.NodeID) bool) string {
	refs := make([]int32, len(e.tokens))
	for i := range e.ents {
		n, en := model.NodeID(i), &e.ents[i]
		if free(n) {
			if en.kind != entLease && (e.toks[en.ref] != tokenState{reauth: NoHandle} || e.tokens[en.ref].IssueTime != 0) {
				return fmt.Sprintf("freed token slot %d keeps its token's records", n)
			}
			continue
		}
		if p := en.parent; p != model.None {
			if free(p) || e.ents[p].kind == entLease {
				return fmt.Sprintf("entity %d names freed slot %d as its parent", n, p)
			}
			refs[e.ents[p].ref]++
		}
		if r := e.pastOf(n).root; en.ended && r != model.None && r != n {
			if free(r) || e.ents[r].kind == entLease {
				return fmt.Sprintf("entity %d names freed slot %d as its cascade's root", n, r)
			}
			refs[e.ents[r].ref]++
		}
	}
	for i := range e.ents {
		n, en := model.NodeID(i), &e.ents[i]
		if en.kind != entLease && !free(n) && e.rc.tok.refs[en.ref] != refs[en.ref] {
			return fmt.Sprintf("token %d is counted %d references, and %d kept entities name it", n, e.rc.tok.refs[en.ref], refs[en.ref])
		}
	}
	if m := &e.el.memo; m.set && free(m.t) {
		return fmt.Sprintf("the elision's memo is about freed token %d", m.t)
	}
	for _, g := range e.rc.tok.recent {
		if slices.ContainsFunc(g, free) {
			return "a freed token is among the last listed"
		}
	}
	if e.rc.recycled > 0 && slices.ContainsFunc(e.rc.tok.maybe, free) {
		return "a freed token is to be recycled again"
	}
	// A token that may be recycled is noted to be checked: else it is
	// kept to the end, a leak.
	noted := map[model.NodeID]bool{}
	for _, n := range e.rc.tok.maybe {
		noted[n] = true
	}
	for i := range e.ents {
		n := model.NodeID(i)
		if e.ents[i].kind == entLease || free(n) || noted[n] {
			continue
		}
		if ready, later := e.tokenReady(n, e.loop.Now); ready || later {
			return fmt.Sprintf("token %d may be recycled, and is not noted to be checked", n)
		}
	}
	return ""
}

// tokenFleetScenario is a fleet whose replicas hold child tokens of a
// broker's token, re-authenticating at their caps (or before), with or
// without credentials under them, maybe a second level of child tokens
// under the fleet's first replica's, the broker's token capped or
// periodic, and operators revoking tokens, orphaning their children, or
// an outage: token generations end, alone or in cascades, in use or
// replaced, while their leases and child tokens still hold slots.
func tokenFleetScenario(seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x70c3))
	var b strings.Builder
	line := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }
	hours := func(lo, hi int) string { return fmt.Sprintf("%dh", lo+r.IntN(hi-lo+1)) }
	days := 2 + r.IntN(5)
	line("name: token-fleet\ndescription: child tokens re-authenticated\nstart: 2024-01-01T00:00:00Z\nhorizon: %dd\nseed: %d", days, seed)
	line("backend:")
	if r.IntN(3) == 0 {
		line("  revocation: instant")
	}
	line("  mounts:\n    auth/approle: {}\n    database: {default_lease_ttl: 1h, max_lease_ttl: 48h}")
	line("roles:")
	if r.IntN(3) == 0 {
		line("  broker: {mount: auth/approle, token_ttl: %s, token_explicit_max_ttl: %s}", hours(4, 8), hours(20, 40))
	} else {
		line("  broker: {mount: auth/approle, token_period: 24h}")
	}
	line("  app-db: {mount: database, default_ttl: %s, max_ttl: %s}", hours(1, 3), hours(4, 30))
	line("actors:")
	line("  broker: {login: broker, renew: watcher, when_exhausted: reauth}")
	child := func(name, via string, replicas int) {
		f := []string{"via", via, "replicas", fmt.Sprint(replicas),
			"child_token", kv("ttl", hours(1, 3), "explicit_max_ttl", hours(2, 8)),
			"renew", []string{"watcher", "watcher", "none"}[r.IntN(3)]}
		if r.IntN(4) == 0 {
			f = append(f, "when_exhausted", "{reauth: {at: 0.7}}")
		} else {
			f = append(f, "when_exhausted", "reauth")
		}
		if r.IntN(3) > 0 {
			f = append(f, "credential", "app-db", "refresh", []string{"watcher", "renew", kv("at", "0.5")}[r.IntN(3)])
		}
		if r.IntN(2) == 0 {
			f = append(f, "demand", "1/s")
		}
		line("  %s: %s", name, kv(f...))
	}
	// Small fleets list their first and last tokens by name: a few
	// replicas with short caps issue more than those.
	child("fleet", "broker", []int{2, 4, 6, 12, 30}[r.IntN(5)])
	if r.IntN(2) == 0 {
		child("sub", "fleet", 1+r.IntN(8))
	}
	if r.IntN(3) > 0 {
		line("events:")
		for range 1 + r.IntN(4) {
			at := 1 + r.IntN(24*days-1)
			switch k := r.IntN(5); {
			case k < 2:
				line("  - {at: %dh, do: revoke, actor: %s}", at, []string{"broker", "fleet"}[r.IntN(2)])
			case k < 3:
				line("  - {at: %dh, do: revoke-orphan, actor: %s}", at, []string{"broker", "fleet"}[r.IntN(2)])
			case k < 4:
				line("  - {at: %dh, do: reauth, actor: broker}", at)
			default:
				line("  - {at: %dh, do: outage, until: %dh30m}", at, at)
			}
		}
	}
	return b.String()
}

// After every event of runs that recycle, exact and elided, nothing names
// a freed slot (checkNoStale).
func TestRecyclingLeavesNoStaleReference(t *testing.T) {
	names, srcs := recycleSources(4)
	var recycled, inUse, tokens int64
	for _, exact := range []bool{true, false} {
		results := parallelRuns(len(srcs), func(i int) recycleOutcome {
			s, err := scenarios.Parse("recycle.yaml", []byte(srcs[i]))
			if err != nil {
				return recycleOutcome{}
			}
			opts := Options{Exact: exact, Budget: 20_000, MaxLive: 5_000, MaxEntities: 10_000, NoRevocation: i%2 == 1}
			if i%3 == 2 {
				opts.LogLevel = LogNone // cascades end their descendants in endrun.go's loop
			}
			var stale string
			e, _ := recycleRun(s, opts, true, func(e *Engine) {
				if stale == "" && e.rc.recycled > 0 {
					if stale = staleReference(e); stale != "" {
						stale = fmt.Sprintf("at %d, after %d events: %s", e.loop.Now, e.loop.Processed, stale)
					}
				}
			})
			return recycleOutcome{diff: stale, recycled: e.rc.recycled, inUse: e.rc.inUse, tokens: e.rc.tok.freed}
		})
		for i, r := range results {
			require.Empty(t, r.diff, "%s (exact %v)", names[i], exact)
			recycled += r.recycled
			inUse += r.inUse
			tokens += r.tokens
		}
	}
	t.Logf("%d slots recycled, %d of leases that ended in use, %d of tokens", recycled, inUse, tokens)
	require.Positive(t, recycled)
	require.Positive(t, inUse, "no lease that ended in use was recycled: the test checks little of them")
	require.Positive(t, tokens, "no token was recycled: the test checks little of them")
}

// rereadFleet is a fleet re-read at its leases' caps every 2 hours for
// days: a generation every cap, the live set constant.
func rereadFleet(replicas int, days int) *scenarios.Scenario {
	src := fmt.Sprintf(`name: reread-fleet
description: a fleet re-read at its caps
start: 2024-01-01T00:00:00Z
horizon: %dd
seed: 3
backend:
  revocation: instant
  mounts:
    auth/approle: {}
    database: {}
roles:
  broker: {mount: auth/approle, token_period: 24h}
  app-db: {mount: database, default_ttl: 1h, max_ttl: 2h}
actors:
  broker: {login: broker, renew: watcher}
  fleet: {via: broker, credential: app-db, refresh: watcher, replicas: %d}
`, days, replicas)
	s, err := scenarios.Parse("reread.yaml", []byte(src))
	if err != nil {
		panic(err)
	}
	return s
}

// A fleet re-read for many generations keeps, recycling, slots, hierarchy
// nodes, pasts, capped records, keyed timers and chain runs within a small
// multiple of its peak live count; not recycling, they grow with every
// generation.
func TestRecyclingFollowsTheLiveSet(t *testing.T) {
	s := rereadFleet(100, 10)
	for _, exact := range []bool{true, false} {
		var peak int64
		track := func(e *Engine) { peak = max(peak, e.live) }
		e, _ := recycleRun(s, Options{Exact: exact, Budget: 10_000_000}, true, track)
		issued := int64(e.rc.issued)
		require.Greater(t, issued, 40*peak, "exact %v: the fleet re-read too few generations", exact)
		bound := 3*int(peak) + 64
		for what, n := range map[string]int{
			"entities": len(e.ents), "hierarchy": e.hier.Len(), "pasts": len(e.past), "capped": len(e.capped),
			"timers": len(e.loop.Queue.timers), "chain runs": len(e.el.resume.runs), "serials": len(e.rc.serials),
		} {
			require.LessOrEqual(t, n, bound, "exact %v: %s for a peak of %d live, %d issued", exact, what, peak, issued)
		}
		t.Logf("exact %v: %d issued, peak %d live, %d slots, %d pasts, %d capped", exact, issued, peak, len(e.ents), len(e.past), len(e.capped))

		keep, _ := recycleRun(s, Options{Exact: exact, Budget: 10_000_000}, false, nil)
		require.Equal(t, int(issued), len(keep.ents), "exact %v: not recycling keeps every slot", exact)
	}
}

// RecycleAfter: nothing is recycled until more than that many entities
// were issued; then the leases that became ready meanwhile are too.
func TestRecycleAfter(t *testing.T) {
	s := rereadFleet(20, 2)
	for _, c := range []struct {
		after   int64
		recycle bool
	}{{0, true}, {100, true}, {1_000_000, false}} {
		e := New(s, Options{Recycle: true, RecycleAfter: c.after})
		e.Run()
		require.Equal(t, c.recycle, e.rc.recycled > 0, "after %d", c.after)
		if c.recycle {
			require.Less(t, len(e.ents), int(e.rc.issued), "after %d", c.after)
		}
	}
	e := New(s, Options{Recycle: true, RecordLog: true})
	e.Run()
	require.Zero(t, e.rc.recycled, "a log kept in memory names entities at the end: nothing recycled")
}

// Serials are the order of issue: NodeIDs without recycling; with it,
// kept lists the slots held in serial order.
func TestSerialsAndKept(t *testing.T) {
	s := rereadFleet(20, 2)
	e := New(s, Options{})
	e.Run()
	for i := range e.ents {
		require.Equal(t, uint32(i), e.serialOf(model.NodeID(i)))
	}
	require.Len(t, e.kept(), len(e.ents))

	e = New(s, Options{Recycle: true})
	e.Run()
	kept := e.kept()
	require.Len(t, kept, len(e.ents)-e.hier.Free())
	for i := 1; i < len(kept); i++ {
		require.Less(t, e.serialOf(kept[i-1]), e.serialOf(kept[i]))
	}
	for _, n := range kept {
		require.False(t, e.hier.Released(n))
	}
	require.Equal(t, int(e.rc.issued)-int(e.rc.recycled), len(kept), "every entity issued is kept or recycled")
}

// The entity budget bounds the slots kept: a recycling fleet runs on
// where the one keeping every generation stops, with the same flag named.
func TestRecyclingEntityBudget(t *testing.T) {
	s := rereadFleet(50, 4)
	opts := Options{MaxEntities: 500}
	r := New(s, opts).Run()
	require.Equal(t, EntityBudgetExhausted, r.Outcome)
	require.Contains(t, r.BudgetErr().Error(), "--max-entities")
	opts.Recycle = true
	r = New(s, opts).Run()
	require.Equal(t, HorizonReached, r.Outcome)
}

// A retired lease ready to recycle while a pending block of elided leases
// still lists it (resume.go) is parked, not freed, until the block is
// queued: the block would otherwise name its slot's next lease.
func TestRecyclingParksPendingLeases(t *testing.T) {
	s := rereadFleet(20, 2)
	e := New(s, Options{Recycle: true, Budget: 500})
	e.Run() // stopped by its budget with leases elided, waiting in pending blocks
	r := &e.el.resume
	require.Positive(t, r.pending.len())
	n := r.pending.first().first
	pending := r.runs[n].pending
	require.Positive(t, pending)
	r.setRun(n, chainRun{step: 7}) // its run set again (a renewal queued): the count is the lease's
	require.Equal(t, pending, r.runs[n].pending)
	en := &e.ents[n]
	// As if it had been replaced, had ended and been released.
	e.dropExpiry(n)
	en.retired, en.ended = true, true
	e.actors[en.actor].reps[en.replica].lease = model.None
	e.hier.RevokeLease(n)
	e.released(n)
	e.recycle()
	require.False(t, e.hier.Released(n), "freed while a pending block lists it")
	require.True(t, r.runs[n].parked)
	require.Empty(t, e.rc.ready)
	e.pass(e.loop.Horizon + 1) // every pending block queued
	require.False(t, r.runs[n].parked)
	require.Equal(t, []model.NodeID{n}, e.rc.ready)
	e.recycle()
	require.True(t, e.hier.Released(n))
}

// inUseFleet is a fleet whose credentials end in use, generation after
// generation: renewed by their holders (every 40m) up to their 2h cap,
// where they end and are read again, each cap a cliff of the whole fleet.
// With cascade, the broker's token is revoked every 5 hours instead and
// takes the fleet's credentials with it; the broker logs in again and the
// fleet reads new ones.
func inUseFleet(replicas, days int, cascade bool) *scenarios.Scenario {
	refresh := "{every: 40m, increment: 1h}"
	if cascade {
		refresh = "watcher"
	}
	return brokerFleet(days, cascade, "2h", fmt.Sprintf("{via: broker, credential: app-db, refresh: %s, replicas: %d, demand: 1/s}", refresh, replicas))
}

// brokerFleet is a broker's periodic token and fleet, an actor drawing on
// it, for days; with cascade, the broker's token is revoked every 5 hours.
func brokerFleet(days int, cascade bool, dbMax, fleet string) *scenarios.Scenario {
	events := ""
	if cascade {
		events = "events:\n"
		for h := 5; h < 24*days; h += 5 {
			events += fmt.Sprintf("  - {at: %dh, do: revoke, actor: broker}\n", h)
		}
	}
	src := fmt.Sprintf(`name: broker-fleet
description: a fleet drawing on a broker's token
start: 2024-01-01T00:00:00Z
horizon: %dd
seed: 3
backend:
  mounts:
    auth/approle: {}
    database: {}
roles:
  broker: {mount: auth/approle, token_period: 24h}
  app-db: {mount: database, default_ttl: 1h, max_ttl: %s}
actors:
  broker: {login: broker, renew: watcher, when_exhausted: reauth}
  fleet: %s
%s`, days, dbMax, fleet, events)
	s, err := scenarios.Parse("broker-fleet.yaml", []byte(src))
	if err != nil {
		panic(err)
	}
	return s
}

// runFollowsLiveSet runs s recycling and fails unless it issued over 40
// times its peak live count, kept its slots, hierarchy, token records,
// pasts, capped records, keyed timers, chain runs and serials within
// three times that peak plus the entities pinned, and read as the run
// keeping every slot.
func runFollowsLiveSet(t *testing.T, s *scenarios.Scenario, what string) (e *Engine, peak int64) {
	e, got := recycleRun(s, Options{Budget: 10_000_000}, true, func(e *Engine) { peak = max(peak, e.live) })
	require.Greater(t, int64(e.rc.issued), 40*peak, "%s: too few generations", what)
	pinned := 0
	for _, w := range e.rc.pins.pinned {
		pinned += bits.OnesCount64(w)
	}
	bound := 3*int(peak) + 64 + pinned
	for name, n := range map[string]int{
		"entities": len(e.ents), "hierarchy": e.hier.Len(), "tokens": len(e.tokens), "token states": len(e.toks),
		"token references": len(e.rc.tok.refs), "pasts": len(e.past), "capped": len(e.capped),
		"timers": len(e.loop.Queue.timers), "chain runs": len(e.el.resume.runs), "serials": len(e.rc.serials),
	} {
		require.LessOrEqual(t, n, bound, "%s: %s for a peak of %d live, %d issued, %d pinned", what, name, peak, e.rc.issued, pinned)
	}
	t.Logf("%s: %d issued, peak %d live, %d pinned, %d slots, %d recycled in use, %d tokens recycled", what, e.rc.issued, peak, pinned, len(e.ents), e.rc.inUse, e.rc.tok.freed)
	keep, want := recycleRun(s, Options{Budget: 10_000_000}, false, nil)
	require.Equal(t, want, got, "%s: recycling changed the run", what)
	require.Equal(t, int(e.rc.issued), len(keep.ents), "%s: not recycling keeps every slot", what)
	return e, peak
}

// A fleet that loses its credentials in use, at their caps or in a
// cascade, keeps its slots within a small multiple of its live count when
// recycling: the ends in use are recycled but for the few the reports
// name (a cliff's first roots), and the reports read as without.
func TestRecyclingInUseFollowsTheLiveSet(t *testing.T) {
	for _, cascade := range []bool{false, true} {
		e, peak := runFollowsLiveSet(t, inUseFleet(100, 10, cascade), fmt.Sprintf("cascade %v", cascade))
		require.Greater(t, e.rc.inUse, 10*peak, "cascade %v: too few ends in use recycled", cascade)
	}
}

// childTokenFleet is a fleet whose replicas each hold a child token of a
// broker's token, capped at 4 hours, re-authenticating at its cap and
// reading a credential under each new token: a token and a credential
// generation per replica every ~4 hours. With cascade, the broker's token
// is revoked every 5 hours instead, taking every child token and
// credential with it, in use (a cliff rooted at a token).
func childTokenFleet(replicas, days int, cascade bool) *scenarios.Scenario {
	return brokerFleet(days, cascade, "24h", fmt.Sprintf("{via: broker, child_token: {ttl: 2h, explicit_max_ttl: 4h}, when_exhausted: reauth, credential: app-db, replicas: %d, demand: 1/s}", replicas))
}

// A fleet re-authenticating its child tokens for many generations, at
// their caps or in its broker's cascades, keeps, recycling, its slots,
// hierarchy nodes, token records, pasts, capped records, keyed timers and
// chain runs within a small multiple of its peak live count (plus the
// cliff roots pinned), and the run reads as without; not recycling, they
// grow with every generation.
func TestRecyclingTokensFollowsTheLiveSet(t *testing.T) {
	for _, cascade := range []bool{false, true} {
		e, peak := runFollowsLiveSet(t, childTokenFleet(40, 14, cascade), fmt.Sprintf("cascade %v", cascade))
		require.Greater(t, e.rc.tok.freed, 20*peak, "cascade %v: too few tokens recycled", cascade)
	}
}
