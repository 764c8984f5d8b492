package model

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// refForest is the hierarchy's rules written the slow, obvious way
// (semantics.md §3.2, §5.1, §6.1, §6.3): a parent per node, children found
// by scanning in creation order (the order added: a released lease's id
// reused by a later lease sorts as that later one). The differential test
// below holds the int32-linked Hierarchy to it.
type refForest struct {
	parent []NodeID
	kind   []NodeKind
	alive  []bool
	added  []int    // when each id's node was added (its creation order)
	under  []NodeID // the token each node was added under (a lease: its index), None for a root
	free   []NodeID // released lease ids, the latest reused first
	freeT  []NodeID // released token ids, the latest reused first
	count  int
}

func (r *refForest) children(n NodeID) []NodeID {
	var out []NodeID
	for i, p := range r.parent {
		if p == n && r.alive[i] {
			out = append(out, NodeID(i))
		}
	}
	slices.SortFunc(out, func(a, b NodeID) int { return r.added[a] - r.added[b] })
	return out
}

func (r *refForest) add(parent NodeID, k NodeKind) NodeID {
	r.count++
	free := &r.free
	if k != LeaseNode {
		free = &r.freeT
	}
	if f := len(*free); f > 0 {
		id := (*free)[f-1]
		*free = (*free)[:f-1]
		r.parent[id], r.kind[id], r.alive[id], r.added[id], r.under[id] = parent, k, true, r.count, parent
		return id
	}
	r.parent, r.kind, r.alive = append(r.parent, parent), append(r.kind, k), append(r.alive, true)
	r.added, r.under = append(r.added, r.count), append(r.under, parent)
	return NodeID(len(r.parent) - 1)
}

// released reports whether n's id is free.
func (r *refForest) released(n NodeID) bool {
	return slices.Contains(r.free, n) || slices.Contains(r.freeT, n)
}

// release frees dead node n's id; false if n is alive or free already, or
// a token under which a node not released was added (Release's rule).
func (r *refForest) release(n NodeID) bool {
	if r.alive[n] || r.released(n) {
		return false
	}
	if r.kind[n] != LeaseNode {
		for m, u := range r.under {
			if u == n && !r.released(NodeID(m)) {
				return false
			}
		}
		r.freeT = append(r.freeT, n)
		return true
	}
	r.free = append(r.free, n)
	return true
}

func (r *refForest) kill(n NodeID, out *[]NodeID) {
	r.alive[n], r.parent[n] = false, None
	*out = append(*out, n)
}

// tree is RevokeTree's order: child tokens' subtrees, then the leases, then n.
func (r *refForest) tree(n NodeID, out *[]NodeID) {
	kids := r.children(n)
	for _, c := range kids {
		if r.kind[c] != LeaseNode {
			r.tree(c, out)
		}
	}
	for _, c := range kids {
		if r.kind[c] == LeaseNode {
			r.kill(c, out)
		}
	}
	r.kill(n, out)
}

func (r *refForest) orphan(n NodeID, out *[]NodeID) {
	for _, c := range r.children(n) {
		if r.kind[c] == ServiceToken {
			r.parent[c] = None
		} else {
			r.kill(c, out)
		}
	}
	r.kill(n, out)
}

