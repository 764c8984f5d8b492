//go:build !amd64

package sim

import "unsafe"

// prefetch is a hint only; without an instruction for it, it does nothing.
func prefetch(unsafe.Pointer) {}

// prefetch2 is two prefetches.
func prefetch2(p, q unsafe.Pointer) {}
