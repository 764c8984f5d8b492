package sim

// Property tests of the engine: many random scenarios, generated as YAML
// text from a seeded PCG and parsed with scenarios.Parse (the real path),
// each run with an Observe hook that checks after every event:
//
//   - time never runs backwards, and Observe sees every event once;
//   - no live token or lease has an ancestor (by the parent links recorded
//     at creation, e.ents[n].parent) that has ended, except across links
//     cut by revoke-orphan (semantics.md §6.1, §6.3), which the checker
//     tracks itself from the event log; the hierarchy agrees with those
//     links and with which entities are alive;
//   - no live entity is past its hard end or its ExpireTime, nor at it
//     once anything but an expiry has run at that instant (expiries at an
//     instant run first, semantics.md §6.2), and its expiry timer is
//     pending at exactly its ExpireTime (checked whenever that changes);
//   - an entity ends at the instant it is seen ending, with a cause that
//     fits: expired/max-ttl exactly at its ExpireTime (max-ttl: at its
//     hard end), cascade from an ended ancestor at the same instant,
//     parent-revoked only for the batch children of a revoke-orphan,
//     revoked only by a scripted revoke; ended entities stay ended;
//   - service accounting: failing equals the replicas whose valid flag is
//     false, each valid flag matches what the replica holds, and failed
//     requests never decrease.
//
// After the run, checkRunInvariants (invariants_test.go) checks the whole
// log, the result, report.json and events.jsonl: nothing renewed or issued
// after an end or under an ended token, nothing succeeding while the
// backend is down, the same counts of entities, ends, cliffs, outages and
// failed requests everywhere, and a well-formed event log.
//
// Besides logins, token creates, child tokens, credentials, renewals,
// roles, tunes and revokes, the generator makes (from a separate random
// stream, so the rest is drawn as before) live tokens at start
// (existing:), 1-2 s TTLs over minutes, deep replica counts (20-49) and
// extra scripted outages. Every fourth seed pins backend.revocation:
// instant; the others run Vault's expiration manager, the default, whose
// events.jsonl lines and counts checkRunInvariants checks too.
//
// Each scenario also runs twice more: on the same *Scenario without Observe,
// where report.json and events.jsonl must be byte-identical to the observed
// run's, and parsed afresh without the event log, where report.json must
// be (determinism; observing and logging change nothing). A failure prints the generator seed and the
// scenario YAML; reproduce one with
//
//	go test ./sim -run TestEngineProperties -prop.seed=SEED -v
//
// and run more scenarios with -prop.n=5000.

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

var (
	propN    = flag.Int("prop.n", 300, "number of random scenarios TestEngineProperties generates")
	propSeed = flag.Uint64("prop.seed", 0, "run only the scenario generated from this seed (0: seeds 1..prop.n)")
)

// ---- the generator ----

// propGen writes one random scenario as YAML.
type propGen struct {
	r       *rand.Rand
	horizon model.Duration
	sysMax  model.Duration // effective server max (768h when unset)
	mounts  []string
	auth    []propRole
	token   []propRole
	secrets []propRole
	actors  []propActor
	// batchParents are via targets of actors whose child tokens may be batch.
	batchParents []string
	second       bool // some TTLs are 1 s (issue 13: the runaway case)
	revInstant   bool // backend.revocation: instant (no draw: the streams are as before)
	// x draws what issue 13 added (existing tokens, 1 s TTLs, deep
	// replicas, more outages), so r draws the rest as before.
	x *rand.Rand
	b strings.Builder
}

type propRole struct {
	name  string
	batch bool
}

type propActor struct {
	name     string
	source   bool // has a login or token of its own: a valid via target
	ownToken bool // login, token or child_token: reauth/revoke can name it
}

// propDurs are the "round" durations scenarios use; dur also draws odd ones.
var propDurs = []model.Duration{
	30 * model.Minute, model.Hour, 2 * model.Hour, 4 * model.Hour, 6 * model.Hour, 8 * model.Hour,
	12 * model.Hour, 24 * model.Hour, 36 * model.Hour, 48 * model.Hour, 72 * model.Hour, 96 * model.Hour,
	168 * model.Hour, 336 * model.Hour, 720 * model.Hour, 768 * model.Hour, 1000 * model.Hour,
	2000 * model.Hour, 8760 * model.Hour,
}

func (g *propGen) chance(p float64) bool { return g.r.Float64() < p }

// dur draws a duration in [lo, hi]: mostly a round one, sometimes any second.
func (g *propGen) dur(lo, hi model.Duration) model.Duration {
	if g.chance(0.75) {
		var in []model.Duration
		for _, d := range propDurs {
			if d >= lo && d <= hi {
				in = append(in, d)
			}
		}
		if len(in) > 0 {
			return in[g.r.IntN(len(in))]
		}
	}
	return lo + model.Duration(g.r.Int64N(int64(hi-lo)+1))
}

// instant draws a time in [0, horizon]: often on the hour, where expiries
// of tokens issued at 0 with round TTLs fall, so ties are common.
func (g *propGen) instant() model.Duration {
	t := model.Duration(g.r.Int64N(int64(g.horizon) + 1))
	if g.chance(0.5) {
		t -= t % model.Hour
	}
	return t
}

func (g *propGen) frac(lo, hi float64) float64 {
	return float64(int((lo+g.r.Float64()*(hi-lo))*1000)) / 1000
}

func (g *propGen) line(format string, args ...any) {
	fmt.Fprintf(&g.b, format, args...)
	g.b.WriteByte('\n')
}

