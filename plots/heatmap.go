package plots

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"
)

// HeatmapGrid is one metric averaged on a grid of two swept parameters,
// the data of a sweep's heatmap. Mean is indexed [y][x]; NaN marks a cell
// without data (e.g. "first cliff" where no run had a cliff).
type HeatmapGrid struct {
	Scenario         string
	Metric           string
	X, Y             string // parameter paths
	XValues, YValues []string
	Mean             [][]float64
}

// heatGrid adapts HeatmapGrid to gonum's GridXYZ: cell (c, r) sits at
// (c, r), so nominal tick labels line up with cells.
type heatGrid struct{ g *HeatmapGrid }

func (h heatGrid) Dims() (c, r int)   { return len(h.g.XValues), len(h.g.YValues) }
func (h heatGrid) Z(c, r int) float64 { return h.g.Mean[r][c] }
func (h heatGrid) X(c int) float64    { return float64(c) }
func (h heatGrid) Y(r int) float64    { return float64(r) }

// Heatmap draws the grid with a perceptual palette (Kindlmann: luminance
// rises monotonically, so it reads in greyscale) and the value written in
// every cell, so nobody has to read a colour scale.
func Heatmap(g HeatmapGrid) (*plot.Plot, error) {
	nx, ny := len(g.XValues), len(g.YValues)
	if nx == 0 || ny == 0 || len(g.Mean) != ny {
		return nil, fmt.Errorf("plots: heatmap needs a %d×%d grid of values", nx, ny)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range g.Mean {
		if len(row) != nx {
			return nil, fmt.Errorf("plots: heatmap row has %d values, want %d", len(row), nx)
		}
		for _, v := range row {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	p := newPlot(fmt.Sprintf("%s: %s, mean over the runs in each cell (grey: no data)", g.Scenario, g.Metric))
	p.X.Label.Text = g.X
	p.Y.Label.Text = g.Y
	p.NominalX(g.XValues...)
	p.NominalY(g.YValues...)

	pal := moreland.Kindlmann()
	if math.IsInf(lo, 1) { // every cell empty
		lo, hi = 0, 1
	}
	if hi == lo {
		hi = lo + 1
	}
	// Keep the ends of the scale off pure black and white, so every cell
	// still reads as a colour and its label stays legible.
	span := hi - lo
	pal.SetMin(lo - 0.25*span)
	pal.SetMax(hi + 0.15*span)
	hm := plotter.NewHeatMap(heatGrid{&g}, pal.Palette(64))
	hm.Min, hm.Max = lo-0.25*span, hi+0.15*span
	hm.NaN = color.Gray{Y: 230}
	p.Add(hm)

	var xys plotter.XYs
	var texts []string
	for r := range ny {
		for c := range nx {
			xys = append(xys, plotter.XY{X: float64(c), Y: float64(r)})
			texts = append(texts, cellText(g.Mean[r][c], strings.HasSuffix(g.Metric, "_seconds")))
		}
	}
	labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
	if err != nil {
		return nil, err
	}
	for i := range labels.TextStyle {
		st := textStyle(bold, labelSize, ink)
		st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
		v := g.Mean[i/nx][i%nx]
		if !math.IsNaN(v) && (v-lo)/span < 0.55 {
			st.Color = color.White // dark end of the palette
		}
		labels.TextStyle[i] = st
	}
	p.Add(labels)
	return p, nil
}

// cellText writes a cell's mean compactly: "—" for no data, seconds as a
// duration ("192h", "1h30m"), integers plainly, large values with a k/M
// suffix.
func cellText(v float64, seconds bool) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case seconds:
		return formatSeconds(int64(math.Round(v)))
	case math.Abs(v) >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case math.Abs(v) >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// formatSeconds renders whole seconds the way Vault writes durations.
func formatSeconds(s int64) string {
	if s == 0 {
		return "0s"
	}
	var b strings.Builder
	if s < 0 {
		b.WriteByte('-')
		s = -s
	}
	for _, u := range []struct {
		n    int64
		unit string
	}{{3600, "h"}, {60, "m"}, {1, "s"}} {
		if s >= u.n {
			b.WriteString(strconv.FormatInt(s/u.n, 10) + u.unit)
			s %= u.n
		}
	}
	return b.String()
}
