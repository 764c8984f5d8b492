package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustToken(t *testing.T, h *Hierarchy, parent NodeID, batch bool) NodeID {
	t.Helper()
	n, err := h.AddToken(parent, batch)
	require.NoError(t, err)
	return n
}

func mustLease(t *testing.T, h *Hierarchy, tok NodeID) NodeID {
	t.Helper()
	n, err := h.AddLease(tok)
	require.NoError(t, err)
	return n
}

func collect(order *[]NodeID) func(NodeID) { return func(n NodeID) { *order = append(*order, n) } }

// §6.1: depth-first, children before parents, each token's leases just
// before the token; creation order among siblings.
func TestRevokeTreeOrder(t *testing.T) {
	var hr Hierarchy
	s := mustToken(t, &hr, None, false)
	c1 := mustToken(t, &hr, s, false)
	sl := mustLease(t, &hr, s)
	g1 := mustToken(t, &hr, c1, false)
	c1l := mustLease(t, &hr, c1)
	c2 := mustToken(t, &hr, s, false)
	g1l := mustLease(t, &hr, g1)
	other := mustToken(t, &hr, None, false)

	var order []NodeID
	n, err := hr.RevokeTree(s, collect(&order))
	require.NoError(t, err)
	assert.Equal(t, []NodeID{g1l, g1, c1l, c1, c2, sl, s}, order)
	assert.Equal(t, 7, n)
	for _, x := range order {
		assert.False(t, hr.Alive(x))
	}
	assert.True(t, hr.Alive(other), "other trees are untouched")

	n, err = hr.RevokeTree(s, nil)
	require.NoError(t, err)
	assert.Zero(t, n, "revoking a dead token does nothing")
}

// §6.3: revoke-orphan frees the children.
func TestRevokeOrphan(t *testing.T) {
	var hr Hierarchy
	p := mustToken(t, &hr, None, false)
	c := mustToken(t, &hr, p, false)
	pl := mustLease(t, &hr, p)
	g := mustToken(t, &hr, c, false)
	cl := mustLease(t, &hr, c)
	b := mustToken(t, &hr, p, true)

	var order []NodeID
	_, err := hr.RevokeOrphan(p, collect(&order))
	require.NoError(t, err)
	assert.Equal(t, []NodeID{pl, b, p}, order, "leases and batch children go, service children stay")
	assert.True(t, hr.Alive(c))
	assert.True(t, hr.Alive(g))
	assert.True(t, hr.Alive(cl))
	assert.Equal(t, None, hr.Parent(c), "children become roots")
	assert.Equal(t, c, hr.Parent(g))

	order = nil
	_, err = hr.RevokeTree(c, collect(&order))
	require.NoError(t, err)
	assert.Equal(t, []NodeID{g, cl, c}, order)
}

// §3.2, §5.1: batch tokens cannot parent, cannot be revoked, and their
// leases are indexed on their parent (or nowhere, for orphans).
func TestBatchTokensInTheHierarchy(t *testing.T) {
	var hr Hierarchy
	p := mustToken(t, &hr, None, false)
	b := mustToken(t, &hr, p, true)
	_, err := hr.AddToken(b, false)
	assert.ErrorIs(t, err, ErrBatchParent)
	_, err = hr.RevokeTree(b, nil)
	assert.ErrorIs(t, err, ErrBatchRevoke)
	_, err = hr.RevokeOrphan(b, nil)
	assert.ErrorIs(t, err, ErrBatchRevoke)

	l := mustLease(t, &hr, b)
	assert.Equal(t, p, hr.Parent(l), "indexed on the batch token's parent")
	ob := mustToken(t, &hr, None, true)
	ol := mustLease(t, &hr, ob)
	assert.Equal(t, None, hr.Parent(ol), "orphan batch: no index")

	var order []NodeID
	assert.Equal(t, 1, hr.ExpireTree(b, collect(&order)), "a batch token's end takes only itself")
	assert.True(t, hr.Alive(l), "its lease is indexed on the parent (and clamped to the batch expiry)")
	_, err = hr.AddToken(b, false)
	assert.Error(t, err, "a dead parent cannot create tokens")
}

