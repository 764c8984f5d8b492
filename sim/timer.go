package sim

// One pending timer per renewed entity (issue 10, docs/performance.md).
//
// A token or lease has an expiry timer (evExpire) and, while its holder
// renews it, a client event (evRenew, evRefresh). A renewal moves the
// expiry each time; yet while the client event is due strictly before the
// expiry, the expiry cannot run first: the client event pops first, and it
// either moves the expiry again or leaves the chain stopped. So the expiry
// is queued only when the chain stops: until then the entity holds the seq
// the expiry's (re)scheduling took (Queue.TakeSeq, one seq as the Push or
// Reschedule it replaces took), and when the chain stops the expiry is
// pushed with that seq (Queue.PushSeq). Every event therefore runs at the
// same place among same-instant ties as when every expiry was queued, and
// a renewal costs one queue operation instead of two.
//
// entity.expiry says which: NoHandle (none), a Handle (queued), or a held
// seq s stored as ^Handle(s), below NoHandle. A held expiry is due at the
// entity's ExpireTime, as a queued one is. Whatever may stop the chain or
// move the expiry marks the entity unsettled; settle, after each event,
// pushes the expiries whose client event is no longer due before them.
// One exception: an elided lease that resumes (resume.go) holds its
// expiry with no client event queued until the end of the instant of its
// last elided renewal, when its next renewal, a step shorter than its TTL
// and so before the expiry, is queued.

import (
	"fmt"
	"math"

	"github.com/leasesim/leasesim/model"
	"github.com/leasesim/leasesim/scenarios"
)

// timers is the engine's state for held expiries.
type timers struct {
	// queueAll queues every expiry as it is (re)scheduled, as before one
	// timer per entity: the differential test's reference.
	queueAll  bool
	unsettled []model.NodeID // may hold an entity twice, or settled ones
}

// heldSeq returns the seq of a held expiry.
func heldSeq(h Handle) (Seq, bool) {
	if h < NoHandle {
		return Seq(^h), true
	}
	return 0, false
}

// expireTime is when n's expiry is due, held or queued.
func (e *Engine) expireTime(n model.NodeID) model.Instant {
	if e.ents[n].kind == entLease {
		return e.lease(n).ExpireTime()
	}
	return e.token(n).ExpireTime
}

// expiryAt is when n's pending expiry is due, and false if none is.
func (e *Engine) expiryAt(n model.NodeID) (model.Instant, bool) {
	h := e.ents[n].expiry
	if _, held := heldSeq(h); held {
		return e.expireTime(n), true
	}
	ev, ok := e.loop.Queue.Event(h)
	return ev.At, ok
}

// scheduleExpiry gives a new entity its expiry at at (its ExpireTime),
// held until settle sees whether its renewal chain comes first.
func (e *Engine) scheduleExpiry(n model.NodeID, at model.Instant, never bool) {
	if never {
		return
	}
	if e.tm.queueAll {
		e.ents[n].expiry = e.loop.Schedule(at, orderExpire, evExpire, int32(n), 0)
		return
	}
	if at < e.loop.Now {
		panic("sim: expiry scheduled in the past")
	}
	e.ents[n].expiry = ^Handle(e.loop.Queue.TakeSeq())
	e.unsettle(n)
}

// moveExpiry moves n's pending expiry to at (its new ExpireTime), taking
// a new place among ties as a Reschedule does; nothing if none is pending.
func (e *Engine) moveExpiry(n model.NodeID, at model.Instant) {
	en := &e.ents[n]
	if en.expiry == NoHandle {
		return
	}
	if e.tm.queueAll {
		e.loop.Queue.Reschedule(en.expiry, at)
		return
	}
	if at < e.loop.Now {
		panic("sim: expiry moved into the past")
	}
	s := e.loop.Queue.TakeSeq()    // first: renumbering pushes the held ones
	e.loop.Queue.Cancel(en.expiry) // a held one is no handle: nothing to cancel
	en.expiry = ^Handle(s)
	e.unsettle(n)
}

// dropExpiry cancels n's pending expiry, held or queued.
func (e *Engine) dropExpiry(n model.NodeID) {
	en := &e.ents[n]
	e.loop.Queue.Cancel(en.expiry)
	en.expiry = NoHandle
}

