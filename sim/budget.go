package sim

import (
	"fmt"

	"github.com/leasesim/leasesim/model"
)

// Budgets bound a run's work and memory. A run keeps every entity it ever
// issued (for the report), at about 0.9 kB each, 1.5 kB with the event log
// (measured on a 1 s TTL fleet: 780,968 entities, 637 MB of heap; 1,114 MB
// with the log), and the process's peak is about twice its live heap. The
// defaults keep a run under 1 GB without the log and well under 16 GB with
// it (a 1 s TTL over a year stops at 400,000 entities after 6 s, 760 MB
// peak) instead of after minutes of silence. The event
// budget bounds runs that churn without issuing (a renewal every second),
// at roughly 150,000 events a second.
//
// The entity budget bounds the entities holding a slot, which is what
// memory follows: every one issued, unless the run recycles retired
// credentials' slots (Options.Recycle, recycle.go; docs/engine.md), when
// it is those alive and those ended but not recycled.
type Budgets struct {
	Events   int64 // events processed
	Live     int64 // entities alive at one instant
	Entities int64 // entities holding a slot: issued in all, less those recycled
}

// The default budgets (--max-events, --max-live, --max-entities).
const (
	DefaultBudget      = 20_000_000
	DefaultMaxLive     = 250_000
	DefaultMaxEntities = 400_000
)

// DefaultBudgets are the budgets of a run whose options leave them zero.
var DefaultBudgets = Budgets{Events: DefaultBudget, Live: DefaultMaxLive, Entities: DefaultMaxEntities}

// ProgressEvery is how many events pass between Options.Progress calls.
const ProgressEvery = 1 << 16

func (o Options) budgets() Budgets {
	b := DefaultBudgets
	if o.Budget > 0 {
		b.Events = o.Budget
	}
	if o.MaxLive > 0 {
		b.Live = o.MaxLive
	}
	if o.MaxEntities > 0 {
		b.Entities = o.MaxEntities
	}
	return b
}

// checkBudgets stops the run after the current event once too many
// entities are alive or hold a slot (or serials ran out). The event finishes its cascade, but
// issues nothing more (obtainToken and fetchLease check Loop.Stopping), so
// a run overshoots a budget by one entity: a deploy of a million replicas
// stops at the budget, not after a million logins.
func (e *Engine) checkBudgets() {
	switch {
	case e.keptCount() > e.budgets.Entities, e.rc.issued == ^uint32(0):
		e.loop.Stop(EntityBudgetExhausted)
	case e.live > e.budgets.Live:
		e.loop.Stop(LiveBudgetExhausted)
	}
}

// BudgetError says which budget stopped a run, the flag that raises it, and
// how far the run got.
type BudgetError struct {
	Scenario string
	Budget   string // "event", "live entity" or "entity"
	Flag     string // the CLI flag that raises it
	Limit    int64
	Reached  string        // the simulated time reached, as a date
	At       model.Instant // offset of Reached from the start
	Horizon  model.Duration
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("%s: the %s budget (%s) ran out at %s (%s of %s simulated); results after that instant are missing: raise it with %s N",
		e.Scenario, e.Budget, e.limit(), e.Reached, FormatOffset(e.At), e.Horizon, e.Flag)
}

func (e *BudgetError) limit() string {
	unit := "events"
	if e.Budget != "event" {
		unit = "entities"
	}
	if e.Budget == "live entity" {
		unit = "live entities"
	}
	return fmt.Sprintf("%d %s", e.Limit, unit)
}

// BudgetErr is a *BudgetError when a budget stopped the run, else nil.
func (r *Result) BudgetErr() error {
	if !r.Outcome.Exhausted() {
		return nil
	}
	b := r.engine.budgets
	e := &BudgetError{Scenario: r.Scenario.Name, Reached: Clock{r.Scenario.Start}.Date(r.Horizon), At: r.Horizon, Horizon: r.Scenario.Horizon}
	switch r.Outcome {
	case LiveBudgetExhausted:
		e.Budget, e.Flag, e.Limit = "live entity", "--max-live", b.Live
	case EntityBudgetExhausted:
		e.Budget, e.Flag, e.Limit = "entity", "--max-entities", b.Entities
	default:
		e.Budget, e.Flag, e.Limit = "event", "--max-events", b.Events
	}
	return e
}