// A deep chain must not recurse: a million-deep tree revokes fine.
func TestRevokeDeepChain(t *testing.T) {
	var hr Hierarchy
	root := mustToken(t, &hr, None, false)
	p := root
	for range 200_000 {
		p = mustToken(t, &hr, p, false)
	}
	n, err := hr.RevokeTree(root, nil)
	require.NoError(t, err)
	assert.Equal(t, 200_001, n)
}

func TestBoundedByAncestor(t *testing.T) {
	own := End{Set: true, At: 100, By: sysMax()}
	par := End{Set: true, At: 50, By: sysMax()}
	assert.Equal(t, End{Set: true, At: 50, By: Layer{LayerAncestor, "s"}}, BoundedByAncestor(own, par, "s"))
	assert.Equal(t, End{Set: true, At: 100, By: Layer{LayerAncestor, "s"}}, BoundedByAncestor(own, End{Set: true, At: 100}, "s"), "tie: the ancestor's cascade")
	assert.Equal(t, End{Set: true, At: 50, By: Layer{LayerAncestor, "root"}},
		BoundedByAncestor(own, End{Set: true, At: 50, By: Layer{LayerAncestor, "root"}}, "s"), "the cascade's root is named")
	assert.Equal(t, own, BoundedByAncestor(own, End{}, "s"), "parent without end")
	assert.Equal(t, End{Set: true, At: 50, By: Layer{LayerAncestor, "s"}}, BoundedByAncestor(End{}, par, "s"), "periodic child of a mortal parent")
}

// A fleet's nodes are added without copying the columns over at every
// quarter: they double.
func TestHierarchyColumnsDouble(t *testing.T) {
	var h Hierarchy
	root, err := h.AddToken(None, false)
	require.NoError(t, err)
	grew := 0
	for range 100_000 {
		c := cap(h.parent)
		_, err := h.AddLease(root)
		require.NoError(t, err)
		if cap(h.parent) != c {
			grew++
		}
	}
	assert.LessOrEqual(t, grew, 12)
	assert.Equal(t, len(h.parent), len(h.flags))
}

// The columns a node costs (issue 10: engine state per lease): 17 bytes,
// of which a lease uses all but its first-child link.
func TestHierarchyBytesPerNode(t *testing.T) {
	var h Hierarchy
	h.Reserve(1000)
	root, err := h.AddToken(None, false)
	require.NoError(t, err)
	for range 999 {
		_, err := h.AddLease(root)
		require.NoError(t, err)
	}
	bytes := 4*(cap(h.parent)+cap(h.first)+cap(h.next)+cap(h.prev)) + cap(h.flags)
	assert.Equal(t, 17, bytes/h.Len())
}

