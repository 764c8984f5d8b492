package sim

import (
	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// issueShape is an actor's lease issue precomputed (model.LeaseIssue): its
// credential's secrets role and mount view as they stand at the backend's
// version. A fleet's replicas issue a million leases of one shape.
type issueShape struct {
	version uint64
	p       *model.LeaseIssue
}

// leaseIssue is actor ai's precomputed lease issue, made again when a tune
// or role write changed the backend since.
func (e *Engine) leaseIssue(ai int) *model.LeaseIssue {
	if e.issues == nil {
		e.issues = make([]issueShape, len(e.actors))
	}
	s := &e.issues[ai]
	if s.p == nil || s.version != e.b.version {
		role := e.b.SecretsRole(e.actors[ai].a.Credential)
		*s = issueShape{version: e.b.version, p: model.NewLeaseIssue(e.b.View(role.Mount), *role, &e.forms)}
	}
	return s.p
}

// rereads estimates how many credentials the actors' replicas read again
// before the horizon, for reserve: a watcher re-reads a lease shortly
// before its hard end (semantics.md §7.3), so at least once every
// (ceiling − TTL); `every: D` re-reads every D. Only a size hint: the
// arrays still grow past it, but a fleet re-reading a million credentials
// no longer copies them all from arrays of the previous size.
func (e *Engine) rereads() int64 {
	var n int64
	for i := range e.actors {
		a := e.actors[i].a
		if a.Credential == "" || !a.Refresh.Rereads() {
			continue
		}
		var cycle model.Duration
		switch a.Refresh.Kind {
		case scenarios.RefreshEvery:
			cycle = a.Refresh.Every
		case scenarios.RefreshFraction:
			if s, err := e.leaseIssue(i).Issue(model.IssuingToken{Valid: true}, 0); err == nil {
				cycle = max(1, model.Duration(float64(s.TTL())*(a.Refresh.At-0.05)))
			}
		case scenarios.RefreshWatcher, scenarios.RefreshRenewBy:
			s, err := e.leaseIssue(i).Issue(model.IssuingToken{Valid: true}, 0)
			if g := e.forms.Grant(s); err == nil && g.HasHardEnd {
				cycle = model.Duration(g.HardEnd) - s.TTL()
			}
		}
		if span := e.loop.Horizon.Sub(e.startAt(i)); cycle > 0 && span > 0 {
			n += int64(len(e.actors[i].reps)) * int64(span/cycle)
		}
	}
	return n
}