// kv joins "key: value" pairs into a flow mapping, skipping empty values.
func kv(pairs ...string) string {
	var parts []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			parts = append(parts, pairs[i]+": "+pairs[i+1])
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// ds formats a duration, "" for zero (the key is left out).
func ds(d model.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// Bounds on a generated scenario's size. The per-event checks cost
// O(live entities), and a few policies churn (a token created at its max
// with renew {every: 1h} re-authenticates hourly, and every replaced token
// lives on to its own end), so a scenario over these bounds is generated
// again from the same seed with its horizon halved.
const (
	propMaxEvents   = 3000
	propMaxEntities = 800
)

// genScenario returns the scenario of a generator seed as YAML.
func genScenario(seed uint64) string {
	var src string
	for shrink := range 4 {
		src = genScenarioShrunk(seed, shrink)
		s, err := scenarios.Parse("size.yaml", []byte(src))
		if err != nil {
			return src
		}
		e := New(s, Options{Budget: propMaxEvents})
		if res := e.Run(); res.Outcome != BudgetExhausted && len(e.ents) <= propMaxEntities {
			return src
		}
	}
	return src
}

// genScenarioShrunk generates from seed with the horizon divided by 2^shrink.
func genScenarioShrunk(seed uint64, shrink int) string {
	g := &propGen{r: rand.New(rand.NewPCG(seed, 0x5eed1ea5e)), x: rand.New(rand.NewPCG(seed, 0x155e13))}
	g.revInstant = seed%4 == 0      // a quarter keep the instant model; the rest get Vault's (the default)
	g.second = g.x.Float64() < 0.06 // 1 s TTLs: churn, so a horizon of minutes
	switch {
	case g.second:
		g.horizon = g.dur(2*model.Minute, 20*model.Minute)
	case g.chance(0.15):
		g.horizon = g.dur(2*model.Hour, 2*model.Day)
	case g.chance(0.4):
		g.horizon = g.dur(2*model.Day, 60*model.Day)
	default:
		g.horizon = []model.Duration{7 * model.Day, 33 * model.Day, 40 * model.Day, 60 * model.Day}[g.r.IntN(4)]
	}
	if g.second {
		g.horizon = max(g.horizon>>shrink, model.Minute)
	} else {
		g.horizon = max(g.horizon>>shrink, model.Hour)
	}
	g.head("prop", "sim/property_test.go", seed)
	g.actorsYAML()
	g.events()
	return g.b.String()
}

// head writes a generated scenario's opening lines, backend and roles;
// the property and differential generators share it, and its draws.
func (g *propGen) head(name, file string, seed uint64) {
	g.line("name: %s-%d", name, seed)
	g.line("description: generated by %s from seed %d", file, seed)
	g.line("start: 2024-01-01T00:00:00Z")
	g.line("horizon: %s", g.horizon)
	g.line("seed: %d", g.r.Uint64N(1000))
	g.backend()
	g.roles()
}

func (g *propGen) backend() {
	var sysDef, sysMax model.Duration
	switch g.r.IntN(4) {
	case 1: // max alone: the default stays 768h, so the max may not be lower
		sysMax = g.dur(768*model.Hour, 8760*model.Hour)
	case 2:
		sysMax = g.dur(48*model.Hour, 2000*model.Hour)
		sysDef = g.dur(model.Hour, sysMax)
	case 3:
		sysDef = g.dur(model.Hour, 768*model.Hour)
	}
	g.sysMax = sysMax
	if g.sysMax == 0 {
		g.sysMax = model.DefaultSystemTTL
	}
	g.line("backend:")
	if g.revInstant {
		g.line("  revocation: instant")
	}
	if sysDef > 0 {
		g.line("  default_lease_ttl: %s", sysDef)
	}
	if sysMax > 0 {
		g.line("  max_lease_ttl: %s", sysMax)
	}
	g.line("  mounts:")
	g.mounts = []string{"auth/approle", "database"}
	if g.chance(0.3) {
		g.mounts = append(g.mounts, model.TokenMountPath)
	}
	for _, m := range g.mounts {
		var def, mx model.Duration
		if g.chance(0.6) {
			switch g.r.IntN(3) {
			case 0: // max only, often above the server max (a tune may exceed it)
				if g.chance(0.4) {
					mx = max(2*g.sysMax, 8760*model.Hour)
				} else {
					mx = g.dur(model.Hour, 8760*model.Hour)
				}
			case 1: // default only: at most the server max
				def = g.dur(30*model.Minute, g.sysMax)
			default:
				mx = g.dur(model.Hour, 8760*model.Hour)
				def = g.dur(30*model.Minute, mx)
			}
		}
		g.line("    %s: %s", m, kv("default_lease_ttl", ds(def), "max_lease_ttl", ds(mx)))
	}
}

func (g *propGen) roles() {
	g.line("roles:")
	for i := range 1 + g.r.IntN(2) {
		r := propRole{name: fmt.Sprintf("login-%d", i), batch: g.chance(0.08)}
		var ttl, mx, explicit, period model.Duration
		if g.chance(0.7) {
			ttl = g.dur(30*model.Minute, 168*model.Hour)
		}
		if g.second && g.x.Float64() < 0.6 {
			ttl = model.Duration(1 + g.x.IntN(3))
		}
		if g.chance(0.5) {
			mx = g.dur(max(ttl, model.Hour), 2000*model.Hour)
		}
		if g.chance(0.3) {
			explicit = g.dur(model.Hour, 2000*model.Hour)
		}
		if !r.batch && g.chance(0.3) {
			period = g.dur(model.Hour, 168*model.Hour)
		}
		typ := ""
		if r.batch {
			typ = "batch"
		}
		g.auth = append(g.auth, r)
		g.line("  %s: %s", r.name, kv("mount", "auth/approle", "token_ttl", ds(ttl), "token_max_ttl", ds(mx),
			"token_explicit_max_ttl", ds(explicit), "token_period", ds(period), "token_type", typ))
	}
	for i := range g.r.IntN(3) {
		r := propRole{name: fmt.Sprintf("trole-%d", i), batch: g.chance(0.08)}
		var explicit, period model.Duration
		if g.chance(0.3) {
			explicit = g.dur(model.Hour, 2000*model.Hour)
		}
		if !r.batch && g.chance(0.25) {
			period = g.dur(model.Hour, 168*model.Hour)
		}
		orphan, renewable, typ := "", "", ""
		if r.batch || g.chance(0.3) {
			orphan = "true"
		}
		if g.chance(0.1) {
			renewable = "false"
		}
		if r.batch {
			typ = "batch"
		}
		g.token = append(g.token, r)
		g.line("  %s: %s", r.name, kv("mount", model.TokenMountPath, "explicit_max_ttl", ds(explicit), "period", ds(period),
			"orphan", orphan, "renewable", renewable, "token_type", typ))
	}
	for i := range 1 + g.r.IntN(2) {
		r := propRole{name: fmt.Sprintf("db-%d", i)}
		var def, mx model.Duration
		if g.chance(0.8) {
			def = g.dur(model.Hour, 72*model.Hour)
		}
		if g.second && g.x.Float64() < 0.6 {
			def = model.Second
		}
		if g.chance(0.7) {
			mx = g.dur(model.Hour, 2000*model.Hour)
		}
		g.secrets = append(g.secrets, r)
		g.line("  %s: %s", r.name, kv("mount", "database", "default_ttl", ds(def), "max_ttl", ds(mx)))
	}
}

// tokenRequest draws token: {…} (child false) or child_token: {…}.
func (g *propGen) tokenRequest(child bool) string {
	var ttl, explicit, period model.Duration
	batch := g.chance(map[bool]float64{false: 0.08, true: 0.2}[child])
	if g.chance(0.7) {
		ttl = g.dur(30*model.Minute, 768*model.Hour)
	}
	if !batch && g.chance(0.2) {
		explicit = g.dur(model.Hour, 2000*model.Hour)
	}
	// A child's period needs sudo, which a child's parent lacks: an issue
	// failure, kept rare.
	if p := map[bool]float64{false: 0.15, true: 0.03}[child]; !batch && g.chance(p) {
		period = g.dur(model.Hour, 168*model.Hour)
	}
	role, noParent, typ, renewable := "", "", "", ""
	if len(g.token) > 0 && g.chance(0.3) {
		role = g.token[g.r.IntN(len(g.token))].name
	}
	if child && g.chance(0.15) {
		noParent = "true"
	}
	if batch {
		typ = "batch"
	}
	if g.chance(0.08) {
		renewable = "false"
	}
	return kv("role", role, "ttl", ds(ttl), "explicit_max_ttl", ds(explicit), "period", ds(period),
		"no_parent", noParent, "type", typ, "renewable", renewable)
}

func (g *propGen) renew() string {
	inc := ""
	if g.chance(0.2) {
		inc = g.dur(30*model.Minute, 168*model.Hour).String()
	}
	switch g.r.IntN(4) {
	case 0:
		return "none"
	case 1:
		return "watcher"
	case 2:
		at := g.frac(0.3, 0.9)
		jitter := ""
		if g.chance(0.6) {
			jitter = fmt.Sprint(g.frac(0, min(at, 1-at)-0.01))
		}
		return kv("at", fmt.Sprint(at), "jitter", jitter, "increment", inc)
	default:
		return kv("every", g.dur(10*model.Minute, 24*model.Hour).String(), "increment", inc)
	}
}

func (g *propGen) actorsYAML() {
	g.line("actors:")
	n := 1 + g.r.IntN(6)
	for i := range n {
		a := propActor{name: fmt.Sprintf("a%d", i)}
		f, via, req := g.actorToken(&a, 0.45, 0.65, 0.5)
		if strings.Contains(req, "type: batch") {
			g.batchParents = append(g.batchParents, via)
		}
		if a.ownToken {
			if g.chance(0.7) {
				f = append(f, "renew", g.renew())
			}
			if g.chance(0.6) {
				f = append(f, "when_exhausted", []string{"none", "reauth", kv("reauth", kv("at", fmt.Sprint(g.frac(0.5, 0.95))))}[g.r.IntN(3)])
			}
		}
		// A live token at start (existing:), as imported from a lookup:
		// only an actor with a login or token of its own, and one replica.
		existing := a.source && g.x.Float64() < 0.15
		if existing {
			f = append(f, "existing", g.existing())
		}
		deep := g.x.Float64() < 0.03
		switch {
		case g.chance(0.6) && !existing && !deep:
			f = append(f, "replicas", fmt.Sprint(1+g.r.IntN(5)))
		case deep && !existing:
			f = append(f, "replicas", fmt.Sprint(20+g.x.IntN(30))) // deep: big cascades
		}
		if g.chance(0.6) {
			f = append(f, "credential", g.secrets[g.r.IntN(len(g.secrets))].name)
			if g.chance(0.6) {
				f = append(f, "refresh", []string{"watcher", "none", kv("at", fmt.Sprint(g.frac(0.5, 0.9)))}[g.r.IntN(3)])
			}
		}
		if g.chance(0.5) {
			f = append(f, "demand", fmt.Sprintf("%d/s", 1+g.r.IntN(100)))
		}
		if !existing && g.chance(0.2) {
			f = append(f, "start", (g.instant() / 2).String())
		}
		g.actors = append(g.actors, a)
		g.line("  %s: %s", a.name, kv(f...))
	}
}

// actorToken draws how actor a gets a token: a login (pLogin) or a token
// of its own (with probability pOwn, or when no earlier actor has one), or
// via an earlier actor's, with a child token of it (pChild). It returns the
// YAML fields, the via target and the child token request, if any.
func (g *propGen) actorToken(a *propActor, pOwn, pLogin, pChild float64) (f []string, via, req string) {
	var sources []string
	for _, o := range g.actors {
		if o.source {
			sources = append(sources, o.name)
		}
	}
	if len(sources) == 0 || g.chance(pOwn) {
		a.source, a.ownToken = true, true
		if g.chance(pLogin) {
			return []string{"login", g.auth[g.r.IntN(len(g.auth))].name}, "", ""
		}
		return []string{"token", g.tokenRequest(false)}, "", ""
	}
	via = sources[g.r.IntN(len(sources))]
	f = []string{"via", via}
	if g.chance(pChild) {
		a.ownToken = true
		req = g.tokenRequest(true)
		f = append(f, "child_token", req)
	}
	return f, via, req
}

// existing draws a live token as a lookup reports it: issued up to 40 days
// before start, expiring within its TTL after start.
func (g *propGen) existing() string {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	ttl := model.Hour * model.Duration(1+g.x.IntN(168))
	issue := start.Add(-model.Duration(g.x.Int64N(int64(40 * model.Day))).Std())
	expire := start.Add(model.Duration(1 + g.x.Int64N(int64(ttl))).Std())
	var explicit string
	if g.x.Float64() < 0.3 {
		explicit = (ttl + model.Duration(g.x.Int64N(int64(2000*model.Hour)))).String()
	}
	return kv("accessor", fmt.Sprintf("acc%d", g.x.IntN(1000)), "issue_time", `"`+issue.Format(time.RFC3339)+`"`,
		"expire_time", `"`+expire.Format(time.RFC3339)+`"`, "ttl", ttl.String(), "explicit_max_ttl", explicit)
}

func (g *propGen) events() {
	n := g.r.IntN(9)
	outages := 0
	if g.x.Float64() < 0.35 {
		outages = 1 + g.x.IntN(2) // scripted outages beyond the random draw
	}
	if n+outages == 0 {
		return
	}
	var own, sources []string
	for _, a := range g.actors {
		if a.ownToken {
			own = append(own, a.name)
		}
		if a.source {
			sources = append(sources, a.name)
		}
	}
	g.line("events:")
	for range n {
		at := g.instant()
		var f []string
		switch k := g.r.IntN(7); {
		case k <= 2 && len(own) > 0:
			target := own[g.r.IntN(len(own))]
			switch {
			case k != 2:
			case len(g.batchParents) > 0 && g.chance(0.5):
				// a revoke-orphan that ends batch children (§3.2)
				target = g.batchParents[g.r.IntN(len(g.batchParents))]
			case g.chance(0.7):
				// revoke-orphan mostly on tokens with children (the via targets)
				target = sources[g.r.IntN(len(sources))]
			}
			f = []string{"do", []string{"reauth", "revoke", "revoke-orphan"}[k], "actor", target}
		case k == 3:
			f = g.tune()
		case k == 4:
			f = append([]string{"do", "role"}, g.roleChange()...)
		case k == 5:
			f = []string{"do", "deploy"}
			if g.chance(0.5) {
				f = append(f, "actor", g.actors[g.r.IntN(len(g.actors))].name)
			}
		default:
			at, f = g.outage(at)
		}
		g.line("  - %s", kv(append([]string{"at", at.String()}, f...)...))
	}
	for range outages {
		at, f := g.outage(g.instant())
		g.line("  - %s", kv(append([]string{"at", at.String()}, f...)...))
	}
}

// outage draws a scripted outage from at (moved before the horizon).
func (g *propGen) outage(at model.Duration) (model.Duration, []string) {
	if at >= g.horizon {
		at = g.horizon - min(model.Hour, g.horizon/2)
	}
	until := min(at+g.dur(model.Minute, 12*model.Hour), g.horizon)
	return at, []string{"do", "outage", "until", until.String()}
}

// tune draws do: tune, mount: PATH, set: {…} that keeps the mount valid.
func (g *propGen) tune() []string {
	var def, mx string
	switch g.r.IntN(4) {
	case 0:
		def, mx = "system", "system"
	case 1:
		m := g.dur(model.Hour, 8760*model.Hour)
		def, mx = "system", m.String()
	default:
		m := g.dur(model.Hour, 8760*model.Hour)
		def, mx = g.dur(30*model.Minute, m).String(), m.String()
	}
	return []string{"do", "tune", "mount", g.mounts[g.r.IntN(len(g.mounts))], "set", kv("default_lease_ttl", def, "max_lease_ttl", mx)}
}

// roleChange draws role: NAME, set: {…} that keeps the role valid.
func (g *propGen) roleChange() []string {
	switch k := g.r.IntN(3); {
	case k == 0 || (k == 1 && len(g.token) == 0):
		r := g.auth[g.r.IntN(len(g.auth))]
		var set string
		switch c := g.r.IntN(3); {
		case c == 0:
			ttl := g.dur(30*model.Minute, 168*model.Hour)
			set = kv("token_ttl", ttl.String(), "token_max_ttl", g.dur(ttl, 2000*model.Hour).String())
		case c == 1 && !r.batch:
			set = kv("token_period", g.dur(model.Hour, 168*model.Hour).String())
		default:
			set = kv("token_explicit_max_ttl", g.dur(model.Hour, 2000*model.Hour).String())
		}
		return []string{"role", r.name, "set", set}
	case k == 1:
		r := g.token[g.r.IntN(len(g.token))]
		set := kv("token_explicit_max_ttl", g.dur(model.Hour, 2000*model.Hour).String())
		if !r.batch && g.chance(0.5) {
			set = kv("token_period", g.dur(model.Hour, 168*model.Hour).String())
		}
		return []string{"role", r.name, "set", set}
	default:
		r := g.secrets[g.r.IntN(len(g.secrets))]
		return []string{"role", r.name, "set", kv("default_ttl", g.dur(model.Hour, 72*model.Hour).String(),
			"max_ttl", g.dur(model.Hour, 2000*model.Hour).String())}
	}
}

// propDeep matches a deep replica count (20 or more).
var propDeep = regexp.MustCompile(`replicas: ([2-9][0-9]|[0-9]{3,})\b`)

// ---- the checker ----

// propStats counts what the generated scenarios exercised, so that a
// generator gone bland fails the test instead of checking nothing.
type propStats struct {
	scenarios, invalid int
	events             int64
	causes             [Orphaned + 1]int
	freed              int // child tokens freed by a revoke-orphan
	retired            int
	outages            int
	// scenarios with what issue 13 asked the generator for
	existing, second, deep, scripted int
}

func (s *propStats) add(o propStats) {
	s.scenarios += o.scenarios
	s.invalid += o.invalid
	s.events += o.events
	for i := range s.causes {
		s.causes[i] += o.causes[i]
	}
	s.freed += o.freed
	s.retired += o.retired
	s.outages += o.outages
	s.existing += o.existing
	s.second += o.second
	s.deep += o.deep
	s.scripted += o.scripted
}

// propChecker is the Observe hook: it follows the run incrementally (new
// entities, the live set, new log entries) so a check costs O(live).
type propChecker struct {
	err    string
	now    model.Instant
	events int64
	seen   int              // entities registered so far
	live   []model.NodeID   // entities alive at the last observation
	kids   [][]model.NodeID // children by creation-time parent
	freed  []bool           // the link to the parent was cut by revoke-orphan
	ended  []bool
	endAt  []model.Instant
	cause  []EndCause
	exp    []model.Instant // ExpireTime when the expiry timer was last checked
	// observed marks adopted live tokens whose observed expiry lies past
	// the hard end the model computes: they live to that expiry.
	observed []bool
	logPos   int
	failed   []float64
	stats    *propStats

	// next is the event the loop will process next, peeked at the end of
	// each observation (and by prime before the run): when Observe is
	// called, it is the event just processed.
	next     Event
	hasNext  bool
	clientAt model.Instant // last instant at which a script or client event ran (-1: none)
}

// prime peeks at the first event before the run starts.
func (c *propChecker) prime(e *Engine) {
	c.clientAt = -1
	c.next, c.hasNext = e.loop.Queue.Peek()
}

func (c *propChecker) failf(e *Engine, format string, args ...any) {
	if c.err == "" {
		c.err = fmt.Sprintf("after event #%d at t=%d (%s): ", e.loop.Processed, e.Now(), FormatOffset(e.Now())) + fmt.Sprintf(format, args...)
	}
}

// propID prints an entity's id, computed only when a message is formatted.
type propID struct {
	e *Engine
	n model.NodeID
}

func (p propID) String() string { return p.e.EntityID(p.n) }

// grantOf is an entity's current expiry and most recent grant.
func grantOf(e *Engine, n model.NodeID) (model.Instant, bool, *model.Grant) {
	if e.ents[n].kind == entLease {
		g := e.grant(n)
		return e.lease(n).ExpireTime(), false, &g
	}
	t := e.token(n)
	return t.ExpireTime, t.NoExpiry, &t.Grant
}

func (c *propChecker) observe(e *Engine) {
	if c.err != "" {
		return
	}
	now := e.Now()
	if now < c.now {
		c.failf(e, "time went backwards from %d", c.now)
	}
	c.now = now
	c.events++
	if e.loop.Processed != c.events {
		c.failf(e, "Observe saw %d events, the loop processed %d", c.events, e.loop.Processed)
	}
	cur := c.next
	if !c.hasNext || cur.At != now {
		c.failf(e, "the event processed is not the one that was next in the queue (%+v, pending %v)", cur, c.hasNext)
	}
	if cur.Order != orderExpire {
		c.clientAt = now
	}
	defer func() { c.next, c.hasNext = e.loop.Queue.Peek() }()

	// New entities: issued now, under a parent that was a live token.
	for ; c.seen < len(e.ents); c.seen++ {
		n := model.NodeID(c.seen)
		en := &e.ents[n]
		c.kids = append(c.kids, nil)
		c.freed = append(c.freed, false)
		c.ended = append(c.ended, false)
		c.endAt = append(c.endAt, 0)
		c.cause = append(c.cause, Alive)
		c.exp = append(c.exp, -1)
		c.live = append(c.live, n)
		c.observed = append(c.observed, false)
		// A live token adopted at start (existing:) was issued before it.
		adopted := en.kind != entLease && en.gen == 1 && e.actors[en.actor].a.Existing != nil
		if exp, _, g := grantOf(e, n); adopted && g.HasHardEnd && exp > g.HardEnd {
			// The lookup reports an expiry past the hard end today's
			// settings give (the run notes it): the backend granted it.
			c.observed[n] = true
		}
		if it := e.issueTime(n); it != now && !(adopted && it <= now) {
			c.failf(e, "%s was issued at %d, seen first at %d", e.EntityID(n), it, now)
		}
		if p := e.parentOf(n); p != model.None {
			if p >= n || e.ents[p].kind == entLease || c.ended[p] {
				c.failf(e, "%s was created under %s, which is not a live token", e.EntityID(n), e.EntityID(p))
			}
			c.kids[p] = append(c.kids[p], n)
		}
	}

	// What this event was, from the log: a scripted revoke or
	// revoke-orphan, and the tokens a revoke-orphan revoked.
	script, orphanScript := false, false
	var orphanRoots []model.NodeID
	for ; c.logPos < len(e.log); c.logPos++ {
		ev := &e.log[c.logPos]
		switch {
		case ev.Kind == LogScript && strings.HasPrefix(ev.Note, "revoke"):
			script = true
			orphanScript = strings.HasPrefix(ev.Note, "revoke-orphan")
		case ev.Kind == LogEnd && orphanScript && ev.Cause == Revoked && ev.Root == ev.Entity:
			orphanRoots = append(orphanRoots, ev.Entity)
		}
	}
	// A revoke-orphan frees its service-token children that are still alive.
	for _, p := range orphanRoots {
		for _, k := range c.kids[p] {
			if e.ents[k].kind != entLease && e.hier.Kind(k) == model.ServiceToken && !e.ents[k].ended {
				c.freed[k] = true
				c.stats.freed++
			}
		}
	}

	// Entities that ended during this event.
	isOrphanRoot := func(p model.NodeID) bool {
		for _, r := range orphanRoots {
			if r == p {
				return true
			}
		}
		return false
	}
	keep := c.live[:0]
	for _, n := range c.live {
		en := &e.ents[n]
		if !en.ended {
			keep = append(keep, n)
			continue
		}
		cause := e.pastOf(n).cause
		c.ended[n], c.endAt[n], c.cause[n] = true, e.pastOf(n).endAt.Instant(), cause
		c.stats.causes[cause]++
		if en.retired {
			c.stats.retired++
		}
		id := propID{e, n}
		if e.pastOf(n).endAt.Instant() != now {
			c.failf(e, "%s ended at %d, seen ending at %d", id, e.pastOf(n).endAt.Instant(), now)
		}
		if e.hier.Alive(n) {
			c.failf(e, "%s ended (%s) but the hierarchy still has it", id, cause)
		}
		exp, _, g := grantOf(e, n)
		switch cause {
		case Expired:
			if exp != now || (g.HasHardEnd && g.HardEnd == now) {
				c.failf(e, "%s ended as expired at %d; its ExpireTime is %d, hard end %v", id, now, exp, g.End())
			}
		case MaxTTL:
			if !g.HasHardEnd || g.HardEnd != now || exp != now {
				c.failf(e, "%s ended at max-ttl at %d; its hard end is %v, ExpireTime %d", id, now, g.End(), exp)
			}
		case Cascade:
			anc := false
			c.ancestors(e, n, func(m model.NodeID) bool {
				anc = m == e.pastOf(n).root
				return !anc
			})
			if !anc || !e.ents[e.pastOf(n).root].ended || e.pastOf(e.pastOf(n).root).endAt.Instant() != now {
				c.failf(e, "%s ended in a cascade from %s, which is not an ancestor ending now", id, e.EntityID(e.pastOf(n).root))
			}
		case Orphaned:
			if p := e.parentOf(n); e.hier.Kind(n) != model.BatchToken || p == model.None || !isOrphanRoot(p) {
				c.failf(e, "%s ended as parent-revoked, but it is not a batch child of a token revoke-orphan revoked now", id)
			}
		case Revoked:
			if en.kind == entLease || !script {
				c.failf(e, "%s ended as revoked without a scripted revoke", id)
			}
		default:
			c.failf(e, "%s ended with cause %s", id, cause)
		}
	}
	c.live = keep

	// Live entities.
	for _, n := range c.live {
		en := &e.ents[n]
		id := propID{e, n}
		if !e.hier.Alive(n) {
			c.failf(e, "%s is alive but the hierarchy revoked it", id)
		}
		exp, noExpiry, g := grantOf(e, n)
		if !noExpiry {
			// Expiries at an instant run before anything else at it: only
			// while other expiries at now are being processed may an entity
			// expiring now still be alive.
			if exp < now || (exp == now && c.clientAt == now) {
				c.failf(e, "%s is alive at %d with ExpireTime %d (a script or client event ran at %d)", id, now, exp, c.clientAt)
			}
			// The timer is looked up when ExpireTime changes (a lookup per
			// live entity per event is the cost of this test); a timer
			// moved or lost without it shows as an entity ending before
			// its ExpireTime or living past it.
			if exp != c.exp[n] {
				c.exp[n] = exp
				if _, held := heldSeq(en.expiry); held {
					// Held, not queued: its renewal must come first (timer.go).
					if cl, ok := e.clientEvent(n); !ok || cl.At >= exp {
						c.failf(e, "%s holds its expiry at %d unqueued, but its client event is %+v (pending %v)", id, exp, cl, ok)
					}
				} else if ev, ok := e.loop.Queue.Event(en.expiry); !ok || ev.Kind != evExpire || ev.At != exp || model.NodeID(ev.Target) != n {
					c.failf(e, "%s has ExpireTime %d but its expiry timer is %+v (pending %v)", id, exp, ev, ok)
				}
			}
		}
		if g.HasHardEnd && !c.observed[n] && (now > g.HardEnd || (now == g.HardEnd && c.clientAt == now) || exp > g.HardEnd) {
			c.failf(e, "%s is alive at %d with ExpireTime %d, past its hard end %d (%s)", id, now, exp, g.HardEnd, g.HardEndBy)
		}
		wantParent := e.parentOf(n)
		if c.freed[n] {
			wantParent = model.None
		}
		if hp := e.hier.Parent(n); hp != wantParent {
			c.failf(e, "%s has hierarchy parent %d, want %d (created under %d, freed %v)", id, hp, wantParent, e.parentOf(n), c.freed[n])
		}
		for m := n; !c.freed[m]; { // the ancestors, as in c.ancestors
			if m = e.parentOf(m); m == model.None {
				break
			}
			if e.ents[m].ended {
				c.failf(e, "%s is alive at %d but its ancestor %s ended at %d (%s)", id, now, e.EntityID(m), e.pastOf(m).endAt.Instant(), e.pastOf(m).cause)
				break
			}
		}
	}

	// Ended entities stay ended, unchanged. A full sweep is O(entities):
	// made every 64 events, and by final.
	if c.events%64 == 0 {
		c.sweepEnded(e)
	}

	// Services.
	for i := range e.services {
		s := &e.services[i]
		ac := &e.actors[s.actor]
		bad := 0
		for r := range ac.reps {
			rep := &ac.reps[r]
			if !rep.valid {
				bad++
			}
			if s.started && rep.valid != propWantValid(e, s.actor, r) {
				c.failf(e, "%s replica %d has valid=%v but holds token %d (alive %v), lease %d (alive %v)",
					ac.a.Name, r, rep.valid, rep.token, e.alive(rep.token), rep.lease, e.alive(rep.lease))
			}
			if (rep.token != model.None && e.ents[rep.token].retired) || (rep.lease != model.None && e.ents[rep.lease].retired) {
				c.failf(e, "%s replica %d holds token %d or lease %d, marked replaced", ac.a.Name, r, rep.token, rep.lease)
			}
		}
		want := 0
		if s.started {
			want = bad
		}
		if s.failing != want || s.failing < 0 || s.failing > s.replicas {
			c.failf(e, "service %s counts %d failing replicas, want %d (started %v)", ac.a.Name, s.failing, want, s.started)
		}
		if i == len(c.failed) {
			c.failed = append(c.failed, 0)
		}
		if s.failed < c.failed[i] {
			c.failf(e, "service %s failed requests went down from %g to %g", ac.a.Name, c.failed[i], s.failed)
		}
		c.failed[i] = s.failed
	}
}

// ancestors calls f for each ancestor of n, nearest first, by the parent
// links recorded at creation, up to a link a revoke-orphan cut; f returns
// false to stop.
func (c *propChecker) ancestors(e *Engine, n model.NodeID, f func(model.NodeID) bool) {
	for m := n; !c.freed[m]; {
		m = e.parentOf(m)
		if m == model.None || !f(m) {
			return
		}
	}
}

func (c *propChecker) sweepEnded(e *Engine) {
	for n := range c.seen {
		en := &e.ents[n]
		p := e.pastOf(model.NodeID(n))
		if c.ended[n] && (!en.ended || p.endAt.Instant() != c.endAt[n] || p.cause != c.cause[n]) {
			c.failf(e, "%s ended at %d (%s) and is now ended=%v at %d (%s)", e.EntityID(model.NodeID(n)),
				c.endAt[n], c.cause[n], en.ended, p.endAt.Instant(), p.cause)
		}
		if en.ended && p.endAt.Instant() > e.Now() {
			c.failf(e, "%s ended at %d, after now", e.EntityID(model.NodeID(n)), p.endAt.Instant())
		}
	}
}

// propWantValid is what replica r of actor ai holds, as its service sees it.
func propWantValid(e *Engine, ai, r int) bool {
	ac := &e.actors[ai]
	rep := &ac.reps[r]
	switch {
	case ac.a.Credential != "":
		return e.alive(rep.lease)
	case ac.a.ChildToken != nil || ac.via < 0:
		return e.alive(rep.token)
	default:
		return e.alive(e.baseToken(ai, r))
	}
}

// final checks the finished run.
func (c *propChecker) final(e *Engine, res *Result) {
	if c.err != "" {
		return
	}
	c.sweepEnded(e)
	if res.Events != c.events {
		c.failf(e, "result says %d events, Observe saw %d", res.Events, c.events)
	}
	if res.Outcome == BudgetExhausted {
		c.failf(e, "the default budget ran out after %d events", res.Events)
	}
	for _, n := range c.live {
		exp, noExpiry, _ := grantOf(e, n)
		if !noExpiry && exp <= res.Horizon {
			c.failf(e, "%s is alive at the horizon %d with ExpireTime %d", e.EntityID(n), res.Horizon, exp)
		}
	}
	for _, f := range res.Fates() {
		if f.Ended && f.EndedAt > res.Horizon {
			c.failf(e, "%s ended at %d, after the horizon %d", f.ID, f.EndedAt, res.Horizon)
		}
	}
}

// ---- the tests ----

// propRun runs one scenario with opts and returns its report and log.
func propRun(s *scenarios.Scenario, opts Options, prime func(*Engine)) (*Engine, *Result, []byte, []byte, error) {
	e := New(s, opts)
	if prime != nil {
		prime(e)
	}
	res := e.Run()
	var rep, ev bytes.Buffer
	if err := WriteReportJSON(&rep, res, EntitiesAll); err != nil {
		return e, res, nil, nil, err
	}
	if opts.RecordLog {
		if err := WriteEventsJSONL(&ev, res); err != nil {
			return e, res, nil, nil, err
		}
	}
	return e, res, rep.Bytes(), ev.Bytes(), nil
}

// propScenario checks one generated scenario; it returns "" or what failed.
func propScenario(seed uint64, st *propStats) (msg string) {
	src := genScenario(seed)
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
		}
		if msg != "" {
			msg = fmt.Sprintf("generator seed %d (go test ./sim -run TestEngineProperties -prop.seed=%d -v): %s\n--- scenario ---\n%s",
				seed, seed, msg, src)
		}
	}()
	s, err := scenarios.Parse(fmt.Sprintf("prop-%d.yaml", seed), []byte(src))
	if err != nil {
		st.invalid++
		return ""
	}
	st.scenarios++
	c := &propChecker{stats: st}
	e, res, rep1, ev1, err := propRun(s, Options{RecordLog: true, Observe: c.observe}, c.prime)
	if err != nil {
		return err.Error()
	}
	c.final(e, res)
	if c.err != "" {
		return c.err
	}
	if msg := checkRunInvariants(res, rep1, ev1); msg != "" {
		return msg
	}
	st.events += res.Events
	st.outages += len(res.Outages)
	for _, f := range []struct {
		n    *int
		seen bool
	}{
		{&st.existing, strings.Contains(src, "existing:")},
		{&st.second, strings.Contains(src, "ttl: 1s") || strings.Contains(src, "ttl: 2s")},
		{&st.deep, propDeep.MatchString(src)},
		{&st.scripted, strings.Contains(src, "do: outage")},
	} {
		if f.seen {
			*f.n++
		}
	}
	// Same scenario value, no observer: the same bytes.
	_, _, rep2, ev2, err := propRun(s, Options{RecordLog: true}, nil)
	if err != nil {
		return err.Error()
	}
	if !bytes.Equal(rep1, rep2) {
		return "report.json differs between two runs (the second without Observe)\n" + firstDiff(rep1, rep2)
	}
	if !bytes.Equal(ev1, ev2) {
		return "events.jsonl differs between two runs (the second without Observe)\n" + firstDiff(ev1, ev2)
	}
	// Parsed afresh, without the log: the same report.
	s2, err := scenarios.Parse("again.yaml", []byte(src))
	if err != nil {
		return "second parse failed: " + err.Error()
	}
	s2.File = s.File
	_, _, rep3, _, err := propRun(s2, Options{}, nil)
	if err != nil {
		return err.Error()
	}
	if !bytes.Equal(rep1, rep3) {
		return "report.json differs between a run with the event log and one without\n" + firstDiff(rep1, rep3)
	}
	return ""
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  first:  %s\n  second: %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d and %d lines", len(la), len(lb))
}

