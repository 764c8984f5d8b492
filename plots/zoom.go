package plots

import (
	"cmp"
	"fmt"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg/draw"
)

// zoomShare: the live chart gets a second panel when the run's incidents
// span less than 1/zoomShare of its window.
const zoomShare = 20

// zoomTop is the share of the height the main panel keeps.
const zoomTop = 0.62

// IncidentZoom is the span a second panel shows when the run's incidents
// (outage windows and cliffs, each padded like the impact chart's spans:
// by 30 % of its length, at least 10 minutes, on 5-minute marks) are short
// next to w: all of them if together they span less than 1/20 of w, else
// the first if it does; ok is false when no zoom is needed. why says what
// the panel shows.
func (r *Run) IncidentZoom(w Window) (zoom Window, why string, ok bool) {
	var spans []Window
	add := func(from, to int64) {
		pad := max((to-from)*3/10, segPadMin)
		sp := Window{max(w.From, r.floorMinutes(from-pad, 5)), min(w.To, r.ceilMinutes(to+pad, 5))}
		if sp.From < sp.To {
			spans = append(spans, sp)
		}
	}
	for _, o := range ImpactSeries(r, w).Windows {
		if o.To >= w.From && o.From <= w.To {
			add(o.From, o.To)
		}
	}
	for _, c := range r.Cliffs {
		if w.contains(c.T) {
			add(c.T, c.T)
		}
	}
	if len(spans) == 0 {
		return Window{}, "", false
	}
	slices.SortFunc(spans, func(a, b Window) int { return cmp.Compare(a.From, b.From) })
	merged := spans[:1]
	for _, sp := range spans[1:] {
		if last := &merged[len(merged)-1]; sp.From <= last.To {
			last.To = max(last.To, sp.To)
			continue
		}
		merged = append(merged, sp)
	}
	short := func(z Window) bool { return (z.To-z.From)*zoomShare < w.To-w.From }
	all := Window{merged[0].From, merged[len(merged)-1].To}
	switch {
	case short(all) && len(merged) == 1:
		return all, fmt.Sprintf("the incident, %s to %s (%s)", r.clock(all.From), r.clock(all.To), hm(all.To-all.From)), true
	case short(all):
		return all, fmt.Sprintf("the %d incidents, %s to %s (%s)", len(merged), r.clock(all.From), r.clock(all.To), hm(all.To-all.From)), true
	case short(merged[0]):
		z := merged[0]
		return z, fmt.Sprintf("the first of %d incidents, %s to %s (%s)", len(merged), r.clock(z.From), r.clock(z.To), hm(z.To-z.From)), true
	}
	return Window{}, "", false
}

// stacked is a chart of two panels: the main one on top, a zoom below.
type stacked struct {
	top, bottom *plot.Plot
}

func (s stacked) Draw(c draw.Canvas) {
	h := c.Max.Y - c.Min.Y
	s.top.Draw(draw.Crop(c, 0, 0, h*(1-zoomTop), 0))
	s.bottom.Draw(draw.Crop(c, 0, 0, 0, -h*zoomTop))
}
