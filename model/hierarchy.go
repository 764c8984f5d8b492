package model

import (
	"errors"
	"fmt"
	"slices"
)

// NodeID identifies a token or lease in a Hierarchy. IDs are dense indexes
// handed out in creation order, but for a released node's, which the next
// node of its sort (lease, or token) reuses (Hierarchy.Release); None means
// "no node".
type NodeID int32

// None is the absent node (no parent, no child).
const None NodeID = -1

// NodeKind is what a node of the hierarchy is.
type NodeKind uint8

// Node kinds.
const (
	ServiceToken NodeKind = iota
	BatchToken
	LeaseNode
)

// ErrBatchRevoke is the backend's refusal to revoke a batch token (§6.3, §3.2).
var ErrBatchRevoke = errors.New("batch tokens cannot be revoked")

// Hierarchy is the parent index of the token store and the token index of
// the expiration manager (semantics.md §3.2, §5.1, §6): which tokens and
// leases go when a token goes. It is a forest of int32-linked nodes with
// no pointers, so a large fleet costs a few words per node and the garbage
// collector never scans it. Children are kept in creation order, which
// makes every revocation order deterministic.
//
// 17 bytes a node: parent, the first child, the next and previous
// sibling, and a byte of flags (kind, alive, hadTokens). The previous-sibling links are circular through the first child
// (prev of the first child is the last one), so no column holds the last
// child: a lease, which has no children, carries one child column, not two.
//
// A dead node may be released (Release) and its id handed to the next
// node of its sort added: a lease's to a lease, a token's to a token (a
// run that recycles ended credentials and tokens, sim's recycle.go).
// Creation order among siblings is then the order they were added, which
// a reused id does not say; lists keep it anyway, since an added node
// always goes last.
type Hierarchy struct {
	parent, first, next, prev []NodeID
	flags                     []uint8
	frames                    []walkFrame // reused by walks
	free                      []NodeID    // released lease nodes, the next AddLease's
	freeTokens                []NodeID    // released token nodes, the next AddToken's
}

// flags of a node: its kind in the low bits, then these.
const (
	kindMask  uint8 = 3
	aliveBit  uint8 = 4
	hadTokens uint8 = 8  // a child token was ever added: walks look for them only there
	freeBit   uint8 = 16 // released: no node, its id waits for a node of its sort (Release)
)

// Len is the number of ids handed out: nodes ever added, less the
// additions that reused a released id.
func (h *Hierarchy) Len() int { return len(h.parent) }

// Free is the number of released ids no node holds now.
func (h *Hierarchy) Free() int { return len(h.free) + len(h.freeTokens) }

// Released reports whether n is a released id no node holds now.
func (h *Hierarchy) Released(n NodeID) bool { return h.flags[n]&freeBit != 0 }

// Release gives up dead node n's id, for the next node of its sort to
// reuse (AddLease a lease's, AddToken a token's): its caller keeps nothing
// of n that names it by id. n must be revoked, listed by no live token
// (revoked alone it was unlinked; in a cascade, its token died with it),
// and released once; a token must have no children left, and every node
// ever added under it must have been released first: a dropped child's
// stale parent column names it, and would name its id's next token.
func (h *Hierarchy) Release(n NodeID) {
	f := h.flags[n]
	k := NodeKind(f & kindMask)
	if f&(aliveBit|freeBit) != 0 || (k != LeaseNode && h.first[n] != None) {
		panic(fmt.Sprintf("model: releasing node %d, not a revoked lease or a revoked token without children (flags %#x)", n, f))
	}
	if p := h.parent[n]; p != None && h.Alive(p) {
		panic(fmt.Sprintf("model: releasing node %d, still listed by live token %d", n, p))
	}
	h.parent[n], h.first[n], h.next[n], h.prev[n] = None, None, None, None
	h.flags[n] = uint8(k) | freeBit
	if k == LeaseNode {
		h.free = append(h.free, n)
	} else {
		h.freeTokens = append(h.freeTokens, n)
	}
}

