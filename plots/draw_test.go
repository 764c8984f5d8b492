package plots

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// Labels never overlap, stay inside their band and keep their anchors'
// order, however crowded (the replay has annotations a minute apart).
func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []vg.Length
	}{
		{"apart", []vg.Length{10, 100, 300}},
		{"a minute apart", []vg.Length{200, 200.3, 200.6, 201, 400}},
		{"unsorted", []vg.Length{300, 10, 300, 12}},
		{"at the right edge", []vg.Length{495, 498, 499}},
		{"at the left edge", []vg.Length{0, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := make([]vg.Length, len(tc.xs))
			for i := range ws {
				ws[i] = 20 + vg.Length(i%2)*30
			}
			const lo, hi, gap = 0, 500, 4
			cs := spread(tc.xs, ws, lo, hi, gap)
			for i := range cs {
				assert.GreaterOrEqual(t, float64(cs[i]-ws[i]/2), float64(lo)-1e-9, "inside on the left")
				assert.LessOrEqual(t, float64(cs[i]+ws[i]/2), float64(hi)+1e-9, "inside on the right")
				for j := range cs {
					if i == j {
						continue
					}
					overlap := cs[i]-ws[i]/2 < cs[j]+ws[j]/2+gap-1e-6 && cs[j]-ws[j]/2 < cs[i]+ws[i]/2+gap-1e-6
					assert.False(t, overlap, "labels %d and %d overlap: %v", i, j, cs)
					if tc.xs[i] < tc.xs[j] {
						assert.Less(t, float64(cs[i]), float64(cs[j]), "order kept")
					}
				}
			}
		})
	}
}

func TestStepsOf(t *testing.T) {
	ds := []delta{{t: 10, d: +1}, {t: 0, d: +1}, {t: 10, d: -1}, {t: 20, d: +2}, {t: 30, d: -1}, {t: 50, d: +1}}
	assert.Equal(t, []Point{{5, 1}, {20, 3}, {30, 2}, {40, 2}}, stepsOf(ds, Window{5, 40}),
		"the value at the window's start, a point per change (none at 10: +1-1), and one at its end")

	// Ends come first at their instant: a drop its holders recover from in
	// the same second still shows, as a low point before the recovery.
	ds = []delta{{t: 0, d: +5}, {t: 10, d: +3}, {t: 10, d: -4, end: true}, {t: 20, d: -2, end: true}, {t: 20, d: -1}}
	assert.Equal(t, []Point{{0, 5}, {10, 1}, {10, 4}, {20, 1}, {30, 1}}, stepsOf(ds, Window{0, 30}),
		"at 10: down to 1 by the ends, back to 4; at 20 nothing recovers: one point")
}

func TestSummarise(t *testing.T) {
	var pts []Point
	for i := range int64(3000) {
		pts = append(pts, Point{i * 10, float64(i % 7)})
	}
	s := summarise("x", pts, Window{0, 30000})
	require.Nil(t, s.Points)
	require.Len(t, s.Ranges, rangeBuckets)
	assert.Equal(t, Range{From: 0, To: 60, Min: 0, Max: 5}, s.Ranges[0])
	short := summarise("x", pts[:10], Window{0, 100})
	assert.Len(t, short.Points, 10)
}

func TestSegmentsNormalize(t *testing.T) {
	s := newSegments([]Window{{100, 200}, {1000, 1100}, {5000, 5800}})
	prev := -1.0
	for x := 0.0; x <= 6000; x += 10 {
		v := s.Normalize(0, 0, x)
		assert.GreaterOrEqual(t, v, prev, "monotonic at %v", x)
		prev = v
	}
	assert.InDelta(t, 0, s.Normalize(0, 0, 100), 1e-12)
	assert.InDelta(t, 1, s.Normalize(0, 0, 5800), 1e-12)
	assert.True(t, s.visible(1050))
	assert.False(t, s.visible(3000))
	for _, w := range s.widths {
		assert.GreaterOrEqual(t, w, 0.1, "short spans stay readable")
	}
}

