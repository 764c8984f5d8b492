package sim

// pushHeap adds x to h, a binary min-heap by less, and returns it. Typed,
// unlike container/heap: nothing is boxed, so a push allocates nothing
// beyond the slice's growth (the revoker pushes an event per lease that
// ends, the resumption a block per lease that resumes).
func pushHeap[T any](h []T, x T, less func(a, b *T) bool) []T {
	h = append(h, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(&h[i], &h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

// popHeap removes h's least element and returns it with the heap.
func popHeap[T any](h []T, less func(a, b *T) bool) (T, []T) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && less(&h[c+1], &h[c]) {
			c++
		}
		if !less(&h[c], &h[i]) {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	return top, h
}