// Parent returns n's parent, or None for a root (and once n is revoked
// or orphaned: callers that report ancestry keep their own record). A
// revoked node's parent column is stale (a cascade does not write a
// million of them): its flag says it has none.
func (h *Hierarchy) Parent(n NodeID) NodeID {
	if h.flags[n]&aliveBit == 0 {
		return None
	}
	return h.parent[n]
}

// Kind returns what n is.
func (h *Hierarchy) Kind(n NodeID) NodeKind { return NodeKind(h.flags[n] & kindMask) }

// Alive reports whether n has not been revoked.
func (h *Hierarchy) Alive(n NodeID) bool { return h.flags[n]&aliveBit != 0 }

// Children calls f for each live child of n in creation order.
func (h *Hierarchy) Children(n NodeID, f func(NodeID)) {
	for c := h.first[n]; c != None; c = h.next[c] {
		f(c)
	}
}

// AddToken adds a token. parent is None for an orphan or a login token;
// otherwise the parent must be a live service token (§3.1: a batch parent
// cannot create tokens; storeCommon fails with "parent token not found").
// Non-orphan batch tokens are linked to their parent too: they are not in
// the parent index, but they stop working when the parent does (§3.2).
func (h *Hierarchy) AddToken(parent NodeID, batch bool) (NodeID, error) {
	if parent != None {
		if !h.Alive(parent) {
			return None, errors.New("parent token not found")
		}
		if h.Kind(parent) != ServiceToken {
			return None, ErrBatchParent
		}
	}
	k := ServiceToken
	if batch {
		k = BatchToken
	}
	return h.add(parent, k), nil
}

// LeaseIndex returns the token a lease issued by tok is indexed on, and so
// revoked with (semantics.md §5.1, Register): the token itself for a
// service token; the batch token's parent for a non-orphan batch token;
// None (no index: the lease lives by its own TTL) for an orphan batch token.
func (h *Hierarchy) LeaseIndex(tok NodeID) NodeID {
	if h.Kind(tok) == BatchToken {
		return h.parent[tok]
	}
	return tok
}

// AddLease adds a lease issued by token tok, indexed per LeaseIndex.
func (h *Hierarchy) AddLease(tok NodeID) (NodeID, error) {
	if !h.Alive(tok) {
		return None, errors.New("token not found")
	}
	return h.add(h.LeaseIndex(tok), LeaseNode), nil
}

func (h *Hierarchy) add(parent NodeID, k NodeKind) NodeID {
	var id NodeID
	free := &h.free
	if k != LeaseNode {
		free = &h.freeTokens
	}
	if f := len(*free); f > 0 { // the latest released: its line is likely cached
		id, *free = (*free)[f-1], (*free)[:f-1]
		h.parent[id] = parent
		h.flags[id] = uint8(k) | aliveBit
	} else {
		id = NodeID(len(h.parent))
		if len(h.parent) == cap(h.parent) {
			h.grow(max(len(h.parent), 64))
		}
		h.parent = append(h.parent, parent)
		h.first = append(h.first, None)
		h.next = append(h.next, None)
		h.prev = append(h.prev, None)
		h.flags = append(h.flags, uint8(k)|aliveBit)
	}
	if parent != None {
		if k != LeaseNode {
			h.flags[parent] |= hadTokens
		}
		if f := h.first[parent]; f != None {
			l := h.prev[f] // the last child
			h.next[l], h.prev[id], h.prev[f] = id, l, id
		} else {
			h.first[parent], h.prev[id] = id, id
		}
	}
	return id
}

// Reserve makes room for n more nodes, a hint from a caller that knows how
// many it will add: the columns are sized once rather than doubled past it.
func (h *Hierarchy) Reserve(n int) { h.grow(n) }

// grow makes room for n more nodes at once: append grows a large slice by
// a quarter, and a fleet re-reading a million credentials would copy the
// columns over four times.
func (h *Hierarchy) grow(n int) {
	h.parent = slices.Grow(h.parent, n)
	h.first = slices.Grow(h.first, n)
	h.next = slices.Grow(h.next, n)
	h.prev = slices.Grow(h.prev, n)
	h.flags = slices.Grow(h.flags, n)
}

