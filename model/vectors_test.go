package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The worked examples of semantics.md §8, one test each. Times are offsets
// from the first token's issue T0; the server is untuned unless noted.

func TestV01_DefaultTTLAndSystemCeiling(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{}, 0)
	assert.Equal(t, h(768), tok.TTL)
	g := renew(t, &tok, tokenView, RenewRoles{}, 0, at(h(100)))
	assert.Equal(t, h(668), g.TTL)
	assert.Len(t, g.Warnings.Messages(), 1)
	assert.Equal(t, at(h(768)), tok.ExpireTime)
}

// V02, required: renewals never move the system ceiling, and the whole
// tree — children with TTLs past it, renewed minutes earlier — goes with it.
func TestV02_SystemMaxCascade(t *testing.T) {
	var hr Hierarchy
	sNode := mustToken(t, &hr, None, false)
	s := create(t, tokenView, TokenRequest{TTL: h(24)}, 0)
	svc := Caller{TTL: h(24)}

	var c1 Token
	var c1Node, c2Node, l1Node NodeID
	var c2 Token
	var l1 Lease
	for now := at(h(12)); now <= at(h(768)); now += at(h(12)) {
		if now == at(h(696)) {
			var err error
			c1, err = CreateToken(tokenView, svc, TokenRequest{TTL: h(24), Renewable: true}, now)
			require.NoError(t, err)
			c1Node = mustToken(t, &hr, sNode, false)
		}
		if now == at(h(768)) {
			_, err := RenewToken(&s, tokenView, RenewRoles{}, 0, now)
			assert.Error(t, err, "renew @768h fails")
			break
		}
		g := renew(t, &s, tokenView, RenewRoles{}, 0, now)
		if now == at(h(756)) {
			assert.Equal(t, h(12), g.TTL, "S renew @756h → 12h")
			var err error
			c2, err = CreateToken(tokenView, svc, TokenRequest{TTL: h(720), Renewable: true}, now)
			require.NoError(t, err)
			c2Node = mustToken(t, &hr, sNode, false)
			db := ResolveMount(untuned, Mount{Path: "database"})
			l1, err = IssueLease(db, SecretsRole{Name: "db", DefaultTTL: h(24), MaxTTL: h(48)}, IssuingToken{ID: "C1", Valid: true}, now)
			require.NoError(t, err)
			l1Node = mustLease(t, &hr, c1Node)
		}
		if c1Node != 0 && now > at(h(696)) {
			renew(t, &c1, tokenView, RenewRoles{}, 0, now)
		}
	}
	assert.Equal(t, at(h(768)), s.ExpireTime, "S expires at T0+768h")
	assert.Equal(t, at(h(1476)), c2.ExpireTime, "C2 would have lived to T0+1476h")
	assert.Equal(t, at(h(780)), l1.ExpireTime, "L1 would have lived to T0+780h")

	var order []NodeID
	hr.ExpireTree(sNode, collect(&order))
	assert.ElementsMatch(t, []NodeID{sNode, c1Node, c2Node, l1Node}, order, "S, C1, C2 and L1 all revoked at T0+768h")
}

func TestV03_ExplicitMaxLowersTheCap(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{TTL: h(24), ExplicitMaxTTL: h(48)}, 0)
	assert.Equal(t, h(24), renew(t, &tok, tokenView, RenewRoles{}, 0, at(h(12))).TTL)
	assert.Equal(t, h(18), renew(t, &tok, tokenView, RenewRoles{}, 0, at(h(30))).TTL)
	assert.Equal(t, h(1), renew(t, &tok, tokenView, RenewRoles{}, 0, at(h(47))).TTL)
	_, err := RenewToken(&tok, tokenView, RenewRoles{}, 0, at(h(48)))
	assert.Error(t, err)
	assert.Equal(t, at(h(48)), tok.ExpireTime)
}

