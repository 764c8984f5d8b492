package plots

import (
	"bytes"
	"iter"
	"strconv"
)

// A year of a re-read fleet issues close to a million credentials, and an
// Entity with its strings, grants slice and index entry took about 1 KB
// each. The reader keeps them instead as 64-byte rows without pointers
// (the collector never scans them), in blocks (growing never copies them
// all), with the strings they share (actors, layers) held once and each ID
// rebuilt from its prefix and generation. Entity is the full view of one,
// built on demand; only the renewal chart's entity keeps its grants.

// entity is one token, child token or lease as the reader keeps it.
type entity struct {
	hardEnd                       int64 // as last granted, or None
	renewals                      int64
	issued, ended, replaced, done instant
	lane, gen                     int32 // ID: lanes[lane].prefix + "#" + gen
	parent, root                  int32 // positions, or noEntity
	actor, boundBy                int32 // in store.strs
	kind, cause                   uint8
	kept                          bool // its grants are in store.grants
}

// instant is an instant of the log in 4 bytes: seconds from the start
// plus one, 0 for None. The header's horizon bounds every event's t
// (maxHorizon); a hard end or an expiry may lie beyond it, so those stay
// int64.
type instant uint32

// maxHorizon is the longest horizon the reader takes: 136 years, against
// leasesim's 100 (scenarios.MaxHorizon).
const maxHorizon = 1<<32 - 2

func toInstant(t int64) instant { return instant(t + 1) }

// t is the instant in seconds, or None.
func (i instant) t() int64 { return int64(i) - 1 }

// noEntity is the position of no entity (no parent, no cascade root).
const noEntity = -1

var (
	kindNames  = []string{"token", "child-token", "lease"}
	causeNames = []string{"alive", "expired", "max-ttl", "cascade", "revoked", "parent-revoked"}
)

const (
	kindToken uint8 = iota
	kindChildToken
	kindLease
)

const (
	causeAlive uint8 = iota
	causeExpired
	causeMaxTTL
	causeCascade
	causeRevoked
	causeParentRevoked
)

func nameIndex(names []string, s string) (uint8, bool) {
	for i, n := range names {
		if n == s {
			return uint8(i), true
		}
	}
	return 0, false
}

func (e *entity) isToken() bool { return e.kind != kindLease }

// blockList is a list kept in blocks of 4,096: growing it never copies
// what it holds (hundreds of thousands of entities, or revocation seconds).
type blockList[T any] struct {
	blocks [][]T
	n      int
}

const blockBits = 12

func (b *blockList[T]) add(v T) {
	if b.n>>blockBits == len(b.blocks) {
		b.blocks = append(b.blocks, make([]T, 0, 1<<blockBits))
	}
	last := &b.blocks[len(b.blocks)-1]
	*last = append(*last, v)
	b.n++
}

func (b *blockList[T]) at(i int) *T { return &b.blocks[i>>blockBits][i&(1<<blockBits-1)] }

// all yields every element in order.
func (b *blockList[T]) all() iter.Seq2[int, *T] {
	return func(yield func(int, *T) bool) {
		for k, block := range b.blocks {
			for j := range block {
				if !yield(k<<blockBits+j, &block[j]) {
					return
				}
			}
		}
	}
}

// idLane is one ID prefix, ACTOR[R].sub as the log spells it: the
// generations of one token or credential of one replica.
type idLane struct {
	prefix string
	id     entityID // the prefix taken apart; generation unused
	count  int      // generations issued
	gens   []int32  // position of generation g at gens[g-1], or noEntity
}

// keptGrants are every grant and refused renewal of an entity whose
// renewals the reader was asked to keep (ReadOptions.KeepGrants).
type keptGrants struct {
	grants []Grant
	failed []int64
}

