package plots

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The reader keeps no ID per entity: each is rebuilt from its prefix and
// generation, and found again by them. IDs a prefix and generation do not
// spell back (leading zeros) or far past the rest of their lane are found
// and rebuilt all the same, and stay distinct from their look-alikes.
func TestStoreIDs(t *testing.T) {
	ids := []string{"broker#1", "api[1].cred#1", "api[1].credential#2", "api[1].cred#01", "api[1].cred#999999", "api[1].cred#2", "my.actor#3"}
	var b strings.Builder
	b.WriteString(testHeader + "\n")
	for _, id := range ids {
		fmt.Fprintf(&b, `{"t":0,"kind":"issue","entity":%q,"entity_kind":"lease","actor":"api","ttl":60,"expire_t":60}`+"\n", id)
	}
	r, err := ReadEvents(strings.NewReader(b.String()))
	require.NoError(t, err)
	require.Equal(t, len(ids), r.NumEntities())
	for i, id := range ids {
		assert.Equal(t, id, r.EntityID(i))
		e, ok := r.Entity(id)
		require.True(t, ok, id)
		assert.Equal(t, id, e.ID)
	}
	for _, absent := range []string{"api[1].cred#3", "api[1].cred#001", "api[1].credential#1", "api[2].cred#1", "broker#", "#1", "api[1].cred#999998"} {
		_, ok := r.Entity(absent)
		assert.False(t, ok, absent)
	}
	for _, id := range []string{"api[1].cred#01", "api[1].cred#999999", "api[1].cred#1"} {
		_, err := ReadEvents(strings.NewReader(b.String() + fmt.Sprintf(`{"t":0,"kind":"issue","entity":%q,"entity_kind":"lease","actor":"api","ttl":60,"expire_t":60}`, id)))
		assert.ErrorContains(t, err, "issued twice", id)
	}
}

// A parent named before it was issued (an edited log) is found when the
// log ends; one never issued, and a cascade root, are kept as text.
func TestStoreParentsAndRoots(t *testing.T) {
	log := strings.Join([]string{testHeader,
		`{"t":0,"kind":"issue","entity":"api[1].cred#1","entity_kind":"lease","parent":"broker#1","actor":"api","ttl":60,"expire_t":60}`,
		`{"t":0,"kind":"issue","entity":"broker#1","entity_kind":"token","parent":"ghost#1","actor":"broker","ttl":60,"expire_t":60}`,
		`{"t":10,"kind":"end","entity":"api[1].cred#1","cause":"cascade","root":"broker#1"}`,
		`{"t":20,"kind":"end","entity":"broker#1","cause":"cascade","root":"ghost#7"}`,
	}, "\n")
	r, err := ReadEvents(strings.NewReader(log))
	require.NoError(t, err)
	c, _ := r.Entity("api[1].cred#1")
	assert.Equal(t, "broker#1", c.Parent)
	assert.Equal(t, int32(1), r.ents.ent(0).parent, "resolved to the broker's position")
	assert.Equal(t, "broker#1", c.Root)
	b, _ := r.Entity("broker#1")
	assert.Equal(t, "ghost#1", b.Parent)
	assert.Equal(t, int32(noEntity), r.ents.ent(1).parent)
	assert.Equal(t, "ghost#7", b.Root)
}

// Events carry instants in 4 bytes: the reader takes horizons up to 136
// years (leasesim writes at most 100) and says so beyond.
func TestStoreHorizonBound(t *testing.T) {
	at := func(h int64) string {
		return strings.Replace(testHeader, `"horizon_seconds":7200`, fmt.Sprintf(`"horizon_seconds":%d`, h), 1) + "\n" +
			fmt.Sprintf(`{"t":%d,"kind":"issue","entity":"broker#1","entity_kind":"token","actor":"broker","ttl":60,"expire_t":%d}`, h, h+60) + "\n" +
			fmt.Sprintf(`{"t":%d,"kind":"end","entity":"broker#1","cause":"expired"}`, h)
	}
	r, err := ReadEvents(strings.NewReader(at(maxHorizon)))
	require.NoError(t, err)
	e, _ := r.Entity("broker#1")
	assert.Equal(t, int64(maxHorizon), e.Issued())
	assert.Equal(t, int64(maxHorizon), e.Ended)
	_, err = ReadEvents(strings.NewReader(at(maxHorizon + 1)))
	var le *LineError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "horizon_seconds", le.Field)
	assert.Contains(t, le.Problem, "136 years")
}

// What the reader keeps of an entity is small and holds no pointer: 80
// bytes or less each (about 68: its row and its place in the ID index),
// where a full Entity took about 1 KB (96 leaves room for how blocks and
// slices round up). 50,000 credentials of 1,000
// replicas, none of whose grants are kept.
func TestStoreBytesPerEntity(t *testing.T) {
	const replicas, gens = 1000, 50
	var b strings.Builder
	b.WriteString(strings.Replace(testHeader, `"horizon_seconds":7200`, `"horizon_seconds":9999999`, 1) + "\n")
	b.WriteString(`{"t":0,"kind":"issue","entity":"broker#1","entity_kind":"token","actor":"broker","ttl":0}` + "\n")
	for g := 1; g <= gens; g++ {
		for rep := 1; rep <= replicas; rep++ {
			fmt.Fprintf(&b, `{"t":%d,"kind":"issue","entity":"api[%d].credential#%d","entity_kind":"lease","parent":"broker#1","actor":"api","bound_by":"role app default_ttl","ttl":3600,"expire_t":%d,"hard_end_t":%d}`+"\n", g*3600, rep, g, g*3600+3600, g*3600+7200)
		}
		for rep := 1; rep <= replicas; rep++ {
			fmt.Fprintf(&b, `{"t":%d,"kind":"replace","entity":"api[%d].credential#%d"}`+"\n", g*3600+3000, rep, g)
		}
	}
	log := b.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := ReadEventsWith(strings.NewReader(log), ReadOptions{KeepGrants: func(string, string) bool { return false }})
	require.NoError(t, err)
	runtime.GC()
	runtime.ReadMemStats(&after)
	require.Equal(t, replicas*gens+1, r.NumEntities())
	perEntity := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / int64(replicas*gens)
	t.Logf("%d bytes per entity", perEntity)
	assert.LessOrEqual(t, perEntity, int64(96))
	runtime.KeepAlive(r)
	runtime.KeepAlive(log)
}
