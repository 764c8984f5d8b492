package plots

import (
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Outages of minutes in a window of days are slivers. The impact chart
// therefore shows, when its outages are short, only the spans around them
// side by side on a broken time axis: each span keeps its own linear time
// scale and its own ticks, and the time between spans is cut out (marked
// with a break on the axis).

const (
	segGap      = 0.025 // fraction of the axis between two spans
	segMinWidth = 0.12  // no span narrower than this fraction
	segPadMin   = 600   // seconds of context at least on each side of an outage
	segShare    = 3     // segment only if the spans cover less than 1/segShare of the window
)

// ImpactSpans are the spans the impact chart shows: the outage windows
// inside w, padded by 30 % of their length (at least 10 minutes) and
// merged. It returns nil (show all of w) when there are none or when they
// cover a third of w or more.
func ImpactSpans(r *Run, w Window, im Impact) []Window {
	var spans []Window
	for _, o := range im.Windows {
		if o.To < w.From || o.From > w.To {
			continue
		}
		pad := max((o.To-o.From)*3/10, segPadMin)
		sp := Window{From: max(w.From, r.floorMinutes(o.From-pad, 5)), To: min(w.To, r.ceilMinutes(o.To+pad, 5))}
		if n := len(spans); n > 0 && sp.From <= spans[n-1].To {
			spans[n-1].To = max(spans[n-1].To, sp.To)
			continue
		}
		spans = append(spans, sp)
	}
	var total int64
	for _, sp := range spans {
		total += sp.To - sp.From
	}
	if len(spans) == 0 || total*segShare >= w.To-w.From {
		return nil
	}
	return spans
}

func (r *Run) floorMinutes(t, m int64) int64 {
	lt := r.Time(t)
	return t - int64(lt.Minute()%int(m))*60 - int64(lt.Second())
}

func (r *Run) ceilMinutes(t, m int64) int64 {
	f := r.floorMinutes(t, m)
	if f == t {
		return t
	}
	return f + m*60
}

// segments is a broken time axis over spans; it is the axis's Normalizer.
type segments struct {
	spans  []Window
	widths []float64 // fraction of the axis for each span
	starts []float64 // fraction where each span starts
}

func newSegments(spans []Window) *segments {
	s := &segments{spans: spans}
	usable := 1 - segGap*float64(len(spans)-1)
	var total float64
	for _, sp := range spans {
		total += float64(sp.To - sp.From)
	}
	raw := make([]float64, len(spans))
	sum := 0.0
	for i, sp := range spans {
		raw[i] = math.Max(float64(sp.To-sp.From)/total, segMinWidth)
		sum += raw[i]
	}
	pos := 0.0
	for i := range spans {
		w := raw[i] / sum * usable
		s.widths = append(s.widths, w)
		s.starts = append(s.starts, pos)
		pos += w + segGap
	}
	return s
}

// Normalize maps an offset to its place on the axis; an offset between
// two spans falls in the gap between them, proportionally.
func (s *segments) Normalize(_, _, x float64) float64 {
	n := len(s.spans)
	for i, sp := range s.spans {
		from, to := float64(sp.From), float64(sp.To)
		if x < from {
			if i == 0 {
				return s.starts[0] + (x-from)/(to-from)*s.widths[0]
			}
			prevTo := float64(s.spans[i-1].To)
			return s.starts[i] - segGap + (x-prevTo)/(from-prevTo)*segGap
		}
		if x <= to {
			return s.starts[i] + (x-from)/(to-from)*s.widths[i]
		}
	}
	last := s.spans[n-1]
	return 1 + (x-float64(last.To))/float64(last.To-last.From)*s.widths[n-1]
}

func (s *segments) visible(t int64) bool {
	for _, sp := range s.spans {
		if sp.contains(t) {
			return true
		}
	}
	return false
}

// segmentTicker labels each span on its own.
type segmentTicker struct {
	run  *Run
	segs *segments
}

func (st segmentTicker) Ticks(_, _ float64) []plot.Tick {
	var ticks []plot.Tick
	for i, sp := range st.segs.spans {
		n := max(3, int(float64(maxTimeTicks)*st.segs.widths[i]))
		ticks = append(ticks, timeTicks(st.run, float64(sp.From), float64(sp.To), n)...)
	}
	return ticks
}

// segmentAxis sets p's x axis to the spans of r.
func segmentAxis(p *plot.Plot, r *Run, segs *segments) {
	p.X.Min, p.X.Max = float64(segs.spans[0].From), float64(segs.spans[len(segs.spans)-1].To)
	p.X.Scale = segs
	p.X.Tick.Marker = segmentTicker{r, segs}
	p.X.Label.Text = "time (" + r.zoneName() + ", the scenario's zone) · the time between outages is cut out (//)"
}

// segmentBreaks blanks the gaps between spans and marks the breaks on
// the axis; it is added after the data.
type segmentBreaks struct {
	segs *segments
}

func (b *segmentBreaks) Plot(c draw.Canvas, p *plot.Plot) {
	x, _ := p.Transforms(&c)
	mark := draw.LineStyle{Color: ink, Width: vg.Points(0.9)}
	for i := 1; i < len(b.segs.spans); i++ {
		x0, x1 := x(float64(b.segs.spans[i-1].To)), x(float64(b.segs.spans[i].From))
		c.SetColor(color.White)
		c.Fill(rectPath(vg.Rectangle{Min: vg.Point{X: x0 + 0.5, Y: c.Min.Y - p.X.Padding - 1}, Max: vg.Point{X: x1 - 0.5, Y: c.Max.Y}}))
		y := c.Min.Y - p.X.Padding
		for _, xx := range []vg.Length{x0 + 1.5, x1 - 4.5} {
			c.StrokeLine2(mark, xx, y-4, xx+3, y+4)
		}
	}
}

// spanList names spans for a subtitle: "Jan 15 10:20–13:45, Jan 16 08:45–09:25".
func spanList(r *Run, spans []Window) string {
	parts := make([]string, len(spans))
	for i, sp := range spans {
		a, b := r.Time(sp.From), r.Time(sp.To)
		if a.Format("Jan 2") == b.Format("Jan 2") {
			parts[i] = a.Format("Jan 2 15:04") + "–" + b.Format("15:04")
		} else {
			parts[i] = a.Format("Jan 2 15:04") + "–" + b.Format("Jan 2 15:04")
		}
	}
	return strings.Join(parts, ", ")
}
