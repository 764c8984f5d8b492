package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

var allPurposes = []Purpose{PurposeRenewJitter, PurposeGrace, PurposeDemand, PurposeFaults, PurposeReauth, PurposeRevocation}

// first returns the numbers 0 … n-1 of key.
func first(d Draws, key Key, n int) []uint64 {
	out := make([]uint64, n)
	for k := range out {
		out[k] = d.Uint64(key, uint64(k))
	}
	return out
}

// TestMix64_KnownVectors pins splitmix64: with state 1234567 the generator's
// first outputs are mix64(1234567 + i·γ), the reference implementation's
// published sequence (Vigna, splitmix64.c).
func TestMix64_KnownVectors(t *testing.T) {
	const gamma = 0x9e3779b97f4a7c15
	for i, want := range []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821} {
		assert.Equal(t, want, mix64(1234567+uint64(i)*gamma), "output %d", i)
	}
}

// TestDraws_Golden pins the first numbers of one key, so that a change of
// mixing, keying or hash (which would change every seeded run) is seen.
func TestDraws_Golden(t *testing.T) {
	got := first(NewDraws(1, PurposeRenewJitter), Key{Class: KeyLease, Actor: 0, Replica: 0, Gen: 1}, 3)
	assert.Equal(t, []uint64{0x8bd0794305b36e7c, 0xf77d302c16c60b55, 0xbe67ec2e5bf55bd2}, got)
}

// TestDraws_PureFunction: the same (seed, purpose, key, k) is the same
// number, asked in any order, any number of times.
func TestDraws_PureFunction(t *testing.T) {
	key := Key{Class: KeyToken, Actor: 3, Replica: 1, Gen: 7}
	a, b := NewDraws(42, PurposeGrace), NewDraws(42, PurposeGrace)
	want := first(a, key, 50)
	for k := 49; k >= 0; k-- {
		assert.Equal(t, want[k], b.Uint64(key, uint64(k)), "k=%d", k)
	}
}

// TestDraws_EveryInputMatters: changing any one of seed, purpose, class,
// actor, replica, generation or k gives another number.
func TestDraws_EveryInputMatters(t *testing.T) {
	base := Key{Class: KeyLease, Actor: 2, Replica: 1, Gen: 5}
	d := NewDraws(9, PurposeGrace)
	ref := d.Uint64(base, 4)
	for _, tc := range []struct {
		name string
		d    Draws
		key  Key
		k    uint64
	}{
		{"seed", NewDraws(10, PurposeGrace), base, 4},
		{"purpose", NewDraws(9, PurposeFaults), base, 4},
		{"class", d, Key{Class: KeyToken, Actor: 2, Replica: 1, Gen: 5}, 4},
		{"actor", d, Key{Class: KeyLease, Actor: 3, Replica: 1, Gen: 5}, 4},
		{"replica", d, Key{Class: KeyLease, Actor: 2, Replica: 0, Gen: 5}, 4},
		{"gen", d, Key{Class: KeyLease, Actor: 2, Replica: 1, Gen: 6}, 4},
		{"k", d, base, 5},
		{"actor and replica swapped", d, Key{Class: KeyLease, Actor: 1, Replica: 2, Gen: 5}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.NotEqual(t, ref, tc.d.Uint64(tc.key, tc.k))
		})
	}
}

// TestDraws_NoCollisions over many keys, purposes and counters.
func TestDraws_NoCollisions(t *testing.T) {
	seen := map[uint64]bool{} // lookup only, never iterated
	for _, p := range allPurposes {
		d := NewDraws(7, p)
		for c := KeyToken; c <= KeyReplica; c++ {
			for a := int32(0); a < 8; a++ {
				for g := int32(0); g < 8; g++ {
					for k := uint64(0); k < 8; k++ {
						v := d.Uint64(Key{Class: c, Actor: a, Replica: a % 3, Gen: g}, k)
						require.False(t, seen[v], "value %d drawn twice", v)
						seen[v] = true
					}
				}
			}
		}
	}
}

// TestDraws_Uniform is a sanity check, not a test suite: over the counters
// of one key and over the keys at one counter, Float64 fills ten equal bins
// evenly (chi-square well under its 0.1 % critical value, 27.9 for 9 degrees
// of freedom), has mean ½, and bits are set half the time.
func TestDraws_Uniform(t *testing.T) {
	const n = 100_000
	d := NewDraws(2024, PurposeRenewJitter)
	for _, tc := range []struct {
		name string
		at   func(i int) (Key, uint64)
	}{
		{"along k", func(i int) (Key, uint64) { return Key{Class: KeyLease, Gen: 1}, uint64(i) }},
		{"across generations", func(i int) (Key, uint64) { return Key{Class: KeyLease, Gen: int32(i)}, 0 }},
		{"across replicas", func(i int) (Key, uint64) { return Key{Class: KeyToken, Replica: int32(i)}, 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bins [10]int
			var sum float64
			var ones [64]int
			for i := range n {
				key, k := tc.at(i)
				f := d.Float64(key, k)
				require.True(t, f >= 0 && f < 1, "%v out of [0,1)", f)
				bins[int(f*10)]++
				sum += f
				u := d.Uint64(key, k)
				for b := range ones {
					ones[b] += int(u >> b & 1)
				}
			}
			chi := 0.0
			for _, c := range bins {
				e := float64(n) / 10
				chi += (float64(c) - e) * (float64(c) - e) / e
			}
			assert.Less(t, chi, 27.9, "bins %v", bins)
			assert.InDelta(t, 0.5, sum/n, 0.005)
			for b, c := range ones {
				assert.InDelta(t, 0.5, float64(c)/n, 0.01, "bit %d", b)
			}
		})
	}
}

