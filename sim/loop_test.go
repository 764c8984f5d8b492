package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// record returns a handler that appends each event's Arg and time to log.
func record(l *Loop, log *[]int32, at *[]model.Instant) func(Event, Handle) {
	return func(e Event, _ Handle) {
		*log = append(*log, e.Arg)
		*at = append(*at, l.Now)
	}
}

func TestLoop_Horizon(t *testing.T) {
	l := Loop{Horizon: 100}
	l.Schedule(50, 0, 0, 0, 1)
	l.Schedule(100, 0, 0, 0, 2) // exactly at the horizon: runs
	after := l.Schedule(101, 0, 0, 0, 3)

	var log []int32
	var at []model.Instant
	out := l.Run(record(&l, &log, &at))

	assert.Equal(t, HorizonReached, out)
	assert.Equal(t, []int32{1, 2}, log)
	assert.Equal(t, []model.Instant{50, 100}, at, "Now is each event's At while it runs")
	assert.Equal(t, model.Instant(100), l.Now)
	assert.Equal(t, int64(2), l.Processed)
	e, ok := l.Queue.Event(after)
	require.True(t, ok, "the event after the horizon stays queued")
	assert.Equal(t, model.Instant(101), e.At)

	// Extending the horizon carries on from where the run stopped.
	l.Horizon = 200
	assert.Equal(t, Drained, l.Run(record(&l, &log, &at)))
	assert.Equal(t, []int32{1, 2, 3}, log)
}

func TestLoop_HorizonMovesNowWhenQuietBeforeIt(t *testing.T) {
	l := Loop{Horizon: 100}
	l.Schedule(500, 0, 0, 0, 1)
	assert.Equal(t, HorizonReached, l.Run(func(Event, Handle) { t.Fatal("nothing is due") }))
	assert.Equal(t, model.Instant(100), l.Now)
	assert.Equal(t, int64(0), l.Processed)
}

func TestLoop_Drained(t *testing.T) {
	l := Loop{Horizon: 1000}
	assert.Equal(t, Drained, l.Run(func(Event, Handle) { t.Fatal("empty") }))
	assert.Equal(t, model.Instant(0), l.Now)

	l.Schedule(10, 0, 0, 0, 1)
	l.Schedule(20, 0, 0, 0, 2)
	assert.Equal(t, Drained, l.Run(func(Event, Handle) {}))
	assert.Equal(t, model.Instant(20), l.Now, "Now stays at the last event")
}

func TestLoop_Budget(t *testing.T) {
	t.Run("stops a runaway loop at one instant", func(t *testing.T) {
		l := Loop{Horizon: 10, Budget: 1000}
		l.Schedule(5, 0, 0, 0, 0)
		out := l.Run(func(e Event, _ Handle) {
			l.Schedule(l.Now, 0, 0, 0, e.Arg+1) // reschedules itself forever
		})
		assert.Equal(t, BudgetExhausted, out)
		assert.Equal(t, int64(1000), l.Processed)
		assert.Equal(t, model.Instant(5), l.Now)
		assert.Equal(t, 1, l.Queue.Len())
	})
	t.Run("not exhausted when nothing more was due", func(t *testing.T) {
		l := Loop{Horizon: 10, Budget: 2}
		l.Schedule(1, 0, 0, 0, 0)
		l.Schedule(2, 0, 0, 0, 0)
		assert.Equal(t, Drained, l.Run(func(Event, Handle) {}))

		l.Schedule(20, 0, 0, 0, 0)
		assert.Equal(t, HorizonReached, l.Run(func(Event, Handle) {}))
	})
	t.Run("counts over calls to Run", func(t *testing.T) {
		l := Loop{Horizon: 10, Budget: 3}
		for i := range 5 {
			l.Schedule(model.Instant(i), 0, 0, 0, 0)
		}
		l.Horizon = 1
		assert.Equal(t, HorizonReached, l.Run(func(Event, Handle) {}))
		l.Horizon = 10
		assert.Equal(t, BudgetExhausted, l.Run(func(Event, Handle) {}))
		assert.Equal(t, int64(3), l.Processed)
		assert.Equal(t, 2, l.Queue.Len())
	})
	t.Run("zero budget is unlimited", func(t *testing.T) {
		l := Loop{Horizon: 1_000_000}
		for i := range 5000 {
			l.Schedule(model.Instant(i), 0, 0, 0, 0)
		}
		assert.Equal(t, Drained, l.Run(func(Event, Handle) {}))
		assert.Equal(t, int64(5000), l.Processed)
	})
}

