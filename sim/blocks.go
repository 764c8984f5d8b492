package sim

// blockBits sets a block's length: 4096 elements.
const blockBits = 12

// blocks is an append-only list stored in fixed-size blocks, so appending
// never copies what is stored: a million-lease cascade appends a million
// revocation jobs without the growing slice's repeated copies (and the
// garbage they leave for the collector to find). A block is a fixed array,
// so an append is one store and a count: no slice header to write back.
type blocks[T any] struct {
	bs []*[1 << blockBits]T
	n  int
}

// add appends v and returns its index.
func (c *blocks[T]) add(v T) int {
	i := c.n
	b := i >> blockBits
	if b == len(c.bs) {
		c.bs = append(c.bs, new([1 << blockBits]T))
	}
	c.bs[b][i&(1<<blockBits-1)] = v
	c.n++
	return i
}

// at returns element i, which must be below len.
func (c *blocks[T]) at(i int) *T { return &c.bs[i>>blockBits][i&(1<<blockBits-1)] }

func (c *blocks[T]) len() int { return c.n }

// reset empties the list and keeps its blocks for reuse (their elements are
// overwritten as they are added again).
func (c *blocks[T]) reset() { c.n = 0 }
