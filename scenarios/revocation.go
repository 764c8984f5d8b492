package scenarios

import (
	"math"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leasesim/leasesim/model"
)

// Revocation is the expiration manager's configuration (semantics.md
// §5.3, docs/revocation.md): its worker pool, each attempt's timeout and
// the revoke cost of each secrets mount.
type Revocation struct {
	Line           int
	Workers        int          // VAULT_LEASE_REVOCATION_WORKERS (default 200)
	RequestTimeout model.Millis // DefaultMaxRequestDuration (default 90 s)
	Mounts         []MountRevoke
}

// MountRevoke is how a secrets mount's revoke behaves: its latency
// distribution and the probability that one attempt fails.
type MountRevoke struct {
	Mount    string
	Line     int
	P50, P99 model.Millis
	Failure  float64
}

// Revoke is the revoke behaviour of mount path: its own block, else the
// default measured in semantics.md §12.
func (r *Revocation) Revoke(path string) MountRevoke {
	for _, m := range r.Mounts {
		if m.Mount == path {
			return m
		}
	}
	return MountRevoke{Mount: path, P50: model.DefaultRevokeP50, P99: model.DefaultRevokeP99}
}

// DefaultRevocation is Vault's expiration manager as shipped.
func DefaultRevocation() *Revocation {
	return &Revocation{Workers: model.DefaultRevocationWorkers, RequestTimeout: model.DefaultRevokeTimeout}
}

var revocationKeys = []string{"workers", "request_timeout"}

// revocation reads backend.revocation: "instant" (today's model: revoked
// the moment it ends) or {workers, request_timeout}; null is Vault's defaults.
func (p *parser) revocation(st *state, e entry) {
	if e.val.Kind == yaml.ScalarNode && e.val.ShortTag() == "!!str" {
		if e.val.Value == "instant" {
			st.revInstant = true
			return
		}
		p.errAt(e.val, e.path, "unknown revocation model %q; want instant, or {workers: 200, request_timeout: 90s} (Vault's expiration manager)", e.val.Value)
		return
	}
	r := DefaultRevocation()
	r.Line = e.key.Line
	st.sc.Backend.Revocation = r
	f, _ := p.mapping(e.val, e.path, mapSpec{what: "the expiration manager: {workers: 200, request_timeout: 90s}, or instant", allowNull: true, keys: revocationKeys})
	if v, ok := f.get("workers"); ok {
		if n, ok := p.integer(v.val, v.path, 1, model.MaxRevocationWorkers); ok {
			r.Workers = int(n)
		}
	}
	if v, ok := f.get("request_timeout"); ok {
		if d, ok := p.millis(v.val, v.path); ok {
			r.RequestTimeout = d
		}
	}
}

var revokeKeys = []string{"latency", "failure"}

// mountRevoke reads a secrets mount's revoke: {latency: {p50, p99}, failure}.
func (p *parser) mountRevoke(st *state, path string, e entry) {
	if strings.HasPrefix(path, "auth/") {
		p.errAt(e.key, e.path, "revoke applies to secrets mounts (their leases are database users and the like); %q is an auth mount", path)
		return
	}
	m := MountRevoke{Mount: path, Line: e.key.Line, P50: model.DefaultRevokeP50, P99: model.DefaultRevokeP99}
	f, _ := p.mapping(e.val, e.path, mapSpec{what: "the mount's revoke: {latency: {p50: 30ms, p99: 80ms}, failure: 0.0}", allowNull: true, keys: revokeKeys})
	if v, ok := f.get("latency"); ok {
		lf, _ := p.mapping(v.val, v.path, mapSpec{what: "a latency distribution: {p50: 30ms, p99: 80ms}", keys: []string{"p50", "p99"}})
		p50, has50 := lf.get("p50")
		if has50 {
			m.P50, _ = p.millis(p50.val, p50.path)
			m.P99 = m.P50 // a p50 alone is a constant latency
		} else {
			p.errAt(v.val, join(v.path, "p50"), "required: the median revoke latency, e.g. p50: 30ms")
		}
		if p99, ok := lf.get("p99"); ok {
			if d, ok := p.millis(p99.val, p99.path); ok {
				if has50 && d < m.P50 {
					p.errAt(p99.val, p99.path, "p99 %s is below p50 %s; the 99th percentile cannot be faster than the median", p99.val.Value, p50.val.Value)
				}
				m.P99 = d
			}
		}
	}
	if v, ok := f.get("failure"); ok {
		if x, ok := p.fraction(v.val, v.path, true); ok {
			m.Failure = x
		}
	}
	st.revMounts = append(st.revMounts, m)
}

