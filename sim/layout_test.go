package sim

import (
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

	var l model.Lease
	assert.Equal(t, uintptr(256), unsafe.Sizeof(l), "model.Lease: four cache lines")
	firstLine(t, "model.Lease", map[string]uintptr{
		"IssueTime":    unsafe.Offsetof(l.IssueTime) + unsafe.Sizeof(l.IssueTime),
		"TTL":          unsafe.Offsetof(l.TTL) + unsafe.Sizeof(l.TTL),
		"ExpireTime":   unsafe.Offsetof(l.ExpireTime) + unsafe.Sizeof(l.ExpireTime),
		"BatchClamped": unsafe.Offsetof(l.BatchClamped) + unsafe.Sizeof(l.BatchClamped),
		"Grant.TTL":    unsafe.Offsetof(l.Grant) + unsafe.Sizeof(l.Grant.TTL),
	})
}

// firstLine checks that each field (by where it ends) lies in the first 64 bytes.
func firstLine(t *testing.T, typ string, ends map[string]uintptr) {
	for name, end := range ends {
		assert.LessOrEqual(t, end, uintptr(64), "%s.%s must be in the first cache line", typ, name)
	}
}
