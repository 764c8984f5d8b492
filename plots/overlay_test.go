package plots

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClipSteps(t *testing.T) {
	pts := []Point{{0, 0}, {10, 5}, {20, 0}, {30, 7}}
	assert.Equal(t, []Point{{15, 5}, {20, 0}, {25, 0}}, clipSteps(pts, Window{15, 25}))
	assert.Equal(t, []Point{{0, 0}, {10, 5}, {20, 0}, {30, 7}, {40, 7}}, clipSteps(pts, Window{0, 40}))
	assert.Equal(t, []Point{{35, 7}, {40, 7}}, clipSteps(pts, Window{35, 40}))
}

func TestOverlayWindow(t *testing.T) {
	quiet := []OverlaySeries{{Points: []Point{{0, 0}, {100000, 0}}}}
	w, why := overlayWindow(quiet, 100000)
	assert.Equal(t, Window{0, 100000}, w)
	assert.Empty(t, why)
	busy := []OverlaySeries{{Points: []Point{{0, 0}, {50000, 3}, {52000, 0}, {100000, 0}}, Cliffs: []int64{50000}}}
	w, why = overlayWindow(busy, 100000)
	assert.Equal(t, Window{50000 - 3600, 52000 + 3600}, w)
	assert.NotEmpty(t, why)
}

func TestFormatNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"saves 501 min and 2851500 failed requests.": "saves 501 min and 2,851,500 failed requests.",
		"from 2024-01-15, 12345.5 and 1234":          "from 2024-01-15, 12345.5 and 1234",
		"ADDS 10000 failed requests":                 "ADDS 10,000 failed requests",
		"no digits":                                  "no digits",
	} {
		assert.Equal(t, want, formatNumbers(in), in)
	}
}

// The overlay in the house style: the verdict as title with formatted
// numbers, both runs named in the subtitle, and each run's totals in the
// legend beside the data.
func TestOverlayHouseStyle(t *testing.T) {
	r, err := ReadEvents(strings.NewReader(tinyLog))
	require.NoError(t, err)
	p, err := Overlay(r, r, "baseline tiny", "proposal tiny", "SAME: 3600000 failed requests")
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Render(&b, p, "svg", SlideWidth, SlideHeight))
	for _, want := range []string{">SAME: 3,600,000 failed requests<", ">baseline tiny vs proposal tiny", ">proposal tiny<", ">18,000 failed requests, 1 cliff<"} {
		assert.True(t, strings.Contains(b.String(), want), want)
	}
}