func TestEngineProperties(t *testing.T) {
	seeds := make([]uint64, 0, *propN)
	if *propSeed != 0 {
		seeds = append(seeds, *propSeed)
	} else {
		for i := range *propN {
			seeds = append(seeds, uint64(i+1))
		}
	}
	start := time.Now()
	// Scenarios are independent: one worker per core.
	workers := min(runtime.GOMAXPROCS(0), len(seeds))
	msgs := make([]string, len(seeds))
	stats := make([]propStats, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(seeds); i = int(next.Add(1) - 1) {
				msgs[i] = propScenario(seeds[i], &stats[w])
			}
		})
	}
	wg.Wait()
	var st propStats
	for _, s := range stats {
		st.add(s)
	}
	failures := 0
	for _, msg := range msgs {
		if msg != "" {
			if failures == 0 {
				t.Error(msg) // the lowest failing seed: one scenario's report is enough to go on
			}
			failures++
		}
	}
	if failures > 1 {
		t.Errorf("%d of %d scenarios failed; the first is shown above", failures, len(seeds))
	}
	t.Logf("%d scenarios run (%d invalid skipped), %d events, in %v on %d workers; ends by cause %v (alive, expired, max-ttl, cascade, revoked, parent-revoked), %d replaced entities ended, %d children freed by revoke-orphan, %d outages; scenarios with existing tokens %d, 1-2 s TTLs %d, deep replicas %d, scripted outages %d",
		st.scenarios, st.invalid, st.events, time.Since(start).Round(time.Millisecond), workers, st.causes, st.retired, st.freed, st.outages, st.existing, st.second, st.deep, st.scripted)
	if *propSeed != 0 || t.Failed() {
		return
	}
	require.GreaterOrEqual(t, st.scenarios, len(seeds)*9/10, "most generated scenarios must be valid")
	// The generator must reach the interesting paths, or the checks check nothing.
	for _, cause := range []EndCause{Expired, MaxTTL, Cascade, Revoked, Orphaned} {
		assert.Positive(t, st.causes[cause], "no entity ended as %s", cause)
	}
	assert.Positive(t, st.freed, "no revoke-orphan freed a child token")
	assert.Positive(t, st.existing, "no live token at start (existing:)")
	assert.Positive(t, st.second, "no 1 s TTL")
	assert.Positive(t, st.deep, "no deep replica count")
	assert.Positive(t, st.scripted, "no scripted outage")
	assert.Positive(t, st.outages, "no service outage")
}

