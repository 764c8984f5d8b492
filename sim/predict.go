package sim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// Change is one instant at which the values a renewal reads change for an
// entity: its first renewal (when the backend re-reads a role, §4) or a
// scripted tune or role write. End is the hard end renewals compute from
// then on (!Set: none); Err the refusal, when they are refused.
type Change struct {
	At    model.Instant
	First bool   // the first renewal, not a scripted change
	What  string // the scripted change, in Vault's terms
	End   model.End
	TTL   model.Duration
	Err   error
	Text  string // for people: "from day 10+00:00, mount …: hard end moves to day 20+00:00 (…)"
}

// describe says what a change does, the line `explain` prints.
func (c Change) describe() string {
	head := fmt.Sprintf("from %s, %s: ", FormatOffset(c.At), c.What)
	if c.First {
		head = fmt.Sprintf("from its first renewal (%s), which re-reads the role and mount: ", FormatOffset(c.At))
	}
	switch {
	case c.Err != nil:
		return head + "renewals are refused (" + c.Err.Error() + ")"
	case !c.End.Set:
		return head + "no hard end: a periodic token renewed indefinitely"
	case c.End.At <= c.At:
		return fmt.Sprintf("%shard end %s is already past: renewals are refused (%s)", head, describeEnd(c.End), model.ErrPastMaxTTL)
	}
	return head + "hard end moves to " + describeEnd(c.End)
}

// timeline is a scenario's scripted tunes and role writes in the order the
// run applies them: by instant, then file order (Loop orders same-instant
// events by when they were scheduled, and New schedules them in file order).
type timeline struct {
	s      *scenarios.Scenario
	events []*scenarios.Event
}

func newTimeline(s *scenarios.Scenario) *timeline {
	tl := &timeline{s: s}
	for i := range s.Events {
		if ev := &s.Events[i]; ev.Do == scenarios.EventTune || ev.Do == scenarios.EventRole {
			tl.events = append(tl.events, ev)
		}
	}
	slices.SortStableFunc(tl.events, func(a, b *scenarios.Event) int { return int(a.At - b.At) })
	return tl
}

// backendAt is the backend a client action at t sees: every scripted change
// at or before t applied (scripts run before clients at an instant).
func (tl *timeline) backendAt(t model.Instant) *Backend {
	b := NewBackend(tl.s)
	for _, ev := range tl.events {
		if ev.At > t {
			break
		}
		b.Apply(ev)
	}
	return b
}