func TestLoop_HandlerSchedulesAtNow(t *testing.T) {
	const (
		orderExpiry  = 0
		orderRenewal = 1
	)
	l := Loop{Horizon: 100}
	l.Schedule(10, orderRenewal, 0, 0, 1)
	l.Schedule(10, orderRenewal, 0, 0, 2)
	l.Schedule(11, orderExpiry, 0, 0, 9)

	var log []int32
	l.Run(func(e Event, _ Handle) {
		log = append(log, e.Arg)
		if e.Arg == 1 {
			// Same class: after the renewal already due. Smaller class:
			// before it, but still after the current event.
			l.Schedule(l.Now, orderRenewal, 0, 0, 3)
			l.Schedule(l.Now, orderExpiry, 0, 0, 4)
		}
	})
	assert.Equal(t, []int32{1, 4, 2, 3, 9}, log)
}

func TestLoop_HandlerReschedulesAndCancels(t *testing.T) {
	l := Loop{Horizon: 100}
	expiry := l.Schedule(60, 0, 0, 0, 1)
	l.Schedule(40, 1, 0, 0, 2) // a renewal that moves the expiry
	doomed := l.Schedule(50, 0, 0, 0, 3)

	var log []int32
	var at []model.Instant
	handle := record(&l, &log, &at)
	l.Run(func(e Event, h Handle) {
		handle(e, h)
		if e.Arg == 2 {
			require.True(t, l.Queue.Reschedule(expiry, l.Now+45))
			require.True(t, l.Queue.Cancel(doomed))
		}
	})
	assert.Equal(t, []int32{2, 1}, log)
	assert.Equal(t, []model.Instant{40, 85}, at)
}

func TestLoop_PastIsRejected(t *testing.T) {
	t.Run("Schedule before Now", func(t *testing.T) {
		l := Loop{Now: 10, Horizon: 20}
		assert.PanicsWithValue(t, "sim: cannot schedule kind 2 target 7 at 9, before now 10", func() {
			l.Schedule(9, 0, 2, 7, 0)
		})
		assert.NotPanics(t, func() { l.Schedule(10, 0, 0, 0, 0) })
	})
	t.Run("event rescheduled into the past", func(t *testing.T) {
		l := Loop{Horizon: 100}
		l.Schedule(10, 0, 0, 0, 0)
		h := l.Schedule(20, 0, 3, 4, 0)
		assert.PanicsWithValue(t, "sim: event kind 3 target 4 at 5 is before now 10 (scheduled in the past)", func() {
			l.Run(func(Event, Handle) { l.Queue.Reschedule(h, 5) })
		})
	})
	t.Run("horizon before Now", func(t *testing.T) {
		l := Loop{Now: 10, Horizon: 5}
		assert.PanicsWithValue(t, "sim: horizon 5 is before now 10", func() {
			l.Run(func(Event, Handle) {})
		})
	})
}

func TestOutcome_String(t *testing.T) {
	assert.Equal(t, "drained", Drained.String())
	assert.Equal(t, "horizon reached", HorizonReached.String())
	assert.Equal(t, "budget exhausted", BudgetExhausted.String())
	assert.Equal(t, "Outcome(9)", Outcome(9).String())
}
