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
	// XLabels and YLabels show the values where they need words, as
	// "unset (768h)" for a 0 that means "fall back"; "" (or a short
	// slice) shows the value as written.
	XLabels, YLabels []string
	// Censored marks [y][x] cells whose mean is a lower bound: a run in
	// the cell was still failing when it stopped at the horizon, so its
	// outage time and failed requests were cut there (or, for the time to
	// the first cliff or hard end, had none before it). Drawn "≥".
	Censored [][]bool
	Horizon  string // the runs' horizon for the subtitle, as written; "" leaves it out
	Seeds    int    // runs (seeds) averaged per cell for the subtitle; 0 leaves it out
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
	p := newPlot("")
	p.X.Label.Text = g.X
	p.Y.Label.Text = g.Y
	p.NominalX(axisLabels(g.XValues, g.XLabels)...)
	p.NominalY(axisLabels(g.YValues, g.YLabels)...)

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
		}
	}
	for _, row := range HeatmapCells(g) {
		texts = append(texts, row...)
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
	panel := &sidePanel{items: []legendItem{{kind: itemHeading, text: "Each cell"},
		{kind: itemNote, text: "the mean of " + metricName(g.Metric) + " over the runs with those two values"}}}
	censored, empty, none, unset := false, false, false, ""
	for r := range ny {
		for c := range nx {
			censored = censored || g.censored(r, c)
			none = none || g.noneByHorizon(r, c)
			empty = empty || (math.IsNaN(g.Mean[r][c]) && !g.noneByHorizon(r, c))
		}
	}
	for _, l := range append(append([]string(nil), g.XLabels...), g.YLabels...) {
		if strings.HasPrefix(l, "unset") && unset == "" {
			unset = l
		}
	}
	note := func(head, text string) {
		panel.items = append(panel.items, legendItem{kind: itemHeading, text: head}, legendItem{kind: itemNote, text: text})
	}
	if censored {
		text := "a run in the cell was still failing when it stopped at the horizon, so its outage time and failed requests were cut there"
		if higherIsBetter(g.Metric) {
			text = "a run in the cell had none before it stopped at the horizon: the mean of the others is a lower bound"
		}
		note("≥: a lower bound", text)
	}
	if empty {
		note("— (grey): no data", "no run in the cell has this metric")
	}
	if none {
		note("none by "+g.shortHorizon(), "no run in the cell had one before it stopped at the horizon")
	}
	if unset != "" {
		note(unset, "0 leaves the parameter unset: the value it falls back to applies (the mount's or the server's)")
	}
	p.Add(&header{title: HeatmapTitle(g), subtitle: heatmapSubtitle(g), panel: panel}, panel)
	return p, nil
}

func (g HeatmapGrid) censored(r, c int) bool {
	return r < len(g.Censored) && c < len(g.Censored[r]) && g.Censored[r][c] && !math.IsNaN(g.Mean[r][c])
}

// noneByHorizon says that no run of a cell had a first cliff (or hard
// end) before the horizon: the best a time-to-failure cell can be.
func (g HeatmapGrid) noneByHorizon(r, c int) bool {
	return higherIsBetter(g.Metric) && math.IsNaN(g.Mean[r][c]) && r < len(g.Censored) && c < len(g.Censored[r]) && g.Censored[r][c]
}

// value ranks a cell: its mean, or +Inf for none before the horizon.
func (g HeatmapGrid) value(r, c int) float64 {
	if g.noneByHorizon(r, c) {
		return math.Inf(1)
	}
	return g.Mean[r][c]
}

// axisLabels are the values, each replaced by its label where it has one.
func axisLabels(values, labels []string) []string {
	out := append([]string(nil), values...)
	for i, l := range labels {
		if i < len(out) && l != "" {
			out[i] = l
		}
	}
	return out
}

// HeatmapCells are the texts written in the cells, [y][x]: the mean,
// "≥" before it when censored, "—" without data.
func HeatmapCells(g HeatmapGrid) [][]string {
	out := make([][]string, len(g.Mean))
	for r, row := range g.Mean {
		for c, v := range row {
			t := cellText(v, strings.HasSuffix(g.Metric, "_seconds"))
			switch {
			case g.censored(r, c):
				t = "≥" + t
			case g.noneByHorizon(r, c):
				t = "none by " + g.shortHorizon()
			}
			out[r] = append(out[r], t)
		}
	}
	return out
}