// databaseEvent reads a database-outage or slowdown of a secrets mount.
func (p *parser) databaseEvent(st *state, ev *Event, f fields, need func(string, string) (entry, bool), atOK bool) {
	if m, ok := need("mount", "the secrets mount whose database it hits, one of "+quoteList(st.declaredMounts())); ok {
		if v, ok := p.str(m.val, m.path, "a mount path"); ok {
			ev.Mount = v
			if _, ok := st.mounts[v]; !ok {
				p.errAt(m.val, m.path, "mount %q is not declared under backend.mounts; declared: %s%s",
					v, quoteList(st.declaredMounts()), st.dym(v, st.declaredMounts()))
			} else if strings.HasPrefix(v, "auth/") {
				p.errAt(m.val, m.path, "%s hits a secrets mount's database; %q is an auth mount", nameOf(ev.Do), v)
			}
		}
	}
	if u, ok := need("until", "when the database is back to normal, "+timeForms); ok {
		if t, ok := p.instant(u.val, u.path, st.clk); ok {
			ev.Until = t
			if a, _ := f.get("at"); atOK && t <= ev.At {
				p.errAt(u.val, u.path, "%s ends at or before it starts (at %s); 'until' must be later than 'at'", nameOf(ev.Do), a.val.Value)
			}
		}
	}
	if ev.Do == EventSlowdown {
		if l, ok := need("latency", "how long each revoke takes meanwhile, e.g. latency: 2s"); ok {
			ev.Latency, _ = p.millis(l.val, l.path)
		}
	}
}

// finishRevocation gives every scenario Vault's expiration manager
// (docs/revocation.md) unless it asked for revocation: instant, the model
// where a lease is gone from the database the instant it ends. An absent
// backend.revocation is Vault's defaults, like an empty block.
func (p *parser) finishRevocation(st *state) {
	b := &st.sc.Backend
	if st.revInstant {
		b.Revocation = nil
		return
	}
	if b.Revocation == nil {
		b.Revocation = DefaultRevocation()
	}
	b.Revocation.Mounts = st.revMounts
}

const millisForms = "30ms, 2s, 1.5s or 90s"

// maxMillis bounds revoke latencies and timeouts: a day.
const maxMillis = model.Millis(24 * 3600_000)

// millis reads a sub-second duration: revocation runs in milliseconds.
func (p *parser) millis(n *yaml.Node, path string) (model.Millis, bool) {
	want := "a duration with a unit such as " + millisForms
	if !p.scalar(n, path, want) {
		return 0, false
	}
	if n.ShortTag() != "!!str" {
		p.errAt(n, path, "expected %s, got %s; write the unit (ms or s)", want, describe(n))
		return 0, false
	}
	d, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		p.errAt(n, path, "invalid duration %q; want %s", n.Value, want)
		return 0, false
	}
	ms := d.Milliseconds()
	if ms < 1 || ms > int64(maxMillis) || d%time.Millisecond != 0 {
		p.errAt(n, path, "%s is out of range; want whole milliseconds from 1ms to 24h", n.Value)
		return 0, false
	}
	return model.Millis(ms), true
}

// revocationExpect reads the revocation rules of an expect block or policy.
func (p *parser) revocationExpect(x *Expect, f fields) {
	optional(f, "max_exposure_window", p.duration, &x.MaxExposureWindow)
	if v, ok := f.get("max_revocations_per_second"); ok {
		const want = "a number of revocations per second per mount, more than 0"
		if n, ok := p.number(v.val, v.path, want); ok {
			if n <= 0 || math.IsInf(n, 0) {
				p.errAt(v.val, v.path, "%s is out of range; want %s", v.val.Value, want)
			} else {
				x.MaxRevocationsPerSecond = &n
			}
		}
	}
	optional(f, "no_irrevocable_leases", p.boolean, &x.NoIrrevocableLeases)
}