func TestV04_TTLAboveMaxIsCappedNotRejected(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{TTL: h(1000)}, 0)
	assert.Equal(t, h(768), tok.TTL)
	assert.Len(t, tok.Grant.Warnings.Messages(), 1)
}

func TestV05_TunedMountMaxExceedsServerMax(t *testing.T) {
	view := ResolveMount(untuned, Mount{Path: TokenMountPath, MaxLeaseTTL: h(8760)})
	tok := create(t, view, TokenRequest{TTL: h(8000)}, 0)
	assert.Equal(t, h(8000), tok.TTL)
	assert.Equal(t, h(761), renew(t, &tok, view, RenewRoles{}, 0, at(h(7999))).TTL)
	assert.Equal(t, at(h(8760)), tok.ExpireTime)
	assert.Equal(t, Layer{LayerMountMax, TokenMountPath}, tok.Grant.HardEndBy)
}

func TestV07_PeriodicIgnoresTTLAndIncrement(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{Period: h(24), TTL: h(1)}, 0)
	assert.Equal(t, h(24), tok.TTL)
	assert.Equal(t, h(24), renew(t, &tok, tokenView, RenewRoles{}, h(1), at(h(20))).TTL)
	assert.Equal(t, h(24), renew(t, &tok, tokenView, RenewRoles{}, h(100), at(h(40))).TTL)
	for now := at(h(60)); now <= at(h(1000)); now += at(h(20)) {
		assert.Equal(t, h(24), renew(t, &tok, tokenView, RenewRoles{}, 0, now).TTL)
	}
	assert.True(t, tok.ExpireTime > at(h(1000)), "alive at 1000h")
	assert.False(t, tok.Grant.HasHardEnd)
}

func TestV08_PeriodicWithExplicitCeiling(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{Period: h(24), ExplicitMaxTTL: h(36)}, 0)
	assert.Equal(t, h(24), tok.TTL)
	assert.Equal(t, h(16), renew(t, &tok, tokenView, RenewRoles{}, 0, at(h(20))).TTL)
	assert.Equal(t, at(h(36)), tok.ExpireTime)
}

func TestV10_IncrementCappedToRemaining(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{TTL: h(1), ExplicitMaxTTL: h(2)}, 0)
	assert.Equal(t, 90*Minute, renew(t, &tok, tokenView, RenewRoles{}, h(10), at(30*Minute)).TTL)
}

func TestV11_IncrementReplacesAndSticks(t *testing.T) {
	tok := create(t, tokenView, TokenRequest{TTL: h(24)}, 0)
	assert.Equal(t, h(1), renew(t, &tok, tokenView, RenewRoles{}, h(1), at(h(1))).TTL)
	assert.Equal(t, h(1), renew(t, &tok, tokenView, RenewRoles{}, 0, at(90*Minute)).TTL)
	assert.Equal(t, at(150*Minute), tok.ExpireTime)
}

func TestV15_AppRoleMaxTTL(t *testing.T) {
	view := ResolveMount(untuned, Mount{Path: "auth/approle"})
	role := AuthRole{Name: "r", Mount: "auth/approle", TokenTTL: h(1), TokenMaxTTL: h(4)}
	tok, err := Login(view, role, 0)
	require.NoError(t, err)
	assert.Equal(t, h(1), tok.TTL)
	var last Grant
	for now := at(45 * Minute); now <= at(225*Minute); now += at(45 * Minute) {
		last = renew(t, &tok, view, RenewRoles{Auth: &role}, 0, now)
	}
	assert.Equal(t, 15*Minute, last.TTL, "renew @3h45m → 15m")
	assert.Equal(t, at(h(4)), tok.ExpireTime, "revoked T0+4h")
	assert.Equal(t, Layer{LayerRoleTokenMaxTTL, "r"}, last.HardEndBy)
}

