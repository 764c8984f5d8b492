package sim

// blockBits sets a block's length: 4096 elements.
const blockBits = 12

// blocks is an append-only list stored in fixed-size blocks, so appending
// never copies what is stored: a million-lease cascade appends a million
// revocation jobs without the growing slice's repeated copies (and the
// garbage they leave for the collector to find).
type blocks[T any] struct {
	bs [][]T
	n  int
}

// add appends v and returns its index.
func (c *blocks[T]) add(v T) int {
	b := c.n >> blockBits
	if b == len(c.bs) {
		c.bs = append(c.bs, make([]T, 0, 1<<blockBits))
	}
	c.bs[b] = append(c.bs[b], v)
	c.n++
	return c.n - 1
}

// at returns element i, which must be below len.
func (c *blocks[T]) at(i int) *T { return &c.bs[i>>blockBits][i&(1<<blockBits-1)] }

func (c *blocks[T]) len() int { return c.n }

// reset empties the list and keeps its blocks for reuse.
func (c *blocks[T]) reset() {
	for i := range c.bs {
		c.bs[i] = c.bs[i][:0]
	}
	c.n = 0
}