func TestTimeTicks(t *testing.T) {
	r, err := ReadEvents(strings.NewReader(tinyLog))
	require.NoError(t, err)
	var labels []string
	for _, tk := range timeTicks(r, 0, 7200, 16) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Equal(t, []string{"00:00\nJan 1", "00:10", "00:20", "00:30", "00:40", "00:50", "01:00", "01:10", "01:20", "01:30", "01:40", "01:50", "02:00"}, labels,
		"local clock of the scenario's zone; the date under the first tick")
	labels = nil
	for _, tk := range timeTicks(r, 0, 400*86400, 16) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	assert.Equal(t, "Jan\n2024", labels[0], "the year under the first month")
	assert.Contains(t, labels, "Jan\n2025", "and under each January")
	assert.Equal(t, "Feb", labels[len(labels)-1], "400 days from Jan 1 2024 end in Feb 2025")
}

func TestFocusWindow(t *testing.T) {
	r, err := ReadEvents(strings.NewReader(tinyLog))
	require.NoError(t, err)
	w, why := r.FocusWindow()
	assert.Equal(t, r.Whole(), w, "an annotation at 60 s and a cliff at 3600 s are far apart in a 2h run")
	assert.Empty(t, why)
	_, _, err = r.window(Window{From: 8000, To: 9000})
	assert.ErrorContains(t, err, "outside the run")
}

func TestHatchLinesStayInside(t *testing.T) {
	r := vg.Rectangle{Min: vg.Point{X: 10, Y: 20}, Max: vg.Point{X: 40, Y: 26}}
	rec := &recorder.Canvas{}
	c := draw.NewCanvas(rec, 100, 100)
	for _, slope := range []float64{1, -1, 0} {
		hatchLines(c, r, draw.LineStyle{Color: ink, Width: 1}, slope)
	}
	n := 0
	for _, a := range rec.Actions {
		s, ok := a.(*recorder.Stroke)
		if !ok {
			continue
		}
		for _, pc := range s.Path {
			p := pc.Pos
			n++
			assert.True(t, p.X >= r.Min.X-1e-9 && p.X <= r.Max.X+1e-9 && p.Y >= r.Min.Y-1e-9 && p.Y <= r.Max.Y+1e-9, "%v outside %v", p, r)
		}
	}
	assert.Greater(t, n, 20)
}

// The summariser, fed point by point, gives the ranges of the whole
// series: each bucket spans the step in force at its start (the last point
// at or before it) and every point inside it. Random series, with several
// points at one instant and windows shorter than the bucket count.
func TestSummariserMatchesWhole(t *testing.T) {
	whole := func(pts []Point, w Window) []Range { // the definition, on the whole series
		var out []Range
		span := w.To - w.From
		i := 0
		for b := int64(0); b < rangeBuckets; b++ {
			from, to := w.From+span*b/rangeBuckets, w.From+span*(b+1)/rangeBuckets
			if to <= from {
				continue
			}
			for i+1 < len(pts) && pts[i+1].T <= from {
				i++
			}
			r := Range{From: from, To: to, Min: pts[i].V, Max: pts[i].V}
			for j := i + 1; j < len(pts) && pts[j].T < to; j++ {
				r.Min, r.Max = min(r.Min, pts[j].V), max(r.Max, pts[j].V)
			}
			out = append(out, r)
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 200 {
		w := Window{From: rng.Int64N(1000), To: 0}
		w.To = w.From + []int64{0, 7, 499, 500, 1234, 100000}[k%6]
		pts := []Point{{w.From, float64(rng.IntN(9))}}
		for len(pts) <= maxSeriesPoints+rng.IntN(3000) {
			step := rng.Int64N(3) * rng.Int64N(max(2*(w.To-w.From)/maxSeriesPoints, 1)+1)
			pts = append(pts, Point{min(pts[len(pts)-1].T+step, w.To), float64(rng.IntN(50))})
		}
		s := summarise("x", pts, w)
		require.Nil(t, s.Points)
		require.Equal(t, whole(pts, w), s.Ranges, "window %v, %d points", w, len(pts))
	}
}
