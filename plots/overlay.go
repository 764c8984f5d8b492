package plots

import (
	"cmp"
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
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
// vertical lines in its colour. title states the verdict.
func Overlay(base, prop *Run, baseLabel, propLabel, title string) (*plot.Plot, error) {
	data := OverlayData(base, prop, baseLabel, propLabel)
	p := newPlot(title)
	to := int64(1)
	for _, s := range data {
		to = max(to, s.Points[len(s.Points)-1].T)
	}
	w, why := overlayWindow(data, to)
	p.Y.Label.Text = "failed requests per second, all services"
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	peak := 1.0
	for _, s := range data {
		for _, pt := range s.Points {
			peak = max(peak, pt.V)
		}
	}
	p.Y.Max = peak * 1.1
	dashes := [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}} // greyscale tells them apart too
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
		l.Width = vg.Points(2)
		l.Dashes = dashes[i]
		l.Color = []color.Color{blue, vermillion}[i]
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s: failed requests/s", s.Label), l)
		for k, t := range s.Cliffs {
			if !w.contains(t) {
				continue
			}
			v, err := plotter.NewLine(plotter.XYs{{X: float64(t), Y: 0}, {X: float64(t), Y: p.Y.Max}})
			if err != nil {
				return nil, err
			}
			v.Color = l.Color
			v.Width = vg.Points(1)
			v.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
			p.Add(v)
			if k == 0 {
				p.Legend.Add(fmt.Sprintf("%s: cliff", s.Label), v)
			}
		}
	}
	// Axes last: adding plotters widens them to all the data.
	timeAxis(p, base, w)
	if why != "" {
		p.X.Label.Text += " · " + why
	}
	p.Y.Min, p.Y.Max = 0, peak*1.1
	p.Legend.Top = true
	return p, nil
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