// unsettle marks n: its renewal chain or its expiry changed.
func (e *Engine) unsettle(n model.NodeID) {
	u := e.tm.unsettled
	if k := len(u); !e.tm.queueAll && (k == 0 || u[k-1] != n) { // a renewal marks n twice in a row
		e.tm.unsettled = append(u, n)
	}
}

// clientMoved: n's client event is now due at at. A held expiry after it
// is settled at once, which spares settle the common renewal; one at or
// before it waits for settle.
func (e *Engine) clientMoved(n model.NodeID, at model.Instant) {
	if _, held := heldSeq(e.ents[n].expiry); !held {
		return
	}
	if at >= e.expireTime(n) {
		e.unsettle(n)
		return
	}
	if u := e.tm.unsettled; len(u) > 0 && u[len(u)-1] == n {
		e.tm.unsettled = u[:len(u)-1]
	}
}

// settle pushes the held expiries of the entities marked since the last
// settle whose client event is no longer due strictly before them. It runs
// after every event, before the loop looks at the queue again.
func (e *Engine) settle() {
	for _, n := range e.tm.unsettled {
		en := &e.ents[n]
		s, held := heldSeq(en.expiry)
		if !held {
			continue
		}
		at := e.expireTime(n)
		if c, ok := e.clientEvent(n); ok && c.At < at {
			continue
		}
		en.expiry = e.pushExpiry(n, at, s)
	}
	e.tm.unsettled = e.tm.unsettled[:0]
}

// pushExpiry queues n's expiry, due at at, with the seq it held.
func (e *Engine) pushExpiry(n model.NodeID, at model.Instant, s Seq) Handle {
	return e.loop.Queue.PushSeq(Event{At: at, Order: orderExpire, Kind: evExpire, Target: int32(n)}, s)
}

// pushHeld queues every held expiry: the queue is about to renumber its
// seqs (Queue.BeforeRenumber), which a held one would not follow. Once
// per 2^31 schedulings, so a walk over every entity is cheap.
func (e *Engine) pushHeld() {
	for i := range e.ents {
		if s, held := heldSeq(e.ents[i].expiry); held {
			n := model.NodeID(i)
			e.ents[i].expiry = e.pushExpiry(n, e.expireTime(n), s)
		}
	}
}

// An entity's client event (evRenew, evRefresh) is its keyed timer in the
// queue (Queue.SetTimer, key the entity): its renewal chain has one event
// pending at a time, and a timer needs no queue slot. entity.client is
// clientQueued while it is pending, NoHandle when not.
const clientQueued Handle = math.MaxInt32

// queueClient (re)schedules n's client event at at, taking a new place
// among ties as a Push or Reschedule would.
func (e *Engine) queueClient(n model.NodeID, at model.Instant) {
	if at < e.loop.Now {
		panic(fmt.Sprintf("sim: cannot schedule entity %d's client event at %d, before now %d", n, at, e.loop.Now))
	}
	e.loop.Queue.SetTimer(int32(n), at, orderClient)
	e.ents[n].client = clientQueued
}

// moveClient moves n's pending client event to at, as a Reschedule does;
// nothing if none is pending.
func (e *Engine) moveClient(n model.NodeID, at model.Instant) {
	if e.ents[n].client != NoHandle {
		e.queueClient(n, at)
	}
}

// cancelClient cancels n's pending client event, if any.
func (e *Engine) cancelClient(n model.NodeID) {
	if en := &e.ents[n]; en.client != NoHandle {
		e.loop.Queue.CancelTimer(int32(n))
		en.client = NoHandle
	}
}

// clientEvent is n's pending client event, and false if none is.
func (e *Engine) clientEvent(n model.NodeID) (Event, bool) {
	ev, ok := e.loop.Queue.Timer(int32(n))
	ev.Kind = e.clientKind(n)
	return ev, ok
}

// clientKind is the kind of n's client events: a lease whose holder
// re-reads it on a schedule (refresh every, refresh at) is refreshed
// (fetchLease queues nothing else for it); every other chain renews.
func (e *Engine) clientKind(n model.NodeID) Kind {
	if en := &e.ents[n]; en.kind == entLease {
		switch e.actors[en.actor].a.Refresh.Kind {
		case scenarios.RefreshEvery, scenarios.RefreshFraction:
			return evRefresh
		}
	}
	return evRenew
}