func (g HeatmapGrid) shortHorizon() string {
	if f := strings.Fields(g.Horizon); len(f) > 0 {
		return f[0]
	}
	return "the horizon"
}

// metricName is a sweep metric in words.
func metricName(m string) string {
	switch m {
	case "first_cliff_offset_seconds":
		return "time to the first cliff"
	case "earliest_hard_end_offset_seconds":
		return "time to the earliest hard end in use"
	case "largest_cliff":
		return "largest cliff"
	case "outage_seconds":
		return "outage time"
	case "failed_requests":
		return "failed requests"
	case "system_default_bound":
		return "ends set by the server's max_lease_ttl"
	}
	return strings.ReplaceAll(m, "_", " ")
}

// higherIsBetter: the metrics that are times until something goes wrong.
func higherIsBetter(m string) bool {
	return m == "first_cliff_offset_seconds" || m == "earliest_hard_end_offset_seconds"
}

// HeatmapTitle states the finding: the best and the worst cell, or that
// every cell is the same.
func HeatmapTitle(g HeatmapGrid) string {
	name := metricName(g.Metric)
	name = strings.ToUpper(name[:1]) + name[1:]
	best, worst := [2]int{-1, -1}, [2]int{-1, -1}
	better := func(a, b float64) bool {
		if higherIsBetter(g.Metric) {
			return a > b
		}
		return a < b
	}
	for r, row := range g.Mean {
		for c := range row {
			v := g.value(r, c)
			if math.IsNaN(v) {
				continue
			}
			if best[0] < 0 || better(v, g.value(best[0], best[1])) {
				best = [2]int{r, c}
			}
			if worst[0] < 0 || better(g.value(worst[0], worst[1]), v) {
				worst = [2]int{r, c}
			}
		}
	}
	if best[0] < 0 {
		return name + ": no run has this metric"
	}
	cells := HeatmapCells(g)
	bv, wv := cells[best[0]][best[1]], cells[worst[0]][worst[1]]
	if g.value(best[0], best[1]) == g.value(worst[0], worst[1]) {
		return fmt.Sprintf("%s: %s in every cell", name, bv)
	}
	// A value several cells share is told by their count, not by the
	// first of them.
	phrase := func(word string, rc [2]int, text string) string {
		n, total := 0, 0
		for r, row := range g.Mean {
			for c := range row {
				v := g.value(r, c)
				if !math.IsNaN(v) {
					total++
				}
				if v == g.value(rc[0], rc[1]) && g.censored(r, c) == g.censored(rc[0], rc[1]) {
					n++
				}
			}
		}
		if n > 1 {
			return fmt.Sprintf("%s %s in %d of %d cells", word, text, n, total)
		}
		return fmt.Sprintf("%s %s at %s", word, text, g.cellName(rc))
	}
	return fmt.Sprintf("%s: %s; %s", name, phrase("best", best, bv), phrase("worst", worst, wv))
}

// cellName names a cell by its two values: "token_max_ttl 168h, seed 3".
func (g HeatmapGrid) cellName(rc [2]int) string {
	one := func(path string, values, labels []string, i int) string {
		return path[strings.LastIndexByte(path, '.')+1:] + " " + axisLabels(values, labels)[i]
	}
	return one(g.X, g.XValues, g.XLabels, rc[1]) + ", " + one(g.Y, g.YValues, g.YLabels, rc[0])
}

func heatmapSubtitle(g HeatmapGrid) string {
	s := g.Scenario
	if g.Seeds > 0 {
		s += " · each cell: " + plural(g.Seeds, "seed")
		if g.Y == "seed" || g.X == "seed" {
			s = g.Scenario + " · one run per cell"
		}
	}
	if g.Horizon != "" {
		s += " · runs stop at the horizon, " + g.Horizon
	}
	return s
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