// RevokeTree implements tree revocation (semantics.md §6.1,
// vault/token_store.go revokeTreeInternal + revokeInternal): the token and
// every descendant token, depth-first with children before parents, and
// for each token the leases indexed to it just before the token itself
// (RevokeByToken, then the token entry). It calls revoked for each node in
// that order and returns how many were revoked. Revoking a dead node does
// nothing; a batch token cannot be revoked (ErrBatchRevoke).
func (h *Hierarchy) RevokeTree(n NodeID, revoked func(NodeID)) (int, error) {
	if h.Kind(n) == BatchToken {
		return 0, ErrBatchRevoke
	}
	if !h.Alive(n) {
		return 0, nil
	}
	return h.revokeSubtree(n, nil, each(revoked)), nil
}

// ExpireTree is RevokeTree for a token whose own lease ran out: the same
// cascade, allowed for batch tokens too (a batch token's end invalidates
// nothing but itself, since it cannot have children, §3.2).
func (h *Hierarchy) ExpireTree(n NodeID, revoked func(NodeID)) int {
	return h.ExpireTreeBatch(n, nil, each(revoked))
}

// ExpireTreeBatch is ExpireTree handing the revoked nodes over in order,
// a slice at a time (up to buf's capacity, or 1024 when it has none), so
// a caller ends a million descendants in loops of its own rather than a
// call each. A slice's nodes are all revoked when it is handed over; the
// slice is reused for the next one. revoked must not change the hierarchy:
// the walk is still going.
func (h *Hierarchy) ExpireTreeBatch(n NodeID, buf []NodeID, revoked func([]NodeID)) int {
	if !h.Alive(n) {
		return 0
	}
	return h.revokeSubtree(n, buf, revoked)
}

// each hands a batch's nodes to f one by one (nil: nothing to hand).
func each(f func(NodeID)) func([]NodeID) {
	if f == nil {
		return nil
	}
	return func(ns []NodeID) {
		for _, m := range ns {
			f(m)
		}
	}
}

// walkFrame is a token on revokeSubtree's stack: cur is its next child to
// look at for child tokens (None: all of them descended into), leases its
// first lease child (None: none seen yet, or none).
type walkFrame struct{ tok, cur, leases NodeID }

// frame is the walk's frame of token t: a token that never had a child
// token has only leases, which are not scanned for tokens.
func (h *Hierarchy) frame(t NodeID) walkFrame {
	if h.flags[t]&hadTokens != 0 {
		return walkFrame{t, h.first[t], None}
	}
	return walkFrame{t, None, h.first[t]}
}