// TestDraws_Norm: Box–Muller gives mean 0, variance 1, finite values.
func TestDraws_Norm(t *testing.T) {
	const n = 50_000
	d := NewDraws(3, PurposeRevocation)
	key := Key{Class: KeyLease, Actor: 1, Gen: 1}
	var sum, sq float64
	for i := range n {
		z := d.Norm(key, uint64(2*i))
		require.False(t, math.IsNaN(z) || math.IsInf(z, 0))
		sum += z
		sq += z * z
	}
	assert.InDelta(t, 0, sum/n, 0.02)
	assert.InDelta(t, 1, sq/n, 0.03)
}

// TestDraws_OtherEntitiesDoNotShift is the property exact elision needs: an
// entity's numbers are the same whether other entities draw nothing, draw a
// lot, or are added or removed, in whatever interleaving.
func TestDraws_OtherEntitiesDoNotShift(t *testing.T) {
	d := NewDraws(11, PurposeGrace)
	a := Key{Class: KeyLease, Actor: 0, Replica: 0, Gen: 1}
	b := Key{Class: KeyLease, Actor: 1, Replica: 0, Gen: 1}
	c := Key{Class: KeyToken, Actor: 0, Replica: 0, Gen: 1}

	// A run where only a draws.
	want := first(d, a, 20)

	// Runs where b and c draw too, interleaved differently, some of b's
	// draws skipped (elided) or doubled (more renewals).
	for _, tc := range []struct {
		name      string
		othersPer int // other entities' draws between two of a's
	}{{"none", 0}, {"one", 1}, {"many", 7}} {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint64
			var kb, kc uint64
			for k := range uint64(20) {
				for range tc.othersPer {
					d.Uint64(b, kb)
					kb++
					d.Uint64(c, kc)
					kc += 2
				}
				got = append(got, d.Uint64(a, k))
			}
			assert.Equal(t, want, got)
		})
	}
}

func TestFNV1a64_MatchesStdlib(t *testing.T) {
	for _, s := range []string{"", "a", "renew-jitter", "grace", "demand", "faults", "reauth"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		assert.Equal(t, h.Sum64(), fnv1a64(s), "%q", s)
	}
}

// drawsScenario: actor a's tokens and leases renew by the watcher (a grace
// drawn per token and credential) and log in and re-read every few hours,
// drawing anew each time, after b's draws; actor b, after it in the list,
// renews and re-reads on its own schedule, set by its role's TTLs and its
// replicas.
func drawsScenario(t *testing.T, bTTL, bMax string, bReplicas int) *scenarios.Scenario {
	t.Helper()
	src := fmt.Sprintf(`name: draws
description: two independent actors
start: 2024-01-10T12:00:00Z
horizon: 3d
seed: 17
backend:
  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 24h}
roles:
  login: {mount: auth/approle, token_ttl: 1h, token_max_ttl: 6h}
  short: {mount: database, default_ttl: 1h, max_ttl: 3h}
  other: {mount: database, default_ttl: %s, max_ttl: %s}
actors:
  a: {login: login, credential: short, replicas: 2, when_exhausted: reauth}
  b: {login: login, credential: other, replicas: %d, when_exhausted: reauth}
`, bTTL, bMax, bReplicas)
	s, err := scenarios.Parse("draws.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

// eventsOf is the log of actor's entities, by entity id, instant and kind.
func eventsOf(t *testing.T, s *scenarios.Scenario, actor string) []string {
	t.Helper()
	e := New(s, Options{RecordLog: true})
	res := e.Run()
	var out []string
	for _, ev := range res.Log {
		if id := e.EntityID(ev.Entity); strings.HasPrefix(id, actor) {
			out = append(out, fmt.Sprintf("%d %s %s ttl=%d", ev.At, id, ev.Kind, ev.TTL))
		}
	}
	return out
}

// TestEngine_OtherEntitiesEventsDoNotShiftDraws is what exact elision needs
// of the engine: adding, removing or reshaping one actor's events (here b's:
// more replicas, shorter TTLs: many more renewals, re-reads and grace
// draws, in between a's) leaves a's renewal instants, jittered by its own draws,
// exactly as they were.
func TestEngine_OtherEntitiesEventsDoNotShiftDraws(t *testing.T) {
	want := eventsOf(t, drawsScenario(t, "1h", "24h", 1), "a")
	require.Greater(t, len(want), 50)
	for _, tc := range []struct {
		name     string
		ttl, max string
		replicas int
	}{
		{"more replicas of b", "1h", "24h", 5},
		{"b renews and re-reads more often", "10m", "2h", 1},
		{"b renews less often", "6h", "24h", 3},
		{"b re-reads every 70 minutes", "1h", "70m", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, want, eventsOf(t, drawsScenario(t, tc.ttl, tc.max, tc.replicas), "a"))
		})
	}
}
