package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/scenarios"
)

// reportDoc is report.json as one value, the shape json.Encoder wrote
// before the report was streamed: the streamed bytes must be its bytes.
type reportDoc struct {
	reportHead
	Entities   []entityJSON    `json:"entities"`
	Revocation *revocationJSON `json:"revocation,omitempty"`
}

// encodeWhole is report.json built whole and encoded in one go, as it was
// written before it streamed, for --entities all.
func encodeWhole(t *testing.T, r *Result) []byte {
	t.Helper()
	doc := reportDoc{reportHead: reportHeadOf(r), Entities: []entityJSON{}, Revocation: revocationDoc(r)}
	for i := range r.Fates() {
		doc.Entities = append(doc.Entities, entityJSONOf(r, &r.Fates()[i]))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(doc))
	return b.Bytes()
}

// The streamed report.json with every entity is, byte for byte, the
// document encoded whole: what every consumer read before it streamed.
func TestStreamedReportIsTheWholeDocument(t *testing.T) {
	for _, e := range scenarios.List() {
		t.Run(e.Name, func(t *testing.T) {
			res := New(load(t, e.Name), Options{}).Run()
			var got bytes.Buffer
			require.NoError(t, WriteReportJSON(&got, res, EntitiesAll))
			want := encodeWhole(t, res)
			if !bytes.Equal(want, got.Bytes()) {
				t.Fatalf("streamed report.json differs from the whole document:\n%s", firstDiff(want, got.Bytes()))
			}
			// auto lists every entity up to FoldEntitiesAbove.
			var auto bytes.Buffer
			require.NoError(t, WriteReportJSON(&auto, res, EntitiesAuto))
			assert.Equal(t, len(res.Fates()) <= FoldEntitiesAbove, bytes.Equal(want, auto.Bytes()), "auto folds only above %d entities", FoldEntitiesAbove)
		})
	}
}

// A run that issues nothing lists no entity, as "entities": [].
func TestReportWithNoEntity(t *testing.T) {
	s, err := scenarios.Parse("empty.yaml", []byte("name: empty\ndescription: the backend is down throughout\nstart: 2024-01-01T00:00:00Z\nhorizon: 1d\nseed: 1\nactors:\n  app: {token: {ttl: 1h}}\nevents:\n  - {at: 0s, do: outage, until: 1d}\n"))
	require.NoError(t, err)
	res := New(s, Options{}).Run()
	require.Empty(t, res.Fates())
	for _, l := range []EntityListing{EntitiesAll, EntitiesFolded} {
		var got bytes.Buffer
		require.NoError(t, WriteReportJSON(&got, res, l))
		assert.Contains(t, got.String(), `"entities": []`)
		if l == EntitiesAll {
			assert.Equal(t, string(encodeWhole(t, res)), got.String())
		}
	}
}

// Folded report.json of the library's larger runs is golden: the groups
// (actor and kind), their fates, and the entities listed one by one with
// why. jan-2024-replay is folded though small: it has cliffs, outages
// and capped renewals to list.
func TestFoldedReportGoldens(t *testing.T) {
	for _, name := range []string{"fleet-revocation-cliff", "jan-2024-fixed", "jan-2024-replay"} {
		t.Run(name, func(t *testing.T) {
			s := load(t, name)
			s.Backend.Revocation = nil
			res := New(s, Options{}).Run()
			var got bytes.Buffer
			require.NoError(t, WriteReportJSON(&got, res, EntitiesFolded))
			golden(t, name+".run.folded.json", got.Bytes())
			checkFolded(t, res, got.Bytes())
		})
	}
}

// checkFolded checks a folded report against the run: the groups count
// every entity once and by fate as the run has them; every listed entity
// says why and is the run's entity, as --entities all shows it.
func checkFolded(t *testing.T, res *Result, report []byte) {
	t.Helper()
	var doc struct {
		Folded bool         `json:"entities_folded"`
		Total  int          `json:"entities_total"`
		Groups []groupJSON  `json:"entity_groups"`
		List   []entityJSON `json:"entities"`
	}
	require.NoError(t, json.Unmarshal(report, &doc))
	require.True(t, doc.Folded)
	require.Equal(t, len(res.Fates()), doc.Total)
	byGroup, ends, alive := map[string]int{}, map[string]int{}, map[string]int{}
	for _, f := range res.Fates() {
		g := groupID(f.Actor, f.Kind)
		byGroup[g]++
		ends[fmt.Sprintf("%s %s %t", g, f.Cause, f.Replaced)]++
		if !f.Ended {
			alive[g]++
		}
	}
	sum := 0
	for _, g := range doc.Groups {
		assert.Equal(t, byGroup[g.Group], g.Entities, g.Group)
		assert.Equal(t, alive[g.Group], g.Alive, g.Group)
		n := 0
		for _, e := range g.Ends {
			n += e.Entities
			ends[fmt.Sprintf("%s %s %t", g.Group, e.EndCause, e.Replaced)] -= e.Entities
		}
		assert.Equal(t, g.Entities, n, "%s: its ends count each entity once", g.Group)
		sum += g.Entities
	}
	assert.Equal(t, len(res.Fates()), sum, "the groups count every entity once")
	for k, n := range ends {
		assert.Zero(t, n, "fate %s", k)
	}
	ids := map[string]int{}
	for i, f := range res.Fates() {
		ids[f.ID] = i
	}
	for _, e := range doc.List {
		require.NotEmpty(t, e.ListedFor, "%s is listed for a reason", e.ID)
		i, ok := ids[e.ID]
		require.True(t, ok, e.ID)
		want := entityJSONOf(res, &res.Fates()[i])
		want.ListedFor = e.ListedFor
		assert.Equal(t, want, e)
	}
}