// revokeSubtree walks n's subtree post-order. A token is emitted after all
// of its child tokens, preceded by its leases (in creation order); the
// emitted nodes go to revoked in slices of buf's length. One pass over a
// token's children finds its child tokens; a second, from its first lease
// on, emits the leases, and only a token with leases needs it: a broker's
// half a million child tokens are read once, not pushed on a stack and
// read again. No recursion, no allocation once the stack and buf have
// grown.
//
// All of a token's children go with it: its list is dropped whole, not
// unlinked node by node. A dropped node keeps its stale parent, next and
// prev: nothing reads them once it is dead (Parent reads its flag first;
// only live nodes are detached or issue leases).
func (h *Hierarchy) revokeSubtree(n NodeID, buf []NodeID, revoked func([]NodeID)) int {
	if cap(buf) == 0 {
		buf = make([]NodeID, 0, 1024)
	}
	// The emitted nodes fill out[:i]; flush hands them over. The loops
	// that fill it make no call (each would spill their values on every
	// trip): they stop when it is full, and flush is called between them.
	out, i, count := buf[:cap(buf)], 0, 0
	flush := func() {
		if i > 0 && revoked != nil {
			revoked(out[:i])
		}
		count += i
		i = 0
	}
	flags, next, first := h.flags, h.next, h.first // the walk changes no column's length
	st := append(h.frames[:0], h.frame(n))
	for len(st) > 0 {
		fr := &st[len(st)-1]
		c := fr.cur
		for c != None {
			f := flags[c]
			if f&kindMask == uint8(LeaseNode) {
				if fr.leases == None {
					fr.leases = c
				}
				c = next[c]
				continue
			}
			if f&hadTokens != 0 {
				break
			}
			// A token that never had a child token (a broker's half a
			// million children): its leases, then it, as its own frame
			// would, without one, when out has room for them all.
			i0, l := i, first[c]
			for ; l != None && i < len(out); l = next[l] {
				if g := flags[l]; g&kindMask == uint8(LeaseNode) {
					flags[l] = g &^ aliveBit
					out[i] = l
					i++
				}
			}
			if l != None || i == len(out) {
				for _, l := range out[i0:i] { // alive, as listed by a live token
					flags[l] |= aliveBit
				}
				i = i0
				break // no room: flushed below, or a frame of its own
			}
			first[c] = None
			flags[c] = f &^ aliveBit
			out[i] = c
			i++
			c = next[c]
		}
		if c != None && flags[c]&hadTokens == 0 && i > 0 {
			fr.cur = c // a token with no child token and no room left: again once flushed
			flush()
			continue
		}
		if c != None { // a child token with a subtree (or more leases than out holds): it goes first
			fr.cur = next[c]
			st = append(st, h.frame(c))
			continue
		}
		top := fr.tok
		for c := fr.leases; ; flush() {
			for ; c != None && i < len(out); c = next[c] {
				if f := flags[c]; f&kindMask == uint8(LeaseNode) {
					flags[c] = f &^ aliveBit
					out[i] = c
					i++
				}
			}
			if c == None {
				break
			}
		}
		if i == len(out) {
			flush()
		}
		h.first[top] = None
		if top == n {
			h.kill(top) // the subtree's root leaves its parent's list
		} else {
			h.flags[top] &^= aliveBit // its parent dropped its list
		}
		out[i] = top
		i++
		st = st[:len(st)-1]
	}
	h.frames = st[:0]
	flush()
	return count
}

// RevokeOrphan implements revoke-orphan (semantics.md §6.3,
// revokeInternal skipOrphan=false): the token and the leases indexed to it
// are revoked; each direct child token has its parent cleared and becomes a
// root living by its own TTL. Non-orphan batch children are not in the
// parent index, so their parent lookup now fails: they stop working too
// (§3.2, lookupBatchToken). Order: leases, batch children, the token.
func (h *Hierarchy) RevokeOrphan(n NodeID, revoked func(NodeID)) (int, error) {
	if h.Kind(n) == BatchToken {
		return 0, ErrBatchRevoke
	}
	if !h.Alive(n) {
		return 0, nil
	}
	count := 0
	for c := h.first[n]; c != None; {
		nx := h.next[c]
		switch h.Kind(c) {
		case ServiceToken:
			h.detach(c)
		default: // leases and batch children end with the token
			h.kill(c)
			count++
			if revoked != nil {
				revoked(c)
			}
		}
		c = nx
	}
	h.kill(n)
	if revoked != nil {
		revoked(n)
	}
	return count + 1, nil
}

// RevokeLease revokes one lease on its own (its expiry or sys/leases/revoke).
func (h *Hierarchy) RevokeLease(n NodeID) {
	if h.Alive(n) {
		h.kill(n)
	}
}

// kill marks n dead and unlinks it from its parent's children.
func (h *Hierarchy) kill(n NodeID) {
	h.flags[n] &^= aliveBit
	h.detach(n)
}

// detach unlinks n from its parent, making it a root.
func (h *Hierarchy) detach(n NodeID) {
	p := h.parent[n]
	if p == None {
		return
	}
	f, nx, pr := h.first[p], h.next[n], h.prev[n] // pr: the last child when n is the first
	switch {
	case n == f && nx == None: // the only child
		h.first[p] = None
	case n == f:
		h.first[p], h.prev[nx] = nx, pr
	case nx == None: // the last child: the first's prev names its predecessor
		h.next[pr], h.prev[f] = None, pr
	default:
		h.next[pr], h.prev[nx] = nx, pr
	}
	h.parent[n], h.next[n], h.prev[n] = None, None, None
}
