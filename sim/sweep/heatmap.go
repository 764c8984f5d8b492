package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Heatmap is a metric averaged over a grid of two parameters: the data of
// a heatmap chart. Each cell averages every row with those two values —
// over seeds and over any other swept parameter — that has the metric
// (first_cliff_offset_seconds and earliest_hard_end_offset_seconds are
// absent from runs without a cliff or a reached hard end).
type Heatmap struct {
	Metric  string
	X, Y    string   // parameter paths ("seed" for the seeds)
	XValues []string // in sweep order
	YValues []string
	Mean    [][]float64 // [y][x]; NaN where no row has the metric
	Count   [][]int     // [y][x]: the rows averaged
	Rows    [][]int     // [y][x]: all rows with those values, with or without the metric
	// Censored marks [y][x] cells whose mean is a lower bound: for
	// outage_seconds and failed_requests, a run's outage was cut at the
	// horizon (Metrics.Censored); for first_cliff_offset_seconds and
	// earliest_hard_end_offset_seconds, a completed run had none before
	// its horizon.
	Censored [][]bool
}

// HeatmapData averages metric over the rows of t on a grid of parameter x
// (columns) by parameter y (rows of the grid). x and y are swept paths, or
// "seed".
func HeatmapData(t *Table, metric, x, y string) (*Heatmap, error) {
	if !slices.Contains(NumericMetrics, metric) {
		msg := fmt.Sprintf("unknown metric %q; a heatmap can show: %s", metric, strings.Join(NumericMetrics, ", "))
		if slices.Contains(MetricColumns, metric) {
			msg = fmt.Sprintf("%s is text, not a number; a heatmap can show: %s", metric, strings.Join(NumericMetrics, ", "))
		}
		return nil, fmt.Errorf("%s", msg)
	}
	if x == y {
		return nil, fmt.Errorf("a heatmap needs two different parameters; both are %s", x)
	}
	xs, err := column(t, x)
	if err != nil {
		return nil, err
	}
	ys, err := column(t, y)
	if err != nil {
		return nil, err
	}
	h := &Heatmap{Metric: metric, X: x, Y: y, XValues: order(t, xs), YValues: order(t, ys)}
	xi, yi := index(h.XValues), index(h.YValues)
	sum := make([][]float64, len(h.YValues))
	h.Mean, h.Count, h.Rows = make([][]float64, len(h.YValues)), make([][]int, len(h.YValues)), make([][]int, len(h.YValues))
	for j := range h.YValues {
		sum[j] = make([]float64, len(h.XValues))
		h.Mean[j] = make([]float64, len(h.XValues))
		h.Count[j] = make([]int, len(h.XValues))
		h.Rows[j] = make([]int, len(h.XValues))
	}
	h.Censored = make([][]bool, len(h.YValues))
	for j := range h.Censored {
		h.Censored[j] = make([]bool, len(h.XValues))
	}
	cut := metric == ColOutageSeconds || metric == ColFailedRequests
	untilHorizon := metric == ColFirstCliffOffset || metric == ColEarliestHardEnd
	for i := range t.Rows {
		r := &t.Rows[i]
		cx, cy := xi[xs(r)], yi[ys(r)]
		h.Rows[cy][cx]++
		v, ok := r.metric(metric)
		if ok {
			sum[cy][cx] += v
			h.Count[cy][cx]++
			h.Censored[cy][cx] = h.Censored[cy][cx] || (cut && r.Censored)
		}
		// A completed run without a first cliff or hard end had none before
		// its horizon: its time is at least the horizon, more than any run
		// that had one, so the mean of the others is a lower bound too.
		if !ok && r.Err == "" && untilHorizon {
			h.Censored[cy][cx] = true
		}
	}
	for j := range sum {
		for i := range sum[j] {
			h.Mean[j][i] = math.NaN()
			if n := h.Count[j][i]; n > 0 {
				h.Mean[j][i] = sum[j][i] / float64(n)
			}
		}
	}
	return h, nil
}

// column returns a function reading parameter p of a row.
func column(t *Table, p string) (func(*Row) string, error) {
	if p == colSeed {
		return func(r *Row) string { return strconv.FormatUint(r.Seed, 10) }, nil
	}
	j := slices.Index(t.Grid.Paths(), p)
	if j < 0 {
		return nil, fmt.Errorf("%q is not a swept parameter; the sweep has: %s", p, strings.Join(append(t.Grid.Paths(), colSeed), ", "))
	}
	return func(r *Row) string { return r.Values[j] }, nil
}

// order lists a column's values in order of first appearance by point.
func order(t *Table, col func(*Row) string) []string {
	rows := slices.Clone(t.Rows)
	slices.SortFunc(rows, func(a, b Row) int { return a.Point - b.Point })
	var out []string
	seen := map[string]bool{}
	for i := range rows {
		if v := col(&rows[i]); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func index(vs []string) map[string]int {
	m := make(map[string]int, len(vs))
	for i, v := range vs {
		m[v] = i
	}
	return m
}