// A run that would go on is stopped by its event budget.
func TestEngineBudgetStopsRun(t *testing.T) {
	for seed := uint64(1); seed < 100; seed++ {
		src := genScenario(seed)
		s, err := scenarios.Parse("budget.yaml", []byte(src))
		if err != nil {
			continue
		}
		if full := New(s, Options{}).Run(); full.Events < 1000 {
			continue
		}
		done := make(chan *Result, 1)
		go func() { done <- New(s, Options{Budget: 200}).Run() }()
		select {
		case res := <-done:
			assert.Equal(t, BudgetExhausted, res.Outcome, "generator seed %d\n%s", seed, src)
			assert.Equal(t, int64(200), res.Events, "generator seed %d\n%s", seed, src)
			assert.Less(t, res.Horizon, model.Instant(s.Horizon), "it stopped before the horizon")
			var rep bytes.Buffer
			require.NoError(t, WriteReportJSON(&rep, res, EntitiesAll))
			assert.Contains(t, rep.String(), `"outcome": "budget exhausted"`)
		case <-time.After(10 * time.Second):
			t.Fatalf("a run with Budget 200 did not stop within 10s; generator seed %d\n%s", seed, src)
		}
		return
	}
	t.Fatal("no generated scenario among seeds 1..99 processes 1000 events")
}
