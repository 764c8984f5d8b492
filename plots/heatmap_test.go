package plots

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHeatmap(t *testing.T) {
	g := HeatmapGrid{Scenario: "s", Metric: "failed_requests", X: "roles.broker.token_max_ttl", Y: "actors.broker.when_exhausted",
		XValues: []string{"0", "168h"}, YValues: []string{"none", "reauth"},
		Mean: [][]float64{{34560000, math.NaN()}, {0, 12.5}}}
	render := func() []byte {
		p, err := Heatmap(g)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, Render(&b, p, "svg", SlideWidth, SlideHeight))
		return b.Bytes()
	}
	a := render()
	assert.Equal(t, a, render(), "deterministic SVG")
	for _, want := range []string{"34.6M", "—", "12.50", "168h", "reauth", "Failed requests: best 0 at token_max_ttl 0, when_exhausted reauth"} {
		assert.Contains(t, string(a), want)
	}
	_, err := Heatmap(HeatmapGrid{XValues: []string{"a"}, YValues: []string{"b"}, Mean: [][]float64{{1, 2}}})
	assert.Error(t, err)
}

func TestCellText(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 3: "3", 2.5: "2.50", 25000: "25k", 2.5e6: "2.5M"} {
		assert.Equal(t, want, cellText(v, false))
	}
	assert.Equal(t, "—", cellText(math.NaN(), false))
	assert.Equal(t, "192h", cellText(691200, true))
	assert.Equal(t, "1h30m", cellText(5400, true))
}

// Issue 12: cells cut at the horizon are marked "≥", a 0 that means
// "unset" is labelled with what it falls back to, and the title states the
// finding (a value several cells share is counted, not attributed to the
// first of them).
func TestHeatmapLabelsAndTitle(t *testing.T) {
	g := HeatmapGrid{Scenario: "default-max-cliff", Metric: "outage_seconds",
		X: "roles.broker.token_max_ttl", Y: "actors.broker.when_exhausted",
		XValues: []string{"0", "168h", "720h"}, YValues: []string{"none", "reauth"},
		XLabels:  []string{"unset (768h)"},
		Mean:     [][]float64{{691200, 2851200, 864000}, {0, 0, math.NaN()}},
		Censored: [][]bool{{true, true, false}, {false, false, true}},
		Horizon:  "960h (40 days)", Seeds: 10}
	assert.Equal(t, [][]string{{"≥192h", "≥792h", "240h"}, {"0s", "0s", "—"}}, HeatmapCells(g), "≥ only where censored and there is a value")
	assert.Equal(t, "Outage time: best 0s in 2 of 5 cells; worst ≥792h at token_max_ttl 168h, when_exhausted none", HeatmapTitle(g))
	assert.Equal(t, "default-max-cliff · each cell: 10 seeds · runs stop at the horizon, 960h (40 days)", heatmapSubtitle(g))
	assert.Equal(t, []string{"unset (768h)", "168h", "720h"}, axisLabels(g.XValues, g.XLabels))

	g.Metric = "first_cliff_offset_seconds"
	g.Censored = nil
	assert.Equal(t, "Time to the first cliff: best 792h at token_max_ttl 168h, when_exhausted none; worst 0s in 2 of 5 cells", HeatmapTitle(g), "later is better")
	g.Mean = [][]float64{{5, 5, 5}, {5, 5, 5}}
	assert.Equal(t, "Time to the first cliff: 5s in every cell", HeatmapTitle(g))

	p, err := Heatmap(g)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Render(&b, p, "svg", SlideWidth, SlideHeight))
	assert.Contains(t, b.String(), "unset (768h)")
}

// For the time to the first cliff, a cell where no run had one before the
// horizon is the best, not "no data"; a cell where some had none is a
// lower bound.
func TestHeatmapNoneByHorizon(t *testing.T) {
	g := HeatmapGrid{Scenario: "s", Metric: "first_cliff_offset_seconds", X: "roles.broker.token_max_ttl", Y: "seed",
		XValues: []string{"168h", "720h"}, YValues: []string{"1"},
		Mean:     [][]float64{{604800, math.NaN()}},
		Censored: [][]bool{{true, true}}, Horizon: "960h (40 days)"}
	assert.Equal(t, [][]string{{"≥168h", "none by 960h"}}, HeatmapCells(g))
	assert.Equal(t, "Time to the first cliff: best none by 960h at token_max_ttl 720h, seed 1; worst ≥168h at token_max_ttl 168h, seed 1", HeatmapTitle(g))
	g.Metric = "failed_requests" // for other metrics an empty cell stays "no data"
	assert.Equal(t, "—", HeatmapCells(g)[0][1])
}
