package sim

import "github.com/leasesim/leasesim/model"

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
