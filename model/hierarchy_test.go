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
