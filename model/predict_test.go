package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// PredictLife against the rules it follows (semantics.md §4, §7.1): each
// case is a token and the epochs of values its renewals read.
func TestPredictLife(t *testing.T) {
	watcher := Holder{Renews: true, AtIssue: true, Watcher: true}
	fraction := Holder{Renews: true}
	mountMax := func(path string) Layer { return Layer{Kind: LayerMountMax, Name: path} }
	// A token with TTL 24h under an untuned server: hard end 768h.
	tok := create(t, tokenView, TokenRequest{TTL: h(24)}, 0)
	ceiling := func(view MountView) Grant {
		g, err := RenewalGrant(&tok, view, RenewRoles{}, 0, 0)
		require.NoError(t, err)
		return g
	}
	tuned := func(max Duration) MountView {
		return ResolveMount(untuned, Mount{Path: TokenMountPath, MaxLeaseTTL: max})
	}
	type want struct {
		at       Instant
		by       Layer
		hard     bool
		exact    bool
		earliest Instant
	}
	for _, c := range []struct {
		name      string
		renewable bool
		holder    Holder
		epochs    []Epoch
		want      want
	}{
		{"not renewed: its first TTL ends it", true, Holder{}, nil,
			want{at(h(24)), Layer{Kind: LayerRequestTTL}, false, true, at(h(24))}},
		{"not renewable: its first TTL ends it", false, watcher, []Epoch{{At: 0, Grant: ceiling(tokenView)}},
			want{at(h(24)), Layer{Kind: LayerRequestTTL}, false, true, at(h(24))}},
		{"renewed: the ceiling ends it", true, watcher, []Epoch{{At: 0, Grant: ceiling(tokenView)}},
			want{at(h(768)), sysMax(), true, true, at(h(768))}},
		{"a tune lowers the max well ahead: the new ceiling ends it", true, watcher,
			[]Epoch{{At: 0, Grant: ceiling(tokenView)}, {At: at(h(240)), Grant: ceiling(tuned(h(480)))}},
			want{at(h(480)), mountMax(TokenMountPath), true, true, at(h(480))}},
		{"a tune puts the ceiling in the past: renewals refused, it ends when its TTL runs out", true, watcher,
			[]Epoch{{At: 0, Grant: ceiling(tokenView)}, {At: at(h(240)), Grant: ceiling(tuned(h(100)))}},
			want{at(h(264)), Layer{Kind: LayerPreviousTTL}, false, false, at(h(240)) + 1}},
		{"a tune lands inside the last grant: a range", true, fraction,
			[]Epoch{{At: 0, Grant: ceiling(tokenView)}, {At: at(h(240)), Grant: ceiling(tuned(h(250)))}},
			want{at(h(264)), mountMax(TokenMountPath), true, false, at(h(250))}},
		{"a tune raises the max: the later ceiling ends it", true, watcher,
			[]Epoch{{At: 0, Grant: ceiling(tokenView)}, {At: at(h(100)), Grant: ceiling(tuned(h(1000)))}},
			want{at(h(1000)), mountMax(TokenMountPath), true, true, at(h(1000))}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := PredictLife(tok.Grant, 0, tok.ExpireTime, c.renewable, c.holder, c.epochs)
			got := want{l.End.At, l.End.By, l.HardEnd, l.Exact, l.Earliest}
			assert.Equal(t, c.want, got)
		})
	}
}

// §4: a token created through a token role without an explicit max, with
// a request explicit_max_ttl, keeps the request cap only until its first
// renewal re-reads the role.
func TestPredictLifeTokenRoleReread(t *testing.T) {
	role := &TokenRole{Name: "svc", Renewable: true}
	tok := create(t, tokenView, TokenRequest{TTL: h(1), ExplicitMaxTTL: h(3), Role: role}, 0)
	assert.Equal(t, at(h(3)), tok.Grant.HardEnd, "the creation grant has the request cap")
	g, err := RenewalGrant(&tok, tokenView, RenewRoles{Token: role}, 0, 0)
	require.NoError(t, err)
	l := PredictLife(tok.Grant, 0, tok.ExpireTime, true, Holder{Renews: true, AtIssue: true, Watcher: true}, []Epoch{{At: 0, Grant: g}})
	assert.Equal(t, End{Set: true, At: at(h(768)), By: sysMax()}, l.End, "renewals read the role: the system max applies")
	assert.True(t, l.Exact && l.HardEnd)
}

// §3.2, §6.1: a child ends with its parent when the parent ends first or
// at the same instant; overlapping ranges give a range.
func TestLifeBounded(t *testing.T) {
	own := Life{End: End{Set: true, At: 100, By: sysMax()}, HardEnd: true, Exact: true, Earliest: 100}
	parent := Life{End: End{Set: true, At: 50, By: sysMax()}, HardEnd: true, Exact: true, Earliest: 50}
	anc := Layer{Kind: LayerAncestor, Name: "p"}
	assert.Equal(t, Life{End: End{Set: true, At: 50, By: anc}, Exact: true, Earliest: 50}, own.Bounded(parent, "p"))
	assert.Equal(t, own, own.Bounded(Life{End: End{Set: true, At: 200}, Exact: true, Earliest: 200}, "p"))
	assert.Equal(t, anc, own.Bounded(Life{End: End{Set: true, At: 100}, Exact: true, Earliest: 100}, "p").End.By, "a tie goes to the ancestor")
	assert.Equal(t, own, own.Bounded(Life{Exact: true}, "p"), "a parent that never ends")
	r := own.Bounded(Life{End: End{Set: true, At: 150}, Earliest: 80}, "p")
	assert.False(t, r.Exact)
	assert.Equal(t, Instant(80), r.Earliest)
	assert.Equal(t, Instant(100), r.End.At)
}
