package sim

import (
	"reflect"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/leasesim/leasesim/model"
)

// The hot paths touch one cache line per entity and per lease: keep the
// fields a renewal uses in the first 64 bytes of records whose size divides
// into whole lines (docs/performance.md; a field added in the wrong place
// costs a cache miss per event at a million leases).
func TestEntityLayout(t *testing.T) {
	var en entity
	assert.Equal(t, uintptr(128), unsafe.Sizeof(en), "entity: two cache lines")
	firstLine(t, "entity", map[string]uintptr{
		"expiry":   unsafe.Offsetof(en.expiry) + unsafe.Sizeof(en.expiry),
		"client":   unsafe.Offsetof(en.client) + unsafe.Sizeof(en.client),
		"actor":    unsafe.Offsetof(en.actor) + unsafe.Sizeof(en.actor),
		"ref":      unsafe.Offsetof(en.ref) + unsafe.Sizeof(en.ref),
		"grace":    unsafe.Offsetof(en.grace) + unsafe.Sizeof(en.grace),
		"lastDur":  unsafe.Offsetof(en.lastDur) + unsafe.Sizeof(en.lastDur),
		"kind":     unsafe.Offsetof(en.kind) + unsafe.Sizeof(en.kind),
		"attempts": unsafe.Offsetof(en.attempts) + unsafe.Sizeof(en.attempts),
		"retired":  unsafe.Offsetof(en.retired) + unsafe.Sizeof(en.retired),
		"ended":    unsafe.Offsetof(en.ended) + unsafe.Sizeof(en.ended),
	})

	var l model.LeaseState
	assert.Equal(t, uintptr(32), unsafe.Sizeof(l), "model.LeaseState: half a cache line")
	assert.False(t, hasPointers(reflect.TypeOf(l)), "model.LeaseState: the collector must not scan the lease array")
}

// firstLine checks that each field (by where it ends) lies in the first 64 bytes.
func firstLine(t *testing.T, typ string, ends map[string]uintptr) {
	for name, end := range ends {
		assert.LessOrEqual(t, end, uintptr(64), "%s.%s must be in the first cache line", typ, name)
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
