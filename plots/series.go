package plots

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Point is a value at an instant (seconds from the run's start). In a
// step series it holds from T until the next point.
type Point struct {
	T int64
	V float64
}

// Series is a named line of a chart. A series with more steps than a
// slide can show (maxSeriesPoints) is summarised instead: Points is nil
// and Ranges holds its lowest and highest value in each of rangeBuckets
// equal spans of the window.
type Series struct {
	Label  string
	Points []Point
	Ranges []Range
}

// Range is the lowest and highest value of a series from From to To.
type Range struct {
	From, To int64
	Min, Max float64
}

const (
	maxSeriesPoints = 1500
	rangeBuckets    = 500
)

// summarise returns the series as is if it is short enough, else as
// ranges per bucket of w.
func summarise(label string, pts []Point, w Window) Series {
	if len(pts) <= maxSeriesPoints {
		return Series{Label: label, Points: pts}
	}
	s := Series{Label: label}
	span := w.To - w.From
	i := 0
	for b := int64(0); b < rangeBuckets; b++ {
		from, to := w.From+span*b/rangeBuckets, w.From+span*(b+1)/rangeBuckets
		if to <= from {
			continue
		}
		for i+1 < len(pts) && pts[i+1].T <= from { // the step in force at from
			i++
		}
		r := Range{From: from, To: to, Min: pts[i].V, Max: pts[i].V}
		for j := i + 1; j < len(pts) && pts[j].T < to; j++ {
			r.Min, r.Max = min(r.Min, pts[j].V), max(r.Max, pts[j].V)
		}
		s.Ranges = append(s.Ranges, r)
	}
	return s
}

// delta is a change of a count at an instant.
type delta struct {
	t int64
	d int
}

// stepsOf turns changes into a step series over w: the value at w.From
// (every change up to and including it), one point per later instant
// that changes the value, and a last point at w.To.
func stepsOf(ds []delta, w Window) []Point {
	slices.SortStableFunc(ds, func(a, b delta) int { return cmp.Compare(a.t, b.t) })
	v, i := 0, 0
	for ; i < len(ds) && ds[i].t <= w.From; i++ {
		v += ds[i].d
	}
	pts := []Point{{w.From, float64(v)}}
	for i < len(ds) && ds[i].t <= w.To {
		t := ds[i].t
		for ; i < len(ds) && ds[i].t == t; i++ {
			v += ds[i].d
		}
		if float64(v) != pts[len(pts)-1].V {
			pts = append(pts, Point{t, float64(v)})
		}
	}
	if pts[len(pts)-1].T != w.To {
		pts = append(pts, Point{w.To, float64(v)})
	}
	return pts
}

// LiveSeries counts what is alive over window w: tokens (child tokens
// included), credentials, and credentials still in use (not yet replaced
// by their holder). A cliff shows as a drop of all three at one instant.
func LiveSeries(r *Run, w Window) []Series {
	var tokens, creds, inUse []delta
	for i := range r.Entities {
		e := &r.Entities[i]
		list := &creds
		if e.IsToken() {
			list = &tokens
		}
		*list = append(*list, delta{e.Issued(), +1})
		if e.Ended != None {
			*list = append(*list, delta{e.Ended, -1})
		}
		if !e.IsToken() {
			inUse = append(inUse, delta{e.Issued(), +1})
			if stop := firstOf(e.Replaced, e.Ended); stop != None {
				inUse = append(inUse, delta{stop, -1})
			}
		}
	}
	return []Series{
		summarise("live tokens", stepsOf(tokens, w), w),
		summarise("live credentials", stepsOf(creds, w), w),
		summarise("credentials in use", stepsOf(inUse, w), w),
	}
}

// firstOf is the earlier of two instants, either of which may be None.
func firstOf(a, b int64) int64 {
	switch {
	case a == None:
		return b
	case b == None:
		return a
	}
	return min(a, b)
}

// Impact is the service-impact chart's data.
type Impact struct {
	// Rates are failed requests per second, one series per service in
	// the header's order: demand × failing replicas / replicas.
	Rates []Series
	// Windows are the spans in which some service failed, over the whole
	// run, overlapping ones merged; To is the horizon if still failing.
	Windows []Window
	// Outages are each service's own failing spans, over the whole run.
	Outages [][]Window
	// Failed are the failed requests of each service over the whole run.
	Failed []float64
}

// ImpactSeries computes failed requests per second per service over
// window w, and the outage windows and failed requests of the whole run.
func ImpactSeries(r *Run, w Window) Impact {
	var im Impact
	var all []Window
	for _, s := range r.Services {
		rate := func(failing int) float64 { return s.DemandPerSecond * float64(failing) / float64(s.Replicas) }
		var ds []delta
		prev := 0
		for _, st := range s.Steps {
			ds = append(ds, delta{st.T, st.Failing - prev})
			prev = st.Failing
		}
		pts := stepsOf(ds, w)
		for i := range pts {
			pts[i].V = rate(int(pts[i].V))
		}
		im.Rates = append(im.Rates, summarise(s.Name, pts, w))
		outages, failed := serviceOutages(s, r.Horizon, rate)
		im.Outages = append(im.Outages, outages)
		im.Failed = append(im.Failed, failed)
		all = append(all, outages...)
	}
	slices.SortFunc(all, func(a, b Window) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	for _, o := range all {
		if n := len(im.Windows); n > 0 && o.From <= im.Windows[n-1].To {
			im.Windows[n-1].To = max(im.Windows[n-1].To, o.To)
			continue
		}
		im.Windows = append(im.Windows, o)
	}
	return im
}

// serviceOutages returns the spans in which some replica of s failed and
// the requests that failed in them.
func serviceOutages(s Service, horizon int64, rate func(int) float64) ([]Window, float64) {
	var out []Window
	failed := 0.0
	for i, st := range s.Steps {
		next := horizon
		if i+1 < len(s.Steps) {
			next = s.Steps[i+1].T
		}
		if st.Failing == 0 || next <= st.T {
			continue
		}
		failed += float64(rate(st.Failing) * float64(next-st.T)) // no fused multiply-add: same sum on every CPU
		if n := len(out); n > 0 && out[n-1].To == st.T {
			out[n-1].To = next
		} else {
			out = append(out, Window{st.T, next})
		}
	}
	return out, failed
}

// Renewal is the renewal-detail chart's data for one entity.
type Renewal struct {
	Entity string
	Window Window // the span drawn
	Zoomed bool   // Window is the last part of a long life
	// Remaining is the TTL left over time: it jumps at each grant and
	// falls one second per second until the next (a saw-tooth).
	Remaining []Point
	// Ceiling is the time left to the hard end; empty without one.
	Ceiling []Point
	// Renewals are the renewals (not the issue) and the TTL each granted;
	// Capped are those the hard end cut short.
	Renewals, Capped []Point
	Failed           []int64 // refused renewals, in the window
	MaxTTL           int64   // the longest TTL granted
	CappedFrom       int64   // the first capped grant, or None
	CappedBy         string  // the layer named by the first capped grant
}

// DefaultRenewalEntity is the entity the renewal chart shows by default:
// the root of the first cliff, else the first token, else the first entity.
func DefaultRenewalEntity(r *Run) (string, error) {
	if len(r.Cliffs) > 0 {
		if _, ok := r.Entity(r.Cliffs[0].Root); ok {
			return r.Cliffs[0].Root, nil
		}
	}
	for i := range r.Entities {
		if r.Entities[i].IsToken() {
			return r.Entities[i].ID, nil
		}
	}
	if len(r.Entities) > 0 {
		return r.Entities[0].ID, nil
	}
	return "", fmt.Errorf("plots: the run issued no token or credential")
}

// zoomLives: an entity living more than this many times its longest TTL
// is shown over its last zoomShown TTLs, where renewals meet the ceiling.
const (
	zoomLives = 8
	zoomShown = 4
)

// RenewalSeries computes the renewal detail of entity id.
func RenewalSeries(r *Run, id string) (Renewal, error) {
	e, ok := r.Entity(id)
	if !ok {
		return Renewal{}, fmt.Errorf("plots: no entity %q in the run%s", id, suggestEntities(r))
	}
	rn := Renewal{Entity: id, CappedFrom: None}
	end := e.Ended
	if end == None {
		end = r.Horizon
	}
	for _, g := range e.Grants {
		rn.MaxTTL = max(rn.MaxTTL, g.TTL)
	}
	rn.Window = Window{e.Issued(), max(end, e.Issued()+1)}
	if life := end - e.Issued(); rn.MaxTTL > 0 && life > zoomLives*rn.MaxTTL {
		rn.Window.From = max(e.Issued(), end-zoomShown*rn.MaxTTL)
		rn.Zoomed = true
	}
	var saw []Point
	for i, g := range e.Grants {
		next := end
		if i+1 < len(e.Grants) {
			next = e.Grants[i+1].T
		}
		saw = append(saw, Point{g.T, float64(g.Expire - g.T)}, Point{next, float64(max(g.Expire-next, 0))})
		if g.Expire < next { // expired before the next grant: flat at zero
			saw = slices.Insert(saw, len(saw)-1, Point{g.Expire, 0})
		}
		capped := g.HardEnd != None && g.Expire == g.HardEnd && i > 0
		if i > 0 && rn.Window.contains(g.T) {
			rn.Renewals = append(rn.Renewals, Point{g.T, float64(g.TTL)})
			if capped {
				rn.Capped = append(rn.Capped, Point{g.T, float64(g.TTL)})
			}
		}
		if capped && rn.CappedFrom == None {
			rn.CappedFrom, rn.CappedBy = g.T, g.BoundBy
		}
	}
	if e.Ended != None && saw[len(saw)-1].V > 0 { // revoked with TTL left
		saw = append(saw, Point{e.Ended, 0})
	}
	rn.Remaining = clipPolyline(saw, rn.Window)
	if e.HardEnd != None {
		to := min(rn.Window.To, e.HardEnd)
		rn.Ceiling = []Point{{rn.Window.From, float64(e.HardEnd - rn.Window.From)}, {to, float64(e.HardEnd - to)}}
	}
	for _, t := range e.FailedRenewals {
		if rn.Window.contains(t) {
			rn.Failed = append(rn.Failed, t)
		}
	}
	return rn, nil
}

// clipPolyline keeps the part of a polyline inside w, interpolating at its
// edges. Points must be in time order (equal times allowed: jumps).
func clipPolyline(pts []Point, w Window) []Point {
	var out []Point
	for i, p := range pts {
		if i > 0 {
			q := pts[i-1]
			for _, edge := range []int64{w.From, w.To} {
				if q.T < edge && edge < p.T {
					f := float64(edge-q.T) / float64(p.T-q.T)
					out = append(out, Point{edge, q.V + float64(f*(p.V-q.V))}) // unfused, as above
				}
			}
		}
		if w.contains(p.T) {
			out = append(out, p)
		}
	}
	return out
}

func suggestEntities(r *Run) string {
	var toks []string
	for i := range r.Entities {
		if r.Entities[i].IsToken() && r.Entities[i].Generation == 1 {
			toks = append(toks, r.Entities[i].ID)
		}
		if len(toks) == 5 {
			toks = append(toks, "…")
			break
		}
	}
	if len(toks) == 0 {
		return ""
	}
	return "; tokens include " + strings.Join(toks, ", ")
}