// store is the entities of a run and what finds them by ID.
type store struct {
	blockList[entity]

	lanes  []idLane
	laneOf map[string]int32 // prefix -> lane; lookups only
	// odd holds the IDs a prefix and generation do not spell back (a
	// generation written with leading zeros) or whose generation is far
	// past the rest of its lane: rare, and only in edited logs.
	odd   map[string]int32
	oddID map[int32]string

	strs  []string
	strOf map[string]int32 // lookups only

	grants map[int32]*keptGrants
	// Parent and root IDs that name no entity issued before them (an
	// edited log): parents are resolved when the log ends, roots kept as
	// text (only the renewal chart shows a root, by name).
	parentName, rootName map[int32]string
}

func newStore() store {
	return store{laneOf: map[string]int32{}, strOf: map[string]int32{"": 0}, strs: []string{""},
		grants: map[int32]*keptGrants{}}
}

func (s *store) ent(i int32) *entity { return s.at(int(i)) }

func (s *store) str(b string) int32 {
	if i, ok := s.strOf[b]; ok {
		return i
	}
	s.strs = append(s.strs, b)
	s.strOf[b] = int32(len(s.strs) - 1)
	return int32(len(s.strs) - 1)
}

// lookup finds the entity with ID id, without allocating.
func (s *store) lookup(id []byte) (int32, bool) {
	if len(s.odd) > 0 {
		if i, ok := s.odd[string(id)]; ok {
			return i, true
		}
	}
	hash := bytes.LastIndexByte(id, '#')
	if hash <= 0 || hash+1 == len(id) || id[hash+1] == '0' {
		return noEntity, false
	}
	l, ok := s.laneOf[string(id[:hash])]
	if !ok {
		return noEntity, false
	}
	g, ok := atoiPositive(id[hash+1:])
	gens := s.lanes[l].gens
	if !ok || g > len(gens) || gens[g-1] == noEntity {
		return noEntity, false
	}
	return gens[g-1], true
}

// index records that the entity at position i has ID id (parsed: parsed;
// not in the store yet), and sets its lane and generation.
func (s *store) index(id string, parsed entityID, e *entity, i int32) {
	hash := len(id) - 1
	for id[hash] != '#' {
		hash--
	}
	prefix := id[:hash]
	l, ok := s.laneOf[prefix]
	if !ok {
		l = int32(len(s.lanes))
		s.laneOf[prefix] = l
		s.lanes = append(s.lanes, idLane{prefix: prefix, id: parsed})
	}
	lane := &s.lanes[l]
	lane.count++
	e.lane, e.gen = l, int32(parsed.generation)
	g := parsed.generation
	// A run's generations are dense; one far past the rest of its lane,
	// or spelled with leading zeros, goes to the odd map instead.
	if id[hash+1] == '0' || g > 2*lane.count+8 {
		if s.odd == nil {
			s.odd, s.oddID = map[string]int32{}, map[int32]string{}
		}
		s.odd[id], s.oddID[i] = i, id
		return
	}
	for len(lane.gens) < g {
		lane.gens = append(lane.gens, noEntity)
	}
	lane.gens[g-1] = i
}

// id rebuilds the ID of the entity at position i.
func (s *store) id(i int32) string {
	if id, ok := s.oddID[i]; ok {
		return id
	}
	e := s.ent(i)
	return s.lanes[e.lane].prefix + "#" + strconv.Itoa(int(e.gen))
}

// view builds the full Entity of position i.
func (s *store) view(i int32) *Entity {
	e := s.ent(i)
	v := &Entity{
		ID: s.id(i), Kind: kindNames[e.kind], Actor: s.strs[e.actor],
		Replica: s.lanes[e.lane].id.replica, Generation: int(e.gen),
		Renewals: int(e.renewals), kept: e.kept, issued: e.issued.t(),
		Done: e.done.t(), Replaced: e.replaced.t(), Ended: e.ended.t(), Cause: causeNames[e.cause],
		BoundBy: s.strs[e.boundBy], HardEnd: e.hardEnd,
	}
	v.Parent, v.Root = s.parentName[i], s.rootName[i]
	if e.parent != noEntity {
		v.Parent = s.id(e.parent)
	}
	if e.root != noEntity {
		v.Root = s.id(e.root)
	}
	if k := s.grants[i]; k != nil {
		v.Grants, v.FailedRenewals = k.grants, k.failed
	}
	return v
}