// fleet is a fleet of n replicas, each reading a credential renewed for
// 12 hours under a 4h cap: n tokens, and three generations of
// credential per replica.
func fleet(t *testing.T, n int) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse("fleet.yaml", fmt.Appendf(nil, `name: fleet
description: n replicas renewing credentials under a 4h cap for 12h
seed: 1
start: 2024-01-01T00:00:00Z
horizon: 12h
backend:
  mounts:
    auth/approle: {}
    database: {default_lease_ttl: 1h, max_lease_ttl: 4h}
roles:
  app: {mount: auth/approle, token_ttl: 1h, token_max_ttl: 24h}
  db: {mount: database}
actors:
  api: {login: app, credential: db, replicas: %d, demand: 10/s}
`, n))
	require.NoError(t, err)
	return s
}

// Folded, report.json does not grow with the fleet: ten times the
// replicas give the same groups, the same listed entities, only larger
// counts.
func TestFoldedReportSizeDoesNotGrowWithTheFleet(t *testing.T) {
	size := func(n int) (int, int, string) {
		res := New(fleet(t, n), Options{}).Run()
		var b, text bytes.Buffer
		require.NoError(t, WriteReportJSON(&b, res, EntitiesFolded))
		checkFolded(t, res, b.Bytes())
		require.NoError(t, WriteRunText(&text, res))
		return b.Len(), len(res.Fates()), text.String()
	}
	small, n1, smallText := size(1_000)
	large, n2, largeText := size(10_000)
	require.Greater(t, n2, 9*n1, "the larger fleet issues ten times the entities")
	assert.LessOrEqual(t, large, small+256, "folded: %d bytes for %d entities, %d for %d", small, n1, large, n2)
	assert.Less(t, small, 20_000, "folded report.json of %d entities", n1)
	assert.Equal(t, strings.Count(smallText, "\n"), strings.Count(largeText, "\n"), "text report lines for 1,000 and 10,000 replicas")
}

// --entities takes auto, all or folded, and nothing else; a bad value's
// error names the flag and what would be valid.
func TestParseEntityListing(t *testing.T) {
	for i, name := range EntityListings {
		l, err := ParseEntityListing(name)
		require.NoError(t, err)
		assert.Equal(t, EntityListing(i), l)
		assert.Equal(t, name, l.String())
	}
	for _, bad := range []string{"", "All", "ALL", "fold", "all,folded", " all", "10000", "none"} {
		_, err := ParseEntityListing(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "--entities")
		assert.Contains(t, err.Error(), "want auto")
	}
	assert.False(t, EntitiesAuto.Folds(FoldEntitiesAbove))
	assert.True(t, EntitiesAuto.Folds(FoldEntitiesAbove+1))
	assert.False(t, EntitiesAll.Folds(1<<30))
	assert.True(t, EntitiesFolded.Folds(0))
}

func FuzzParseEntityListing(f *testing.F) {
	for _, s := range append([]string{"", "ALL", "folded "}, EntityListings...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseEntityListing(s)
		if err != nil {
			if !strings.Contains(err.Error(), "--entities") {
				t.Fatalf("%q: the error does not name the flag: %v", s, err)
			}
			return
		}
		if l.String() != s {
			t.Fatalf("%q parses to %s", s, l)
		}
	})
}

// The text report is bounded in the horizon too (and in the fleet's size:
// TestFoldedReportSizeDoesNotGrowWithTheFleet): a small actor's tokens
// over a long horizon are listed listEach at each end, the generations
// between folded.
func TestTextReportIsBounded(t *testing.T) {
	s, err := scenarios.Parse("broker.yaml", []byte(`name: broker
description: a broker re-authenticating before each 2h hard end, for 30 days
start: 2024-01-01T00:00:00Z
horizon: 30d
seed: 1
backend: {mounts: {auth/approle: {}}}
roles: {r: {mount: auth/approle, token_ttl: 1h, token_max_ttl: 2h}}
actors: {broker: {login: r, when_exhausted: {reauth: {at: 0.8}}}}
`))
	require.NoError(t, err)
	res := New(s, Options{}).Run()
	require.Greater(t, len(res.Fates()), 3*listEach)
	var b bytes.Buffer
	require.NoError(t, WriteRunText(&b, res))
	out := b.String()
	_, fates, _ := strings.Cut(out, "\nEntities")
	assert.Equal(t, 2*listEach, strings.Count(fates, "\n  broker#"), "tokens listed one by one")
	assert.Contains(t, out, "broker#1 ")
	assert.Contains(t, out, fmt.Sprintf("broker#%d ", len(res.Fates())))
	assert.NotContains(t, out, fmt.Sprintf("broker#%d ", listEach+1))
	assert.Regexp(t, fmt.Sprintf(`broker\s+token\s+×%d\s`, len(res.Fates())-2*listEach), out)
}
