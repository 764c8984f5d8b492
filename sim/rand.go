package sim

import "math/rand/v2"

// Purpose names one random stream. Each purpose draws from its own stream so
// that adding draws for one purpose (say, more fault injection) never shifts
// the numbers another purpose sees.
type Purpose string

// The purposes the engine draws for.
const (
	PurposeRenewJitter Purpose = "renew-jitter"
	PurposeGrace       Purpose = "grace"
	PurposeDemand      Purpose = "demand"
	PurposeFaults      Purpose = "faults"
	PurposeReauth      Purpose = "reauth"
)

// Streams hands out one seeded random stream per purpose, all derived from
// a single run seed.
//
// The stream of purpose p is a PCG seeded with (seed, FNV-1a-64(p)), so it
// depends only on the seed and the purpose's name: not on which streams
// exist, nor on the order in which they are first asked for, nor on the
// process (no map hash, no wall clock). Streams is not safe for concurrent
// use.
type Streams struct {
	seed    uint64
	streams []stream // few purposes, so a linear scan beats a map and has no iteration order to leak
}

type stream struct {
	purpose Purpose
	rng     *rand.Rand
}

// NewStreams returns the streams of a run seeded with seed.
func NewStreams(seed uint64) *Streams {
	return &Streams{seed: seed}
}

// Stream returns the stream of p, creating it on first use. Later calls
// return the same *rand.Rand, which carries on where it was left.
func (s *Streams) Stream(p Purpose) *rand.Rand {
	for _, st := range s.streams {
		if st.purpose == p {
			return st.rng
		}
	}
	r := rand.New(rand.NewPCG(s.seed, fnv1a64(string(p))))
	s.streams = append(s.streams, stream{purpose: p, rng: r})
	return r
}

// fnv1a64 is FNV-1a, 64-bit. It is written out rather than taken from
// hash/fnv so the stream seeds visibly depend on nothing that could change.
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
