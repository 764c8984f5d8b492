package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// The renewal fast path (hotpath.go, renewFast) never renews a lease that
// ended or that its holder retired, whatever its timers say: those go to
// dispatch, which drops them. In a consistent run such a lease has no
// client event and no held expiry, so no run reaches the check; this test
// gives a live, fast-path-eligible lease (a watcher's, its expiry held,
// no log, nothing elided) each flag in turn, mid-run, and asks renewFast
// of it: it must decline and change nothing. (Planted: renewFast without
// its ended/retired check renews the lease — both cases fail.)
func TestRenewFastDeclinesEndedAndRetired(t *testing.T) {
	s := standardScenario(t, "fastpath-guard.yaml", "horizon: 365d", "horizon: 6h", "replicas: 1000000", "replicas: 20")
	for _, flag := range []string{"ended", "retired"} {
		t.Run(flag, func(t *testing.T) {
			tried := 0
			// Observe runs after every event and turns elision off: the
			// fast path is the one the run takes.
			New(s, Options{Observe: func(e *Engine) {
				if tried >= 5 || e.loop.Now < 3600 {
					return
				}
				for n := range e.ents {
					en := &e.ents[n]
					if _, held := heldSeq(en.expiry); en.kind != entLease || en.ended || en.retired || !held || en.client == NoHandle {
						continue
					}
					before := *en
					set := map[string]*bool{"ended": &en.ended, "retired": &en.retired}[flag]
					*set = true
					want := *en
					ok := e.renewFast(model.NodeID(n))
					got := *en
					*set = false
					require.False(t, ok, "renewFast took a lease marked %s", flag)
					require.Equal(t, want, got, "and changed it")
					require.Equal(t, before.lease, en.lease)
					tried++
					return
				}
			}}).Run()
			assert.Equal(t, 5, tried, "fast-path leases were found and asked")
		})
	}
}