func TestV20_ServiceTokenDoesNotCapItsLeases(t *testing.T) {
	var hr Hierarchy
	tNode := mustToken(t, &hr, None, false)
	tok := create(t, tokenView, TokenRequest{TTL: 30 * Minute}, 0)
	db := ResolveMount(untuned, Mount{Path: "database"})
	l, err := IssueLease(db, SecretsRole{Name: "db", DefaultTTL: h(1), MaxTTL: h(24)}, IssuingToken{ID: "T", Valid: true}, 0)
	require.NoError(t, err)
	lNode := mustLease(t, &hr, tNode)
	assert.Equal(t, at(h(1)), l.ExpireTime, "L expiry T0+1h: not capped")
	assert.Equal(t, at(30*Minute), tok.ExpireTime)
	var order []NodeID
	hr.ExpireTree(tNode, collect(&order))
	assert.Equal(t, []NodeID{lNode, tNode}, order, "but revoked with T at T0+30m")
}

func TestV25_BatchChildAndItsLease(t *testing.T) {
	var hr Hierarchy
	pNode := mustToken(t, &hr, None, false)
	p := create(t, tokenView, TokenRequest{TTL: h(1)}, 0)
	b, err := CreateToken(tokenView, Caller{TTL: p.TTL}, TokenRequest{TTL: h(2), Type: TokenBatch}, 0)
	require.NoError(t, err)
	bNode := mustToken(t, &hr, pNode, true)
	assert.Equal(t, h(2), b.TTL)
	db := ResolveMount(untuned, Mount{Path: "database"})
	l, err := IssueLease(db, SecretsRole{Name: "db", DefaultTTL: h(24)}, IssuingToken{ID: "B", Type: TokenBatch, Valid: true, Expire: b.ExpireTime}, 0)
	require.NoError(t, err)
	lNode := mustLease(t, &hr, bNode)
	assert.Equal(t, at(h(2)), l.ExpireTime, "clamped to B")
	var order []NodeID
	hr.ExpireTree(pNode, collect(&order))
	assert.ElementsMatch(t, []NodeID{pNode, bNode, lNode}, order, "L revoked and B unusable at T0+1h")
}

func TestV26_NoParentCapButCascade(t *testing.T) {
	var hr Hierarchy
	pNode := mustToken(t, &hr, None, false)
	p := create(t, tokenView, TokenRequest{TTL: h(1)}, 0)
	c, err := CreateToken(tokenView, Caller{TTL: p.TTL}, TokenRequest{TTL: h(10), Renewable: true}, 0)
	require.NoError(t, err)
	cNode := mustToken(t, &hr, pNode, false)
	o, err := CreateToken(tokenView, Caller{TTL: p.TTL}, TokenRequest{TTL: h(10), NoParent: true, Renewable: true}, 0)
	require.NoError(t, err)
	oNode := mustToken(t, &hr, None, false)
	assert.Equal(t, h(10), c.TTL, "C TTL 10h: no cap by the parent")
	assert.True(t, o.Orphan)
	var order []NodeID
	hr.ExpireTree(pNode, collect(&order))
	assert.Equal(t, []NodeID{cNode, pNode}, order, "C revoked at T0+1h")
	assert.True(t, hr.Alive(oNode), "O lives to its own T0+10h")
	assert.Equal(t, at(h(10)), o.ExpireTime)
}

func TestV27_RevokeOrphan(t *testing.T) {
	var hr Hierarchy
	p := mustToken(t, &hr, None, false)
	c := mustToken(t, &hr, p, false)
	g := mustToken(t, &hr, c, false)
	pl := mustLease(t, &hr, p)
	cl := mustLease(t, &hr, c)
	var order []NodeID
	_, err := hr.RevokeOrphan(p, collect(&order))
	require.NoError(t, err)
	assert.Equal(t, []NodeID{pl, p}, order, "PL revoked at T0+1h")
	for _, n := range []NodeID{c, g, cl} {
		assert.True(t, hr.Alive(n), "C, G, CL alive")
	}
}