// epochs walks the scripted changes after from and returns the renewal
// grant under the values in force at from and after each change that
// alters it, with the change that did. grant computes the renewal grant
// under a backend: RenewalGrant or LeaseRenewalGrant.
func (tl *timeline) epochs(from model.Instant, grant func(*Backend) (model.Grant, error)) ([]model.Epoch, []string) {
	b := tl.backendAt(from)
	g, err := grant(b)
	eps := []model.Epoch{{At: from, Grant: g, Err: err}}
	whats := []string{""}
	var pending []string
	for i, ev := range tl.events {
		if ev.At <= from {
			continue
		}
		b.Apply(ev)
		pending = append(pending, describeChange(ev))
		if i+1 < len(tl.events) && tl.events[i+1].At == ev.At {
			continue // all changes at one instant apply before any renewal
		}
		g, err := grant(b)
		last := eps[len(eps)-1]
		if g == last.Grant && errText(err) == errText(last.Err) {
			pending = pending[:0]
			continue
		}
		eps = append(eps, model.Epoch{At: ev.At, Grant: g, Err: err})
		whats = append(whats, strings.Join(pending, "; "))
		pending = pending[:0]
	}
	return eps, whats
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// describeChange names a scripted change the way Vault's parameters read:
// "mount auth/approle max_lease_ttl 240h", "role svc token_explicit_max_ttl 48h".
func describeChange(ev *scenarios.Event) string {
	var parts []string
	for _, f := range ev.Set {
		v := f.Value.String()
		if f.Value == 0 {
			v = "unset"
			if ev.Do == scenarios.EventTune {
				v = "system"
			}
		}
		parts = append(parts, f.Field+" "+v)
	}
	if ev.Do == scenarios.EventTune {
		return "mount " + ev.Mount + " " + strings.Join(parts, ", ")
	}
	return "role " + ev.Role + " " + strings.Join(parts, ", ")
}

// tokenHolder is how an actor's renew policy renews its own token (§7.1).
func tokenHolder(p scenarios.RenewPolicy) model.Holder {
	switch p.Kind {
	case scenarios.RenewWatcher:
		return model.Holder{Renews: true, AtIssue: true, Watcher: true, Increment: p.Increment}
	case scenarios.RenewFraction:
		return model.Holder{Renews: true, Increment: p.Increment}
	case scenarios.RenewEvery:
		return model.Holder{Renews: true, Increment: p.Increment, Every: p.Every}
	}
	return model.Holder{}
}

// leaseHolder is how an actor's refresh policy renews its credential
// (§7.3): a template renews a renewable secret with a LifetimeWatcher;
// refresh at a fraction re-reads it instead, so it is never renewed.
func leaseHolder(p scenarios.RefreshPolicy) model.Holder {
	switch p.Kind {
	case scenarios.RefreshWatcher, scenarios.RefreshRenew:
		return model.Holder{Renews: true, AtIssue: true, Watcher: true}
	}
	return model.Holder{}
}

// predictToken predicts the end of tok, obtained at from, under its
// holder's policy and the scenario's scripted changes: the one prediction
// `explain`, `check` and the differential test read.
func (tl *timeline) predictToken(tok model.Token, from model.Instant, h model.Holder) (model.Life, []Change) {
	grant := func(b *Backend) (model.Grant, error) {
		roles := model.RenewRoles{}
		if tok.Origin == model.FromLogin {
			roles.Auth = b.AuthRole(tok.Role)
		} else if tok.Role != "" {
			roles.Token = b.TokenRole(tok.Role)
		}
		return model.RenewalGrant(&tok, b.View(tok.Mount), roles, h.Increment, tok.IssueTime)
	}
	renewable := tok.Renewable && tok.Type != model.TokenBatch && !tok.NoExpiry
	return tl.predict(tok.Grant, from, tok.ExpireTime, renewable, h, grant)
}

// predictLease predicts the end of a lease obtained at its issue time.
func (tl *timeline) predictLease(l model.Lease, role string, h model.Holder) (model.Life, []Change) {
	grant := func(b *Backend) (model.Grant, error) {
		r := b.SecretsRole(role)
		return model.LeaseRenewalGrant(&l, b.View(r.Mount), *r, h.Increment, l.IssueTime)
	}
	return tl.predict(l.Grant, l.IssueTime, l.ExpireTime, true, h, grant)
}

func (tl *timeline) predict(first model.Grant, from, expire model.Instant, renewable bool, h model.Holder,
	grant func(*Backend) (model.Grant, error)) (model.Life, []Change) {
	if !renewable || !h.Renews {
		return model.PredictLife(first, from, expire, renewable, h, nil), nil
	}
	eps, whats := tl.epochs(from, grant)
	life := model.PredictLife(first, from, expire, renewable, h, eps)
	var changes []Change
	prev := first
	for i, ep := range eps {
		if life.End.Set && ep.At >= life.End.At {
			break // it has ended by then
		}
		if i == 0 && ep.Err == nil && ep.Grant.End() == first.End() {
			continue // the first renewal changes nothing of note
		}
		if ep.Err == nil && ep.Grant.End() == prev.End() && i > 0 {
			prev = ep.Grant
			continue // only the TTL changed: the end does not move
		}
		c := Change{At: ep.At, First: i == 0, What: whats[i], End: ep.Grant.End(), TTL: ep.Grant.TTL, Err: ep.Err}
		c.Text = c.describe()
		changes = append(changes, c)
		prev = ep.Grant
	}
	return life, changes
}

// describeEnd names an end for people: "day 20+00:00 (mount auth/approle max_lease_ttl)".
func describeEnd(e model.End) string {
	if !e.Set {
		return "no hard end"
	}
	return fmt.Sprintf("%s (%s)", FormatOffset(e.At), e.By)
}

// roleWarnings are the backend's warnings for each write of role name: as
// the scenario declares it (written before the start) and at each
// scripted role write, against the mount's max at that moment.
func (tl *timeline) roleWarnings(name string) []string {
	b := NewBackend(tl.s)
	out := writeWarnings(b, name, "")
	for _, ev := range tl.events {
		b.Apply(ev)
		if ev.Do == scenarios.EventRole && ev.Role == name {
			out = append(out, writeWarnings(b, name, " at "+FormatOffset(ev.At))...)
		}
	}
	return out
}

func writeWarnings(b *Backend, name, when string) []string {
	var ws []string
	if r := b.AuthRole(name); r != nil {
		ws = r.WriteWarnings(b.View(r.Mount).Max.Value)
	} else if r := b.TokenRole(name); r != nil {
		ws = r.WriteWarnings(b.View(model.TokenMountPath).Max.Value)
	}
	for i, w := range ws {
		ws[i] = fmt.Sprintf("writing role %s%s: %s", name, when, w)
	}
	return ws
}
