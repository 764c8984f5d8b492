package sim

import "unsafe"

// prefetch asks the CPU to bring the cache line at p into its caches and
// returns at once (PREFETCHT0; prefetch_amd64.s). It is a hint: it never
// faults and changes nothing a program can observe but its speed. Go has
// no portable form of it; elsewhere it does nothing (prefetch_other.go).
//
//go:noescape
func prefetch(p unsafe.Pointer)

// prefetch2 is prefetch of p and of q in one call: the loop warms an
// event's timer and entity together (warm.go).
//
//go:noescape
func prefetch2(p, q unsafe.Pointer)
