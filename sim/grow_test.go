package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPushDoubles(t *testing.T) {
	var s []int
	grew := 0
	for i := range 100_000 {
		c := cap(s)
		s = push(s, i)
		if cap(s) != c {
			grew++
			assert.GreaterOrEqual(t, cap(s), 2*c, "at %d", i)
		}
	}
	assert.Equal(t, 100_000, len(s))
	assert.Equal(t, 99_999, s[99_999])
	assert.LessOrEqual(t, grew, 12, "a doubling slice grows log2(n/64)+1 times")
}
