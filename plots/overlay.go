package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// OverlaySeries is the total failed requests per second of one run, as
// steps on the baseline's clock (seconds from the baseline's start), and
// its cliffs' instants on that clock.
type OverlaySeries struct {
	Label  string
	Points []Point
	Cliffs []int64
}

// OverlayData puts both runs on the baseline's clock: a proposal that
// starts later is shifted right by the difference of the starts.
func OverlayData(base, prop *Run, baseLabel, propLabel string) []OverlaySeries {
	shift := int64(prop.Start.Sub(base.Start).Seconds())
	return []OverlaySeries{failingTotal(base, baseLabel, 0), failingTotal(prop, propLabel, shift)}
}

// failingTotal sums demand × failing / replicas over services as one step series.
func failingTotal(r *Run, label string, shift int64) OverlaySeries {
	type change struct {
		t int64
		d float64
	}
	var cs []change
	for _, s := range r.Services {
		prev := 0.0
		for _, st := range s.Steps {
			v := s.DemandPerSecond * float64(st.Failing) / float64(s.Replicas)
			cs = append(cs, change{st.T + shift, v - prev})
			prev = v
		}
	}
	slices.SortStableFunc(cs, func(a, b change) int { return cmp.Compare(a.t, b.t) })
	out := OverlaySeries{Label: label, Points: []Point{{T: shift, V: 0}}}
	total := 0.0
	for _, c := range cs {
		total += c.d
		if total < 1e-9 && total > -1e-9 {
			total = 0
		}
		if n := len(out.Points); out.Points[n-1].T == c.t {
			out.Points[n-1].V = total
		} else {
			out.Points = append(out.Points, Point{T: c.t, V: total})
		}
	}
	out.Points = append(out.Points, Point{T: r.Horizon + shift, V: total})
	for _, c := range r.Cliffs {
		out.Cliffs = append(out.Cliffs, c.T+shift)
	}
	return out
}

// Overlay draws the baseline and the proposal on one time axis: failed
// requests per second of each as step lines, each run's cliffs as
// vertical lines in its colour. title states the verdict; its numbers are
// written with thousands separators. The legend, with each run's totals,
// sits beside the data, as on every leasesim chart.
func Overlay(base, prop *Run, baseLabel, propLabel, title string) (*plot.Plot, error) {
	data := OverlayData(base, prop, baseLabel, propLabel)
	p := timeChart(base, Window{0, 1}, "failed requests per second, all services")
	to := int64(1)
	for _, s := range data {
		to = max(to, s.Points[len(s.Points)-1].T)
	}
	w, why := overlayWindow(data, to)
	peak := 1.0
	for _, s := range data {
		for _, pt := range s.Points {
			peak = max(peak, pt.V)
		}
	}
	panel := &sidePanel{}
	colours := []color.Color{blue, vermillion}
	dashes := [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}} // greyscale tells them apart too
	runs := []*Run{base, prop}
	var cliffs []marker
	for i, s := range data {
		pts := clipSteps(s.Points, w)
		xys := make(plotter.XYs, len(pts))
		for j, pt := range pts {
			xys[j] = plotter.XY{X: float64(pt.T), Y: pt.V}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle = draw.LineStyle{Color: colours[i], Width: vg.Points(2), Dashes: dashes[i]}
		p.Add(l)
		cliff := draw.LineStyle{Color: colours[i], Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
		panel.items = append(panel.items, legendItem{kind: itemHeading, text: s.Label},
			legendItem{kind: itemLine, line: l.LineStyle, text: "failed requests per second"},
			legendItem{kind: itemNote, text: fmt.Sprintf("%s failed requests, %s", thousands(totalFailed(runs[i])), plural(len(s.Cliffs), "cliff"))})
		if len(s.Cliffs) > 0 {
			panel.items = append(panel.items, legendItem{kind: itemLine, line: cliff, text: "its cliffs"})
		}
		for _, t := range s.Cliffs {
			if w.contains(t) {
				cliffs = append(cliffs, marker{t: t, line: cliff})
			}
		}
	}
	sub := baseLabel + " vs " + propLabel
	if why != "" {
		sub += " · " + why
	}
	hdr := &header{title: formatNumbers(title), subtitle: sub, markers: cliffs, panel: panel}
	p.Add(hdr, panel)
	// Axes last: adding plotters widens them to all the data.
	timeAxis(p, base, w)
	p.Y.Min, p.Y.Max = 0, peak*1.1
	return p, nil
}

// totalFailed is a run's failed requests, as the impact chart adds them.
func totalFailed(r *Run) float64 {
	total := 0.0
	for _, f := range ImpactSeries(r, r.Whole()).Failed {
		total += f
	}
	return total
}

// formatNumbers writes every run of five or more digits in s with
// thousands separators ("2851500 failed requests" → "2,851,500 …");
// four-digit numbers, years among them, stay as they are.
func formatNumbers(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j-i >= 5 && (i == 0 || s[i-1] != '.') && (j == len(s) || s[j] != '.' || j+1 == len(s) || s[j+1] < '0' || s[j+1] > '9') {
			v, _ := strconv.ParseFloat(s[i:j], 64)
			b.WriteString(thousands(v))
			i = j
			continue
		}
		if j > i {
			b.WriteString(s[i:j])
			i = j
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// overlayWindow spans what differs between the runs — their cliffs and
// the spans where requests fail — with a margin of a tenth (at least an
// hour), so a year-long proposal does not squash a two-hour outage; the
// whole time when nothing fails anywhere.
func overlayWindow(data []OverlaySeries, to int64) (Window, string) {
	lo, hi := int64(-1), int64(-1)
	see := func(t int64) {
		if lo < 0 || t < lo {
			lo = t
		}
		hi = max(hi, t)
	}
	for _, s := range data {
		for _, t := range s.Cliffs {
			see(t)
		}
		for i, pt := range s.Points {
			if pt.V != 0 {
				see(pt.T)
				if i+1 < len(s.Points) {
					see(s.Points[i+1].T)
				}
			}
		}
	}
	if lo < 0 {
		return Window{0, to}, ""
	}
	margin := max((hi-lo)/10, 3600)
	w := Window{max(0, lo-margin), min(to, hi+margin)}
	if w.To <= w.From {
		w.To = w.From + 1
	}
	if w.From == 0 && w.To == to {
		return w, ""
	}
	return w, "zoomed to the cliffs and failures"
}

// clipSteps keeps the part of a step series inside w: the value in force
// at w.From, the steps inside, and the last value held to w.To. (gonum
// bends a step line that starts off the axis, so lines start on it.)
func clipSteps(pts []Point, w Window) []Point {
	var out []Point
	v := 0.0
	for _, p := range pts {
		switch {
		case p.T <= w.From:
			v = p.V
		case p.T < w.To:
			if len(out) == 0 {
				out = append(out, Point{w.From, v})
			}
			out = append(out, p)
			v = p.V
		}
	}
	if len(out) == 0 {
		out = append(out, Point{w.From, v})
	}
	return append(out, Point{w.To, v})
}