// Random forests under random adds, revocations and releases of dead
// nodes' ids: every revocation reports the reference's nodes in the
// reference's order, and afterwards every node's liveness, parent and live
// children agree, and so do the released ids.
func TestHierarchyMatchesReference(t *testing.T) {
	for seed := range uint64(25) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var h Hierarchy
		var r refForest
		for step := range 400 {
			n := NodeID(-1)
			if len(r.parent) > 0 {
				n = NodeID(rng.IntN(len(r.parent)))
			}
			var got, want []NodeID
			switch op := rng.IntN(11); {
			case op < 3 || n < 0: // a token: a root, or a child of n
				parent, batch := None, rng.IntN(4) == 0
				if n >= 0 && rng.IntN(3) > 0 {
					parent = n
				}
				id, err := h.AddToken(parent, batch)
				if parent != None && (!r.alive[parent] || r.kind[parent] != ServiceToken) {
					require.Error(t, err)
					break
				}
				require.NoError(t, err)
				k := ServiceToken
				if batch {
					k = BatchToken
				}
				require.Equal(t, r.add(parent, k), id)
			case op < 6: // a lease issued by n
				if r.kind[n] == LeaseNode {
					break // only tokens issue leases
				}
				id, err := h.AddLease(n)
				if !r.alive[n] {
					require.Error(t, err)
					break
				}
				require.NoError(t, err)
				idx := n
				if r.kind[n] == BatchToken {
					idx = r.parent[n]
				}
				require.Equal(t, r.add(idx, LeaseNode), id)
			case op < 8: // its end, or an operator's revoke
				if !r.alive[n] {
					break
				}
				switch {
				case r.kind[n] == LeaseNode:
					h.RevokeLease(n)
					r.kill(n, &want)
					got = want
				case rng.IntN(3) == 0:
					h.ExpireTree(n, func(m NodeID) { got = append(got, m) })
					r.tree(n, &want)
				case rng.IntN(2) == 0:
					// In slices of 1 to 4: each node dead when handed over.
					buf := make([]NodeID, 0, 1+rng.IntN(4))
					h.ExpireTreeBatch(n, buf, func(ms []NodeID) {
						for _, m := range ms {
							require.False(t, h.Alive(m), "seed %d step %d: node %d handed over alive", seed, step, m)
						}
						got = append(got, ms...)
					})
					r.tree(n, &want)
				case r.kind[n] == BatchToken:
					_, err := h.RevokeTree(n, nil)
					require.ErrorIs(t, err, ErrBatchRevoke)
				default:
					_, err := h.RevokeTree(n, func(m NodeID) { got = append(got, m) })
					require.NoError(t, err)
					r.tree(n, &want)
				}
			case op < 9: // a dead node's id released for a later one of its sort
				if r.release(n) {
					h.Release(n)
				}
			default: // revoke-orphan
				if !r.alive[n] || r.kind[n] != ServiceToken {
					break
				}
				_, err := h.RevokeOrphan(n, func(m NodeID) { got = append(got, m) })
				require.NoError(t, err)
				r.orphan(n, &want)
			}
			require.Equal(t, want, got, "seed %d step %d: revocation order", seed, step)
			refKids := make([][]NodeID, len(r.parent))
			for i, p := range r.parent {
				if p != None && r.alive[i] {
					refKids[p] = append(refKids[p], NodeID(i))
				}
			}
			for _, kids := range refKids {
				slices.SortFunc(kids, func(a, b NodeID) int { return r.added[a] - r.added[b] })
			}
			require.Equal(t, len(r.parent), h.Len(), "seed %d step %d: ids handed out", seed, step)
			require.Equal(t, len(r.free)+len(r.freeT), h.Free(), "seed %d step %d: released ids", seed, step)
			for i := range r.parent {
				m := NodeID(i)
				require.Equal(t, r.released(m), h.Released(m), "seed %d step %d node %d released", seed, step, m)
				require.Equal(t, r.alive[m], h.Alive(m), "seed %d step %d node %d alive", seed, step, m)
				require.Equal(t, r.parent[m], h.Parent(m), "seed %d step %d node %d parent", seed, step, m)
				var kids []NodeID
				h.Children(m, func(c NodeID) { kids = append(kids, c) })
				if want := refKids[m]; !slices.Equal(want, kids) {
					t.Fatalf("seed %d step %d node %d (kind %d, alive %v): children %v (kind %d), want %v", seed, step, m, r.kind[m], r.alive[m], kids, r.kind[kids[0]], want)
				}
			}
		}
	}
}
