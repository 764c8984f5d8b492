package plots

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
