package sim

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/leasesim/leasesim/model"
)

// A lease's renewal touches one cache line: its entity, which holds its
// packed lifetime state, so that a page-aligned array never splits one
// across two lines (docs/performance.md; a field added that overflows the
// line costs a cache miss per event at a million leases). What is seldom
// read is 12 bytes beside it, and how an entity ended is kept only for
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
		{entityCold{}, 12, "entityCold"},
		{entityPast{}, 24, "entityPast"},
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
