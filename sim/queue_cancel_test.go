package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// cancelTimer does what Cancel does, on the calendar and on the heap, for
// live, popped, stale and absent handles: two queues driven alike, one
// cancelling with each, pop the same events with the same handles.
func TestQueue_CancelTimerIsCancel(t *testing.T) {
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 3))
		var a, b Queue
		var hs []Handle
		for step := range 12000 { // enough frees that slots are reused (reuseDelay)
			switch op := rng.IntN(10); {
			case op < 5: // near (calendar) or far (heap), any order class
				at := a.cal.cursor + model.Instant(rng.IntN(200))
				if rng.IntN(4) == 0 {
					at += calSize + model.Instant(rng.IntN(1000))
				}
				ev := Event{At: at, Order: uint8(rng.IntN(5)), Kind: 1, Target: int32(step)}
				ha, hb := a.Push(ev), b.Push(ev)
				require.Equal(t, ha, hb)
				hs = append(hs, ha)
			case op < 8 && len(hs) > 0: // cancel any handle seen, dead ones too
				h := hs[rng.IntN(len(hs))]
				if rng.IntN(8) == 0 {
					h = NoHandle - Handle(rng.IntN(3)) // absent, or a held seq
				}
				a.Cancel(h)
				b.cancelTimer(h)
			default:
				eva, ha, oka := a.Pop()
				evb, hb, okb := b.Pop()
				require.Equal(t, oka, okb)
				require.Equal(t, eva, evb, "seed %d step %d", seed, step)
				require.Equal(t, ha, hb)
			}
			require.Equal(t, a.Len(), b.Len())
		}
		for {
			eva, ha, oka := a.Pop()
			evb, hb, okb := b.Pop()
			require.Equal(t, oka, okb)
			require.Equal(t, eva, evb)
			require.Equal(t, ha, hb)
			if !oka {
				break
			}
		}
	}
}
