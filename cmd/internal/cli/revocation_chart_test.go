package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The revocation chart's title and the run report speak of one figure:
// the chart's "peak backlog N" is report.json's peak backlog (the most
// leases waiting at once, at a second's start) of the mount and of the
// busiest cliff, for runs whose chart is drawn. (Planted: the title
// taking the highest backlog at a second's end, as before, fails the
// failing cliff: 12 against 20.)
func TestRevocationChartTitleIsTheReportsPeak(t *testing.T) {
	title := regexp.MustCompile(`Revocation: peak backlog (\d+) leases?;`)
	for _, args := range [][]string{
		{"default-max-cliff", "--set", "backend.mounts.database.revoke={failure: 0.6}"},
		{"fleet-revocation-cliff"},
	} {
		t.Run(args[0], func(t *testing.T) {
			dir := t.TempDir()
			code, _, stderr := run(append([]string{"run"}, append(args, "--out", dir)...)...)
			require.Equal(t, ExitOK, code, stderr)
			svg, err := os.ReadFile(filepath.Join(dir, "revocation.svg"))
			require.NoError(t, err)
			m := title.FindSubmatch(svg)
			require.NotNil(t, m, "the title")
			drawn, _ := strconv.Atoi(string(m[1]))

			data, err := os.ReadFile(filepath.Join(dir, "report.json"))
			require.NoError(t, err)
			var rep struct {
				Revocation struct {
					Cliffs []struct {
						PeakBacklog int `json:"peak_backlog"`
					} `json:"cliffs"`
					Mounts []struct {
						PeakBacklog int `json:"peak_backlog"`
					} `json:"mounts"`
				} `json:"revocation"`
			}
			require.NoError(t, json.Unmarshal(data, &rep))
			require.Len(t, rep.Revocation.Mounts, 1)
			assert.Equal(t, rep.Revocation.Mounts[0].PeakBacklog, drawn, "the mount's peak backlog")
			busiest := 0
			for _, c := range rep.Revocation.Cliffs {
				busiest = max(busiest, c.PeakBacklog)
			}
			assert.Equal(t, busiest, drawn, "the busiest cliff's peak backlog")
		})
	}
}
