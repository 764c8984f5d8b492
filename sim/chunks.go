package sim

// chunkBits sets a chunk's length: 4096 elements.
const chunkBits = 12

// chunks is an append-only list stored in fixed-size blocks, so appending
// never copies what is stored: a million-lease cascade appends a million
// revocation jobs without the growing slice's repeated copies (and the
// garbage they leave for the collector to find).
type chunks[T any] struct {
	blocks [][]T
	n      int
}

// add appends v and returns its index.
func (c *chunks[T]) add(v T) int {
	b := c.n >> chunkBits
	if b == len(c.blocks) {
		c.blocks = append(c.blocks, make([]T, 0, 1<<chunkBits))
	}
	c.blocks[b] = append(c.blocks[b], v)
	c.n++
	return c.n - 1
}

// at returns element i, which must be below len.
func (c *chunks[T]) at(i int) *T { return &c.blocks[i>>chunkBits][i&(1<<chunkBits-1)] }

func (c *chunks[T]) len() int { return c.n }

// reset empties the list and keeps its blocks for reuse.
func (c *chunks[T]) reset() {
	for i := range c.blocks {
		c.blocks[i] = c.blocks[i][:0]
	}
	c.n = 0
}
