package plots

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A log's revocation lines: 20 leases, 9 revoked every 2 s from the cliff.
const revocationLog = `{"version":1,"scenario":"rev","description":"d","seed":1,"start":"2024-01-01T00:00:00Z","horizon_seconds":7200,"services":[],"annotations":[]}
{"kind":"cliff","at":"2024-01-01T01:00:00Z","offset_seconds":3600,"root":"broker#1","roots":["broker#1"],"cause":"max-ttl","bound_by":"request explicit_max_ttl","lifetime_seconds":3600,"tokens_revoked":1,"leases_revoked":20,"replaced_revoked":0,"services":[]}
{"kind":"revocation","t":3600,"time":"2024-01-01T01:00:00Z","mount":"database","ended":20,"attempts":9,"failures":0,"revoked":0,"irrevocable":0,"backlog":20}
{"kind":"revocation","t":3602,"time":"2024-01-01T01:00:02Z","mount":"database","ended":0,"attempts":9,"failures":0,"revoked":9,"irrevocable":0,"backlog":11}
{"kind":"revocation","t":3604,"time":"2024-01-01T01:00:04Z","mount":"database","ended":0,"attempts":2,"failures":0,"revoked":9,"irrevocable":0,"backlog":2}
{"kind":"revocation","t":3606,"time":"2024-01-01T01:00:06Z","mount":"database","ended":0,"attempts":0,"failures":0,"revoked":2,"irrevocable":0,"backlog":0}
`

func TestRevocationChart(t *testing.T) {
	r, err := ReadEvents(strings.NewReader(revocationLog))
	require.NoError(t, err)
	require.Equal(t, 4, r.revocation.n)
	assert.Equal(t, []string{"timeline", "live", "impact", "renewal", "revocation"}, ChartsOf(r))
	p, err := Chart(r, "revocation", "")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Render(&b, p, "svg", SlideWidth, SlideHeight))
	assert.Contains(t, b.String(), "Revocation: peak backlog 20 leases; the database took 9 calls/s at peak (Jan 1 01:00); drained 6s after the cliff")
	assert.Contains(t, b.String(), "backlog")
}

func TestRevocationChartNeedsLines(t *testing.T) {
	r, err := ReadEvents(strings.NewReader(strings.SplitN(revocationLog, "\n", 3)[0] + "\n"))
	require.NoError(t, err)
	assert.Equal(t, Charts, ChartsOf(r))
	_, err = Chart(r, "revocation", "")
	assert.ErrorContains(t, err, "instant model")
}

func TestRevocationLineAfterEventRejected(t *testing.T) {
	bad := revocationLog + `{"t":3700,"time":"x","kind":"script","note":"late"}` + "\n"
	_, err := ReadEvents(strings.NewReader(bad))
	assert.ErrorContains(t, err, "after the cliff lines")
}

// Revocation work done within each second has nothing to draw by the
// second: a run's files leave the chart out (plot --plot still draws it).
func TestRevocationChartOnlyWhenLeasesWaited(t *testing.T) {
	head := strings.SplitN(revocationLog, "\n", 3)[0] + "\n"
	quick := head + `{"kind":"revocation","t":3600,"time":"2024-01-01T01:00:00Z","mount":"database","ended":9,"attempts":9,"failures":0,"revoked":9,"irrevocable":0,"backlog":0}` + "\n"
	r, err := ReadEvents(strings.NewReader(quick))
	require.NoError(t, err)
	require.Equal(t, 1, r.revocation.n)
	assert.Equal(t, Charts, ChartsOf(r))
	_, err = Chart(r, "revocation", "")
	assert.NoError(t, err)
}

