package sim

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/leasesim/leasesim/model"
)

// A lease's renewal touches one cache line: its entity, which holds its
// packed lifetime state, so that a page-aligned array never splits one
// across two lines (docs/performance.md; a field added that overflows the
// line costs a cache miss per event at a million leases). What is seldom
// read is 4 bytes beside it, and how an entity ended is kept only for
// those that did. None holds a pointer, so the collector never scans their
// arrays.
func TestEntityLayout(t *testing.T) {
	for _, c := range []struct {
		v    any
		size uintptr
		why  string
	}{
		{entity{}, 64, "entity: one cache line, its lease's state in it"},
		{model.LeaseState{}, 24, "model.LeaseState: in the entity's line"},
		{entityCold{}, 4, "entityCold"},
		{entityPast{}, 28, "entityPast"},
		{chainRun{}, 24, "chainRun: elision's, per entity"},
		{tokenState{}, 16, "tokenState"},
		{replica{}, 16, "replica: one per lease in a fleet"},
	} {
		assert.Equal(t, c.size, reflect.TypeOf(c.v).Size(), c.why)
		assert.False(t, hasPointers(reflect.TypeOf(c.v)), "%s: the collector must not scan its array", c.why)
	}
}

// hasPointers reports whether values of t hold pointers the garbage
// collector must follow (strings, slices, maps, interfaces...).
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	}
	return true
}

func TestHasPointers(t *testing.T) {
	assert.False(t, hasPointers(reflect.TypeOf(struct {
		a int64
		b [3]uint32
	}{})))
	assert.True(t, hasPointers(reflect.TypeOf(model.Layer{})), "a string")
	assert.True(t, hasPointers(reflect.TypeOf([2]struct{ p *int }{})))
}

// An entity counts its renew-jitter or grace numbers in one counter (its
// policy draws one kind), its fault numbers in its past; each kind still
// draws its own k-th number, and drawing both of the first two is refused.
func TestEntityDrawCounts(t *testing.T) {
	e := &Engine{ents: []entity{{kind: entLease}, {kind: entToken}}, cold: make([]entityCold, 2), toks: make([]tokenState, 1)}
	for p := range numDraws {
		e.draws[p] = NewDraws(7, Purpose(fmt.Sprint(p)))
	}
	for k := range uint64(3) {
		assert.Equal(t, e.draws[drawGrace].Float64(e.key(0), k), e.draw(0, drawGrace))
		assert.Equal(t, e.draws[drawRenew].Float64(e.key(1), k), e.draw(1, drawRenew))
		assert.Equal(t, e.draws[drawFault].Float64(e.key(0), k), e.draw(0, drawFault))
		assert.Equal(t, e.draws[drawFault].Float64(e.key(1), k), e.draw(1, drawFault))
	}
	assert.Panics(t, func() { e.draw(0, drawRenew) })
	assert.Panics(t, func() { e.draw(1, drawGrace) })
	assert.Len(t, e.past, 2, "fault numbers begin the past")
}
