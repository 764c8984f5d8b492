package sim

// Benchmarks of the queue alone on product.md's standard renewal workload
// ("Performance targets"): N leases with a 1h TTL, each renewed at 2/3 of
// its TTL (every 2400 s), for 30 simulated days; plus a variant where 10%
// are revoked early (at a random time within their first TTL). A renewal
// either moves its timer with Reschedule (the engine keeps each lease's
// handle, as the real one will) or pops it and pushes the next one.
//
// BenchmarkQueueRenewal runs one renewal period (2400 s, about N events) per
// iteration, so it is bounded; BenchmarkQueueRenewal30Days runs the full 30
// days per iteration and only with -full30d. B/timer is the live heap after
// setup ÷ N, and includes the bench's 4-byte-per-lease handle table and
// append slack.
//
// The figures below are of the queue as it was then, a 4-ary heap alone;
// the calendar now in front of it is measured through the whole engine by
// BenchmarkStandard (docs/performance.md).
//
// Measured 2026-11-28 on the 2-core Intel Xeon VM (go1.26.8, linux/amd64),
// one run each, while other jobs shared the machine (load average 3-6), so
// read them as ±20%:
//
//	go test ./sim/ -run '^$' -bench QueueRenewal -benchtime 1x
//	                      events/s   ns/event  B/timer
//	N=100k  reschedule      3.76 M      266     41.7
//	N=100k  poppush         4.76 M      210     41.7
//	N=100k  resched+rev10   3.94 M      254     41.7
//	N=100k  poppush+rev10   4.60 M      218     41.7
//	N=1M    reschedule      1.01 M      993     39.5
//	N=1M    poppush         1.40 M      717     39.5
//	N=1M    resched+rev10   1.24 M      807     39.5
//	N=1M    poppush+rev10   1.48 M      674     39.5
//
//	go test ./sim/ -run '^$' -bench QueueRenewal30Days -benchtime 1x -full30d
//	N=100k  reschedule      4.06 M      246     41.7   (108.0 M events, 26.6 s)
//	N=100k  poppush         4.15 M      241     41.7   (26.0 s)
//	N=100k  resched+rev10   3.90 M      257     41.7   (25.0 s)
//	N=100k  poppush+rev10   4.59 M      218     41.7   (21.2 s)
//	N=1M    reschedule      1.04 M      959     39.5   (1.08 G events, 17 min)
//	N=1M    poppush         1.33 M      753     39.5   (13.5 min)
//	(N=1M revoke variants of the 30-day run were not run: about 15 min each.)
//
// For scale, a bare 4-ary heap of the same 16-byte entries with no handles
// (nothing to Reschedule or Cancel) did 152 ns/event at 100k and 359 at 1M
// on this machine. The difference is the slot lookups and the heap
// position written back on every move, which is the price of O(log n)
// Reschedule and Cancel. Zero allocations per event in every variant.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/leasesim/leasesim/model"
)

var full30d = flag.Bool("full30d", false, "run BenchmarkQueueRenewal30Days (minutes at N=1M)")

const (
	benchTTL        = model.Hour
	benchRenewEvery = 2 * benchTTL / 3 // 2400 s
	benchSpan       = 30 * model.Day

	kindRenew  Kind = 1
	kindRevoke Kind = 2
)

// renewalWorkload is a fleet of leases driven straight on a Queue.
type renewalWorkload struct {
	q          Queue
	handles    []Handle // renewal timer of each lease
	now        model.Instant
	reschedule bool // move timers with Reschedule, else Pop+Push
	events     int64
}

func newRenewalWorkload(n int, reschedule, revoke bool) *renewalWorkload {
	w := &renewalWorkload{handles: make([]Handle, n), reschedule: reschedule}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		// Leases issued at random seconds over one period: ties are common.
		at := model.Instant(rng.Int64N(int64(benchRenewEvery)))
		w.handles[i] = w.q.Push(Event{At: at, Order: 1, Kind: kindRenew, Target: int32(i)})
	}
	if revoke {
		for i := 0; i < n; i += 10 {
			at := model.Instant(rng.Int64N(int64(benchTTL)))
			w.q.Push(Event{At: at, Order: 0, Kind: kindRevoke, Target: int32(i)})
		}
	}
	return w
}

// runUntil processes every event at or before end.
func (w *renewalWorkload) runUntil(end model.Instant) {
	q := &w.q
	for {
		e, ok := q.Peek()
		if !ok || e.At > end {
			break
		}
		w.now = e.At
		w.events++
		switch {
		case e.Kind == kindRevoke:
			q.Pop()
			q.Cancel(w.handles[e.Target])
			w.handles[e.Target] = NoHandle
		case w.reschedule:
			q.Reschedule(w.handles[e.Target], e.At+model.Instant(benchRenewEvery))
		default:
			q.Pop()
			e.At += model.Instant(benchRenewEvery)
			w.handles[e.Target] = q.Push(e)
		}
	}
	w.now = end
}

// liveHeap returns the bytes of live heap objects after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

type benchCase struct {
	name       string
	n          int
	reschedule bool
	revoke     bool
}

func benchCases() []benchCase {
	var cs []benchCase
	for _, n := range []int{100_000, 1_000_000} {
		for _, v := range []struct {
			name               string
			reschedule, revoke bool
		}{
			{"reschedule", true, false},
			{"poppush", false, false},
			{"reschedule-revoke10pct", true, true},
			{"poppush-revoke10pct", false, true},
		} {
			cs = append(cs, benchCase{
				name: fmt.Sprintf("N=%dk/%s", n/1000, v.name),
				n:    n, reschedule: v.reschedule, revoke: v.revoke,
			})
		}
	}
	return cs
}

// setupWorkload builds the fleet and returns it with the live heap it added,
// in bytes per lease.
func setupWorkload(c benchCase) (*renewalWorkload, float64) {
	before := liveHeap()
	w := newRenewalWorkload(c.n, c.reschedule, c.revoke)
	after := liveHeap()
	return w, float64(after-before) / float64(c.n)
}

// report adds the custom metrics; it must run after the last ResetTimer,
// which discards them.
func report(b *testing.B, events int64, bytesPerTimer float64) {
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(events)/s, "events/s")
	b.ReportMetric(s*1e9/float64(events), "ns/event")
	b.ReportMetric(bytesPerTimer, "B/timer")
}

// BenchmarkQueueRenewal runs one 2400 s renewal period per iteration, after
// the first period has settled the heap.
func BenchmarkQueueRenewal(b *testing.B) {
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			w, perTimer := setupWorkload(c)
			w.runUntil(model.Instant(benchRenewEvery)) // warm up: first period
			w.events = 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				w.runUntil(model.Instant(benchRenewEvery) * model.Instant(i+2))
			}
			b.StopTimer()
			report(b, w.events, perTimer)
		})
	}
}

// BenchmarkQueueRenewal30Days runs the whole 30-day workload per iteration.
func BenchmarkQueueRenewal30Days(b *testing.B) {
	if !*full30d {
		b.Skip("takes minutes; run with -full30d")
	}
	for _, c := range benchCases() {
		b.Run(c.name, func(b *testing.B) {
			var events int64
			var perTimer float64
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				var w *renewalWorkload
				w, perTimer = setupWorkload(c)
				b.StartTimer()
				w.runUntil(model.Instant(benchSpan))
				events += w.events
			}
			b.StopTimer()
			report(b, events, perTimer)
		})
	}
}