// The title's peak backlog is the run report's: the most leases waiting
// at once, at a second's start, the leases that ended in it included —
// not the most left at a second's end. It counts in the singular, and
// work done within the second still had its leases waiting at its start.
func TestRevocationTitleIsTheReportsPeak(t *testing.T) {
	head := strings.SplitN(revocationLog, "\n", 3)[0] + "\n"
	for _, c := range []struct{ lines, want string }{
		{`{"kind":"revocation","t":3600,"time":"2024-01-01T01:00:00Z","mount":"database","ended":1,"attempts":1,"failures":0,"revoked":0,"irrevocable":0,"backlog":1}
{"kind":"revocation","t":3601,"time":"2024-01-01T01:00:01Z","mount":"database","ended":0,"attempts":0,"failures":0,"revoked":1,"irrevocable":0,"backlog":0}`, "Revocation: peak backlog 1 lease;"},
		{`{"kind":"revocation","t":3600,"time":"2024-01-01T01:00:00Z","mount":"database","ended":9,"attempts":9,"failures":0,"revoked":9,"irrevocable":0,"backlog":0}`, "Revocation: peak backlog 9 leases;"},
		// 20 end, 9 revoked in the same second: 11 left at its end.
		{`{"kind":"revocation","t":3600,"time":"2024-01-01T01:00:00Z","mount":"database","ended":20,"attempts":9,"failures":0,"revoked":9,"irrevocable":0,"backlog":11}
{"kind":"revocation","t":3601,"time":"2024-01-01T01:00:01Z","mount":"database","ended":0,"attempts":9,"failures":0,"revoked":9,"irrevocable":0,"backlog":2}
{"kind":"revocation","t":3602,"time":"2024-01-01T01:00:02Z","mount":"database","ended":0,"attempts":2,"failures":0,"revoked":2,"irrevocable":0,"backlog":0}`, "Revocation: peak backlog 20 leases;"},
		// Two mounts: each one's backlog carries over the seconds it has no line.
		{`{"kind":"revocation","t":3600,"time":"2024-01-01T01:00:00Z","mount":"a","ended":5,"attempts":5,"failures":0,"revoked":2,"irrevocable":0,"backlog":3}
{"kind":"revocation","t":3601,"time":"2024-01-01T01:00:01Z","mount":"b","ended":4,"attempts":4,"failures":0,"revoked":4,"irrevocable":0,"backlog":0}
{"kind":"revocation","t":3602,"time":"2024-01-01T01:00:02Z","mount":"a","ended":0,"attempts":3,"failures":0,"revoked":3,"irrevocable":0,"backlog":0}`, "Revocation: peak backlog 7 leases across 2 mounts;"},
	} {
		assert.Contains(t, renderRevocation(t, head+c.lines+"\n", "svg"), c.want)
	}
}

// A revocation line without "ended" (a log from before it was written)
// is refused by name by the revocation chart, which could not show the
// report's peak; the other charts still read the log.
func TestRevocationLineNeedsEnded(t *testing.T) {
	old := strings.Replace(revocationLog, `"ended":20,`, "", 1)
	r, err := ReadEvents(strings.NewReader(old))
	require.NoError(t, err, "the reader takes an older log: only the revocation chart needs ended")
	_, err = Chart(r, "revocation", "")
	assert.ErrorContains(t, err, "line 3")
	assert.ErrorContains(t, err, "ended")
	assert.ErrorContains(t, err, "run the scenario again")
}

// A storm of thousands of seconds (a fleet polling short credentials) is
// summarised like the other charts' series: one PNG stroke through
// thousands of spikes took the rasteriser minutes. The title still gives
// the report's peak, and without a cliff it names none.
func TestRevocationStormIsSummarised(t *testing.T) {
	var log strings.Builder
	log.WriteString(strings.SplitN(revocationLog, "\n", 2)[0] + "\n")
	for s := int64(3600); s < 6600; s++ {
		ended, backlog := 0, 0
		if s%2 == 0 {
			ended, backlog = 10, 10
		}
		fmt.Fprintf(&log, `{"kind":"revocation","t":%d,"time":"x","mount":"database","ended":%d,"attempts":10,"failures":0,"revoked":10,"irrevocable":0,"backlog":%d}`+"\n", s, ended, backlog)
	}
	svg := renderRevocation(t, log.String(), "svg")
	assert.Contains(t, svg, "Revocation: peak backlog 10 leases;")
	// No cliff line: the storm is steady work, and the title says so.
	assert.Contains(t, svg, "s after the work began")
	assert.Contains(t, svg, "around the busiest second of revocation work (no cliff)")
	require.True(t, strings.Contains(svg, "too many changes to draw one by one"), "the backlog must be summarised")
	renderRevocation(t, log.String(), "png")
}

// renderRevocation draws the revocation chart of log in format.
func renderRevocation(t *testing.T, log, format string) string {
	t.Helper()
	r, err := ReadEvents(strings.NewReader(log))
	require.NoError(t, err)
	p, err := Chart(r, "revocation", "")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Render(&b, p, format, SlideWidth, SlideHeight))
	return b.String()
}
