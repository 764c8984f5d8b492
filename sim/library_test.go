package sim

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

// The seed incident: explain names the 768h system max as what binds the
// broker token's hard end, and says its children and credentials die with it.
func TestExplainDefaultMaxCliff(t *testing.T) {
	s := load(t, "default-max-cliff")
	exps, err := Explain(s)
	require.NoError(t, err)
	var js bytes.Buffer
	require.NoError(t, WriteExplainJSON(&js, s, exps))
	var doc struct {
		Entities []struct {
			ID            string  `json:"id"`
			Kind          string  `json:"kind"`
			TTLSeconds    int64   `json:"ttl_seconds"`
			MaxTTLSeconds *int64  `json:"max_ttl_seconds"`
			HardEnd       *string `json:"hard_end"`
			TTLBoundBy    string  `json:"ttl_bound_by"`
			MaxBoundBy    *string `json:"max_bound_by"`
			Layers        []struct {
				Layer        string `json:"layer"`
				ValueSeconds *int64 `json:"value_seconds"`
				Binding      string `json:"binding"`
			} `json:"layers"`
			Warnings   []string `json:"warnings"`
			Dependents []string `json:"dependents"`
		} `json:"entities"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &doc))
	require.NotEmpty(t, doc.Entities)
	b := doc.Entities[0]
	assert.Equal(t, "broker", b.ID)
	assert.Equal(t, "token", b.Kind)
	assert.Equal(t, int64(24*3600), b.TTLSeconds)
	assert.Equal(t, "role broker token_ttl", b.TTLBoundBy)
	require.NotNil(t, b.MaxBoundBy)
	assert.Equal(t, "system.max_lease_ttl", *b.MaxBoundBy)
	require.NotNil(t, b.MaxTTLSeconds)
	assert.Equal(t, int64(2764800), *b.MaxTTLSeconds)
	require.NotNil(t, b.HardEnd)
	assert.Equal(t, "2024-01-15T10:54:00-07:00", *b.HardEnd)
	assert.Equal(t, []string{"core-api.token ×20", "core-api.credential ×20"}, b.Dependents)
	bindings := map[string]string{}
	for _, l := range b.Layers {
		bindings[l.Layer] = l.Binding
		if l.Layer == "role broker token_max_ttl" {
			assert.Nil(t, l.ValueSeconds, "unset layers are null")
		}
	}
	assert.Equal(t, "max", bindings["system.max_lease_ttl"])
	assert.Equal(t, "ttl", bindings["role broker token_ttl"])
	assert.Empty(t, bindings["role broker token_max_ttl"])

	var text bytes.Buffer
	require.NoError(t, WriteExplainText(&text, s, exps))
	assert.Contains(t, text.String(), "role broker token_max_ttl is unset and role broker token_explicit_max_ttl is unset, so system.max_lease_ttl (768h, the built-in default) applies")
}

func TestRunDefaultMaxCliff(t *testing.T) {
	res := New(load(t, "default-max-cliff"), Options{}).Run()
	require.Len(t, res.Cliffs, 1)
	c := res.Cliffs[0]
	assert.Equal(t, model.Instant(2764800), c.At, "exactly +768h")
	assert.Equal(t, "broker#1", res.EntityID(c.Roots[0]))
	assert.Equal(t, MaxTTL, c.Cause)
	assert.Equal(t, "system.max_lease_ttl", c.BoundBy.String())
	assert.Equal(t, 21, c.Tokens, "the broker's token and its 20 child tokens")
	assert.Equal(t, 20, c.Leases)
	assert.Contains(t, res.Headline(), "broker#1 reached its hard end, issue + 32d (768h) set by system.max_lease_ttl")
	require.Len(t, res.Outages, 1)
	assert.Equal(t, model.Instant(2764800), res.Outages[0].From)
	assert.True(t, res.Outages[0].Ongoing, "nobody logs the broker in again")
	// Children whose own hard end falls on the same instant are counted in
	// the broker's cascade: ancestors' expiries go first.
	for _, f := range res.Fates() {
		if f.Kind == KindChildToken {
			assert.Equal(t, Cascade, f.Cause, f.ID)
		}
	}
}

// The replay reproduces the three published impact windows to the minute.
func TestRunJan2024Replay(t *testing.T) {
	s := load(t, "jan-2024-replay")
	res := New(s, Options{}).Run()
	mst := time.FixedZone("MST", -7*3600)
	at := func(v string) model.Instant {
		tm, err := time.ParseInLocation("2006-01-02 15:04", v, mst)
		require.NoError(t, err)
		return model.Instant(tm.Sub(s.Start) / time.Second)
	}
	type window struct{ from, to string }
	var got []window
	for _, w := range res.Impacts {
		got = append(got, window{Clock{s.Start}.Time(w.From).In(mst).Format("2006-01-02 15:04"), Clock{s.Start}.Time(w.To).In(mst).Format("2006-01-02 15:04")})
	}
	assert.Equal(t, []window{
		{"2024-01-15 10:54", "2024-01-15 13:12"},
		{"2024-01-16 08:55", "2024-01-16 09:15"},
		{"2024-01-16 15:54", "2024-01-16 16:19"},
	}, got)
	require.Len(t, res.Cliffs, 3)
	for i, want := range []string{"2024-01-15 10:54", "2024-01-16 08:55", "2024-01-16 15:54"} {
		assert.Equal(t, at(want), res.Cliffs[i].At)
		assert.Equal(t, "system.max_lease_ttl", res.Cliffs[i].BoundBy.String())
	}
	// Most services back at 12:57, all at 13:12 on Jan 15.
	ends := map[string]model.Instant{}
	for _, o := range res.Outages {
		ends[o.Service] = o.To
	}
	assert.Equal(t, at("2024-01-15 12:57"), ends["registrations"])
	assert.Equal(t, at("2024-01-15 13:12"), ends["device-trust"])
	assert.Equal(t, at("2024-01-16 09:08"), ends["sso"])
	assert.Equal(t, at("2024-01-16 16:19"), ends["user-portal"], "the 16:05 rollback does not help")
}

func TestRunJan2024Fixed(t *testing.T) {
	res := New(load(t, "jan-2024-fixed"), Options{}).Run()
	assert.Empty(t, res.Cliffs)
	assert.Empty(t, res.Outages)
	assert.Equal(t, model.Instant(400*86400), res.Horizon)
	for _, f := range res.Fates() {
		if f.Ended && f.Cause == MaxTTL && !f.Replaced {
			t.Errorf("%s reached its hard end while in use", f.ID)
		}
	}
}

func TestRunStagingVsProduction(t *testing.T) {
	res := New(load(t, "staging-vs-production"), Options{}).Run()
	require.Len(t, res.Cliffs, 1)
	assert.Equal(t, "production-broker#1", res.EntityID(res.Cliffs[0].Roots[0]))
	for _, o := range res.Outages {
		assert.Equal(t, "production-api", o.Service, "staging never meets the cliff")
	}
}

func TestRunShortParent(t *testing.T) {
	res := New(load(t, "short-parent"), Options{}).Run()
	require.Len(t, res.Cliffs, 1)
	c := res.Cliffs[0]
	assert.Equal(t, model.Instant(3600), c.At)
	assert.Equal(t, Expired, c.Cause)
	assert.Equal(t, 9, c.Tokens, "the broker and 8 child tokens granted 720h")
	assert.Equal(t, 8, c.Leases)
}

func TestRunPeriodicBroker(t *testing.T) {
	res := New(load(t, "periodic-broker"), Options{}).Run()
	assert.Empty(t, res.Cliffs)
	assert.Empty(t, res.Outages)
}

// Credentials have their own cap: renewing them (or the token) cannot pass it.
func TestRunLeaseOwnCap(t *testing.T) {
	res := New(load(t, "lease-own-cap"), Options{}).Run()
	require.Len(t, res.Cliffs, 1)
	c := res.Cliffs[0]
	assert.Equal(t, model.Instant(24*3600), c.At)
	assert.Equal(t, MaxTTL, c.Cause)
	assert.Equal(t, "mount database max_lease_ttl", c.BoundBy.String(), "the role's 72h max_ttl is ignored")
	assert.Equal(t, 0, c.Tokens, "the periodic token lives on")
	assert.Equal(t, 5, c.Leases)
	require.Len(t, res.Outages, 1)
	assert.Equal(t, "reports-api", res.Outages[0].Service, "core-api re-reads before the cap")
}
