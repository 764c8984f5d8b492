package sim

import (
	"fmt"
	"math"

	"github.com/leasesim/leasesim/model"
)

// maxInstant is later than every event.
const maxInstant = model.Instant(math.MaxInt64)

// Outcome says why Run stopped.
type Outcome uint8

const (
	// Drained: no events were left.
	Drained Outcome = iota
	// HorizonReached: the next event lies after the horizon.
	HorizonReached
	// BudgetExhausted: an event was due but the event budget was used up.
	BudgetExhausted
	// LiveBudgetExhausted: more entities were alive at once than allowed.
	LiveBudgetExhausted
	// EntityBudgetExhausted: more entities held a slot than allowed (every
	// one issued, less those recycled).
	EntityBudgetExhausted
)

// Exhausted reports whether a budget, not the scenario, ended the run: its
// results stop short of the horizon.
func (o Outcome) Exhausted() bool { return o >= BudgetExhausted }

func (o Outcome) String() string {
	switch o {
	case Drained:
		return "drained"
	case HorizonReached:
		return "horizon reached"
	case BudgetExhausted:
		return "budget exhausted"
	case LiveBudgetExhausted:
		return "live entity budget exhausted"
	case EntityBudgetExhausted:
		return "entity budget exhausted"
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Loop is the virtual clock and the run loop. Nothing happens except by an
// event popped from Queue, and Now moves only to the time of such an event
// (or to Horizon when Run stops there), so a run never reads a wall clock.
//
// Events must never be scheduled before Now: use Schedule, which checks, or
// give Queue.Push and Queue.Reschedule an At >= Now yourself.
type Loop struct {
	Queue Queue
	Now   model.Instant
	// Horizon is the last instant processed: events exactly at it run,
	// later ones stay queued. It has no "unset" value: the zero Horizon
	// stops at instant 0.
	Horizon model.Instant
	// Budget caps the events handled one by one (Processed − Elided); 0
	// means no cap. It bounds runaway runs (a renewal loop at one instant)
	// so they stop instead of hanging: work, which elided events are not.
	Budget    int64
	Processed int64 // events so far, over all calls to Run, elided ones included
	Elided    int64 // events done in closed form, not one by one (sim/elide.go)
	// ents, when set, is the engine's entity array: warm prefetches the
	// entity a keyed timer's event targets (warm.go).
	ents *[]entity
	// Warm, when set, is told the targets of the events likely to run
	// next (see warm), so that it can prefetch more of their state. It
	// must change nothing.
	Warm func(target int32)
	// Pass, when set, is called with the instant of the next event (or
	// maxInstant) once every event up to PassAt has run, before that next
	// event and before Run stops: it may queue events, and must move
	// PassAt past PassAt (0: nothing to do). Elided leases resume through
	// it, queued at the end of an instant (sim/resume.go).
	Pass     func(before model.Instant)
	PassAt   model.Instant
	stopping bool
	stopAs   Outcome
}

// Stop ends Run after the event being handled, with outcome o (a budget
// the handler found exceeded). Now stays at that event's instant.
func (l *Loop) Stop(o Outcome) { l.stopping, l.stopAs = true, o }

// Stopping reports whether Stop was called during the event in hand.
func (l *Loop) Stopping() bool { return l.stopping }

// Run pops events in (At, Order, seq) order, advances Now to each event's
// At, and calls handle(ev, h), where h is the handle the event had (already
// dead: compare it with handles the engine stored, do not reuse it). The
// handler may Push, Reschedule and Cancel on l.Queue, including events at
// l.Now, which run after the current one in (Order, seq) order.
//
// Run stops when the queue is empty (Drained; Now stays at the last event),
// when the next event is after Horizon (HorizonReached; Now becomes Horizon),
// when an event is due but Processed has reached a non-zero Budget
// (BudgetExhausted), or after the handler called Stop. It panics if an
// event is earlier than Now or Horizon is before Now: both are programming
// errors, and time must not run backwards.
func (l *Loop) Run(handle func(ev Event, h Handle)) Outcome {
	if l.Horizon < l.Now {
		panic(fmt.Sprintf("sim: horizon %d is before now %d", l.Horizon, l.Now))
	}
	var ev Event // filled by pop (see there why)
	for {
		// top, found once for the checks and the pop, without a call
		// more for the common case (runNext).
		next, ref, ok := l.Queue.runNext()
		if !ok {
			next, ref, ok = l.Queue.scanTop()
		}
		if l.PassAt != 0 && (!ok || next.at > l.PassAt) {
			before := maxInstant
			if ok {
				before = next.at
			}
			l.Pass(before)
			continue
		}
		if !ok {
			return Drained
		}
		if next.at > l.Horizon {
			l.Now = l.Horizon
			return HorizonReached
		}
		if l.Budget > 0 && l.Processed-l.Elided >= l.Budget {
			return BudgetExhausted
		}
		if next.at < l.Now {
			ev := Event{At: next.at, Kind: l.Queue.TimerKind, Target: ^ref}
			if ref >= 0 {
				ev = l.Queue.event(next)
			}
			panic(fmt.Sprintf("sim: event kind %d target %d at %d is before now %d (scheduled in the past)",
				ev.Kind, ev.Target, ev.At, l.Now))
		}
		h := l.Queue.pop(next, ref, &ev)
		if l.ents != nil {
			l.warm()
		}
		l.Now = ev.At
		l.Processed++
		handle(ev, h)
		if l.stopping {
			l.stopping = false
			return l.stopAs
		}
	}
}

// Schedule pushes an event at at and returns its handle. It panics if at is
// before Now, because an event in the past would break the clock.
func (l *Loop) Schedule(at model.Instant, order uint8, kind Kind, target, arg int32) Handle {
	if at < l.Now {
		panic(fmt.Sprintf("sim: cannot schedule kind %d target %d at %d, before now %d", kind, target, at, l.Now))
	}
	return l.Queue.Push(Event{At: at, Order: order, Kind: kind, Target: target, Arg: arg})
}
