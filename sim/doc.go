// Package sim is the discrete-event core of leasesim: a virtual clock, an
// event queue and seeded random streams. It knows nothing about leases; the
// engine gives meaning to event kinds and targets.
//
// # Virtual clock
//
// Time is a model.Instant (whole seconds since the scenario's start). A Loop
// holds the current instant, Now, and moves it only to the time of the next
// event it pops, or to its Horizon when it stops there. Events must never be
// scheduled before Now; Loop.Schedule checks this and Run panics if it finds
// such an event. Every run is bounded by its Horizon and, optionally, an
// event Budget, and reports which bound stopped it (an Outcome).
//
// # Queue
//
// Queue is a calendar of one-second buckets over the next calSize seconds
// (one FIFO per order class in each) with an indexed 4-ary heap for the
// rest: a fleet's timers mostly fall a renewal interval or a TTL ahead, so
// most operations are O(1) list operations, and far or unusual events still
// find their place. Push returns a Handle through which the engine can later
// Reschedule (a renewal moving an expiry) or Cancel (a revocation) the
// event, instead of leaving dead events to be skipped. Handles carry a
// generation, so a stale handle is rejected.
//
// # Same-instant order
//
// Events at the same instant run by their Order class, smaller first (the
// engine uses it for rules such as expiry before renewal), then in the
// order they were scheduled: a Reschedule counts as scheduling anew. The
// order is therefore total, and an event the handler schedules at Now runs
// later in the same instant, after the events already due in its class.
//
// # Determinism
//
// The same inputs and seed give the same run, event for event: nothing here
// reads the wall clock, starts a goroutine or iterates a map, and ties are
// broken by an insertion counter, never by memory layout.
//
// # Random numbers
//
// Draws are counter-based, not streams: the k-th number an entity draws for
// a Purpose is splitmix64 of (seed, purpose, the entity's Key, k), where the
// Key is its (class, actor, replica, generation). An entity's numbers thus
// depend on nothing any other entity does, nor on how many events were
// simulated before, which exact elision of uneventful renewals needs.
package sim
