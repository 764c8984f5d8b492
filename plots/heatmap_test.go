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
	for _, want := range []string{"34.6M", "—", "12.50", "168h", "reauth", "failed_requests, mean over"} {
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
