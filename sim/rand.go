package sim

import "math"

// Purpose names what random numbers are for. Each purpose has its own
// numbers, so that adding draws for one purpose (say, more fault injection)
// never changes the numbers another purpose sees.
type Purpose string

// The purposes the engine draws for.
const (
	PurposeRenewJitter Purpose = "renew-jitter"
	PurposeGrace       Purpose = "grace"
	PurposeDemand      Purpose = "demand"
	PurposeFaults      Purpose = "faults"
	PurposeReauth      Purpose = "reauth"
)

// KeyClass tells apart the things that draw: a token and a lease of the same
// replica and generation are different keys.
type KeyClass uint8

// The key classes.
const (
	KeyToken   KeyClass = 1 + iota // a token (own or child) of one replica
	KeyLease                       // a lease of one replica
	KeyReplica                     // the replica itself: its login and fetch retries
)

// Key names who draws: a replica of an actor, and the generation of its
// token or lease. It is the same whatever else happens in the run (which
// other entities exist, which events are simulated or skipped).
type Key struct {
	Class   KeyClass
	Actor   int32
	Replica int32
	Gen     int32
}

// Draws is the random numbers of one purpose in one run, counter-based:
// the k-th number of key is a pure function of (seed, purpose, key, k).
//
// A stream drawn in event order would hand every later draw of every other
// entity a different number as soon as one entity's events were skipped or
// added; exact elision of uneventful renewals (issue 10) needs an entity's
// numbers to depend on nothing but the entity. The mixing function is
// splitmix64's finaliser (Steele, Lea, Flood 2014), applied once per input
// word; the purpose enters through FNV-1a of its name. Nothing depends on
// the process (no map hash, no wall clock).
type Draws struct {
	base uint64
}

// NewDraws returns the numbers of purpose p in a run seeded with seed.
func NewDraws(seed uint64, p Purpose) Draws {
	return Draws{base: mix64(mix64(seed) ^ fnv1a64(string(p)))}
}

// Uint64 is the k-th number of key: the k-th output of a splitmix64
// generator whose state starts at the hash of (purpose's base, key).
func (d Draws) Uint64(key Key, k uint64) uint64 {
	h := mix64(d.base ^ uint64(key.Class)<<32 ^ uint64(uint32(key.Actor)))
	h = mix64(h ^ uint64(uint32(key.Replica))<<32 ^ uint64(uint32(key.Gen)))
	return mix64(h + k*splitmixGamma)
}

// Float64 is the k-th number of key as a uniform float64 in [0, 1).
func (d Draws) Float64(key Key, k uint64) float64 {
	return float64(d.Uint64(key, k)>>11) * 0x1p-53
}

// Norm is a standard normal drawn from the numbers k and k+1 of key
// (Box–Muller), so a caller drawing normals steps k by 2.
func (d Draws) Norm(key Key, k uint64) float64 {
	u1 := float64(d.Uint64(key, k)>>11+1) * 0x1p-53 // (0, 1]: the log stays finite
	u2 := d.Float64(key, k+1)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// splitmixGamma is splitmix64's increment, 2⁶⁴/φ rounded to odd.
const splitmixGamma = 0x9e3779b97f4a7c15

// mix64 is splitmix64's step: add the golden-ratio increment, then the
// finaliser. A bijection on uint64 whose outputs pass BigCrush for
// consecutive inputs.
func mix64(z uint64) uint64 {
	z += splitmixGamma
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// fnv1a64 is FNV-1a, 64-bit. It is written out rather than taken from
// hash/fnv so the numbers visibly depend on nothing that could change.
func fnv1a64(s string) uint64 {
	const (
		offsetBasis = 14695981039346656037
		prime       = 1099511628211
	)
	h := uint64(offsetBasis)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}