// A dead lease's released id goes to the next lease added, never to a
// token (TestHierarchyReleaseToken: a token's to a token); the reused node is its new token's last child, so revocation
// order stays creation order. Releasing anything but a dead lease no live
// token lists is refused.
func TestHierarchyRelease(t *testing.T) {
	for _, c := range []struct {
		name string
		// build returns the lease to release and a live token to add under.
		build  func(h *Hierarchy) (lease, tok NodeID)
		panics bool
	}{
		{"revoked alone", func(h *Hierarchy) (NodeID, NodeID) {
			tok := mustToken(t, h, None, false)
			l := mustLease(t, h, tok)
			mustLease(t, h, tok)
			h.RevokeLease(l)
			return l, tok
		}, false},
		{"its token's cascade", func(h *Hierarchy) (NodeID, NodeID) {
			old := mustToken(t, h, None, false)
			l := mustLease(t, h, old)
			mustLease(t, h, old) // a dead sibling still names l in its stale link
			tok := mustToken(t, h, None, false)
			h.ExpireTree(old, nil)
			return l, tok
		}, false},
		{"revoke-orphan of its token", func(h *Hierarchy) (NodeID, NodeID) {
			old := mustToken(t, h, None, false)
			l := mustLease(t, h, old)
			tok := mustToken(t, h, old, false) // orphaned, lives on
			_, err := h.RevokeOrphan(old, nil)
			require.NoError(t, err)
			return l, tok
		}, false},
		{"alive", func(h *Hierarchy) (NodeID, NodeID) {
			tok := mustToken(t, h, None, false)
			return mustLease(t, h, tok), tok
		}, true},
		{"a live token", func(h *Hierarchy) (NodeID, NodeID) {
			tok := mustToken(t, h, None, false)
			return mustToken(t, h, tok, false), tok
		}, true},
		{"twice", func(h *Hierarchy) (NodeID, NodeID) {
			tok := mustToken(t, h, None, false)
			l := mustLease(t, h, tok)
			h.RevokeLease(l)
			h.Release(l)
			return l, tok
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Hierarchy
			l, tok := c.build(&h)
			if c.panics {
				assert.Panics(t, func() { h.Release(l) })
				return
			}
			h.Release(l)
			ids := h.Len()
			assert.True(t, h.Released(l))
			assert.False(t, h.Alive(l))
			assert.Equal(t, None, h.Parent(l))
			assert.Equal(t, 1, h.Free())

			first := mustLease(t, &h, tok)
			assert.Equal(t, l, first, "the next lease reuses the released id")
			assert.Equal(t, ids, h.Len(), "no new id")
			assert.False(t, h.Released(l))
			assert.Equal(t, tok, h.Parent(l))
			newTok := mustToken(t, &h, None, false)
			assert.NotEqual(t, l, newTok)
			later := mustLease(t, &h, tok)
			assert.Equal(t, NodeID(ids+1), later, "nothing free: a new id")

			var kids, order []NodeID
			h.Children(tok, func(c NodeID) { kids = append(kids, c) })
			require.GreaterOrEqual(t, len(kids), 2)
			assert.Equal(t, []NodeID{l, later}, kids[len(kids)-2:], "the reused node is listed where it was added")
			_, err := h.RevokeTree(tok, collect(&order))
			require.NoError(t, err)
			assert.Equal(t, append(kids, tok), order, "revocation in the order added")
		})
	}
}

// A dead token's released id goes to the next token added, never to a
// lease, whether it ended alone, in its parent's cascade or by
// revoke-orphan; the reused token is its new parent's last child, and
// revocation follows the order added.
func TestHierarchyReleaseToken(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(h *Hierarchy) (dead, parent NodeID)
	}{
		{"expired alone", func(h *Hierarchy) (NodeID, NodeID) {
			p := mustToken(t, h, None, false)
			dead := mustToken(t, h, p, false)
			mustLease(t, h, p)
			h.ExpireTree(dead, nil)
			return dead, p
		}},
		{"its parent's cascade", func(h *Hierarchy) (NodeID, NodeID) {
			old := mustToken(t, h, None, false)
			dead := mustToken(t, h, old, true)
			mustToken(t, h, old, false) // a dead sibling still names it in its stale link
			h.ExpireTree(old, nil)
			return dead, mustToken(t, h, None, false)
		}},
		{"revoke-orphan", func(h *Hierarchy) (NodeID, NodeID) {
			dead := mustToken(t, h, None, false)
			l := mustLease(t, h, dead)
			kid := mustToken(t, h, dead, false) // orphaned, lives on
			_, err := h.RevokeOrphan(dead, nil)
			require.NoError(t, err)
			h.Release(l)
			mustLease(t, h, kid) // takes l's id, not the token's
			return dead, kid
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Hierarchy
			dead, parent := c.build(&h)
			h.Release(dead)
			assert.True(t, h.Released(dead))
			assert.Equal(t, 1, h.Free())
			assert.Panics(t, func() { h.Release(dead) }, "twice")
			ids := h.Len()
			l := mustLease(t, &h, parent)
			assert.NotEqual(t, dead, l, "a lease never takes a token's id")
			tok := mustToken(t, &h, parent, false)
			assert.Equal(t, dead, tok, "the next token reuses the released id")
			assert.Equal(t, ids+1, h.Len())
			assert.Equal(t, ServiceToken, h.Kind(tok))
			assert.Equal(t, parent, h.Parent(tok))
			later := mustLease(t, &h, tok)
			var kids, order []NodeID
			h.Children(parent, func(c NodeID) { kids = append(kids, c) })
			assert.Equal(t, []NodeID{l, tok}, kids[len(kids)-2:], "the reused token is listed where it was added")
			_, err := h.RevokeTree(parent, collect(&order))
			require.NoError(t, err)
			assert.Equal(t, later, order[0], "the reused token's own lease first")
			assert.Equal(t, parent, order[len(order)-1])
		})
	}
}
