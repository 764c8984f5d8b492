package model

import (
	"fmt"
	"math"
)

// LeaseState is a Lease packed for an engine that holds a million of them
// (issue 10, item 1): 24 bytes and free of pointers, so that it fits in
// the engine's cache line per lease beside the engine's own fields, and an
// array of them is never scanned by the garbage collector. What many leases
// share is interned once in a LeaseForms table and named by a small
// index: the grant's layers and warnings (its "form"), and the lease's
// mount, role and batch token (its "origin"). What is the lease's own
// stays here: its expiry, its issue instant and the instant of its last
// grant (its TTL is the span between that and the expiry), both in 4
// bytes. A Lease packs and unpacks exactly (TestLeaseFormsRoundTrip); the
// lifetime rules stay in IssueLease and RenewLease, which the packed paths
// are checked against (TestLeaseRenewalMatchesRenewLease,
// TestLeaseIssueMatchesIssueLease).
type LeaseState struct {
	expire  Instant
	issue   packedInstant
	granted packedInstant // the instant of its latest grant: TTL = expire - granted
	form    uint32        // LeaseForms.forms index: the grant without its TTL, ceiling anchored at the issue
	origin  uint32        // LeaseForms.origins index << 1, | 1 when a batch token clamps the lease
}

// packedInstant is an instant in [0, 2^32) seconds from the start in 4
// bytes: every instant a run issues or renews at (a horizon is at most
// 100 years, about 2^31.6 seconds).
type packedInstant uint32

// packInstant packs t, which the caller keeps in range: leases are issued
// and renewed at the instants a run reaches.
func packInstant(t Instant) packedInstant {
	if t < 0 || t > math.MaxUint32 {
		panic(fmt.Sprintf("model: a packed lease's instant %d is outside [0, 2^32) s from the start", t))
	}
	return packedInstant(t)
}

// IssueTime is when the lease was issued.
func (s *LeaseState) IssueTime() Instant { return Instant(s.issue) }

// ExpireTime is when the lease expires unless renewed.
func (s *LeaseState) ExpireTime() Instant { return s.expire }

// TTL is the TTL of its latest grant (issue or renewal).
func (s *LeaseState) TTL() Duration { return s.expire.Sub(Instant(s.granted)) }

// setGrant records a grant of ttl at now: the lease expires at now + ttl.
func (s *LeaseState) setGrant(now Instant, ttl Duration) {
	s.granted, s.expire = packInstant(now), now.Add(ttl)
}

// RegrantAt is the lease as a renewal at now granting the TTL its latest
// grant did leaves it: elision's last elided renewal (sim/elide.go).
func (s *LeaseState) RegrantAt(now Instant) { s.setGrant(now, s.TTL()) }

// BatchClamped reports whether the lease's issuing batch token clamps it
// (§5.1, §5.2): only RenewLease renews it then.
func (s *LeaseState) BatchClamped() bool { return s.origin&1 != 0 }

// grantForm is what a grant has in common with the grants of other leases
// of its shape: the grant with its TTL left out, its hard end counted from
// the lease's issue, and the capped warning's remaining time left out when
// it is the TTL (as it is unless a batch token clamped the grant after the
// cap). A fleet's million leases have a handful of forms: one per renewal
// shape, one more for the renewals their ceiling caps.
type grantForm struct {
	g            Grant
	remainingTTL bool // Warnings.Remaining is the TTL
}

// leaseOrigin is where a lease came from: what a renewal never changes.
type leaseOrigin struct {
	Mount, Role  string
	BatchToken   string
	BatchEnd     Instant
	BatchClamped bool
}

// LeaseForms interns the forms and origins of packed leases. Its zero
// value is ready to use. It grows with the distinct shapes, not with the
// leases: a grant a batch token clamps has one form per issue instant.
type LeaseForms struct {
	forms   interned[grantForm]
	origins interned[leaseOrigin]
	// The last form interned: a run of capped renewals of one shape asks
	// for the same one over and over.
	last uint32
}

// Pack packs l, whose TTL is its grant's, as every lease the model makes.
func (t *LeaseForms) Pack(l Lease) LeaseState {
	o := leaseOrigin{Mount: l.Mount, Role: l.Role, BatchToken: l.BatchToken, BatchEnd: l.BatchEnd, BatchClamped: l.BatchClamped}
	s := LeaseState{issue: packInstant(l.IssueTime), form: t.form(l.Grant, l.IssueTime), origin: t.origins.index(o) << 1}
	s.setGrant(l.ExpireTime.Add(-l.TTL), l.TTL)
	if l.BatchClamped {
		s.origin |= 1
	}
	return s
}

// Unpack is the Lease s packs.
func (t *LeaseForms) Unpack(s LeaseState) Lease {
	o := t.origins.vals[s.origin>>1]
	return Lease{IssueTime: s.IssueTime(), TTL: s.TTL(), ExpireTime: s.ExpireTime(),
		BatchClamped: o.BatchClamped, BatchEnd: o.BatchEnd, Grant: t.Grant(s),
		Mount: o.Mount, Role: o.Role, BatchToken: o.BatchToken}
}

// Grant is the lease's latest grant.
func (t *LeaseForms) Grant(s LeaseState) Grant {
	f := &t.forms.vals[s.form]
	g := f.g
	g.TTL = s.TTL()
	g.HardEnd = s.IssueTime().Add(Duration(f.g.HardEnd))
	if f.remainingTTL {
		g.Warnings.Remaining = g.TTL
	}
	return g
}

// form interns the form of g, a grant of a lease issued at issue.
func (t *LeaseForms) form(g Grant, issue Instant) uint32 {
	f := grantForm{g: g}
	f.g.TTL = 0
	f.g.HardEnd = Instant(g.HardEnd.Sub(issue))
	if g.Warnings.Remaining == g.TTL {
		f.g.Warnings.Remaining, f.remainingTTL = 0, true
	}
	if int(t.last) < len(t.forms.vals) && t.forms.vals[t.last] == f {
		return t.last
	}
	t.last = t.forms.index(f)
	return t.last
}

// Len is how many forms and origins t holds: what it costs beyond the
// leases' own 32 bytes.
func (t *LeaseForms) Len() (forms, origins int) { return len(t.forms.vals), len(t.origins.vals) }

// interned is a table of distinct values, each named by its index.
type interned[T comparable] struct {
	vals []T
	at   map[T]uint32
}

// index is v's index, v added if new.
func (t *interned[T]) index(v T) uint32 {
	i, ok := t.at[v]
	if !ok {
		if t.at == nil {
			t.at = map[T]uint32{}
		}
		i = uint32(len(t.vals))
		t.vals = append(t.vals, v)
		t.at[v] = i
	}
	return i
}
