package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/leasesim/leasesim/model"
)

func TestParse_Existing(t *testing.T) {
	runGood(t, []goodCase{
		{"a live login token", head + world + `actors:
  b:
    login: broker
    existing: {accessor: abc, issue_time: "2023-12-14T17:54:00Z", expire_time: "2024-01-01T09:00:00Z", ttl: 24h}
`, func(t *testing.T, sc *Scenario) {
			x := sc.Actors[0].Existing
			require.NotNil(t, x)
			assert.Equal(t, "abc", x.Accessor)
			assert.Equal(t, model.Instant(-(17*86400 + 6*3600 + 6*60)), x.IssueTime)
			assert.Equal(t, model.Instant(9*3600), x.ExpireTime)
			assert.Equal(t, 24*model.Hour, x.TTL)
			assert.True(t, x.Renewable, "renewable by default")
		}},
	})
	a := head + world + "actors:\n"
	runBad(t, []badCase{
		{"needs login or token", a + "  p: {via: x}\n  x: {login: broker}\n  q:\n    via: x\n    existing: {issue_time: \"2023-12-01T00:00:00Z\", expire_time: \"2024-01-02T00:00:00Z\", ttl: 1h} #!\n", "actors.q.existing", "needs login or token"},
		{"issued after start", a + "  b:\n    login: broker\n    existing: {issue_time: \"2024-01-02T00:00:00Z\", expire_time: \"2024-01-03T00:00:00Z\", ttl: 1h} #!\n", "actors.b.existing.issue_time", "after start"},
		{"already expired", a + "  b:\n    login: broker\n    existing: {issue_time: \"2023-12-01T00:00:00Z\", expire_time: \"2023-12-31T00:00:00Z\", ttl: 1h} #!\n", "actors.b.existing.expire_time", "no longer live"},
		{"no ttl", a + "  b:\n    login: broker\n    existing: {issue_time: \"2023-12-01T00:00:00Z\", expire_time: \"2024-01-02T00:00:00Z\"} #!\n", "actors.b.existing", "missing or zero 'ttl'"},
		{"replicas", a + "  b:\n    login: broker\n    replicas: 2\n    existing: {issue_time: \"2023-12-01T00:00:00Z\", expire_time: \"2024-01-02T00:00:00Z\", ttl: 1h} #!\n", "actors.b.existing", "replicas: 1"},
	})
}
