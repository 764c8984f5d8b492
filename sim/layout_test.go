package sim

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/leasesim/leasesim/model"
)

// The hot paths touch one cache line per entity and per lease: an entity
// is one line, a lease half of one, so that a page-aligned array never
// splits one across two lines (docs/performance.md; a field added that
// overflows the line costs a cache miss per event at a million leases).
// None holds a pointer, so the collector never scans their arrays.
func TestEntityLayout(t *testing.T) {
	var en entity
	assert.Equal(t, uintptr(64), unsafe.Sizeof(en), "entity: one cache line")
	assert.False(t, hasPointers(reflect.TypeOf(en)), "entity: the collector must not scan the entity array")
	var p entityPast
	assert.Equal(t, uintptr(24), unsafe.Sizeof(p), "entityPast: 24 bytes")
	assert.False(t, hasPointers(reflect.TypeOf(p)), "entityPast")

	var l model.LeaseState
	assert.Equal(t, uintptr(32), unsafe.Sizeof(l), "model.LeaseState: half a cache line")
	assert.False(t, hasPointers(reflect.TypeOf(l)), "model.LeaseState: the collector must not scan the lease array")
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
